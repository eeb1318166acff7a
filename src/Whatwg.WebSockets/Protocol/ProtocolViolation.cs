namespace Whatwg.WebSockets.Protocol;

/// <summary>
/// Every way a peer can break RFC 6455 (and RFC 7692) as seen by a client. Each value maps to the
/// close code we send when failing the connection (<see cref="ProtocolViolationInfo.CloseCodeOf"/>)
/// and to a fixed message that never echoes peer bytes.
/// </summary>
internal enum ProtocolViolation
{
    None = 0,

    // RFC 6455 §5.1: "A client MUST close a connection if it detects a masked frame."
    MaskedFrame,
    // §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated that defines meanings".
    ReservedBitsSet,
    // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail_".
    ReservedOpcode,
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less".
    ControlFrameTooLong,
    // §5.5: "Control frames ... MUST NOT be fragmented."
    FragmentedControlFrame,
    // §5.4: a continuation frame with no message in progress.
    UnexpectedContinuation,
    // §5.4: a new data frame while a fragmented message is in progress.
    ExpectedContinuation,
    // §5.2: "the minimal number of bytes MUST be used to encode the length".
    NonMinimalLength,
    // §5.2: 64-bit length "the most significant bit MUST be 0".
    PayloadLengthTooLarge,
    // §5.5.1: a close body of exactly one byte cannot hold a status code.
    CloseFrameTooShort,
    // §7.4: a status code a peer must not send (1004-1006, 1015, < 1000, 1016-2999 unassigned, >= 5000).
    InvalidCloseCode,
    // §8.1: text payloads (messages and close reasons) must be valid UTF-8 -> 1007.
    InvalidUtf8,
    InvalidCloseReasonUtf8,
    // §7.4.1 1009: a message larger than WebSocketOptions.MaxMessageSize.
    MessageTooBig,
    // RFC 7692 §6.2: inflating failed or RSV1 on a continuation/control frame.
    DecompressionFailed,
    // Bytes arrived after the peer's close frame (§5.5.1: no data frames after Close).
    DataAfterClose,
}

internal static class ProtocolViolationInfo
{
    /// <summary>The status code RFC 6455 §7.4.1 assigns to failing for this reason.</summary>
    public static ushort CloseCodeOf(ProtocolViolation violation) => violation switch
    {
        ProtocolViolation.InvalidUtf8 or ProtocolViolation.InvalidCloseReasonUtf8 => CloseCodes.InvalidPayloadData,
        ProtocolViolation.DecompressionFailed => CloseCodes.InvalidPayloadData,
        ProtocolViolation.MessageTooBig => CloseCodes.MessageTooBig,
        _ => CloseCodes.ProtocolError,
    };

    /// <summary>A fixed, human-readable description (never containing peer data).</summary>
    public static string Describe(ProtocolViolation violation) => violation switch
    {
        ProtocolViolation.MaskedFrame => "the server sent a masked frame (RFC 6455 §5.1)",
        ProtocolViolation.ReservedBitsSet => "the server set a reserved bit (RSV1-3) that no negotiated extension allows (RFC 6455 §5.2)",
        ProtocolViolation.ReservedOpcode => "the server sent a frame with a reserved opcode (RFC 6455 §5.2)",
        ProtocolViolation.ControlFrameTooLong => "the server sent a control frame with a payload over 125 bytes (RFC 6455 §5.5)",
        ProtocolViolation.FragmentedControlFrame => "the server sent a fragmented control frame (RFC 6455 §5.5)",
        ProtocolViolation.UnexpectedContinuation => "the server sent a continuation frame with no message in progress (RFC 6455 §5.4)",
        ProtocolViolation.ExpectedContinuation => "the server started a new message before finishing a fragmented one (RFC 6455 §5.4)",
        ProtocolViolation.NonMinimalLength => "the server encoded a payload length with more bytes than needed (RFC 6455 §5.2)",
        ProtocolViolation.PayloadLengthTooLarge => "the server sent a 64-bit payload length with the most significant bit set (RFC 6455 §5.2)",
        ProtocolViolation.CloseFrameTooShort => "the server sent a close frame with a one-byte body (RFC 6455 §5.5.1)",
        ProtocolViolation.InvalidCloseCode => "the server sent a close frame with a status code that may not be sent (RFC 6455 §7.4)",
        ProtocolViolation.InvalidUtf8 => "the server sent a text message that is not valid UTF-8 (RFC 6455 §8.1)",
        ProtocolViolation.InvalidCloseReasonUtf8 => "the server sent a close reason that is not valid UTF-8 (RFC 6455 §5.5.1)",
        ProtocolViolation.MessageTooBig => "the server sent a message larger than the maximum message size",
        ProtocolViolation.DecompressionFailed => "the server sent a compressed message that could not be inflated (RFC 7692)",
        ProtocolViolation.DataAfterClose => "the server sent data after its close frame (RFC 6455 §5.5.1)",
        _ => "no violation",
    };
}
