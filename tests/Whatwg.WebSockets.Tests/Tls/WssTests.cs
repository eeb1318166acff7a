using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Tls;

/// <summary>
/// wss:// goes through TLS with certificate validation: an untrusted (self-signed) server certificate
/// fails the connection unless <see cref="WebSocketOptions.RemoteCertificateValidationCallback"/> accepts it.
/// </summary>
public sealed class WssTests : IAsyncLifetime
{
    private static readonly TimeSpan s_wait = FailureEventLog.Wait;

    private X509Certificate2 _certificate = null!;
    private WebApplication? _app;
    private Uri _echo = null!;

    public async Task InitializeAsync()
    {
        _certificate = TestCertificates.Server("Whatwg.WebSockets test server", ["localhost"], [IPAddress.Loopback]);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
            {
                ServerCertificate = _certificate,
                ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (_, _, _) => true,   // the test checks which certificate arrived
            });
        }));

        _app = builder.Build();
        _app.UseWebSockets(new Microsoft.AspNetCore.Builder.WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        _app.Run(EchoAsync);
        await _app.StartAsync();

        string address = _app.Services.GetRequiredService<IServer>().Features
            .GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        _echo = new Uri($"wss://127.0.0.1:{new Uri(address).Port}/echo");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Connections still open are dropped by DisposeAsync.
            }

            await _app.DisposeAsync();
        }

        _certificate?.Dispose();
    }

    [Fact]
    public async Task Self_signed_certificate_is_refused_by_default()
    {
        var options = new WebSocketOptions { KeepAliveInterval = Timeout.InfiniteTimeSpan, ConnectTimeout = TimeSpan.FromSeconds(5) };
        await using var ws = EventGate.Hold(() => new WebSocket(_echo, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();

        WebSocketFailureException cause = log.AssertFailed(opened: false, WebSocketFailure.TlsFailed, "TLS", closeCodeSent: null);
        Assert.Contains("certificate", cause.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Callback_accepting_the_thumbprint_opens_echoes_and_closes_cleanly()
    {
        string thumbprint = _certificate.Thumbprint;
        int calls = 0;
        var options = new WebSocketOptions
        {
            KeepAliveInterval = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            CloseTimeout = TimeSpan.FromSeconds(2),
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                Interlocked.Increment(ref calls);
                return certificate is not null
                    && string.Equals(certificate.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase);
            },
        };

        await using var ws = EventGate.Hold(() => new WebSocket(_echo, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForOpenAsync();
        Assert.Equal(WebSocketReadyState.Open, ws.ReadyState);

        ws.Send("over TLS");
        MessageEvent message = await log.ReceiveAsync();
        Assert.Equal("over TLS", message.Text);

        ws.Close(1000, "done");
        await log.WaitForCloseAsync();
        log.AssertClean(1000, "done");
        Assert.Equal(["open", "message", "close"], log.Types);
        Assert.True(Volatile.Read(ref calls) >= 1, "the validation callback should have been consulted");
    }

    [Fact]
    public async Task Callback_rejecting_the_certificate_fails()
    {
        var options = new WebSocketOptions
        {
            KeepAliveInterval = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RemoteCertificateValidationCallback = (_, _, _, _) => false,
        };

        await using var ws = EventGate.Hold(() => new WebSocket(_echo, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();

        log.AssertFailed(opened: false, WebSocketFailure.TlsFailed, "TLS", closeCodeSent: null);
    }

    [Theory]
    [InlineData(false, "no client certificate")]
    [InlineData(true, "CN=Whatwg.WebSockets test client")]
    public async Task ClientCertificates_AreOfferedToAServerThatAsks(bool withCertificate, string expectedSubject)
    {
        using X509Certificate2 client = TestCertificates.Client("Whatwg.WebSockets test client");

        string thumbprint = _certificate.Thumbprint;
        var options = new WebSocketOptions
        {
            KeepAliveInterval = Timeout.InfiniteTimeSpan,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == thumbprint,
        };
        if (withCertificate)
        {
            options.ClientCertificates = [client];
        }

        await using var ws = EventGate.Hold(() => new WebSocket(new Uri(_echo, "/whoami"), null, options), out EventGate gate);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        ws.OnMessage = e => received.TrySetResult(e.Text);
        gate.Release();
        Assert.Equal(expectedSubject, await received.Task.WaitAsync(s_wait));
        ws.Close(1000);
        Assert.True((await ws.WhenClosed.WaitAsync(s_wait)).WasClean);
    }

    private static async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using System.Net.WebSockets.WebSocket ws = await context.WebSockets.AcceptWebSocketAsync();
        if (context.Request.Path == "/whoami")
        {
            string subject = context.Connection.ClientCertificate?.Subject ?? "no client certificate";
            await ws.SendAsync(System.Text.Encoding.UTF8.GetBytes(subject), System.Net.WebSockets.WebSocketMessageType.Text, true, context.RequestAborted);
        }

        byte[] buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        CancellationToken ct = context.RequestAborted;
        try
        {
            while (true)
            {
                System.Net.WebSockets.ValueWebSocketReceiveResult result = await ws.ReceiveAsync(buffer.AsMemory(), ct);
                if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await ws.CloseOutputAsync(
                        ws.CloseStatus ?? System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, ws.CloseStatusDescription, ct);
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    await ws.SendAsync(message.GetBuffer().AsMemory(0, (int)message.Length), result.MessageType, endOfMessage: true, ct);
                    message.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            // The client went away.
        }
    }
}
