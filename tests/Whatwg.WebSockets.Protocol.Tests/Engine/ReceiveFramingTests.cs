using System.Buffers;
using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Engine;

/// <summary>
/// RFC 6455 §5.1-§5.2 and §5.6 as the receiver applies them: server frames (unmasked) in, events out,
/// and every split of the input giving the same events.
/// </summary>
public class ReceiveFramingTests
{
    private static string Join(List<string> events) => string.Join("|", events);

    [Theory]
    [ClassData(typeof(ValidReceiveStreams))]
    public void Read_ValidStreamWhole_ProducesEvents(string hex, string expected)
    {
        Assert.Equal(expected, Join(ReceiverHarness.Feed(hex)));
    }

    [Theory]
    [ClassData(typeof(ValidReceiveStreams))]
    public void Read_ValidStreamSplitAtEveryOffset_ProducesSameEvents(string hex, string expected)
    {
        byte[] bytes = Hex.Bytes(hex);
        for (int split = 0; split <= bytes.Length; split++)
        {
            var receiver = new MessageReceiver(ReceiverHarness.DefaultMaxMessageSize);

            List<string> events = ReceiverHarness.Feed(receiver, ReceiverHarness.SplitAt(bytes, split));

            Assert.True(expected == Join(events), $"split at {split}: {Join(events)}");
        }
    }

    [Theory]
    [ClassData(typeof(ValidReceiveStreams))]
    public void Read_ValidStreamOneByteAtATime_ProducesSameEvents(string hex, string expected)
    {
        var receiver = new MessageReceiver(ReceiverHarness.DefaultMaxMessageSize);

        List<string> events = ReceiverHarness.Feed(receiver, ReceiverHarness.OneByteAtATime(Hex.Bytes(hex)));

        Assert.Equal(expected, Join(events));
    }

    [Theory]
    [ClassData(typeof(ValidReceiveStreams))]
    public void Read_ValidStreamRandomChunks_ProducesSameEvents(string hex, string expected)
    {
        byte[] bytes = Hex.Bytes(hex);
        var random = new Random(bytes.Length);
        for (int iteration = 0; iteration < 20; iteration++)
        {
            var receiver = new MessageReceiver(ReceiverHarness.DefaultMaxMessageSize);

            List<string> events = ReceiverHarness.Feed(receiver, ReceiverHarness.RandomChunks(bytes, random, 5));

            Assert.Equal(expected, Join(events));
        }
    }

    [Theory]
    [ClassData(typeof(InvalidReceiveStreams))]
    public void Read_InvalidStream_ReportsViolation(string hex, string expected)
    {
        Assert.Equal(expected, Join(ReceiverHarness.Feed(hex)));
    }

    [Theory]
    [ClassData(typeof(InvalidReceiveStreams))]
    public void Read_InvalidStreamSplitAtEveryOffset_ReportsSameViolation(string hex, string expected)
    {
        byte[] bytes = Hex.Bytes(hex);
        for (int split = 0; split <= bytes.Length; split++)
        {
            var receiver = new MessageReceiver(ReceiverHarness.DefaultMaxMessageSize);

            List<string> events = ReceiverHarness.Feed(receiver, ReceiverHarness.SplitAt(bytes, split));

            Assert.True(expected == Join(events), $"split at {split}: {Join(events)}");
        }
    }

    [Theory]
    [ClassData(typeof(InvalidReceiveStreams))]
    public void Read_InvalidStreamOneByteAtATime_ReportsSameViolation(string hex, string expected)
    {
        var receiver = new MessageReceiver(ReceiverHarness.DefaultMaxMessageSize);

        List<string> events = ReceiverHarness.Feed(receiver, ReceiverHarness.OneByteAtATime(Hex.Bytes(hex)));

        Assert.Equal(expected, Join(events));
    }

    [Theory]
    [ClassData(typeof(InvalidReceiveStreams))]
    public void Read_AfterViolation_ReturnsSameViolationAndConsumesNothing(string hex, string expected)
    {
        var receiver = new MessageReceiver(ReceiverHarness.DefaultMaxMessageSize);
        List<string> events = ReceiverHarness.Feed(receiver, [Hex.Bytes(hex)]);
        var violation = Enum.Parse<ProtocolViolation>(expected.Split("Violation:")[1]);
        Assert.Equal("Violation:" + violation, events[^1]);

        foreach (string more in new[] { "81 05 48 65 6c 6c 6f", "", "88 00" })
        {
            OperationStatus status = receiver.Read(Hex.Bytes(more), out int consumed, out ReceivedFrame frame, out ProtocolViolation again);

            Assert.Equal(OperationStatus.InvalidData, status);
            Assert.Equal(violation, again);
            Assert.Equal(0, consumed);
            Assert.Equal(ReceivedKind.None, frame.Kind);
        }
    }

    /// <summary>
    /// The read loop slices its buffer by <c>consumed</c> whatever the status, so even on InvalidData it must lie
    /// within the chunk. Headers cut by a read boundary are the case to watch.
    /// </summary>
    [Theory]
    [ClassData(typeof(InvalidFrameHeaders))]
    public void Read_InvalidHeaderSplitAtEveryOffset_ConsumedStaysWithinChunk(string hex, string violationName)
    {
        byte[] bytes = Hex.Bytes(hex);
        var expected = Enum.Parse<ProtocolViolation>(violationName);
        for (int split = 1; split < bytes.Length; split++)
        {
            var receiver = new MessageReceiver(ReceiverHarness.DefaultMaxMessageSize);
            OperationStatus first = receiver.Read(bytes.AsSpan(0, split), out int consumed1, out _, out _);
            Assert.Equal(OperationStatus.NeedMoreData, first);
            Assert.Equal(split, consumed1);

            OperationStatus second = receiver.Read(bytes.AsSpan(split), out int consumed2, out _, out ProtocolViolation violation);

            Assert.Equal(OperationStatus.InvalidData, second);
            Assert.Equal(expected, violation);
            Assert.True(consumed2 >= 0 && consumed2 <= bytes.Length - split, $"split at {split}: consumed {consumed2} of {bytes.Length - split}");
        }
    }

    [Fact]
    public void Read_Rsv1WhenDeflateNegotiated_AcceptedOnFirstDataFrameOnly()
    {
        // RFC 7692 §7.2.3.1: "Hello" compressed is f2 48 cd c9 c9 07 00; RSV1 on the first frame marks it.
        Assert.Equal("Text:Hello", Join(ReceiverHarness.Feed("c1 07 f2 48 cd c9 c9 07 00", deflate: true)));
        Assert.Equal("Binary:01", Join(ReceiverHarness.Feed("c2 03 62 04 00", deflate: true)));
        // §7.2.3.1's fragmented form: the compressed bytes split over two frames, RSV1 on the first only.
        Assert.Equal("Text:Hello", Join(ReceiverHarness.Feed("41 03 f2 48 cd 80 04 c9 c9 07 00", deflate: true)));
        // Without RSV1 the message is not compressed, even with deflate negotiated.
        Assert.Equal("Text:Hello", Join(ReceiverHarness.Feed("81 05 48 65 6c 6c 6f", deflate: true)));
        // Without negotiation RSV1 is a reserved bit.
        Assert.Equal("Violation:ReservedBitsSet", Join(ReceiverHarness.Feed("c1 07 f2 48 cd c9 c9 07 00")));
        // RFC 7692 §6: RSV1 is not allowed on continuation or control frames; RSV2/RSV3 stay reserved.
        Assert.Equal("Violation:ReservedBitsSet", Join(ReceiverHarness.Feed("41 03 f2 48 cd c0 04 c9 c9 07 00", deflate: true)));
        Assert.Equal("Violation:ReservedBitsSet", Join(ReceiverHarness.Feed("c9 00", deflate: true)));
        Assert.Equal("Violation:ReservedBitsSet", Join(ReceiverHarness.Feed("c8 00", deflate: true)));
        Assert.Equal("Violation:ReservedBitsSet", Join(ReceiverHarness.Feed("e1 00", deflate: true)));
        Assert.Equal("Violation:ReservedBitsSet", Join(ReceiverHarness.Feed("d1 00", deflate: true)));
        Assert.Equal("Violation:ReservedBitsSet", Join(ReceiverHarness.Feed("a1 00", deflate: true)));
    }

    [Fact]
    public void Read_EveryReservedOpcode_FailsWithReservedOpcode()
    {
        foreach (int opcode in new[] { 3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF })
        {
            List<string> events = ReceiverHarness.Feed(Hex.Of([(byte)(0x80 | opcode), 0x00]));

            Assert.Equal("Violation:ReservedOpcode", Join(events));
        }
    }

    [Fact]
    public void InMessage_TracksPartialFramesAndFragmentedMessages()
    {
        var receiver = new MessageReceiver(1024);
        var events = new List<string>();
        Assert.False(receiver.InMessage);

        ReceiverHarness.FeedOne(receiver, Hex.Bytes("01"), events);
        Assert.True(receiver.InMessage);
        ReceiverHarness.FeedOne(receiver, Hex.Bytes("01 48"), events);
        Assert.True(receiver.InMessage);
        ReceiverHarness.FeedOne(receiver, Hex.Bytes("80 01 69"), events);

        Assert.False(receiver.InMessage);
        Assert.Equal("Text:Hi", Join(events));
    }

    [Fact]
    public void Read_EmptyInput_NeedsMoreDataAndConsumesNothing()
    {
        var receiver = new MessageReceiver(1024);

        OperationStatus status = receiver.Read([], out int consumed, out ReceivedFrame frame, out ProtocolViolation violation);

        Assert.Equal(OperationStatus.NeedMoreData, status);
        Assert.Equal(0, consumed);
        Assert.Equal(ReceivedKind.None, frame.Kind);
        Assert.Equal(ProtocolViolation.None, violation);
    }

    [Fact]
    public void Read_TwoMessagesInOneChunk_ReturnsFirstThenSecond()
    {
        var receiver = new MessageReceiver(1024);
        byte[] bytes = Hex.Bytes("81 02 48 69 82 01 ff");

        OperationStatus first = receiver.Read(bytes, out int consumed, out ReceivedFrame frame, out _);

        Assert.Equal(OperationStatus.Done, first);
        Assert.Equal(4, consumed);
        Assert.Equal("Hi", frame.Text);

        OperationStatus second = receiver.Read(bytes.AsSpan(consumed), out consumed, out frame, out _);

        Assert.Equal(OperationStatus.Done, second);
        Assert.Equal(3, consumed);
        Assert.Equal(ReceivedKind.Binary, frame.Kind);
        Assert.Equal("ff", Hex.Of(frame.Bytes));
    }

    /// <summary>
    /// Property: for arbitrary frame sequences (mostly well-formed, some broken), the receiver never throws, ends
    /// in events or a violation, and the outcome does not depend on how the bytes are chunked.
    /// </summary>
    [Fact]
    public void Read_RandomFrameStreams_ChunkingIsInvisible()
    {
        var random = new Random(5_2);
        for (int iteration = 0; iteration < 2000; iteration++)
        {
            byte[] stream = RandomFrames(random);

            string whole = Join(ReceiverHarness.Feed(new MessageReceiver(64), [stream]));
            string bytewise = Join(ReceiverHarness.Feed(new MessageReceiver(64), ReceiverHarness.OneByteAtATime(stream)));
            string chunked = Join(ReceiverHarness.Feed(new MessageReceiver(64), ReceiverHarness.RandomChunks(stream, random, 7)));

            Assert.True(whole == bytewise, $"{Hex.Of(stream)}: {whole} != {bytewise}");
            Assert.True(whole == chunked, $"{Hex.Of(stream)}: {whole} != {chunked}");
        }
    }

    private static byte[] RandomFrames(Random random)
    {
        var stream = new List<byte>();
        int frames = random.Next(1, 6);
        byte[] header = new byte[Protocol.Framing.FrameHeader.MaxSize];
        for (int f = 0; f < frames; f++)
        {
            int[] opcodes = [0x0, 0x1, 0x1, 0x2, 0x2, 0x8, 0x9, 0xA, 0x3, 0xB];
            var opcode = (Protocol.Framing.Opcode)opcodes[random.Next(opcodes.Length)];
            bool fin = random.Next(4) != 0;
            byte rsv = random.Next(20) == 0 ? (byte)0x40 : (byte)0;
            bool masked = random.Next(30) == 0;
            int length = random.Next(10) == 0 ? random.Next(126, 200) : random.Next(0, 12);
            byte[] payload = new byte[length];
            if (random.Next(3) == 0)
            {
                random.NextBytes(payload);
            }
            else
            {
                for (int i = 0; i < length; i++) { payload[i] = (byte)random.Next(0x20, 0x7F); }
                if (opcode == Protocol.Framing.Opcode.Close && length >= 2)
                {
                    payload[0] = 0x03;
                    payload[1] = 0xE8;
                }
            }

            int size = Protocol.Framing.FrameHeader.Write(header, fin, rsv, opcode, length, masked, 0x01020304);
            stream.AddRange(header.AsSpan(0, size).ToArray());
            stream.AddRange(payload);
        }

        return [.. stream];
    }
}
