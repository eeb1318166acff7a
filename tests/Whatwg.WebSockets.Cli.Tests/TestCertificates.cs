using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>A throw-away CA, a server certificate for 127.0.0.1 it signed, a self-signed one, and a client certificate, as PEM files.</summary>
public sealed class TestCertificates : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wsc-certs-").FullName;

    public TestCertificates()
    {
        using RSA caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=wsc test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        CaPath = Write("ca.pem", ca.ExportCertificatePem());

        using RSA serverKey = RSA.Create(2048);
        var serverRequest = ServerRequest("CN=127.0.0.1", serverKey);
        using X509Certificate2 signed = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(6), [1, 2, 3, 4]);
        SignedServer = Usable(signed.CopyWithPrivateKey(serverKey));

        using RSA selfKey = RSA.Create(2048);
        SelfSignedServer = Usable(ServerRequest("CN=127.0.0.1", selfKey).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(6)));

        using RSA clientKey = RSA.Create(2048);
        var clientRequest = new CertificateRequest("CN=wsc test client", clientKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using X509Certificate2 client = clientRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(6));
        ClientCertPath = Write("client.pem", client.ExportCertificatePem());
        ClientKeyPath = Write("client.key", clientKey.ExportPkcs8PrivateKeyPem());
    }

    public string CaPath { get; }

    public string ClientCertPath { get; }

    public string ClientKeyPath { get; }

    /// <summary>Signed by the CA in <see cref="CaPath"/>, for 127.0.0.1.</summary>
    public X509Certificate2 SignedServer { get; }

    /// <summary>Self-signed, for 127.0.0.1: no CA vouches for it.</summary>
    public X509Certificate2 SelfSignedServer { get; }

    public void Dispose()
    {
        SignedServer.Dispose();
        SelfSignedServer.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static CertificateRequest ServerRequest(string subject, RSA key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request;
    }

    /// <summary>A PKCS#12 round trip, so the TLS stack can use the private key.</summary>
    private static X509Certificate2 Usable(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }

    private string Write(string name, string pem)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, pem);
        return path;
    }
}
