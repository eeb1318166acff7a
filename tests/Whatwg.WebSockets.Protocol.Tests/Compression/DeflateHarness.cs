using System.Buffers;
using System.IO.Compression;
using Whatwg.WebSockets.Protocol.Compression;

namespace Whatwg.WebSockets.Protocol.Tests.Compression;

/// <summary>Drives <see cref="Deflater"/> and <see cref="Inflater"/> the way the engine will, and makes test payloads.</summary>
internal static class DeflateHarness
{
    public const long DefaultMaxMessageSize = 64L * 1024 * 1024;

    public static byte[] Tail => [0x00, 0x00, 0xFF, 0xFF];

    public static byte[] Compress(Deflater deflater, ReadOnlySpan<byte> message)
    {
        using var output = new PooledBufferWriter();
        int written = deflater.Compress(message, output);
        Assert.Equal(output.WrittenCount, written);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Inflates one message given as chunks (the last one final) and returns it; fails the test on a violation.</summary>
    public static byte[] Inflate(Inflater inflater, params byte[][] chunks)
    {
        using var output = new PooledBufferWriter();
        for (int i = 0; i < chunks.Length; i++)
        {
            bool final = i == chunks.Length - 1;
            OperationStatus status = inflater.Inflate(chunks[i], final, output, out ProtocolViolation violation);
            Assert.Equal(ProtocolViolation.None, violation);
            Assert.Equal(final ? OperationStatus.Done : OperationStatus.NeedMoreData, status);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Cuts <paramref name="payload"/> into random pieces (empty ones included) as frames and reads cut it.</summary>
    public static byte[][] SplitRandomly(byte[] payload, Random random, int maxPieces = 12)
    {
        int pieces = random.Next(1, maxPieces + 1);
        var cuts = new List<int> { 0, payload.Length };
        for (int i = 1; i < pieces; i++)
        {
            cuts.Add(random.Next(0, payload.Length + 1));
        }

        cuts.Sort();
        var chunks = new byte[cuts.Count - 1][];
        for (int i = 0; i < chunks.Length; i++)
        {
            chunks[i] = payload[cuts[i]..cuts[i + 1]];
        }

        return chunks;
    }

    /// <summary>Text-like data: words from a small vocabulary with numbers, as JSON-ish chat traffic.</summary>
    public static byte[] Compressible(int length, int seed)
    {
        string[] words = ["{\"id\":", "\"name\":", "\"value\":", "true", "false", "null", "hello", "world", "message", "type", "},", "[", "]", " "];
        var random = new Random(seed);
        var bytes = new byte[length];
        int i = 0;
        while (i < length)
        {
            string word = random.Next(4) == 0 ? random.Next(100000).ToString(System.Globalization.CultureInfo.InvariantCulture) : words[random.Next(words.Length)];
            for (int c = 0; c < word.Length && i < length; c++)
            {
                bytes[i++] = (byte)word[c];
            }
        }

        return bytes;
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Inflates raw deflate data with <see cref="DeflateStream"/> (always a 32 KiB window).</summary>
    public static byte[] InflateWithDeflateStream(byte[] rawDeflate)
    {
        using var input = new MemoryStream(rawDeflate);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var result = new MemoryStream();
        inflate.CopyTo(result);
        return result.ToArray();
    }
}
