using System.Diagnostics;

namespace Whatwg.WebSockets.Cli.Bench;

/// <summary>When the run's phases begin and end, in <see cref="Stopwatch"/> ticks.</summary>
/// <param name="Start">Sending starts (the warm-up begins).</param>
/// <param name="MeasureFrom">Messages sent from here on are measured.</param>
/// <param name="End">No message is sent from here on.</param>
internal readonly record struct BenchClock(long Start, long MeasureFrom, long End)
{
    /// <summary>Whether a message sent (or due) at <paramref name="ticks"/> counts.</summary>
    public bool IsMeasured(long ticks) => ticks >= MeasureFrom && ticks < End;
}

/// <summary>
/// One of the bench's connections: it sends numbered messages, keeps at most <see cref="BenchSettings.InFlight"/>
/// of them unanswered, and checks that each echo is the next message it sent, byte for byte. Latency is the time
/// from sending a message (with --rate: from when it was due, so a server that falls behind shows as latency rather
/// than as fewer messages) to its echo arriving. Only the WebSocket API is used: Send, the message and close
/// events, WhenOpen, FlushAsync, BufferedAmount and Close.
/// </summary>
internal sealed class BenchConnection : IDisposable
{
    private const long FlushThreshold = 1024 * 1024;

    private readonly BenchSettings _settings;
    private readonly int _index;
    private readonly Lock _lock = new();
    private readonly Queue<(long Sequence, long SentAt)> _outstanding = new();
    private readonly SemaphoreSlim _window;
    private readonly CancellationTokenSource _closed = new();
    private readonly byte[] _sendBytes;
    private readonly char[] _sendChars;
    private readonly byte[] _checkBytes;
    private readonly char[] _checkChars;
    private BenchClock _clock;
    private long _nextSequence;
    private long _sent;
    private long _echoed;
    private long _echoedTotal;
    private long _mismatched;
    private volatile bool _closing;
    private volatile bool _opened;

    public BenchConnection(BenchSettings settings, int index, WebSocket socket)
    {
        _settings = settings;
        _index = index;
        Socket = socket;
        _window = new SemaphoreSlim(settings.InFlight);
        _sendBytes = settings.Binary ? new byte[settings.Size] : [];
        _checkBytes = settings.Binary ? new byte[settings.Size] : [];
        _sendChars = settings.Binary ? [] : new char[settings.Size];
        _checkChars = settings.Binary ? [] : new char[settings.Size];
        socket.BinaryType = BinaryType.ArrayBuffer;
        socket.OnMessage = OnMessage;
        socket.OnClose = OnClose;
    }

    /// <summary>The socket.</summary>
    public WebSocket Socket { get; }

    /// <summary>Latencies of the measured messages, in µs. Read it only after the connection has closed.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Measured messages sent.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Measured messages echoed intact.</summary>
    public long Echoed => Interlocked.Read(ref _echoed);

    /// <summary>All messages echoed, warm-up included (for the progress line).</summary>
    public long EchoedTotal => Interlocked.Read(ref _echoedTotal);

    /// <summary>Echoes that were not the next message sent, byte for byte, or arrived when none was expected.</summary>
    public long Mismatched => Interlocked.Read(ref _mismatched);

    /// <summary>The first mismatch, described, or null.</summary>
    public string? FirstMismatch { get; private set; }

    /// <summary>Measured messages that had no echo when the run ended (the connection itself was still open).</summary>
    public long Missing { get; private set; }

    /// <summary>Why the connection failed, or closed when the bench had not asked it to; null if it did not.</summary>
    public CloseReport? Failure { get; private set; }

    /// <summary>Whether the connection opened.</summary>
    public bool Opened => _opened;

    /// <summary>Whether the close event has come.</summary>
    public bool IsClosed => _closed.IsCancellationRequested;

    /// <summary>Messages sent and not yet echoed.</summary>
    public int Outstanding
    {
        get
        {
            lock (_lock)
            {
                return _outstanding.Count;
            }
        }
    }

    /// <summary>Waits for the opening handshake; false if it failed (<see cref="Failure"/> then says why).</summary>
    public async Task<bool> OpenAsync()
    {
        try
        {
            await Socket.WhenOpen.ConfigureAwait(false);
            _opened = true;
            return true;
        }
        catch (WebSocketFailureException)
        {
            await Socket.WhenClosed.ConfigureAwait(false); // the close event carries the same failure
            return false;
        }
    }

    /// <summary>Sends until <see cref="BenchClock.End"/> (or until the connection closes).</summary>
    public async Task SendAsync(BenchClock clock, CancellationToken cancellationToken)
    {
        _clock = clock;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        CancellationToken token = stop.Token;

        // With --rate each connection sends its share on a fixed schedule, the connections staggered across one interval.
        double interval = _settings.Rate is double rate ? Stopwatch.Frequency * _settings.Connections / rate : 0;
        double offset = interval * _index / _settings.Connections;
        try
        {
            for (long k = 0; ; k++)
            {
                // A server that stops echoing must not keep the run going past its end.
                TimeSpan left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), clock.End);
                if (left <= TimeSpan.Zero || !await _window.WaitAsync(left, token).ConfigureAwait(false))
                {
                    break;
                }

                long sentAt = Stopwatch.GetTimestamp();
                if (interval > 0)
                {
                    long due = clock.Start + (long)(offset + (k * interval));
                    if (due >= clock.End)
                    {
                        break;
                    }

                    if (due > sentAt)
                    {
                        await Task.Delay(Stopwatch.GetElapsedTime(sentAt, due), token).ConfigureAwait(false);
                    }

                    sentAt = due;
                }
                else if (sentAt >= clock.End)
                {
                    break;
                }

                Send(sentAt);
                if (Socket.BufferedAmount > FlushThreshold)
                {
                    await Socket.FlushAsync(token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Interrupted, or the connection closed; the close event says why.
        }
        catch (InvalidStateErrorException)
        {
            // Closed with data still queued; the close event says why.
        }
    }

    /// <summary>Waits until every message has its echo, the connection has closed, or <paramref name="limit"/> has passed.</summary>
    public async Task DrainAsync(TimeSpan limit)
    {
        long start = Stopwatch.GetTimestamp();
        while (!IsClosed && Outstanding > 0 && Stopwatch.GetElapsedTime(start) < limit)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        if (!IsClosed)
        {
            lock (_lock)
            {
                Missing = _outstanding.Count(message => _clock.IsMeasured(message.SentAt));
            }
        }
    }

    /// <summary>Starts the closing handshake (1000) and waits for the close event.</summary>
    public async Task CloseAsync()
    {
        _closing = true;
        if (Socket.ReadyState is WebSocketReadyState.Connecting or WebSocketReadyState.Open)
        {
            Socket.Close(1000);
        }

        await Socket.WhenClosed.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Socket.Dispose();

        // The close listener uses these; until the close event has run they are left to the collector.
        if (Socket.WhenClosed.IsCompleted)
        {
            _window.Dispose();
            _closed.Dispose();
        }
    }

    private void Send(long sentAt)
    {
        long sequence = _nextSequence++;
        lock (_lock)
        {
            // Queued before the send, so the echo can never arrive first.
            _outstanding.Enqueue((sequence, sentAt));
        }

        if (_clock.IsMeasured(sentAt))
        {
            Interlocked.Increment(ref _sent);
        }

        if (_settings.Binary)
        {
            Payload.Fill(_sendBytes, sequence);
            Socket.Send(new ReadOnlySpan<byte>(_sendBytes));
        }
        else
        {
            Payload.Fill(_sendChars, sequence);
            Socket.Send(new ReadOnlySpan<char>(_sendChars));
        }
    }

    /// <summary>Events run one at a time, so the histogram needs no lock.</summary>
    private void OnMessage(MessageEvent message)
    {
        long arrived = Stopwatch.GetTimestamp();
        (long Sequence, long SentAt) expected;
        bool any;
        lock (_lock)
        {
            any = _outstanding.TryDequeue(out expected);
        }

        if (!any)
        {
            Mismatch("an echo arrived when no message was waiting for one");
            return;
        }

        string? wrong = Check(message, expected.Sequence);
        if (wrong is not null)
        {
            Mismatch(wrong);
        }
        else
        {
            if (_clock.IsMeasured(expected.SentAt))
            {
                Latency.Record((long)Stopwatch.GetElapsedTime(expected.SentAt, arrived).TotalMicroseconds);
                Interlocked.Increment(ref _echoed);
            }

            Interlocked.Increment(ref _echoedTotal);
        }

        _window.Release();
    }

    /// <summary>What is wrong with the echo of message <paramref name="sequence"/>, or null if it is intact.</summary>
    private string? Check(MessageEvent message, long sequence)
    {
        if (message.IsBinary != _settings.Binary)
        {
            return $"the echo of message {sequence} came back as {(message.IsBinary ? "binary" : "text")}";
        }

        long got;
        int length;
        int differs;
        if (_settings.Binary)
        {
            byte[] bytes = message.Bytes;
            Payload.Fill(_checkBytes, sequence);
            got = Payload.SequenceOf(bytes);
            length = bytes.Length;
            differs = bytes.AsSpan().CommonPrefixLength(_checkBytes);
        }
        else
        {
            string text = message.Text;
            Payload.Fill(_checkChars, sequence);
            got = Payload.SequenceOf(text);
            length = text.Length;
            differs = text.AsSpan().CommonPrefixLength(_checkChars);
        }

        if (length == _settings.Size && differs == length)
        {
            return null;
        }

        if (got >= 0 && got != sequence)
        {
            return $"expected the echo of message {sequence}, got message {got}";
        }

        return length != _settings.Size
            ? $"the echo of message {sequence} has {length} bytes, not {_settings.Size}"
            : $"the echo of message {sequence} differs from what was sent at byte {differs}";
    }

    private void Mismatch(string description)
    {
        if (Interlocked.Increment(ref _mismatched) == 1)
        {
            FirstMismatch = $"connection {_index + 1}: {description}";
        }
    }

    private void OnClose(CloseEvent close)
    {
        if (!_closing || !close.WasClean)
        {
            CloseReport report = CloseReport.From(close);
            Failure = report.ExitCode == ExitCodes.CleanClose
                ? new CloseReport(ExitCodes.BenchErrors, $"wsc: the server closed the connection during the run: {report.Message["wsc: ".Length..]}")
                : report;
        }

        _closed.Cancel();
    }
}
