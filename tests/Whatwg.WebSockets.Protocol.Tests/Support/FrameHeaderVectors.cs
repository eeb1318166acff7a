namespace Whatwg.WebSockets.Protocol.Tests.Support;

/// <summary>
/// Valid frame headers, RFC 6455 §5.2: hex, FIN, RSV bits, opcode, MASK, payload length, masking key (wire hex).
/// Every payload length class is here: 7-bit (0, 1, 125), 16-bit (126, 65535) and 64-bit (65536, 2^32+5, 2^63-1).
/// </summary>
public sealed class ValidFrameHeaders : TheoryData<string, bool, int, int, bool, long, string>
{
    public ValidFrameHeaders()
    {
        Add("81 00", true, 0, 0x1, false, 0, "00000000");
        Add("82 01", true, 0, 0x2, false, 1, "00000000");
        Add("82 7d", true, 0, 0x2, false, 125, "00000000");
        Add("82 7e 00 7e", true, 0, 0x2, false, 126, "00000000");
        Add("82 7e ff ff", true, 0, 0x2, false, 65535, "00000000");
        Add("82 7f 00 00 00 00 00 01 00 00", true, 0, 0x2, false, 65536, "00000000");
        Add("82 7f 00 00 00 01 00 00 00 05", true, 0, 0x2, false, (1L << 32) + 5, "00000000");
        Add("82 7f 7f ff ff ff ff ff ff ff", true, 0, 0x2, false, long.MaxValue, "00000000");
        Add("81 85 37 fa 21 3d", true, 0, 0x1, true, 5, "37fa213d");
        Add("82 80 01 02 03 04", true, 0, 0x2, true, 0, "01020304");
        Add("82 fd 01 02 03 04", true, 0, 0x2, true, 125, "01020304");
        Add("82 fe 00 7e ff 00 ff 00", true, 0, 0x2, true, 126, "ff00ff00");
        Add("82 fe ff ff 00 00 00 01", true, 0, 0x2, true, 65535, "00000001");
        Add("82 ff 00 00 00 00 00 01 00 00 37 fa 21 3d", true, 0, 0x2, true, 65536, "37fa213d");
        Add("82 ff 00 00 00 01 00 00 00 05 de ad be ef", true, 0, 0x2, true, (1L << 32) + 5, "deadbeef");
        Add("01 03", false, 0, 0x1, false, 3, "00000000");
        Add("02 00", false, 0, 0x2, false, 0, "00000000");
        Add("00 02", false, 0, 0x0, false, 2, "00000000");
        Add("80 02", true, 0, 0x0, false, 2, "00000000");
        Add("88 00", true, 0, 0x8, false, 0, "00000000");
        Add("88 7d", true, 0, 0x8, false, 125, "00000000");
        Add("89 00", true, 0, 0x9, false, 0, "00000000");
        Add("8a 05", true, 0, 0xA, false, 5, "00000000");
        Add("89 82 00 00 00 00", true, 0, 0x9, true, 2, "00000000");
        // The header reader reports RSV bits; whether they are allowed is the receiver's call.
        Add("c1 00", true, 0x40, 0x1, false, 0, "00000000");
        Add("a2 00", true, 0x20, 0x2, false, 0, "00000000");
        Add("91 00", true, 0x10, 0x1, false, 0, "00000000");
        Add("f2 00", true, 0x70, 0x2, false, 0, "00000000");
        Add("41 00", false, 0x40, 0x1, false, 0, "00000000");
    }
}

/// <summary>Frame headers that break RFC 6455 §5.2/§5.5 whatever follows them: hex and the violation's name.</summary>
public sealed class InvalidFrameHeaders : TheoryData<string, string>
{
    public InvalidFrameHeaders()
    {
        // §5.2: "the minimal number of bytes MUST be used to encode the length".
        Add("82 7e 00 00", nameof(ProtocolViolation.NonMinimalLength));
        Add("82 7e 00 05", nameof(ProtocolViolation.NonMinimalLength));
        Add("82 7e 00 7d", nameof(ProtocolViolation.NonMinimalLength));
        Add("82 fe 00 7d 01 02 03 04", nameof(ProtocolViolation.NonMinimalLength));
        Add("82 7f 00 00 00 00 00 00 00 00", nameof(ProtocolViolation.NonMinimalLength));
        Add("82 7f 00 00 00 00 00 00 00 7d", nameof(ProtocolViolation.NonMinimalLength));
        Add("82 7f 00 00 00 00 00 00 00 7e", nameof(ProtocolViolation.NonMinimalLength));
        Add("82 7f 00 00 00 00 00 00 ff ff", nameof(ProtocolViolation.NonMinimalLength));
        // §5.2: a 64-bit length's "most significant bit MUST be 0".
        Add("82 7f 80 00 00 00 00 00 00 00", nameof(ProtocolViolation.PayloadLengthTooLarge));
        Add("82 7f 80 00 00 00 00 01 00 00", nameof(ProtocolViolation.PayloadLengthTooLarge));
        Add("82 7f ff ff ff ff ff ff ff ff", nameof(ProtocolViolation.PayloadLengthTooLarge));
        Add("82 ff 80 00 00 00 00 00 00 00 01 02 03 04", nameof(ProtocolViolation.PayloadLengthTooLarge));
        // §5.2: opcodes 3-7 (non-control) and B-F (control) are reserved.
        Add("83 00", nameof(ProtocolViolation.ReservedOpcode));
        Add("84 00", nameof(ProtocolViolation.ReservedOpcode));
        Add("85 00", nameof(ProtocolViolation.ReservedOpcode));
        Add("86 00", nameof(ProtocolViolation.ReservedOpcode));
        Add("87 00", nameof(ProtocolViolation.ReservedOpcode));
        Add("8b 00", nameof(ProtocolViolation.ReservedOpcode));
        Add("8c 00", nameof(ProtocolViolation.ReservedOpcode));
        Add("8d 00", nameof(ProtocolViolation.ReservedOpcode));
        Add("8e 00", nameof(ProtocolViolation.ReservedOpcode));
        Add("8f 00", nameof(ProtocolViolation.ReservedOpcode));
        Add("03 05", nameof(ProtocolViolation.ReservedOpcode));
        Add("0b 00", nameof(ProtocolViolation.ReservedOpcode));
        // §5.5: "All control frames MUST have a payload length of 125 bytes or less".
        Add("88 7e 00 7e", nameof(ProtocolViolation.ControlFrameTooLong));
        Add("89 7e 00 7e", nameof(ProtocolViolation.ControlFrameTooLong));
        Add("8a 7e ff ff", nameof(ProtocolViolation.ControlFrameTooLong));
        Add("89 7f 00 00 00 00 00 01 00 00", nameof(ProtocolViolation.ControlFrameTooLong));
        Add("89 fe 00 7e 00 00 00 00", nameof(ProtocolViolation.ControlFrameTooLong));
        // §5.5: "Control frames themselves MUST NOT be fragmented."
        Add("08 00", nameof(ProtocolViolation.FragmentedControlFrame));
        Add("09 00", nameof(ProtocolViolation.FragmentedControlFrame));
        Add("0a 05", nameof(ProtocolViolation.FragmentedControlFrame));
        Add("09 80 00 00 00 00", nameof(ProtocolViolation.FragmentedControlFrame));
    }
}
