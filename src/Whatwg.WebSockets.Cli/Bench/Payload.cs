using System.Globalization;

namespace Whatwg.WebSockets.Cli.Bench;

/// <summary>
/// The bench's messages. Each starts with its sequence number as 16 lowercase hex digits; the rest is filler made
/// from the sequence number and the position, so an echo can be checked byte for byte by making it again.
/// Text filler is letters; binary filler is scrambled bytes, so compression does not make it vanish.
/// </summary>
internal static class Payload
{
    /// <summary>The length of the sequence number at the start of each message, and so the smallest size.</summary>
    public const int HeaderLength = 16;

    /// <summary>Writes message <paramref name="sequence"/> as bytes (binary messages).</summary>
    public static void Fill(Span<byte> message, long sequence)
    {
        WriteHeader(message, sequence);
        for (int i = HeaderLength; i < message.Length; i++)
        {
            message[i] = (byte)((((uint)i * 2654435761u) + ((uint)sequence * 40503u)) >> 24);
        }
    }

    /// <summary>Writes message <paramref name="sequence"/> as characters (text messages, ASCII only).</summary>
    public static void Fill(Span<char> message, long sequence)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        WriteHeader(header, sequence);
        for (int i = 0; i < HeaderLength; i++)
        {
            message[i] = (char)header[i];
        }

        for (int i = HeaderLength; i < message.Length; i++)
        {
            message[i] = (char)('a' + (int)((sequence + i) % 26));
        }
    }

    /// <summary>The sequence number a message says it has, or -1 if its start is not one.</summary>
    public static long SequenceOf(ReadOnlySpan<char> message) =>
        message.Length >= HeaderLength && long.TryParse(message[..HeaderLength], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long sequence)
            ? sequence
            : -1;

    /// <summary>The sequence number a binary message says it has, or -1 if its start is not one.</summary>
    public static long SequenceOf(ReadOnlySpan<byte> message) =>
        message.Length >= HeaderLength && long.TryParse(message[..HeaderLength], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long sequence)
            ? sequence
            : -1;

    private static void WriteHeader(Span<byte> message, long sequence)
    {
        bool written = sequence.TryFormat(message[..HeaderLength], out int length, "x16", CultureInfo.InvariantCulture);
        System.Diagnostics.Debug.Assert(written && length == HeaderLength, "a long is 16 hex digits");
    }
}
