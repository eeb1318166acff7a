using System.Buffers;
using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Engine;

/// <summary>
/// RFC 6455 §10.4 (Implementation-Specific Limits) with §7.4.1 status 1009 "Message Too Big": the limit is
/// enforced from frame headers, before payload is buffered, and on the running total of a fragmented message.
/// Also large messages delivered in many reads come out byte-exact.
/// </summary>
public class MessageSizeLimitTests
{
    private const long SixtyFourMiB = 64L * 1024 * 1024;

    private static string Join(List<string> events) => string.Join("|", events);

    /// <summary>Control frames interleaved in a message do not count towards its size.</summary>
    public static TheoryData<string, string> PingOf125BetweenFragments => new()
    {
        {
            "01 05 41 41 41 41 41 89 7d " + Hex.Of(new byte[125]) + " 80 05 42 42 42 42 42",
            "Ping:" + Hex.Of(new byte[125]) + "|Text:AAAAABBBBB"
        },
    };

    [Fact]
    public void Read_200MBHeaderWith64MiBLimit_FailsAfterHeaderWithoutAllocating()
    {
        byte[] header = Hex.Bytes("82 7f 00 00 00 00 0b eb c2 00"); // 200,000,000 bytes
        // Warm up the code path so that one-time costs are not counted.
        new MessageReceiver(SixtyFourMiB).Read(header, out _, out _, out _);
        var receiver = new MessageReceiver(SixtyFourMiB);

        long before = GC.GetAllocatedBytesForCurrentThread();
        OperationStatus partial = receiver.Read(header.AsSpan(0, 9), out int consumed1, out _, out _);
        OperationStatus status = receiver.Read(header.AsSpan(9), out _, out _, out ProtocolViolation violation);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(OperationStatus.NeedMoreData, partial);
        Assert.Equal(9, consumed1);
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(ProtocolViolation.MessageTooBig, violation);
        Assert.True(allocated < 1024 * 1024, $"{allocated} bytes allocated");
        Assert.Equal(CloseCodes.MessageTooBig, ProtocolViolationInfo.CloseCodeOf(violation));
    }

    [Fact]
    public void Read_200MBHeaderFollowedByPayload_FailsInSameCall()
    {
        byte[] bytes = [.. Hex.Bytes("82 7f 00 00 00 00 0b eb c2 00"), .. new byte[4096]];
        var receiver = new MessageReceiver(SixtyFourMiB);

        long before = GC.GetAllocatedBytesForCurrentThread();
        OperationStatus status = receiver.Read(bytes, out _, out _, out ProtocolViolation violation);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(ProtocolViolation.MessageTooBig, violation);
        Assert.True(allocated < 1024 * 1024, $"{allocated} bytes allocated");
    }

    [Theory]
    [InlineData(100, "82 65", "Violation:MessageTooBig")]
    [InlineData(100, "81 65", "Violation:MessageTooBig")]
    [InlineData(126, "82 7e 00 7f", "Violation:MessageTooBig")]
    [InlineData(126, "82 7e 00 7e " + "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "Binary:000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData(125, "82 7e 00 7e", "Violation:MessageTooBig")]
    [InlineData(65535, "82 7f 00 00 00 00 00 01 00 00", "Violation:MessageTooBig")]
    [InlineData(3, "82 03 01 02 03", "Binary:010203")]
    [InlineData(2, "82 03 01 02 03", "Violation:MessageTooBig")]
    [InlineData(1, "82 00", "Binary:")]
    public void Read_SingleFrameAgainstLimit_AcceptsUpToLimit(long limit, string hex, string expected)
    {
        Assert.Equal(expected, Join(ReceiverHarness.Feed(hex, limit)));
    }

    [Theory]
    [InlineData("01 06 41 41 41 41 41 41 80 04 42 42 42 42", "Text:AAAAAABBBB")]
    [InlineData("01 06 41 41 41 41 41 41 80 05 42 42 42 42 42", "Violation:MessageTooBig")]
    [InlineData("02 04 01 01 01 01 00 04 02 02 02 02 80 03 03 03 03", "Violation:MessageTooBig")]
    [InlineData("02 04 01 01 01 01 00 04 02 02 02 02 80 02 03 03", "Binary:01010101020202020303")]
    [InlineData("81 0a 41 41 41 41 41 41 41 41 41 41 81 0a 42 42 42 42 42 42 42 42 42 42", "Text:AAAAAAAAAA|Text:BBBBBBBBBB")]
    [MemberData(nameof(PingOf125BetweenFragments))]
    public void Read_FragmentedMessageAgainstLimitOfTen_CountsRunningTotal(string hex, string expected)
    {
        byte[] bytes = Hex.Bytes(hex);
        Assert.Equal(expected, Join(ReceiverHarness.Feed(hex, 10)));
        for (int split = 0; split <= bytes.Length; split++)
        {
            Assert.Equal(expected, Join(ReceiverHarness.Feed(new MessageReceiver(10), ReceiverHarness.SplitAt(bytes, split))));
        }
    }

    [Fact]
    public void Read_FragmentedMessageOverLimit_FailsAtHeaderOfOffendingFragment()
    {
        var receiver = new MessageReceiver(10);
        var events = new List<string>();
        Assert.True(ReceiverHarness.FeedOne(receiver, Hex.Bytes("01 06 41 41 41 41 41 41"), events));

        // Only the header of the fragment that passes the limit is needed.
        OperationStatus status = receiver.Read(Hex.Bytes("80 05"), out _, out _, out ProtocolViolation violation);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(ProtocolViolation.MessageTooBig, violation);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(256)]
    public void Read_16MiBBinaryIn64KiBChunks_ComesOutByteExact(int frames)
    {
        const int Size = 16 * 1024 * 1024;
        const int Chunk = 64 * 1024;
        byte[] payload = new byte[Size];
        new Random(frames).NextBytes(payload);
        byte[] stream = Frame(payload, frames);
        var receiver = new MessageReceiver(SixtyFourMiB);
        var messages = new List<byte[]>();

        for (int offset = 0; offset < stream.Length; offset += Chunk)
        {
            ReadOnlySpan<byte> data = stream.AsSpan(offset, Math.Min(Chunk, stream.Length - offset));
            while (true)
            {
                OperationStatus status = receiver.Read(data, out int consumed, out ReceivedFrame frame, out ProtocolViolation violation);
                Assert.Equal(ProtocolViolation.None, violation);
                data = data.Slice(consumed);
                if (status == OperationStatus.NeedMoreData)
                {
                    break;
                }

                Assert.Equal(ReceivedKind.Binary, frame.Kind);
                messages.Add(frame.Bytes);
            }
        }

        byte[] message = Assert.Single(messages);
        Assert.Equal(Size, message.Length);
        Assert.True(payload.AsSpan().SequenceEqual(message));
    }

    [Fact]
    public void Read_16MiBBinaryInOneChunk_ComesOutByteExact()
    {
        byte[] payload = new byte[16 * 1024 * 1024];
        new Random(5).NextBytes(payload);
        byte[] stream = Frame(payload, 1);
        var receiver = new MessageReceiver(SixtyFourMiB);

        OperationStatus status = receiver.Read(stream, out int consumed, out ReceivedFrame frame, out _);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(stream.Length, consumed);
        Assert.True(payload.AsSpan().SequenceEqual(frame.Bytes));
    }

    /// <summary>Unmasked binary frames carrying <paramref name="payload"/> in <paramref name="frames"/> equal fragments.</summary>
    private static byte[] Frame(byte[] payload, int frames)
    {
        int size = payload.Length / frames;
        var stream = new MemoryStream();
        byte[] header = new byte[Protocol.Framing.FrameHeader.MaxSize];
        for (int f = 0; f < frames; f++)
        {
            int length = f == frames - 1 ? payload.Length - (f * size) : size;
            var opcode = f == 0 ? Protocol.Framing.Opcode.Binary : Protocol.Framing.Opcode.Continuation;
            int written = Protocol.Framing.FrameHeader.Write(header, f == frames - 1, 0, opcode, length, masked: false, 0);
            stream.Write(header, 0, written);
            stream.Write(payload, f * size, length);
        }

        return stream.ToArray();
    }
}
