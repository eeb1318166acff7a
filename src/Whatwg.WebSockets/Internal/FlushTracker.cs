namespace Whatwg.WebSockets.Internal;

/// <summary>
/// Waiters for "everything queued up to byte N has been written", for <see cref="WebSocket.FlushAsync"/>.
/// Byte counts are cumulative over the socket's life, so a waiter never confuses its data with later data.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class FlushTracker
{
    private readonly object _lock = new();
    private readonly List<(long Target, TaskCompletionSource Completion)> _waiters = [];
    private long _sent;
    private Exception? _closed;

    public Task WaitAsync(long target, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_sent >= target)
            {
                return Task.CompletedTask;
            }

            if (_closed is not null)
            {
                return Task.FromException(_closed);
            }

            var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((target, completion));
            return cancellationToken.CanBeCanceled ? completion.Task.WaitAsync(cancellationToken) : completion.Task;
        }
    }

    public void OnSent(long bytes)
    {
        lock (_lock)
        {
            _sent += bytes;
            if (_waiters.Count == 0)
            {
                return;
            }

            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Target <= _sent)
                {
                    _waiters[i].Completion.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public void OnClosed(Exception reason)
    {
        lock (_lock)
        {
            _closed = reason;
            foreach ((long _, TaskCompletionSource completion) in _waiters)
            {
                completion.TrySetException(reason);
            }

            _waiters.Clear();
        }
    }
}
