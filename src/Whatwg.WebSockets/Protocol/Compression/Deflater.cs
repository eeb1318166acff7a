using System.Buffers;
using System.Diagnostics;

namespace Whatwg.WebSockets.Protocol.Compression;

/// <summary>
/// The sending half of permessage-deflate (RFC 7692 §7.2.1): one whole message in, its compressed payload out,
/// without the <c>00 00 FF FF</c> that ends every sync flush. The LZ77 window carries over to the next message
/// unless client_no_context_takeover was agreed.
/// </summary>
/// <remarks>
/// <para>
/// zlib is the shared framework's own (zlib-ng 2.2 in .NET 10), reached through <see cref="ZLibInterop"/>.
/// <c>DeflateStream</c> runs on the same library but cannot do this job: its window is always 32 KiB while a
/// server may limit ours (client_max_window_bits), and it inflates only from a stream, with a new stream (and
/// 280 B of garbage) per message where the window must be emptied. The system's libz (zlib 1.2.13) was measured
/// too (results/2026-11-25-deflate.md, text-like JSON, level 6): it is slower where the work is, 48 µs against
/// our 31 µs to compress 1 KiB with context takeover, 2.0 ms against 1.5 ms for 64 KiB, 121 µs against 73 µs to
/// inflate 64 KiB, and it is absent on Windows and from slim Linux images.
/// </para>
/// <para>
/// With no context takeover the zlib state is freed after every message and allocated again for the next one.
/// This runtime's native library has no deflateReset, and little is lost: allocating and freeing a state costs
/// about 3.5 µs, and libz's reset saved 0.2-1.7 µs per message over its own re-allocation in the measurements,
/// which matters only for messages below the compression threshold. Freeing means an idle connection holds none
/// of the ~340 KiB (15 bits) to ~220 KiB (9 bits) a zlib-ng deflate state takes. The state is allocated on the
/// first message, not in the constructor, for the same reason.
/// </para>
/// <para>Not thread-safe: one sender at a time (the engine's send lock). <see cref="Dispose"/> may come from any thread.</para>
/// </remarks>
internal sealed unsafe class Deflater : IDisposable
{
    /// <summary>zlib's default level; the levels are zlib's, 0 (store only) to 9.</summary>
    public const int DefaultCompressionLevel = 6;

    private const int MaxOutputStep = 256 * 1024;

    /// <summary>
    /// zlib's advice for sync flushes: more than six bytes of output room on every call, or a call that ends exactly
    /// at the end of the output emits the flush marker again, and again (zlib.h, deflate()).
    /// </summary>
    private const int MinOutputRoom = 8;

    private readonly ZStreamHandle _handle = new(forDeflate: true);
    private readonly int _level;
    private readonly bool _noContextTakeover;

    /// <param name="windowBits">The negotiated client_max_window_bits, 8 to 15.</param>
    /// <param name="noContextTakeover">client_no_context_takeover: start every message with an empty window.</param>
    /// <param name="compressionLevel">zlib's level, 0 to 9.</param>
    public Deflater(int windowBits, bool noContextTakeover, int compressionLevel = DefaultCompressionLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBits, PerMessageDeflateSettings.MinWindowBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowBits, PerMessageDeflateSettings.MaxWindowBits);
        ArgumentOutOfRangeException.ThrowIfNegative(compressionLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(compressionLevel, 9);

        // zlib refuses an 8-bit window for raw deflate. With 9 it never reaches further back than
        // 512 - 262 (MIN_LOOKAHEAD) = 250 bytes, so the output is still valid for a 256-byte window;
        // zlib makes the same substitution for its own wrapped format. A test inflates it with 8 bits.
        WindowBits = windowBits == 8 ? 9 : windowBits;
        _noContextTakeover = noContextTakeover;
        _level = compressionLevel;
    }

    /// <summary>The window zlib is asked for (the negotiated one, except 9 for 8).</summary>
    public int WindowBits { get; }

    /// <summary>
    /// Compresses <paramref name="message"/> and appends the payload for its frame(s) to <paramref name="output"/>;
    /// returns the number of bytes appended. The caller sets RSV1 on the first frame.
    /// </summary>
    public int Compress(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (message.IsEmpty)
        {
            // A sync flush with no new input is refused by zlib (Z_BUF_ERROR) once the stream has been flushed,
            // so an empty message is written by hand: one empty stored block, header bits and padding only, whose
            // 00 00 FF FF the receiver supplies (RFC 7692 §7.2.3.6). The window is unaffected either way.
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            output.GetSpan(1)[0] = 0x00;
            output.Advance(1);
            return 1;
        }

        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            return CompressCore(message, output);
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

    private int CompressCore(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        ZLibInterop.ZStream* stream = _handle.Stream;
        if (!_handle.HasState)
        {
            Initialize(stream);
        }

        bool completed = false;
        try
        {
            int written;
            fixed (byte* input = message)
            {
                stream->NextIn = input;
                stream->AvailIn = (uint)message.Length;
                written = DeflateAndFlush(stream, output, message.Length);
                stream->NextIn = null;
            }

            completed = true;
            return written;
        }
        finally
        {
            // A message cut short (the output threw) leaves part of it in the window; dropping the state is
            // always safe for a sender, since a fresh stream refers to no history the receiver could lack.
            if (_noContextTakeover || !completed)
            {
                _handle.EndState();
            }
        }
    }

    private void Initialize(ZLibInterop.ZStream* stream)
    {
        int result = ZLibInterop.DeflateInit2(
            stream, _level, ZLibInterop.Deflated, -WindowBits, ZLibInterop.DefaultMemoryLevel, ZLibInterop.DefaultStrategy);
        if (result != ZLibInterop.Ok)
        {
            _handle.EndState();
            throw result == ZLibInterop.MemoryError
                ? new InsufficientMemoryException("zlib could not allocate a deflate state.")
                : new InvalidOperationException($"zlib refused to start a deflate stream ({result}).");
        }
    }

    /// <summary>
    /// Deflates all pending input with Z_SYNC_FLUSH into <paramref name="output"/>. The last four bytes produced
    /// so far are always held back (they may be the flush's 00 00 FF FF) and written in front of the next piece
    /// of output instead, so the marker is dropped without an extra copy of the payload.
    /// </summary>
    private static int DeflateAndFlush(ZLibInterop.ZStream* stream, IBufferWriter<byte> output, int inputLength)
    {
        Span<byte> held = stackalloc byte[4];
        int heldCount = 0;
        int total = 0;
        int step = (int)Math.Min(MaxOutputStep, inputLength + (inputLength >> 8) + 64L);
        while (true)
        {
            Span<byte> span = output.GetSpan(step);
            if (span.Length < heldCount + MinOutputRoom)
            {
                throw new InvalidOperationException("The output returned a smaller span than it was asked for.");
            }

            held.Slice(0, heldCount).CopyTo(span);
            int result;
            fixed (byte* destination = span)
            {
                stream->NextOut = destination + heldCount;
                stream->AvailOut = (uint)(span.Length - heldCount);
                result = ZLibInterop.Deflate(stream, ZLibInterop.SyncFlush);
                stream->NextOut = null;
            }

            int produced = span.Length - (int)stream->AvailOut;
            heldCount = Math.Min(4, produced);
            span.Slice(produced - heldCount, heldCount).CopyTo(held);
            output.Advance(produced - heldCount);
            total += produced - heldCount;

            if (result != ZLibInterop.Ok && result != ZLibInterop.BufferError)
            {
                throw new InvalidOperationException($"zlib failed to deflate ({result}).");
            }

            // Output space left over means the flush is complete (zlib fills the space it is given first).
            // Z_BUF_ERROR means nothing more to do: a call after one that ended exactly at the end of the output.
            if (stream->AvailOut != 0 || result == ZLibInterop.BufferError)
            {
                break;
            }
        }

        Debug.Assert(stream->AvailIn == 0, "a sync flush consumes all input");
        if (heldCount != 4 || held[0] != 0x00 || held[1] != 0x00 || held[2] != 0xFF || held[3] != 0xFF)
        {
            throw new InvalidOperationException("zlib's sync flush did not end with an empty stored block.");
        }

        return total;
    }
}
