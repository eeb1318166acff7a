using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Whatwg.WebSockets.Protocol;
using Whatwg.WebSockets.Protocol.Compression;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// The zlib candidates for permessage-deflate (RFC 7692), one message per operation, on JSON-like text:
/// <list type="bullet">
/// <item><c>Ours</c>: <see cref="Deflater"/> / <see cref="Inflater"/> over the shared framework's
/// libSystem.IO.Compression.Native (zlib-ng 2.2).</item>
/// <item><c>LibZ</c>: the system's libz.so.1 (zlib 1.2.13) called directly, the same loop as ours.</item>
/// <item><c>DeflateStream</c>: the BCL stream (the same native library underneath), Flush() for the sync flush;
/// a new stream per message where the window must be emptied, since it cannot be reset.</item>
/// </list>
/// Categories: <c>Compress</c> keeps the window between messages (context takeover); <c>CompressNoContext</c>
/// starts every message from an empty window, which is where the per-message setup cost shows (ours frees and
/// re-creates the state, since this runtime's library has no deflateReset; libz can reset or re-create);
/// <c>Inflate</c> reads a message compressed on its own, including the 00 00 FF FF tail the receiver appends
/// (ours also with the reset that server_no_context_takeover adds; DeflateStream needs a new stream each time).
/// Different messages, 128 KiB of them at least, are taken in turn. Level 6 (zlib's default) and a 32 KiB window everywhere.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class DeflateBenchmarks
{
    private const int Level = 6;

    private int _count;

    private byte[][] _messages = [];
    private byte[][] _payloads = [];        // each message compressed on its own, without the tail
    private byte[][] _payloadsWithTail = [];
    private int _next;
    private readonly PooledBufferWriter _output = new();
    private readonly MemoryStream _sink = new();
    private Deflater _ours = null!;
    private Deflater _oursNoContext = null!;
    private Inflater _oursInflater = null!;
    private Inflater _oursInflaterNoContext = null!;
    private LibZStream _libzDeflate = null!;
    private LibZStream _libzDeflateNoContext = null!;
    private LibZStream _libzInflate = null!;
    private DeflateStream _deflateStream = null!;
    private byte[] _scratch = [];
    private GCHandle[] _messagePins = [];
    private GCHandle[] _payloadPins = [];
    private GCHandle _scratchPin;

    [Params(16, 1024, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ours = new Deflater(15, noContextTakeover: false, Level);
        _oursNoContext = new Deflater(15, noContextTakeover: true, Level);
        _oursInflater = new Inflater(15, noContextTakeover: false, long.MaxValue);
        _oursInflaterNoContext = new Inflater(15, noContextTakeover: true, long.MaxValue);
        // Distinct messages taken in turn, four windows' worth of them (at least eight): with fewer, context
        // takeover would find each message whole in the window and turn it into a single back-reference.
        _count = Math.Max(8, 4 * 32 * 1024 / Size);
        _messages = new byte[_count][];
        _payloads = new byte[_count][];
        _payloadsWithTail = new byte[_count][];
        for (int i = 0; i < _count; i++)
        {
            _messages[i] = JsonLikeText(Size, seed: i);
            _oursNoContext.Compress(_messages[i], _output);
            _payloads[i] = _output.WrittenSpan.ToArray();
            _payloadsWithTail[i] = [.. _payloads[i], 0x00, 0x00, 0xFF, 0xFF];
            _output.Clear();
        }

        _scratch = new byte[Size * 2 + 1024];
        _messagePins = Array.ConvertAll(_messages, m => GCHandle.Alloc(m, GCHandleType.Pinned));
        _payloadPins = Array.ConvertAll(_payloadsWithTail, p => GCHandle.Alloc(p, GCHandleType.Pinned));
        _scratchPin = GCHandle.Alloc(_scratch, GCHandleType.Pinned);
        _libzDeflate = LibZStream.ForDeflate(Level, 15);
        _libzDeflateNoContext = LibZStream.ForDeflate(Level, 15);
        _libzInflate = LibZStream.ForInflate(15);
        _deflateStream = new DeflateStream(_sink, new ZLibCompressionOptions { CompressionLevel = Level }, leaveOpen: true);
        Check();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours.Dispose();
        _oursNoContext.Dispose();
        _oursInflater.Dispose();
        _oursInflaterNoContext.Dispose();
        _libzDeflate.Dispose();
        _libzDeflateNoContext.Dispose();
        _libzInflate.Dispose();
        _deflateStream.Dispose();
        Array.ForEach(_messagePins, pin => pin.Free());
        Array.ForEach(_payloadPins, pin => pin.Free());
        _scratchPin.Free();
        _output.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Compress")]
    public long DeflateStream_Compress()
    {
        _sink.SetLength(0);
        _deflateStream.Write(NextMessage());
        _deflateStream.Flush();
        return _sink.Length - 4;
    }

    [Benchmark, BenchmarkCategory("Compress")]
    public int Ours_Compress()
    {
        _output.Clear();
        return _ours.Compress(NextMessage(), _output);
    }

    [Benchmark, BenchmarkCategory("Compress")]
    public int LibZ_Compress()
    {
        int i = Advance();
        return _libzDeflate.DeflateSyncFlush(_messagePins[i], Size, _scratchPin, _scratch.Length) - 4;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("CompressNoContext")]
    public long DeflateStream_CompressNewStream()
    {
        _sink.SetLength(0);
        using var stream = new DeflateStream(_sink, new ZLibCompressionOptions { CompressionLevel = Level }, leaveOpen: true);
        stream.Write(NextMessage());
        stream.Flush();
        return _sink.Length - 4;
    }

    [Benchmark, BenchmarkCategory("CompressNoContext")]
    public int Ours_CompressNoContext()
    {
        _output.Clear();
        return _oursNoContext.Compress(NextMessage(), _output);
    }

    [Benchmark, BenchmarkCategory("CompressNoContext")]
    public int LibZ_CompressReset()
    {
        _libzDeflateNoContext.Reset();
        return _libzDeflateNoContext.DeflateSyncFlush(_messagePins[Advance()], Size, _scratchPin, _scratch.Length) - 4;
    }

    [Benchmark, BenchmarkCategory("CompressNoContext")]
    public int LibZ_CompressNewState()
    {
        using LibZStream stream = LibZStream.ForDeflate(Level, 15);
        return stream.DeflateSyncFlush(_messagePins[Advance()], Size, _scratchPin, _scratch.Length) - 4;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Inflate")]
    public int DeflateStream_Inflate()
    {
        using var input = new MemoryStream(_payloadsWithTail[Advance()], writable: false);
        using var stream = new DeflateStream(input, CompressionMode.Decompress);
        int total = 0;
        int read;
        while ((read = stream.Read(_scratch, total, _scratch.Length - total)) > 0)
        {
            total += read;
        }

        return total;
    }

    [Benchmark, BenchmarkCategory("Inflate")]
    public int Ours_Inflate()
    {
        _output.Clear();
        _oursInflater.Inflate(_payloads[Advance()], finalChunk: true, _output, out ProtocolViolation _);
        return _output.WrittenCount;
    }

    [Benchmark, BenchmarkCategory("Inflate")]
    public int Ours_InflateNoContext()
    {
        _output.Clear();
        _oursInflaterNoContext.Inflate(_payloads[Advance()], finalChunk: true, _output, out ProtocolViolation _);
        return _output.WrittenCount;
    }

    [Benchmark, BenchmarkCategory("Inflate")]
    public int LibZ_Inflate()
    {
        int i = Advance();
        return _libzInflate.InflateSyncFlush(_payloadPins[i], _payloadsWithTail[i].Length, _scratchPin, _scratch.Length);
    }

    private int Advance()
    {
        int i = _next;
        _next = (i + 1) % _count;
        return i;
    }

    private byte[] NextMessage() => _messages[Advance()];

    /// <summary>Every candidate must give each message back, or the numbers mean nothing.</summary>
    private void Check()
    {
        for (int i = 0; i < _count; i++)
        {
            byte[] message = _messages[i];
            _next = i;
            bool stream = DeflateStream_Inflate() == Size && _scratch.AsSpan(0, Size).SequenceEqual(message);
            _next = i;
            bool libz = LibZ_Inflate() == Size && _scratch.AsSpan(0, Size).SequenceEqual(message);
            _next = i;
            bool ours = Ours_Inflate() == Size && _output.WrittenSpan.SequenceEqual(message);
            _next = i;
            int compressed = LibZ_CompressReset() + 4;
            using var inflater = new Inflater(15, noContextTakeover: true, long.MaxValue);
            _output.Clear();
            inflater.Inflate(_scratch.AsSpan(0, compressed - 4), finalChunk: true, _output, out ProtocolViolation violation);
            bool libzOutput = violation == ProtocolViolation.None && _output.WrittenSpan.SequenceEqual(message);
            if (!stream || !libz || !ours || !libzOutput)
            {
                throw new InvalidOperationException($"Message {i} did not survive every candidate.");
            }
        }

        _output.Clear();
        _next = 0;
    }

    /// <summary>Chat-like JSON: a few keys, words and numbers, so it compresses about as real traffic does (3-5x).</summary>
    private static byte[] JsonLikeText(int size, int seed)
    {
        string[] words = ["hello", "world", "message", "update", "status", "ok", "pending", "user", "channel", "general"];
        var random = new Random(7692 + seed);
        var text = new StringBuilder(size + 100);
        while (text.Length < size)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"id\":{random.Next(1_000_000)},\"type\":\"{words[random.Next(words.Length)]}\",")
                .Append(CultureInfo.InvariantCulture, $"\"text\":\"{words[random.Next(words.Length)]} {words[random.Next(words.Length)]}\",\"ts\":{1_700_000_000 + random.Next(100_000)}}}");
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, size));
    }

    /// <summary>
    /// Just enough of the system's zlib (libz.so.1, Linux x64 layout of z_stream: 112 bytes, 8-byte uLong) to deflate
    /// with a sync flush and to inflate from pinned arrays. The z_stream lives in native memory because zlib checks
    /// that it has not moved between calls.
    /// </summary>
    private sealed class LibZStream : IDisposable
    {
        private const string Library = "libz.so.1";
        private const int StreamSize = 112;
        private const int NextIn = 0;
        private const int AvailIn = 8;
        private const int NextOut = 24;
        private const int AvailOut = 32;

        private static readonly IntPtr s_version = Marshal.StringToHGlobalAnsi("1.2.13");

        private readonly IntPtr _stream;
        private readonly bool _deflate;

        private LibZStream(bool deflate)
        {
            _deflate = deflate;
            _stream = Marshal.AllocHGlobal(StreamSize);
            for (int i = 0; i < StreamSize; i += 8)
            {
                Marshal.WriteInt64(_stream, i, 0);
            }
        }

        public static LibZStream ForDeflate(int level, int windowBits)
        {
            var stream = new LibZStream(deflate: true);
            Check(deflateInit2_(stream._stream, level, 8, -windowBits, 8, 0, s_version, StreamSize));
            return stream;
        }

        public static LibZStream ForInflate(int windowBits)
        {
            var stream = new LibZStream(deflate: false);
            Check(inflateInit2_(stream._stream, -windowBits, s_version, StreamSize));
            return stream;
        }

        public void Reset() => Check(deflateReset(_stream));

        /// <summary>Deflates the whole input with Z_SYNC_FLUSH; returns the bytes written (tail included).</summary>
        public int DeflateSyncFlush(GCHandle input, int inputLength, GCHandle output, int outputLength)
        {
            SetBuffers(input, inputLength, output, outputLength);
            Check(deflate(_stream, 2));
            return outputLength - Marshal.ReadInt32(_stream, AvailOut);
        }

        /// <summary>Inflates the whole input; returns the bytes written.</summary>
        public int InflateSyncFlush(GCHandle input, int inputLength, GCHandle output, int outputLength)
        {
            SetBuffers(input, inputLength, output, outputLength);
            Check(inflate(_stream, 2));
            return outputLength - Marshal.ReadInt32(_stream, AvailOut);
        }

        public void Dispose()
        {
            _ = _deflate ? deflateEnd(_stream) : inflateEnd(_stream);
            Marshal.FreeHGlobal(_stream);
        }

        private void SetBuffers(GCHandle input, int inputLength, GCHandle output, int outputLength)
        {
            Marshal.WriteIntPtr(_stream, NextIn, input.AddrOfPinnedObject());
            Marshal.WriteInt32(_stream, AvailIn, inputLength);
            Marshal.WriteIntPtr(_stream, NextOut, output.AddrOfPinnedObject());
            Marshal.WriteInt32(_stream, AvailOut, outputLength);
        }

        private static void Check(int result)
        {
            if (result is not 0 and not 1)
            {
                throw new InvalidOperationException($"libz returned {result}.");
            }
        }

#pragma warning disable SYSLIB1054 // the benchmark project does not allow unsafe code, which LibraryImport needs
        [DllImport(Library)]
        private static extern int deflateInit2_(IntPtr stream, int level, int method, int windowBits, int memLevel, int strategy, IntPtr version, int streamSize);

        [DllImport(Library)]
        private static extern int deflate(IntPtr stream, int flush);

        [DllImport(Library)]
        private static extern int deflateReset(IntPtr stream);

        [DllImport(Library)]
        private static extern int deflateEnd(IntPtr stream);

        [DllImport(Library)]
        private static extern int inflateInit2_(IntPtr stream, int windowBits, IntPtr version, int streamSize);

        [DllImport(Library)]
        private static extern int inflate(IntPtr stream, int flush);

        [DllImport(Library)]
        private static extern int inflateEnd(IntPtr stream);
#pragma warning restore SYSLIB1054
    }
}
