using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Whatwg.WebSockets.Connection;
using Whatwg.WebSockets.Dispatch;
using Whatwg.WebSockets.Internal;
using Whatwg.WebSockets.Protocol;

namespace Whatwg.WebSockets;

/// <summary>Details of an exception thrown by an event listener.</summary>
public sealed class ListenerExceptionEventArgs : EventArgs
{
    internal ListenerExceptionEventArgs(Exception exception, Event @event)
    {
        Exception = exception;
        Event = @event;
    }

    /// <summary>What the listener threw.</summary>
    public Exception Exception { get; }

    /// <summary>The event it was handling.</summary>
    public Event Event { get; }
}

public sealed partial class WebSocket : IConnectionEvents
{
    private readonly ListenerList<Event> _open;
    private readonly ListenerList<MessageEvent> _message;
    private readonly ListenerList<ErrorEvent> _error;
    private readonly ListenerList<CloseEvent> _close;
    private readonly ListenerList<ControlFrameEvent> _controlFrame;
    private readonly FlushTracker _flush = new();
    private long _queuedTotal;
    private long _undelivered;
    private TaskCompletionSource? _deliveryWaiter;
    private long _deliveryThreshold;
    private int _releaseScheduled;

    /// <summary>How long after the first listener is attached held events start.</summary>
    private static readonly TimeSpan ListenerSettleTime = TimeSpan.FromMilliseconds(10);

    /// <summary>The <c>onopen</c> handler: one assignable handler holding one place among the <see cref="Opened"/> listeners.</summary>
    public Action<Event>? OnOpen { get => _open.Attribute; set => _open.Attribute = value; }

    /// <summary>The <c>onmessage</c> handler.</summary>
    public Action<MessageEvent>? OnMessage { get => _message.Attribute; set => _message.Attribute = value; }

    /// <summary>The <c>onerror</c> handler. Unlike a browser's, its event says why (<see cref="ErrorEvent.Exception"/>).</summary>
    public Action<ErrorEvent>? OnError { get => _error.Attribute; set => _error.Attribute = value; }

    /// <summary>The <c>onclose</c> handler.</summary>
    public Action<CloseEvent>? OnClose { get => _close.Attribute; set => _close.Attribute = value; }

    /// <summary>The <c>open</c> event, as <c>addEventListener("open", ...)</c>: listeners run in the order added, together with <see cref="OnOpen"/>.</summary>
    public event EventHandler<Event>? Opened { add => _open.Add(value); remove => _open.Remove(value); }

    /// <summary>The <c>message</c> event.</summary>
    public event EventHandler<MessageEvent>? MessageReceived { add => _message.Add(value); remove => _message.Remove(value); }

    /// <summary>The <c>error</c> event: the connection failed. A <c>close</c> event always follows.</summary>
    public event EventHandler<ErrorEvent>? Error { add => _error.Add(value); remove => _error.Remove(value); }

    /// <summary>The <c>close</c> event: the connection is closed (ReadyState is CLOSED).</summary>
    public event EventHandler<CloseEvent>? Closed { add => _close.Add(value); remove => _close.Remove(value); }

    /// <summary>
    /// Raised (on the event thread) when a listener throws. The exception neither closes the socket nor stops
    /// the other listeners. With no handler here, it is written to <see cref="Trace"/>.
    /// </summary>
    public event EventHandler<ListenerExceptionEventArgs>? UnhandledListenerException;

    /// <summary>
    /// The messages as an async stream, for <c>await foreach</c>; it ends when the socket closes. The
    /// subscription is taken when this method is called (not when the enumeration starts), so calling it
    /// right after construction sees every message. Messages are buffered for the reader without bound.
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The messages in order of arrival.</returns>
    public IAsyncEnumerable<MessageEvent> ReadMessagesAsync(CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<MessageEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        EventHandler<MessageEvent> onMessage = (_, e) => channel.Writer.TryWrite(e);
        EventHandler<CloseEvent> onClosed = (_, _) => channel.Writer.TryComplete();
        MessageReceived += onMessage;
        Closed += onClosed;
        if (ReadyState == WebSocketReadyState.Closed)
        {
            channel.Writer.TryComplete();
        }

        return ReadChannelAsync(channel.Reader, onMessage, onClosed, cancellationToken);
    }

    private async IAsyncEnumerable<MessageEvent> ReadChannelAsync(
        ChannelReader<MessageEvent> reader,
        EventHandler<MessageEvent> onMessage,
        EventHandler<CloseEvent> onClosed,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out MessageEvent? message))
                {
                    yield return message;
                }
            }
        }
        finally
        {
            MessageReceived -= onMessage;
            Closed -= onClosed;
        }
    }

    long IConnectionEvents.OnMessage(in ReceivedFrame message)
    {
        // Each message counts one byte more than its payload, so an empty message is still "undelivered".
        long size = 1 + (message.Kind == ReceivedKind.Text ? message.Text.Length * sizeof(char) : message.Bytes.Length);
        long undelivered = Interlocked.Add(ref _undelivered, size);
        _dispatcher.EnqueueDeferred(new QueuedTask(QueuedKind.Message, message.Data, size));
        return undelivered;
    }

    void IConnectionEvents.OnReadHandled() => _dispatcher.Flush();

    void IConnectionEvents.OnClosingHandshakeStarted() => _dispatcher.Enqueue(new QueuedTask(QueuedKind.Closing, null, 0));

    void IConnectionEvents.OnBytesSent(long payloadBytes)
    {
        Interlocked.Add(ref _bufferedAmount, -payloadBytes);
        _flush.OnSent(payloadBytes);
    }

    void IConnectionEvents.OnClosed(ConnectionClosure closure) => _dispatcher.Enqueue(new QueuedTask(QueuedKind.Closed, closure, 0));

    ValueTask IConnectionEvents.WaitForDeliveryAsync(long threshold)
    {
        TaskCompletionSource waiter;
        lock (_stateLock)
        {
            if (Interlocked.Read(ref _undelivered) <= threshold || _readyState == (int)WebSocketReadyState.Closed)
            {
                return ValueTask.CompletedTask;
            }

            Volatile.Write(ref _deliveryThreshold, threshold);
            waiter = _deliveryWaiter ?? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _deliveryWaiter, waiter);
        }

        // OnDelivered lowers the count and then looks for a waiter; we publish the waiter and then look at the
        // count again (both sides with a full fence between). A delivery that finished in between, seeing no
        // waiter, is seen here; otherwise this waiter would wait for a delivery that may never come.
        if (Interlocked.Read(ref _undelivered) <= threshold)
        {
            ReleaseDeliveryWaiterIfCaughtUp();
        }

        return new ValueTask(waiter.Task);
    }

    /// <summary>Runs one queued task on the event thread: the state change it reports, then its listeners.</summary>
    private void RunTask(QueuedTask task)
    {
        switch (task.Kind)
        {
            case QueuedKind.Open:
                RunOpen((string[])task.Data!);
                break;
            case QueuedKind.Message:
                RunMessage(task.Data!);
                break;
            case QueuedKind.Closing:
                // "When the WebSocket closing handshake is started, queue a task to change the ready state to CLOSING."
                lock (_stateLock)
                {
                    if (_readyState == (int)WebSocketReadyState.Open)
                    {
                        _readyState = (int)WebSocketReadyState.Closing;
                    }
                }

                break;
            case QueuedKind.Closed:
                RunClosed((ConnectionClosure)task.Data!);
                break;
            case QueuedKind.ControlFrame:
                RunControlFrame((ControlFrameEvent)task.Data!);
                break;
        }
    }

    private void RunOpen(string[] negotiated)
    {
        lock (_stateLock)
        {
            if (_readyState != (int)WebSocketReadyState.Connecting)
            {
                return; // close() was called before the open task ran: the attempt is being failed instead.
            }

            // "Change the ready state to OPEN. Change the extensions ... Change the protocol ... Fire an event named open."
            _readyState = (int)WebSocketReadyState.Open;
            Volatile.Write(ref _extensions, negotiated[1]);
            Volatile.Write(ref _protocol, negotiated[0]);
        }

        Fire(_open, new Event("open"));
        _whenOpen.TrySetResult();
    }

    private void RunMessage(object data)
    {
        // "If ready state is not OPEN, then return": messages that arrive after close() are dropped.
        if (_readyState == (int)WebSocketReadyState.Open)
        {
            object value = data is byte[] bytes && BinaryType == BinaryType.Blob ? Blob.Wrap(bytes, string.Empty) : data;
            Fire(_message, new MessageEvent(value, _url.Origin));
        }
    }

    /// <summary>
    /// After each batch of tasks: their messages count as delivered only now that their listeners have run,
    /// so whatever those listeners sent is already queued (see the drain before a failure).
    /// </summary>
    private void OnDelivered(long size)
    {
        long undelivered = Interlocked.Add(ref _undelivered, -size);
        if (Volatile.Read(ref _deliveryWaiter) is not null && undelivered <= Volatile.Read(ref _deliveryThreshold))
        {
            ReleaseDeliveryWaiterIfCaughtUp();
        }
    }

    private void RunClosed(ConnectionClosure closure)
    {
        lock (_stateLock)
        {
            if (_readyState == (int)WebSocketReadyState.Closed)
            {
                return;
            }

            _readyState = (int)WebSocketReadyState.Closed;
        }

        ReleaseDeliveryWaiter();
        _flush.OnClosed(new InvalidStateErrorException("The connection closed before all queued data was sent."));

        // "If the user agent was required to fail the WebSocket connection, or if the WebSocket connection was
        // closed after being flagged as full, fire an event named error at the WebSocket object."
        if (closure.Failed && closure.Failure is not null)
        {
            Fire(_error, new ErrorEvent(closure.Failure));
        }

        var close = new CloseEvent(closure.WasClean, closure.Code, closure.Reason) { Failure = closure.Failure };
        Fire(_close, close);
        _whenOpen.TrySetException(closure.Failure ?? new WebSocketFailureException(WebSocketFailure.ConnectAborted, "the socket closed before it opened"));
        _ = _whenOpen.Task.Exception; // observed: WhenOpen is optional to await
        _whenClosed.TrySetResult(close);
        _connectAbort.Dispose();
    }

    /// <summary>
    /// Lets events flow. A browser runs events only after the script that created the socket has finished, so
    /// handlers set right after <c>new WebSocket(...)</c> see every event; .NET has no such point, so events are
    /// held until the first listener is attached or ReadyState or an awaitable is read, and at the latest
    /// <see cref="EventHoldLimit"/> after the connection attempt ends.
    /// </summary>
    private void ReleaseEvents() => _dispatcher.Release();

    /// <summary>
    /// A listener was attached: the others usually follow within microseconds (statement after statement), so
    /// held events start a few milliseconds later rather than racing the next attachment. When the connection
    /// is still being established, as it almost always is, this costs nothing.
    /// </summary>
    private void ReleaseEventsSoon()
    {
        if (_dispatcher.IsHeld && Interlocked.Exchange(ref _releaseScheduled, 1) == 0)
        {
            _ = Task.Delay(ListenerSettleTime).ContinueWith(
                static (_, state) => ((WebSocket)state!).ReleaseEvents(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Completes the read loop's wait if the count is still at or below its threshold, judged under the lock: a
    /// delivery that saw an earlier waiter must not complete a newer one, published since for a fuller queue.
    /// </summary>
    private void ReleaseDeliveryWaiterIfCaughtUp()
    {
        TaskCompletionSource? waiter;
        lock (_stateLock)
        {
            waiter = _deliveryWaiter;
            if (waiter is null || Interlocked.Read(ref _undelivered) > _deliveryThreshold)
            {
                return;
            }

            _deliveryWaiter = null;
        }

        waiter.TrySetResult();
    }

    private void ReleaseDeliveryWaiter()
    {
        TaskCompletionSource? waiter;
        lock (_stateLock)
        {
            waiter = _deliveryWaiter;
            _deliveryWaiter = null;
        }

        waiter?.TrySetResult();
    }

    private void Fire<TEvent>(ListenerList<TEvent> listeners, TEvent e)
        where TEvent : Event
    {
        e.Target = this;
        listeners.Invoke(this, e, ReportListenerException);
    }

    private void ReportListenerException(Exception exception, Event e)
    {
        EventHandler<ListenerExceptionEventArgs>? handler = UnhandledListenerException;
        if (handler is null)
        {
            Trace.TraceError($"A WebSocket '{e.Type}' listener threw: {exception}");
            return;
        }

        try
        {
            handler(this, new ListenerExceptionEventArgs(exception, e));
        }
        catch (Exception nested)
        {
            // A reporting hook that throws is reported once more, to Trace, and goes no further.
            Trace.TraceError($"An UnhandledListenerException handler threw: {nested}");
        }
    }
}
