using System.Collections.Concurrent;

namespace Whatwg.WebSockets.Dispatch;

/// <summary>What a queued task does when it runs (the WHATWG "queue a task" steps for each event).</summary>
internal enum QueuedKind : byte
{
    Open,
    Message,
    Closing,
    Closed,
}

/// <summary>A queued task: small, so the queue holds them by value and a message costs no extra allocation.</summary>
internal readonly record struct QueuedTask(QueuedKind Kind, object? Data, long Size);

/// <summary>
/// Delivers a socket's tasks one at a time, in order, never re-entrantly and never on the I/O loop:
/// posted to a <see cref="SynchronizationContext"/> when one was captured, else drained by one
/// thread-pool work item at a time, which takes a whole burst of messages per hop.
/// </summary>
/// <remarks>Thread-safe: <see cref="Enqueue"/> may be called from any thread.</remarks>
internal sealed class EventDispatcher : IThreadPoolWorkItem
{
    private const int BatchLimit = 256;

    private static readonly SendOrPostCallback s_runOne = static state => ((EventDispatcher)state!).RunOne();

    private readonly ConcurrentQueue<QueuedTask> _queue = new();
    private readonly Action<QueuedTask> _run;
    private readonly SynchronizationContext? _context;
    private int _scheduled;

    public EventDispatcher(Action<QueuedTask> run, SynchronizationContext? context)
    {
        _run = run;
        _context = context;
    }

    public void Enqueue(QueuedTask task)
    {
        _queue.Enqueue(task);
        if (_context is not null)
        {
            // One post per task: the context runs posts in order, one at a time.
            _context.Post(s_runOne, this);
        }
        else if (Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private void RunOne()
    {
        if (_queue.TryDequeue(out QueuedTask task))
        {
            _run(task);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        while (true)
        {
            for (int i = 0; i < BatchLimit && _queue.TryDequeue(out QueuedTask task); i++)
            {
                _run(task);
            }

            if (!_queue.IsEmpty)
            {
                // Let other work run between long bursts; we stay scheduled.
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return;
            }

            Volatile.Write(ref _scheduled, 0);
            if (_queue.IsEmpty || Interlocked.Exchange(ref _scheduled, 1) != 0)
            {
                return;
            }
        }
    }
}
