namespace Whatwg.WebSockets.Tests.Support;

/// <summary>One delivered event, with what the socket looked like while its listener ran.</summary>
internal sealed record LoggedEvent(string Type, WebSocketReadyState ReadyState, Event Event, int ThreadId);

/// <summary>
/// Records every event of a socket in delivery order, through the C# events (so the On* properties
/// stay free for the test), and completes <see cref="Closed"/> when the close event has been delivered.
/// </summary>
internal sealed class EventLog
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly List<LoggedEvent> _events = [];
    private readonly TaskCompletionSource<CloseEvent> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Func<List<LoggedEvent>, bool> Condition, TaskCompletionSource Done)> _waits = [];
    private int _concurrent;
    private bool _overlapSeen;

    public EventLog(WebSocket socket)
    {
        Socket = socket;
        socket.Opened += (s, e) => Record(e, () => _opened.TrySetResult());
        socket.MessageReceived += (s, e) => Record(e, null);
        socket.Error += (s, e) => Record(e, null);
        socket.Closed += (s, e) => Record(e, () => _closed.TrySetResult(e));
    }

    public WebSocket Socket { get; }

    /// <summary>True if two listeners ever ran at the same time (re-entrancy or parallel dispatch).</summary>
    public bool OverlapSeen => Volatile.Read(ref _overlapSeen);

    public IReadOnlyList<LoggedEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public IReadOnlyList<string> Types => [.. Events.Select(e => e.Type)];

    public IReadOnlyList<MessageEvent> Messages => [.. Events.Select(e => e.Event).OfType<MessageEvent>()];

    public async Task OpenedAsync()
    {
        try
        {
            await _opened.Task.WaitAsync(Timeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(
                $"no open event within {Timeout.TotalSeconds} s: ReadyState={Socket.ReadyState}, WhenOpen={Socket.WhenOpen.Status}, " +
                $"WhenClosed={Socket.WhenClosed.Status}, events=[{string.Join(", ", Types)}]", ex);
        }
    }

    public async Task<CloseEvent> ClosedAsync()
    {
        try
        {
            return await _closed.Task.WaitAsync(Timeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(
                $"no close event within {Timeout.TotalSeconds} s: ReadyState={Socket.ReadyState}, BufferedAmount={Socket.BufferedAmount}, " +
                $"WhenClosed={Socket.WhenClosed.Status}, {Messages.Count} messages, events ending [{string.Join(", ", Types.TakeLast(5))}]", ex);
        }
    }

    /// <summary>Waits until <paramref name="count"/> messages have been delivered.</summary>
    public Task MessagesAsync(int count) => WaitUntil(events => events.Count(e => e.Type == "message") >= count);

    public Task WaitUntil(Func<List<LoggedEvent>, bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_events)
        {
            if (condition(_events))
            {
                return Task.CompletedTask;
            }

            _waits.Add((condition, done));
        }

        return done.Task.WaitAsync(Timeout);
    }

    private void Record(Event e, Action? after)
    {
        if (Interlocked.Increment(ref _concurrent) > 1)
        {
            Volatile.Write(ref _overlapSeen, true);
        }

        lock (_events)
        {
            _events.Add(new LoggedEvent(e.Type, Socket.ReadyState, e, Environment.CurrentManagedThreadId));
            for (int i = _waits.Count - 1; i >= 0; i--)
            {
                if (_waits[i].Condition(_events))
                {
                    _waits[i].Done.TrySetResult();
                    _waits.RemoveAt(i);
                }
            }
        }

        Interlocked.Decrement(ref _concurrent);
        after?.Invoke();
    }
}
