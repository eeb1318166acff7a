using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Tests.Failures;

/// <summary>
/// Every way a server can botch the opening handshake fails the connection: error, then close 1006,
/// never an open event (RFC 6455 §4.1; WHATWG "establish a WebSocket connection").
/// </summary>
public sealed class HandshakeFailureTests
{
    private static readonly TimeSpan s_wait = FailureEventLog.Wait;

    /// <summary>Runs a server that answers the request with <paramref name="respond"/>'s text, and returns the failure.</summary>
    private static async Task<WebSocketFailureException> RunRejectedAsync(
        Func<HandshakeRequest, string> respond,
        WebSocketFailure failure,
        string? fragment,
        IEnumerable<string>? protocols = null)
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(respond(request));
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(3));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, protocols, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        WebSocketFailureException cause = log.AssertFailed(opened: false, failure, fragment, closeCodeSent: null);
        Assert.Equal(string.Empty, ws.Protocol);
        Assert.Equal(string.Empty, ws.Extensions);
        return cause;
    }

    private static string Switching(params string[] headers) => ScriptedServer.ResponseText("HTTP/1.1 101 Switching Protocols", headers);

    [Fact]
    public async Task Bad_accept_key_fails()
    {
        await RunRejectedAsync(
            req => Switching("Upgrade: websocket", "Connection: Upgrade", $"Sec-WebSocket-Accept: {ScriptedServer.ComputeAccept("not-the-key")}"),
            WebSocketFailure.HandshakeFailed,
            "Sec-WebSocket-Accept");
    }

    [Fact]
    public async Task Missing_accept_key_fails()
    {
        await RunRejectedAsync(
            req => Switching("Upgrade: websocket", "Connection: Upgrade"),
            WebSocketFailure.HandshakeFailed,
            "Sec-WebSocket-Accept");
    }

    [Fact]
    public async Task Switching_protocols_without_upgrade_header_fails()
    {
        await RunRejectedAsync(
            req => Switching("Connection: Upgrade", $"Sec-WebSocket-Accept: {ScriptedServer.ComputeAccept(req.Key)}"),
            WebSocketFailure.HandshakeFailed,
            "Upgrade");
    }

    [Fact]
    public async Task Switching_protocols_to_h2c_fails()
    {
        await RunRejectedAsync(
            req => Switching("Upgrade: h2c", "Connection: Upgrade", $"Sec-WebSocket-Accept: {ScriptedServer.ComputeAccept(req.Key)}"),
            WebSocketFailure.HandshakeFailed,
            "Upgrade: websocket");
    }

    [Fact]
    public async Task Switching_protocols_without_connection_upgrade_fails()
    {
        await RunRejectedAsync(
            req => Switching("Upgrade: websocket", $"Sec-WebSocket-Accept: {ScriptedServer.ComputeAccept(req.Key)}"),
            WebSocketFailure.HandshakeFailed,
            "Connection: Upgrade");
    }

    [Fact]
    public async Task Unoffered_subprotocol_fails()
    {
        string? offered = null;
        await RunRejectedAsync(
            req =>
            {
                offered = req["Sec-WebSocket-Protocol"];
                return ScriptedServer.AcceptText(req, protocol: "b");
            },
            WebSocketFailure.HandshakeFailed,
            "subprotocol",
            protocols: ["a"]);
        Assert.Equal("a", offered);
    }

    [Fact]
    public async Task Subprotocol_when_none_offered_fails()
    {
        string? offered = "unset";
        await RunRejectedAsync(
            req =>
            {
                offered = req["Sec-WebSocket-Protocol"];
                return ScriptedServer.AcceptText(req, protocol: "chat");
            },
            WebSocketFailure.HandshakeFailed,
            "subprotocol");
        Assert.Null(offered);
    }

    [Fact]
    public async Task Unoffered_extension_fails()
    {
        await RunRejectedAsync(
            req =>
            {
                // Answer with an extension the client did not offer: permessage-deflate unless it was offered.
                bool offersDeflate = req.Extensions.Any(e => e.Split(';')[0].Trim().Equals("permessage-deflate", StringComparison.OrdinalIgnoreCase));
                return ScriptedServer.AcceptText(req, extensions: offersDeflate ? "x-unknown-ext" : "permessage-deflate");
            },
            WebSocketFailure.HandshakeFailed,
            "extension");
    }

    [Fact]
    public async Task Forbidden_fails_with_status_code()
    {
        WebSocketFailureException cause = await RunRejectedAsync(
            req => ScriptedServer.ResponseText("HTTP/1.1 403 Forbidden", "Content-Length: 0"),
            WebSocketFailure.HandshakeFailed,
            "403");
        Assert.Equal(403, cause.HandshakeStatusCode);
    }

    [Fact]
    public async Task Redirect_is_not_followed()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            await conn.ReadHandshakeAsync();
            int port = ((IPEndPoint)conn.Socket.LocalEndPoint!).Port;
            await conn.WriteAsync(ScriptedServer.ResponseText(
                "HTTP/1.1 302 Found", $"Location: http://127.0.0.1:{port}/elsewhere", "Content-Length: 0"));
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(3));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        WebSocketFailureException cause = log.AssertFailed(opened: false, WebSocketFailure.HandshakeFailed, "redirect", closeCodeSent: null);
        Assert.Equal(302, cause.HandshakeStatusCode);

        // A followed redirect would show up as a second connection to the same server.
        await Task.Delay(300);
        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task Ok_instead_of_switching_protocols_fails()
    {
        WebSocketFailureException cause = await RunRejectedAsync(
            req => ScriptedServer.ResponseText("HTTP/1.1 200 OK", "Content-Length: 0"),
            WebSocketFailure.HandshakeFailed,
            "200");
        Assert.Equal(200, cause.HandshakeStatusCode);
    }

    [Fact]
    public async Task Garbage_response_fails()
    {
        WebSocketFailureException cause = await RunRejectedAsync(
            req => "SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n\r\n",
            WebSocketFailure.HandshakeFailed,
            "handshake");
        Assert.False(string.IsNullOrWhiteSpace(cause.Message));
    }

    [Fact]
    public async Task Server_closing_after_the_request_fails()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            await conn.ReadHandshakeAsync();

            // Returning sends FIN without any response.
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        Assert.Equal(["error", "close"], log.Types);
        WebSocketFailureException cause = Assert.IsType<ErrorEvent>(log.Error).Exception;
        Assert.True(
            cause.Failure is WebSocketFailure.HandshakeFailed or WebSocketFailure.ConnectFailed,
            $"unexpected failure {cause.Failure}: {cause.Message}");
        log.AssertFailed(opened: false, cause.Failure, fragment: null, closeCodeSent: null);
        Assert.False(string.IsNullOrWhiteSpace(cause.Message));
    }

    [Fact]
    public async Task Connection_refused_fails_with_connect_failed()
    {
        // A port that was just free and is no longer listened on.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await using var ws = EventGate.Hold(() => new WebSocket(new Uri($"ws://127.0.0.1:{port}/"), null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();

        WebSocketFailureException cause = log.AssertFailed(opened: false, WebSocketFailure.ConnectFailed, fragment: null, closeCodeSent: null);
        Assert.False(string.IsNullOrWhiteSpace(cause.Message));
        Assert.Null(cause.HandshakeStatusCode);
    }

    [Fact]
    public async Task Unanswered_handshake_times_out()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            await conn.ReadHandshakeAsync();
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        });

        var clock = Stopwatch.StartNew();
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options(connectTimeout: TimeSpan.FromSeconds(1))), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync(TimeSpan.FromSeconds(4));
        clock.Stop();

        log.AssertFailed(opened: false, WebSocketFailure.ConnectTimeout, fragment: null, closeCodeSent: null);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Trickled_handshake_response_times_out()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            try
            {
                // About 130 bytes at one byte per 300 ms: the whole response would take over half a minute.
                await conn.WriteSlowlyAsync(ScriptedServer.Accept(request), 1, TimeSpan.FromMilliseconds(300));
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The client gave up, as it should.
            }
        });

        var clock = Stopwatch.StartNew();
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options(connectTimeout: TimeSpan.FromSeconds(1))), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync(TimeSpan.FromSeconds(4));
        clock.Stop();

        log.AssertFailed(opened: false, WebSocketFailure.ConnectTimeout, fragment: null, closeCodeSent: null);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Close_while_connecting_aborts_the_attempt()
    {
        var requestRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool clientWentAway = false;
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            await conn.ReadHandshakeAsync();
            requestRead.TrySetResult();
            clientWentAway = await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await requestRead.Task.WaitAsync(s_wait);
        Assert.Equal(WebSocketReadyState.Connecting, ws.ReadyState);

        ws.Close();
        Assert.Equal(WebSocketReadyState.Closing, ws.ReadyState);

        await log.WaitForCloseAsync();
        log.AssertFailed(opened: false, WebSocketFailure.ConnectAborted, fragment: null, closeCodeSent: null);

        await server.Completion.WaitAsync(s_wait);
        Assert.True(clientWentAway, "the client should drop the TCP connection of an aborted attempt");
    }
}
