namespace Whatwg.WebSockets.Tests.Whatwg;

/// <summary>
/// Holds a socket's events until <see cref="Release"/>, the way a browser holds them until the script that
/// created the socket returns: construct the socket with <see cref="Create"/>, add listeners, then release.
/// It is the SynchronizationContext the socket captures at construction; once released it runs posts on the
/// thread pool (the socket's dispatcher keeps them one at a time and in order).
/// </summary>
internal sealed class EventGate : SynchronizationContext
{
    private readonly object _lock = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _held = new();
    private bool _released;

    /// <summary>Constructs a socket under a new gate; attach listeners, then call <see cref="Release"/>.</summary>
    public static WebSocket Hold(Func<WebSocket> create, out EventGate gate)
    {
        gate = new EventGate();
        return gate.Create(create);
    }

    public WebSocket Create(Func<WebSocket> create)
    {
        SynchronizationContext? previous = Current;
        SetSynchronizationContext(this);
        try
        {
            return create();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    public void Release()
    {
        (SendOrPostCallback Callback, object? State)[] held;
        lock (_lock)
        {
            _released = true;
            held = [.. _held];
            _held.Clear();
        }

        ThreadPool.QueueUserWorkItem(_ =>
        {
            foreach ((SendOrPostCallback callback, object? state) in held)
            {
                callback(state);
            }
        });
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        lock (_lock)
        {
            if (!_released)
            {
                _held.Enqueue((d, state));
                return;
            }
        }

        ThreadPool.QueueUserWorkItem(_ => d(state));
    }

    public override SynchronizationContext CreateCopy() => this;
}
