using System.Diagnostics;
using System.Net.Sockets;
using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Tests.Failures;

/// <summary>
/// A connection that ends without a closing handshake is not "failed" in RFC 6455's sense: close 1006
/// only, no error event, and <see cref="CloseEvent.Failure"/> names the cause (docs/design.md).
/// Keep-alive timeouts, by contrast, fail the connection.
/// </summary>
public sealed class DropAndTimeoutTests
{
    private static readonly TimeSpan s_wait = FailureEventLog.Wait;

    [Fact]
    public async Task Fin_right_after_handshake_is_a_drop()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);

            // Returning sends FIN.
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        log.AssertDropped(opened: true, WebSocketFailure.ConnectionLost, "without a closing handshake");
    }

    [Fact]
    public async Task Fin_in_the_middle_of_a_frame_is_a_drop()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync([0x81, 0x05, 0x48, 0x65]); // "He" of a 5-byte text frame
            conn.Close();
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(4));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        log.AssertDropped(opened: true, WebSocketFailure.ConnectionLost, "middle of a frame");
        Assert.Empty(log.Messages);
    }

    [Fact]
    public async Task Reset_is_a_drop()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            await Task.Delay(100);
            conn.Abort();
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        log.AssertDropped(opened: true, WebSocketFailure.ConnectionLost, fragment: null);
    }

    [Fact]
    public async Task Unanswered_close_times_out()
    {
        Frame? clientClose = null;
        bool clientDroppedTcp = false;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            clientClose = await conn.ReadFrameAsync();

            // Silence: no Close frame back, no FIN; only watch the client give up.
            clientDroppedTcp = await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options(closeTimeout: TimeSpan.FromSeconds(1))), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForOpenAsync();

        var clock = Stopwatch.StartNew();
        ws.Close(1000);
        Assert.Equal(WebSocketReadyState.Closing, ws.ReadyState);
        await log.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        clock.Stop();
        await server.Completion.WaitAsync(s_wait);

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(3));
        log.AssertDropped(opened: true, WebSocketFailure.CloseTimeout, fragment: null);
        FailureEventLog.AssertCloseFrame(clientClose, 1000);
        Assert.True(clientDroppedTcp);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(-1)] // infinite: the grace is still one second
    public async Task Answered_close_without_tcp_close_is_dropped_by_us_after_a_second_and_is_clean(int closeTimeoutSeconds)
    {
        Frame? clientClose = null;
        bool clientDroppedTcp = false;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            clientClose = await conn.ReadFrameAsync();
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));

            // The closing handshake is complete, but the server never closes TCP.
            clientDroppedTcp = await conn.WaitForCloseAsync(TimeSpan.FromSeconds(8));
        });

        // A long close timeout: the grace after a completed handshake is one second, not this.
        TimeSpan closeTimeout = closeTimeoutSeconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(closeTimeoutSeconds);
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options(closeTimeout: closeTimeout)), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForOpenAsync();

        var clock = Stopwatch.StartNew();
        ws.Close(1000);
        CloseEvent close = await log.WaitForCloseAsync(TimeSpan.FromSeconds(8));
        clock.Stop();
        await server.Completion.WaitAsync(s_wait);

        Assert.True(close.WasClean, $"both Close frames were exchanged: {close} {close.Failure?.Message}");
        Assert.Equal(1000, close.Code);
        log.AssertClean(1000, string.Empty);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(5));
        FailureEventLog.AssertCloseFrame(clientClose, 1000);
        Assert.True(clientDroppedTcp);
    }

    [Fact]
    public async Task Server_close_then_waiting_for_our_tcp_close_ends_clean_within_a_second()
    {
        Frame? echoed = null;
        bool clientDroppedTcp = false;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync(ScriptedServer.CloseFrame(4001, "bye"));
            echoed = await conn.ReadFrameAsync();

            // Like servers that leave TCP to the client: wait for the client's FIN.
            clientDroppedTcp = await conn.WaitForCloseAsync(TimeSpan.FromSeconds(8));
        });

        var clock = Stopwatch.StartNew();
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options(closeTimeout: TimeSpan.FromSeconds(30))), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        CloseEvent close = await log.WaitForCloseAsync(TimeSpan.FromSeconds(8));
        clock.Stop();
        await server.Completion.WaitAsync(s_wait);

        log.AssertClean(4001, "bye");
        Assert.True(close.WasClean);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(5));
        FailureEventLog.AssertCloseFrame(echoed, 4001);
        Assert.True(clientDroppedTcp);
    }

    [Fact]
    public async Task Missing_pongs_fail_with_keep_alive_timeout()
    {
        int pings = 0;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            try
            {
                while (true)
                {
                    Frame frame = await conn.ReadFrameAsync();
                    Assert.True(frame.WasMasked);
                    if (frame.Opcode == 0x9)
                    {
                        Interlocked.Increment(ref pings); // and never answered
                    }
                }
            }
            catch (Exception ex) when (ex is EndOfStreamException or SocketException or IOException or ObjectDisposedException)
            {
                // The client dropped the connection.
            }
        });

        var options = FailureEventLog.Options();
        options.KeepAliveInterval = TimeSpan.FromMilliseconds(300);
        options.KeepAliveTimeout = TimeSpan.FromMilliseconds(500);
        var clock = Stopwatch.StartNew();
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        clock.Stop();
        await server.Completion.WaitAsync(s_wait);

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.7), TimeSpan.FromSeconds(3));
        log.AssertFailed(opened: true, WebSocketFailure.KeepAliveTimeout, "pong", closeCodeSent: null);
        Assert.True(Volatile.Read(ref pings) >= 1, "the client should have sent a keep-alive ping");
    }

    [Fact]
    public async Task Infinite_keep_alive_timeout_keeps_pinging_and_never_fails_for_silence()
    {
        int pings = 0;
        Frame? clientClose = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            while (true)
            {
                Frame frame = await conn.ReadFrameAsync();
                if (frame.Opcode == 0x9)
                {
                    Interlocked.Increment(ref pings); // never answered
                }
                else if (frame.IsClose)
                {
                    clientClose = frame;
                    await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
                    return;
                }
            }
        });

        var options = FailureEventLog.Options();
        options.KeepAliveInterval = TimeSpan.FromMilliseconds(200);
        options.KeepAliveTimeout = Timeout.InfiniteTimeSpan;
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForOpenAsync();

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(WebSocketReadyState.Open, ws.ReadyState);
        Assert.Equal(["open"], log.Types);
        Assert.True(Volatile.Read(ref pings) >= 3, $"expected pings every 200 ms while the server stays silent, got {pings}");

        ws.Close(1000);
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);
        log.AssertClean(1000, string.Empty);
        FailureEventLog.AssertCloseFrame(clientClose, 1000);
    }

    [Theory]
    [InlineData(300, 500, 3)]
    [InlineData(200, 10_000, 5)] // pings follow the interval, not the (longer) timeout
    public async Task Answered_pings_keep_the_connection_open(int intervalMs, int timeoutMs, int minimumPings)
    {
        int pongs = 0;
        Frame? clientClose = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            while (true)
            {
                Frame frame = await conn.ReadFrameAsync();
                Assert.True(frame.WasMasked);
                if (frame.Opcode == 0x9)
                {
                    await conn.WriteAsync(ScriptedServer.Frame(0xA, frame.Payload));
                    Interlocked.Increment(ref pongs);
                }
                else if (frame.IsClose)
                {
                    clientClose = frame;
                    await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
                    return;
                }
            }
        });

        var options = FailureEventLog.Options();
        options.KeepAliveInterval = TimeSpan.FromMilliseconds(intervalMs);
        options.KeepAliveTimeout = TimeSpan.FromMilliseconds(timeoutMs);
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForOpenAsync();

        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(WebSocketReadyState.Open, ws.ReadyState);
        Assert.Equal(["open"], log.Types);
        Assert.True(Volatile.Read(ref pongs) >= minimumPings, $"expected at least {minimumPings} keep-alive pings in 2 s, got {pongs}");

        ws.Close(1000);
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);
        log.AssertClean(1000, string.Empty);
        FailureEventLog.AssertCloseFrame(clientClose, 1000);
    }
}
