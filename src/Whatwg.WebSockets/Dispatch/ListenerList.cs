namespace Whatwg.WebSockets.Dispatch;

/// <summary>
/// One event type's listeners in the order they were added, as the DOM keeps them: the event handler
/// attribute (<c>onmessage</c>, here <c>OnMessage</c>) holds one place in the list, taken when it is first
/// set to a handler, kept when it is changed, and given up when it is set to null; C# <c>+=</c> handlers
/// are appended. Dispatch iterates over a snapshot, so listeners added during an event see the next one,
/// while a listener removed during an event is skipped at once (its removed flag is set).
/// </summary>
/// <remarks>Thread-safe: changes copy the array under a lock; dispatch reads it without one.</remarks>
internal sealed class ListenerList<TEvent>
    where TEvent : Event
{
    private readonly object _lock = new();
    private readonly Action? _onAdded;
    private Listener[] _listeners = [];
    private Listener? _attribute;

    /// <param name="onAdded">Called after any listener or handler is added.</param>
    public ListenerList(Action? onAdded = null) => _onAdded = onAdded;

    public Action<TEvent>? Attribute
    {
        get => _attribute?.Callback;
        set
        {
            lock (_lock)
            {
                if (value is null)
                {
                    if (_attribute is not null)
                    {
                        _attribute.Removed = true;
                        _listeners = Array.FindAll(_listeners, l => l != _attribute);
                        _attribute = null;
                    }
                }
                else if (_attribute is not null)
                {
                    _attribute.Callback = value;
                }
                else
                {
                    _attribute = new Listener { Callback = value };
                    _listeners = [.. _listeners, _attribute];
                }
            }

            if (value is not null)
            {
                _onAdded?.Invoke();
            }
        }
    }

    public bool IsEmpty => _listeners.Length == 0;

    public void Add(EventHandler<TEvent>? handler)
    {
        if (handler is null)
        {
            return;
        }

        lock (_lock)
        {
            _listeners = [.. _listeners, new Listener { Handler = handler }];
        }

        _onAdded?.Invoke();
    }

    public void Remove(EventHandler<TEvent>? handler)
    {
        if (handler is null)
        {
            return;
        }

        lock (_lock)
        {
            // C# event semantics: remove the last registration of that delegate.
            int index = Array.FindLastIndex(_listeners, l => l.Handler == handler);
            if (index >= 0)
            {
                _listeners[index].Removed = true;
                Listener[] copy = [.. _listeners];
                _listeners = [.. copy.AsSpan(0, index), .. copy.AsSpan(index + 1)];
            }
        }
    }

    /// <summary>Calls every listener; one that throws is reported and the rest still run.</summary>
    public void Invoke(WebSocket sender, TEvent e, Action<Exception, Event> onListenerException)
    {
        foreach (Listener listener in _listeners)
        {
            // DOM: a listener removed while the event is being dispatched is not called.
            if (listener.Removed)
            {
                continue;
            }

            try
            {
                if (listener.Handler is { } handler)
                {
                    handler(sender, e);
                }
                else
                {
                    listener.Callback?.Invoke(e);
                }
            }
            catch (Exception ex)
            {
                onListenerException(ex, e);
            }
        }
    }

    private sealed class Listener
    {
        public Action<TEvent>? Callback { get; set; }

        public EventHandler<TEvent>? Handler { get; init; }

        public volatile bool Removed;
    }
}
