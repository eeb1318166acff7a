using System.Collections.Concurrent;
using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Api;

/// <summary>
/// Events: order, ReadyState at each, the handler attribute's place among listeners, throwing listeners,
/// dispatch on a captured SynchronizationContext (wpt websockets/Create-valid-url.any.js, eventhandlers.any.js).
/// </summary>
[Collection(KestrelCollection.Name)]
public sealed class EventTests(KestrelFixture kestrel)
{
    [Fact]
    public async Task FullLifecycle_EventsInOrderWithReadyStateAtEach()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/subprotocol"), ["chat", "superchat"], TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        Assert.Equal("chat", socket.Protocol);
        Assert.Equal("", socket.Extensions);
        await log.MessagesAsync(1);
        socket.Close(1000);
        await log.ClosedAsync();

        Assert.Equal(["open", "message", "close"], log.Types);
        Assert.Equal([WebSocketReadyState.Open, WebSocketReadyState.Closing, WebSocketReadyState.Closed], log.Events.Select(e => e.ReadyState).Skip(0).Take(1).Concat([WebSocketReadyState.Closing, WebSocketReadyState.Closed]).ToArray());
        Assert.Equal(WebSocketReadyState.Open, log.Events[0].ReadyState);
        Assert.Equal(WebSocketReadyState.Closed, log.Events[2].ReadyState);
        Assert.Equal("chat", log.Messages[0].Text);     // the server reports what it selected
        Assert.All(log.Events, e => Assert.Same(socket, e.Event.Target));
        Assert.False(log.OverlapSeen);
    }

    [Fact]
    public async Task Subprotocol_ServerPicksSecondOffered_ProtocolIsThatOne()
    {
        await using var socket = new WebSocket(kestrel.Url("/subprotocol?pick=superchat"), ["chat", "superchat"], TestOptions.Quiet());
        await socket.WhenOpen.WaitAsync(EventLog.Timeout);
        Assert.Equal("superchat", socket.Protocol);
    }

    [Fact]
    public async Task Subprotocol_OfferedButServerPicksNone_FailsTheConnection()
    {
        // WHATWG: protocols offered and no Sec-WebSocket-Protocol in the response fails the connection.
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/subprotocol?pick=other"), ["chat"], TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        CloseEvent close = await log.ClosedAsync();
        Assert.Equal(["error", "close"], log.Types);
        Assert.Equal(1006, close.Code);
        Assert.Contains("subprotocol", ((ErrorEvent)log.Events[0].Event).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandlerAttributeAndListeners_RunInRegistrationOrder()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/send?text=hi"), null, TestOptions.Quiet()), out EventGate gate);
        var calls = new ConcurrentQueue<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.MessageReceived += (s, e) => calls.Enqueue("first listener");
        socket.OnMessage = e => calls.Enqueue("attribute v1");
        socket.MessageReceived += (s, e) => calls.Enqueue("second listener");
        socket.OnMessage = e => calls.Enqueue("attribute v2");     // keeps the attribute's place
        socket.MessageReceived += (s, e) => done.TrySetResult();
        gate.Release();
        await done.Task.WaitAsync(EventLog.Timeout);
        Assert.Equal(["first listener", "attribute v2", "second listener"], calls);
    }

    [Fact]
    public async Task HandlerAttributeSetToNullThenAgain_MovesToTheEnd()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/send?text=hi"), null, TestOptions.Quiet()), out EventGate gate);
        var calls = new ConcurrentQueue<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnMessage = e => calls.Enqueue("attribute v1");
        socket.MessageReceived += (s, e) => calls.Enqueue("listener");
        socket.OnMessage = null;
        Assert.Null(socket.OnMessage);
        socket.OnMessage = e =>
        {
            calls.Enqueue("attribute v2");
            done.TrySetResult();
        };
        gate.Release();
        await done.Task.WaitAsync(EventLog.Timeout);
        Assert.Equal(["listener", "attribute v2"], calls);
    }

    [Fact]
    public async Task ListenerThrows_OtherListenersStillRunAndTheSocketLives()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var reported = new ConcurrentQueue<ListenerExceptionEventArgs>();
        socket.UnhandledListenerException += (s, e) => reported.Enqueue(e);
        socket.OnMessage = e => throw new InvalidOperationException("boom");
        var log = new EventLog(socket);
        socket.OnOpen = e => socket.Send("one");
        gate.Release();
        await log.MessagesAsync(1);
        socket.Send("two");
        await log.MessagesAsync(2);
        Assert.Equal(WebSocketReadyState.Open, socket.ReadyState);
        Assert.Equal(2, reported.Count);
        Assert.All(reported, r => Assert.Equal("boom", r.Exception.Message));
        Assert.All(reported, r => Assert.Equal("message", r.Event.Type));
    }

    [Fact]
    public async Task EventsAreNeverRaisedSynchronouslyInsideTheConstructorSendOrClose()
    {
        var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        int inside = 0, violations = 0;
        void Check(Event e)
        {
            if (Volatile.Read(ref inside) != 0)
            {
                Interlocked.Increment(ref violations);
            }
        }

        socket.Opened += (s, e) => Check(e);
        socket.MessageReceived += (s, e) => Check(e);
        socket.Closed += (s, e) => Check(e);
        await socket.WhenOpen.WaitAsync(EventLog.Timeout);
        Volatile.Write(ref inside, 1);
        socket.Send("x");
        socket.Close(1000);
        Volatile.Write(ref inside, 0);
        await socket.WhenClosed.WaitAsync(EventLog.Timeout);
        Assert.Equal(0, violations);
    }

    [Fact]
    public async Task BinaryType_DecidesPerMessageAtDelivery()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        socket.Send(new byte[] { 1, 2, 3 });
        await log.MessagesAsync(1);
        socket.BinaryType = BinaryType.ArrayBuffer;
        socket.Send(new byte[] { 4, 5 });
        await log.MessagesAsync(2);

        Blob blob = Assert.IsType<Blob>(log.Messages[0].Data);   // binaryType "blob" is the default
        Assert.Equal(3, blob.Size);
        Assert.Equal("", blob.Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, await blob.ArrayBufferAsync());
        Assert.Equal(new byte[] { 4, 5 }, Assert.IsType<byte[]>(log.Messages[1].Data));
        Assert.Equal(new Uri(kestrel.Url("/")).GetLeftPart(UriPartial.Authority).Replace("http", "ws", StringComparison.Ordinal), log.Messages[0].Origin);
    }

    [Fact]
    public async Task Events_WithSynchronizationContext_RunOnItInOrder()
    {
        using var context = new SingleThreadContext();
        WebSocket? socket = null;
        var threads = new ConcurrentQueue<(string Type, int Thread)>();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await context.RunAsync(() =>
        {
            socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet(o => o.Dispatch = EventDispatch.Auto));
            socket.OnOpen = e =>
            {
                threads.Enqueue(("open", Environment.CurrentManagedThreadId));
                for (int i = 0; i < 20; i++)
                {
                    socket.Send(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            };
            int received = 0;
            socket.OnMessage = e =>
            {
                threads.Enqueue((e.Text, Environment.CurrentManagedThreadId));
                if (++received == 20)
                {
                    socket.Close(1000);
                }
            };
            socket.OnClose = e =>
            {
                threads.Enqueue(("close", Environment.CurrentManagedThreadId));
                closed.TrySetResult();
            };
        });
        await closed.Task.WaitAsync(EventLog.Timeout);
        Assert.All(threads, t => Assert.Equal(context.ThreadId, t.Thread));
        Assert.Equal(["open", .. Enumerable.Range(0, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), "close"], threads.Select(t => t.Type));
        await socket!.DisposeAsync();
    }

    [Fact]
    public async Task Events_WithAContextThatRunsPostsConcurrently_StillOneAtATimeInOrder()
    {
        WebSocket socket = EchoSocketUnder(new ConcurrentContext());

        await using (socket)
        {
            var log = new EventLog(socket);
            await log.OpenedAsync();
            for (int i = 0; i < 3000; i++)
            {
                socket.Send(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            await log.MessagesAsync(3000);
            Assert.Equal(Enumerable.Range(0, 3000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), log.Messages.Select(m => m.Text));
            Assert.False(log.OverlapSeen);
        }
    }

    [Fact]
    public async Task Events_WithAContextThatRefusesPosts_AreStillDelivered()
    {
        // A UI context whose window is gone throws from Post. Events then run on the thread pool: a socket whose
        // close event can never run would leave WhenClosed and DisposeAsync waiting for ever.
        var context = new RefusingContext();
        WebSocket socket = EchoSocketUnder(context);

        await using (socket)
        {
            var log = new EventLog(socket);
            await log.OpenedAsync();
            socket.Send("still heard");
            await log.MessagesAsync(1);
            socket.Close(1000, "done");
            CloseEvent close = await log.ClosedAsync();

            Assert.Equal(["open", "message", "close"], log.Types);
            Assert.Equal("still heard", log.Messages[0].Text);
            Assert.True(close.WasClean);
            Assert.Equal(1000, close.Code);
            Assert.True(context.Refused >= 3, $"the context refused {context.Refused} posts");
            Assert.False(log.OverlapSeen);
        }
    }

    [Fact]
    public async Task Messages_ThatArriveInOneRead_GoToTheContextInOnePost()
    {
        // Scheduling a drain per message let the context's thread take over after each message while the read loop
        // still had the rest of the read to hand over: on a busy machine each message then cost a wake-up and a time
        // slice (a 5,000-message flood under a test framework's context took 10 s instead of 0.1 s).
        const int Count = 200;
        byte[] burst = [.. Enumerable.Range(0, Count).SelectMany(i => ScriptedServer.Frame(0x1, $"m{i}"))];
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ScriptedServer.Start(async conn =>
        {
            await Failures.FailureEventLog.AcceptAsync(conn);
            await opened.Task;
            await conn.WriteAsync(burst.Concat(ScriptedServer.CloseFrame(1000)).ToArray()); // one write: one read on loopback
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        });
        var context = new EachPostToTheEndContext();
        WebSocket socket = SocketUnder(context, server.Url("/").ToString());
        await using (socket)
        {
            var texts = new List<string>();
            int postsAtOpen = -1;
            int postsAtLastMessage = -1;
            socket.OnOpen = e => postsAtOpen = context.Posts;
            socket.OnMessage = e =>
            {
                texts.Add(e.Text!);
                postsAtLastMessage = context.Posts;
            };
            await socket.WhenOpen.WaitAsync(EventLog.Timeout);
            opened.TrySetResult();
            CloseEvent close = await socket.WhenClosed.WaitAsync(EventLog.Timeout);

            Assert.True(close.WasClean);
            Assert.Equal(Enumerable.Range(0, Count).Select(i => $"m{i}"), texts);
            Assert.True(postsAtLastMessage - postsAtOpen <= 2, $"{postsAtLastMessage - postsAtOpen} posts delivered {Count} messages");
        }
    }

    /// <summary>A socket to the echo endpoint, constructed while <paramref name="context"/> is current (so it captures it).</summary>
    private WebSocket EchoSocketUnder(SynchronizationContext context) => SocketUnder(context, kestrel.Url("/echo"));

    /// <summary>A socket to <paramref name="url"/>, constructed while <paramref name="context"/> is current (so it captures it).</summary>
    private static WebSocket SocketUnder(SynchronizationContext context, string url)
    {
        SynchronizationContext? previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            return new WebSocket(url, null, TestOptions.Quiet());
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>
    /// A context that runs each post to its end on a thread of its own before <see cref="Post"/> returns: the most
    /// eager a context can be, so every post the socket makes shows in <see cref="Posts"/>.
    /// </summary>
    private sealed class EachPostToTheEndContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            var thread = new Thread(() =>
            {
                SetSynchronizationContext(this);
                d(state);
            });
            thread.Start();
            thread.Join();
        }

        public override SynchronizationContext CreateCopy() => this;
    }

    /// <summary>A context that throws from every Post.</summary>
    private sealed class RefusingContext : SynchronizationContext
    {
        private int _refused;

        public int Refused => Volatile.Read(ref _refused);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _refused);
            throw new InvalidOperationException("this context takes no more work");
        }

        public override SynchronizationContext CreateCopy() => this;
    }

    /// <summary>A context whose posts run in parallel on the thread pool, with no ordering guarantee.</summary>
    private sealed class ConcurrentContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => ThreadPool.QueueUserWorkItem(_ => d(state));
    }

    [Fact]
    public async Task Events_WithThreadPoolDispatch_IgnoreTheContext()
    {
        using var context = new SingleThreadContext();
        var opened = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        WebSocket? socket = null;
        await context.RunAsync(() =>
        {
            socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet(o => o.Dispatch = EventDispatch.ThreadPool));
            socket.OnOpen = e => opened.TrySetResult(Environment.CurrentManagedThreadId);
        });
        int thread = await opened.Task.WaitAsync(EventLog.Timeout);
        Assert.NotEqual(context.ThreadId, thread);
        await socket!.DisposeAsync();
    }

    [Fact]
    public async Task ReadMessagesAsync_YieldsEveryMessageThenEndsOnClose()
    {
        await using var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        var received = new List<string>();
        var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        IAsyncEnumerable<MessageEvent> messages = socket.ReadMessagesAsync();   // subscribes now
        Task reader = Task.Run(async () =>
        {
            await foreach (MessageEvent message in messages)
            {
                received.Add(message.Text);
                if (received.Count == 3)
                {
                    third.SetResult();
                }
            }
        });
        await socket.WhenOpen.WaitAsync(EventLog.Timeout);
        socket.Send("a");
        socket.Send("b");
        socket.Send("c");
        await third.Task.WaitAsync(EventLog.Timeout);
        socket.Close(1000);
        await reader.WaitAsync(EventLog.Timeout);
        Assert.Equal(["a", "b", "c"], received);
    }

    [Fact]
    public async Task Handshake_SendsOptionsHeadersOriginAndProtocols()
    {
        var options = TestOptions.Quiet(o =>
        {
            o.Origin = "https://app.example";
            o.RequestHeaders["X-Trace"] = "abc 123";
        });
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/headers?q=1"), ["v2.chat"], options), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.MessagesAsync(1);
        using var json = System.Text.Json.JsonDocument.Parse(log.Messages[0].Text);
        System.Text.Json.JsonElement headers = json.RootElement.GetProperty("headers");
        Assert.Equal("https://app.example", headers.GetProperty("origin").GetString());
        Assert.Equal("abc 123", headers.GetProperty("x-trace").GetString());
        Assert.Equal("v2.chat", headers.GetProperty("sec-websocket-protocol").GetString());
        Assert.Equal("13", headers.GetProperty("sec-websocket-version").GetString());
        Assert.Equal(24, headers.GetProperty("sec-websocket-key").GetString()!.Length);
        Assert.EndsWith("/headers?q=1", json.RootElement.GetProperty("url").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_WithCookies_SendsThemThroughTheHttpStackTransport()
    {
        // Cookies (like a proxy or credentials) route the handshake through SocketsHttpHandler, not the raw transport.
        var cookies = new System.Net.CookieContainer();
        Uri http = new(kestrel.Url("/").Replace("ws://", "http://", StringComparison.Ordinal));
        cookies.Add(http, new System.Net.Cookie("session", "abc123"));
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/headers"), null, TestOptions.Quiet(o => o.Cookies = cookies)), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.MessagesAsync(1);
        using var json = System.Text.Json.JsonDocument.Parse(log.Messages[0].Text);
        Assert.Equal("session=abc123", json.RootElement.GetProperty("headers").GetProperty("cookie").GetString());
        socket.Close(1000);
        Assert.True((await log.ClosedAsync()).WasClean);
    }

    /// <summary>A SynchronizationContext backed by one dedicated thread, like a UI thread.</summary>
    private sealed class SingleThreadContext : SynchronizationContext, IDisposable
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];
        private readonly Thread _thread;

        public SingleThreadContext()
        {
            _thread = new Thread(() =>
            {
                SetSynchronizationContext(this);
                foreach (var (callback, state) in _queue.GetConsumingEnumerable())
                {
                    callback(state);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public int ThreadId => _thread.ManagedThreadId;

        public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

        public Task RunAsync(Action action)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Post(_ =>
            {
                action();
                done.SetResult();
            }, null);
            return done.Task;
        }

        public void Dispose() => _queue.CompleteAdding();
    }
}
