using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>An in-process Kestrel on 127.0.0.1 and a free port, running one request handler.</summary>
public sealed class KestrelServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>ws://127.0.0.1:PORT/</summary>
    public string Url { get; }

    public static Task<KestrelServer> StartAsync(RequestDelegate handler) => StartAsync(handler, tls: null, requireClientCertificate: false);

    /// <summary>With <paramref name="tls"/>, serves wss:// with that certificate (and asks for a client certificate if told to).</summary>
    public static async Task<KestrelServer> StartAsync(RequestDelegate handler, X509Certificate2? tls, bool requireClientCertificate)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (tls is not null)
            {
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = tls,
                    ClientCertificateMode = requireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.NoCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                });
            }
        }));
        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.Run(handler);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return new KestrelServer(app, $"{(tls is null ? "ws" : "wss")}://127.0.0.1:{address.Port}/");
    }

    /// <summary>Echoes every message (text and binary) and answers the close.</summary>
    public static Task<KestrelServer> StartEchoAsync() => StartAsync(async context =>
    {
        using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(result.CloseStatus ?? System.Net.WebSockets.WebSocketCloseStatus.Empty, result.CloseStatusDescription, default);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, default);
        }
    });

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
    }
}

/// <summary>
/// A raw TCP server on 127.0.0.1 that completes a correct RFC 6455 opening handshake for one client and then
/// runs a script on the connection (write crafted frames, drop the connection, ...).
/// </summary>
public sealed class RawWebSocketServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _serving;

    private RawWebSocketServer(Func<NetworkStream, Socket, Task> script)
    {
        _listener.Start();
        _serving = ServeAsync(script);
    }

    public string Url => $"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

    public static RawWebSocketServer Start(Func<NetworkStream, Socket, Task> script) => new(script);

    /// <summary>Sec-WebSocket-Accept for a key (RFC 6455 §4.2.2).</summary>
    public static string AcceptKey(string key) =>
#pragma warning disable CA5350 // RFC 6455 prescribes SHA-1 for the accept key; it is not used for security here.
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350

    /// <summary>An unmasked server frame with a payload under 126 bytes.</summary>
    public static byte[] Frame(byte firstByte, byte[] payload) => [firstByte, (byte)payload.Length, .. payload];

    private async Task ServeAsync(Func<NetworkStream, Socket, Task> script)
    {
        try
        {
            using Socket socket = await _listener.AcceptSocketAsync();
            using var stream = new NetworkStream(socket, ownsSocket: false);
            string request = await ReadHeadAsync(stream);
            string key = request.Split("\r\n")
                .Select(line => line.Split(':', 2))
                .Where(parts => parts.Length == 2 && parts[0].Trim().Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase))
                .Select(parts => parts[1].Trim())
                .Single();
            string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + $"Sec-WebSocket-Accept: {AcceptKey(key)}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
            await script(stream, socket);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The client went away or the listener was stopped.
        }
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                throw new IOException("the client closed before the end of the request head");
            }

            head.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. head]);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _serving;
        _listener.Dispose();
    }
}

/// <summary>
/// A minimal HTTP proxy on 127.0.0.1: CONNECT host:port opens a tunnel; an absolute-form request
/// (GET http://host:port/path) is rewritten to origin form and forwarded. It remembers the request lines it saw.
/// </summary>
public sealed class HttpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];

    public HttpProxy()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public System.Collections.Concurrent.ConcurrentQueue<string> RequestLines { get; } = new();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                Socket client = await _listener.AcceptSocketAsync();
                lock (_connections)
                {
                    _connections.Add(ServeAsync(client));
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                using var clientStream = new NetworkStream(client, ownsSocket: false);
                string head = await ReadHeadAsync(clientStream);
                string requestLine = head[..head.IndexOf("\r\n", StringComparison.Ordinal)];
                RequestLines.Enqueue(requestLine);
                string[] parts = requestLine.Split(' ');
                Uri target = parts[0] == "CONNECT" ? new Uri("tcp://" + parts[1]) : new Uri(parts[1]);
                using var upstream = new TcpClient();
                await upstream.ConnectAsync(target.Host, target.Port);
                NetworkStream upstreamStream = upstream.GetStream();
                if (parts[0] == "CONNECT")
                {
                    await clientStream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray());
                }
                else
                {
                    string rewritten = $"{parts[0]} {target.PathAndQuery} {parts[2]}" + head[requestLine.Length..];
                    await upstreamStream.WriteAsync(Encoding.ASCII.GetBytes(rewritten));
                }

                Task up = clientStream.CopyToAsync(upstreamStream).ContinueWith(_ => upstream.Client.Shutdown(SocketShutdown.Send), TaskScheduler.Default);
                Task down = upstreamStream.CopyToAsync(clientStream).ContinueWith(_ => client.Shutdown(SocketShutdown.Send), TaskScheduler.Default);
                await Task.WhenAll(up, down);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or UriFormatException)
            {
                // One side went away.
            }
        }
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                throw new IOException("the client closed before the end of the request head");
            }

            head.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. head]);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _accepting;
        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAny(Task.WhenAll(open), Task.Delay(2000));
        _listener.Dispose();
    }
}
