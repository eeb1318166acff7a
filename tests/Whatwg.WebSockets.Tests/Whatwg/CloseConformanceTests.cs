using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Whatwg;

/// <summary>
/// close() and CloseEvent cases of web-platform-tests websockets/ (Close-*.any.js, Secure-Close-*.any.js,
/// close-invalid.any.js, interfaces/WebSocket/close/*, closing-handshake/*) not already in the Api tests.
/// </summary>
[Collection(KestrelCollection.Name)]
public sealed class CloseConformanceTests(KestrelFixture kestrel)
{
    [Theory]
    [InlineData(1000, "Clean Close")]                       // Close-1000-reason, Secure-Close-1000-verify-code
    [InlineData(3000, "Clean Close with code - 3000")]      // Secure-Close-3000-reason, -3000-verify-code
    [InlineData(4999, "Clean Close with code - 4999")]      // Secure-Close-4999-reason
    [InlineData(1000, "")]                                  // Close-1000
    public async Task Close_WithCodeAndReason_CloseEventCarriesTheEchoedCodeAndReason(int code, string reason)
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Close(code, reason);
        Assert.Equal(WebSocketReadyState.Closing, socket.ReadyState);   // Secure-Close-readyState-Closing
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["open", "close"], log.Types);
        Assert.True(close.WasClean);
        Assert.Equal(code, close.Code);
        Assert.Equal(reason, close.Reason);
        Assert.Equal(WebSocketReadyState.Closed, log.Events[1].ReadyState);   // Secure-Close-readyState-Closed
    }

    [Fact]
    public async Task Close_ReasonWithUnpairedSurrogate_IsSentAsReplacementCharacter()
    {
        // Close-reason-unpaired-surrogates / Secure-Close-Reason-Unpaired-surrogates: the reason is a USVString.
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Close(1000, "\uD807");
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal("\uFFFD", close.Reason);
    }

    [Fact]
    public async Task Close_ReasonOf41UnpairedSurrogates_Is123BytesAndAccepted()
    {
        // Each lone surrogate becomes U+FFFD, 3 UTF-8 bytes: 41 of them are 123 bytes, the limit (42 throw: Close-Reason-124Bytes).
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        Assert.Throws<SyntaxErrorException>(() => socket.Close(1000, new string('\uDC00', 42)));
        Assert.Equal(WebSocketReadyState.Open, socket.ReadyState);
        socket.Close(1000, new string('\uDC00', 41));
        CloseEvent close = await log.ClosedAsync();
        Assert.True(close.WasClean);
        Assert.Equal(new string('\uFFFD', 41), close.Reason);
    }

    [Fact]
    public async Task Close_InvalidCodeWhenClosed_StillThrowsInvalidAccessError()
    {
        // The code is checked before the state: close(0) throws even on a CLOSED socket (close-invalid).
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Close();
        await log.ClosedAsync();
        Assert.Throws<InvalidAccessErrorException>(() => socket.Close(0));
        Assert.Throws<InvalidAccessErrorException>(() => socket.Close(500));
        Assert.Throws<SyntaxErrorException>(() => socket.Close(1000, new string('a', 124)));
        Assert.Equal(WebSocketReadyState.Closed, socket.ReadyState);
    }

    [Fact]
    public async Task Close_1000WhenClosed_IsANoOp()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/close?code=4000&reason=done"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.ClosedAsync();
        socket.Close(1000);
        socket.Close(3000, "again");
        socket.Close();
        await Task.Delay(100);
        Assert.Equal(["open", "close"], log.Types);
        Assert.Equal(WebSocketReadyState.Closed, socket.ReadyState);
    }

    [Fact]
    public async Task Close_InsideTheCloseHandler_IsANoOpAndNoSecondCloseEvent()
    {
        // interfaces/WebSocket/close/close-nested.
        await using var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        var seen = new List<WebSocketReadyState>();
        int closeEvents = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnClose = _ =>
        {
            Interlocked.Increment(ref closeEvents);
            seen.Add(socket.ReadyState);
            socket.Close();
            seen.Add(socket.ReadyState);
            done.TrySetResult();
        };
        socket.Close();
        Assert.Equal(WebSocketReadyState.Closing, socket.ReadyState);
        await done.Task.WaitAsync(EventLog.Timeout);
        await Task.Delay(100);
        Assert.Equal(1, Volatile.Read(ref closeEvents));
        Assert.Equal([WebSocketReadyState.Closed, WebSocketReadyState.Closed], seen);
    }

    [Fact]
    public async Task Close_ThreeTimesWhileConnecting_OneCloseEvent()
    {
        // interfaces/WebSocket/close/close-multiple.
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        socket.Close(); // before the release: the gate holds the open task, so the socket is still CONNECTING
        socket.Close();
        socket.Close();
        gate.Release();
        CloseEvent close = await log.ClosedAsync();
        await Task.Delay(100);
        Assert.Equal(1, log.Types.Count(t => t == "close"));
        Assert.False(close.WasClean);                   // close-basic: closing while connecting is not clean
        Assert.Equal(1006, close.Code);
    }

    [Fact]
    public async Task Close_WhileConnectingToASlowServer_ClosingThenNotCleanAndNoOpen()
    {
        // interfaces/WebSocket/close/close-connecting: the server is slow to answer the handshake.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(4));
            try
            {
                await conn.WriteAsync(ScriptedServer.Accept(request));
            }
            catch (Exception)
            {
                // The client has gone; that is the point.
            }
        });
        await using var socket = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await Task.Delay(300);
        Assert.Equal(WebSocketReadyState.Connecting, socket.ReadyState);
        socket.Close();
        Assert.Equal(WebSocketReadyState.Closing, socket.ReadyState);
        release.TrySetResult();
        CloseEvent close = await log.ClosedAsync();
        Assert.DoesNotContain("open", log.Types);
        Assert.Equal(WebSocketReadyState.Closed, log.Events[^1].ReadyState);
        Assert.False(close.WasClean);
    }

    [Fact]
    public void Close_ReasonWithoutCode_IsNotExpressible()
    {
        // Secure-Close-onlyReason: close("reason") throws InvalidAccessError in a browser because the string is
        // converted to a code. C# has no Close(string) overload, so the mistake cannot compile.
        Assert.Null(typeof(WebSocket).GetMethod(nameof(WebSocket.Close), [typeof(string)]));
        Assert.NotNull(typeof(WebSocket).GetMethod(nameof(WebSocket.Close), [typeof(int), typeof(string)]));
    }

    [Fact]
    public async Task ServerSendsDataAfterItsCloseFrame_DataIsIgnoredAndTheCloseIsClean()
    {
        // closing-handshake/004: bytes after the server's Close frame are neither a message nor an error.
        Frame? echoed = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync([.. ScriptedServer.CloseFrame(1000, "bye"), .. ScriptedServer.Frame(0x1, "after close")]);
            echoed = await conn.ReadFrameAsync();
        });
        await using var socket = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        CloseEvent close = await log.ClosedAsync();
        await server.Completion.WaitAsync(EventLog.Timeout);
        Assert.Equal(["open", "close"], log.Types);
        Assert.True(close.WasClean);
        Assert.Equal(1000, close.Code);
        Assert.Equal("bye", close.Reason);
        FailureEventLog.AssertCloseFrame(echoed, 1000);
    }

    [Fact]
    public async Task ServerClosesAfterAMessage_NoMessageEventAndCleanClose()
    {
        // closing-handshake/002 and Close-server-initiated-close: the client answers the server's Close; the close
        // event sees CLOSED and wasClean true.
        await using var server = await KestrelServer.StartAsync(async (ws, _) =>
        {
            var buffer = new byte[64];
            await ws.ReceiveAsync(buffer, default);   // "Goodbye"
            await ws.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", default);
        });
        await using var socket = EventGate.Hold(() => new WebSocket(server.Url("/custom").ToString(), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        socket.OnOpen = _ => socket.Send("Goodbye");
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["open", "close"], log.Types);
        Assert.True(close.WasClean);
        Assert.Equal(WebSocketReadyState.Closed, log.Events[1].ReadyState);
    }
}
