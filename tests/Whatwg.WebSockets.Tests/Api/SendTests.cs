using System.Text;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Api;

/// <summary>WHATWG send() and bufferedAmount against Kestrel (wpt websockets/Send-*.any.js, bufferedAmount-*.any.js).</summary>
[Collection(KestrelCollection.Name)]
public sealed class SendTests(KestrelFixture kestrel)
{
    [Fact]
    public async Task Send_WhileConnecting_ThrowsInvalidStateError()
    {
        // A server that reads the handshake and never answers keeps the socket CONNECTING.
        await using var server = Peers.ScriptedServer.Start(async conn =>
        {
            await conn.ReadHandshakeAsync();
            await Task.Delay(TimeSpan.FromSeconds(5), conn.Stopping);
        });
        await using var socket = new WebSocket(server.Url("/").ToString(), null, TestOptions.Quiet());
        var error = Assert.Throws<InvalidStateErrorException>(() => socket.Send("x"));
        Assert.Equal("InvalidStateError", error.Name);
        Assert.IsAssignableFrom<InvalidOperationException>(error);
        Assert.Throws<InvalidStateErrorException>(() => socket.Send(new byte[] { 1 }));
        Assert.Throws<InvalidStateErrorException>(() => socket.Send(new Blob([1, 2])));
        Assert.Equal(0, socket.BufferedAmount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Hello, World")]
    [InlineData("Ünïcödé ☃ 𝄞")]
    public async Task SendText_Echo_ArrivesUnchanged(string text)
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Send(text);
        await log.MessagesAsync(1);
        MessageEvent message = log.Messages[0];
        Assert.True(message.IsText);
        Assert.Equal(text, message.Data);
    }

    [Fact]
    public async Task SendText_LoneSurrogate_IsSentAsReplacementCharacter()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Send("a\uD800b");   // Send-unpaired-surrogates: USVString conversion
        await log.MessagesAsync(1);
        Assert.Equal("a\uFFFDb", log.Messages[0].Text);
    }

    [Fact]
    public async Task SendBinary_EveryOverload_ArrivesUnchanged()
    {
        await using var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        socket.BinaryType = BinaryType.ArrayBuffer;
        var log = new EventLog(socket);
        await log.OpenedAsync();
        byte[] data = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        socket.Send(data);
        socket.Send(new ArraySegment<byte>(data, 2, 3));
        socket.Send(data.AsMemory(5));
        socket.Send(new ReadOnlySpan<byte>(data, 0, 0));
        socket.Send(new Blob(data).Slice(-2));
        await log.MessagesAsync(5);
        IReadOnlyList<MessageEvent> messages = log.Messages;
        Assert.Equal(data, (byte[])messages[0].Data);
        Assert.Equal(new byte[] { 2, 3, 4 }, messages[1].Bytes);
        Assert.Equal(new byte[] { 5, 6, 7, 8, 9 }, messages[2].Bytes);
        Assert.Empty(messages[3].Bytes);
        Assert.Equal(new byte[] { 8, 9 }, messages[4].Bytes);
    }

    [Fact]
    public async Task Send_ArrayReusedRightAfterSend_SendsTheOriginalBytes()
    {
        await using var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        socket.BinaryType = BinaryType.ArrayBuffer;
        var log = new EventLog(socket);
        await log.OpenedAsync();
        byte[] buffer = [1, 1, 1];
        socket.Send(buffer);
        buffer.AsSpan().Fill(9);
        await log.MessagesAsync(1);
        Assert.Equal(new byte[] { 1, 1, 1 }, log.Messages[0].Bytes);
    }

    [Fact]
    public async Task BufferedAmount_GrowsOnSendByUtf8Length_AndDrainsToZero()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/silent"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();

        // Sends from the event thread and this one race the write loop, so what we can assert exactly is
        // the upper bound right after queueing and the drain to zero.
        string text = "ü€";                       // 2 + 3 UTF-8 bytes, 2 UTF-16 chars
        socket.Send(text);
        socket.Send(new byte[7]);
        Assert.InRange(socket.BufferedAmount, 0, 12);
        await socket.FlushAsync().WaitAsync(EventLog.Timeout);
        Assert.Equal(0, socket.BufferedAmount);
    }

    [Fact]
    public async Task BufferedAmount_AfterClose_KeepsGrowingAndNothingIsSent()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Close();
        Assert.Equal(WebSocketReadyState.Closing, socket.ReadyState);
        socket.Send("12345");                         // bufferedAmount-unchanged... the spec: increase it
        socket.Send(new byte[10]);
        Assert.Equal(15, socket.BufferedAmount);
        await log.ClosedAsync();
        socket.Send("abc");
        Assert.Equal(18, socket.BufferedAmount);
        Assert.Empty(log.Messages);
    }

    [Fact]
    public async Task BufferedAmount_LargeMessageToAReader_RisesThenDrains()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        byte[] big = new byte[8 * 1024 * 1024];
        socket.Send(big);
        long right = socket.BufferedAmount;
        Assert.InRange(right, 1, big.Length);         // not yet on the network: 8 MiB cannot be written that fast
        await socket.FlushAsync().WaitAsync(EventLog.Timeout);
        Assert.Equal(0, socket.BufferedAmount);
        await log.MessagesAsync(1);
        Assert.Equal(big.Length, log.Messages[0].Bytes.Length);
    }

    [Fact]
    public async Task Send_ManyMessagesThenClose_AllArriveInOrderBeforeTheClose()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        const int Count = 2000;
        for (int i = 0; i < Count; i++)
        {
            socket.Send(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await log.MessagesAsync(Count);
        socket.Close(1000, "done");
        CloseEvent close = await log.ClosedAsync();
        Assert.True(close.WasClean);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), log.Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task Send_FromManyThreadsAtOnce_EveryMessageIntact()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        const int Threads = 8, PerThread = 250;
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                socket.Send($"{t}:{i}:" + new string((char)('a' + t), 100 + i));
            }
        })));
        await log.MessagesAsync(Threads * PerThread);
        var perThread = log.Messages.Select(m => m.Text.Split(':')).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Select(p => p).ToList());
        Assert.Equal(Threads, perThread.Count);
        foreach (var (thread, parts) in perThread)
        {
            // Messages of one thread keep their order, and no two messages' frames interleave.
            Assert.Equal(Enumerable.Range(0, PerThread).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), parts.Select(p => p[1]));
            Assert.All(parts, p => Assert.Equal(new string((char)('a' + int.Parse(thread, System.Globalization.CultureInfo.InvariantCulture)), 100 + int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)), p[2]));
        }
    }

    [Fact]
    public async Task Send_PastMaxBufferedAmount_FailsTheConnectionAsFull()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/silent"), null, TestOptions.Quiet(o => o.MaxBufferedAmount = 1024 * 1024)), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();

        // The server never reads, so once the kernel's buffers are full the queue can only grow. Sending
        // 64 MiB at once passes the 1 MiB limit whatever the socket buffers absorb.
        byte[] chunk = new byte[256 * 1024];
        for (int i = 0; i < 256; i++)
        {
            socket.Send(chunk);
        }

        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["open", "error", "close"], log.Types);
        var error = (ErrorEvent)log.Events[1].Event;
        Assert.Equal(WebSocketFailure.BufferFull, error.Exception.Failure);
        Assert.Equal(1006, close.Code);
        Assert.False(close.WasClean);
    }

    [Fact]
    public async Task FlushAsync_WhileConnecting_ThrowsInvalidStateError()
    {
        await using var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        Assert.Throws<InvalidStateErrorException>(() => { _ = socket.FlushAsync(); });
        await socket.WhenOpen.WaitAsync(EventLog.Timeout);
        await socket.FlushAsync().WaitAsync(EventLog.Timeout);
    }

    [Fact]
    public async Task SendBlob_Text_ArrivesAsBinaryWithTheBlobsBytes()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Send(new Blob(["héllo", new byte[] { 0xFF }], "text/PLAIN"));
        await log.MessagesAsync(1);
        Blob received = Assert.IsType<Blob>(log.Messages[0].Data);
        Assert.Equal(7, received.Size);
        Assert.Equal([.. Encoding.UTF8.GetBytes("héllo"), 0xFF], await received.ArrayBufferAsync());
    }
}
