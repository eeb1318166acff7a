using System.Buffers;
using System.Diagnostics;
using System.Text;
using Whatwg.WebSockets.Internal;
using Whatwg.WebSockets.Protocol;

namespace Whatwg.WebSockets.Connection;

/// <summary>
/// The I/O driver around <see cref="ProtocolEngine"/>: one read loop, one write loop, the close and
/// keep-alive timers. Sends from any thread frame and mask their message straight into the engine's
/// output under <see cref="_lock"/>; the write loop takes all that is queued in one go and writes it
/// with a single call, so a burst of small messages costs one system call.
/// </summary>
/// <remarks>
/// Thread-safety: every public member may be called from any thread. The engine's send side and
/// close state are touched only under <see cref="_lock"/>; its receiver only by the read loop.
/// Listener code never runs here: events go to <see cref="IConnectionEvents"/>, which queues them.
/// <code>
/// Closing handshake, as a client sees it (RFC 6455 §7):
///   we close:   Close ──▶ ... ◀── Close   ◀── TCP FIN (server closes first, §7.1.1)  → clean
///   they close: ◀── Close   Close ──▶ (echo)  ◀── TCP FIN                           → clean
///   failing:    Close(1002/1007/1009) ──▶  then we close TCP at once (§7.1.7)        → not clean, 1006
///   no answer within CloseTimeout: we drop TCP                                      → not clean, 1006
/// </code>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The timers are disposed by Terminate(), which every path reaches exactly once.")]
internal sealed class WebSocketConnection
{
    private const int ReceiveBufferSize = 16 * 1024;

    /// <summary>Output up to this size may be written on the sending thread.</summary>
    private const int InlineWriteLimit = 16 * 1024;

    /// <summary>How long the write side must have been quiet before a sender writes inline (about 20 µs).</summary>
    private static readonly long s_inlineGap = Stopwatch.Frequency / 50_000;

    /// <summary>After both Close frames, how long the server gets to close TCP before we do (the close stays clean).</summary>
    private static readonly TimeSpan s_closedLinger = TimeSpan.FromSeconds(1);

    private readonly object _lock = new();
    private readonly ProtocolEngine _engine;
    private readonly Stream _stream;
    private readonly IConnectionEvents _events;
    private readonly AsyncSignal _writeSignal = new();
    private readonly TimeSpan _closeTimeout;
    private readonly TimeSpan _keepAliveInterval;
    private readonly TimeSpan _keepAliveTimeout;
    private readonly long _maxUndeliveredBytes;
    private readonly Timer? _keepAliveTimer;
    private readonly object _closeTimerLock = new();
    private Timer? _closeTimer;         // under _closeTimerLock
    private long _closeDueAt;           // Environment.TickCount64 when the close timer fires, under _closeTimerLock
    private WebSocketFailureException? _failure;
    private bool _failed;
    private int _terminated;
    private long _lastActivity;
    private long _pingSentAt;
    private int _readPaused;            // 1 while reading waits for listeners (receive backpressure)

    // The write side of the transport has one owner at a time: the write loop, or a sender writing inline.
    private readonly List<ArraySegment<byte>> _pending = new(4);
    private bool _writing;              // under _lock
    private long _lastWriteEnded;       // Stopwatch ticks, under _lock

    // Pings sent by PingAsync (and keep-alive pings sent while one waits) that no Pong has answered yet,
    // oldest first; created on first use, under _lock.
    private List<PendingPing>? _pings;

    public WebSocketConnection(Stream stream, ProtocolEngine engine, IConnectionEvents events, WebSocketOptions options)
    {
        _stream = stream;
        _engine = engine;
        _events = events;
        _closeTimeout = options.CloseTimeout;
        _keepAliveInterval = options.KeepAliveInterval;
        _keepAliveTimeout = options.KeepAliveTimeout;
        _maxUndeliveredBytes = options.MaxUndeliveredBytes;
        if (_keepAliveInterval > TimeSpan.Zero && _keepAliveInterval != Timeout.InfiniteTimeSpan)
        {
            _keepAliveTimer = new Timer(static s => ((WebSocketConnection)s!).OnKeepAliveTimer(), this, Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>Starts the loops. Called once, after the handshake.</summary>
    public void Start()
    {
        _lastActivity = Environment.TickCount64;
        _ = Task.Run(ReadLoopAsync);
        _ = Task.Run(WriteLoopAsync);
        _keepAliveTimer?.Change(_keepAliveInterval, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Queues a text message; false when the connection no longer sends data.</summary>
    public bool SendText(ReadOnlySpan<char> text, int utf8Length)
    {
        bool inline;
        lock (_lock)
        {
            bool wasEmpty = _engine.Output.IsEmpty;
            if (!_engine.TrySendText(text, utf8Length))
            {
                return false;
            }

            inline = wasEmpty && RequestWrite();
        }

        if (inline)
        {
            WriteInline();
        }

        return true;
    }

    /// <summary>Queues a binary message; false when the connection no longer sends data.</summary>
    public bool SendBinary(ReadOnlySpan<byte> data)
    {
        bool inline;
        lock (_lock)
        {
            bool wasEmpty = _engine.Output.IsEmpty;
            if (!_engine.TrySendBinary(data))
            {
                return false;
            }

            inline = wasEmpty && RequestWrite();
        }

        if (inline)
        {
            WriteInline();
        }

        return true;
    }

    /// <summary>Queues a keep-alive Ping with up to 125 bytes of payload.</summary>
    public bool SendPing(ReadOnlySpan<byte> payload) => QueuePing(payload, null);

    /// <summary>
    /// Queues a Ping and completes with the round-trip time when a Pong with the same data arrives. A Pong
    /// answers its Ping and every earlier one still waiting (RFC 6455 §5.5.3 lets a peer answer only the most
    /// recent). Fails with <see cref="InvalidStateErrorException"/> when the connection ends first; cancelling
    /// stops the wait, not the Ping.
    /// </summary>
    public Task<TimeSpan> PingAsync(byte[] data, CancellationToken cancellationToken)
    {
        var ping = new PendingPing(data);
        if (cancellationToken.CanBeCanceled)
        {
            // Registered before the ping is published (under the lock below), so whoever completes it sees the
            // registration and disposes it. The callback only cancels the task: the entry stays in the list, so
            // a Pong that answers a later ping still passes it (and prunes it).
            ping.Registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((PendingPing)state!).Completion!.TrySetCanceled(token), ping);
        }

        if (!QueuePing(data, ping))
        {
            ping.Registration.Dispose();
            return Task.FromException<TimeSpan>(new InvalidStateErrorException("PingAsync() needs an open connection; the closing handshake has begun."));
        }

        return ping.Completion!.Task;
    }

    /// <summary>
    /// Queues a Ping and, under the same lock, its place among the pings waiting for a Pong (a keep-alive ping
    /// too while a PingAsync waits, since its Pong answers those before it) and its event, so the
    /// event is queued before the frame can be written and so before its Pong can be reported.
    /// </summary>
    private bool QueuePing(ReadOnlySpan<byte> payload, PendingPing? ping)
    {
        lock (_lock)
        {
            bool wasEmpty = _engine.Output.IsEmpty;
            if (Volatile.Read(ref _terminated) != 0 || !_engine.TrySendPing(payload))
            {
                return false;
            }

            if (ping is not null || _pings is { Count: > 0 })
            {
                (_pings ??= []).Add(ping ?? new PendingPing(payload.ToArray(), completion: false));
            }

            if (wasEmpty)
            {
                _writeSignal.Set();
            }

            if (_events.WantsControlFrames)
            {
                _events.OnControlFrame(ControlFrameKind.Ping, FrameDirection.Sent, ping?.Data ?? payload.ToArray());
            }
        }

        return true;
    }

    /// <summary>A Pong arrived while pings wait: it answers the oldest ping with its data and every ping before that one.</summary>
    private void OnPong(byte[] data)
    {
        PendingPing[]? answered = null;
        lock (_lock)
        {
            List<PendingPing>? pings = _pings;
            int index = -1;
            for (int i = 0; pings is not null && i < pings.Count; i++)
            {
                if (pings[i].Data.AsSpan().SequenceEqual(data))
                {
                    index = i;
                    break;
                }
            }

            if (index >= 0)
            {
                answered = [.. pings!.GetRange(0, index + 1)];
                pings.RemoveRange(0, index + 1);
            }
        }

        if (answered is not null)
        {
            long now = Stopwatch.GetTimestamp();
            foreach (PendingPing ping in answered)
            {
                ping.Registration.Dispose();
                ping.Completion?.TrySetResult(Stopwatch.GetElapsedTime(ping.SentAt, now));
            }
        }
    }

    private void FailPendingPings()
    {
        PendingPing[] pending;
        lock (_lock)
        {
            if (_pings is not { Count: > 0 })
            {
                return;
            }

            pending = [.. _pings];
            _pings.Clear();
        }

        foreach (PendingPing ping in pending)
        {
            ping.Registration.Dispose();
            ping.Completion?.TrySetException(new InvalidStateErrorException("The connection closed before the server answered the ping."));
        }
    }

    /// <summary>RFC 6455 §7.1.2: sends our Close frame and arms the close timeout.</summary>
    public void StartClosingHandshake(int? code, string? reason)
    {
        byte[] reasonBytes = reason is null ? [] : Encoding.UTF8.GetBytes(reason);
        lock (_lock)
        {
            if (_engine.CloseSent)
            {
                return;
            }

            _engine.StartClosingHandshake(code, reasonBytes);
            _writeSignal.Set();
        }

        ArmCloseTimer();
    }

    /// <summary>Fails the connection for a local reason (buffer full, dead peer): no Close frame, TCP dropped at once.</summary>
    public void Fail(WebSocketFailureException failure)
    {
        lock (_lock)
        {
            if (Volatile.Read(ref _terminated) != 0)
            {
                return; // already ending as it was going to (a clean close stays clean)
            }

            _failure ??= failure;
            _failed = true;
            _engine.Abort();
        }

        Terminate();
    }

    /// <summary>Drops the connection at once (disposal with nothing left to say).</summary>
    public void Abort(WebSocketFailureException reason)
    {
        lock (_lock)
        {
            _failure ??= reason;
            _engine.Abort();
        }

        Terminate();
    }

    private async Task ReadLoopAsync()
    {
        byte[]? buffer = null;
        MessageReceiver receiver = _engine.Receiver;
        try
        {
            while (true)
            {
                ProtocolViolation violation;
                long undelivered = 0;
                Memory<byte> direct = receiver.GetDirectBuffer(ReceiveBufferSize);
                if (!direct.IsEmpty)
                {
                    // A large payload: read it straight into the message, as much at a time as the transport gives.
                    int count = await _stream.ReadAsync(direct).ConfigureAwait(false);
                    if (count == 0)
                    {
                        OnEndOfStream();
                        return;
                    }

                    _lastActivity = Environment.TickCount64;
                    OperationStatus status = receiver.CommitDirect(count, out ReceivedFrame frame, out violation);
                    if (status == OperationStatus.Done)
                    {
                        HandleFrame(frame, ref undelivered);
                    }
                }
                else
                {
                    if (buffer is null)
                    {
                        // An idle connection waits with a zero-byte read and holds no receive buffer.
                        await _stream.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                        buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
                    }

                    int read = await _stream.ReadAsync(buffer).ConfigureAwait(false);
                    if (read == 0)
                    {
                        OnEndOfStream();
                        return;
                    }

                    _lastActivity = Environment.TickCount64;
                    violation = ProcessReceived(buffer.AsSpan(0, read), out undelivered);
                    if (read < buffer.Length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }
                }

                // The messages of this read go to the listeners (under a captured context: one post for the whole read).
                _events.OnReadHandled();

                if (violation != ProtocolViolation.None)
                {
                    // Messages that arrived before the violation are the peer's valid words: let listeners see
                    // them (and answer them) before the connection fails, but not for longer than the close timeout.
                    ValueTask delivered = _events.WaitForDeliveryAsync(0);
                    if (!delivered.IsCompleted)
                    {
                        // Not reading meanwhile: keep-alive must not report this wait as a dead peer.
                        Volatile.Write(ref _readPaused, 1);
                        await AwaitBounded(delivered, _closeTimeout).ConfigureAwait(false);
                    }

                    FailForViolation(violation);
                    return;
                }

                if (undelivered > _maxUndeliveredBytes)
                {
                    // Receive backpressure: stop reading until listeners catch up; TCP tells the server. While we
                    // do not read, silence says nothing about the peer, so keep-alive stands still (see the timer).
                    Volatile.Write(ref _readPaused, 1);
                    try
                    {
                        await _events.WaitForDeliveryAsync(_maxUndeliveredBytes / 2).ConfigureAwait(false);
                    }
                    finally
                    {
                        Volatile.Write(ref _lastActivity, Environment.TickCount64);
                        Volatile.Write(ref _readPaused, 0);
                    }
                }
            }
        }
        catch (Exception ex)
        {
            // Any transport error ends the connection; the cause goes to the close event.
            OnTransportError(ex);
        }
        finally
        {
            _events.OnReadHandled(); // whatever way the loop ended, nothing it queued waits undelivered

            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async Task AwaitBounded(ValueTask wait, TimeSpan bound)
    {
        try
        {
            await wait.AsTask().WaitAsync(bound).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Listeners are slow; fail anyway.
        }
    }

    /// <summary>Feeds one read to the engine; returns the violation that stops reading, or None.</summary>
    private ProtocolViolation ProcessReceived(ReadOnlySpan<byte> data, out long undelivered)
    {
        undelivered = 0;
        MessageReceiver receiver = _engine.Receiver;
        while (!data.IsEmpty)
        {
            OperationStatus status = receiver.Read(data, out int consumed, out ReceivedFrame frame, out ProtocolViolation violation);
            if (status == OperationStatus.InvalidData)
            {
                return violation;
            }

            if (status == OperationStatus.NeedMoreData)
            {
                break;
            }

            data = data.Slice(consumed);
            HandleFrame(frame, ref undelivered);
        }

        return ProtocolViolation.None;
    }

    private void HandleFrame(in ReceivedFrame frame, ref long undelivered)
    {
        switch (frame.Kind)
        {
            case ReceivedKind.Text:
            case ReceivedKind.Binary:
                undelivered = _events.OnMessage(frame);
                break;
            case ReceivedKind.Ping:
                lock (_lock)
                {
                    bool wasEmpty = _engine.Output.IsEmpty;
                    bool answered = _engine.OnPingReceived(frame.Bytes);
                    if (answered && wasEmpty)
                    {
                        _writeSignal.Set();
                    }

                    if (_events.WantsControlFrames)
                    {
                        _events.OnControlFrame(ControlFrameKind.Ping, FrameDirection.Received, frame.Bytes);
                        if (answered)
                        {
                            _events.OnControlFrame(ControlFrameKind.Pong, FrameDirection.Sent, frame.Bytes);
                        }
                    }
                }

                break;
            case ReceivedKind.Pong:
                Volatile.Write(ref _pingSentAt, 0);
                if (_events.WantsControlFrames)
                {
                    _events.OnControlFrame(ControlFrameKind.Pong, FrameDirection.Received, frame.Bytes);
                }

                if (Volatile.Read(ref _pings) is { Count: > 0 })
                {
                    OnPong(frame.Bytes);
                }

                break;
            case ReceivedKind.Close:
                bool startedByPeer;
                lock (_lock)
                {
                    startedByPeer = !_engine.CloseSent;
                    _engine.OnCloseReceived(frame.CloseCode, (string)frame.Data!);
                    _writeSignal.Set();
                }

                if (startedByPeer)
                {
                    _events.OnClosingHandshakeStarted();
                }

                // RFC 6455 §7.1.1: the server closes TCP first. Both Close frames are (or are about to be) exchanged,
                // so the connection is clean whatever happens next; a server that waits for us to drop TCP gets
                // a short grace, not the whole close timeout.
                ArmCloseTimer(_closeTimeout == Timeout.InfiniteTimeSpan || _closeTimeout > s_closedLinger ? s_closedLinger : _closeTimeout);
                break;
        }
    }

    private void FailForViolation(ProtocolViolation violation)
    {
        int code = ProtocolViolationInfo.CloseCodeOf(violation);
        WebSocketFailure kind = violation == ProtocolViolation.MessageTooBig ? WebSocketFailure.MessageTooBig : WebSocketFailure.ProtocolViolation;
        lock (_lock)
        {
            if (Volatile.Read(ref _terminated) != 0)
            {
                return;
            }

            bool closeAlreadySent = _engine.CloseSent;
            _failure ??= new WebSocketFailureException(kind, ProtocolViolationInfo.Describe(violation))
            {
                CloseCodeSent = closeAlreadySent ? null : code,
            };
            _failed = true;
            _engine.FailConnection(violation);
            _writeSignal.Set();
        }

        // The write loop flushes our Close frame and then drops TCP; the timer bounds a peer that stops reading.
        ArmCloseTimer();
    }

    private void OnEndOfStream()
    {
        lock (_lock)
        {
            if (!_engine.CloseReceived)
            {
                string where = _engine.Receiver.InMessage ? " in the middle of a frame" : string.Empty;
                _failure ??= new WebSocketFailureException(WebSocketFailure.ConnectionLost, $"the server closed the connection{where} without a closing handshake");
            }
        }

        Terminate();
    }

    private void OnTransportError(Exception ex)
    {
        lock (_lock)
        {
            if (Volatile.Read(ref _terminated) == 0 && !_engine.CloseReceived)
            {
                _failure ??= new WebSocketFailureException(WebSocketFailure.ConnectionLost, $"the connection was lost: {ex.Message}", ex);
            }
        }

        Terminate();
    }

    /// <summary>
    /// Called under <see cref="_lock"/> when a data frame was queued into empty output. True: the caller now owns
    /// the write side and writes inline (<see cref="WriteInline"/>); false: the write loop was signalled.
    /// </summary>
    /// <remarks>
    /// Writing on the sending thread saves a thread hop per message when sends are sparse (a request and its
    /// answer, one message in flight). It is taken only when nobody is writing, the output is small, and the last
    /// write ended a while ago: a burst of sends then still goes to the write loop and shares one write.
    /// </remarks>
    private bool RequestWrite()
    {
        if (!_writing && _engine.Output.Length <= InlineWriteLimit && Stopwatch.GetTimestamp() - _lastWriteEnded >= s_inlineGap)
        {
            _writing = true;
            return true;
        }

        _writeSignal.Set();
        return false;
    }

    private void WriteInline()
    {
        long payloadBytes;
        EngineState state;
        lock (_lock)
        {
            _engine.TakeOutput(_pending, out payloadBytes);
            state = _engine.State;
        }

        ValueTask<bool> write = WritePendingAsync(payloadBytes, state);
        if (!write.IsCompletedSuccessfully)
        {
            // The transport could not take it all at once: finish off the sending thread.
            _ = FinishInlineWriteAsync(write);
            return;
        }

        if (write.Result)
        {
            ReleaseWriter();
        }
    }

    private async Task FinishInlineWriteAsync(ValueTask<bool> write)
    {
        if (await write.ConfigureAwait(false))
        {
            ReleaseWriter();
        }
    }

    /// <summary>Gives up the write side; whatever was queued meanwhile goes to the write loop.</summary>
    private void ReleaseWriter()
    {
        lock (_lock)
        {
            _writing = false;
            _lastWriteEnded = Stopwatch.GetTimestamp();
            if (!_engine.Output.IsEmpty)
            {
                _writeSignal.Set();
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            await _writeSignal.WaitAsync().ConfigureAwait(false);
            if (Volatile.Read(ref _terminated) != 0)
            {
                return;
            }

            long payloadBytes;
            EngineState state;
            lock (_lock)
            {
                if (_writing)
                {
                    // A sender is writing inline; it signals again when done if more is queued.
                    continue;
                }

                _writing = true;
                _engine.TakeOutput(_pending, out payloadBytes);
                state = _engine.State;
            }

            if (!await WritePendingAsync(payloadBytes, state).ConfigureAwait(false))
            {
                return;
            }

            ReleaseWriter();
        }
    }

    /// <summary>Writes what the writer took; false when the connection ended (transport error or a failed close).</summary>
    private async ValueTask<bool> WritePendingAsync(long payloadBytes, EngineState state)
    {
        List<ArraySegment<byte>> pending = _pending;
        try
        {
            // Everything queued since the last write goes out now: small frames share a segment (one write),
            // a large message is a segment of its own.
            foreach (ArraySegment<byte> segment in pending)
            {
                await _stream.WriteAsync(segment.AsMemory()).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // The read loop usually sees the same failure; whichever comes first names the cause.
            RecycleAll(pending);
            OnTransportError(ex);
            return false;
        }

        RecycleAll(pending);
        if (payloadBytes > 0)
        {
            _events.OnBytesSent(payloadBytes);
        }

        if (state == EngineState.Failed && _failed)
        {
            // RFC 6455 §7.1.7: after the Close frame, "Close the WebSocket Connection" (drop TCP).
            Terminate();
            return false;
        }

        return true;
    }

    private void RecycleAll(List<ArraySegment<byte>> segments)
    {
        // No lock: written segments belong to the write loop alone, and they go back to the shared pool.
        foreach (ArraySegment<byte> segment in segments)
        {
            _engine.RecycleOutput(segment.Array!);
        }

        segments.Clear();
    }

    private void ArmCloseTimer() => ArmCloseTimer(_closeTimeout);

    /// <summary>Arms the close timer to fire after <paramref name="due"/>, or brings an armed one forward to it.</summary>
    private void ArmCloseTimer(TimeSpan due)
    {
        if (due == Timeout.InfiniteTimeSpan)
        {
            return; // nothing to bound
        }

        long dueAt = Environment.TickCount64 + (long)due.TotalMilliseconds;
        lock (_closeTimerLock)
        {
            // Under the lock that Terminate takes to dispose it: a timer is never created after Terminate, and
            // two callers (our Close, the server's Close arriving) cannot interleave creating and bringing forward.
            if (Volatile.Read(ref _terminated) != 0 || (_closeTimer is not null && dueAt >= _closeDueAt))
            {
                return;
            }

            _closeTimer ??= new Timer(static s => ((WebSocketConnection)s!).OnCloseTimeout(), this, Timeout.Infinite, Timeout.Infinite);
            _closeDueAt = dueAt;
            _closeTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnCloseTimeout()
    {
        lock (_lock)
        {
            if (!_engine.CloseReceived)
            {
                _failure ??= new WebSocketFailureException(
                    WebSocketFailure.CloseTimeout,
                    $"the server did not complete the closing handshake within {_closeTimeout.TotalSeconds:0.###} s");
            }
        }

        Terminate();
    }

    private void OnKeepAliveTimer()
    {
        if (Volatile.Read(ref _terminated) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _readPaused) != 0)
        {
            // Our listeners are behind and we are not reading: a pong may be waiting unread. Neither ping nor
            // judge until reading resumes; the interval starts again from then.
            RearmKeepAlive(_keepAliveInterval);
            return;
        }

        long now = Environment.TickCount64;
        long pingSentAt = Volatile.Read(ref _pingSentAt);
        if (pingSentAt != 0)
        {
            // Waiting for a pong. Data that arrived since the ping also proves the peer alive.
            if (Volatile.Read(ref _lastActivity) > pingSentAt)
            {
                Volatile.Write(ref _pingSentAt, 0);
            }
            else if (_keepAliveTimeout == Timeout.InfiniteTimeSpan)
            {
                // Silence never fails the connection; pings go on keeping its path (NATs, proxies) warm.
                Volatile.Write(ref _pingSentAt, 0);
            }
            else if (now - pingSentAt >= (long)_keepAliveTimeout.TotalMilliseconds)
            {
                Fail(new WebSocketFailureException(
                    WebSocketFailure.KeepAliveTimeout,
                    $"no pong from the server within {_keepAliveTimeout.TotalSeconds:0.###} s of a keep-alive ping"));
                return;
            }
            else
            {
                RearmKeepAlive(TimeSpan.FromMilliseconds((long)_keepAliveTimeout.TotalMilliseconds - (now - pingSentAt)));
                return;
            }
        }

        long idle = now - Volatile.Read(ref _lastActivity);
        if (idle >= (long)_keepAliveInterval.TotalMilliseconds)
        {
            Span<byte> payload = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(payload, now);

            // Noted before the ping is queued: its pong may arrive (and clear this) before SendPing returns.
            Volatile.Write(ref _pingSentAt, Math.Max(now, 1));
            if (!SendPing(payload))
            {
                Volatile.Write(ref _pingSentAt, 0);
            }

            // Look again after the interval (the pong usually came by then: ping again once idle that long) or
            // when the timeout is due, whichever is first.
            RearmKeepAlive(_keepAliveTimeout == Timeout.InfiniteTimeSpan || _keepAliveInterval < _keepAliveTimeout ? _keepAliveInterval : _keepAliveTimeout);
        }
        else
        {
            RearmKeepAlive(TimeSpan.FromMilliseconds((long)_keepAliveInterval.TotalMilliseconds - idle));
        }
    }

    private void RearmKeepAlive(TimeSpan due)
    {
        try
        {
            _keepAliveTimer?.Change(due < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : due, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Terminated meanwhile.
        }
    }

    /// <summary>Closes the transport and reports the closure, once, whoever gets here first.</summary>
    private void Terminate()
    {
        if (Interlocked.Exchange(ref _terminated, 1) != 0)
        {
            return;
        }

        _keepAliveTimer?.Dispose();
        lock (_closeTimerLock)
        {
            _closeTimer?.Dispose();
            _closeTimer = null;
        }

        try
        {
            _stream.Dispose();
        }
        catch (Exception)
        {
            // Disposing a broken transport may throw; the connection is over either way.
        }

        _writeSignal.Set();

        ConnectionClosure closure;
        lock (_lock)
        {
            _engine.Abort();
            bool clean = _engine.CloseReceived && !_failed;
            closure = clean
                ? new ConnectionClosure(true, _engine.ReceivedCloseCode, _engine.ReceivedCloseReason, null, Failed: false)
                : new ConnectionClosure(false, CloseCodes.AbnormalClosure, string.Empty, _failure, _failed);
        }

        // The engine sends nothing more (it is aborted); the read loop may still be inside the inflater, whose
        // native memory is freed once that call returns.
        _engine.DisposeCodecs();

        Debug.Assert(closure.WasClean || closure.Failure is not null || !closure.Failed, "a failure has a cause");
        FailPendingPings();
        _events.OnClosed(closure);
    }

    /// <summary>A ping waiting for its Pong: from PingAsync (with a completion), or a keep-alive ping sent meanwhile (without).</summary>
    private sealed class PendingPing(byte[] data, bool completion = true)
    {
        public byte[] Data { get; } = data;

        public long SentAt { get; } = Stopwatch.GetTimestamp();

        public TaskCompletionSource<TimeSpan>? Completion { get; } = completion ? new(TaskCreationOptions.RunContinuationsAsynchronously) : null;

        public CancellationTokenRegistration Registration { get; set; }
    }
}
