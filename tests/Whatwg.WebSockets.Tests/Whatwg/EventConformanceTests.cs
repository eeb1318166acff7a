using System.Collections.Concurrent;
using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Whatwg;

/// <summary>
/// Event handler attributes, listener order, targets and the event sequence around a failure
/// (eventhandlers.any.js, interfaces/WebSocket/events/*), beyond the Api tests.
/// </summary>
[Collection(KestrelCollection.Name)]
public sealed class EventConformanceTests(KestrelFixture kestrel)
{
    [Fact]
    public void HandlerAttributes_AreNullByDefaultAndCanBeSetBackToNull()
    {
        // eventhandlers.any.js, events/014.
        using var socket = new WebSocket("ws://127.0.0.1:9/", null, TestOptions.Quiet(o => o.ConnectTimeout = TimeSpan.FromSeconds(1)));
        Assert.Null(socket.OnOpen);
        Assert.Null(socket.OnMessage);
        Assert.Null(socket.OnError);
        Assert.Null(socket.OnClose);

        Action<Event> open = _ => { };
        Action<MessageEvent> message = _ => { };
        Action<ErrorEvent> error = _ => { };
        Action<CloseEvent> close = _ => { };
        socket.OnOpen = open;
        socket.OnMessage = message;
        socket.OnError = error;
        socket.OnClose = close;
        Assert.Same(open, socket.OnOpen);
        Assert.Same(message, socket.OnMessage);
        Assert.Same(error, socket.OnError);
        Assert.Same(close, socket.OnClose);

        socket.OnOpen = null;
        socket.OnMessage = null;
        socket.OnError = null;
        socket.OnClose = null;
        Assert.Null(socket.OnOpen);
        Assert.Null(socket.OnMessage);
        Assert.Null(socket.OnError);
        Assert.Null(socket.OnClose);
    }

    [Fact]
    public async Task HandlerSetTwice_OnlyTheSecondRuns()
    {
        var gate = new EventGate();
        await using WebSocket socket = gate.Create(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()));
        var calls = new ConcurrentQueue<string>();
        socket.OnOpen = _ => calls.Enqueue("first");
        socket.OnOpen = _ => calls.Enqueue("second");
        gate.Release();
        await socket.WhenOpen.WaitAsync(EventLog.Timeout);
        Assert.Equal(["second"], calls);
    }

    [Fact]
    public async Task ListenersAndHandlers_OpenMessageClose_RunInRegistrationOrder()
    {
        // events/016: listener, handler, listener for each of open, message and close; nine calls in order.
        var gate = new EventGate();
        await using WebSocket socket = gate.Create(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()));
        var order = new ConcurrentQueue<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.Opened += (_, _) =>
        {
            order.Enqueue(1);
            socket.Send("Goodbye");
        };
        socket.OnOpen = _ => order.Enqueue(2);
        socket.Opened += (_, _) => order.Enqueue(3);
        socket.MessageReceived += (_, _) => order.Enqueue(4);
        socket.OnMessage = _ => order.Enqueue(5);
        socket.MessageReceived += (_, _) =>
        {
            order.Enqueue(6);
            socket.Close();
        };
        socket.Closed += (_, _) => order.Enqueue(7);
        socket.OnClose = _ => order.Enqueue(8);
        socket.Closed += (_, _) =>
        {
            order.Enqueue(9);
            done.TrySetResult();
        };
        gate.Release();
        await done.Task.WaitAsync(EventLog.Timeout);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], order);
    }

    [Fact]
    public async Task RemovedListener_IsNotCalled()
    {
        // events/019 (removeEventListener): here `-=`. The server holds the handshake until the listeners are
        // in place, since events here run on the thread pool, not after the current script task.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(4));
            await conn.WriteAsync([.. ScriptedServer.Accept(request), .. ScriptedServer.Frame(0x1, "hi")]);
            Frame close = await conn.ReadFrameAsync();
            await conn.WriteAsync(ScriptedServer.CloseFrame((ushort)(close.CloseCode ?? 1000)));
        });
        await using var socket = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        int removedCalls = 0;
        EventHandler<Event> onOpen = (_, _) => Interlocked.Increment(ref removedCalls);
        EventHandler<MessageEvent> onMessage = (_, _) => Interlocked.Increment(ref removedCalls);
        EventHandler<ErrorEvent> onError = (_, _) => Interlocked.Increment(ref removedCalls);
        EventHandler<CloseEvent> onClose = (_, _) => Interlocked.Increment(ref removedCalls);
        socket.Opened += onOpen;
        socket.MessageReceived += onMessage;
        socket.Error += onError;
        socket.Closed += onClose;
        socket.Opened -= onOpen;
        socket.MessageReceived -= onMessage;
        socket.Error -= onError;
        socket.Closed -= onClose;
        release.TrySetResult();
        await log.MessagesAsync(1);
        socket.Close(1000);
        await log.ClosedAsync();
        Assert.Equal(["open", "message", "close"], log.Types);
        Assert.Equal(0, Volatile.Read(ref removedCalls));
    }

    [Fact]
    public async Task ListenerAddedDuringDispatch_DoesNotReceiveTheCurrentEvent()
    {
        // DOM dispatch works on a clone of the listener list: a listener added while an event is being
        // dispatched sees the next event of that type, not the current one.
        await using var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        var late = new ConcurrentQueue<string>();
        var lateCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int added = 0;
        socket.MessageReceived += (_, e) =>
        {
            if (Interlocked.Exchange(ref added, 1) == 0)
            {
                socket.MessageReceived += (_, e2) =>
                {
                    late.Enqueue(e2.Text);
                    lateCalled.TrySetResult();
                };
            }
        };
        var log = new EventLog(socket);
        await log.OpenedAsync();
        socket.Send("first");
        await log.MessagesAsync(1);
        Assert.Empty(late);
        socket.Send("second");
        await lateCalled.Task.WaitAsync(EventLog.Timeout);
        Assert.Equal(["second"], late);
    }

    [Fact]
    public async Task MessageThenProtocolViolation_OpenMessageErrorClose_EachTargetingTheSocket()
    {
        // events/015, 017, 018: a text frame, then a frame with reserved opcode 3, which fails the connection.
        // message sees OPEN; error and close see CLOSED; every event's target is the socket; the types are right.
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync([.. ScriptedServer.Frame(0x1, "test"), .. ScriptedServer.Frame(0x3, "LOL")]);
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(4));
        });
        await using var socket = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        CloseEvent close = await log.ClosedAsync();

        Assert.Equal(["open", "message", "error", "close"], log.Types);
        Assert.Equal(
            [WebSocketReadyState.Open, WebSocketReadyState.Open, WebSocketReadyState.Closed, WebSocketReadyState.Closed],
            log.Events.Select(e => e.ReadyState));
        Assert.All(log.Events, e => Assert.Same(socket, e.Event.Target));
        Assert.All(log.Events, e => Assert.Equal(e.Type, e.Event.Type));
        Assert.IsType<Event>(log.Events[0].Event);
        MessageEvent message = Assert.IsType<MessageEvent>(log.Events[1].Event);
        Assert.Equal("test", message.Data);
        Assert.Equal("", message.LastEventId);
        Assert.Equal(server.BaseUri.GetLeftPart(UriPartial.Authority), message.Origin);
        Assert.IsType<ErrorEvent>(log.Events[2].Event);
        Assert.False(close.WasClean);
        Assert.Equal(1006, close.Code);
    }

    [Fact]
    public async Task UnresolvableHost_ErrorThenClose1006()
    {
        // events/020: "ws://example.invalid/" fires error (an Event), then close, not clean.
        // Either the lookup fails or the connect timeout ends it: the events are the same (a slow resolver must not fail the test).
        await using var socket = EventGate.Hold(() => new WebSocket("ws://example.invalid/", null, TestOptions.Quiet(o => o.ConnectTimeout = TimeSpan.FromSeconds(1))), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["error", "close"], log.Types);
        Assert.IsAssignableFrom<Event>(log.Events[0].Event);
        Assert.Equal(1006, close.Code);
        Assert.False(close.WasClean);
        Assert.Equal("", close.Reason);
    }
}
