using System.Buffers;
using Whatwg.WebSockets.Protocol.Framing;
using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Framing;

/// <summary>RFC 6455 §5.2, Base Framing Protocol: reading and writing the frame header.</summary>
public class FrameHeaderTests
{
    [Theory]
    [ClassData(typeof(ValidFrameHeaders))]
    public void TryRead_ValidHeader_ReturnsFieldsAndConsumesHeader(string hex, bool fin, int rsv, int opcode, bool masked, long length, string key)
    {
        byte[] bytes = Hex.Bytes(hex);

        OperationStatus status = FrameHeader.TryRead(bytes, out FrameHeader header, out int consumed, out ProtocolViolation violation);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ProtocolViolation.None, violation);
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(fin, header.Fin);
        Assert.Equal(rsv, header.Rsv);
        Assert.Equal((Opcode)opcode, header.Opcode);
        Assert.Equal(masked, header.Masked);
        Assert.Equal(length, header.PayloadLength);
        Assert.Equal(masked ? key : "00000000", Hex.Of(BitConverter.GetBytes(header.MaskKey)));
    }

    [Theory]
    [ClassData(typeof(ValidFrameHeaders))]
    public void Write_ValidHeader_ProducesExactBytes(string hex, bool fin, int rsv, int opcode, bool masked, long length, string key)
    {
        byte[] expected = Hex.Bytes(hex);
        uint maskKey = BitConverter.ToUInt32(Hex.Bytes(key));
        byte[] destination = new byte[FrameHeader.MaxSize];

        int written = FrameHeader.Write(destination, fin, (byte)rsv, (Opcode)opcode, length, masked, maskKey);

        Assert.Equal(expected.Length, written);
        Assert.Equal(expected.Length, FrameHeader.SizeOf(length, masked));
        Assert.Equal(Hex.Of(expected), Hex.Of(destination.AsSpan(0, written)));
    }

    [Theory]
    [ClassData(typeof(ValidFrameHeaders))]
    public void TryRead_EveryProperPrefix_NeedsMoreDataAndConsumesNothing(string hex, bool fin, int rsv, int opcode, bool masked, long length, string key)
    {
        _ = (fin, rsv, opcode, masked, length, key);
        byte[] bytes = Hex.Bytes(hex);

        for (int prefix = 0; prefix < bytes.Length; prefix++)
        {
            OperationStatus status = FrameHeader.TryRead(bytes.AsSpan(0, prefix), out _, out int consumed, out ProtocolViolation violation);

            Assert.Equal(OperationStatus.NeedMoreData, status);
            Assert.Equal(0, consumed);
            Assert.Equal(ProtocolViolation.None, violation);
        }
    }

    [Theory]
    [ClassData(typeof(ValidFrameHeaders))]
    public void TryRead_HeaderFollowedByPayload_ConsumesOnlyHeader(string hex, bool fin, int rsv, int opcode, bool masked, long length, string key)
    {
        _ = (fin, rsv, opcode, masked, length, key);
        byte[] header = Hex.Bytes(hex);
        byte[] bytes = [.. header, 0xAA, 0xBB, 0xCC];

        OperationStatus status = FrameHeader.TryRead(bytes, out FrameHeader parsed, out int consumed, out _);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(header.Length, consumed);
        Assert.Equal(length, parsed.PayloadLength);
    }

    [Theory]
    [ClassData(typeof(InvalidFrameHeaders))]
    public void TryRead_InvalidHeader_ReturnsInvalidDataWithViolation(string hex, string violationName)
    {
        byte[] bytes = Hex.Bytes(hex);

        OperationStatus status = FrameHeader.TryRead(bytes, out _, out _, out ProtocolViolation violation);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(Enum.Parse<ProtocolViolation>(violationName), violation);
    }

    [Theory]
    [ClassData(typeof(InvalidFrameHeaders))]
    public void TryRead_ProperPrefixOfInvalidHeader_NeedsMoreData(string hex, string violationName)
    {
        _ = violationName;
        byte[] bytes = Hex.Bytes(hex);

        for (int prefix = 0; prefix < bytes.Length; prefix++)
        {
            OperationStatus status = FrameHeader.TryRead(bytes.AsSpan(0, prefix), out _, out int consumed, out ProtocolViolation violation);

            Assert.Equal(OperationStatus.NeedMoreData, status);
            Assert.Equal(0, consumed);
            Assert.Equal(ProtocolViolation.None, violation);
        }
    }

    [Theory]
    [InlineData(0, false, 2)]
    [InlineData(125, false, 2)]
    [InlineData(126, false, 4)]
    [InlineData(65535, false, 4)]
    [InlineData(65536, false, 10)]
    [InlineData(long.MaxValue, false, 10)]
    [InlineData(0, true, 6)]
    [InlineData(125, true, 6)]
    [InlineData(126, true, 8)]
    [InlineData(65535, true, 8)]
    [InlineData(65536, true, 14)]
    public void SizeOf_PayloadLengthClass_MatchesEncoding(long length, bool masked, int expected)
    {
        Assert.Equal(expected, FrameHeader.SizeOf(length, masked));
    }

    [Fact]
    public void WriteThenRead_EveryLengthAroundTheEdges_RoundTrips()
    {
        long[] lengths = [0, 1, 124, 125, 126, 127, 255, 256, 65534, 65535, 65536, 65537, int.MaxValue, (long)uint.MaxValue + 1, long.MaxValue - 1, long.MaxValue];
        byte[] destination = new byte[FrameHeader.MaxSize];
        foreach (long length in lengths)
        {
            foreach (bool masked in new[] { false, true })
            {
                int written = FrameHeader.Write(destination, fin: true, rsv: 0, Opcode.Binary, length, masked, 0x3d21fa37);

                OperationStatus status = FrameHeader.TryRead(destination.AsSpan(0, written), out FrameHeader header, out int consumed, out _);

                Assert.Equal(OperationStatus.Done, status);
                Assert.Equal(written, consumed);
                Assert.Equal(length, header.PayloadLength);
                Assert.Equal(masked, header.Masked);
                Assert.Equal(masked ? 0x3d21fa37u : 0u, header.MaskKey);
            }
        }
    }

    [Fact]
    public void TryRead_EveryOpcode_ClassifiesAsRfcDefines()
    {
        for (int opcode = 0; opcode < 16; opcode++)
        {
            byte[] bytes = [(byte)(0x80 | opcode), 0x00];

            OperationStatus status = FrameHeader.TryRead(bytes, out FrameHeader header, out _, out ProtocolViolation violation);

            bool defined = opcode is 0x0 or 0x1 or 0x2 or 0x8 or 0x9 or 0xA;
            Assert.Equal(defined ? OperationStatus.Done : OperationStatus.InvalidData, status);
            Assert.Equal(defined ? ProtocolViolation.None : ProtocolViolation.ReservedOpcode, violation);
            Assert.Equal(opcode >= 8, ((Opcode)opcode).IsControl());
            if (defined)
            {
                Assert.Equal((Opcode)opcode, header.Opcode);
            }
        }
    }
}
