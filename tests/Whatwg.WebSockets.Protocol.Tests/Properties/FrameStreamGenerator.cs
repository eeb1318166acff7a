using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Whatwg.WebSockets.Protocol.Compression;
using Whatwg.WebSockets.Protocol.Framing;

namespace Whatwg.WebSockets.Protocol.Tests.Properties;

/// <summary>Where one frame lies in a generated stream, for mutations that aim at a field.</summary>
/// <param name="Offset">The first header byte.</param>
/// <param name="HeaderLength">2, 4 or 10 bytes (never masked: the server does not mask, RFC 6455 §5.1).</param>
/// <param name="PayloadLength">The payload that follows the header.</param>
/// <param name="Opcode">The frame's opcode.</param>
/// <param name="Compressed">Part of a message sent with permessage-deflate.</param>
/// <param name="PlainText">Part of an uncompressed text message: the payload is UTF-8 on the wire.</param>
internal readonly record struct FrameLayout(int Offset, int HeaderLength, int PayloadLength, Opcode Opcode, bool Compressed, bool PlainText)
{
    public int PayloadOffset => Offset + HeaderLength;

    public int End => PayloadOffset + PayloadLength;
}

/// <summary>A valid server-to-client byte stream and the events it must produce, ending with the Close event.</summary>
internal sealed class GeneratedStream
{
    public required byte[] Bytes { get; init; }

    public required List<ReceiveEvent> Expected { get; init; }

    public required List<FrameLayout> Frames { get; init; }

    /// <summary>permessage-deflate as negotiated, or null when the stream was made without it.</summary>
    public required DeflateParameters? Deflate { get; init; }

    /// <summary>The largest message, which the receiver's limit has to allow.</summary>
    public required int LargestMessage { get; init; }

    public override string ToString() =>
        $"{Bytes.Length} bytes, {Frames.Count} frames, deflate {(Deflate is null ? "off" : $"{Deflate.WindowBits} bits{(Deflate.NoContextTakeover ? " no context takeover" : string.Empty)}")}: "
        + string.Join("|", Expected);
}

/// <summary>How big a generated stream is.</summary>
internal enum StreamShape
{
    /// <summary>A few short messages and control frames, at most a few hundred bytes: small enough to split everywhere.</summary>
    Small,

    /// <summary>Messages up to 70 KB, with the length-encoding edges (125/126, 65535/65536) likely.</summary>
    Large,
}

/// <summary>
/// Makes valid server-to-client frame streams from a seed (RFC 6455 §5, RFC 7692 §6): text messages with 1- to
/// 4-byte UTF-8 sequences and binary messages, some fragmented at random (§5.4, empty fragments included) with
/// Ping and Pong frames between fragments and between messages, every length encoding (§5.2), optionally
/// compressed with permessage-deflate (RSV1 on the first frame only), and a Close frame last (§5.5.1), sometimes
/// followed by bytes the receiver must ignore. The same seed gives the same stream.
/// </summary>
internal static class FrameStreamGenerator
{
    /// <summary>Payload lengths at the edges of the three length encodings (§5.2) and of the receiver's buffers.</summary>
    private static readonly int[] s_edgeLengths = [0, 1, 124, 125, 126, 127, 4095, 4096, 16383, 16384, 16385, 65535, 65536, 65537];

    private static readonly int[] s_closeCodes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999];

    public static GeneratedStream Generate(int seed, StreamShape shape, bool? deflate = null)
    {
        var random = new Random(seed);
        DeflateParameters? parameters = (deflate ?? random.Next(3) != 0)
            ? new DeflateParameters(random.Next(8, 16), random.Next(2) == 0)
            : null;
        using Deflater? deflater = parameters is null ? null : new Deflater(parameters.WindowBits, parameters.NoContextTakeover);
        var writer = new ArrayBufferWriter<byte>();
        var expected = new List<ReceiveEvent>();
        var frames = new List<FrameLayout>();
        int largest = 0;

        int messages = shape == StreamShape.Small ? random.Next(0, 6) : random.Next(1, 6);
        for (int m = 0; m < messages; m++)
        {
            MaybeControl(random, shape, writer, frames, expected);
            bool text = random.Next(2) == 0;

            // A large stream starts with one plain frame of an edge length, taken in turn by seed, so that a
            // run of consecutive seeds has every length encoding at its edges whatever else it draws.
            bool edge = shape == StreamShape.Large && m == 0;
            int length = edge ? s_edgeLengths[(seed & int.MaxValue) % s_edgeLengths.Length] : MessageLength(random, shape);
            byte[] message = text ? Utf8Text(random, length) : Bytes(random, length);
            largest = Math.Max(largest, length);
            bool compressed = !edge && deflater is not null && random.Next(3) != 0;
            byte[] payload = compressed ? Compress(deflater!, message, random) : message;

            // §5.4: the message as one frame or as fragments; RFC 7692 §6.1: RSV1 on the first frame only.
            int[] pieces = !edge && random.Next(3) == 0 ? Cuts(random, payload.Length, shape) : [payload.Length];
            int start = 0;
            for (int f = 0; f < pieces.Length; f++)
            {
                if (f > 0)
                {
                    MaybeControl(random, shape, writer, frames, expected);
                }

                Opcode opcode = f > 0 ? Opcode.Continuation : text ? Opcode.Text : Opcode.Binary;
                byte rsv = f == 0 && compressed ? FrameHeader.Rsv1 : (byte)0;
                WriteFrame(writer, frames, fin: f == pieces.Length - 1, rsv, opcode, payload.AsSpan(start, pieces[f]), compressed, plainText: text && !compressed);
                start += pieces[f];
            }

            expected.Add(text
                ? new ReceiveEvent(ReceivedKind.Text, Encoding.UTF8.GetString(message))
                : new ReceiveEvent(ReceivedKind.Binary, Convert.ToHexStringLower(message)));
        }

        MaybeControl(random, shape, writer, frames, expected);
        WriteClose(random, writer, frames, expected);
        if (random.Next(4) == 0)
        {
            // §5.5.1: nothing may follow the Close frame; whatever does is not looked at.
            writer.Write(Bytes(random, random.Next(1, 40)));
        }

        return new GeneratedStream
        {
            Bytes = writer.WrittenSpan.ToArray(),
            Expected = expected,
            Frames = frames,
            Deflate = parameters,
            LargestMessage = largest,
        };
    }

    /// <summary>Valid UTF-8 of exactly <paramref name="length"/> bytes, mixing 1-, 2-, 3- and 4-byte sequences.</summary>
    public static byte[] Utf8Text(Random random, int length)
    {
        var bytes = new byte[length];
        int written = 0;
        while (written < length)
        {
            int size = Math.Min(length - written, random.Next(3) == 0 ? 1 : random.Next(1, 5));
            int value = size switch
            {
                1 => random.Next(0, 0x80),
                2 => random.Next(0x80, 0x800),
                3 => random.Next(2) == 0 ? random.Next(0x800, 0xD800) : random.Next(0xE000, 0x10000),
                _ => random.Next(0x10000, 0x110000),
            };
            written += new Rune(value).EncodeToUtf8(bytes.AsSpan(written));
        }

        return bytes;
    }

    public static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    public static void WriteFrame(IBufferWriter<byte> writer, List<FrameLayout>? frames, bool fin, byte rsv, Opcode opcode, ReadOnlySpan<byte> payload, bool compressed = false, bool plainText = false)
    {
        int headerLength = FrameHeader.SizeOf(payload.Length, masked: false);
        Span<byte> span = writer.GetSpan(headerLength + payload.Length);
        FrameHeader.Write(span, fin, rsv, opcode, payload.Length, masked: false, maskKey: 0);
        payload.CopyTo(span.Slice(headerLength));
        int offset = writer is ArrayBufferWriter<byte> array ? array.WrittenCount : 0;
        writer.Advance(headerLength + payload.Length);
        frames?.Add(new FrameLayout(offset, headerLength, payload.Length, opcode, compressed, plainText));
    }

    private static int MessageLength(Random random, StreamShape shape)
    {
        if (shape == StreamShape.Small)
        {
            return random.Next(4) == 0 ? 0 : random.Next(1, 40);
        }

        return random.Next(3) switch
        {
            0 => s_edgeLengths[random.Next(s_edgeLengths.Length)],
            1 => random.Next(0, 300),
            _ => random.Next(0, 70_000),
        };
    }

    /// <summary>Fragment sizes adding up to <paramref name="length"/>, empty fragments allowed.</summary>
    private static int[] Cuts(Random random, int length, StreamShape shape)
    {
        int count = random.Next(2, shape == StreamShape.Small ? 5 : 9);
        var cuts = new int[count + 1];
        for (int i = 1; i < count; i++)
        {
            cuts[i] = random.Next(0, length + 1);
        }

        cuts[count] = length;
        Array.Sort(cuts);
        var pieces = new int[count];
        for (int i = 0; i < count; i++)
        {
            pieces[i] = cuts[i + 1] - cuts[i];
        }

        return pieces;
    }

    /// <summary>
    /// RFC 7692 §7.2.1: the message deflated and sync-flushed, without the final 00 00 FF FF. An empty message is
    /// sometimes sent as an empty payload, which means the same.
    /// </summary>
    private static byte[] Compress(Deflater deflater, byte[] message, Random random)
    {
        if (message.Length == 0 && random.Next(2) == 0)
        {
            return [];
        }

        using var output = new PooledBufferWriter();
        deflater.Compress(message, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Sometimes a Ping or Pong (§5.5.2, §5.5.3) with 0 to 125 bytes of application data.</summary>
    private static void MaybeControl(Random random, StreamShape shape, IBufferWriter<byte> writer, List<FrameLayout> frames, List<ReceiveEvent> expected)
    {
        while (random.Next(3) == 0)
        {
            Opcode opcode = random.Next(2) == 0 ? Opcode.Ping : Opcode.Pong;
            int length = random.Next(4) == 0 ? 125 : random.Next(0, shape == StreamShape.Small ? 6 : 126);
            byte[] payload = Bytes(random, length);
            WriteFrame(writer, frames, fin: true, 0, opcode, payload);
            expected.Add(new ReceiveEvent(opcode == Opcode.Ping ? ReceivedKind.Ping : ReceivedKind.Pong, Convert.ToHexStringLower(payload)));
        }
    }

    /// <summary>§5.5.1: an empty body (status 1005 to the application), or a code a peer may send and a UTF-8 reason.</summary>
    private static void WriteClose(Random random, IBufferWriter<byte> writer, List<FrameLayout> frames, List<ReceiveEvent> expected)
    {
        if (random.Next(4) == 0)
        {
            WriteFrame(writer, frames, fin: true, 0, Opcode.Close, []);
            expected.Add(new ReceiveEvent(ReceivedKind.Close, string.Empty, CloseCodes.NoStatusReceived));
            return;
        }

        int code = random.Next(3) == 0 ? random.Next(3000, 5000) : s_closeCodes[random.Next(s_closeCodes.Length)];
        byte[] reason = Utf8Text(random, random.Next(2) == 0 ? 0 : random.Next(1, 124));
        byte[] body = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)code);
        reason.CopyTo(body, 2);
        WriteFrame(writer, frames, fin: true, 0, Opcode.Close, body);
        expected.Add(new ReceiveEvent(ReceivedKind.Close, Encoding.UTF8.GetString(reason), code));
    }
}
