namespace Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

/// <summary>
/// The fuzzing server's compressor for permessage-deflate (RFC 7692 §7.2.1), on the system's zlib: raw deflate,
/// one sync flush per message, the flush's <c>00 00 FF FF</c> removed. Not thread-safe.
/// </summary>
internal sealed unsafe class RawDeflater : IDisposable
{
    private readonly bool _noContextTakeover;
    private LibZ.ZStream* _stream;

    /// <param name="windowBits">The agreed window, 8 to 15.</param>
    /// <param name="noContextTakeover">Start every message with an empty window (server_no_context_takeover).</param>
    /// <param name="level">zlib's level; 6 is zlib's default.</param>
    public RawDeflater(int windowBits, bool noContextTakeover = false, int level = 6)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBits, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowBits, 15);

        // zlib refuses 8 for raw deflate (since 1.2.9) and has always compressed 8 as 9. Its matches never
        // reach further back than the window minus its 262-byte lookahead, 250 bytes with 9 bits, so what it
        // writes still fits a 256-byte window; LibZ.SelfCheck holds it to that.
        ZlibWindowBits = windowBits == 8 ? 9 : windowBits;
        _noContextTakeover = noContextTakeover;
        _stream = LibZ.AllocateStream();
        // zlib rescans its whole hash table each time the window slides, which with a small window is every few
        // hundred bytes: the default table (memLevel 8, 32K heads) made 9-bit compression ten times slower than
        // 15-bit. A table no larger than the window costs little ratio and keeps every size fast.
        int memLevel = Math.Clamp(ZlibWindowBits - 7, 1, LibZ.DefaultMemLevel);
        int result = LibZ.DeflateInit(_stream, level, -ZlibWindowBits, memLevel);
        if (result != LibZ.Ok)
        {
            string why = LibZ.Describe(_stream, result);
            Dispose();
            throw new InvalidOperationException($"deflateInit2 failed: {why}");
        }
    }

    /// <summary>The window zlib was asked for (9 for an agreed 8).</summary>
    public int ZlibWindowBits { get; }

    /// <summary>The payload of one compressed message (the caller sets RSV1 on its first frame).</summary>
    public byte[] CompressMessage(ReadOnlySpan<byte> message)
    {
        ObjectDisposedException.ThrowIf(_stream == null, this);
        if (message.IsEmpty)
        {
            // After a sync flush the stream sits on a byte boundary, and zlib will not flush again with no new
            // input (Z_BUF_ERROR). One zero byte is the header of an empty stored block; the receiver appends its
            // LEN and NLEN (00 00 FF FF). The window is not touched either way.
            return [0x00];
        }

        byte[] output = Run(message, LibZ.SyncFlush);
        if (output.Length < 4 || output[^4] != 0x00 || output[^3] != 0x00 || output[^2] != 0xFF || output[^1] != 0xFF)
        {
            throw new InvalidOperationException("zlib's sync flush did not end with 00 00 FF FF.");
        }

        if (_noContextTakeover)
        {
            Reset();
        }

        return output[..^4];
    }

    /// <summary>A whole raw deflate stream, ended with a final block (for checks against DeflateStream).</summary>
    public byte[] CompressFinished(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_stream == null, this);
        byte[] output = Run(data, LibZ.Finish);
        Reset();
        return output;
    }

    public void Dispose()
    {
        if (_stream != null)
        {
            _ = LibZ.DeflateEnd(_stream);
            System.Runtime.InteropServices.NativeMemory.Free(_stream);
            _stream = null;
        }
    }

    private void Reset()
    {
        int result = LibZ.DeflateReset(_stream);
        if (result != LibZ.Ok)
        {
            throw new InvalidOperationException($"deflateReset failed: {LibZ.Describe(_stream, result)}");
        }
    }

    private byte[] Run(ReadOnlySpan<byte> input, int flush)
    {
        byte[] output = new byte[input.Length + (input.Length >> 10) + 64];
        int used = 0;
        fixed (byte* source = input)
        {
            _stream->NextIn = source;
            _stream->AvailIn = (uint)input.Length;
            while (true)
            {
                // zlib's advice for flushes: always more than six bytes of room, or the marker may repeat.
                if (output.Length - used < 16)
                {
                    Array.Resize(ref output, output.Length * 2);
                }

                int result;
                int room = output.Length - used;
                fixed (byte* destination = &output[used])
                {
                    _stream->NextOut = destination;
                    _stream->AvailOut = (uint)room;
                    result = LibZ.Deflate(_stream, flush);
                    used += room - (int)_stream->AvailOut;
                    _stream->NextOut = null;
                }

                if (result == LibZ.StreamEnd)
                {
                    break;
                }

                if (result != LibZ.Ok && result != LibZ.BufError)
                {
                    throw new InvalidOperationException($"deflate failed: {LibZ.Describe(_stream, result)}");
                }

                // With a flush, output room left over means zlib has written everything.
                if (flush == LibZ.SyncFlush && _stream->AvailOut != 0)
                {
                    break;
                }
            }

            _stream->NextIn = null;
        }

        if (_stream->AvailIn != 0)
        {
            throw new InvalidOperationException("deflate left input behind.");
        }

        return output[..used];
    }
}
