using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Whatwg.WebSockets.Protocol.Compression;
using Whatwg.WebSockets.Protocol.Framing;
using Whatwg.WebSockets.Protocol.Text;

namespace Whatwg.WebSockets.Protocol;

/// <summary>
/// The receiving half of the sans-I/O engine: bytes in, whole messages and control frames out.
/// It reassembles fragments (RFC 6455 §5.4) with control frames interleaved, validates text as
/// it arrives (§8.1, failing at the first bad byte), and enforces the maximum message size from
/// the frame header, before any payload is buffered.
/// </summary>
/// <remarks>
/// Single consumer: only the read loop calls <see cref="Read"/>. A payload that lies whole in the
/// caller's span is turned into the message straight from it; only data cut by a read boundary is copied.
/// After a violation every call returns <see cref="OperationStatus.InvalidData"/> with the same violation.
/// </remarks>
internal sealed class MessageReceiver
{
    private readonly long _maxMessageSize;
    private readonly byte[] _header = new byte[FrameHeader.MaxSize];
    private readonly byte[] _control = new byte[125];
    private int _headerLength;
    private bool _inPayload;
    private FrameHeader _frame;
    private long _remaining;          // payload bytes of the current frame not yet seen
    private int _controlLength;

    private Opcode _messageOpcode;    // Text or Binary while a message is in progress, else Continuation
    private long _messageLength;      // payload bytes of the message so far, including the current frame's
    private Utf8Validator _utf8;
    private byte[]? _assembly;        // message bytes cut by read boundaries (rented, or exact for one-frame binary)
    private int _assemblyLength;
    private bool _assemblyIsExact;

    private ProtocolViolation _violation;
    private bool _closeReceived;

    // RFC 7692: set when permessage-deflate was negotiated. A message whose first frame has RSV1 is inflated
    // chunk by chunk into _inflated as its frames arrive; the inflater enforces the size limit on the output.
    private Inflater? _inflater;
    private PooledBufferWriter? _inflated;
    private bool _compressed;

    /// <summary>An inflate buffer larger than this goes back to the pool after its message.</summary>
    private const int KeptInflateSize = 64 * 1024;

    public MessageReceiver(long maxMessageSize)
    {
        Debug.Assert(maxMessageSize > 0, "a positive limit");
        _maxMessageSize = Math.Min(maxMessageSize, Array.MaxLength);
    }

    /// <summary>RFC 7692: true once permessage-deflate is negotiated; RSV1 then marks a compressed message.</summary>
    public bool AllowRsv1 => _inflater is not null;

    /// <summary>Turns on permessage-deflate for received messages: RSV1 on a message's first frame means compressed.</summary>
    public void EnableInflate(Inflater inflater)
    {
        _inflater = inflater;
    }

    /// <summary>Frees the inflater's native state; safe from any thread, any number of times.</summary>
    public void DisposeInflater() => _inflater?.Dispose();

    /// <summary>True once a close frame has been parsed; later bytes are ignored (§5.5.1).</summary>
    public bool CloseReceived => _closeReceived;

    /// <summary>True while part of a frame or a fragmented message has been seen and not finished.</summary>
    public bool InMessage => _inPayload || _headerLength > 0 || _messageOpcode != Opcode.Continuation;

    /// <summary>
    /// Parses <paramref name="data"/> until one event is complete. <see cref="OperationStatus.Done"/>:
    /// <paramref name="frame"/> is set and <paramref name="consumed"/> bytes were used (call again with the rest).
    /// <see cref="OperationStatus.NeedMoreData"/>: everything was consumed and no event is complete yet.
    /// <see cref="OperationStatus.InvalidData"/>: the peer broke the protocol; <paramref name="violation"/> says how.
    /// </summary>
    public OperationStatus Read(ReadOnlySpan<byte> data, out int consumed, out ReceivedFrame frame, out ProtocolViolation violation)
    {
        frame = default;
        consumed = 0;
        violation = _violation;
        if (_violation != ProtocolViolation.None)
        {
            return OperationStatus.InvalidData;
        }

        if (_closeReceived)
        {
            // RFC 6455 §5.5.1: the peer sends nothing after its close frame; whatever follows is dropped.
            consumed = data.Length;
            return OperationStatus.NeedMoreData;
        }

        while (true)
        {
            if (!_inPayload)
            {
                if (!TryReadHeader(data, ref consumed))
                {
                    if (_violation != ProtocolViolation.None)
                    {
                        violation = _violation;
                        return OperationStatus.InvalidData;
                    }

                    return OperationStatus.NeedMoreData;
                }

                if (_remaining > 0)
                {
                    _inPayload = true;
                }
            }
            else
            {
                int available = data.Length - consumed;
                if (available == 0)
                {
                    return OperationStatus.NeedMoreData;
                }

                int take = (int)Math.Min(available, _remaining);
                ReadOnlySpan<byte> chunk = data.Slice(consumed, take);
                consumed += take;
                _remaining -= take;
                if (!ConsumePayload(chunk, out frame))
                {
                    violation = _violation;
                    return OperationStatus.InvalidData;
                }

                if (frame.Kind != ReceivedKind.None)
                {
                    // A one-frame message completed straight from the caller's span.
                    _inPayload = false;
                    return OperationStatus.Done;
                }

                if (_remaining > 0)
                {
                    continue;
                }
            }

            if (_remaining == 0)
            {
                // The frame is complete (possibly with an empty payload).
                _inPayload = false;
                if (!CompleteFrame(out frame))
                {
                    violation = _violation;
                    return OperationStatus.InvalidData;
                }

                if (frame.Kind != ReceivedKind.None)
                {
                    return OperationStatus.Done;
                }
            }
        }
    }

    private bool Fail(ProtocolViolation violation)
    {
        _violation = violation;
        ReleaseAssembly();
        return false;
    }

    /// <summary>Reads and checks a header; false when more bytes are needed or the header is invalid.</summary>
    private bool TryReadHeader(ReadOnlySpan<byte> data, ref int consumed)
    {
        OperationStatus status;
        FrameHeader header;
        int used;
        ProtocolViolation headerViolation;
        ReadOnlySpan<byte> rest = data.Slice(consumed);
        if (_headerLength == 0)
        {
            status = FrameHeader.TryRead(rest, out header, out used, out headerViolation);
            if (status == OperationStatus.NeedMoreData)
            {
                rest.CopyTo(_header);
                _headerLength = rest.Length;
                consumed = data.Length;
                return false;
            }

            consumed += used;
        }
        else
        {
            // A header cut by a read boundary: complete it in the small buffer.
            int copy = Math.Min(rest.Length, _header.Length - _headerLength);
            rest.Slice(0, copy).CopyTo(_header.AsSpan(_headerLength));
            status = FrameHeader.TryRead(_header.AsSpan(0, _headerLength + copy), out header, out used, out headerViolation);
            if (status == OperationStatus.NeedMoreData)
            {
                _headerLength += copy;
                consumed = data.Length;
                return false;
            }

            // On InvalidData, TryRead may report fewer bytes than were buffered; never step backwards.
            consumed += Math.Max(0, used - _headerLength);
            _headerLength = 0;
        }

        if (status == OperationStatus.InvalidData)
        {
            return Fail(headerViolation);
        }

        return AcceptHeader(header);
    }

    private bool AcceptHeader(FrameHeader header)
    {
        // RFC 6455 §5.1: "A client MUST close a connection if it detects a masked frame."
        if (header.Masked)
        {
            return Fail(ProtocolViolation.MaskedFrame);
        }

        // §5.2: RSV bits are errors unless an extension gives them meaning; RFC 7692 §6 gives RSV1
        // a meaning only on the first frame of a data message.
        if (header.Rsv != 0 && !(AllowRsv1 && header.Rsv == FrameHeader.Rsv1 && (header.Opcode is Opcode.Text or Opcode.Binary)))
        {
            return Fail(ProtocolViolation.ReservedBitsSet);
        }

        _frame = header;
        _remaining = header.PayloadLength;
        if (header.Opcode.IsControl())
        {
            _controlLength = 0;
            return true;
        }

        // §5.4: fragments of one message are sent in order, and a new message may not start inside another.
        if (header.Opcode == Opcode.Continuation)
        {
            if (_messageOpcode == Opcode.Continuation)
            {
                return Fail(ProtocolViolation.UnexpectedContinuation);
            }
        }
        else
        {
            if (_messageOpcode != Opcode.Continuation)
            {
                return Fail(ProtocolViolation.ExpectedContinuation);
            }

            _messageOpcode = header.Opcode;
            _messageLength = 0;
            _utf8.Reset();
            _compressed = header.Rsv == FrameHeader.Rsv1;
        }

        if (_compressed)
        {
            // Compressed bytes are inflated as they come and never buffered; the limit applies to the inflated
            // message, which the inflater checks as it produces it.
            _messageLength += header.PayloadLength;
            return true;
        }

        // The size limit is checked on the header, so a 200 MB length is refused before a byte is buffered.
        if (header.PayloadLength > _maxMessageSize - _messageLength)
        {
            return Fail(ProtocolViolation.MessageTooBig);
        }

        _messageLength += header.PayloadLength;
        return true;
    }

    private bool ConsumePayload(ReadOnlySpan<byte> chunk, out ReceivedFrame frame)
    {
        frame = default;
        if (_frame.Opcode.IsControl())
        {
            chunk.CopyTo(_control.AsSpan(_controlLength));
            _controlLength += chunk.Length;
            return true;
        }

        if (_compressed)
        {
            return Inflate(chunk, _frame.Fin && _remaining == 0, out frame);
        }

        if (_messageOpcode == Opcode.Text && !_utf8.Append(chunk))
        {
            return Fail(ProtocolViolation.InvalidUtf8);
        }

        // Fast path: a one-frame message whose whole payload is in this chunk needs no copy but the message.
        if (_frame.Fin && _remaining == 0 && _assemblyLength == 0 && chunk.Length == _messageLength)
        {
            frame = CompleteMessage(chunk);
            return frame.Kind != ReceivedKind.None;
        }

        AppendToAssembly(chunk);
        return true;
    }

    /// <summary>Called when the current frame's payload is complete.</summary>
    private bool CompleteFrame(out ReceivedFrame frame)
    {
        frame = default;
        switch (_frame.Opcode)
        {
            case Opcode.Ping:
                frame = ReceivedFrame.ForControl(ReceivedKind.Ping, _control.AsSpan(0, _controlLength).ToArray());
                return true;
            case Opcode.Pong:
                frame = ReceivedFrame.ForControl(ReceivedKind.Pong, _control.AsSpan(0, _controlLength).ToArray());
                return true;
            case Opcode.Close:
                return CompleteClose(out frame);
        }

        if (!_frame.Fin)
        {
            return true; // more fragments to come
        }

        // The fast path in ConsumePayload already produced one-frame messages with a payload.
        if (_messageOpcode == Opcode.Continuation)
        {
            return true;
        }

        if (_compressed)
        {
            // The last frame had no payload (or the message is empty): the inflater still has to finish it.
            return Inflate(default, finalChunk: true, out frame);
        }

        frame = CompleteMessage(_assembly is null ? [] : _assembly.AsSpan(0, _assemblyLength));
        return frame.Kind != ReceivedKind.None;
    }

    /// <summary>Inflates one chunk of a compressed message; on the last chunk, completes the message from the output.</summary>
    private bool Inflate(ReadOnlySpan<byte> chunk, bool finalChunk, out ReceivedFrame frame)
    {
        frame = default;
        PooledBufferWriter output = _inflated ??= new PooledBufferWriter();
        int before = output.WrittenCount;
        OperationStatus status = _inflater!.Inflate(chunk, finalChunk, output, out ProtocolViolation violation);
        if (status == OperationStatus.InvalidData)
        {
            return Fail(violation);
        }

        // §8.1 holds for the inflated text: validate what this chunk produced, failing at the first bad byte.
        if (_messageOpcode == Opcode.Text && !_utf8.Append(output.WrittenSpan.Slice(before)))
        {
            return Fail(ProtocolViolation.InvalidUtf8);
        }

        if (status != OperationStatus.Done)
        {
            return true;
        }

        frame = CompleteMessage(output.WrittenSpan);
        return frame.Kind != ReceivedKind.None;
    }

    private ReceivedFrame CompleteMessage(ReadOnlySpan<byte> payload)
    {
        ReceivedFrame frame;
        if (_messageOpcode == Opcode.Text)
        {
            // §8.1: the message must end on a character boundary, too.
            if (!_utf8.IsComplete)
            {
                Fail(ProtocolViolation.InvalidUtf8);
                return default;
            }

            frame = ReceivedFrame.ForText(payload.IsEmpty ? string.Empty : Encoding.UTF8.GetString(payload));
        }
        else if (_assemblyIsExact && _assembly is not null)
        {
            Debug.Assert(_assemblyLength == _assembly.Length, "the exact buffer is full");
            frame = ReceivedFrame.ForBinary(_assembly);
            _assembly = null;
        }
        else
        {
            frame = ReceivedFrame.ForBinary(payload.IsEmpty ? [] : payload.ToArray());
        }

        _messageOpcode = Opcode.Continuation;
        _messageLength = 0;
        _compressed = false;
        ReleaseAssembly();
        return frame;
    }

    private bool CompleteClose(out ReceivedFrame frame)
    {
        frame = default;
        ReadOnlySpan<byte> body = _control.AsSpan(0, _controlLength);

        // RFC 6455 §5.5.1: a body, if any, starts with a 2-byte status code, followed by a UTF-8 reason.
        if (body.Length == 1)
        {
            return Fail(ProtocolViolation.CloseFrameTooShort);
        }

        int code = CloseCodes.NoStatusReceived;
        string reason = string.Empty;
        if (body.Length >= 2)
        {
            code = BinaryPrimitives.ReadUInt16BigEndian(body);
            if (!CloseCodes.IsValidOnWire(code))
            {
                return Fail(ProtocolViolation.InvalidCloseCode);
            }

            ReadOnlySpan<byte> reasonBytes = body.Slice(2);
            if (!Utf8Validator.IsValid(reasonBytes))
            {
                return Fail(ProtocolViolation.InvalidCloseReasonUtf8);
            }

            reason = Encoding.UTF8.GetString(reasonBytes);
        }

        _closeReceived = true;
        ReleaseAssembly();
        frame = ReceivedFrame.ForClose(code, reason);
        return true;
    }

    private void AppendToAssembly(ReadOnlySpan<byte> chunk)
    {
        EnsureAssemblyCapacity(chunk.Length);
        chunk.CopyTo(_assembly.AsSpan(_assemblyLength));
        _assemblyLength += chunk.Length;
    }

    /// <summary>Makes room for <paramref name="additional"/> more message bytes in the assembly buffer.</summary>
    private void EnsureAssemblyCapacity(int additional)
    {
        if (_assembly is null)
        {
            if (_frame.Fin && _frame.Opcode == Opcode.Binary)
            {
                // One binary frame cut by reads: allocate the message itself once and fill it.
                _assembly = GC.AllocateUninitializedArray<byte>((int)_messageLength);
                _assemblyIsExact = true;
            }
            else
            {
                _assembly = ArrayPool<byte>.Shared.Rent((int)Math.Min(_messageLength, Math.Max(additional, 4096)));
                _assemblyIsExact = false;
            }
        }
        else if (_assembly.Length - _assemblyLength < additional)
        {
            Debug.Assert(!_assemblyIsExact, "the exact buffer was sized for the whole message");
            long wanted = Math.Max((long)_assemblyLength + additional, Math.Min(_messageLength, (long)_assembly.Length * 2));
            byte[] bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(wanted, Array.MaxLength));
            _assembly.AsSpan(0, _assemblyLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_assembly);
            _assembly = bigger;
        }
    }

    /// <summary>
    /// When at least <paramref name="minimum"/> bytes of a data frame's payload are still to come, returns the
    /// place in the message buffer where they go, so the I/O layer can read them there directly (one copy fewer,
    /// and reads as large as the frame). Empty otherwise. Follow with <see cref="CommitDirect"/>.
    /// </summary>
    public Memory<byte> GetDirectBuffer(int minimum)
    {
        if (!_inPayload || _remaining < minimum || _violation != ProtocolViolation.None || _closeReceived || _frame.Opcode.IsControl() || _compressed)
        {
            return default;
        }

        int remaining = (int)_remaining;
        EnsureAssemblyCapacity(remaining);
        return _assembly.AsMemory(_assemblyLength, remaining);
    }

    /// <summary>Accounts for <paramref name="count"/> bytes read into the span <see cref="GetDirectBuffer"/> returned.</summary>
    public OperationStatus CommitDirect(int count, out ReceivedFrame frame, out ProtocolViolation violation)
    {
        Debug.Assert(_assembly is not null && count <= _remaining, "commit what was handed out");
        frame = default;
        violation = ProtocolViolation.None;
        ReadOnlySpan<byte> chunk = _assembly.AsSpan(_assemblyLength, count);
        if (_messageOpcode == Opcode.Text && !_utf8.Append(chunk))
        {
            Fail(ProtocolViolation.InvalidUtf8);
            violation = _violation;
            return OperationStatus.InvalidData;
        }

        _assemblyLength += count;
        _remaining -= count;
        if (_remaining > 0)
        {
            return OperationStatus.NeedMoreData;
        }

        _inPayload = false;
        if (!CompleteFrame(out frame))
        {
            violation = _violation;
            return OperationStatus.InvalidData;
        }

        return frame.Kind == ReceivedKind.None ? OperationStatus.NeedMoreData : OperationStatus.Done;
    }

    private void ReleaseAssembly()
    {
        if (_assembly is not null && !_assemblyIsExact)
        {
            ArrayPool<byte>.Shared.Return(_assembly);
        }

        _assembly = null;
        _assemblyLength = 0;
        _assemblyIsExact = false;
        if (_inflated is not null)
        {
            _inflated.Clear();
            if (_inflated.Capacity > KeptInflateSize)
            {
                _inflated.Dispose();
            }
        }
    }
}
