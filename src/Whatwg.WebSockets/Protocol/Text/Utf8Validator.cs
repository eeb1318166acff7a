using System.Text.Unicode;

namespace Whatwg.WebSockets.Protocol.Text;

/// <summary>
/// Incremental UTF-8 validation (RFC 3629 §4) that fails at the first byte that cannot begin or
/// continue a well-formed sequence, even when the sequence is split across frames or reads,
/// so a text message is rejected with 1007 as soon as its bytes prove it invalid (RFC 6455 §8.1).
/// </summary>
/// <remarks>
/// Whole sequences are checked in bulk by the vectorized <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>;
/// only a sequence cut by the end of a chunk goes through the byte-at-a-time state below.
/// </remarks>
internal struct Utf8Validator
{
    // Continuation bytes still expected for the sequence in progress, and the range the next one must fall in.
    private int _needed;
    private byte _lower;
    private byte _upper;

    /// <summary>True when no multi-byte sequence is left unfinished.</summary>
    public readonly bool IsComplete => _needed == 0;

    public void Reset() => _needed = 0;

    /// <summary>Feeds the next bytes; returns false as soon as the text seen so far cannot be valid UTF-8.</summary>
    public bool Append(ReadOnlySpan<byte> data)
    {
        // Finish the sequence a previous chunk left open.
        while (_needed > 0 && !data.IsEmpty)
        {
            if (!Step(data[0]))
            {
                return false;
            }

            data = data.Slice(1);
        }

        if (data.IsEmpty)
        {
            return true;
        }

        int tail = StartOfLastSequence(data);
        if (tail < 0)
        {
            return Utf8.IsValid(data);
        }

        if (!Utf8.IsValid(data.Slice(0, tail)))
        {
            return false;
        }

        foreach (byte b in data.Slice(tail))
        {
            if (!Step(b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Validates a complete text (e.g. a close reason) in one call.</summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => Utf8.IsValid(data);

    /// <summary>
    /// The index of a lead byte near the end whose sequence does not fit in <paramref name="data"/>,
    /// or -1 when the chunk ends on a sequence boundary (or is malformed in a way the bulk check will see).
    /// </summary>
    private static int StartOfLastSequence(ReadOnlySpan<byte> data)
    {
        int last = data.Length - 1;
        for (int i = last; i >= 0 && i >= data.Length - 4; i--)
        {
            byte b = data[i];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte: keep looking for its lead
            }

            int length = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            return i + length > data.Length ? i : -1;
        }

        return -1;
    }

    private bool Step(byte b)
    {
        if (_needed > 0)
        {
            if (b < _lower || b > _upper)
            {
                return false;
            }

            _needed--;
            _lower = 0x80;
            _upper = 0xBF;
            return true;
        }

        // RFC 3629 §4, UTF8-2 / UTF8-3 / UTF8-4: the second byte's range depends on the lead byte,
        // which excludes overlong forms, surrogates (ED A0..BF) and code points above U+10FFFF.
        (_needed, _lower, _upper) = b switch
        {
            < 0x80 => (0, (byte)0, (byte)0),
            >= 0xC2 and <= 0xDF => (1, (byte)0x80, (byte)0xBF),
            0xE0 => (2, (byte)0xA0, (byte)0xBF),
            0xED => (2, (byte)0x80, (byte)0x9F),
            >= 0xE1 and <= 0xEF => (2, (byte)0x80, (byte)0xBF),
            0xF0 => (3, (byte)0x90, (byte)0xBF),
            >= 0xF1 and <= 0xF3 => (3, (byte)0x80, (byte)0xBF),
            0xF4 => (3, (byte)0x80, (byte)0x8F),
            _ => (-1, (byte)0, (byte)0),
        };

        if (_needed < 0)
        {
            _needed = 0;
            return false;
        }

        return true;
    }
}
