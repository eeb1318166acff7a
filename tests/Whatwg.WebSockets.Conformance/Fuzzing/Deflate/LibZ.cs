using System.Runtime.InteropServices;

namespace Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

/// <summary>
/// The system's zlib (<c>libz.so.1</c>), called directly. The fuzzing server compresses and inflates with it
/// rather than with the library under test (which uses the runtime's bundled zlib-ng), so that a mistake in
/// the library's codec cannot be mirrored by the judge and go unnoticed.
/// </summary>
/// <remarks>
/// Only 64-bit Linux is supported: <see cref="ZStream"/> is zlib's <c>z_stream</c> for LP64, where
/// <c>uLong</c> is 64 bits. zlib checks the size we pass to the init functions against its own, so a wrong
/// layout fails at init (Z_VERSION_ERROR) instead of corrupting memory; <see cref="SelfCheck"/> additionally
/// round-trips data with <see cref="System.IO.Compression.DeflateStream"/>. zlib keeps a pointer back to the
/// <c>z_stream</c> in its state and refuses a stream that has moved, so every stream lives in native memory.
/// </remarks>
internal static unsafe partial class LibZ
{
    private const string Library = "libz.so.1";

    public const int NoFlush = 0;
    public const int SyncFlush = 2;
    public const int Finish = 4;

    public const int Ok = 0;
    public const int StreamEnd = 1;
    public const int NeedDict = 2;
    public const int StreamError = -2;
    public const int DataError = -3;
    public const int MemError = -4;
    public const int BufError = -5;
    public const int VersionError = -6;

    public const int Deflated = 8;
    public const int DefaultStrategy = 0;
    public const int DefaultMemLevel = 8;

    private static readonly Lazy<string?> s_selfCheck = new(RunSelfCheck);

    /// <summary>zlib's <c>z_stream</c> on 64-bit Linux (112 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ZStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public ulong TotalIn;
        public byte* NextOut;
        public uint AvailOut;
        public ulong TotalOut;
        public byte* Msg;
        public void* State;
        public void* ZAlloc;
        public void* ZFree;
        public void* Opaque;
        public int DataType;
        public ulong Adler;
        public ulong Reserved;
    }

    /// <summary>The version string of the loaded zlib, e.g. "1.2.13".</summary>
    public static string Version
    {
        get
        {
            EnsurePlatform();
            return Marshal.PtrToStringAnsi((nint)ZlibVersion()) ?? "";
        }
    }

    [LibraryImport(Library, EntryPoint = "zlibVersion")]
    private static partial byte* ZlibVersion();

    [LibraryImport(Library, EntryPoint = "deflateInit2_")]
    private static partial int DeflateInit2(ZStream* strm, int level, int method, int windowBits, int memLevel, int strategy, byte* version, int streamSize);

    [LibraryImport(Library, EntryPoint = "deflate")]
    public static partial int Deflate(ZStream* strm, int flush);

    [LibraryImport(Library, EntryPoint = "deflateEnd")]
    public static partial int DeflateEnd(ZStream* strm);

    [LibraryImport(Library, EntryPoint = "deflateReset")]
    public static partial int DeflateReset(ZStream* strm);

    [LibraryImport(Library, EntryPoint = "inflateInit2_")]
    private static partial int InflateInit2(ZStream* strm, int windowBits, byte* version, int streamSize);

    [LibraryImport(Library, EntryPoint = "inflate")]
    public static partial int Inflate(ZStream* strm, int flush);

    [LibraryImport(Library, EntryPoint = "inflateEnd")]
    public static partial int InflateEnd(ZStream* strm);

    [LibraryImport(Library, EntryPoint = "inflateReset")]
    public static partial int InflateReset(ZStream* strm);

    /// <summary>deflateInit2 through the versioned entry point, as zlib.h's macro does.</summary>
    public static int DeflateInit(ZStream* strm, int level, int windowBits, int memLevel = DefaultMemLevel) =>
        DeflateInit2(strm, level, Deflated, windowBits, memLevel, DefaultStrategy, ZlibVersion(), sizeof(ZStream));

    /// <summary>inflateInit2 through the versioned entry point, as zlib.h's macro does.</summary>
    public static int InflateInit(ZStream* strm, int windowBits) =>
        InflateInit2(strm, windowBits, ZlibVersion(), sizeof(ZStream));

    /// <summary>A zeroed <see cref="ZStream"/> in native memory, which never moves.</summary>
    public static ZStream* AllocateStream()
    {
        EnsurePlatform();
        return (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
    }

    /// <summary>zlib's message for the last error on <paramref name="strm"/>, or the code's name.</summary>
    public static string Describe(ZStream* strm, int code)
    {
        string? message = strm->Msg == null ? null : Marshal.PtrToStringAnsi((nint)strm->Msg);
        string name = code switch
        {
            StreamEnd => "Z_STREAM_END",
            NeedDict => "Z_NEED_DICT",
            StreamError => "Z_STREAM_ERROR",
            DataError => "Z_DATA_ERROR",
            MemError => "Z_MEM_ERROR",
            BufError => "Z_BUF_ERROR",
            VersionError => "Z_VERSION_ERROR",
            _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return message is null ? name : $"{name}: {message}";
    }

    /// <summary>
    /// Checks once per process that the binding works: null when it does, else what went wrong. Data compressed
    /// here must inflate with <see cref="System.IO.Compression.DeflateStream"/> and the other way round, and a
    /// sync-flushed message must survive the permessage-deflate treatment of its tail, with every window size.
    /// </summary>
    public static string? SelfCheck() => s_selfCheck.Value;

    private static void EnsurePlatform()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || sizeof(ZStream) != 112)
        {
            throw new PlatformNotSupportedException("The fuzzing server's deflate needs the system zlib of 64-bit Linux (libz.so.1).");
        }
    }

    private static string? RunSelfCheck()
    {
        try
        {
            byte[] sample = new byte[200_000];
            for (int i = 0; i < sample.Length; i++)
            {
                // Words with repeats near and far, and a stretch of noise, so every block type turns up.
                sample[i] = i % 5000 < 4000 ? (byte)"the quick brown fox jumps over the lazy dog; "[(i * 7 / 5) % 45] : (byte)((i * 2654435761u) >> 24);
            }

            // zlib to DeflateStream: one raw stream ended with Z_FINISH.
            byte[] ours;
            using (var deflater = new RawDeflater(15))
            {
                ours = deflater.CompressFinished(sample);
            }

            using (var input = new MemoryStream(ours))
            using (var inflate = new System.IO.Compression.DeflateStream(input, System.IO.Compression.CompressionMode.Decompress))
            using (var output = new MemoryStream())
            {
                inflate.CopyTo(output);
                if (!output.ToArray().AsSpan().SequenceEqual(sample))
                {
                    return "DeflateStream did not get back what libz compressed";
                }
            }

            // DeflateStream to zlib.
            byte[] theirs;
            using (var output = new MemoryStream())
            {
                using (var deflate = new System.IO.Compression.DeflateStream(output, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
                {
                    deflate.Write(sample);
                }

                theirs = output.ToArray();
            }

            using (var inflater = new RawInflater(15, long.MaxValue))
            {
                if (!inflater.TryInflateMessage(theirs, out byte[] back, out string? error) || !back.AsSpan().SequenceEqual(sample))
                {
                    return "libz did not get back what DeflateStream compressed: " + (error ?? "different bytes");
                }
            }

            // Sync-flushed messages with the tail removed and added back, with context takeover, every window.
            for (int bits = 8; bits <= 15; bits++)
            {
                using var deflater = new RawDeflater(bits);
                using var inflater = new RawInflater(bits, long.MaxValue);
                var inspector = new DeflateInspector(bits, noContextTakeover: false);
                for (int offset = 0; offset < 60_000; offset += 20_000)
                {
                    ReadOnlySpan<byte> message = sample.AsSpan(offset, 20_000);
                    byte[] payload = deflater.CompressMessage(message);
                    if (!inflater.TryInflateMessage(payload, out byte[] back, out string? error) || !back.AsSpan().SequenceEqual(message))
                    {
                        return $"a {bits}-bit message did not round-trip: {error ?? "different bytes"}";
                    }

                    if (inspector.Inspect(payload) is { Violation: string violation })
                    {
                        return $"libz's own {bits}-bit output fails the window check: {violation}";
                    }
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or PlatformNotSupportedException or InvalidOperationException or InvalidDataException)
        {
            return ex.Message;
        }
    }
}
