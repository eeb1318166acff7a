using System.Buffers.Binary;
using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Whatwg;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>
/// Receive backpressure (<see cref="WebSocketOptions.MaxUndeliveredBytes"/>): when listeners fall behind, the
/// socket stops reading, so the server's writes stall instead of our memory growing; when they catch up, every
/// message arrives, in order, intact. While reading is paused, keep-alive does not mistake the pause for a dead
/// peer.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ReceiveBackpressureTests(ITestOutputHelper output)
{
    private const int MessageSize = 64 * 1024;
    private const int MessageCount = 512;               // 32 MiB from the server in all
    private const long TotalBytes = (long)MessageSize * MessageCount;
    private const long Undelivered = 256 * 1024;

    /// <summary>
    /// The server floods <see cref="MessageCount"/> binary messages (each starts with its index, then that index's
    /// byte repeated), counting what the kernel took; then sends Close 1000 and answers pings until our Close.
    /// </summary>
    private sealed class FloodServer : IAsyncDisposable
    {
        private long _written;

        public FloodServer()
        {
            Server = ScriptedServer.Start(async conn =>
            {
                await FailureEventLog.AcceptAsync(conn);
                conn.ReadTimeout = TimeSpan.FromSeconds(20);
                conn.Socket.SendBufferSize = 64 * 1024; // what stalls is then mostly what the client holds
                for (int i = 0; i < MessageCount; i++)
                {
                    byte[] frame = ScriptedServer.Frame(0x2, Message(i));
                    await conn.WriteAsync(frame);
                    Interlocked.Add(ref _written, MessageSize);
                }

                await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
                while (true)
                {
                    Frame frame = await conn.ReadFrameAsync();
                    if (frame.Opcode == 0x9)
                    {
                        await conn.WriteAsync(ScriptedServer.Frame(0xA, frame.Payload));
                    }
                    else if (frame.IsClose)
                    {
                        ClientClose = frame;
                        return;
                    }
                }
            });
        }

        public ScriptedServer Server { get; }

        /// <summary>Message payload bytes the server's kernel has accepted so far.</summary>
        public long Written => Interlocked.Read(ref _written);

        public Frame? ClientClose { get; private set; }

        public ValueTask DisposeAsync() => Server.DisposeAsync();

        /// <summary>Waits until <see cref="Written"/> has not moved for <paramref name="still"/>; returns it.</summary>
        public async Task<long> WaitUntilStalledAsync(TimeSpan still, TimeSpan atMost)
        {
            DateTime giveUp = DateTime.UtcNow + atMost;
            long last = -1;
            DateTime lastChange = DateTime.UtcNow;
            while (DateTime.UtcNow < giveUp)
            {
                long now = Written;
                if (now != last)
                {
                    (last, lastChange) = (now, DateTime.UtcNow);
                }
                else if (DateTime.UtcNow - lastChange >= still)
                {
                    return now;
                }

                await Task.Delay(50);
            }

            return Written;
        }
    }

    private static byte[] Message(int index)
    {
        byte[] payload = new byte[MessageSize];
        payload.AsSpan(4).Fill((byte)index);
        BinaryPrimitives.WriteInt32BigEndian(payload, index);
        return payload;
    }

    private static WebSocketOptions Options(long maxUndelivered, TimeSpan? keepAlive = null)
    {
        WebSocketOptions options = FailureEventLog.Options();
        options.MaxUndeliveredBytes = maxUndelivered;
        options.Compression = null;
        if (keepAlive is TimeSpan every)
        {
            options.KeepAliveInterval = every;
            options.KeepAliveTimeout = every;
        }

        return options;
    }

    /// <summary>
    /// Opens a socket whose first message listener blocks until <paramref name="release"/> is set, so every
    /// later message waits undelivered.
    /// </summary>
    private static (WebSocket Socket, FailureEventLog Log) OpenBlocked(FloodServer server, WebSocketOptions options, ManualResetEventSlim release)
    {
        WebSocket ws = EventGate.Hold(() => new WebSocket(server.Server.BaseUri, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        ws.MessageReceived += (_, _) => release.Wait(TimeSpan.FromSeconds(30));
        gate.Release();
        return (ws, log);
    }

    private static void AssertAllMessagesInOrder(FailureEventLog log)
    {
        IReadOnlyList<MessageEvent> messages = log.Messages;
        Assert.Equal(MessageCount, messages.Count);
        for (int i = 0; i < MessageCount; i++)
        {
            byte[] bytes = messages[i].Bytes;
            Assert.Equal(MessageSize, bytes.Length);
            Assert.Equal(i, BinaryPrimitives.ReadInt32BigEndian(bytes));
            Assert.True(bytes.AsSpan(4).IndexOfAnyExcept((byte)i) < 0, $"message {i} is corrupt");
        }
    }

    [Fact]
    public async Task Slow_listeners_stop_reading_so_the_server_stalls_and_nothing_is_lost()
    {
        await using var server = new FloodServer();
        using var release = new ManualResetEventSlim(false);
        (WebSocket ws, FailureEventLog log) = OpenBlocked(server, Options(Undelivered), release);
        await using (ws)
        {
            await log.WaitForOpenAsync();

            // With the first listener blocked, what the server gets out is bounded by our limit plus the kernel's
            // socket buffers (the server's send buffer is 64 KiB), far below the 32 MiB it wants to send.
            long stalledAt = await server.WaitUntilStalledAsync(TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(10));
            output.WriteLine($"server stalled after {stalledAt / 1024} KiB of {TotalBytes / 1024} KiB; limit {Undelivered / 1024} KiB undelivered");
            Assert.True(stalledAt < 8 * 1024 * 1024, $"the server wrote {stalledAt} of {TotalBytes} bytes while our listener was blocked");
            Assert.Single(log.Messages);

            release.Set();
            CloseEvent close = await log.WaitForCloseAsync(TimeSpan.FromSeconds(20));
            Assert.True(close.WasClean, close.ToString());
            Assert.Equal(1000, close.Code);
            AssertAllMessagesInOrder(log);
            Assert.Equal(TotalBytes, server.Written);
            await server.Server.Completion.WaitAsync(FailureEventLog.Wait);
            FailureEventLog.AssertCloseFrame(server.ClientClose, 1000);
        }
    }

    [Fact]
    public async Task Without_a_limit_the_same_flood_is_read_in_full_while_listeners_wait()
    {
        // The counterpart of the test above: it shows the stall there comes from the limit, not from the kernel.
        await using var server = new FloodServer();
        using var release = new ManualResetEventSlim(false);
        (WebSocket ws, FailureEventLog log) = OpenBlocked(server, Options(long.MaxValue), release);
        await using (ws)
        {
            await log.WaitForOpenAsync();
            DateTime giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (server.Written < TotalBytes && DateTime.UtcNow < giveUp)
            {
                await Task.Delay(50);
            }

            output.WriteLine($"server wrote {server.Written / 1024} KiB of {TotalBytes / 1024} KiB with no limit");
            Assert.Equal(TotalBytes, server.Written);
            Assert.Single(log.Messages); // all of it read while the listener still held the first message

            release.Set();
            CloseEvent close = await log.WaitForCloseAsync(TimeSpan.FromSeconds(20));
            Assert.True(close.WasClean, close.ToString());
            AssertAllMessagesInOrder(log);
        }
    }

    [Fact]
    public async Task Keep_alive_does_not_fail_a_live_peer_while_reading_is_paused_for_listeners()
    {
        // Keep-alive every 200 ms, and listeners blocked for 1.5 s: the pongs (and the flood) wait unread in the
        // kernel, which says nothing about the server. The connection must survive and deliver everything.
        await using var server = new FloodServer();
        using var release = new ManualResetEventSlim(false);
        (WebSocket ws, FailureEventLog log) = OpenBlocked(server, Options(Undelivered, TimeSpan.FromMilliseconds(200)), release);
        await using (ws)
        {
            await log.WaitForOpenAsync();
            await server.WaitUntilStalledAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10));
            await Task.Delay(1000);
            Assert.Null(log.Error);

            release.Set();
            CloseEvent close = await log.WaitForCloseAsync(TimeSpan.FromSeconds(20));
            Assert.Null(log.Error);
            Assert.True(close.WasClean, $"{close} ({close.Failure?.Failure}: {close.Failure?.Message})");
            Assert.Equal(1000, close.Code);
            AssertAllMessagesInOrder(log);
        }
    }
}
