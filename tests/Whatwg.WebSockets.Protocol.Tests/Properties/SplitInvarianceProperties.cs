using Whatwg.WebSockets.Protocol.Framing;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Protocol.Tests.Properties;

/// <summary>
/// RFC 6455 §5.4 and §5.2 as a property: TCP may cut a valid frame stream anywhere, so the receiver must give the
/// same messages, control frames and Close however the bytes are split into reads: whole, one byte at a time, in two
/// reads at every split point (small streams), at every split point near each frame header and in random reads
/// (large streams), and through the read loop's direct-buffer path. The events must also be the ones the generator
/// put in, so "the same" cannot mean "the same wrong answer".
/// </summary>
public class SplitInvarianceProperties(ITestOutputHelper output)
{
    private const long MaxMessageSize = 1024 * 1024;

    [Fact]
    public void Read_SmallGeneratedStream_EverySplitGivesTheGeneratedEvents()
    {
        PropertyStats stats = PropertyRun.Run(nameof(Read_SmallGeneratedStream_EverySplitGivesTheGeneratedEvents), ciIterations: 150, ciSeed: 1, output, static (seed, stats) =>
        {
            GeneratedStream stream = FrameStreamGenerator.Generate(seed, StreamShape.Small);
            byte[] bytes = stream.Bytes;
            CheckFeed(stream, "whole", ReceiveDriver.FeedWhole(bytes, MaxMessageSize, stream.Deflate));
            CheckFeed(stream, "one byte at a time", ReceiveDriver.FeedByteByByte(bytes, MaxMessageSize, stream.Deflate));
            for (int split = 0; split <= bytes.Length; split++)
            {
                CheckFeed(stream, $"split at {split}", ReceiveDriver.Feed(bytes, MaxMessageSize, stream.Deflate, [split]));
            }

            var random = new Random(seed);
            for (int i = 0; i < 4; i++)
            {
                List<int> ends = ReceiveDriver.RandomReadEnds(bytes.Length, random, maxRead: 64);
                CheckFeed(stream, $"reads ending at {string.Join(",", ends)}", ReceiveDriver.Feed(bytes, MaxMessageSize, stream.Deflate, ends));
            }

            stats.Count("streams");
            stats.Count("feeds", bytes.Length + 7);
            CountShapes(stream, stats);
        });

        // The generator has to make what the property is about, or it holds for nothing.
        AssertCovered(stats, "compressed_frames", "continuation_frames", "control_frames", "bytes_after_close");
    }

    [Fact]
    public void Read_LargeGeneratedStream_SplitsNearEveryHeaderAndRandomReadsGiveTheGeneratedEvents()
    {
        PropertyStats stats = PropertyRun.Run(nameof(Read_LargeGeneratedStream_SplitsNearEveryHeaderAndRandomReadsGiveTheGeneratedEvents), ciIterations: 28, ciSeed: 1_000_000, output, static (seed, stats) =>
        {
            GeneratedStream stream = FrameStreamGenerator.Generate(seed, StreamShape.Large);
            byte[] bytes = stream.Bytes;
            var random = new Random(seed);
            CheckFeed(stream, "whole", ReceiveDriver.FeedWhole(bytes, MaxMessageSize, stream.Deflate));
            if (seed % 4 == 0)
            {
                CheckFeed(stream, "one byte at a time", ReceiveDriver.FeedByteByByte(bytes, MaxMessageSize, stream.Deflate));
                stats.Count("byte_by_byte_feeds");
            }

            // Two reads, cut at every offset from 2 bytes before a header to 2 bytes into its payload, for up to
            // eight frames: every way a header can be cut, at every length encoding the stream holds.
            foreach (FrameLayout frame in stream.Frames.OrderBy(_ => random.Next()).Take(8))
            {
                for (int split = Math.Max(0, frame.Offset - 2); split <= Math.Min(bytes.Length, frame.PayloadOffset + 2); split++)
                {
                    CheckFeed(stream, $"split at {split}", ReceiveDriver.Feed(bytes, MaxMessageSize, stream.Deflate, [split]));
                    stats.Count("feeds");
                }
            }

            for (int i = 0; i < 4; i++)
            {
                List<int> ends = ReceiveDriver.RandomReadEnds(bytes.Length, random, maxRead: 20_000);
                CheckFeed(stream, $"random reads (seed {seed}, plan {i})", ReceiveDriver.Feed(bytes, MaxMessageSize, stream.Deflate, ends));
            }

            // The read loop's own path: large payloads read straight into the message buffer.
            foreach (int directMinimum in new[] { 1, 64, 16 * 1024 })
            {
                CheckFeed(stream, $"read loop, direct reads from {directMinimum} bytes", ReceiveDriver.FeedLikeReadLoop(bytes, MaxMessageSize, stream.Deflate, random, directMinimum, maxRead: 20_000));
            }

            stats.Count("streams");
            stats.Count("feeds", 8);
            CountShapes(stream, stats);
        });

        AssertCovered(stats, "length_7bit", "length_16bit", "length_64bit", "length_125", "length_126", "length_65535", "length_65536", "compressed_frames", "continuation_frames", "control_frames");
    }

    /// <summary>Counts the kinds of frame a stream holds: length encodings, edge lengths, compression, fragments.</summary>
    private static void CountShapes(GeneratedStream stream, PropertyStats stats)
    {
        stats.Count("events", stream.Expected.Count);
        stats.Max("stream_bytes", stream.Bytes.Length);
        if (stream.Frames[^1].End < stream.Bytes.Length)
        {
            stats.Count("bytes_after_close");
        }

        foreach (FrameLayout frame in stream.Frames)
        {
            stats.Count(frame.HeaderLength switch { 2 => "length_7bit", 4 => "length_16bit", _ => "length_64bit" });
            if (frame.PayloadLength is 125 or 126 or 65535 or 65536)
            {
                stats.Count($"length_{frame.PayloadLength}");
            }

            if (frame.Compressed)
            {
                stats.Count("compressed_frames");
            }

            if (frame.Opcode == Opcode.Continuation)
            {
                stats.Count("continuation_frames");
            }
            else if (frame.Opcode is Opcode.Ping or Opcode.Pong)
            {
                stats.Count("control_frames");
            }
        }
    }

    private static void AssertCovered(PropertyStats stats, params string[] names)
    {
        foreach (string name in names)
        {
            Assert.True(stats.Get(name) > 0, $"no generated stream had {name}: {stats}");
        }
    }

    private static void CheckFeed(GeneratedStream stream, string how, FeedResult result)
    {
        if (result.Violation != ProtocolViolation.None || !result.Events.SequenceEqual(stream.Expected))
        {
            Assert.Fail($"{how}: got {result}{Environment.NewLine}expected {string.Join("|", stream.Expected)}{Environment.NewLine}stream: {stream}"
                + (stream.Bytes.Length <= 1024 ? $"{Environment.NewLine}bytes: {Convert.ToHexStringLower(stream.Bytes)}" : string.Empty));
        }
    }
}
