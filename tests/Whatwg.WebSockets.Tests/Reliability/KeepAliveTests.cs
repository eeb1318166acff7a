using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Whatwg;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>
/// Keep-alive against a stalled peer: a server that stops reading and writing but never sends FIN or RST,
/// so TCP alone never notices. After <see cref="WebSocketOptions.KeepAliveInterval"/> without incoming data
/// we ping; without a pong (or any data) within <see cref="WebSocketOptions.KeepAliveTimeout"/> the connection
/// is failed: error, then close 1006, cause <see cref="WebSocketFailure.KeepAliveTimeout"/>.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class KeepAliveTests(ITestOutputHelper output)
{
    /// <summary>Slack above interval + timeout for a loaded 2-core machine; detection earlier than the sum is a bug.</summary>
    private static readonly TimeSpan s_slack = TimeSpan.FromSeconds(3);

    private static WebSocketOptions KeepAlive(int intervalMs, int timeoutMs)
    {
        WebSocketOptions options = FailureEventLog.Options();
        options.KeepAliveInterval = TimeSpan.FromMilliseconds(intervalMs);
        options.KeepAliveTimeout = TimeSpan.FromMilliseconds(timeoutMs);
        return options;
    }

    /// <summary>
    /// A server that answers the handshake, optionally runs <paramref name="before"/>, then stalls (reads nothing,
    /// writes nothing, no FIN, no RST) until <paramref name="stallUntil"/> completes, and finally reports whether
    /// the client had dropped TCP.
    /// </summary>
    private static ScriptedServer StalledServer(Task stallUntil, Action<bool> clientDropped, Func<ScriptedConnection, Task>? before = null) =>
        ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            if (before is not null)
            {
                await before(conn);
            }

            await stallUntil.WaitAsync(TimeSpan.FromSeconds(15), conn.Stopping);
            clientDropped(await conn.WaitForCloseAsync(TimeSpan.FromSeconds(3)));
        });

    [Fact]
    public void Defaults_are_a_20_s_interval_and_a_20_s_timeout()
    {
        var options = new WebSocketOptions();
        Assert.Equal(TimeSpan.FromSeconds(20), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(20), options.KeepAliveTimeout);
    }

    [Theory]
    [InlineData(300, 700)]
    [InlineData(700, 300)]
    public async Task Stalled_peer_is_failed_after_interval_plus_timeout(int intervalMs, int timeoutMs)
    {
        bool dropped = false;
        var closeSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = StalledServer(closeSeen.Task, d => dropped = d);
        TimeSpan expected = TimeSpan.FromMilliseconds(intervalMs + timeoutMs);

        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri,
            KeepAlive(intervalMs, timeoutMs),
            drive: null,
            check: log =>
            {
                closeSeen.TrySetResult();
                log.AssertFailed(opened: true, WebSocketFailure.KeepAliveTimeout, "pong", closeCodeSent: null);
            },
            closeWait: expected + s_slack + TimeSpan.FromSeconds(2));
        await server.Completion.WaitAsync(FailureEventLog.Wait);

        TimeSpan detected = figures.OpenToClose!.Value;
        output.WriteLine($"interval {intervalMs} ms + timeout {timeoutMs} ms = {expected.TotalMilliseconds} ms; detected after {detected.TotalMilliseconds:0} ms");
        ScenarioRun.AssertDetectedInTime(figures, expected, s_slack);
        Assert.True(dropped, "the client should have dropped the TCP connection to the dead peer");
        output.WriteLine(await ScenarioRun.AssertNoLeakAsync(figures, server.Port));
    }

    [Fact]
    public async Task Stalled_peer_is_failed_even_while_we_keep_sending()
    {
        // Outgoing data proves nothing about the peer: only incoming bytes count as a sign of life.
        const int IntervalMs = 400;
        const int TimeoutMs = 600;
        bool dropped = false;
        int sends = 0;
        var closeSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = StalledServer(closeSeen.Task, d => dropped = d);

        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri,
            KeepAlive(IntervalMs, TimeoutMs),
            drive: async log =>
            {
                await log.WaitForOpenAsync();
                while (!log.Closed.IsCompleted && sends < 400)
                {
                    log.Socket.Send(new byte[1024]);
                    sends++;
                    await Task.Delay(25);
                }
            },
            check: log =>
            {
                closeSeen.TrySetResult();
                log.AssertFailed(opened: true, WebSocketFailure.KeepAliveTimeout, "pong", closeCodeSent: null);
            },
            closeWait: TimeSpan.FromSeconds(8));
        await server.Completion.WaitAsync(FailureEventLog.Wait);

        TimeSpan expected = TimeSpan.FromMilliseconds(IntervalMs + TimeoutMs);
        TimeSpan detected = figures.OpenToClose!.Value;
        output.WriteLine($"sending 1 KiB every 25 ms ({sends} sends); expected {expected.TotalMilliseconds} ms; detected after {detected.TotalMilliseconds:0} ms");
        ScenarioRun.AssertDetectedInTime(figures, expected, s_slack);
        await server.Completion.WaitAsync(FailureEventLog.Wait); // the server's handler sets 'dropped' once it sees our FIN
        Assert.True(dropped);
        output.WriteLine(await ScenarioRun.AssertNoLeakAsync(figures, server.Port));
    }

    [Fact]
    public async Task Peer_that_stalls_after_traffic_is_failed_counting_from_its_last_bytes()
    {
        const int IntervalMs = 500;
        const int TimeoutMs = 500;
        bool dropped = false;
        long lastMessageAt = 0;
        var closeSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = StalledServer(
            closeSeen.Task,
            d => dropped = d,
            before: async conn =>
            {
                for (int echoed = 0; echoed < 3;)
                {
                    Frame frame = await conn.ReadFrameAsync();
                    if (frame.Opcode == 0x1)
                    {
                        await conn.WriteAsync(ScriptedServer.Frame(0x1, frame.Payload));
                        echoed++;
                    }
                }
            });

        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri,
            KeepAlive(IntervalMs, TimeoutMs),
            drive: async log =>
            {
                await log.WaitForOpenAsync();
                for (int i = 0; i < 3; i++)
                {
                    // Spread over more than one interval: the echoes keep the connection alive meanwhile.
                    await Task.Delay(300);
                    log.Socket.Send($"echo {i}");
                    Assert.Equal($"echo {i}", (await log.ReceiveAsync()).Text);
                }

                lastMessageAt = System.Diagnostics.Stopwatch.GetTimestamp();
            },
            check: log =>
            {
                closeSeen.TrySetResult();
                Assert.Equal(["open", "message", "message", "message", "error", "close"], log.Types);
                ErrorEvent error = Assert.IsType<ErrorEvent>(log.Error);
                Assert.Equal(WebSocketFailure.KeepAliveTimeout, error.Exception.Failure);
                CloseEvent close = Assert.IsType<CloseEvent>(log.Close);
                Assert.Equal(1006, close.Code);
                Assert.False(close.WasClean);
                Assert.Same(error.Exception, close.Failure);
            },
            closeWait: TimeSpan.FromSeconds(8));
        await server.Completion.WaitAsync(FailureEventLog.Wait);

        TimeSpan expected = TimeSpan.FromMilliseconds(IntervalMs + TimeoutMs);
        TimeSpan total = figures.OpenToClose!.Value;
        output.WriteLine($"open for {total.TotalMilliseconds:0} ms; 3 echoes over ~900 ms, then silence; expected detection {expected.TotalMilliseconds} ms after the last echo");
        // Measured from before the constructor, which cannot be late (the open event's listener can run late).
        Assert.True(figures.StartToClose > TimeSpan.FromMilliseconds(900) + expected - TimeSpan.FromMilliseconds(100), $"failed too early: {figures.StartToClose.TotalMilliseconds:0} ms after the constructor");
        await server.Completion.WaitAsync(FailureEventLog.Wait); // the server's handler sets 'dropped' once it sees our FIN
        Assert.True(dropped);
        output.WriteLine(await ScenarioRun.AssertNoLeakAsync(figures, server.Port));
    }

    [Fact]
    public async Task Peer_that_sends_data_but_never_pongs_is_kept()
    {
        // Documented rule (WebSocketConnection): data that arrives after a ping proves the peer alive as well as a pong would.
        int pings = 0;
        Frame? clientClose = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(conn.Stopping);
            Task ticker = Task.Run(async () =>
            {
                try
                {
                    for (int i = 0; !stop.IsCancellationRequested; i++)
                    {
                        await conn.WriteAsync(ScriptedServer.Frame(0x1, $"tick {i}"));
                        await Task.Delay(250, stop.Token);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
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
                    await stop.CancelAsync();
                    await ticker;
                    await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
                    return;
                }
            }
        });

        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri,
            // Without the rule the first unanswered ping would fail the connection ~1.2 s after open, well inside the
            // 3 s watched; with it only a gap of over a second between two ticks (250 ms apart) could, so a slow machine
            // does not fail the test.
            KeepAlive(200, 1000),
            drive: async log =>
            {
                await log.WaitForOpenAsync();
                await Task.Delay(TimeSpan.FromSeconds(3));
                Assert.Equal(WebSocketReadyState.Open, log.Socket.ReadyState);
                log.Socket.Close(1000);
            },
            check: log => log.AssertClean(1000, string.Empty),
            closeWait: FailureEventLog.Wait);
        await server.Completion.WaitAsync(FailureEventLog.Wait);

        FailureEventLog.AssertCloseFrame(clientClose, 1000);
        Assert.True(Volatile.Read(ref pings) >= 2, $"with 250 ms between messages and a 200 ms interval the client should have pinged, saw {pings}");
        output.WriteLine($"3 s with data every 250 ms and no pongs (interval 200 ms, timeout 1 s): stayed open; pings seen {pings}");
        output.WriteLine(await ScenarioRun.AssertNoLeakAsync(figures, server.Port));
    }

    [Fact]
    public async Task A_protocol_error_waiting_for_slow_listeners_is_reported_as_itself_not_as_keep_alive()
    {
        // The server sends a message, then a frame with a reserved opcode. Before failing with 1002 the client lets
        // its listener see the message; the listener takes 1.2 s, during which nothing is read. Keep-alive at
        // 200 + 200 ms must not mistake that wait for a dead server.
        Frame? clientClose = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync(ScriptedServer.Frame(0x1, "before"));
            await conn.WriteAsync(ScriptedServer.Frame(0x3, "reserved opcode"));
            clientClose = await conn.ReadFrameAsync();
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        });

        WebSocketOptions options = KeepAlive(200, 200);
        options.CloseTimeout = TimeSpan.FromSeconds(5);
        WebSocket ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options), out EventGate gate);
        await using (ws)
        {
            var log = new FailureEventLog(ws);
            ws.MessageReceived += (_, _) => Thread.Sleep(1200);
            gate.Release();
            await log.WaitForCloseAsync(TimeSpan.FromSeconds(8));
            await server.Completion.WaitAsync(FailureEventLog.Wait);

            Assert.Equal(["open", "message", "error", "close"], log.Types);
            Assert.Equal("before", log.Messages[0].Text);
            ErrorEvent error = Assert.IsType<ErrorEvent>(log.Error);
            Assert.Equal(WebSocketFailure.ProtocolViolation, error.Exception.Failure);
            Assert.Equal(1002, error.Exception.CloseCodeSent);
            FailureEventLog.AssertCloseFrame(clientClose, 1002);
        }
    }
}
