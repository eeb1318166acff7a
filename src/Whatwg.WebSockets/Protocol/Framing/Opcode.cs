namespace Whatwg.WebSockets.Protocol.Framing;

/// <summary>Frame opcodes, RFC 6455 §5.2 (the four bits after RSV3).</summary>
internal enum Opcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    // 0x3-0x7 are reserved for further non-control frames.
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
    // 0xB-0xF are reserved for further control frames.
}

internal static class OpcodeExtensions
{
    /// <summary>RFC 6455 §5.5: control frames have opcodes whose most significant bit is 1.</summary>
    public static bool IsControl(this Opcode opcode) => ((byte)opcode & 0x8) != 0;

    /// <summary>True for the six opcodes RFC 6455 defines; the rest are reserved.</summary>
    public static bool IsDefined(this Opcode opcode) => opcode switch
    {
        Opcode.Continuation or Opcode.Text or Opcode.Binary or Opcode.Close or Opcode.Ping or Opcode.Pong => true,
        _ => false,
    };
}
