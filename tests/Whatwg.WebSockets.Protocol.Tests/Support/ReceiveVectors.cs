namespace Whatwg.WebSockets.Protocol.Tests.Support;

/// <summary>
/// Valid server-to-client byte streams (unmasked, RFC 6455 §5.1) and the events they must produce, joined by "|"
/// in the form <see cref="ReceiverHarness.Describe"/> writes them.
/// </summary>
public sealed class ValidReceiveStreams : TheoryData<string, string>
{
    public ValidReceiveStreams()
    {
        // §5.6 data frames, §5.7 examples.
        Add("81 05 48 65 6c 6c 6f", "Text:Hello");
        Add("82 03 01 02 03", "Binary:010203");
        Add("81 00", "Text:");
        Add("82 00", "Binary:");
        Add("81 0b ce ba e1 bd b9 cf 83 ce bc ce b5", "Text:\u03BA\u1F79\u03C3\u03BC\u03B5");
        Add("82 7e 00 7e " + string.Concat(Enumerable.Repeat("a5", 126)), "Binary:" + string.Concat(Enumerable.Repeat("a5", 126)));
        // §5.4 fragmentation, §5.7 "A fragmented unmasked text message".
        Add("01 03 48 65 6c 80 02 6c 6f", "Text:Hello");
        Add("01 03 48 65 6c 89 00 80 02 6c 6f", "Ping:|Text:Hello");
        Add("01 03 48 65 6c 89 02 01 02 00 01 6c 8a 00 80 01 6f", "Ping:0102|Pong:|Text:Hello");
        Add("02 01 01 00 01 02 80 01 03", "Binary:010203");
        Add("01 00 80 05 48 65 6c 6c 6f", "Text:Hello");
        Add("01 05 48 65 6c 6c 6f 80 00", "Text:Hello");
        Add("02 00 00 00 80 00", "Binary:");
        Add("01 01 ce 00 02 ba e1 00 01 bd 80 01 b9", "Text:\u03BA\u1F79"); // code points cut across frames
        // Several events in one stream.
        Add("81 02 48 69 82 01 ff 89 01 aa 8a 00 81 00", "Text:Hi|Binary:ff|Ping:aa|Pong:|Text:");
        Add("89 05 48 65 6c 6c 6f 8a 05 48 65 6c 6c 6f", "Ping:48656c6c6f|Pong:48656c6c6f");
        // §5.5.1 close, and nothing after it.
        Add("81 02 48 69 88 02 03 e8", "Text:Hi|Close:1000:");
        Add("88 05 03 e8 62 79 65", "Close:1000:bye");
        Add("88 00", "Close:1005:");
        Add("88 00 81 05 48 65 6c 6c 6f", "Close:1005:");
        Add("88 02 0f a1 ff ff ff ff", "Close:4001:");
        Add("01 03 48 65 6c 88 02 03 e9", "Close:1001:");
    }
}

/// <summary>Server byte streams that break RFC 6455, with the events before the violation and the violation.</summary>
public sealed class InvalidReceiveStreams : TheoryData<string, string>
{
    public InvalidReceiveStreams()
    {
        // §5.1: "A client MUST close a connection if it detects a masked frame."
        Add("81 85 37 fa 21 3d 7f 9f 4d 51 58", "Violation:MaskedFrame");
        Add("81 02 48 69 89 80 00 00 00 00", "Text:Hi|Violation:MaskedFrame");
        // §5.2: RSV1-3 must be 0 without an extension.
        Add("c1 05 48 65 6c 6c 6f", "Violation:ReservedBitsSet");
        Add("a1 00", "Violation:ReservedBitsSet");
        Add("91 00", "Violation:ReservedBitsSet");
        Add("c9 00", "Violation:ReservedBitsSet");
        Add("01 01 48 c0 01 69", "Violation:ReservedBitsSet");
        // §5.2: reserved opcodes.
        Add("83 00", "Violation:ReservedOpcode");
        Add("87 00", "Violation:ReservedOpcode");
        Add("8b 00", "Violation:ReservedOpcode");
        Add("8f 00", "Violation:ReservedOpcode");
        Add("81 00 84 01 00", "Text:|Violation:ReservedOpcode");
        // §5.2 length encoding.
        Add("82 7e 00 7d", "Violation:NonMinimalLength");
        Add("82 7f 00 00 00 00 00 00 ff ff", "Violation:NonMinimalLength");
        Add("82 7f 80 00 00 00 00 00 00 00", "Violation:PayloadLengthTooLarge");
        // §5.5 control frames.
        Add("89 7e 00 7e", "Violation:ControlFrameTooLong");
        Add("09 00", "Violation:FragmentedControlFrame");
        Add("01 01 48 08 00", "Violation:FragmentedControlFrame");
        // §5.4 fragmentation order.
        Add("80 02 6c 6f", "Violation:UnexpectedContinuation");
        Add("00 00", "Violation:UnexpectedContinuation");
        Add("81 00 80 00", "Text:|Violation:UnexpectedContinuation");
        Add("01 03 48 65 6c 81 02 6c 6f", "Violation:ExpectedContinuation");
        Add("01 00 02 00", "Violation:ExpectedContinuation");
        Add("02 01 01 89 00 82 01 02", "Ping:|Violation:ExpectedContinuation");
        // §8.1 text must be UTF-8.
        Add("81 02 c0 80", "Violation:InvalidUtf8");
        Add("81 02 48 e2", "Violation:InvalidUtf8");
        Add("01 01 e2 80 00", "Violation:InvalidUtf8");
        // §5.5.1 / §7.4 close frames.
        Add("88 01 03", "Violation:CloseFrameTooShort");
        Add("88 02 03 ec", "Violation:InvalidCloseCode");
        Add("88 04 03 e8 c0 80", "Violation:InvalidCloseReasonUtf8");
    }
}
