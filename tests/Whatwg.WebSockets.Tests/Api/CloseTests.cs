using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Api;

/// <summary>WHATWG close() and CloseEvent against Kestrel (wpt websockets/Close-*.any.js, closing-handshake/*).</summary>
[Collection(KestrelCollection.Name)]
public sealed class CloseTests(KestrelFixture kestrel)
{
    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1001)]      // Close-1005 / Close-2999: reserved or protocol-only codes
    [InlineData(1005)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65536)]
    [InlineData(-1)]
    public async Task Close_CodeNot1000Or3000To4999_ThrowsInvalidAccessError(int code)
    {
        await using var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        var error = Assert.Throws<InvalidAccessErrorException>(() => socket.Close(code));
        Assert.Equal("InvalidAccessError", error.Name);
        Assert.IsAssignableFrom<ArgumentOutOfRangeException>(error);
        Assert.Equal(WebSocketReadyState.Connecting, socket.ReadyState);   // nothing happened
    }

    [Fact]
    public async Task Close_ReasonOver123Utf8Bytes_ThrowsSyntaxError()
    {
        await using var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        Assert.Throws<SyntaxErrorException>(() => socket.Close(1000, new string('a', 124)));
        Assert.Throws<SyntaxErrorException>(() => socket.Close(1000, new string('é', 62)));   // 124 bytes, 62 chars
        Assert.Throws<SyntaxErrorException>(() => socket.Close(1000, new string('\uD800', 42)));   // each lone surrogate is 3 bytes of U+FFFD
        Assert.Equal(WebSocketReadyState.Connecting, socket.ReadyState);
    }

    [Fact]
    public async Task Close_ReasonOfExactly123Bytes_IsSentAndEchoed()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        string reason = new string('é', 61) + "x";   // 123 bytes
        socket.Close(3000, reason);
        CloseEvent close = await log.ClosedAsync();
        Assert.True(close.WasClean);
        Assert.Equal(3000, close.Code);
        Assert.Equal(reason, close.Reason);
    }

    [Fact]
    public async Task Close_WhileConnecting_FailsWithErrorThenClose1006()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        socket.Close(); // before the release: the gate holds the open task, so the socket is still CONNECTING
        Assert.Equal(WebSocketReadyState.Closing, socket.ReadyState);
        gate.Release();
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["error", "close"], log.Types);
        Assert.All(log.Events, e => Assert.Equal(WebSocketReadyState.Closed, e.ReadyState));
        Assert.Equal(1006, close.Code);
        Assert.False(close.WasClean);
        Assert.Equal("", close.Reason);
        Assert.Equal(WebSocketFailure.ConnectAborted, ((ErrorEvent)log.Events[0].Event).Exception.Failure);
        await Assert.ThrowsAsync<WebSocketFailureException>(() => socket.WhenOpen);
    }

    [Fact]
    public async Task Close_Repeated_IsANoOp()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Close(3001, "first");
        socket.Close(3002, "second");
        socket.Close();
        CloseEvent close = await log.ClosedAsync();
        socket.Close(1000);
        Assert.Equal(["open", "close"], log.Types);
        Assert.Equal(3001, close.Code);      // Kestrel echoes our code and reason
        Assert.Equal("first", close.Reason);
        Assert.Equal(WebSocketReadyState.Closed, socket.ReadyState);
    }

    [Fact]
    public async Task Close_WithoutCode_CloseEventFromKestrelIsClean()
    {
        // Kestrel answers an empty Close frame with 1000 (System.Net.WebSockets cannot send an empty one).
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Close();
        CloseEvent close = await log.ClosedAsync();
        Assert.True(close.WasClean);
        Assert.Equal(1000, close.Code);
        Assert.Null(close.Failure);
    }

    [Fact]
    public async Task ServerCloses_WithCodeAndReason_CloseEventCarriesThem()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/close?code=4001&reason=bye"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["open", "close"], log.Types);
        Assert.True(close.WasClean);
        Assert.Equal(4001, close.Code);
        Assert.Equal("bye", close.Reason);
        Assert.Equal(WebSocketReadyState.Closed, log.Events[1].ReadyState);
        Assert.Same(close, await socket.WhenClosed);
    }

    [Fact]
    public async Task MessagesArrivingAfterClose_AreNotDelivered()
    {
        // "When a WebSocket message has been received ... if ready state is not OPEN, then return."
        await using var server = await KestrelServer.StartAsync(async (ws, context) =>
        {
            var buffer = new byte[16];
            await ws.ReceiveAsync(buffer, default);                 // the client's "go"
            for (int i = 0; i < 50; i++)
            {
                await ws.SendAsync("late"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, default);
            }

            var result = await ws.ReceiveAsync(buffer, default);     // the client's close
            await ws.CloseOutputAsync(result.CloseStatus ?? System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", default);
        });
        await using var socket = EventGate.Hold(() => new WebSocket(server.Url("/custom").ToString(), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        socket.OnOpen = _ =>
        {
            socket.Send("go");
            socket.Close(1000);    // within the same task: every "late" message is received after close()
        };
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["open", "close"], log.Types);
        Assert.True(close.WasClean);
    }

    [Fact]
    public async Task Dispose_WhenOpen_ClosesWith1001()
    {
        var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        await socket.DisposeAsync();
        CloseEvent close = await log.ClosedAsync();
        Assert.True(close.WasClean);
        Assert.Equal(1001, close.Code);   // Kestrel echoes the going-away code
        Assert.Equal(WebSocketReadyState.Closed, socket.ReadyState);
    }

    [Fact]
    public async Task Dispose_WhileConnecting_FailsTheAttempt()
    {
        var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        socket.Dispose();
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["error", "close"], log.Types);
        Assert.Equal(1006, close.Code);
    }

    [Fact]
    public async Task Dispose_InEveryStateFromManyThreads_NeverThrows()
    {
        for (int round = 0; round < 5; round++)
        {
            var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
            var log = new EventLog(socket);
            gate.Release();
            if (round % 2 == 1)
            {
                await log.OpenedAsync();
            }

            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                try
                {
                    socket.Send("x");
                }
                catch (InvalidStateErrorException)
                {
                    // CONNECTING: allowed to throw, and only this.
                }

                if (i % 2 == 0)
                {
                    socket.Close(1000);
                }

                await socket.DisposeAsync();
            })));
            CloseEvent close = await log.ClosedAsync();
            Assert.Equal(WebSocketReadyState.Closed, socket.ReadyState);
            Assert.Equal(1, log.Types.Count(t => t == "close"));
            Assert.True(close.Code is 1000 or 1001 or 1006, $"unexpected close code {close.Code}");
        }
    }
}
