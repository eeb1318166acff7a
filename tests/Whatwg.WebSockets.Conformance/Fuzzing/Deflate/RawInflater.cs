namespace Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

/// <summary>
/// The fuzzing server's decompressor for permessage-deflate (RFC 7692 §7.2.2), on the system's zlib: a message's
/// payload plus the <c>00 00 FF FF</c> the sender removed, inflated with exactly the agreed window. With no
/// context takeover the state is reset after every message, so a reference into an earlier message fails.
/// Not thread-safe.
/// </summary>
internal sealed unsafe class RawInflater : IDisposable
{
    private const int Step = 64 * 1024;
    private static readonly byte[] s_tail = [0x00, 0x00, 0xFF, 0xFF];

    private readonly bool _noContextTakeover;
    private readonly long _maxMessageSize;
    private LibZ.ZStream* _stream;
    private string? _broken;

    /// <param name="windowBits">The agreed window, 8 to 15 (zlib inflates with 8 as asked).</param>
    /// <param name="maxMessageSize">A larger message is refused (an inflation bomb).</param>
    /// <param name="noContextTakeover">Forget the window after every message.</param>
    public RawInflater(int windowBits, long maxMessageSize, bool noContextTakeover = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBits, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowBits, 15);
        _noContextTakeover = noContextTakeover;
        _maxMessageSize = maxMessageSize;
        _stream = LibZ.AllocateStream();
        int result = LibZ.InflateInit(_stream, -windowBits);
        if (result != LibZ.Ok)
        {
            string why = LibZ.Describe(_stream, result);
            Dispose();
            throw new InvalidOperationException($"inflateInit2 failed: {why}");
        }
    }

    /// <summary>True when the last message ended its deflate stream (a final block, RFC 7692 §7.2.3.4).</summary>
    public bool LastMessageEndedStream { get; private set; }

    /// <summary>
    /// Inflates one message. False, with the reason in <paramref name="error"/>, when the data is not valid
    /// under the agreed parameters; the inflater then refuses everything after.
    /// </summary>
    public bool TryInflateMessage(ReadOnlySpan<byte> payload, out byte[] message, out string? error)
    {
        ObjectDisposedException.ThrowIf(_stream == null, this);
        message = [];
        error = _broken;
        LastMessageEndedStream = false;
        if (_broken is not null)
        {
            return false;
        }

        if (payload.IsEmpty)
        {
            // No deflate data at all means no content; zlib is not shown the lone tail, which would leave it
            // inside a stored block and garble the next message.
            return true;
        }

        var output = new MemoryStream();
        if (!Feed(payload, output, ref error) || (!LastMessageEndedStream && !Feed(s_tail, output, ref error)))
        {
            _broken = error;
            return false;
        }

        if (_noContextTakeover || LastMessageEndedStream)
        {
            int result = LibZ.InflateReset(_stream);
            if (result != LibZ.Ok)
            {
                error = _broken = $"inflateReset failed: {LibZ.Describe(_stream, result)}";
                return false;
            }
        }

        message = output.ToArray();
        return true;
    }

    public void Dispose()
    {
        if (_stream != null)
        {
            _ = LibZ.InflateEnd(_stream);
            System.Runtime.InteropServices.NativeMemory.Free(_stream);
            _stream = null;
        }
    }

    /// <summary>Inflates all of <paramref name="input"/>; false with <paramref name="error"/> set on bad data.</summary>
    private bool Feed(ReadOnlySpan<byte> input, MemoryStream output, ref string? error)
    {
        byte[] chunk = new byte[Step];
        fixed (byte* source = input)
        fixed (byte* destination = chunk)
        {
            _stream->NextIn = source;
            _stream->AvailIn = (uint)input.Length;
            try
            {
                while (true)
                {
                    _stream->NextOut = destination;
                    _stream->AvailOut = Step;
                    int result = LibZ.Inflate(_stream, LibZ.SyncFlush);
                    int produced = Step - (int)_stream->AvailOut;
                    output.Write(chunk, 0, produced);
                    if (output.Length > _maxMessageSize)
                    {
                        error = $"the message inflates to more than {_maxMessageSize} bytes";
                        return false;
                    }

                    switch (result)
                    {
                        case LibZ.StreamEnd:
                            // Anything after a final block (including our tail) is not part of the stream.
                            LastMessageEndedStream = true;
                            return true;
                        case LibZ.Ok:
                            break;
                        case LibZ.BufError when _stream->AvailIn == 0:
                            return true;
                        default:
                            error = LibZ.Describe(_stream, result);
                            return false;
                    }

                    if (_stream->AvailIn == 0 && _stream->AvailOut != 0)
                    {
                        return true;
                    }
                }
            }
            finally
            {
                _stream->NextIn = null;
                _stream->NextOut = null;
                _stream->AvailIn = 0;
            }
        }
    }
}
