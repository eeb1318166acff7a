using System.Collections.Concurrent;
using System.Text;
using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Api;

/// <summary>
/// <see cref="WebSocket.PingAsync"/> and the <see cref="WebSocket.ControlFrame"/> event (beyond the WHATWG API),
/// against the Node <c>ws</c> peer (which reports every ping and pong it sees), Kestrel, and scripted servers
/// for the orders a real peer will not produce on demand.
/// </summary>
[Collection(NodeWsCollection.Name)]
public sealed class PingTests(NodeWsServerFixture node)
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task PingAsync_reaches_the_server_and_completes_on_its_pong()
    {
        await using var socket = new WebSocket(node.Url("/pingpong").ToString(), null, TestOptions.Quiet());
        var frames = new ControlFrameLog(socket);
        var log = new EventLog(socket);
        await log.OpenedAsync();

        TimeSpan rtt = await socket.PingAsync("probe-1"u8.ToArray()).WaitAsync(s_wait);

        Assert.True(rtt > TimeSpan.Zero && rtt < s_wait, $"round trip {rtt}");
        await log.MessagesAsync(1);
        Assert.Equal("ping " + Convert.ToHexStringLower("probe-1"u8), log.Messages[0].Text);
        await frames.WaitForAsync(2);
        Assert.Equal(["sent ping probe-1", "received pong probe-1"], frames.Lines);
        socket.Close(1000);
        Assert.True((await log.ClosedAsync()).WasClean);
    }

    [Fact]
    public async Task Server_ping_is_answered_and_both_frames_are_reported()
    {
        await using var socket = new WebSocket(node.Url("/pingpong?ping=hello").ToString(), null, TestOptions.Quiet());
        var frames = new ControlFrameLog(socket);
        var log = new EventLog(socket);
        await log.OpenedAsync();

        // The server reports the pong it got as a text message: our automatic answer carried its data back.
        await log.MessagesAsync(1);
        Assert.Equal("pong " + Convert.ToHexStringLower("hello"u8), log.Messages[0].Text);
        await frames.WaitForAsync(2);
        Assert.Equal(["received ping hello", "sent pong hello"], frames.Lines);
        socket.Close(1000);
        Assert.True((await log.ClosedAsync()).WasClean);
    }

    [Fact]
    public async Task Empty_ping_and_125_bytes_both_round_trip_through_kestrel()
    {
        await using var kestrel = await KestrelServer.StartAsync();
        await using var socket = new WebSocket(kestrel.Url("/echo").ToString(), null, TestOptions.Quiet());
        var frames = new ControlFrameLog(socket);
        await socket.WhenOpen.WaitAsync(s_wait);

        byte[] largest = new byte[125];
        new Random(125).NextBytes(largest);
        Task<TimeSpan> empty = socket.PingAsync(ReadOnlyMemory<byte>.Empty);
        Task<TimeSpan> full = socket.PingAsync(largest);
        await Task.WhenAll(empty, full).WaitAsync(s_wait);

        await frames.WaitForAsync(4);
        ControlFrameEvent[] pongs = [.. frames.Events.Where(e => e.Kind == ControlFrameKind.Pong)];
        Assert.Equal(2, pongs.Length);
        Assert.All(pongs, p => Assert.Equal(FrameDirection.Received, p.Direction));
        Assert.Equal(0, pongs[0].Data.Length);
        Assert.True(largest.AsSpan().SequenceEqual(pongs[1].Data.Span));
        socket.Close(1000);
        Assert.True((await socket.WhenClosed.WaitAsync(s_wait)).WasClean);
    }

    [Fact]
    public async Task A_pong_answers_its_ping_and_every_earlier_one()
    {
        var seen = new List<string>();
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request));

            // Three pings arrive; only the last is answered, as RFC 6455 §5.5.3 allows.
            for (int i = 0; i < 3; i++)
            {
                Frame ping = await conn.ReadFrameAsync();
                Assert.Equal(0x9, ping.Opcode);
                Assert.True(ping.WasMasked);
                seen.Add(ping.Text);
            }

            await conn.WriteAsync(ScriptedServer.Frame(0xA, seen[^1]));
            await conn.ReadFrameAsync(); // the client's Close
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
        });

        await using var socket = new WebSocket(server.BaseUri, null, TestOptions.Quiet());
        await socket.WhenOpen.WaitAsync(s_wait);
        Task<TimeSpan>[] pings = [socket.PingAsync("a"u8.ToArray()), socket.PingAsync("b"u8.ToArray()), socket.PingAsync("c"u8.ToArray())];

        await Task.WhenAll(pings).WaitAsync(s_wait);
        Assert.Equal(["a", "b", "c"], seen);
        socket.Close(1000);
        Assert.True((await socket.WhenClosed.WaitAsync(s_wait)).WasClean);
        await server.Completion.WaitAsync(s_wait);
    }

    [Fact]
    public async Task Unsolicited_and_mismatched_pongs_complete_nothing_and_do_no_harm()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request));
            await conn.WriteAsync(ScriptedServer.Frame(0xA, "unasked"));
            Frame ping = await conn.ReadFrameAsync();
            await conn.WriteAsync(ScriptedServer.Frame(0xA, "not-" + ping.Text));
            await conn.WriteAsync(ScriptedServer.Frame(0x1, "still here"));
            await conn.ReadFrameAsync(); // the client's Close
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
        });

        await using var socket = EventGate.Hold(() => new WebSocket(server.BaseUri, null, TestOptions.Quiet()), out EventGate gate);
        var frames = new ControlFrameLog(socket);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        Task<TimeSpan> ping = socket.PingAsync("x"u8.ToArray());

        await log.MessagesAsync(1);
        Assert.False(ping.IsCompleted);
        socket.Close(1000);
        CloseEvent closed = await log.ClosedAsync();
        Assert.True(closed.WasClean);

        // Nothing answered the ping before the socket closed: the task says so instead of hanging.
        InvalidStateErrorException error = await Assert.ThrowsAsync<InvalidStateErrorException>(() => ping.WaitAsync(s_wait));
        Assert.Contains("closed before the server answered", error.Message);
        Assert.Equal(["received pong unasked", "sent ping x", "received pong not-x"], frames.Lines);
    }

    [Fact]
    public async Task Ping_without_data_sends_unique_bytes_that_an_unsolicited_empty_pong_cannot_answer()
    {
        var seen = new List<byte[]>();
        var emptyPongSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answerNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request));
            seen.Add((await conn.ReadFrameAsync()).Payload);
            seen.Add((await conn.ReadFrameAsync()).Payload);
            await conn.WriteAsync(ScriptedServer.Frame(0xA, Array.Empty<byte>())); // a heartbeat pong, unasked
            emptyPongSent.TrySetResult();
            await answerNow.Task;
            await conn.WriteAsync(ScriptedServer.Frame(0xA, seen[1]));
            await conn.ReadFrameAsync(); // the client's Close
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
        });

        await using var socket = EventGate.Hold(() => new WebSocket(server.BaseUri, null, TestOptions.Quiet()), out EventGate gate);
        var frames = new ControlFrameLog(socket);
        gate.Release();
        await socket.WhenOpen.WaitAsync(s_wait);
        Task<TimeSpan> first = socket.PingAsync();
        Task<TimeSpan> second = socket.PingAsync();
        await emptyPongSent.Task.WaitAsync(s_wait);
        await frames.WaitForAsync(3); // two pings sent, the empty pong received

        Assert.False(first.IsCompleted || second.IsCompleted);
        answerNow.TrySetResult();
        await Task.WhenAll(first, second).WaitAsync(s_wait);
        Assert.All(seen, data => Assert.Equal(8, data.Length));
        Assert.False(seen[0].AsSpan().SequenceEqual(seen[1]));
        socket.Close(1000);
        Assert.True((await socket.WhenClosed.WaitAsync(s_wait)).WasClean);
    }

    [Fact]
    public async Task A_pong_for_a_cancelled_or_keep_alive_ping_still_answers_the_pings_before_it()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request));

            // The test's own pings carry one byte, keep-alive pings eight. On a slow machine a keep-alive ping can
            // come before "a" or "c": it is answered at once, which changes nothing below.
            async Task<Frame> NextOwnPingAsync()
            {
                while (true)
                {
                    Frame frame = await conn.ReadFrameAsync();
                    if (frame.Opcode != 0x9 || frame.Payload.Length != 8)
                    {
                        return frame;
                    }

                    await conn.WriteAsync(ScriptedServer.Frame(0xA, frame.Payload));
                }
            }

            // "a", then "b" (whose wait the client cancels): only "b" is answered.
            await NextOwnPingAsync();
            Frame b = await NextOwnPingAsync();
            await cancelled.Task;
            await conn.WriteAsync(ScriptedServer.Frame(0xA, b.Payload));

            // "c", then a keep-alive ping: only the keep-alive ping is answered.
            await NextOwnPingAsync();
            Frame keepAlive = await conn.ReadFrameAsync();
            Assert.Equal(8, keepAlive.Payload.Length);
            await conn.WriteAsync(ScriptedServer.Frame(0xA, keepAlive.Payload));
            await conn.ReadFrameAsync(); // the client's Close
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
        });

        await using var socket = new WebSocket(server.BaseUri, null, TestOptions.Quiet(o => o.KeepAliveInterval = TimeSpan.FromMilliseconds(300)));
        await socket.WhenOpen.WaitAsync(s_wait);
        using var cancel = new CancellationTokenSource();
        Task<TimeSpan> a = socket.PingAsync("a"u8.ToArray());
        Task<TimeSpan> b = socket.PingAsync("b"u8.ToArray(), cancel.Token);
        await cancel.CancelAsync();
        cancelled.TrySetResult();
        await a.WaitAsync(s_wait);
        Assert.True(b.IsCanceled);

        // Sent right after a's pong, "c" waits; the keep-alive ping follows about 300 ms of quiet later.
        await socket.PingAsync("c"u8.ToArray()).WaitAsync(s_wait);
        socket.Close(1000);
        Assert.True((await socket.WhenClosed.WaitAsync(s_wait)).WasClean);
    }

    [Fact]
    public async Task Cancelling_stops_the_wait_but_not_the_ping()
    {
        var pingSeen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request));
            pingSeen.TrySetResult((await conn.ReadFrameAsync()).Text);
            await conn.ReadFrameAsync(); // the client's Close
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
        });

        await using var socket = new WebSocket(server.BaseUri, null, TestOptions.Quiet());
        await socket.WhenOpen.WaitAsync(s_wait);
        using var cancel = new CancellationTokenSource();
        Task<TimeSpan> ping = socket.PingAsync("late"u8.ToArray(), cancel.Token);
        Assert.Equal("late", await pingSeen.Task.WaitAsync(s_wait));

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ping.WaitAsync(s_wait));
        Assert.True(ping.IsCanceled);
        socket.Close(1000);
        Assert.True((await socket.WhenClosed.WaitAsync(s_wait)).WasClean);
    }

    [Fact]
    public async Task Keep_alive_pings_are_reported_as_sent()
    {
        await using var socket = new WebSocket(node.Url("/pingpong").ToString(), null, new WebSocketOptions
        {
            KeepAliveInterval = TimeSpan.FromMilliseconds(100),
            KeepAliveTimeout = TimeSpan.FromSeconds(10),
        });
        var frames = new ControlFrameLog(socket);
        await socket.WhenOpen.WaitAsync(s_wait);

        await frames.WaitForAsync(2);
        ControlFrameEvent ping = frames.Events[0];
        Assert.Equal((ControlFrameKind.Ping, FrameDirection.Sent, 8), (ping.Kind, ping.Direction, ping.Data.Length));
        Assert.Equal((ControlFrameKind.Pong, FrameDirection.Received), (frames.Events[1].Kind, frames.Events[1].Direction));
        Assert.True(ping.Data.Span.SequenceEqual(frames.Events[1].Data.Span));
        socket.Close(1000);
        await socket.WhenClosed.WaitAsync(s_wait);
    }

    [Fact]
    public async Task Bad_calls_are_refused_with_specific_errors()
    {
        // Events held by the gate: the socket stays CONNECTING (its open task cannot run) however fast it connects.
        await using var socket = EventGate.Hold(() => new WebSocket(node.Url("/echo").ToString(), null, TestOptions.Quiet()), out EventGate gate);

        // CONNECTING: as Send, an InvalidStateError thrown at once.
        Assert.Equal(WebSocketReadyState.Connecting, socket.ReadyState);
        Assert.Throws<InvalidStateErrorException>(() => { _ = socket.PingAsync(); });

        gate.Release();
        await socket.WhenOpen.WaitAsync(s_wait);
        ArgumentOutOfRangeException tooBig = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = socket.PingAsync(new byte[126]); });
        Assert.Contains("125", tooBig.Message);

        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync();
            Assert.True(socket.PingAsync(default, cancelled.Token).IsCanceled);
        }

        socket.Close(1000);
        await socket.WhenClosed.WaitAsync(s_wait);
        InvalidStateErrorException closed = await Assert.ThrowsAsync<InvalidStateErrorException>(() => socket.PingAsync());
        Assert.Contains("Closed", closed.Message);
    }

    [Fact]
    public async Task Frames_arrive_in_order_with_messages()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request));
            await conn.WriteAsync([
                .. ScriptedServer.Frame(0x1, "one"),
                .. ScriptedServer.Frame(0x9, "p1"),
                .. ScriptedServer.Frame(0x1, "two", fin: false),
                .. ScriptedServer.Frame(0x9, "p2"),
                .. ScriptedServer.Frame(0x0, "!", fin: true),
                .. ScriptedServer.CloseFrame(1000),
            ]);
            while (!(await conn.ReadFrameAsync()).IsClose)
            {
            }
        });

        await using var socket = EventGate.Hold(() => new WebSocket(server.BaseUri, null, TestOptions.Quiet()), out EventGate gate);
        var order = new ConcurrentQueue<string>();
        socket.MessageReceived += (_, e) => order.Enqueue("message " + e.Text);
        socket.ControlFrame += (_, e) => order.Enqueue($"{e.Direction} {e.Type} {Encoding.UTF8.GetString(e.Data.Span)}");
        gate.Release();

        Assert.True((await socket.WhenClosed.WaitAsync(s_wait)).WasClean);
        Assert.Equal(
            ["message one", "Received ping p1", "Sent pong p1", "Received ping p2", "Sent pong p2", "message two!"],
            order.ToArray());
    }

    /// <summary>Records control frame events as "sent ping DATA" lines (DATA as UTF-8).</summary>
    private sealed class ControlFrameLog
    {
        private readonly ConcurrentQueue<ControlFrameEvent> _events = new();

        public ControlFrameLog(WebSocket socket) => socket.ControlFrame += (_, e) => _events.Enqueue(e);

        public IReadOnlyList<ControlFrameEvent> Events => [.. _events];

        public IReadOnlyList<string> Lines =>
            [.. _events.Select(e => $"{(e.Direction == FrameDirection.Sent ? "sent" : "received")} {e.Type} {Encoding.UTF8.GetString(e.Data.Span)}")];

        public async Task WaitForAsync(int count)
        {
            var deadline = DateTime.UtcNow + s_wait;
            while (_events.Count < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"waited for {count} control frames, saw {_events.Count}");
                await Task.Delay(10);
            }
        }
    }
}
