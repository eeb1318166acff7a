namespace Whatwg.WebSockets.Protocol;

/// <summary>Status codes of RFC 6455 §7.4.1 and the rules about which may appear on the wire.</summary>
internal static class CloseCodes
{
    public const ushort NormalClosure = 1000;
    public const ushort GoingAway = 1001;
    public const ushort ProtocolError = 1002;
    public const ushort UnsupportedData = 1003;
    /// <summary>Reserved: never on the wire; "no status code was present".</summary>
    public const ushort NoStatusReceived = 1005;
    /// <summary>Reserved: never on the wire; "closed abnormally, without a close frame".</summary>
    public const ushort AbnormalClosure = 1006;
    public const ushort InvalidPayloadData = 1007;
    public const ushort PolicyViolation = 1008;
    public const ushort MessageTooBig = 1009;
    public const ushort MandatoryExtension = 1010;
    public const ushort InternalError = 1011;
    /// <summary>Reserved: never on the wire; TLS handshake failure.</summary>
    public const ushort TlsHandshake = 1015;

    /// <summary>
    /// True when a peer may legitimately send <paramref name="code"/> in a close frame
    /// (RFC 6455 §7.4.1-7.4.2 and the IANA registry): 1000-1003, 1007-1014, and 3000-4999.
    /// </summary>
    public static bool IsValidOnWire(int code) => code switch
    {
        >= 1000 and <= 1003 => true,
        >= 1007 and <= 1014 => true,
        >= 3000 and <= 4999 => true,
        _ => false,
    };
}
