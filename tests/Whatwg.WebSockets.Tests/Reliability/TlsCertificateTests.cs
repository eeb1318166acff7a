using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>
/// A certificate issued for another host fails the connection with a cause that names the problem, on both
/// transports, unless the program opted out through <see cref="WebSocketOptions.RemoteCertificateValidationCallback"/>
/// (which then sees the name mismatch). The untrusted self-signed case is in Tls/WssTests.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class TlsCertificateTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Certificate_for_another_host_fails_naming_the_mismatch(bool viaHttpClient)
    {
        using X509Certificate2 certificate = TestCertificates.Server("other.example", ["other.example"]);

        (FailureEventLog log, int upgrades) = await ConnectAsync(certificate, FailureEventLog.Options(), viaHttpClient);

        WebSocketFailureException cause = log.AssertFailed(opened: false, WebSocketFailure.TlsFailed, "TLS", closeCodeSent: null);
        output.WriteLine($"{(viaHttpClient ? "HttpClient" : "socket")} transport: {cause.Message}");
        Assert.Contains("NameMismatch", cause.Message, StringComparison.Ordinal);
        Assert.Equal(0, upgrades);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Trusting_the_certificate_but_not_its_name_still_fails(bool viaHttpClient)
    {
        using X509Certificate2 certificate = TestCertificates.Server("other.example", ["other.example"]);
        string thumbprint = certificate.Thumbprint;
        SslPolicyErrors seen = SslPolicyErrors.None;
        WebSocketOptions options = FailureEventLog.Options();
        options.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
        {
            seen = errors;

            // Pin the certificate (accept its untrusted chain) but keep the host name check.
            return cert?.GetCertHashString() == thumbprint && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        };

        (FailureEventLog log, int upgrades) = await ConnectAsync(certificate, options, viaHttpClient);

        WebSocketFailureException cause = log.AssertFailed(opened: false, WebSocketFailure.TlsFailed, "TLS", closeCodeSent: null);
        output.WriteLine($"{(viaHttpClient ? "HttpClient" : "socket")} transport: policy errors {seen}; {cause.Message}");
        Assert.True(seen.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch), $"the callback should see the name mismatch, saw {seen}");
        Assert.Equal(0, upgrades);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Opting_out_connects_to_a_mismatched_certificate(bool viaHttpClient)
    {
        using X509Certificate2 certificate = TestCertificates.Server("other.example", ["other.example"]);
        string thumbprint = certificate.Thumbprint;
        WebSocketOptions options = FailureEventLog.Options();

        // The program's own decision: this exact certificate is fine, whatever its name and chain.
        options.RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == thumbprint;

        (FailureEventLog log, int upgrades) = await ConnectAsync(certificate, options, viaHttpClient, closeWhenOpen: true);

        log.AssertClean(1000, string.Empty);
        Assert.Equal(1, upgrades);
    }

    /// <summary>
    /// Connects to a TLS echo server presenting <paramref name="certificate"/> (through the HTTP stack when asked:
    /// cookies take that path), closes with 1000 once open if asked, and returns the events and the server's upgrade count.
    /// </summary>
    private static async Task<(FailureEventLog Log, int Upgrades)> ConnectAsync(
        X509Certificate2 certificate, WebSocketOptions options, bool viaHttpClient, bool closeWhenOpen = false)
    {
        if (viaHttpClient)
        {
            options.Cookies = new CookieContainer();
        }

        await using var server = TlsEchoServer.Start(certificate);
        await using var ws = EventGate.Hold(() => new WebSocket(new Uri($"wss://127.0.0.1:{server.Port}/"), null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        if (closeWhenOpen)
        {
            await log.WaitForOpenAsync();
            ws.Close(1000);
        }

        await log.WaitForCloseAsync();
        return (log, server.Upgrades);
    }

    /// <summary>A TLS server on 127.0.0.1 that upgrades every request and answers a Close frame with a Close frame.</summary>
    private sealed class TlsEchoServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly X509Certificate2 _certificate;
        private readonly CancellationTokenSource _stopping = new();
        private readonly List<Task> _connections = [];
        private readonly Task _accepting;
        private int _upgrades;

        private TlsEchoServer(X509Certificate2 certificate)
        {
            _certificate = certificate;
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _accepting = AcceptAsync();
        }

        public int Port { get; }

        /// <summary>How many TLS handshakes got as far as a 101 response.</summary>
        public int Upgrades => Volatile.Read(ref _upgrades);

        public static TlsEchoServer Start(X509Certificate2 certificate) => new(certificate);

        public async ValueTask DisposeAsync()
        {
            await _stopping.CancelAsync();
            _listener.Stop();
            try
            {
                Task[] all;
                lock (_connections)
                {
                    all = [_accepting, .. _connections];
                }

                await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // Connections end with the server; their errors are not what these tests check.
            }

            _stopping.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stopping.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stopping.Token);
                }
                catch (Exception)
                {
                    return;
                }

                lock (_connections)
                {
                    _connections.Add(ServeAsync(socket));
                }
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            CancellationToken ct = timeout.Token;
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, ct);
                var head = new List<byte>();
                byte[] one = new byte[1];
                while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
                {
                    if (await tls.ReadAsync(one, ct) == 0)
                    {
                        return;
                    }

                    head.Add(one[0]);
                }

                string request = Encoding.Latin1.GetString([.. head]);
                string key = request.Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))[18..].Trim();
                await tls.WriteAsync(Encoding.Latin1.GetBytes(ScriptedServer.ResponseText(
                    "HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", $"Sec-WebSocket-Accept: {ScriptedServer.ComputeAccept(key)}")), ct);
                Interlocked.Increment(ref _upgrades);

                // Wait for the client's Close frame (2 header bytes + 4 mask + payload), answer it, and close.
                byte[] frame = new byte[2 + 4 + 125];
                int read = await tls.ReadAsync(frame, ct);
                if (read >= 2 && (frame[0] & 0x0F) == 0x8)
                {
                    await tls.WriteAsync(ScriptedServer.CloseFrame(1000), ct);
                }

                await tls.ShutdownAsync();
            }
            catch (Exception)
            {
                // A client that refuses the certificate aborts the TLS handshake: expected in most tests.
            }
        }
    }
}
