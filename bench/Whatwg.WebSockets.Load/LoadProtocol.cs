using System.Buffers.Binary;
using System.Globalization;

namespace Whatwg.WebSockets.Load;

/// <summary>
/// The load run's messages, the same both ways: a binary message of
/// <c>[u32 connection][u64 sequence][u32 length]</c> (big-endian) followed by <c>length - 16</c> bytes generated
/// from (connection, sequence, direction), so the receiver can regenerate the whole message and compare.
/// A message cut short, merged with another, or carrying another message's bytes fails <see cref="TryRead"/>.
/// </summary>
internal static class LoadMessage
{
    public const int HeaderSize = 16;

    /// <summary>The length of message <paramref name="sequence"/> of a connection: between min and max, fixed by the inputs.</summary>
    public static int LengthFor(uint connection, long sequence, int minLength, int maxLength)
    {
        minLength = Math.Max(HeaderSize, minLength);
        maxLength = Math.Max(minLength, maxLength);
        uint spread = Seed(connection, sequence, fromServer: false) % (uint)(maxLength - minLength + 1);
        return minLength + (int)spread;
    }

    /// <summary>Writes the message into <paramref name="destination"/> (exactly <paramref name="length"/> bytes).</summary>
    public static void Write(Span<byte> destination, uint connection, long sequence, int length, bool fromServer)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, connection);
        BinaryPrimitives.WriteInt64BigEndian(destination[4..], sequence);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], length);
        Fill(destination[HeaderSize..length], Seed(connection, sequence, fromServer));
    }

    /// <summary>
    /// Reads the header and checks that the length and every payload byte are what the sender generated.
    /// False: the message is not one of ours, or not whole.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, bool fromServer, out uint connection, out long sequence)
    {
        connection = 0;
        sequence = -1;
        if (message.Length < HeaderSize)
        {
            return false;
        }

        connection = BinaryPrimitives.ReadUInt32BigEndian(message);
        sequence = BinaryPrimitives.ReadInt64BigEndian(message[4..]);
        if (BinaryPrimitives.ReadInt32BigEndian(message[12..]) != message.Length || sequence < 0)
        {
            return false;
        }

        uint state = Seed(connection, sequence, fromServer);
        ReadOnlySpan<byte> payload = message[HeaderSize..];
        for (int i = 0; i < payload.Length; i += 4)
        {
            state = Next(state);
            for (int j = 0; j < 4 && i + j < payload.Length; j++)
            {
                if (payload[i + j] != (byte)(state >> (8 * j)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static void Fill(Span<byte> payload, uint state)
    {
        for (int i = 0; i < payload.Length; i += 4)
        {
            state = Next(state);
            for (int j = 0; j < 4 && i + j < payload.Length; j++)
            {
                payload[i + j] = (byte)(state >> (8 * j));
            }
        }
    }

    private static uint Seed(uint connection, long sequence, bool fromServer)
    {
        uint seed = (connection * 0x9E3779B1u) ^ ((uint)sequence * 0x85EBCA77u) ^ ((uint)(sequence >> 32) * 0xC2B2AE3Du) ^ (fromServer ? 0x27D4EB2Fu : 0u);
        return seed == 0 ? 1u : seed;
    }

    // xorshift32
    private static uint Next(uint x)
    {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return x;
    }
}

/// <summary>
/// Classifies the sequence numbers of one direction of one connection as they arrive: in order, a gap (the
/// skipped numbers are missing until they turn up), late (filling a gap: reordered), or already seen (duplicated).
/// Not thread-safe: one receiver feeds it.
/// </summary>
internal sealed class SequenceChecker
{
    /// <summary>A jump further than this is counted as corrupt rather than as that many missing messages.</summary>
    private const long MaxGap = 1_000_000;

    private HashSet<long>? _missing;

    /// <summary>Messages seen, whatever their number.</summary>
    public long Received { get; private set; }

    /// <summary>The highest sequence number seen, plus one.</summary>
    public long Next { get; private set; }

    public long Duplicated { get; private set; }

    public long Reordered { get; private set; }

    /// <summary>Messages that were not whole or not ours (see <see cref="LoadMessage.TryRead"/>).</summary>
    public long Corrupt { get; private set; }

    /// <summary>Numbers below <see cref="Next"/> never seen.</summary>
    public long Missing => _missing?.Count ?? 0;

    public void Observe(long sequence)
    {
        Received++;
        if (sequence == Next)
        {
            Next++;
        }
        else if (sequence > Next)
        {
            if (sequence - Next > MaxGap)
            {
                Corrupt++;
                return;
            }

            _missing ??= [];
            for (long s = Next; s < sequence; s++)
            {
                _missing.Add(s);
            }

            Next = sequence + 1;
        }
        else if (_missing is not null && _missing.Remove(sequence))
        {
            Reordered++;
        }
        else
        {
            Duplicated++;
        }
    }

    public void ObserveCorrupt()
    {
        Received++;
        Corrupt++;
    }

    /// <summary>Messages lost when the sender says it sent <paramref name="sent"/>: the gaps, and any missing tail.</summary>
    public long Lost(long sent) => Missing + Math.Max(0, sent - Next);

    /// <summary>This checker's counts, plus how many messages its side sent, as <see cref="SequenceStats"/>.</summary>
    public SequenceStats ToStats(long sent) => new(Received, Next, Missing, Duplicated, Reordered, Corrupt, sent);
}

/// <summary>
/// What one side saw of the other's messages, and how many it sent, in a form short enough for a close reason
/// (<c>n=received h=next l=missing d=duplicated o=reordered c=corrupt s=sent</c>, under 123 bytes).
/// </summary>
internal readonly record struct SequenceStats(long Received, long Next, long Missing, long Duplicated, long Reordered, long Corrupt, long Sent)
{
    /// <summary>Messages lost when the other side sent <paramref name="sentByPeer"/>.</summary>
    public long Lost(long sentByPeer) => Missing + Math.Max(0, sentByPeer - Next);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture, $"n={Received} h={Next} l={Missing} d={Duplicated} o={Reordered} c={Corrupt} s={Sent}");

    public static bool TryParse(string text, out SequenceStats stats)
    {
        stats = default;
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !long.TryParse(part.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                return false;
            }

            values[part[..eq]] = value;
        }

        string[] keys = ["n", "h", "l", "d", "o", "c", "s"];
        if (!keys.All(values.ContainsKey))
        {
            return false;
        }

        stats = new SequenceStats(values["n"], values["h"], values["l"], values["d"], values["o"], values["c"], values["s"]);
        return true;
    }
}
