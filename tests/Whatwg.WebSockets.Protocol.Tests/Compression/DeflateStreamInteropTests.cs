using System.IO.Compression;
using Whatwg.WebSockets.Protocol.Compression;

namespace Whatwg.WebSockets.Protocol.Tests.Compression;

/// <summary>
/// Our payloads are plain raw DEFLATE (RFC 1951) as RFC 7692 §7.2.1 describes it: with 00 00 FF FF put back they
/// inflate with <see cref="DeflateStream"/>, an independent reader; and what <see cref="DeflateStream"/> writes and
/// sync-flushes (Flush) inflates with ours once the marker is taken off, as a server's messages would arrive.
/// </summary>
public class DeflateStreamInteropTests
{
    public static TheoryData<int> Sizes => new() { 1, 5, 100, 1024, 65536, 1_000_000 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void OurPayloadWithTail_InflatesWithDeflateStream(int size)
    {
        byte[] message = DeflateHarness.Compressible(size, size);
        using var deflater = new Deflater(15, noContextTakeover: true);

        byte[] payload = DeflateHarness.Compress(deflater, message);
        byte[] inflated = DeflateHarness.InflateWithDeflateStream([.. payload, .. DeflateHarness.Tail]);

        Assert.Equal(message, inflated);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(15)]
    public void OurMessagesWithContextTakeover_AreOneDeflateStream(int windowBits)
    {
        // With context takeover the messages' payloads, each with its tail back, are one continuous stream.
        using var deflater = new Deflater(windowBits, noContextTakeover: false);
        var expected = new List<byte>();
        var stream = new List<byte>();
        for (int i = 0; i < 20; i++)
        {
            byte[] message = DeflateHarness.Compressible(100 + (i * 997 % 5000), i % 3);
            expected.AddRange(message);
            stream.AddRange(DeflateHarness.Compress(deflater, message));
            stream.AddRange(DeflateHarness.Tail);
        }

        Assert.Equal(expected.ToArray(), DeflateHarness.InflateWithDeflateStream([.. stream]));
    }

    [Fact]
    public void OurEmptyMessage_InflatesWithDeflateStreamToNothing()
    {
        using var deflater = new Deflater(15, noContextTakeover: false);

        Assert.Empty(DeflateHarness.InflateWithDeflateStream([.. DeflateHarness.Compress(deflater, []), .. DeflateHarness.Tail]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DeflateStreamFlushedMessages_InflateWithOurs(bool chunked)
    {
        // DeflateStream.Flush performs a Z_SYNC_FLUSH; what it writes between two flushes is one message.
        using var sink = new MemoryStream();
        using var compressor = new DeflateStream(sink, CompressionLevel.Optimal, leaveOpen: true);
        using var inflater = new Inflater(15, noContextTakeover: false, DeflateHarness.DefaultMaxMessageSize);
        var random = new Random(11);
        for (int i = 0; i < 30; i++)
        {
            byte[] message = i % 4 == 3 ? DeflateHarness.RandomBytes(3000, i) : DeflateHarness.Compressible(50 + (i * 7919 % 40_000), i % 5);
            long start = sink.Length;
            compressor.Write(message);
            compressor.Flush();
            byte[] flushed = sink.ToArray()[(int)start..];
            Assert.Equal(DeflateHarness.Tail, flushed[^4..]);
            byte[] payload = flushed[..^4];

            byte[] inflated = chunked
                ? DeflateHarness.Inflate(inflater, DeflateHarness.SplitRandomly(payload, random))
                : DeflateHarness.Inflate(inflater, payload);

            Assert.Equal(message, inflated);
        }
    }
}
