using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;

namespace Whatwg.WebSockets.Protocol.Framing;

/// <summary>
/// The fixed part of a frame, RFC 6455 §5.2:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-------+-+-------------+-------------------------------+
/// |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
/// |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
/// |N|V|V|V|       |S|             |   (if payload len==126/127)   |
/// | |1|2|3|       |K|             |                               |
/// +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
/// |     Extended payload length continued, if payload len == 127  |
/// + - - - - - - - - - - - - - - - +-------------------------------+
/// |                               |Masking-key, if MASK set to 1  |
/// +-------------------------------+-------------------------------+
/// </code>
/// </summary>
internal readonly struct FrameHeader
{
    /// <summary>2 bytes + 8 bytes of extended length + 4 bytes of mask.</summary>
    public const int MaxSize = 14;

    public const byte Rsv1 = 0x40;
    public const byte Rsv2 = 0x20;
    public const byte Rsv3 = 0x10;

    public FrameHeader(bool fin, byte rsv, Opcode opcode, bool masked, long payloadLength, uint maskKey)
    {
        Fin = fin;
        Rsv = rsv;
        Opcode = opcode;
        Masked = masked;
        PayloadLength = payloadLength;
        MaskKey = maskKey;
    }

    public bool Fin { get; }

    /// <summary>The RSV1-3 bits in their wire positions (0x40, 0x20, 0x10).</summary>
    public byte Rsv { get; }

    public Opcode Opcode { get; }

    public bool Masked { get; }

    public long PayloadLength { get; }

    /// <summary>The masking key as the four wire bytes read in little-endian order (see <see cref="Masking"/>).</summary>
    public uint MaskKey { get; }

    /// <summary>The number of bytes a header with this length and mask flag occupies.</summary>
    public static int SizeOf(long payloadLength, bool masked) =>
        (payloadLength <= 125 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10) + (masked ? 4 : 0);

    /// <summary>
    /// Reads a header from the start of <paramref name="source"/>. Returns <see cref="OperationStatus.NeedMoreData"/>
    /// (consuming nothing) while the header is incomplete, <see cref="OperationStatus.InvalidData"/> with the
    /// violation when the header itself breaks RFC 6455 whatever follows, and <see cref="OperationStatus.Done"/>.
    /// Checks that depend on connection state (RSV allowed, fragmentation order, size limits) are the caller's.
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out FrameHeader header, out int consumed, out ProtocolViolation violation)
    {
        header = default;
        consumed = 0;
        violation = ProtocolViolation.None;
        if (source.Length < 2)
        {
            return OperationStatus.NeedMoreData;
        }

        byte b0 = source[0];
        byte b1 = source[1];
        bool masked = (b1 & 0x80) != 0;
        int length7 = b1 & 0x7F;
        int size = (length7 <= 125 ? 2 : length7 == 126 ? 4 : 10) + (masked ? 4 : 0);
        if (source.Length < size)
        {
            return OperationStatus.NeedMoreData;
        }

        long payloadLength;
        int offset;
        if (length7 <= 125)
        {
            payloadLength = length7;
            offset = 2;
        }
        else if (length7 == 126)
        {
            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(2));
            offset = 4;
            if (payloadLength <= 125)
            {
                violation = ProtocolViolation.NonMinimalLength;
                return OperationStatus.InvalidData;
            }
        }
        else
        {
            ulong length64 = BinaryPrimitives.ReadUInt64BigEndian(source.Slice(2));
            offset = 10;
            if ((length64 & 0x8000_0000_0000_0000UL) != 0)
            {
                violation = ProtocolViolation.PayloadLengthTooLarge;
                return OperationStatus.InvalidData;
            }

            if (length64 <= ushort.MaxValue)
            {
                violation = ProtocolViolation.NonMinimalLength;
                return OperationStatus.InvalidData;
            }

            payloadLength = (long)length64;
        }

        uint maskKey = masked ? BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(offset)) : 0;
        var opcode = (Opcode)(b0 & 0x0F);
        header = new FrameHeader((b0 & 0x80) != 0, (byte)(b0 & 0x70), opcode, masked, payloadLength, maskKey);
        consumed = size;

        // Checks that need nothing but the header. Order follows the byte layout so that the
        // first broken field is the one reported.
        if (!opcode.IsDefined())
        {
            violation = ProtocolViolation.ReservedOpcode;
            return OperationStatus.InvalidData;
        }

        if (opcode.IsControl())
        {
            if (!header.Fin)
            {
                violation = ProtocolViolation.FragmentedControlFrame;
                return OperationStatus.InvalidData;
            }

            if (payloadLength > 125)
            {
                violation = ProtocolViolation.ControlFrameTooLong;
                return OperationStatus.InvalidData;
            }
        }

        return OperationStatus.Done;
    }

    /// <summary>
    /// Writes a header into <paramref name="destination"/> (which must hold <see cref="SizeOf"/> bytes)
    /// and returns its size. A client always masks (RFC 6455 §5.3); the mask key is written as given.
    /// </summary>
    public static int Write(Span<byte> destination, bool fin, byte rsv, Opcode opcode, long payloadLength, bool masked, uint maskKey)
    {
        Debug.Assert(payloadLength >= 0, "payload length is never negative");
        Debug.Assert((rsv & ~0x70) == 0, "only RSV bits may be passed in rsv");
        destination[0] = (byte)((fin ? 0x80 : 0) | rsv | (byte)opcode);
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        int offset;
        if (payloadLength <= 125)
        {
            destination[1] = (byte)(maskBit | (byte)payloadLength);
            offset = 2;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), (ushort)payloadLength);
            offset = 4;
        }
        else
        {
            destination[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(2), (ulong)payloadLength);
            offset = 10;
        }

        if (masked)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(offset), maskKey);
            offset += 4;
        }

        return offset;
    }
}
