namespace Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

/// <summary>What <see cref="DeflateInspector.Inspect"/> found in one message.</summary>
/// <param name="Violation">Why the message breaks the agreed window or context rules; null when it keeps to them.</param>
/// <param name="Inconclusive">Why the message could not be followed to its end (zlib judges its validity); null when it could.</param>
/// <param name="MaxDistance">The longest back-reference in the message, in bytes.</param>
internal readonly record struct Inspection(string? Violation, string? Inconclusive, int MaxDistance);

/// <summary>
/// Walks the deflate blocks of each compressed message (RFC 1951) without producing the data, and checks every
/// back-reference against what the sender agreed to: no further back than 2^client_max_window_bits bytes, and,
/// with client_no_context_takeover, never into an earlier message.
/// </summary>
/// <remarks>
/// zlib alone cannot judge the window exactly: its inflate accepts a distance as long as the bytes are still in
/// its output buffer or window, so within one call a sender with a larger window than agreed slips through. This
/// walker counts the distance of every match instead. It is independent of zlib (only RFC 1951's tables), so it
/// also checks the fuzzing server's own output in <see cref="LibZ.SelfCheck"/>.
/// </remarks>
internal sealed class DeflateInspector
{
    private const int EndOfBlock = 256;

    private static readonly ushort[] s_lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
    private static readonly byte[] s_lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
    private static readonly ushort[] s_distanceBase =
        [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
    private static readonly byte[] s_distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
    private static readonly byte[] s_codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

    private static readonly Lazy<(Huffman LiteralLength, Huffman Distance)> s_fixed = new(() =>
    {
        byte[] literalLength = new byte[288];
        literalLength.AsSpan(0, 144).Fill(8);
        literalLength.AsSpan(144, 112).Fill(9);
        literalLength.AsSpan(256, 24).Fill(7);
        literalLength.AsSpan(280, 8).Fill(8);
        // 32 five-bit codes make the fixed distance code complete; 30 and 31 never occur in valid data.
        byte[] distance = new byte[32];
        distance.AsSpan().Fill(5);
        return (Huffman.Build(literalLength, out _)!, Huffman.Build(distance, out _)!);
    });

    private readonly int _windowBits;
    private readonly int _windowSize;
    private readonly bool _noContextTakeover;
    private long _history;
    private string? _lost;

    // The bit reader over the current message.
    private byte[] _data = [];
    private int _position;
    private ulong _buffer;
    private int _bufferBits;

    /// <param name="windowBits">The agreed window (2^windowBits bytes).</param>
    /// <param name="noContextTakeover">Every message must stand alone.</param>
    public DeflateInspector(int windowBits, bool noContextTakeover)
    {
        _windowBits = windowBits;
        _windowSize = 1 << windowBits;
        _noContextTakeover = noContextTakeover;
    }

    /// <summary>Inspects the payload of one compressed message (without the 00 00 FF FF the sender removed).</summary>
    public Inspection Inspect(ReadOnlySpan<byte> payload)
    {
        if (_lost is not null)
        {
            return new Inspection(null, _lost, 0);
        }

        if (payload.IsEmpty)
        {
            return new Inspection(null, null, 0);
        }

        _data = [.. payload, 0x00, 0x00, 0xFF, 0xFF];
        _position = 0;
        _buffer = 0;
        _bufferBits = 0;
        long produced = 0;
        int maxDistance = 0;
        bool streamEnded = false;
        string? violation = null;
        try
        {
            while (!AtEnd())
            {
                bool final = ReadBits(1) == 1;
                int type = ReadBits(2);
                switch (type)
                {
                    case 0:
                        produced += SkipStored();
                        break;
                    case 1:
                        (Huffman fixedLiteralLength, Huffman fixedDistance) = s_fixed.Value;
                        violation ??= WalkCodes(fixedLiteralLength, fixedDistance, ref produced, ref maxDistance);
                        break;
                    case 2:
                        (Huffman literalLength, Huffman distance) = ReadDynamicTables();
                        violation ??= WalkCodes(literalLength, distance, ref produced, ref maxDistance);
                        break;
                    default:
                        throw new InvalidDataException("a block of the reserved type 3");
                }

                if (final)
                {
                    streamEnded = true;
                    break;
                }
            }
        }
        catch (EndOfStreamException)
        {
            _lost = "a message ended inside a deflate block, so the stream could not be followed further";
            return new Inspection(violation, _lost, maxDistance);
        }
        catch (InvalidDataException ex)
        {
            _lost = "the deflate data is malformed (" + ex.Message + ")";
            return new Inspection(violation, _lost, maxDistance);
        }

        _history = _noContextTakeover || streamEnded ? 0 : Math.Min(_history + produced, 1 << 16);
        return new Inspection(violation, null, maxDistance);
    }

    /// <summary>True when only padding (fewer than eight bits) is left: the message ended on a block boundary.</summary>
    private bool AtEnd()
    {
        Refill();
        return _bufferBits < 8 && _position == _data.Length;
    }

    /// <summary>Walks the literal/length and distance codes of one block up to its end-of-block code; returns the first violation.</summary>
    private string? WalkCodes(Huffman literalLength, Huffman distance, ref long produced, ref int maxDistance)
    {
        string? violation = null;
        while (true)
        {
            int symbol = Decode(literalLength);
            if (symbol < 256)
            {
                produced++;
                continue;
            }

            if (symbol == EndOfBlock)
            {
                return violation;
            }

            symbol -= 257;
            if (symbol >= s_lengthBase.Length)
            {
                throw new InvalidDataException("an invalid length code");
            }

            int length = s_lengthBase[symbol] + ReadBits(s_lengthExtra[symbol]);
            int distanceSymbol = Decode(distance);
            if (distanceSymbol >= s_distanceBase.Length)
            {
                throw new InvalidDataException("an invalid distance code");
            }

            int back = s_distanceBase[distanceSymbol] + ReadBits(s_distanceExtra[distanceSymbol]);
            maxDistance = Math.Max(maxDistance, back);
            if (violation is null)
            {
                if (back > _windowSize)
                {
                    violation = $"a back-reference reaches {back} bytes back, beyond the {_windowSize}-byte window of the agreed {_windowBits} window bits";
                }
                else if (_noContextTakeover && back > produced)
                {
                    violation = $"a back-reference at byte {produced} of a message reaches {back} bytes back, into an earlier message, although no context takeover was agreed";
                }
                else if (back > produced + _history)
                {
                    violation = $"a back-reference reaches {back} bytes back, before the start of the compressed stream";
                }
            }

            produced += length;
        }
    }

    private long SkipStored()
    {
        // The rest of the current byte is padding; LEN and NLEN follow on a byte boundary.
        Consume(_bufferBits & 7);
        int length = ReadBits(16);
        int complement = ReadBits(16);
        if ((length ^ 0xFFFF) != complement)
        {
            throw new InvalidDataException("a stored block whose LEN and NLEN disagree");
        }

        int left = length;
        while (left > 0 && _bufferBits >= 8)
        {
            Consume(8);
            left--;
        }

        if (_data.Length - _position < left)
        {
            throw new EndOfStreamException();
        }

        _position += left;
        return length;
    }

    private (Huffman LiteralLength, Huffman Distance) ReadDynamicTables()
    {
        int literalCount = ReadBits(5) + 257;
        int distanceCount = ReadBits(5) + 1;
        int codeLengthCount = ReadBits(4) + 4;
        if (literalCount > 286 || distanceCount > 30)
        {
            throw new InvalidDataException("too many literal/length or distance codes");
        }

        byte[] codeLengthLengths = new byte[19];
        for (int i = 0; i < codeLengthCount; i++)
        {
            codeLengthLengths[s_codeLengthOrder[i]] = (byte)ReadBits(3);
        }

        Huffman codeLengths = Huffman.Build(codeLengthLengths, out string? error, requireComplete: true)
            ?? throw new InvalidDataException("bad code-length code: " + error);
        byte[] lengths = new byte[literalCount + distanceCount];
        int index = 0;
        while (index < lengths.Length)
        {
            int symbol = Decode(codeLengths);
            if (symbol < 16)
            {
                lengths[index++] = (byte)symbol;
                continue;
            }

            (byte value, int repeat) = symbol switch
            {
                16 when index > 0 => (lengths[index - 1], 3 + ReadBits(2)),
                16 => throw new InvalidDataException("a repeat with no previous length"),
                17 => ((byte)0, 3 + ReadBits(3)),
                _ => ((byte)0, 11 + ReadBits(7)),
            };
            if (index + repeat > lengths.Length)
            {
                throw new InvalidDataException("code lengths run past their count");
            }

            lengths.AsSpan(index, repeat).Fill(value);
            index += repeat;
        }

        if (lengths[EndOfBlock] == 0)
        {
            throw new InvalidDataException("no end-of-block code");
        }

        Huffman literalLength = Huffman.Build(lengths.AsSpan(0, literalCount), out error)
            ?? throw new InvalidDataException("bad literal/length code: " + error);
        Huffman distance = Huffman.Build(lengths.AsSpan(literalCount), out error)
            ?? throw new InvalidDataException("bad distance code: " + error);
        return (literalLength, distance);
    }

    private int Decode(Huffman code)
    {
        Refill();
        int entry = code.Table[(int)(_buffer & code.Mask)];
        int length = entry & 15;
        if (entry == 0)
        {
            if (_bufferBits < code.MaxBits && _position == _data.Length)
            {
                throw new EndOfStreamException();
            }

            throw new InvalidDataException("an unassigned Huffman code");
        }

        Consume(length);
        return entry >> 4;
    }

    private void Refill()
    {
        while (_bufferBits <= 56 && _position < _data.Length)
        {
            _buffer |= (ulong)_data[_position++] << _bufferBits;
            _bufferBits += 8;
        }
    }

    private int ReadBits(int count)
    {
        if (count == 0)
        {
            return 0;
        }

        Refill();
        int value = (int)(_buffer & ((1UL << count) - 1));
        Consume(count);
        return value;
    }

    private void Consume(int count)
    {
        if (count > _bufferBits)
        {
            throw new EndOfStreamException();
        }

        _buffer >>= count;
        _bufferBits -= count;
    }

    /// <summary>
    /// A canonical Huffman code as a lookup table indexed by the next <see cref="MaxBits"/> bits of input (first
    /// bit lowest, as deflate packs them); each entry is symbol &lt;&lt; 4 | code length, 0 where no code fits.
    /// </summary>
    private sealed class Huffman
    {
        private Huffman(ushort[] table, int maxBits)
        {
            Table = table;
            MaxBits = maxBits;
            Mask = (1UL << maxBits) - 1;
        }

        public ushort[] Table { get; }

        public int MaxBits { get; }

        public ulong Mask { get; }

        /// <summary>
        /// Builds the table, or returns null with <paramref name="error"/> for an over-subscribed code, or an
        /// incomplete one where deflate does not allow it (anything but a lone one-bit code, or an empty distance code).
        /// </summary>
        public static Huffman? Build(ReadOnlySpan<byte> lengths, out string? error, bool requireComplete = false)
        {
            Span<int> count = stackalloc int[16];
            int maxBits = 0;
            foreach (byte length in lengths)
            {
                if (length > 0)
                {
                    count[length]++;
                    maxBits = Math.Max(maxBits, length);
                }
            }

            int left = 1;
            for (int bits = 1; bits <= 15; bits++)
            {
                left = (left << 1) - count[bits];
                if (left < 0)
                {
                    error = "over-subscribed";
                    return null;
                }
            }

            if (left > 0 && (requireComplete || maxBits > 1))
            {
                error = "incomplete";
                return null;
            }

            Span<int> next = stackalloc int[16];
            for (int bits = 2; bits <= 15; bits++)
            {
                next[bits] = (next[bits - 1] + count[bits - 1]) << 1;
            }

            maxBits = Math.Max(maxBits, 1);
            ushort[] table = new ushort[1 << maxBits];
            for (int symbol = 0; symbol < lengths.Length; symbol++)
            {
                int length = lengths[symbol];
                if (length == 0)
                {
                    continue;
                }

                int code = next[length]++;
                int reversed = 0;
                for (int i = 0; i < length; i++)
                {
                    reversed = (reversed << 1) | ((code >> i) & 1);
                }

                for (int slot = reversed; slot < table.Length; slot += 1 << length)
                {
                    table[slot] = (ushort)((symbol << 4) | length);
                }
            }

            error = null;
            return new Huffman(table, maxBits);
        }
    }
}
