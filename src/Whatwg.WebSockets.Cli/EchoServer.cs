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

/// <summary>What the embedded server does with each message.</summary>
internal enum ServerMode
{
    /// <summary>Send it back to the client that sent it.</summary>
    Echo,

    /// <summary>Send it to every connected client, the sender included.</summary>
    Broadcast,
}

/// <summary>
/// The embedded server that <c>wsc</c> with no URL and <c>wsc serve</c> run: Kestrel on <c>127.0.0.1</c>,
/// WebSocket endpoints <c>/</c> and <c>/echo</c>. In echo mode every message goes back byte for byte (text as
/// text, binary as binary); in broadcast mode to every client. The closing handshake is answered with the
/// client's code and reason.
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

    /// <summary>Starts the server on a loopback port (0 = any free one).</summary>
    public static async Task<EchoServer> StartAsync(ServerMode mode, int port, CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));

        // wsc owns the console (Ctrl+C closes the WebSocket first), so the host must not install its own handlers.
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();

        WebApplication app = builder.Build();
        app.UseWebSockets();
        var broadcast = mode == ServerMode.Broadcast ? new Broadcaster() : null;
        CancellationToken stopping = app.Lifetime.ApplicationStopping;
        app.Run(context => HandleAsync(context, broadcast, stopping));
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

    private static async Task HandleAsync(HttpContext context, Broadcaster? broadcast, CancellationToken stopping)
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
        // permessage-deflate is accepted when offered, so compression can be seen at work (wsc -v shows it).
        var accept = new WebSocketAcceptContext { SubProtocol = subprotocol, DangerousEnableCompression = true };
        using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);

        // When the server stops, each client is told so with 1001 (going away); the loop below then sees its
        // answer and ends, so the stop takes one round trip instead of the grace period and a dropped connection.
        using CancellationTokenRegistration goingAway = stopping.Register(static state => _ = GoAwayAsync((System.Net.WebSockets.WebSocket)state!), socket);
        if (broadcast is null)
        {
            await EchoAsync(socket, context.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            await broadcast.ServeAsync(socket, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static async Task GoAwayAsync(System.Net.WebSockets.WebSocket socket)
    {
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "server stopping", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or InvalidOperationException or ObjectDisposedException)
        {
            // Already closing, closed, or in the middle of a send: the grace period ends it instead.
        }
    }

    /// <summary>Answers a client's Close, unless ours (going away) went first and this is the client's answer.</summary>
    private static Task AnswerCloseAsync(System.Net.WebSockets.WebSocket socket, WebSocketReceiveResult result, CancellationToken cancellationToken) =>
        socket.State == WebSocketState.CloseReceived
            ? socket.CloseOutputAsync(result.CloseStatus ?? WebSocketCloseStatus.Empty, result.CloseStatusDescription, cancellationToken)
            : Task.CompletedTask;

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
                    await AnswerCloseAsync(socket, result, cancellationToken).ConfigureAwait(false);
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

    /// <summary>The broadcast room: whole messages, sent to every client in the order they arrived.</summary>
    private sealed class Broadcaster
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<System.Net.WebSockets.WebSocket, SemaphoreSlim> _clients = [];

        public async Task ServeAsync(System.Net.WebSockets.WebSocket socket, CancellationToken cancellationToken)
        {
            // Not disposed: a broadcast may still hold it after the client has left (it has no wait handle to free).
            var sending = new SemaphoreSlim(1);
            lock (_lock)
            {
                _clients.Add(socket, sending);
            }

            var message = new ArrayBufferWriter<byte>();
            try
            {
                while (true)
                {
                    ValueWebSocketReceiveResult result = await socket.ReceiveAsync(message.GetMemory(16 * 1024), cancellationToken).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    message.Advance(result.Count);
                    if (result.EndOfMessage)
                    {
                        await SendToAllAsync(message.WrittenMemory.ToArray(), result.MessageType, cancellationToken).ConfigureAwait(false);
                        message.ResetWrittenCount();
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                return; // the client went away without closing
            }
            finally
            {
                lock (_lock)
                {
                    _clients.Remove(socket);
                }
            }

            await sending.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (socket.State == WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.Empty, socket.CloseStatusDescription, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // Gone before our close got out.
            }
            finally
            {
                sending.Release();
            }
        }

        private async Task SendToAllAsync(byte[] payload, WebSocketMessageType type, CancellationToken cancellationToken)
        {
            KeyValuePair<System.Net.WebSockets.WebSocket, SemaphoreSlim>[] clients;
            lock (_lock)
            {
                clients = [.. _clients];
            }

            foreach ((System.Net.WebSockets.WebSocket client, SemaphoreSlim sending) in clients)
            {
                await sending.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (client.State == WebSocketState.Open)
                    {
                        await client.SendAsync(payload, type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // One client failing does not stop the others from hearing the message.
                }
                finally
                {
                    sending.Release();
                }
            }
        }
    }

    /// <summary>A host lifetime that leaves the console's signals alone.</summary>
    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
