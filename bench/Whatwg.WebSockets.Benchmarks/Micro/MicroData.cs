using System.Text;
using Whatwg.WebSockets.Protocol.Framing;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>What a data message carries: the opcode, and for text the kind of characters.</summary>
public enum PayloadKind
{
    Binary,
    Text,
}

/// <summary>Which characters a UTF-8 input holds.</summary>
public enum TextKind
{
    /// <summary>Only U+0000..U+007F: one byte each, the all-ASCII fast path.</summary>
    Ascii,

    /// <summary>A 1-, 2-, 3- and 4-byte character in turn ("aé€😀"), so every sequence length appears.</summary>
    Mixed,
}

/// <summary>Inputs for the microbenchmarks: payloads, text, and unmasked server frames as they arrive on the wire.</summary>
internal static class MicroData
{
    public const int MiB = 1 << 20;

    public static byte[] RandomBytes(int size, int seed = 6455)
    {
        byte[] data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Printable ASCII of exactly <paramref name="size"/> bytes (JSON-like text).</summary>
    public static byte[] AsciiBytes(int size)
    {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++)
        {
            data[i] = (byte)(' ' + (i * 7 % 95));
        }

        return data;
    }

    /// <summary>Valid UTF-8 of exactly <paramref name="size"/> bytes, of the given kind (padded with ASCII to the exact size).</summary>
    public static byte[] Utf8Bytes(TextKind kind, int size)
    {
        if (kind == TextKind.Ascii)
        {
            return AsciiBytes(size);
        }

        string[] cycle = ["a", "\u00E9", "\u20AC", "\U0001F600"];
        var text = new StringBuilder(size);
        int bytes = 0;
        for (int i = 0; ; i++)
        {
            string next = cycle[i % cycle.Length];
            int length = Encoding.UTF8.GetByteCount(next);
            if (bytes + length > size)
            {
                break;
            }

            text.Append(next);
            bytes += length;
        }

        text.Append('a', size - bytes);
        byte[] data = Encoding.UTF8.GetBytes(text.ToString());
        if (data.Length != size || !System.Text.Unicode.Utf8.IsValid(data))
        {
            throw new InvalidOperationException("The UTF-8 input is not what it should be.");
        }

        return data;
    }

    /// <summary>
    /// <paramref name="count"/> unfragmented, unmasked server frames (RFC 6455 §5.1: a server never masks)
    /// of <paramref name="kind"/>, each carrying <paramref name="payload"/>, back to back.
    /// </summary>
    public static byte[] ServerFrames(PayloadKind kind, ReadOnlySpan<byte> payload, int count)
    {
        Opcode opcode = kind == PayloadKind.Text ? Opcode.Text : Opcode.Binary;
        int frameSize = FrameHeader.SizeOf(payload.Length, masked: false) + payload.Length;
        byte[] wire = new byte[checked(frameSize * count)];
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            offset += FrameHeader.Write(wire.AsSpan(offset), fin: true, rsv: 0, opcode, payload.Length, masked: false, maskKey: 0);
            payload.CopyTo(wire.AsSpan(offset));
            offset += payload.Length;
        }

        return wire;
    }

    /// <summary>One message of <paramref name="payload"/> split into unmasked frames of <paramref name="frameSize"/> bytes (§5.4).</summary>
    public static byte[] FragmentedServerMessage(PayloadKind kind, ReadOnlySpan<byte> payload, int frameSize)
    {
        using var wire = new MemoryStream();
        Span<byte> header = stackalloc byte[FrameHeader.MaxSize];
        for (int offset = 0; offset < payload.Length; offset += frameSize)
        {
            int length = Math.Min(frameSize, payload.Length - offset);
            Opcode opcode = offset > 0 ? Opcode.Continuation : kind == PayloadKind.Text ? Opcode.Text : Opcode.Binary;
            bool fin = offset + length == payload.Length;
            int headerSize = FrameHeader.Write(header, fin, rsv: 0, opcode, length, masked: false, maskKey: 0);
            wire.Write(header.Slice(0, headerSize));
            wire.Write(payload.Slice(offset, length));
        }

        return wire.ToArray();
    }
}
