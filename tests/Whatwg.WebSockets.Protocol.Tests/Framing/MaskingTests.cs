using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Whatwg.WebSockets.Protocol.Framing;
using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Framing;

/// <summary>RFC 6455 §5.3, Client-to-Server Masking: the vectorized mask against a one-line reference.</summary>
public class MaskingTests
{
    private static readonly byte[] s_keyBytes = Hex.Bytes("37 fa 21 3d");
    private static readonly uint s_key = BinaryPrimitives.ReadUInt32LittleEndian(s_keyBytes);

    /// <summary>§5.3: "octet i of the transformed data is the XOR of octet i of the original data with octet at index i modulo 4 of the masking key".</summary>
    private static void ReferenceMask(Span<byte> data, byte[] key, int keyOffset)
    {
        for (int i = 0; i < data.Length; i++) { data[i] ^= key[(keyOffset + i) % 4]; }
    }

    private static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Apply_EveryLengthAndAlignment_MatchesReference(int keyOffset)
    {
        const int Guard = 16;
        for (int length = 0; length <= 300; length++)
        {
            for (int alignment = 0; alignment < 16; alignment++)
            {
                byte[] original = Pattern(alignment + length + Guard, length * 16 + alignment);
                byte[] actual = (byte[])original.Clone();
                byte[] expected = (byte[])original.Clone();
                ReferenceMask(expected.AsSpan(alignment, length), s_keyBytes, keyOffset);

                int next = Masking.Apply(actual.AsSpan(alignment, length), s_key, keyOffset);

                Assert.Equal((keyOffset + length) % 4, next);
                if (!expected.AsSpan().SequenceEqual(actual))
                {
                    Assert.Fail($"length {length}, alignment {alignment}, key offset {keyOffset}: {Hex.Of(expected)} != {Hex.Of(actual)}");
                }
            }
        }
    }

    [Fact]
    public void Apply_ResumedAcrossTwoChunks_MatchesOneCall()
    {
        for (int length = 0; length <= 150; length++)
        {
            byte[] original = Pattern(length, length);
            byte[] whole = (byte[])original.Clone();
            Masking.Apply(whole, s_key, 0);

            for (int split = 0; split <= length; split++)
            {
                byte[] pieces = (byte[])original.Clone();
                int next = Masking.Apply(pieces.AsSpan(0, split), s_key, 0);
                next = Masking.Apply(pieces.AsSpan(split), s_key, next);

                Assert.Equal(length % 4, next);
                Assert.True(whole.AsSpan().SequenceEqual(pieces), $"length {length}, split {split}");
            }
        }
    }

    [Fact]
    public void Apply_ResumedAcrossRandomChunks_MatchesReference()
    {
        var random = new Random(6455);
        for (int iteration = 0; iteration < 500; iteration++)
        {
            byte[] original = Pattern(random.Next(0, 2000), iteration);
            byte[] expected = (byte[])original.Clone();
            ReferenceMask(expected, s_keyBytes, 0);

            byte[] actual = (byte[])original.Clone();
            int offset = 0;
            int keyOffset = 0;
            while (offset < actual.Length)
            {
                int size = Math.Min(actual.Length - offset, random.Next(1, 70));
                keyOffset = Masking.Apply(actual.AsSpan(offset, size), s_key, keyOffset);
                offset += size;
            }

            Assert.True(expected.AsSpan().SequenceEqual(actual), $"iteration {iteration}");
        }
    }

    [Fact]
    public void Apply_Twice_RestoresOriginal()
    {
        byte[] original = Pattern(1000, 1);
        byte[] data = (byte[])original.Clone();

        Masking.Apply(data, s_key, 3);
        Assert.False(original.AsSpan().SequenceEqual(data));
        Masking.Apply(data, s_key, 3);

        Assert.True(original.AsSpan().SequenceEqual(data));
    }

    [Fact]
    public void Apply_ZeroKey_LeavesDataUnchanged()
    {
        byte[] original = Pattern(100, 2);
        byte[] data = (byte[])original.Clone();

        Masking.Apply(data, 0, 1);

        Assert.True(original.AsSpan().SequenceEqual(data));
    }

    [Fact]
    public void CopyMasked_EveryLengthAndAlignment_MatchesTheReferenceLoop()
    {
        var random = new Random(6455);
        byte[] source = new byte[400];
        random.NextBytes(source);
        for (int length = 0; length <= 300; length++)
        {
            for (int alignment = 0; alignment < 8; alignment++)
            {
                uint key = (uint)random.Next() | ((uint)random.Next() << 16);
                byte[] destination = new byte[length + 16];
                Masking.CopyMasked(source.AsSpan(alignment, length), destination.AsSpan(alignment), key);
                for (int i = 0; i < length; i++)
                {
                    byte expected = (byte)(source[alignment + i] ^ (byte)(key >> (8 * (i & 3))));
                    Assert.True(expected == destination[alignment + i], $"length {length}, alignment {alignment}, byte {i}");
                }

                // Nothing outside the destination range is touched.
                Assert.All(destination.AsSpan(0, alignment).ToArray(), b => Assert.Equal(0, b));
                Assert.All(destination.AsSpan(alignment + length).ToArray(), b => Assert.Equal(0, b));
            }
        }
    }

    [Fact]
    public void Copy_Rfc6455Section57Hello_ProducesMaskedPayload()
    {
        byte[] destination = new byte[5];

        Masking.CopyMasked("Hello"u8, destination, s_key);

        Assert.Equal("7f9f4d5158", Hex.Of(destination));
    }

    /// <summary>RFC 6455 §5.7: "A single-frame masked text message ... 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58 (contains "Hello")".</summary>
    [Fact]
    public void WriteMaskedFrame_Rfc6455Section57Hello_ProducesExampleBytes()
    {
        byte[] frame = new byte[11];

        int header = FrameHeader.Write(frame, fin: true, rsv: 0, Opcode.Text, 5, masked: true, s_key);
        Masking.CopyMasked("Hello"u8, frame.AsSpan(header), s_key);

        Assert.Equal(Hex.Normalize("81 85 37 fa 21 3d 7f 9f 4d 51 58"), Hex.Of(frame));
    }

    [Fact]
    public void ReadMaskedFrame_Rfc6455Section57Hello_UnmasksToHello()
    {
        byte[] frame = Hex.Bytes("81 85 37 fa 21 3d 7f 9f 4d 51 58");

        OperationStatus status = FrameHeader.TryRead(frame, out FrameHeader header, out int consumed, out _);
        Span<byte> payload = frame.AsSpan(consumed, (int)header.PayloadLength);
        Masking.Apply(payload, header.MaskKey, 0);

        Assert.Equal(OperationStatus.Done, status);
        Assert.True(header.Masked);
        Assert.Equal(s_key, header.MaskKey);
        Assert.Equal("Hello", Encoding.UTF8.GetString(payload));
    }
}
