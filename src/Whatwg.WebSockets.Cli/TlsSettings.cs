using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Whatwg.WebSockets.Cli;

/// <summary>The certificate side of --insecure, --ca, --cert and --key.</summary>
internal static class TlsSettings
{
    /// <summary>Accepts any server certificate: what --insecure asks for, with a warning printed.</summary>
#pragma warning disable CA5359 // Deliberate: the user turned certificate checks off with --insecure.
    public static RemoteCertificateValidationCallback AcceptAny { get; } = (_, _, _, _) => true;
#pragma warning restore CA5359

    /// <summary>
    /// Loads the CA certificates in a PEM (or DER) file. The server's certificate is then accepted when the
    /// system trusts it or when it chains to one of these; its name must match the URL's host either way.
    /// </summary>
    /// <exception cref="CryptographicException">The file holds no certificate.</exception>
    public static RemoteCertificateValidationCallback TrustCa(string path)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(path);
        if (authorities.Count == 0)
        {
            authorities.Add(X509CertificateLoader.LoadCertificateFromFile(path));
        }

        return (_, certificate, chain, errors) =>
        {
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0
                || certificate is null)
            {
                return false;
            }

            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            custom.ChainPolicy.CustomTrustStore.AddRange(authorities);
            if (chain is not null)
            {
                foreach (X509ChainElement element in chain.ChainElements)
                {
                    custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return custom.Build(leaf);
        };
    }

    /// <summary>A client certificate and its private key from PEM files (the key may be in the certificate's file).</summary>
    public static X509CertificateCollection ClientCertificate(string certificatePath, string? keyPath)
    {
        using X509Certificate2 ephemeral = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

        // TLS stacks want a key they can use from another handle; a PKCS#12 round trip gives one on every platform.
        X509Certificate2 usable = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
        return [usable];
    }
}
