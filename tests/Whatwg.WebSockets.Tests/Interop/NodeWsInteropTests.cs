using System.Text;
using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Interop;

/// <summary>Interoperation with the Node <c>ws</c> server: echo of every size class, subprotocols, server-initiated close.</summary>
[Collection(NodeWsCollection.Name)]
public sealed class NodeWsInteropTests(NodeWsServerFixture node)
{
    public static TheoryData<int> Sizes => [0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20, 16 << 20];

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Echo_Binary_ByteExact(int size)
    {
        await using var socket = new WebSocket(node.Url("/echo").ToString(), null, TestOptions.Quiet());
        socket.BinaryType = BinaryType.ArrayBuffer;
        var log = new EventLog(socket);
        await log.OpenedAsync();
        byte[] data = new byte[size];
        new Random(size).NextBytes(data);
        socket.Send(data);
        await log.MessagesAsync(1);
        Assert.True(data.AsSpan().SequenceEqual(log.Messages[0].Bytes));
        socket.Close(1000);
        Assert.True((await log.ClosedAsync()).WasClean);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Echo_Text_Exact(int size)
    {
        await using var socket = EventGate.Hold(() => new WebSocket(node.Url("/echo").ToString(), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        // Mixed 1-, 2-, 3- and 4-byte UTF-8 characters, cut to about `size` bytes on a character boundary.
        var text = new StringBuilder();
        string[] pieces = ["a", "é", "€", "𝄞", "z"];
        int bytes = 0;
        for (int i = 0; bytes < size; i++)
        {
            string piece = pieces[i % pieces.Length];
            int length = Encoding.UTF8.GetByteCount(piece);
            if (bytes + length > size)
            {
                piece = "a";
                length = 1;
            }

            text.Append(piece);
            bytes += length;
        }

        socket.Send(text.ToString());
        await log.MessagesAsync(1);
        Assert.Equal(text.ToString(), log.Messages[0].Text);
    }

    [Fact]
    public async Task Echo_ManyMessagesBothTypes_InOrder()
    {
        await using var socket = new WebSocket(node.Url("/echo").ToString(), null, TestOptions.Quiet());
        socket.BinaryType = BinaryType.ArrayBuffer;
        var log = new EventLog(socket);
        await log.OpenedAsync();
        for (int i = 0; i < 1000; i++)
        {
            if (i % 2 == 0)
            {
                socket.Send($"m{i}");
            }
            else
            {
                socket.Send(BitConverter.GetBytes(i));
            }
        }

        await log.MessagesAsync(1000);
        IReadOnlyList<MessageEvent> messages = log.Messages;
        for (int i = 0; i < 1000; i++)
        {
            if (i % 2 == 0)
            {
                Assert.Equal($"m{i}", messages[i].Text);
            }
            else
            {
                Assert.Equal(i, BitConverter.ToInt32(messages[i].Bytes));
            }
        }
    }

    [Fact]
    public async Task Flood_ServerSendsManyMessagesThenCloses_AllDeliveredThenCleanClose()
    {
        await using var socket = new WebSocket(node.Url("/flood?size=1000&count=5000&binary=1").ToString(), null, TestOptions.Quiet());
        socket.BinaryType = BinaryType.ArrayBuffer;
        var log = new EventLog(socket);
        CloseEvent close = await log.ClosedAsync();
        Assert.True(close.WasClean);
        Assert.Equal(1000, close.Code);
        Assert.Equal(5000, log.Messages.Count);
        byte[] expected = [.. Enumerable.Range(0, 1000).Select(i => (byte)(i % 251))];
        Assert.All(log.Messages, m => Assert.Equal(expected, m.Bytes));
    }

    [Theory]
    [InlineData(null, "chat")]
    [InlineData("superchat", "superchat")]
    public async Task Subprotocol_SelectedByServer_IsReported(string? pick, string expected)
    {
        string path = pick is null ? "/echo" : $"/echo?protocol={pick}";
        await using var socket = new WebSocket(node.Url(path).ToString(), ["chat", "superchat"], TestOptions.Quiet());
        await socket.WhenOpen.WaitAsync(EventLog.Timeout);
        Assert.Equal(expected, socket.Protocol);
    }

    [Fact]
    public async Task Subprotocol_NoneSelected_FailsTheConnection()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(node.Url("/echo?protocol=unknown").ToString(), ["chat", "superchat"], TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["error", "close"], log.Types);
        Assert.Equal(WebSocketFailure.HandshakeFailed, ((ErrorEvent)log.Events[0].Event).Exception.Failure);
        Assert.False(close.WasClean);
    }

    [Fact]
    public async Task ServerCloses_WithCodeAndReason_CleanCloseWithThem()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(node.Url("/close?code=4001&reason=bye").ToString(), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["open", "close"], log.Types);
        Assert.True(close.WasClean);
        Assert.Equal(4001, close.Code);
        Assert.Equal("bye", close.Reason);
    }

    [Fact]
    public async Task ServerCloses_WithEmptyCloseFrame_CodeIs1005()
    {
        await using var socket = new WebSocket(node.Url("/close").ToString(), null, TestOptions.Quiet());
        CloseEvent close = await socket.WhenClosed.WaitAsync(EventLog.Timeout);
        Assert.True(close.WasClean);
        Assert.Equal(1005, close.Code);
        Assert.Equal("", close.Reason);
    }

    [Fact]
    public async Task ClientCloses_WithCodeAndReason_NodeEchoesThem()
    {
        await using var socket = new WebSocket(node.Url("/echo").ToString(), null, TestOptions.Quiet());
        await socket.WhenOpen.WaitAsync(EventLog.Timeout);
        socket.Close(4321, "see you");
        CloseEvent close = await socket.WhenClosed.WaitAsync(EventLog.Timeout);
        Assert.True(close.WasClean);
        Assert.Equal(4321, close.Code);
    }

    [Fact]
    public async Task Handshake_RequestHeadersAsTheServerSawThem()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(node.Url("/headers?x=%C3%A9").ToString(), ["chat"], TestOptions.Quiet(o => o.Origin = "http://origin.test")), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.MessagesAsync(1);
        using var json = System.Text.Json.JsonDocument.Parse(log.Messages[0].Text);
        var headers = json.RootElement.GetProperty("headers");
        Assert.Equal("websocket", headers.GetProperty("upgrade").GetString());
        Assert.Contains("upgrade", headers.GetProperty("connection").GetString()!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("http://origin.test", headers.GetProperty("origin").GetString());
        Assert.Equal("/headers?x=%C3%A9", json.RootElement.GetProperty("url").GetString());
    }
}
