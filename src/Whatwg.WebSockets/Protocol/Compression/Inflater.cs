using System.Buffers;
using System.Diagnostics;

namespace Whatwg.WebSockets.Protocol.Compression;

/// <summary>
/// The receiving half of permessage-deflate (RFC 7692 §7.2.2): a compressed message's payload in, chunk by chunk
/// as its frames arrive, the message out; the <c>00 00 FF FF</c> the sender removed is added back after the last
/// chunk. The LZ77 window carries over to the next message unless server_no_context_takeover was agreed.
/// </summary>
/// <remarks>
/// <para>
/// Bounded: zlib is never given room for more than one byte past the maximum message size, so an inflation
/// bomb is refused as soon as it crosses the limit, having produced at most limit + 1 bytes, and the memory used
/// is whatever the caller's output holds plus zlib's state (41 KiB: zlib-ng allocates a 32 KiB window whatever
/// the negotiated size).
/// </para>
/// <para>
/// The window is the negotiated server_max_window_bits: only that much history is kept between messages, so a
/// server that refers further back into earlier messages than it agreed to fails the message (within one
/// message zlib resolves whatever distance its output still holds). The zlib state is allocated on the first
/// compressed message. A message that ends a deflate stream (a block with BFINAL set, §7.2.3.4) ends its window
/// too: the rest of that message is ignored and the next message starts a new stream.
/// </para>
/// <para>
/// After a violation every call returns <see cref="OperationStatus.InvalidData"/> with the same violation.
/// Not thread-safe: the read loop alone calls <see cref="Inflate"/>. <see cref="Dispose"/> may come from any thread.
/// </para>
/// </remarks>
internal sealed unsafe class Inflater : IDisposable
{
    /// <summary>The output asked of the caller's writer at a time; zlib fills whatever the writer offers.</summary>
    private const int OutputStep = 16 * 1024;

    private readonly ZStreamHandle _handle = new(forDeflate: false);
    private readonly int _windowBits;
    private readonly bool _noContextTakeover;
    private readonly long _maxMessageSize;
    private long _messageLength;      // bytes inflated for the current message
    private bool _messageStarted;     // a chunk with bytes was seen for the current message
    private bool _streamEnded;        // the current message held a final block: ignore the rest, reset after it
    private ProtocolViolation _violation;

    /// <param name="windowBits">The negotiated server_max_window_bits, 8 to 15.</param>
    /// <param name="noContextTakeover">server_no_context_takeover: every message starts with an empty window.</param>
    /// <param name="maxMessageSize">The largest inflated message accepted, in bytes.</param>
    public Inflater(int windowBits, bool noContextTakeover, long maxMessageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBits, PerMessageDeflateSettings.MinWindowBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowBits, PerMessageDeflateSettings.MaxWindowBits);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageSize);
        _windowBits = windowBits;
        _noContextTakeover = noContextTakeover;
        _maxMessageSize = Math.Min(maxMessageSize, long.MaxValue - 1); // room for the probe byte
    }

    /// <summary>Bytes inflated so far for the message in progress (0 between messages).</summary>
    public long MessageLength => _messageLength;

    /// <summary>
    /// Inflates one chunk of a compressed message's payload (the payload of a frame, or part of it) and appends
    /// the result to <paramref name="output"/>. Set <paramref name="finalChunk"/> on the chunk that ends the message
    /// (it may be empty). <see cref="OperationStatus.NeedMoreData"/>: the chunk was used, the message goes on.
    /// <see cref="OperationStatus.Done"/>: the message is complete in <paramref name="output"/>.
    /// <see cref="OperationStatus.InvalidData"/>: <paramref name="violation"/> is
    /// <see cref="ProtocolViolation.MessageTooBig"/> or <see cref="ProtocolViolation.DecompressionFailed"/>, and
    /// <paramref name="output"/> holds an unfinished message to discard.
    /// </summary>
    public OperationStatus Inflate(ReadOnlySpan<byte> chunk, bool finalChunk, IBufferWriter<byte> output, out ProtocolViolation violation)
    {
        ArgumentNullException.ThrowIfNull(output);
        violation = _violation;
        if (_violation != ProtocolViolation.None)
        {
            return OperationStatus.InvalidData;
        }

        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            OperationStatus status = InflateCore(chunk, finalChunk, output);
            violation = _violation;
            return status;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    public void Dispose() => _handle.Dispose();

    private OperationStatus InflateCore(ReadOnlySpan<byte> chunk, bool finalChunk, IBufferWriter<byte> output)
    {
        ZLibInterop.ZStream* stream = _handle.Stream;
        if (!chunk.IsEmpty)
        {
            _messageStarted = true;
            if (!_handle.HasState)
            {
                Initialize(stream);
            }

            if (!Feed(stream, chunk, output))
            {
                return OperationStatus.InvalidData;
            }
        }

        if (!finalChunk)
        {
            return OperationStatus.NeedMoreData;
        }

        // An empty payload is not something a deflater produces (the flush leaves at least the block header),
        // but its meaning is plain: no data. Inflating the bare 00 00 FF FF would instead leave zlib inside a
        // stored block 0xFF00 bytes long and garble the next message, so zlib is not shown it at all.
        if (_messageStarted && !Feed(stream, [0x00, 0x00, 0xFF, 0xFF], output))
        {
            return OperationStatus.InvalidData;
        }

        if (_streamEnded || (_noContextTakeover && _messageStarted))
        {
            Reset(stream);
        }

        _messageLength = 0;
        _messageStarted = false;
        _streamEnded = false;
        return OperationStatus.Done;
    }

    private void Initialize(ZLibInterop.ZStream* stream)
    {
        int result = ZLibInterop.InflateInit2(stream, -_windowBits);
        if (result != ZLibInterop.Ok)
        {
            _handle.EndState();
            throw result == ZLibInterop.MemoryError
                ? new InsufficientMemoryException("zlib could not allocate an inflate state.")
                : new InvalidOperationException($"zlib refused to start an inflate stream ({result}).");
        }
    }

    private void Reset(ZLibInterop.ZStream* stream)
    {
        int result = ZLibInterop.InflateReset2(stream, -_windowBits);
        if (result != ZLibInterop.Ok)
        {
            // Not expected with a window zlib accepted before; start from scratch at the next message.
            _handle.EndState();
        }
    }

    /// <summary>Inflates all of <paramref name="input"/>; false (with <see cref="_violation"/> set) on a violation.</summary>
    private bool Feed(ZLibInterop.ZStream* stream, ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (_streamEnded)
        {
            return true;
        }

        fixed (byte* source = input)
        {
            stream->NextIn = source;
            stream->AvailIn = (uint)input.Length;
            try
            {
                return Drain(stream, output);
            }
            finally
            {
                stream->NextIn = null;
                stream->AvailIn = 0;
            }
        }
    }

    /// <summary>Runs inflate until the input is used up and no output is pending, within the size limit.</summary>
    private bool Drain(ZLibInterop.ZStream* stream, IBufferWriter<byte> output)
    {
        while (true)
        {
            long allowed = _maxMessageSize - _messageLength;
            Debug.Assert(allowed >= 0, "the limit was never crossed");

            // At the limit, one byte of our own is the probe: if zlib fills it, the message is too big. It is not
            // asked of the output, so a message of exactly the limit never makes the output grow past the limit.
            byte probe = 0;
            Span<byte> span = allowed == 0 ? new Span<byte>(ref probe) : output.GetSpan((int)Math.Min(OutputStep, allowed));
            int room = (int)Math.Min(span.Length, Math.Max(allowed, 1));
            int result;
            fixed (byte* destination = span)
            {
                stream->NextOut = destination;
                stream->AvailOut = (uint)room;
                result = ZLibInterop.Inflate(stream, ZLibInterop.NoFlush);
                stream->NextOut = null;
            }

            int produced = room - (int)stream->AvailOut;
            if (produced > allowed)
            {
                return Fail(ProtocolViolation.MessageTooBig);
            }

            if (produced > 0)
            {
                output.Advance(produced);
                _messageLength += produced;
            }

            switch (result)
            {
                case ZLibInterop.Ok:
                    break;
                case ZLibInterop.StreamEnd:
                    _streamEnded = true;
                    return true;
                case ZLibInterop.BufferError when stream->AvailIn == 0:
                    // No progress possible: the last call ended exactly at the end of the output, nothing was pending.
                    return true;
                default:
                    // Z_DATA_ERROR (a bad block, or a distance beyond the window), or anything else unexpected.
                    return Fail(ProtocolViolation.DecompressionFailed);
            }

            if (stream->AvailIn == 0 && stream->AvailOut != 0)
            {
                return true;
            }
        }
    }

    private bool Fail(ProtocolViolation violation)
    {
        _violation = violation;
        _handle.EndState();
        return false;
    }
}
