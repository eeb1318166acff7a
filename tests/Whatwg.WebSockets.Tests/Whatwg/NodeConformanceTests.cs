using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Whatwg;

/// <summary>
/// Cases that need a peer able to answer an empty Close frame with an empty one, or to report the raw
/// request target: the Node <c>ws</c> server (Kestrel answers an empty Close with 1000).
/// </summary>
[Collection(NodeWsCollection.Name)]
public sealed class NodeConformanceTests(NodeWsServerFixture node)
{
    [Fact]
    public async Task Close_WithoutCode_ServerEchoesAnEmptyClose_CodeIs1005AndReasonEmpty()
    {
        // Secure-Close-1005-verify-code / Secure-Close-1005: close() sends a Close frame with no body.
        await using var socket = EventGate.Hold(() => new WebSocket(node.Url("/echo").ToString(), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Close();
        CloseEvent close = await log.ClosedAsync();
        Assert.True(close.WasClean);
        Assert.Equal(1005, close.Code);
        Assert.Equal("", close.Reason);
    }

    [Fact]
    public async Task Constructor_NonAsciiQuery_IsSentUtf8PercentEncoded()
    {
        // constructor/016: the server sees the query as %C3%A5%C3%A4%C3%B6.
        string url = node.Url("/headers").ToString() + "?\u00e5\u00e4\u00f6";
        await using var socket = EventGate.Hold(() => new WebSocket(url, null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.MessagesAsync(1);
        using var json = System.Text.Json.JsonDocument.Parse(log.Messages[0].Text);
        Assert.Equal("/headers?%C3%A5%C3%A4%C3%B6", json.RootElement.GetProperty("url").GetString());
    }
}
