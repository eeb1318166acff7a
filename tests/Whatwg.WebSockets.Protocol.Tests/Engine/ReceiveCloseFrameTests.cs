using System.Buffers;
using System.Text;
using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Engine;

/// <summary>
/// RFC 6455 §5.5.1 (Close) and §7.4 (Status Codes) as the receiver parses them: body layout, which codes a
/// peer may send, UTF-8 reasons, and nothing read after the close frame.
/// </summary>
public class ReceiveCloseFrameTests
{
    private static string Join(List<string> events) => string.Join("|", events);

    private static string CloseFrame(int code, string reasonHex = "")
    {
        byte[] reason = Hex.Bytes(reasonHex);
        return Hex.Of([0x88, (byte)(2 + reason.Length), (byte)(code >> 8), (byte)code, .. reason]);
    }

    [Fact]
    public void Read_CloseWithEmptyBody_Reports1005()
    {
        var receiver = new MessageReceiver(1024);
        OperationStatus status = receiver.Read(Hex.Bytes("88 00"), out int consumed, out ReceivedFrame frame, out _);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(2, consumed);
        Assert.Equal(ReceivedKind.Close, frame.Kind);
        Assert.Equal(CloseCodes.NoStatusReceived, frame.CloseCode);
        Assert.Equal(string.Empty, frame.Data);
        Assert.True(receiver.CloseReceived);
    }

    [Fact]
    public void Read_CloseWithOneByteBody_FailsWithCloseFrameTooShort()
    {
        Assert.Equal("Violation:CloseFrameTooShort", Join(ReceiverHarness.Feed("88 01 03")));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1002)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1008)]
    [InlineData(1009)]
    [InlineData(1010)]
    [InlineData(1011)]
    [InlineData(1012)]
    [InlineData(1013)]
    [InlineData(1014)]
    [InlineData(3000)]
    [InlineData(3999)]
    [InlineData(4000)]
    [InlineData(4999)]
    public void Read_CloseWithValidCode_ReportsCode(int code)
    {
        Assert.Equal($"Close:{code}:", Join(ReceiverHarness.Feed(CloseFrame(code))));
        Assert.True(CloseCodes.IsValidOnWire(code));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(1016)]
    [InlineData(2000)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public void Read_CloseWithInvalidCode_FailsWithInvalidCloseCode(int code)
    {
        Assert.Equal("Violation:InvalidCloseCode", Join(ReceiverHarness.Feed(CloseFrame(code))));
        Assert.Equal("Violation:InvalidCloseCode", Join(ReceiverHarness.Feed(CloseFrame(code, "62 79 65"))));
        Assert.False(CloseCodes.IsValidOnWire(code));
    }

    [Theory]
    [InlineData("62 79 65", "bye")]
    [InlineData("ce ba e1 bd b9 cf 83 ce bc ce b5", "\u03BA\u1F79\u03C3\u03BC\u03B5")]
    [InlineData("", "")]
    public void Read_CloseWithUtf8Reason_ReportsReason(string reasonHex, string reason)
    {
        Assert.Equal($"Close:1000:{reason}", Join(ReceiverHarness.Feed(CloseFrame(1000, reasonHex))));
    }

    [Fact]
    public void Read_CloseWithLongestReason_ReportsReason()
    {
        string reason = new('r', 123);
        string hex = "88 7d 0f a0 " + Hex.Of(Encoding.ASCII.GetBytes(reason));

        Assert.Equal($"Close:4000:{reason}", Join(ReceiverHarness.Feed(hex)));
    }

    [Theory]
    [InlineData("c0 80")]
    [InlineData("ed a0 80")]
    [InlineData("e2 82")]
    [InlineData("80")]
    [InlineData("62 79 ff")]
    public void Read_CloseWithInvalidUtf8Reason_FailsWithInvalidCloseReasonUtf8(string reasonHex)
    {
        Assert.Equal("Violation:InvalidCloseReasonUtf8", Join(ReceiverHarness.Feed(CloseFrame(1000, reasonHex))));
    }

    [Theory]
    [InlineData("81 05 48 65 6c 6c 6f")]
    [InlineData("ff ff ff ff")]
    [InlineData("81 85 37 fa 21 3d 7f 9f 4d 51 58")]
    [InlineData("88 00")]
    public void Read_BytesAfterClose_AreIgnored(string after)
    {
        var receiver = new MessageReceiver(1024);
        var events = new List<string>();
        ReceiverHarness.FeedOne(receiver, Hex.Bytes("88 02 03 e8"), events);

        OperationStatus status = receiver.Read(Hex.Bytes(after), out int consumed, out ReceivedFrame frame, out ProtocolViolation violation);

        Assert.Equal("Close:1000:", Join(events));
        Assert.Equal(OperationStatus.NeedMoreData, status);
        Assert.Equal(Hex.Bytes(after).Length, consumed);
        Assert.Equal(ReceivedKind.None, frame.Kind);
        Assert.Equal(ProtocolViolation.None, violation);
    }

    [Fact]
    public void Read_CloseInsideFragmentedMessage_DropsPartialMessage()
    {
        Assert.Equal("Close:1000:", Join(ReceiverHarness.Feed("01 03 48 65 6c 88 02 03 e8 80 02 6c 6f")));
    }
}
