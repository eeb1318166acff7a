using System.Runtime.InteropServices;

namespace Whatwg.WebSockets.Protocol.Compression;

/// <summary>
/// The zlib entry points of the shared framework's own native compression library (zlib-ng in zlib-compatible
/// mode since .NET 9), the library <c>System.IO.Compression</c> itself calls. It ships with every runtime, so
/// nothing is added to the package and no system zlib is needed (Windows has none; slim Linux images may not).
/// </summary>
/// <remarks>
/// Each export takes a small <see cref="ZStream"/> and copies its fields to and from the real z_stream, which the
/// library allocates and keeps behind <see cref="ZStream.InternalState"/>; so our struct may move between calls,
/// but it lives in native memory anyway (see <see cref="ZStreamHandle"/>). The flush argument is handed to zlib
/// unchanged, so Z_SYNC_FLUSH works although the header names only Z_NO_FLUSH and Z_FINISH.
/// The library name has no "lib" prefix: the runtime adds it on Unix, and on Windows the file has none.
/// </remarks>
internal static unsafe partial class ZLibInterop
{
    private const string Library = "System.IO.Compression.Native";

    // zlib.h values; the native library asserts they match.
    public const int NoFlush = 0;
    public const int SyncFlush = 2;
    public const int Ok = 0;
    public const int StreamEnd = 1;
    public const int NeedDictionary = 2;
    public const int BufferError = -5;
    public const int MemoryError = -4;
    public const int Deflated = 8;
    public const int DefaultStrategy = 0;

    /// <summary>The deflate state's hash size: 8 is zlib's default (2^(8+7) hash heads), as every peer uses.</summary>
    public const int DefaultMemoryLevel = 8;

    /// <summary>
    /// The input and output cursors of one stream, laid out as PAL_ZStream in pal_zlib.h: four pointers, then
    /// the two 32-bit counts. Only the library reads <see cref="InternalState"/>.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ZStream
    {
        public byte* NextIn;
        public byte* NextOut;
        public byte* Message;
        public void* InternalState;
        public uint AvailIn;
        public uint AvailOut;
    }

    /// <summary>deflateInit2. A negative <c>windowBits</c> selects raw deflate (no zlib header or checksum) with a window of 2^-windowBits.</summary>
    [LibraryImport(Library, EntryPoint = "CompressionNative_DeflateInit2_")]
    public static partial int DeflateInit2(ZStream* stream, int level, int method, int windowBits, int memLevel, int strategy);

    [LibraryImport(Library, EntryPoint = "CompressionNative_Deflate")]
    public static partial int Deflate(ZStream* stream, int flush);

    /// <summary>Frees the zlib state and sets <see cref="ZStream.InternalState"/> back to null.</summary>
    [LibraryImport(Library, EntryPoint = "CompressionNative_DeflateEnd")]
    public static partial int DeflateEnd(ZStream* stream);

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateInit2_")]
    public static partial int InflateInit2(ZStream* stream, int windowBits);

    [LibraryImport(Library, EntryPoint = "CompressionNative_Inflate")]
    public static partial int Inflate(ZStream* stream, int flush);

    /// <summary>Frees the zlib state and sets <see cref="ZStream.InternalState"/> back to null.</summary>
    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateEnd")]
    public static partial int InflateEnd(ZStream* stream);

    /// <summary>inflateReset2: forgets the window and starts a new stream, keeping the allocated state.</summary>
    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateReset2_")]
    public static partial int InflateReset2(ZStream* stream, int windowBits);
}
