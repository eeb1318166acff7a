using System.Buffers;
using System.Buffers.Binary;
using Whatwg.WebSockets.Protocol.Compression;
using Whatwg.WebSockets.Protocol.Framing;

namespace Whatwg.WebSockets.Protocol.Tests.Properties;

/// <summary>
/// Breaks valid streams in the ways a faulty or hostile server might: blind byte damage (bit flips, inserted,
/// deleted and repeated bytes, truncation) and aimed damage to one field of one frame (RSV bits, opcode, FIN, the
/// mask bit, the payload length, including non-minimal and huge 64-bit lengths, UTF-8 in text, the close code,
/// deflate data), and frames spliced in: deflate bombs and headers that claim up to 2^63 - 1 bytes.
/// </summary>
internal static class StreamMutator
{
    /// <summary>The mutations by name; each returns the damaged stream.</summary>
    public static readonly (string Name, Func<GeneratedStream, byte[], Random, byte[]> Apply)[] Mutations =
    [
        ("flip_bits", FlipBits),
        ("insert_bytes", InsertBytes),
        ("delete_bytes", DeleteBytes),
        ("duplicate_bytes", DuplicateBytes),
        ("truncate", Truncate),
        ("set_rsv", SetRsv),
        ("set_opcode", SetOpcode),
        ("toggle_fin", ToggleFin),
        ("set_mask", SetMask),
        ("corrupt_length", CorruptLength),
        ("corrupt_utf8", CorruptUtf8),
        ("corrupt_close_code", CorruptCloseCode),
        ("corrupt_deflate_data", CorruptDeflateData),
        ("insert_huge_frame", InsertHugeFrame),
        ("insert_deflate_bomb", InsertDeflateBomb),
    ];

    /// <summary>Lengths a header may claim: around the limits, the encodings' edges, and far past any memory.</summary>
    private static readonly ulong[] s_claimedLengths =
    [
        0, 1, 125, 126, 127, 65535, 65536, 64 * 1024 + 1, 1 << 20, int.MaxValue, 1UL << 32, 1UL << 62, long.MaxValue,
        1UL << 63, ulong.MaxValue,
    ];

    private static readonly byte[][] s_badUtf8 =
    [
        [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
        [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0xE2, 0x82],
        [0xC3],
    ];

    private static readonly int[] s_badCloseCodes = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535];

    /// <summary>1 MiB of zeros and of "a", deflated (9-bit window, so any negotiated window can inflate it): 1 KiB each.</summary>
    private static readonly Lazy<byte[][]> s_bombs = new(() =>
    {
        byte[] letters = new byte[1024 * 1024];
        letters.AsSpan().Fill((byte)'a');
        return [Deflate(new byte[1024 * 1024]), Deflate(letters)];
    });

    /// <summary>Applies one to three mutations chosen at random; <paramref name="names"/> gets what was done.</summary>
    public static byte[] Mutate(GeneratedStream stream, Random random, List<string> names)
    {
        byte[] bytes = stream.Bytes;
        int count = random.Next(1, 4);
        for (int i = 0; i < count; i++)
        {
            (string name, Func<GeneratedStream, byte[], Random, byte[]> apply) = Mutations[random.Next(Mutations.Length)];
            bytes = apply(stream, bytes, random);
            names.Add(name);
        }

        return bytes;
    }

    /// <summary>A deflate bomb as one payload: inflates to 1 MiB.</summary>
    public static byte[] Bomb(bool text) => s_bombs.Value[text ? 1 : 0];

    private static byte[] Deflate(byte[] message)
    {
        using var deflater = new Deflater(9, noContextTakeover: true, compressionLevel: 9);
        using var output = new PooledBufferWriter();
        deflater.Compress(message, output);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] FlipBits(GeneratedStream stream, byte[] bytes, Random random)
    {
        if (bytes.Length == 0)
        {
            return bytes;
        }

        byte[] copy = (byte[])bytes.Clone();
        int flips = random.Next(1, 9);
        for (int i = 0; i < flips; i++)
        {
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        }

        return copy;
    }

    private static byte[] InsertBytes(GeneratedStream stream, byte[] bytes, Random random) =>
        Splice(bytes, random.Next(bytes.Length + 1), 0, FrameStreamGenerator.Bytes(random, random.Next(1, 17)));

    private static byte[] DeleteBytes(GeneratedStream stream, byte[] bytes, Random random)
    {
        if (bytes.Length == 0)
        {
            return bytes;
        }

        int start = random.Next(bytes.Length);
        return Splice(bytes, start, random.Next(1, Math.Min(33, bytes.Length - start + 1)), []);
    }

    private static byte[] DuplicateBytes(GeneratedStream stream, byte[] bytes, Random random)
    {
        if (bytes.Length == 0)
        {
            return bytes;
        }

        int start = random.Next(bytes.Length);
        int length = random.Next(1, Math.Min(65, bytes.Length - start + 1));
        return Splice(bytes, start, 0, bytes.AsSpan(start, length).ToArray());
    }

    private static byte[] Truncate(GeneratedStream stream, byte[] bytes, Random random) => bytes[..random.Next(bytes.Length + 1)];

    /// <summary>RSV1, RSV2 or RSV3 on one frame (§5.2; RSV1 is legal only on a compressed message's first frame).</summary>
    private static byte[] SetRsv(GeneratedStream stream, byte[] bytes, Random random) =>
        OnHeader(stream, bytes, random, static (header, random) => header[0] |= (byte)(0x10 << random.Next(3)));

    /// <summary>Any of the 16 opcodes, reserved ones included (§5.2).</summary>
    private static byte[] SetOpcode(GeneratedStream stream, byte[] bytes, Random random) =>
        OnHeader(stream, bytes, random, static (header, random) => header[0] = (byte)((header[0] & 0xF0) | random.Next(16)));

    private static byte[] ToggleFin(GeneratedStream stream, byte[] bytes, Random random) =>
        OnHeader(stream, bytes, random, static (header, random) => header[0] ^= 0x80);

    /// <summary>§5.1: a masked server frame, with or without the four key bytes that should follow.</summary>
    private static byte[] SetMask(GeneratedStream stream, byte[] bytes, Random random)
    {
        if (!TryPickFrame(stream, bytes, random, out FrameLayout frame))
        {
            return bytes;
        }

        byte[] copy = random.Next(2) == 0
            ? Splice(bytes, frame.PayloadOffset, 0, FrameStreamGenerator.Bytes(random, 4))
            : (byte[])bytes.Clone();
        copy[frame.Offset + 1] |= 0x80;
        return copy;
    }

    /// <summary>
    /// A new length field for one frame: any claimed length in any of the three encodings (so non-minimal ones, and
    /// 64-bit lengths with the top bit set, too); the payload stays as it was.
    /// </summary>
    private static byte[] CorruptLength(GeneratedStream stream, byte[] bytes, Random random)
    {
        if (!TryPickFrame(stream, bytes, random, out FrameLayout frame))
        {
            return bytes;
        }

        ulong claimed = random.Next(3) == 0 ? (ulong)random.NextInt64() << random.Next(2) : s_claimedLengths[random.Next(s_claimedLengths.Length)];
        byte[] field;
        switch (random.Next(3))
        {
            case 0:
                field = [(byte)((bytes[frame.Offset + 1] & 0x80) | (int)(claimed % 126))];
                break;
            case 1:
                field = new byte[3];
                field[0] = (byte)((bytes[frame.Offset + 1] & 0x80) | 126);
                BinaryPrimitives.WriteUInt16BigEndian(field.AsSpan(1), (ushort)claimed);
                break;
            default:
                field = new byte[9];
                field[0] = (byte)((bytes[frame.Offset + 1] & 0x80) | 127);
                BinaryPrimitives.WriteUInt64BigEndian(field.AsSpan(1), claimed);
                break;
        }

        return Splice(bytes, frame.Offset + 1, frame.HeaderLength - 1, field);
    }

    /// <summary>§8.1: an invalid sequence written over part of an uncompressed text payload.</summary>
    private static byte[] CorruptUtf8(GeneratedStream stream, byte[] bytes, Random random)
    {
        FrameLayout[] text = [.. stream.Frames.Where(f => f.PlainText && f.PayloadLength > 0 && f.End <= bytes.Length)];
        if (text.Length == 0)
        {
            return FlipBits(stream, bytes, random);
        }

        FrameLayout frame = text[random.Next(text.Length)];
        byte[] bad = s_badUtf8[random.Next(s_badUtf8.Length)];
        int at = frame.PayloadOffset + random.Next(frame.PayloadLength);
        byte[] copy = (byte[])bytes.Clone();
        bad.AsSpan(0, Math.Min(bad.Length, frame.End - at)).CopyTo(copy.AsSpan(at));
        return copy;
    }

    /// <summary>§7.4: a close code a server may not send, or a one-byte close body (§5.5.1).</summary>
    private static byte[] CorruptCloseCode(GeneratedStream stream, byte[] bytes, Random random)
    {
        FrameLayout close = stream.Frames[^1];
        if (close.End > bytes.Length)
        {
            return bytes;
        }

        byte[] body = new byte[random.Next(4) == 0 ? 1 : 2 + random.Next(0, 4)];
        random.NextBytes(body);
        if (body.Length >= 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)s_badCloseCodes[random.Next(s_badCloseCodes.Length)]);
        }

        var writer = new ArrayBufferWriter<byte>();
        FrameStreamGenerator.WriteFrame(writer, null, fin: true, 0, Opcode.Close, body);
        return Splice(bytes, close.Offset, close.End - close.Offset, writer.WrittenSpan.ToArray());
    }

    /// <summary>RFC 7692: damage inside a compressed payload, which only the inflater can notice.</summary>
    private static byte[] CorruptDeflateData(GeneratedStream stream, byte[] bytes, Random random)
    {
        FrameLayout[] compressed = [.. stream.Frames.Where(f => f.Compressed && f.PayloadLength > 0 && f.End <= bytes.Length)];
        if (compressed.Length == 0)
        {
            return FlipBits(stream, bytes, random);
        }

        FrameLayout frame = compressed[random.Next(compressed.Length)];
        byte[] copy = (byte[])bytes.Clone();
        int damage = random.Next(1, 4);
        for (int i = 0; i < damage; i++)
        {
            copy[frame.PayloadOffset + random.Next(frame.PayloadLength)] = (byte)random.Next(256);
        }

        return copy;
    }

    /// <summary>A data frame whose header claims a huge length (up to 2^63 - 1), with or without RSV1, and a little payload.</summary>
    private static byte[] InsertHugeFrame(GeneratedStream stream, byte[] bytes, Random random)
    {
        long claimed = random.Next(3) switch
        {
            0 => long.MaxValue,
            1 => 1L << random.Next(17, 63),
            _ => random.NextInt64(65_536, long.MaxValue),
        };
        byte[] header = new byte[10];
        header[0] = (byte)(0x80 | (random.Next(2) == 0 ? FrameHeader.Rsv1 : 0) | random.Next(0, 3));
        header[1] = 127;
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(2), claimed);
        byte[] frame = [.. header, .. random.Next(2) == 0 ? Bomb(random.Next(2) == 0) : FrameStreamGenerator.Bytes(random, random.Next(0, 200))];
        return Splice(bytes, FrameBoundary(stream, bytes, random), 0, frame);
    }

    /// <summary>RFC 7692: a compressed message that inflates to 1 MiB, as one frame or several, at a frame boundary.</summary>
    private static byte[] InsertDeflateBomb(GeneratedStream stream, byte[] bytes, Random random)
    {
        bool text = random.Next(2) == 0;
        byte[] bomb = Bomb(text);
        var writer = new ArrayBufferWriter<byte>();
        int pieces = random.Next(1, 4);
        int start = 0;
        for (int i = 0; i < pieces; i++)
        {
            int end = i == pieces - 1 ? bomb.Length : random.Next(start, bomb.Length + 1);
            FrameStreamGenerator.WriteFrame(writer, null, fin: i == pieces - 1, i == 0 ? FrameHeader.Rsv1 : (byte)0,
                i > 0 ? Opcode.Continuation : text ? Opcode.Text : Opcode.Binary, bomb.AsSpan(start, end - start));
            start = end;
        }

        return Splice(bytes, FrameBoundary(stream, bytes, random), 0, writer.WrittenSpan.ToArray());
    }

    private static byte[] OnHeader(GeneratedStream stream, byte[] bytes, Random random, Action<byte[], Random> change)
    {
        if (!TryPickFrame(stream, bytes, random, out FrameLayout frame))
        {
            return bytes;
        }

        byte[] header = bytes[frame.Offset..(frame.Offset + 2)];
        change(header, random);
        return Splice(bytes, frame.Offset, 2, header);
    }

    /// <summary>A frame of the original stream whose header is still where it was (earlier mutations may have moved it).</summary>
    private static bool TryPickFrame(GeneratedStream stream, byte[] bytes, Random random, out FrameLayout frame)
    {
        frame = stream.Frames[random.Next(stream.Frames.Count)];
        return frame.PayloadOffset <= bytes.Length;
    }

    private static int FrameBoundary(GeneratedStream stream, byte[] bytes, Random random) =>
        Math.Min(bytes.Length, stream.Frames[random.Next(stream.Frames.Count)].Offset);

    private static byte[] Splice(byte[] bytes, int start, int remove, ReadOnlySpan<byte> insert)
    {
        start = Math.Min(start, bytes.Length);
        remove = Math.Min(remove, bytes.Length - start);
        return [.. bytes.AsSpan(0, start), .. insert, .. bytes.AsSpan(start + remove)];
    }
}
