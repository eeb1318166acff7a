using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Whatwg.WebSockets.Tests.Peers;

// The library under test has a WebSocket and a WebSocketOptions of its own; here we mean ASP.NET Core's.
using WebSocket = System.Net.WebSockets.WebSocket;
using WebSocketOptions = Microsoft.AspNetCore.Builder.WebSocketOptions;

/// <summary>
/// In-process ASP.NET Core (Kestrel) WebSocket peer on 127.0.0.1 with a random port.
/// Paths:
/// <list type="bullet">
/// <item>/echo: echoes each message with its type, then answers the client's close with the same code and reason
/// (an empty close frame is answered with 1000).</item>
/// <item>/close?code=4001&amp;reason=bye: closes first (no code: 1000).</item>
/// <item>/subprotocol: sends the selected subprotocol ("" if none) as a text message, then echoes.</item>
/// <item>/headers: sends {"url": ..., "headers": {lower-case name: value}} as a text message, then echoes.</item>
/// <item>/send?text=..: sends one text message, then waits for the client's close and answers it.</item>
/// <item>/silent: accepts, then neither reads nor writes until the client goes away.</item>
/// <item>/reject?status=403: answers that status without upgrading.</item>
/// <item>/redirect: 302 to /echo.</item>
/// <item>/custom: accepts and runs the handler given to <see cref="StartAsync"/>.</item>
/// </list>
/// On every upgrading path the subprotocol is ?pick=NAME when NAME was offered, none when NAME was not
/// offered, and otherwise the first offered one. ?deflate=on|nocontext|9..15 accepts permessage-deflate. Messages up to <see cref="MaxMessageSize"/> bytes are accepted.
/// </summary>
public sealed class KestrelServer : IAsyncDisposable
{
    public const int MaxMessageSize = 128 * 1024 * 1024;

    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(30);

    private readonly Func<WebSocket, HttpContext, Task>? _custom;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Exception> _customErrors = [];
    private WebApplication? _app;

    private KestrelServer(Func<WebSocket, HttpContext, Task>? custom) => _custom = custom;

    /// <summary>ws://127.0.0.1:port/</summary>
    public Uri BaseUri { get; private set; } = null!;

    public int Port => BaseUri.Port;

    /// <summary>Exceptions thrown by the /custom handler so far.</summary>
    public IReadOnlyList<Exception> CustomHandlerErrors
    {
        get
        {
            lock (_customErrors)
            {
                return [.. _customErrors];
            }
        }
    }

    public Uri Url(string pathAndQuery) => new(BaseUri, pathAndQuery);

    /// <summary>Starts the server; <paramref name="custom"/> runs for each WebSocket accepted at /custom.</summary>
    public static async Task<KestrelServer> StartAsync(
        Func<WebSocket, HttpContext, Task>? custom = null, CancellationToken cancellationToken = default)
    {
        var server = new KestrelServer(custom);
        try
        {
            await server.StartCoreAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));

        _app = builder.Build();
        _app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        _app.Run(HandleAsync);
        await _app.StartAsync(cancellationToken);

        string address = _app.Services.GetRequiredService<IServer>().Features
            .GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseUri = new Uri($"ws://127.0.0.1:{new Uri(address).Port}/");
    }

    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string path = request.Path.Value ?? "/";
        switch (path)
        {
            case "/reject":
                context.Response.StatusCode = int.Parse(request.Query["status"].FirstOrDefault() ?? "403", CultureInfo.InvariantCulture);
                return;
            case "/redirect":
                context.Response.StatusCode = StatusCodes.Status302Found;
                context.Response.Headers.Location = "/echo";
                return;
            case "/echo" or "/close" or "/subprotocol" or "/headers" or "/send" or "/silent" or "/custom":
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        string? protocol = SelectSubprotocol(context);
        // ?deflate=on accepts permessage-deflate when offered; ?deflate=nocontext also disables the server's
        // context takeover; ?deflate=N (9-15) limits the server's window.
        string? deflate = request.Query["deflate"].FirstOrDefault();
        using WebSocket ws = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = protocol,
            KeepAliveInterval = TimeSpan.Zero,
            DangerousEnableCompression = deflate is not null,
            DisableServerContextTakeover = deflate == "nocontext",
            ServerMaxWindowBits = int.TryParse(deflate, NumberStyles.None, CultureInfo.InvariantCulture, out int bits) ? bits : 15,
        });
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, context.RequestAborted);
        CancellationToken ct = aborted.Token;

        try
        {
            switch (path)
            {
                case "/echo":
                    await EchoAsync(ws, ct);
                    break;
                case "/close":
                    await CloseFirstAsync(ws, request, ct);
                    break;
                case "/subprotocol":
                    await SendTextAsync(ws, protocol ?? "", ct);
                    await EchoAsync(ws, ct);
                    break;
                case "/headers":
                    await SendTextAsync(ws, HeadersJson(request), ct);
                    await EchoAsync(ws, ct);
                    break;
                case "/send":
                    await SendTextAsync(ws, request.Query["text"].FirstOrDefault() ?? "", ct);
                    await EchoAsync(ws, ct, echo: false);
                    break;
                case "/silent":
                    await Task.Delay(Timeout.Infinite, ct);
                    break;
                case "/custom":
                    await RunCustomAsync(ws, context);
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away or the server is stopping.
        }
        catch (WebSocketException)
        {
            // The client broke the connection; that is what many tests do on purpose.
        }
    }

    private async Task RunCustomAsync(WebSocket ws, HttpContext context)
    {
        if (_custom is null)
        {
            await ws.CloseOutputAsync(WebSocketCloseStatus.InternalServerError, "no custom handler", _stopping.Token);
            return;
        }

        try
        {
            await _custom(ws, context);
        }
        catch (Exception ex)
        {
            lock (_customErrors)
            {
                _customErrors.Add(ex);
            }

            throw;
        }
    }

    private static string? SelectSubprotocol(HttpContext context)
    {
        IList<string> offered = context.WebSockets.WebSocketRequestedProtocols;
        string? pick = context.Request.Query["pick"].FirstOrDefault();
        if (pick is not null)
        {
            return offered.Contains(pick) ? pick : null;
        }

        return offered.Count > 0 ? offered[0] : null;
    }

    private static string HeadersJson(HttpRequest request)
    {
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in request.Headers)
        {
            headers[header.Key.ToLowerInvariant()] = header.Value.ToString();
        }

        string url = request.Path.Value + request.QueryString.Value;
        return JsonSerializer.Serialize(new Dictionary<string, object> { ["url"] = url, ["headers"] = headers });
    }

    private static Task SendTextAsync(WebSocket ws, string text, CancellationToken ct) =>
        ws.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct);

    /// <summary>Echoes (or discards) messages until the client's close, then answers it with the same code and reason.</summary>
    private static async Task EchoAsync(WebSocket ws, CancellationToken ct, bool echo = true)
    {
        byte[] buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult result = await ws.ReceiveAsync(buffer.AsMemory(), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // An empty close frame from the client shows up here as NormalClosure, so it is answered with 1000.
                WebSocketCloseStatus status = ws.CloseStatus is null or WebSocketCloseStatus.Empty
                    ? WebSocketCloseStatus.NormalClosure
                    : ws.CloseStatus.Value;
                await ws.CloseOutputAsync(status, ws.CloseStatusDescription, ct);
                return;
            }

            message.Write(buffer, 0, result.Count);
            if (message.Length > MaxMessageSize)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", ct);
                return;
            }

            if (result.EndOfMessage)
            {
                if (echo)
                {
                    await ws.SendAsync(message.GetBuffer().AsMemory(0, (int)message.Length), result.MessageType, endOfMessage: true, ct);
                }

                message.SetLength(0);
            }
        }
    }

    private static async Task CloseFirstAsync(WebSocket ws, HttpRequest request, CancellationToken ct)
    {
        // No code means 1000: System.Net.WebSockets would put 1005 on the wire for WebSocketCloseStatus.Empty.
        string? code = request.Query["code"].FirstOrDefault();
        var status = (WebSocketCloseStatus)(code is null ? 1000 : int.Parse(code, CultureInfo.InvariantCulture));
        string reason = request.Query["reason"].FirstOrDefault() ?? "";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(s_closeTimeout);
        await ws.CloseAsync(status, reason, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Connections that did not finish in time are dropped by DisposeAsync below.
            }

            await _app.DisposeAsync();
        }

        _stopping.Dispose();
    }
}
