using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Engine;

/// <summary>
/// RFC 6455 §8.1 at the receiver: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the
/// byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_",
/// and it does so at the first bad byte, not at the end of the message (Autobahn case 6.x "fail fast").
/// </summary>
public class ReceiveTextValidationTests
{
    /// <summary>Feeds one byte at a time and returns the index of the byte at which the violation was reported, or -1.</summary>
    private static int ViolationIndex(string hex, out string violation)
    {
        byte[] bytes = Hex.Bytes(hex);
        var receiver = new MessageReceiver(1024);
        var events = new List<string>();
        for (int i = 0; i < bytes.Length; i++)
        {
            if (!ReceiverHarness.FeedOne(receiver, bytes.AsSpan(i, 1), events))
            {
                violation = events[^1];
                return i;
            }
        }

        violation = string.Empty;
        return -1;
    }

    [Fact]
    public void Read_InvalidUtf8InSingleFrame_FailsAtBadByteBeforeFrameEnds()
    {
        // Autobahn 6.3.1: "κόσμε" + ED A0 80 (U+D800) + "edited", in one 20-byte text frame.
        const string Frame = "81 14 ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64";

        int index = ViolationIndex(Frame, out string violation);

        Assert.Equal("Violation:InvalidUtf8", violation);
        Assert.Equal(2 + 12, index); // the A0 after ED
    }

    [Fact]
    public void Read_InvalidUtf8InFragmentedMessage_FailsBeforeFinalFragment()
    {
        // Autobahn 6.4.1-style: the good part, then a fragment holding F4 90 80 80 (> U+10FFFF), then the rest.
        const string Stream = "01 0b ce ba e1 bd b9 cf 83 ce bc ce b5" + " 00 04 f4 90 80 80" + " 80 06 65 64 69 74 65 64";

        int index = ViolationIndex(Stream, out string violation);

        Assert.Equal("Violation:InvalidUtf8", violation);
        Assert.Equal(13 + 2 + 1, index); // the 90 after F4
    }

    [Fact]
    public void Read_InvalidUtf8WithPingBetweenFragments_FailsAtBadByte()
    {
        const string Stream = "01 02 ce ba" + " 89 00" + " 00 02 c0 80" + " 80 01 41";
        var receiver = new MessageReceiver(1024);
        var events = new List<string>();

        bool ok = ReceiverHarness.FeedOne(receiver, Hex.Bytes("01 02 ce ba 89 00 00 02 c0"), events);

        Assert.False(ok);
        Assert.Equal("Ping:|Violation:InvalidUtf8", string.Join("|", events));
        Assert.Equal(2 + 4 + 2, ViolationIndex(Stream, out _));
    }

    [Fact]
    public void Read_TruncatedSequenceAtMessageEnd_FailsOnFinalFrame()
    {
        const string Stream = "01 02 48 e2" + " 80 01 82";

        Assert.Equal("Violation:InvalidUtf8", string.Join("|", ReceiverHarness.Feed(Stream)));
        Assert.Equal("Text:H€", string.Join("|", ReceiverHarness.Feed("01 02 48 e2 00 01 82 80 01 ac")));
        Assert.Equal("Violation:InvalidUtf8", string.Join("|", ReceiverHarness.Feed("01 02 48 e2 00 01 82 80 00")));
    }

    [Fact]
    public void Read_BinaryMessage_IsNotValidatedAsText()
    {
        Assert.Equal("Binary:c080eda080ff", string.Join("|", ReceiverHarness.Feed("82 06 c0 80 ed a0 80 ff")));
    }

    [Fact]
    public void Read_RandomTextRandomlyFragmented_AgreesWithUtf8IsValid()
    {
        var random = new Random(6455_8);
        for (int iteration = 0; iteration < 1000; iteration++)
        {
            byte[] payload = new byte[random.Next(0, 20)];
            if (iteration % 2 == 0)
            {
                random.NextBytes(payload);
            }
            else
            {
                const string Sample = "a\u00E9\u20AC\U0001F600\u03BA\u1F79\u03C3\u03BC\u03B5";
                payload = Encoding.UTF8.GetBytes(Sample[..random.Next(0, Sample.Length + 1)]);
                if (payload.Length > 0 && iteration % 3 == 0)
                {
                    payload[random.Next(payload.Length)] = (byte)random.Next(0x80, 0x100);
                }
            }

            // Cut the payload into 1-4 fragments.
            var stream = new List<byte>();
            int offset = 0;
            int fragments = random.Next(1, 5);
            for (int f = 0; f < fragments; f++)
            {
                bool last = f == fragments - 1;
                int size = last ? payload.Length - offset : random.Next(0, payload.Length - offset + 1);
                stream.Add((byte)((last ? 0x80 : 0x00) | (f == 0 ? 0x1 : 0x0)));
                stream.Add((byte)size);
                stream.AddRange(payload.AsSpan(offset, size).ToArray());
                offset += size;
            }

            string expected = Utf8.IsValid(payload) ? "Text:" + Encoding.UTF8.GetString(payload) : "Violation:InvalidUtf8";
            var receiver = new MessageReceiver(1024);

            List<string> events = ReceiverHarness.Feed(receiver, ReceiverHarness.RandomChunks([.. stream], random, 4));

            Assert.True(expected == string.Join("|", events), $"{Hex.Of([.. stream])}: {string.Join("|", events)}");
        }
    }
}
