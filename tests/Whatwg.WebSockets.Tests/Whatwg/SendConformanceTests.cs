using System.Runtime.InteropServices;
using System.Text;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Whatwg;

/// <summary>
/// send() and bufferedAmount cases of web-platform-tests websockets/ (Send-*.any.js,
/// interfaces/WebSocket/send/*, interfaces/WebSocket/bufferedAmount/*) not already in the Api tests.
/// </summary>
[Collection(KestrelCollection.Name)]
public sealed class SendConformanceTests(KestrelFixture kestrel)
{
    private async Task<(WebSocket Socket, EventLog Log)> OpenEchoAsync(BinaryType binaryType = BinaryType.Blob)
    {
        var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        socket.BinaryType = binaryType;
        var log = new EventLog(socket);
        await log.OpenedAsync();
        return (socket, log);
    }

    private static async Task CloseCleanlyAsync(WebSocket socket, EventLog log)
    {
        socket.Close();
        CloseEvent close = await log.ClosedAsync();
        Assert.True(close.WasClean);
        Assert.DoesNotContain("error", log.Types);
    }

    [Fact]
    public async Task Send_EmptyString_BufferedAmountStaysZeroAndAnEmptyMessageIsEchoed()
    {
        // Send-0byte-data: bufferedAmount equals the data's length (0) right after send.
        (WebSocket socket, EventLog log) = await OpenEchoAsync();
        await using (socket)
        {
            socket.Send("");
            Assert.Equal(0, socket.BufferedAmount);
            await log.MessagesAsync(1);
            Assert.Equal("", log.Messages[0].Data);
            await CloseCleanlyAsync(socket, log);
        }
    }

    [Fact]
    public async Task Send_65000CharacterText_IsEchoedUnchanged()
    {
        // Send-65K-data / Secure-Send-65K-data.
        (WebSocket socket, EventLog log) = await OpenEchoAsync();
        await using (socket)
        {
            string data = new('c', 65000);
            socket.Send(data);
            await log.MessagesAsync(1);
            Assert.Equal(data, log.Messages[0].Text);
            await CloseCleanlyAsync(socket, log);
        }
    }

    [Fact]
    public async Task Send_65000ByteArrayBuffer_IsEchoedAsAnArrayBufferOfThatSize()
    {
        // Send-binary-65K-arraybuffer / Secure-Send-binary-65K-arraybuffer.
        (WebSocket socket, EventLog log) = await OpenEchoAsync(BinaryType.ArrayBuffer);
        await using (socket)
        {
            byte[] data = new byte[65000];
            new Random(65000).NextBytes(data);
            socket.Send(data);
            await log.MessagesAsync(1);
            byte[] received = Assert.IsType<byte[]>(log.Messages[0].Data);
            Assert.Equal(data, received);
            await CloseCleanlyAsync(socket, log);
        }
    }

    [Fact]
    public async Task Send_BlobOf65000ZeroBytes_IsEchoedAsABlobOfThatSize()
    {
        // Send-binary-blob / Secure-Send-binary-blob: binaryType "blob" gives a Blob of the same size.
        (WebSocket socket, EventLog log) = await OpenEchoAsync(BinaryType.Blob);
        await using (socket)
        {
            socket.Send(new Blob(new byte[65000]));
            await log.MessagesAsync(1);
            Blob received = Assert.IsType<Blob>(log.Messages[0].Data);
            Assert.Equal(65000, received.Size);
            Assert.All(await received.ArrayBufferAsync(), b => Assert.Equal(0, b));
            await CloseCleanlyAsync(socket, log);
        }
    }

    [Fact]
    public async Task Send_Int16ViewWithOffset_SendsOnlyTheBytesOfTheView()
    {
        // Send-binary-arraybufferview-int16-offset: new Int16Array(new ArrayBuffer(8), 2) is 3 elements from byte 2.
        (WebSocket socket, EventLog log) = await OpenEchoAsync(BinaryType.ArrayBuffer);
        await using (socket)
        {
            byte[] buffer = new byte[8];
            var view = new ArraySegment<byte>(buffer, 2, 6);
            Span<short> elements = MemoryMarshal.Cast<byte, short>(view.AsSpan());
            for (int i = 0; i < elements.Length; i++)
            {
                elements[i] = (short)i;
            }

            buffer[0] = buffer[1] = 0xEE;   // outside the view: must not be sent
            socket.Send(view);
            await log.MessagesAsync(1);
            byte[] received = Assert.IsType<byte[]>(log.Messages[0].Data);
            Assert.Equal(6, received.Length);
            Assert.Equal(new short[] { 0, 1, 2 }, MemoryMarshal.Cast<byte, short>(received).ToArray());
            await CloseCleanlyAsync(socket, log);
        }
    }

    [Fact]
    public async Task Send_TypedArrayViews_RoundTripTheirBytes()
    {
        // Send-binary-arraybufferview-int8 and the Secure- int32/float32/float64/uint8/uint16/uint32 offset variants.
        (WebSocket socket, EventLog log) = await OpenEchoAsync(BinaryType.ArrayBuffer);
        await using (socket)
        {
            sbyte[] int8 = [-128, -1, 0, 1, 127];
            int[] int32 = [int.MinValue, -1, 0, 1, int.MaxValue];
            float[] float32 = [-1.5f, 0f, 3.25f, float.MaxValue];
            double[] float64 = [-1.5, 0, Math.PI, double.MaxValue];
            uint[] uint32 = [0, 1, uint.MaxValue, 7];
            socket.Send(MemoryMarshal.AsBytes(int8.AsSpan()));
            socket.Send(MemoryMarshal.AsBytes(int32.AsSpan()));
            socket.Send(MemoryMarshal.AsBytes(float32.AsSpan()));
            socket.Send(MemoryMarshal.AsBytes(float64.AsSpan()));
            socket.Send(MemoryMarshal.AsBytes(uint32.AsSpan(1, 2)));   // a view with offset and length
            await log.MessagesAsync(5);
            IReadOnlyList<MessageEvent> m = log.Messages;
            Assert.Equal(int8, MemoryMarshal.Cast<byte, sbyte>(m[0].Bytes).ToArray());
            Assert.Equal(int32, MemoryMarshal.Cast<byte, int>(m[1].Bytes).ToArray());
            Assert.Equal(float32, MemoryMarshal.Cast<byte, float>(m[2].Bytes).ToArray());
            Assert.Equal(float64, MemoryMarshal.Cast<byte, double>(m[3].Bytes).ToArray());
            Assert.Equal(new uint[] { 1, uint.MaxValue }, MemoryMarshal.Cast<byte, uint>(m[4].Bytes).ToArray());
            await CloseCleanlyAsync(socket, log);
        }
    }

    [Fact]
    public async Task Send_UnpairedSurrogatesInEveryPosition_AreEachSentAsReplacementCharacter()
    {
        // interfaces/WebSocket/send/006: lone low, lone high, and a pair in the wrong order.
        (WebSocket socket, EventLog log) = await OpenEchoAsync();
        await using (socket)
        {
            socket.Send("a\uDC00xb\uD800xc\uDC00\uD800x");
            await log.MessagesAsync(1);
            Assert.Equal("a\uFFFDxb\uFFFDxc\uFFFD\uFFFDx", log.Messages[0].Text);
            await CloseCleanlyAsync(socket, log);
        }
    }

    [Fact]
    public async Task Send_PairedSurrogates_ArriveIntact()
    {
        // Send-paired-surrogates / Send-unicode-data.
        (WebSocket socket, EventLog log) = await OpenEchoAsync();
        await using (socket)
        {
            socket.Send("\uD801\uDC07");
            socket.Send("¥¥¥¥¥¥ \u00e9\u20ac\U0001D11E");
            await log.MessagesAsync(2);
            Assert.Equal("\uD801\uDC07", log.Messages[0].Text);
            Assert.Equal("¥¥¥¥¥¥ \u00e9\u20ac\U0001D11E", log.Messages[1].Text);
            await CloseCleanlyAsync(socket, log);
        }
    }

    [Fact]
    public async Task BufferedAmount_WhileTheWriteIsBlocked_GrowsByExactlyTheUtf8OrByteLengthOfEachSend()
    {
        // bufferedAmount-unicode (UTF-8 bytes, not UTF-16 units), bufferedAmount-arraybuffer, bufferedAmount-blob,
        // Send-0byte-data. A browser measures inside one task; here the write loop runs in parallel, so first stall it:
        // the /silent peer never reads, so a 32 MiB message fills the TCP buffers and nothing more drains.
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/silent"), null, TestOptions.Quiet(o => o.CloseTimeout = TimeSpan.FromSeconds(1))), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Send(new byte[32 * 1024 * 1024]);
        await Task.Delay(200);
        long before = socket.BufferedAmount;
        Assert.True(before > 0, "the 32 MiB message cannot have reached the network yet");

        socket.Send("¥¥¥¥¥¥");                                   // 6 chars, 12 UTF-8 bytes
        Assert.Equal(before + 12, socket.BufferedAmount);
        socket.Send(new byte[10]);                               // ArrayBuffer
        Assert.Equal(before + 22, socket.BufferedAmount);
        socket.Send(new Blob(Encoding.UTF8.GetBytes("héllo")));  // Blob: its size in bytes (6)
        Assert.Equal(before + 28, socket.BufferedAmount);
        socket.Send(new ArraySegment<byte>(new byte[8], 2, 4));  // a view: its own length, not its buffer's
        Assert.Equal(before + 32, socket.BufferedAmount);
        socket.Send("");
        Assert.Equal(before + 32, socket.BufferedAmount);
    }

    [Fact]
    public async Task Send_AfterServerInitiatedClose_DoesNotThrowAndBufferedAmountGrows()
    {
        // Send() once CLOSED: no exception, nothing sent, bufferedAmount keeps growing.
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/close?code=1000"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        CloseEvent close = await log.ClosedAsync();
        Assert.True(close.WasClean);
        Assert.Equal(WebSocketReadyState.Closed, socket.ReadyState);
        socket.Send("abc");
        socket.Send(new byte[4]);
        Assert.Equal(7, socket.BufferedAmount);
    }

    [Fact]
    public void Send_NullString_ThrowsArgumentNullException()
    {
        // Send-null / send/012 expect "null" on the wire (JS converts null to a string); a C# string parameter
        // cannot be converted that way, so null is refused. A deliberate difference, listed in docs/conformance.md.
        using var socket = new WebSocket("ws://127.0.0.1:9/", null, TestOptions.Quiet(o => o.ConnectTimeout = TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentNullException>(() => socket.Send((string)null!));
        Assert.Throws<ArgumentNullException>(() => socket.Send((byte[])null!));
        Assert.Throws<ArgumentNullException>(() => socket.Send((Blob)null!));
    }
}
