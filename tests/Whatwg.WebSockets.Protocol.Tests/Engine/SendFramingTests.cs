using System.Buffers;
using System.Text;
using Whatwg.WebSockets.Protocol.Framing;
using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Engine;

/// <summary>
/// RFC 6455 §5.1-§5.3 and §5.6 on the sending side: "a client MUST mask all frames that it sends to the server",
/// with the length encoded minimally; checked byte for byte with pinned masking keys.
/// </summary>
public class SendFramingTests
{
    private const string Key = "37fa213d";

    private static readonly byte[] s_key = Hex.Bytes(Key);

    private static ProtocolEngine NewEngine(params string[] keys) =>
        new(1024 * 1024, new FixedMaskKeySource(keys.Length == 0 ? [Key] : keys));

    private static string Output(ProtocolEngine engine) => Hex.Of(engine.Output.WrittenSpan);

    private static byte[] ReferenceMask(ReadOnlySpan<byte> data)
    {
        byte[] masked = data.ToArray();
        for (int i = 0; i < masked.Length; i++) { masked[i] ^= s_key[i % 4]; }
        return masked;
    }

    [Fact]
    public void TrySendText_Hello_WritesRfcExampleFrame()
    {
        ProtocolEngine engine = NewEngine();

        Assert.True(engine.TrySendText("Hello"));

        Assert.Equal(Hex.Normalize("81 85 37 fa 21 3d 7f 9f 4d 51 58"), Output(engine));
        Assert.Equal(5, engine.OutputPayloadBytes);
    }

    [Fact]
    public void TrySendText_ZeroKey_PayloadIsPlainUtf8()
    {
        ProtocolEngine engine = NewEngine("00000000");

        Assert.True(engine.TrySendText("\u03BA\u1F79\u03C3\u03BC\u03B5"));

        Assert.Equal(Hex.Normalize("81 8b 00 00 00 00 ce ba e1 bd b9 cf 83 ce bc ce b5"), Output(engine));
        Assert.Equal(11, engine.OutputPayloadBytes);
    }

    [Fact]
    public void TrySendText_Multibyte_MasksUtf8Bytes()
    {
        ProtocolEngine engine = NewEngine();

        Assert.True(engine.TrySendText("\u03BA\u1F79\u03C3\u03BC\u03B5"));

        byte[] utf8 = Hex.Bytes("ce ba e1 bd b9 cf 83 ce bc ce b5");
        Assert.Equal(Hex.Normalize("81 8b 37 fa 21 3d f9 40 c0 80 8e 35 a2 f3 8b 34 94"), Output(engine));
        Assert.Equal(Hex.Of(utf8), Hex.Of(ReferenceMask(engine.Output.WrittenSpan.Slice(6))));
    }

    [Theory]
    [InlineData(0xD800)]
    [InlineData(0xDBFF)]
    [InlineData(0xDC00)]
    [InlineData(0xDFFF)]
    public void TrySendText_LoneSurrogate_SendsReplacementCharacter(int codeUnit)
    {
        // Built here: attribute metadata cannot carry a lone surrogate intact.
        string text = ((char)codeUnit).ToString();
        ProtocolEngine engine = NewEngine("00000000");

        Assert.True(engine.TrySendText(text));

        Assert.Equal(Hex.Normalize("81 83 00 00 00 00 ef bf bd"), Output(engine));
        Assert.Equal(3, engine.OutputPayloadBytes);
    }

    [Fact]
    public void TrySendText_LoneSurrogateWithPinnedKey_SendsMaskedReplacementCharacter()
    {
        ProtocolEngine engine = NewEngine();

        Assert.True(engine.TrySendText("a\uD800b"));

        // 61 ef bf bd 62 masked with 37 fa 21 3d.
        Assert.Equal(Hex.Normalize("81 85 37 fa 21 3d 56 15 9e 80 55"), Output(engine));
        Assert.Equal(Hex.Normalize("61 ef bf bd 62"), Hex.Of(ReferenceMask(engine.Output.WrittenSpan.Slice(6))));
    }

    [Theory]
    [InlineData(0, "82 80 37 fa 21 3d")]
    [InlineData(1, "82 81 37 fa 21 3d")]
    [InlineData(125, "82 fd 37 fa 21 3d")]
    [InlineData(126, "82 fe 00 7e 37 fa 21 3d")]
    [InlineData(65535, "82 fe ff ff 37 fa 21 3d")]
    [InlineData(65536, "82 ff 00 00 00 00 00 01 00 00 37 fa 21 3d")]
    public void TrySendBinary_LengthClass_WritesMinimalHeaderAndMaskedPayload(int length, string header)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) { data[i] = (byte)(i % 251); }
        ProtocolEngine engine = NewEngine();

        Assert.True(engine.TrySendBinary(data));

        byte[] output = engine.Output.WrittenSpan.ToArray();
        int headerLength = Hex.Bytes(header).Length;
        Assert.Equal(headerLength + length, output.Length);
        Assert.Equal(Hex.Normalize(header), Hex.Of(output.AsSpan(0, headerLength)));
        Assert.True(ReferenceMask(data).AsSpan().SequenceEqual(output.AsSpan(headerLength)));
        Assert.True(data.AsSpan().SequenceEqual(ReferenceMask(output.AsSpan(headerLength))));
        Assert.Equal(length, engine.OutputPayloadBytes);
    }

    [Fact]
    public void TrySendBinary_Output_ParsesBackToSameFrame()
    {
        byte[] data = Hex.Bytes("00 01 02 fe ff");
        ProtocolEngine engine = NewEngine();
        engine.TrySendBinary(data);
        byte[] output = engine.Output.WrittenSpan.ToArray();

        OperationStatus status = FrameHeader.TryRead(output, out FrameHeader header, out int consumed, out _);
        Masking.Apply(output.AsSpan(consumed), header.MaskKey, 0);

        Assert.Equal(OperationStatus.Done, status);
        Assert.True(header.Fin);
        Assert.Equal(0, header.Rsv);
        Assert.Equal(Opcode.Binary, header.Opcode);
        Assert.True(header.Masked);
        Assert.Equal(5, header.PayloadLength);
        Assert.Equal(Key, Hex.Of(BitConverter.GetBytes(header.MaskKey)));
        Assert.Equal(Hex.Of(data), Hex.Of(output.AsSpan(consumed)));
    }

    [Fact]
    public void TrySendUtf8_EncodedText_WritesTextFrame()
    {
        ProtocolEngine engine = NewEngine();

        Assert.True(engine.TrySendUtf8("Hello"u8));

        Assert.Equal(Hex.Normalize("81 85 37 fa 21 3d 7f 9f 4d 51 58"), Output(engine));
    }

    [Fact]
    public void TrySendPing_Payload_WritesMaskedPingNotCountedAsPayload()
    {
        ProtocolEngine engine = NewEngine();

        Assert.True(engine.TrySendPing([1, 2, 3]));

        Assert.Equal(Hex.Normalize("89 83 37 fa 21 3d 36 f8 22"), Output(engine));
        Assert.Equal(0, engine.OutputPayloadBytes);
    }

    [Fact]
    public void TakeOutput_SeveralFrames_ReturnsAllInOrderAndCountsApplicationBytesOnly()
    {
        ProtocolEngine engine = NewEngine("00000000");
        engine.TrySendText("Hi");
        engine.TrySendBinary([0xff, 0xfe, 0xfd]);
        engine.TrySendPing([0xaa]);
        engine.OnPingReceived([0xbb, 0xcc]);
        engine.TrySendText("");
        engine.StartClosingHandshake(1000, default);

        ArraySegment<byte> output = engine.TakeOutput(out long payloadBytes);

        Assert.Equal(
            Hex.Normalize("81 82 00000000 48 69" + "82 83 00000000 ff fe fd" + "89 81 00000000 aa" + "8a 82 00000000 bb cc" + "81 80 00000000" + "88 82 00000000 03 e8"),
            Hex.Of(output));
        Assert.Equal(5, payloadBytes);
        Assert.Equal(0, engine.OutputPayloadBytes);
        Assert.True(engine.Output.IsEmpty);
    }

    [Fact]
    public void TakeOutput_Twice_SecondHoldsOnlyNewFrames()
    {
        ProtocolEngine engine = NewEngine("00000000");
        engine.TrySendText("a");
        ArraySegment<byte> first = engine.TakeOutput(out long firstBytes);
        string firstHex = Hex.Of(first);
        engine.TrySendText("bc");

        ArraySegment<byte> second = engine.TakeOutput(out long secondBytes);

        Assert.Equal(Hex.Normalize("81 81 00000000 61"), firstHex);
        Assert.Equal(1, firstBytes);
        Assert.Equal(Hex.Normalize("81 82 00000000 62 63"), Hex.Of(second));
        Assert.Equal(2, secondBytes);
    }

    [Fact]
    public void TakeOutput_NothingWritten_ReturnsEmpty()
    {
        ProtocolEngine engine = NewEngine();

        ArraySegment<byte> output = engine.TakeOutput(out long payloadBytes);

        Assert.Equal(0, output.Count);
        Assert.Equal(0, payloadBytes);
    }

    [Fact]
    public void TrySendBinary_ManyFramesGrowingBuffer_KeepsEveryFrameIntact()
    {
        ProtocolEngine engine = NewEngine("00000000");
        var expected = new StringBuilder();
        for (int i = 0; i < 200; i++)
        {
            byte[] data = new byte[i * 37 % 300];
            Array.Fill(data, (byte)i);
            engine.TrySendBinary(data);
            byte[] header = new byte[FrameHeader.MaxSize];
            int size = FrameHeader.Write(header, fin: true, rsv: 0, Opcode.Binary, data.Length, masked: true, 0);
            expected.Append(Hex.Of(header.AsSpan(0, size))).Append(Hex.Of(data));
        }

        Assert.Equal(expected.ToString(), Hex.Of(engine.TakeOutput(out _)));
    }
}
