using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Buffers;
using Whatwg.WebSockets.Protocol.Compression;
using Whatwg.WebSockets.Protocol.Framing;

namespace Whatwg.WebSockets.Protocol;

/// <summary>
/// The sans-I/O RFC 6455 client engine: commands in (send, ping, close, fail), bytes out
/// (<see cref="Output"/>); bytes in (<see cref="Receiver"/>), messages and control frames out.
/// It knows nothing of sockets, streams, tasks or clocks: the I/O driver moves the bytes and
/// arms the timers.
/// </summary>
/// <remarks>
/// Thread-safety: <see cref="Receiver"/> belongs to the single read loop. Every other member is
/// called under the connection's one lock, so sends from many threads interleave only at
/// message boundaries and the state is never seen half-updated.
/// </remarks>
internal sealed class ProtocolEngine
{
    private readonly IMaskKeySource _maskKeys;
    private readonly OutputBuffer _output = new();
    private long _outputPayloadBytes;
    private readonly long _maxMessageSize;
    private NegotiatedDeflate? _deflate;
    private Deflater? _deflater;
    private PooledBufferWriter? _compressed;

    /// <summary>A compression scratch buffer larger than this goes back to the pool after its message.</summary>
    private const int KeptScratchSize = 64 * 1024;

    public ProtocolEngine(long maxMessageSize, IMaskKeySource? maskKeys = null)
    {
        Receiver = new MessageReceiver(maxMessageSize);
        _maskKeys = maskKeys ?? new RandomMaskKeySource();
        _maxMessageSize = maxMessageSize;
    }

    /// <summary>The permessage-deflate parameters in force, or null when the server did not accept compression.</summary>
    public NegotiatedDeflate? Deflate => _deflate;

    /// <summary>Turns permessage-deflate on with the parameters the handshake agreed on. Called once, before any frame.</summary>
    public void EnableDeflate(NegotiatedDeflate negotiated)
    {
        Debug.Assert(_deflate is null, "negotiated once");
        _deflate = negotiated;
        _deflater = negotiated.CreateDeflater();
        Receiver.EnableInflate(negotiated.CreateInflater(_maxMessageSize));
    }

    /// <summary>Frees the compression state (native memory). Safe to call more than once, from any thread.</summary>
    public void DisposeCodecs()
    {
        _deflater?.Dispose();
        Receiver.DisposeInflater();
    }

    public MessageReceiver Receiver { get; }

    public EngineState State { get; private set; }

    /// <summary>Frames ready for the network, in the order they were produced.</summary>
    public OutputBuffer Output => _output;

    /// <summary>Application payload bytes (UTF-8 for text) held in <see cref="Output"/>, for <c>bufferedAmount</c>.</summary>
    public long OutputPayloadBytes => _outputPayloadBytes;

    /// <summary>True once our Close frame is in the output (or was sent).</summary>
    public bool CloseSent { get; private set; }

    /// <summary>True once the peer's Close frame was received.</summary>
    public bool CloseReceived { get; private set; }

    /// <summary>The peer's close code (1005 when its frame had none; 1006 while none was received).</summary>
    public int ReceivedCloseCode { get; private set; } = CloseCodes.AbnormalClosure;

    public string ReceivedCloseReason { get; private set; } = string.Empty;

    /// <summary>Why we failed the connection, when we did.</summary>
    public ProtocolViolation Violation { get; private set; }

    /// <summary>Queues a text message; returns false (dropping it) once the closing handshake has begun.</summary>
    public bool TrySendText(ReadOnlySpan<char> text) => TrySendText(text, Encoding.UTF8.GetByteCount(text));

    /// <summary>Queues a text message whose UTF-8 length the caller already knows (it counted it for bufferedAmount).</summary>
    public bool TrySendText(ReadOnlySpan<char> text, int length)
    {
        Debug.Assert(length == Encoding.UTF8.GetByteCount(text), "the caller's count is the UTF-8 length");
        if (State != EngineState.Open)
        {
            return false;
        }

        if (_deflate is not null && _deflate.ShouldCompress(length))
        {
            byte[] utf8 = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                int written = Encoding.UTF8.GetBytes(text, utf8);
                WriteCompressed(Opcode.Text, utf8.AsSpan(0, written));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(utf8);
            }

            return true;
        }

        // USVString semantics: Encoding.UTF8 replaces lone surrogates with U+FFFD (EF BF BD).
        Span<byte> payload = BeginFrame(Opcode.Text, length, out uint key);
        Encoding.UTF8.GetBytes(text, payload);
        Masking.Apply(payload, key, 0);
        EndFrame(length, length);
        return true;
    }

    /// <summary>Queues a binary message; returns false (dropping it) once the closing handshake has begun.</summary>
    public bool TrySendBinary(ReadOnlySpan<byte> data) => TrySendData(Opcode.Binary, data);

    /// <summary>Queues a text message already encoded as UTF-8 (the caller vouches for its validity).</summary>
    public bool TrySendUtf8(ReadOnlySpan<byte> utf8) => TrySendData(Opcode.Text, utf8);

    /// <summary>Queues a Ping (§5.5.2); the payload must be 125 bytes or less.</summary>
    public bool TrySendPing(ReadOnlySpan<byte> payload)
    {
        if (State != EngineState.Open)
        {
            return false;
        }

        WriteControl(Opcode.Ping, payload);
        return true;
    }

    /// <summary>
    /// RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response,
    /// unless it already received a Close frame." We also stop once our own Close is out, since
    /// §5.5.1 forbids any frame after it. Returns true when a Pong was queued.
    /// </summary>
    public bool OnPingReceived(ReadOnlySpan<byte> payload)
    {
        if (CloseSent || CloseReceived)
        {
            return false;
        }

        WriteControl(Opcode.Pong, payload);
        return true;
    }

    /// <summary>
    /// RFC 6455 §7.1.2, Start the WebSocket Closing Handshake: send a Close frame with the given status
    /// code and UTF-8 reason (no body at all when <paramref name="code"/> is null). No-op once a Close was sent.
    /// </summary>
    public void StartClosingHandshake(int? code, ReadOnlySpan<byte> reasonUtf8)
    {
        if (CloseSent)
        {
            return;
        }

        Debug.Assert(code is not null || reasonUtf8.IsEmpty, "a reason needs a code");
        Debug.Assert(reasonUtf8.Length <= 123, "the reason fits a control frame");
        Span<byte> body = stackalloc byte[125];
        int length = 0;
        if (code is int c)
        {
            BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)c);
            reasonUtf8.CopyTo(body.Slice(2));
            length = 2 + reasonUtf8.Length;
        }

        WriteControl(Opcode.Close, body.Slice(0, length));
        CloseSent = true;
        State = CloseReceived ? EngineState.CloseAcknowledged : EngineState.CloseSentByUs;
    }

    /// <summary>
    /// RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame,
    /// the endpoint MUST send a Close frame in response." We echo the status code (no reason).
    /// </summary>
    public void OnCloseReceived(int code, string reason)
    {
        CloseReceived = true;
        ReceivedCloseCode = code;
        ReceivedCloseReason = reason;
        if (State == EngineState.Failed)
        {
            return;
        }

        if (!CloseSent)
        {
            StartClosingHandshake(code == CloseCodes.NoStatusReceived ? null : code, default);
        }

        State = EngineState.CloseAcknowledged;
    }

    /// <summary>
    /// RFC 6455 §7.1.7, Fail the WebSocket Connection: send a Close frame with the code the violation
    /// maps to, unless one was already sent, and stop. The I/O layer then flushes and closes the transport.
    /// The reason we send is empty: peer bytes or exception text never go back on the wire.
    /// </summary>
    public void FailConnection(ProtocolViolation violation)
    {
        if (State == EngineState.Failed)
        {
            return;
        }

        Violation = violation;
        if (!CloseSent && !CloseReceived)
        {
            StartClosingHandshake(ProtocolViolationInfo.CloseCodeOf(violation), default);
        }

        State = EngineState.Failed;
    }

    /// <summary>Marks the engine failed without writing anything (transport errors, timeouts).</summary>
    public void Abort()
    {
        if (State != EngineState.Failed)
        {
            State = EngineState.Failed;
            CloseSent = true;
        }
    }

    /// <summary>Moves everything written so far, in order, to <paramref name="into"/> for the I/O layer; hand the arrays back with <see cref="RecycleOutput"/>.</summary>
    public void TakeOutput(List<ArraySegment<byte>> into, out long payloadBytes)
    {
        payloadBytes = _outputPayloadBytes;
        _outputPayloadBytes = 0;
        _output.TakeAll(into);
    }

    /// <summary>Takes everything written so far as one contiguous segment (tests and benchmarks).</summary>
    public ArraySegment<byte> TakeOutput(out long payloadBytes)
    {
        payloadBytes = _outputPayloadBytes;
        _outputPayloadBytes = 0;
        return _output.TakeContiguous();
    }

    /// <summary>Gives back an array the I/O layer has finished writing.</summary>
#pragma warning disable CA1822 // an engine operation for the I/O layer, whatever it needs today
    public void RecycleOutput(byte[] array) => OutputBuffer.Recycle(array);
#pragma warning restore CA1822

    private bool TrySendData(Opcode opcode, ReadOnlySpan<byte> data)
    {
        if (State != EngineState.Open)
        {
            return false;
        }

        if (_deflate is not null && _deflate.ShouldCompress(data.Length))
        {
            WriteCompressed(opcode, data);
            return true;
        }

        Span<byte> payload = BeginFrame(opcode, data.Length, out uint key);
        Masking.CopyMasked(data, payload, key);
        EndFrame(data.Length, data.Length);
        return true;
    }

    /// <summary>
    /// RFC 7692 §7.2.1: compresses the message, drops the trailing 00 00 FF FF, and sends the rest as one frame
    /// with RSV1 set ("Per-Message Compressed" bit). bufferedAmount counts the message's own bytes.
    /// </summary>
    private void WriteCompressed(Opcode opcode, ReadOnlySpan<byte> message)
    {
        PooledBufferWriter scratch = _compressed ??= new PooledBufferWriter();
        scratch.Clear();
        int length = _deflater!.Compress(message, scratch);
        Span<byte> payload = BeginFrame(opcode, length, out uint key, FrameHeader.Rsv1);
        Masking.CopyMasked(scratch.WrittenSpan, payload, key);
        EndFrame(length, message.Length);
        if (scratch.Capacity > KeptScratchSize)
        {
            scratch.Dispose();
        }
    }

    private void WriteControl(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        Debug.Assert(payload.Length <= 125, "control payloads fit in 125 bytes");
        Span<byte> destination = BeginFrame(opcode, payload.Length, out uint key);
        Masking.CopyMasked(payload, destination, key);
        EndFrame(payload.Length, 0);
    }

    /// <summary>Writes a masked, unfragmented frame header and returns the span for its payload.</summary>
    private Span<byte> BeginFrame(Opcode opcode, int payloadLength, out uint key, byte rsv = 0)
    {
        // RFC 6455 §5.3: a fresh key for every frame.
        key = _maskKeys.NextKey();
        int headerSize = FrameHeader.SizeOf(payloadLength, masked: true);
        Span<byte> span = _output.GetSpan(headerSize + payloadLength);
        FrameHeader.Write(span, fin: true, rsv, opcode, payloadLength, masked: true, key);
        return span.Slice(headerSize, payloadLength);
    }

    private void EndFrame(int payloadLength, int applicationBytes)
    {
        _output.Advance(FrameHeader.SizeOf(payloadLength, masked: true) + payloadLength);
        _outputPayloadBytes += applicationBytes;
    }
}
