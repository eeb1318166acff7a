using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Whatwg.WebSockets.Cli;

/// <summary>
/// The embedded echo server that <c>wsc</c> with no URL talks to: Kestrel on <c>127.0.0.1</c> and a free port,
/// WebSocket endpoints <c>/</c> and <c>/echo</c> that send every message back byte for byte (text as text,
/// binary as binary) and answer the closing handshake with the client's code and reason.
/// </summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The server's WebSocket URL, e.g. <c>ws://127.0.0.1:40123/</c>.</summary>
    public string Url { get; }

    /// <summary>Starts the server on a free loopback port.</summary>
    public static async Task<EchoServer> StartAsync(CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));

        // wsc owns the console (Ctrl+C closes the WebSocket first), so the host must not install its own handlers.
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();

        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var uri = new Uri(address);
        return new EchoServer(app, $"ws://{uri.Host}:{uri.Port}/");
    }

    /// <summary>Stops the server, waiting briefly for open connections.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Connections still open after the grace period are cut; wsc is exiting anyway.
            }
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path.Value is not ("/" or "/echo"))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            context.Response.Headers.Upgrade = "websocket";
            await context.Response.WriteAsync("wsc echo server: connect with a WebSocket client\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // Accept the client's first subprotocol, if it offers any, so -s can be tried against the echo server.
        string? subprotocol = context.WebSockets.WebSocketRequestedProtocols.FirstOrDefault();
        using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(subprotocol).ConfigureAwait(false);
        await EchoAsync(socket, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task EchoAsync(System.Net.WebSockets.WebSocket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                // Fragment by fragment: each piece goes back with the same type and end-of-message flag,
                // so messages of any size come back byte-exact without being buffered whole.
                WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(
                        result.CloseStatus ?? WebSocketCloseStatus.Empty, result.CloseStatusDescription, cancellationToken).ConfigureAwait(false);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client went away without closing; nothing to echo to.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A host lifetime that leaves the console's signals alone.</summary>
    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
