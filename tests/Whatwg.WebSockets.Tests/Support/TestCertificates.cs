using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Whatwg.WebSockets.Tests.Support;

/// <summary>Self-signed certificates for the TLS tests, made fresh per run (nothing is written to disk).</summary>
internal static class TestCertificates
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>A server certificate (serverAuth) for these names and addresses.</summary>
    public static X509Certificate2 Server(string commonName, IEnumerable<string> dnsNames, IEnumerable<IPAddress>? addresses = null)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in dnsNames)
        {
            san.AddDnsName(name);
        }

        foreach (IPAddress address in addresses ?? [])
        {
            san.AddIpAddress(address);
        }

        return Create(commonName, ServerAuthentication, san.Build());
    }

    /// <summary>A client certificate (clientAuth).</summary>
    public static X509Certificate2 Client(string commonName) => Create(commonName, ClientAuthentication, alternativeNames: null);

    /// <summary>RSA 2048, valid from five minutes ago for a day; re-imported from PFX so the private key is usable by SslStream and Kestrel.</summary>
    private static X509Certificate2 Create(string commonName, string usage, X509Extension? alternativeNames)
    {
        using RSA rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (alternativeNames is not null)
        {
            request.CertificateExtensions.Add(alternativeNames);
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), password: null);
    }
}
