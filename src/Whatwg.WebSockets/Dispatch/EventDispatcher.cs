using System.Collections.Concurrent;

namespace Whatwg.WebSockets.Dispatch;

/// <summary>What a queued task does when it runs (the WHATWG "queue a task" steps for each event).</summary>
internal enum QueuedKind : byte
{
    Open,
    Message,
    Closing,
    Closed,
    ControlFrame,
}

/// <summary>A queued task: small, so the queue holds them by value and a message costs no extra allocation.</summary>
internal readonly record struct QueuedTask(QueuedKind Kind, object? Data, long Size);

/// <summary>
/// Delivers a socket's tasks one at a time, in order, never re-entrantly and never on the I/O loop.
/// At most one drain is scheduled at a time; it runs on the captured <see cref="SynchronizationContext"/>
/// (posted there) or on the thread pool, and takes a whole burst of tasks per hop. Serializing here,
/// rather than posting each task, keeps the order even on contexts that run posts concurrently
/// (the base <see cref="SynchronizationContext"/> and test-framework contexts do).
/// </summary>
/// <remarks>
/// A dispatcher starts held: tasks queue but none runs until <see cref="Release"/>, which the socket calls when
/// its first listener is attached (see <c>WebSocket</c>), so handlers set right after the constructor never miss
/// the first events, as in a browser where events wait for the script that created the socket to finish.
/// Thread-safe: <see cref="Enqueue"/> and <see cref="Release"/> may be called from any thread.
/// </remarks>
internal sealed class EventDispatcher : IThreadPoolWorkItem
{
    private const int BatchLimit = 256;

    private static readonly SendOrPostCallback s_drain = static state => ((EventDispatcher)state!).Drain();

    private readonly ConcurrentQueue<QueuedTask> _queue = new();
    private readonly Action<QueuedTask> _run;
    private readonly Action<long> _delivered;
    private readonly SynchronizationContext? _context;
    private int _scheduled;
    private int _held = 1;

    /// <param name="run">Runs one task.</param>
    /// <param name="delivered">Told, after each batch, the total <see cref="QueuedTask.Size"/> of the tasks it ran.</param>
    /// <param name="context">Where to run, or null for the thread pool.</param>
    public EventDispatcher(Action<QueuedTask> run, Action<long> delivered, SynchronizationContext? context)
    {
        _run = run;
        _delivered = delivered;

        // The base class posts to the thread pool: no thread affinity to keep, so use our own queue.
        _context = context is null || context.GetType() == typeof(SynchronizationContext) ? null : context;
    }

    /// <summary>True until <see cref="Release"/>: tasks queue up but none runs.</summary>
    public bool IsHeld => Volatile.Read(ref _held) != 0;

    public void Enqueue(QueuedTask task)
    {
        _queue.Enqueue(task);
        ScheduleIfIdle();
    }

    /// <summary>
    /// Queues a task that is part of a burst; the caller must call <see cref="Flush"/> once it has queued the whole
    /// burst (the read loop does, after each read). On the thread pool the drain starts at once, as for
    /// <see cref="Enqueue"/>; on a captured context it is posted only at <see cref="Flush"/>.
    /// </summary>
    /// <remarks>
    /// A post wakes the context's own thread (a UI thread, a test framework's worker), which then takes over from
    /// the read loop halfway through the burst: one post and two thread switches per message, a time slice each
    /// on a busy machine (a 5,000-message flood under xunit's context beside two busy loops: 9-14 s, and 1-2 s
    /// with one post per read). The thread pool has no such cost, and there a drain that starts at the first
    /// message runs beside the read loop: receiving 16-byte messages is 25 % faster than with a drain per read.
    /// </remarks>
    public void EnqueueDeferred(QueuedTask task)
    {
        _queue.Enqueue(task);
        if (_context is null)
        {
            ScheduleIfIdle();
        }
    }

    /// <summary>Schedules a drain for the tasks queued by <see cref="EnqueueDeferred"/>, unless one is scheduled.</summary>
    public void Flush()
    {
        if (!_queue.IsEmpty)
        {
            ScheduleIfIdle();
        }
    }

    private void ScheduleIfIdle()
    {
        // Most calls find a drain already scheduled; a plain read spares them the interlocked write.
        if (Volatile.Read(ref _held) == 0 && Volatile.Read(ref _scheduled) == 0 && Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            Schedule();
        }
    }

    /// <summary>Lets queued and future tasks run. Idempotent.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _held, 0) != 0 && !_queue.IsEmpty && Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            Schedule();
        }
    }

    void IThreadPoolWorkItem.Execute() => Drain();

    private void Schedule()
    {
        if (_context is not null)
        {
            try
            {
                _context.Post(s_drain, this);
                return;
            }
            catch (Exception)
            {
                // A context that refuses work (a UI whose window is gone, a dispatcher shut down): deliver on the
                // thread pool rather than never, or close events, WhenClosed and receive backpressure would wait forever.
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    private void Drain()
    {
        while (true)
        {
            long delivered = 0;
            for (int i = 0; i < BatchLimit && _queue.TryDequeue(out QueuedTask task); i++)
            {
                _run(task);
                delivered += task.Size;
            }

            if (delivered != 0)
            {
                _delivered(delivered);
            }

            if (!_queue.IsEmpty)
            {
                // Let other work run between long bursts; we stay scheduled.
                Schedule();
                return;
            }

            // A full fence, not a plain write: the queue check below must not be ordered before this store,
            // or an Enqueue that reads "scheduled" in between would leave its task with no drain (lost wake-up).
            Interlocked.Exchange(ref _scheduled, 0);
            if (_queue.IsEmpty || Interlocked.Exchange(ref _scheduled, 1) != 0)
            {
                return;
            }
        }
    }
}
