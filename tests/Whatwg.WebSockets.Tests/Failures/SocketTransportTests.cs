using System.Net;
using System.Net.Sockets;
using System.Text;
using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Tests.Failures;

/// <summary>
/// The raw-socket HTTP/1.1 upgrade: the exact request it writes, the strict reading of the response
/// head, and the bytes a server sends right behind its 101.
/// </summary>
public sealed class SocketTransportTests
{
    private static readonly TimeSpan s_wait = FailureEventLog.Wait;

    /// <summary>Runs a server that answers with <paramref name="respond"/>'s bytes and returns the failure the client reported.</summary>
    private static async Task<WebSocketFailureException> RunRejectedAsync(Func<HandshakeRequest, byte[]> respond, string fragment)
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(respond(request));
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(3));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);
        return log.AssertFailed(opened: false, WebSocketFailure.HandshakeFailed, fragment, closeCodeSent: null);
    }

    private static string AcceptHeaders(HandshakeRequest request) =>
        $"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ScriptedServer.ComputeAccept(request.Key)}\r\n";

    [Fact]
    public async Task First_frames_in_the_same_write_as_the_101_are_delivered()
    {
        Frame? echo = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            byte[] packet = [
                .. ScriptedServer.Accept(request),
                .. ScriptedServer.Frame(0x1, "first"),
                .. ScriptedServer.Frame(0x2, new byte[] { 1, 2, 3 }),
                .. ScriptedServer.Frame(0x1, "third"),
            ];
            await conn.WriteAsync(packet);
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000, "bye"));
            echo = await conn.ReadFrameAsync();
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        Assert.Equal("first", (await log.ReceiveAsync()).Text);
        Assert.Equal(new byte[] { 1, 2, 3 }, (await log.ReceiveAsync()).Bytes);
        Assert.Equal("third", (await log.ReceiveAsync()).Text);
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        FailureEventLog.AssertCloseFrame(echo, 1000);
        log.AssertClean(1000, "bye");
    }

    [Fact]
    public async Task A_response_trickled_byte_by_byte_with_a_frame_behind_it_is_read()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            byte[] packet = [.. ScriptedServer.Accept(request), .. ScriptedServer.Frame(0x1, "hi")];
            await conn.WriteSlowlyAsync(packet, 1, TimeSpan.FromMilliseconds(1));
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        Assert.Equal("hi", (await log.ReceiveAsync()).Text);
        Assert.Equal(["open", "message"], log.Types);
    }

    [Fact]
    public async Task Response_head_over_16_KiB_fails()
    {
        string big = "X-Padding: " + new string('a', 17 * 1024) + "\r\n";
        WebSocketFailureException cause = await RunRejectedAsync(
            req => Encoding.Latin1.GetBytes("HTTP/1.1 101 Switching Protocols\r\n" + AcceptHeaders(req) + big + "\r\n"),
            "response headers too large");
        Assert.Equal(101, cause.HandshakeStatusCode);
    }

    [Fact]
    public async Task More_than_100_header_lines_fails()
    {
        var lines = new StringBuilder();
        for (int i = 0; i < 101; i++)
        {
            lines.Append("X-H").Append(i).Append(": v\r\n");
        }

        await RunRejectedAsync(
            req => Encoding.Latin1.GetBytes("HTTP/1.1 101 Switching Protocols\r\n" + AcceptHeaders(req) + lines + "\r\n"),
            "response headers too large");
    }

    [Fact]
    public async Task Http_1_0_101_fails()
    {
        WebSocketFailureException cause = await RunRejectedAsync(
            req => Encoding.Latin1.GetBytes("HTTP/1.0 101 Switching Protocols\r\n" + AcceptHeaders(req) + "\r\n"),
            "not a valid HTTP/1.1 response");
        Assert.Null(cause.HandshakeStatusCode);
    }

    [Fact]
    public async Task Header_line_without_a_colon_fails()
    {
        await RunRejectedAsync(
            req => Encoding.Latin1.GetBytes("HTTP/1.1 101 Switching Protocols\r\n" + AcceptHeaders(req) + "X-No-Colon here\r\n\r\n"),
            "without a colon");
    }

    [Fact]
    public async Task Folded_header_line_fails()
    {
        await RunRejectedAsync(
            req => Encoding.Latin1.GetBytes("HTTP/1.1 101 Switching Protocols\r\n" + AcceptHeaders(req) + "X-Folded: a\r\n b\r\n\r\n"),
            "obs-fold");
    }

    [Fact]
    public async Task Header_name_with_a_space_before_the_colon_fails()
    {
        await RunRejectedAsync(
            req => Encoding.Latin1.GetBytes("HTTP/1.1 101 Switching Protocols\r\n" + AcceptHeaders(req) + "X-Bad : a\r\n\r\n"),
            "not a valid token");
    }

    [Fact]
    public async Task Continue_is_not_waited_past()
    {
        WebSocketFailureException cause = await RunRejectedAsync(
            req => Encoding.Latin1.GetBytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n" + AcceptHeaders(req) + "\r\n"),
            "100");
        Assert.Equal(100, cause.HandshakeStatusCode);
    }

    [Fact]
    public async Task Response_ended_before_the_blank_line_fails()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync("HTTP/1.1 101 Switching Protocols\r\n" + AcceptHeaders(request));
            conn.Close();
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(3));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);
        log.AssertFailed(opened: false, WebSocketFailure.HandshakeFailed, "closed the connection during the handshake", closeCodeSent: null);
    }

    [Fact]
    public async Task Request_is_written_exactly_in_order()
    {
        HandshakeRequest? seen = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            seen = await FailureEventLog.AcceptAsync(conn, protocol: "b");
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
            await conn.ReadFrameAsync();
        });

        WebSocketOptions options = FailureEventLog.Options();
        options.Origin = "https://example.com";
        options.RequestHeaders["X-Test"] = "one two";
        await using var ws = EventGate.Hold(() => new WebSocket(server.Url("/chat/room?x=1&y"), ["a", "b"], options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);
        log.AssertClean(1000, string.Empty);
        Assert.Equal("b", ws.Protocol);

        Assert.NotNull(seen);
        string expected =
            "GET /chat/room?x=1&y HTTP/1.1\r\n" +
            $"Host: 127.0.0.1:{server.Port}\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {seen.Key}\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Protocol: a, b\r\n" +
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
            "Origin: https://example.com\r\n" +
            "X-Test: one two\r\n" +
            "\r\n";
        Assert.Equal(expected, seen.Raw);
        Assert.Equal(16, Convert.FromBase64String(seen.Key).Length);
    }

    [Fact]
    public async Task Host_header_names_a_non_default_port()
    {
        HandshakeRequest? seen = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            seen = await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
            await conn.ReadFrameAsync();
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);
        log.AssertClean(1000, string.Empty);
        Assert.Equal($"127.0.0.1:{server.Port}", seen!["Host"]);
    }

    [IPv6LoopbackFact]
    public async Task Host_header_for_an_IPv6_literal_keeps_the_brackets()
    {
        using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        Task<HandshakeRequest> serverTask = Task.Run(async () =>
        {
            using Socket socket = await listener.AcceptSocketAsync(stopping.Token);
            using var conn = new ScriptedConnection(socket, stopping.Token);
            HandshakeRequest request = await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
            await conn.ReadFrameAsync();
            conn.Close();
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(3));
            return request;
        });

        WebSocketOptions options = FailureEventLog.Options();
        options.CollectHandshakeDetails = true;
        await using var ws = EventGate.Hold(() => new WebSocket(new Uri($"ws://[::1]:{port}/v6"), null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        HandshakeRequest seen = await serverTask.WaitAsync(s_wait);
        log.AssertClean(1000, string.Empty);
        Assert.Equal($"[::1]:{port}", seen["Host"]);
        Assert.StartsWith("GET /v6 HTTP/1.1\r\n", seen.Raw, StringComparison.Ordinal);

        // The recorded request says what was sent, brackets included.
        HandshakeDetails details = Assert.IsType<HandshakeDetails>(ws.Handshake);
        Assert.Equal("GET /v6 HTTP/1.1", details.RequestLine);
        Assert.Equal(seen.HeaderList, details.RequestHeaders);
        Assert.Equal(101, details.StatusCode);
    }

    /// <summary>A fact that is skipped, with the reason, where this machine has no IPv6 loopback.</summary>
    private sealed class IPv6LoopbackFactAttribute : FactAttribute
    {
        public IPv6LoopbackFactAttribute()
        {
            if (!HasIPv6Loopback())
            {
                Skip = "this machine has no IPv6 loopback ([::1] cannot be bound)";
            }
        }

        private static bool HasIPv6Loopback()
        {
            if (!Socket.OSSupportsIPv6)
            {
                return false;
            }

            try
            {
                using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }
}
