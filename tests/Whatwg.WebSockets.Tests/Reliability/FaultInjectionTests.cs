using System.Diagnostics;
using System.Net.Sockets;
using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Peers;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>
/// Faults injected by the scripted raw-TCP server at every stage of a connection. Each scenario checks the
/// events and codes, that nothing hangs (every wait is bounded), and that nothing leaks: no client socket
/// to the server's port stays open, and the <see cref="WebSocket"/> becomes collectable (no timer or I/O
/// loop still holds it).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class FaultInjectionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_wait = FailureEventLog.Wait;

    private static bool IsDisconnect(Exception ex) =>
        ex is SocketException or IOException or EndOfStreamException or ObjectDisposedException or OperationCanceledException;

    private async Task FinishAsync(ScriptedServer server, ScenarioFigures figures, string what)
    {
        await server.Completion.WaitAsync(s_wait);
        output.WriteLine($"{what}: close after {figures.StartToClose.TotalMilliseconds:0} ms");
        output.WriteLine(await ScenarioRun.AssertNoLeakAsync(figures, server.Port));
    }

    [Fact]
    public async Task Drop_during_the_handshake_response_fails_the_connection()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            byte[] response = ScriptedServer.Accept(request);
            await conn.WriteAsync(response.AsMemory(0, response.Length / 2));

            // Returning sends FIN halfway through the response head.
        });

        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri, FailureEventLog.Options(), drive: null,
            check: log => log.AssertFailed(opened: false, WebSocketFailure.HandshakeFailed, fragment: null, closeCodeSent: null),
            closeWait: s_wait);
        await FinishAsync(server, figures, "FIN halfway through the 101");
    }

    [Fact]
    public async Task Reset_during_the_handshake_fails_the_connection()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            await conn.ReadHandshakeAsync();
            conn.Abort();
        });

        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri, FailureEventLog.Options(), drive: null,
            check: log =>
            {
                WebSocketFailureException cause = Assert.IsType<ErrorEvent>(log.Error).Exception;
                Assert.True(
                    cause.Failure is WebSocketFailure.ConnectFailed or WebSocketFailure.HandshakeFailed,
                    $"unexpected failure {cause.Failure}: {cause.Message}");
                log.AssertFailed(opened: false, cause.Failure, fragment: null, closeCodeSent: null);
            },
            closeWait: s_wait);
        await FinishAsync(server, figures, "RST after reading the request");
    }

    [Fact]
    public async Task Handshake_sent_one_byte_a_second_hits_the_connect_timeout()
    {
        bool gaveUp = false;
        int bytesSent = 0;
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            byte[] response = ScriptedServer.Accept(request);
            try
            {
                foreach (byte b in response)
                {
                    await conn.WriteAsync(new[] { b });
                    bytesSent++;
                    await Task.Delay(TimeSpan.FromSeconds(1), conn.Stopping);
                }
            }
            catch (Exception ex) when (IsDisconnect(ex))
            {
            }

            gaveUp = await conn.WaitForCloseAsync(TimeSpan.FromSeconds(1));
        });

        var connectTimeout = TimeSpan.FromSeconds(2.5);
        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri, FailureEventLog.Options(connectTimeout: connectTimeout), drive: null,
            check: log => log.AssertFailed(opened: false, WebSocketFailure.ConnectTimeout, "2.5 s", closeCodeSent: null),
            closeWait: TimeSpan.FromSeconds(10));
        await server.Completion.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.InRange(figures.StartToClose, connectTimeout - TimeSpan.FromMilliseconds(100), connectTimeout + TimeSpan.FromSeconds(3));
        Assert.True(gaveUp, "the server should see the client drop the connection");
        Assert.InRange(bytesSent, 1, 5);
        await FinishAsync(server, figures, $"101 at 1 byte/s, {bytesSent} bytes sent, connect timeout {connectTimeout.TotalSeconds} s");
    }

    [Fact]
    public async Task Fin_in_the_middle_of_a_frame_after_a_message_is_a_drop()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync(ScriptedServer.Frame(0x1, "whole"));
            byte[] next = ScriptedServer.Frame(0x2, new byte[1000]);
            await conn.WriteAsync(next.AsMemory(0, 300));
            conn.Close();
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(4));
        });

        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri, FailureEventLog.Options(), drive: null,
            check: log =>
            {
                Assert.Equal(["open", "message", "close"], log.Types);
                Assert.Equal("whole", log.Messages[0].Text);
                CloseEvent close = Assert.IsType<CloseEvent>(log.Close);
                Assert.Equal(1006, close.Code);
                Assert.False(close.WasClean);
                Assert.Null(log.Error);
                Assert.Equal(WebSocketFailure.ConnectionLost, close.Failure?.Failure);
            },
            closeWait: s_wait);
        await FinishAsync(server, figures, "FIN 300 bytes into a 1000-byte frame");
    }

    [Fact]
    public async Task Reset_in_the_middle_of_a_frame_is_a_drop()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            byte[] frame = ScriptedServer.Frame(0x1, new string('x', 5000));
            await conn.WriteAsync(frame.AsMemory(0, 2000));
            await Task.Delay(100);
            conn.Abort();
        });

        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri, FailureEventLog.Options(), drive: null,
            check: log =>
            {
                log.AssertDropped(opened: true, WebSocketFailure.ConnectionLost, fragment: null);
                Assert.Empty(log.Messages);
            },
            closeWait: s_wait);
        await FinishAsync(server, figures, "RST 2000 bytes into a 5000-byte frame");
    }

    /// <summary>
    /// Accepts, sends the first 5 bytes of a text frame, then nothing: no more bytes, no FIN, no RST, nothing read.
    /// Once <paramref name="closeSeen"/> completes it reports whether the client dropped TCP within 3 s.
    /// </summary>
    private static ScriptedServer PartialFrameThenSilence(Task closeSeen, Action<bool> dropped) => ScriptedServer.Start(async conn =>
    {
        await FailureEventLog.AcceptAsync(conn);
        byte[] frame = ScriptedServer.Frame(0x1, "never finished");
        await conn.WriteAsync(frame.AsMemory(0, 5));
        await closeSeen.WaitAsync(TimeSpan.FromSeconds(15), conn.Stopping);
        dropped(await conn.WaitForCloseAsync(TimeSpan.FromSeconds(3)));
    });

    [Fact]
    public async Task Partial_frame_then_silence_is_caught_by_keep_alive()
    {
        const int IntervalMs = 400;
        const int TimeoutMs = 600;
        var closeSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool dropped = false;
        await using ScriptedServer server = PartialFrameThenSilence(closeSeen.Task, seen => dropped = seen);

        WebSocketOptions options = FailureEventLog.Options();
        options.KeepAliveInterval = TimeSpan.FromMilliseconds(IntervalMs);
        options.KeepAliveTimeout = TimeSpan.FromMilliseconds(TimeoutMs);
        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri, options, drive: null,
            check: log =>
            {
                closeSeen.TrySetResult();
                log.AssertFailed(opened: true, WebSocketFailure.KeepAliveTimeout, "pong", closeCodeSent: null);
                Assert.Empty(log.Messages);
            },
            closeWait: TimeSpan.FromSeconds(8));

        TimeSpan expected = TimeSpan.FromMilliseconds(IntervalMs + TimeoutMs);
        ScenarioRun.AssertDetectedInTime(figures, expected, TimeSpan.FromSeconds(3));
        await server.Completion.WaitAsync(FailureEventLog.Wait); // the server's handler sets 'dropped' once it sees our FIN
        Assert.True(dropped);
        await FinishAsync(server, figures, $"5 bytes of a frame then silence; detected {figures.OpenToClose!.Value.TotalMilliseconds:0} ms after open (interval+timeout {expected.TotalMilliseconds} ms)");
    }

    [Fact]
    public async Task Partial_frame_then_silence_without_keep_alive_is_ended_by_the_close_timeout()
    {
        var closeSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool dropped = false;
        await using ScriptedServer server = PartialFrameThenSilence(closeSeen.Task, seen => dropped = seen);

        var closeTimeout = TimeSpan.FromSeconds(1);
        long closeCalled = 0;
        long closedAt = 0;
        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri, FailureEventLog.Options(closeTimeout: closeTimeout),
            drive: async log =>
            {
                await log.WaitForOpenAsync();
                await Task.Delay(300);
                Assert.Equal(WebSocketReadyState.Open, log.Socket.ReadyState);
                closeCalled = Stopwatch.GetTimestamp();
                log.Socket.Close(1000);
                await log.WaitForCloseAsync(TimeSpan.FromSeconds(6));
                closedAt = Stopwatch.GetTimestamp();
            },
            check: log =>
            {
                closeSeen.TrySetResult();
                log.AssertDropped(opened: true, WebSocketFailure.CloseTimeout, fragment: null);
                Assert.Empty(log.Messages);
            },
            closeWait: TimeSpan.FromSeconds(6));

        TimeSpan closing = Stopwatch.GetElapsedTime(closeCalled, closedAt);
        Assert.InRange(closing, closeTimeout - TimeSpan.FromMilliseconds(100), closeTimeout + TimeSpan.FromSeconds(3));
        await server.Completion.WaitAsync(FailureEventLog.Wait); // the server's handler sets 'dropped' once it sees our FIN
        Assert.True(dropped);
        await FinishAsync(server, figures, $"5 bytes of a frame, silence, then Close(); closed {closing.TotalMilliseconds:0} ms later (close timeout {closeTimeout.TotalSeconds} s)");
    }

    [Fact]
    public async Task Server_that_never_reads_grows_buffered_amount_then_fails_as_full()
    {
        const int Chunk = 1024 * 1024;
        const long Max = 24L * Chunk;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.Socket.ReceiveBufferSize = 64 * 1024;
            await FailureEventLog.AcceptAsync(conn);

            // Never read another byte.
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20), conn.Stopping);
        });

        WebSocketOptions options = FailureEventLog.Options();
        options.MaxBufferedAmount = Max;
        options.Compression = null;
        long stalledAt = 0;
        int sends = 0;
        Task? flush = null;
        bool flushPendingWhileStalled = false;
        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri, options,
            drive: async log =>
            {
                await log.WaitForOpenAsync();
                WebSocket ws = log.Socket;
                byte[] data = new byte[Chunk];

                // 16 MiB into a peer that reads nothing: the kernel's buffers take a few MiB, the rest stays queued.
                for (; sends < 16; sends++)
                {
                    ws.Send(data);
                }

                long previous = -1;
                for (int i = 0; i < 40 && ws.BufferedAmount != previous; i++)
                {
                    previous = ws.BufferedAmount;
                    await Task.Delay(150);
                }

                stalledAt = ws.BufferedAmount;
                flush = ws.FlushAsync();
                await Task.Delay(500);
                flushPendingWhileStalled = !flush.IsCompleted;
                Assert.Equal(WebSocketReadyState.Open, ws.ReadyState);

                // Up to MaxBufferedAmount everything is still accepted...
                while (ws.BufferedAmount + Chunk <= Max)
                {
                    ws.Send(data);
                    sends++;
                }

                await Task.Delay(200);
                Assert.Equal(WebSocketReadyState.Open, ws.ReadyState);

                // ...and the send that would pass it is the spec's "full" case: the connection is failed.
                ws.Send(data);
                sends++;
            },
            check: log =>
            {
                release.TrySetResult();
                log.AssertFailed(opened: true, WebSocketFailure.BufferFull, "full", closeCodeSent: null);
            },
            closeWait: s_wait);

        output.WriteLine($"buffered {stalledAt / Chunk} MiB of 16 MiB sent to a server that never reads; flush pending: {flushPendingWhileStalled}; failed after {sends} MiB sent (max {Max / Chunk} MiB)");
        Assert.True(stalledAt >= 8L * Chunk, $"BufferedAmount should keep most of the 16 MiB a non-reading peer cannot take, was {stalledAt}");
        Assert.True(flushPendingWhileStalled, "FlushAsync must wait while the peer reads nothing");
        Assert.True(sends > Max / Chunk, $"the connection failed after only {sends} MiB, before MaxBufferedAmount could be reached");

        // The pending flush ends with the connection instead of hanging.
        Assert.NotNull(flush);
        Exception? flushError = await Record.ExceptionAsync(() => flush!.WaitAsync(s_wait));
        Assert.IsType<InvalidStateErrorException>(flushError);
        await FinishAsync(server, figures, "never-reading server");
    }

    [Fact]
    public async Task Close_frame_never_answered_is_ended_by_the_close_timeout()
    {
        Frame? clientClose = null;
        bool dropped = false;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            clientClose = await conn.ReadFrameAsync();
            dropped = await conn.WaitForCloseAsync(TimeSpan.FromSeconds(6));
        });

        var closeTimeout = TimeSpan.FromSeconds(1);
        long closeCalled = 0;
        long closedAt = 0;
        ScenarioFigures figures = await ScenarioRun.RunAsync(
            server.BaseUri, FailureEventLog.Options(closeTimeout: closeTimeout),
            drive: async log =>
            {
                await log.WaitForOpenAsync();
                closeCalled = Stopwatch.GetTimestamp();
                log.Socket.Close(1000);
                Assert.Equal(WebSocketReadyState.Closing, log.Socket.ReadyState);
                await log.WaitForCloseAsync(TimeSpan.FromSeconds(6));
                closedAt = Stopwatch.GetTimestamp();
            },
            check: log => log.AssertDropped(opened: true, WebSocketFailure.CloseTimeout, fragment: null),
            closeWait: s_wait);

        TimeSpan closing = Stopwatch.GetElapsedTime(closeCalled, closedAt);
        Assert.InRange(closing, closeTimeout - TimeSpan.FromMilliseconds(100), closeTimeout + TimeSpan.FromSeconds(3));
        FailureEventLog.AssertCloseFrame(clientClose, 1000);
        await server.Completion.WaitAsync(FailureEventLog.Wait); // the server's handler sets 'dropped' once it sees our FIN
        Assert.True(dropped);
        await FinishAsync(server, figures, $"close unanswered; closed {closing.TotalMilliseconds:0} ms after Close() (timeout {closeTimeout.TotalSeconds} s)");
    }
}
