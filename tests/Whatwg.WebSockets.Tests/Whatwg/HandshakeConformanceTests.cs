using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Whatwg;

/// <summary>The WHATWG "establish a WebSocket connection" checks that go beyond RFC 6455.</summary>
[Collection(KestrelCollection.Name)]
public sealed class HandshakeConformanceTests(KestrelFixture kestrel)
{
    [Fact]
    public async Task Handshake_ProtocolsOfferedButNoneSelected_FailsTheConnection()
    {
        // "If protocols is not the empty list and extracting header list values given `Sec-WebSocket-Protocol`
        // and response's header list results in null, failure, or the empty byte sequence, then fail the
        // WebSocket connection." The server answers 101 without Sec-WebSocket-Protocol.
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/subprotocol?pick=other"), ["chat"], TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        _ = await Task.WhenAny(log.OpenedAsync(), log.ClosedAsync()).WaitAsync(TimeSpan.FromSeconds(4));
        Assert.DoesNotContain("open", log.Types);
        CloseEvent close = await log.ClosedAsync().WaitAsync(TimeSpan.FromSeconds(4));
        Assert.Equal(["error", "close"], log.Types);
        Assert.Equal(1006, close.Code);
        Assert.False(close.WasClean);
        Assert.Equal("", socket.Protocol);
    }
}
