using System.Text;
using System.Text.Unicode;
using Whatwg.WebSockets.Protocol.Tests.Support;
using Whatwg.WebSockets.Protocol.Text;

namespace Whatwg.WebSockets.Protocol.Tests.Text;

/// <summary>
/// RFC 6455 §8.1, Handling Errors in UTF-8-Encoded Data: incremental validation (RFC 3629 §4 grammar)
/// that fails at the first byte that proves the text invalid, however the bytes are chunked.
/// </summary>
public class Utf8ValidatorTests
{
    public static TheoryData<string> ValidTexts => new()
    {
        "",
        "00",
        "7f",
        "48 65 6c 6c 6f",
        "c2 80",
        "df bf",
        "e0 a0 80",
        "ed 9f bf",             // U+D7FF, last before the surrogates
        "ee 80 80",             // U+E000, first after the surrogates
        "ef bf bd",             // U+FFFD
        "ef bf bf",             // U+FFFF
        "f0 90 80 80",          // U+10000
        "f4 8f bf bf",          // U+10FFFF, the last code point
        "ce ba e1 bd b9 cf 83 ce bc ce b5", // "κόσμε" (Autobahn 6.2)
        "48 c3 a9 e2 82 ac f0 9f 98 80 21 e4 b8 ad",
    };

    /// <summary>Invalid UTF-8 and the index of the first byte that proves it (where a fail-fast validator must stop).</summary>
    public static TheoryData<string, int> InvalidTexts => new()
    {
        { "c0 80", 0 },                 // overlong NUL: C0 never starts a sequence
        { "c1 bf", 0 },                 // overlong
        { "e0 80 80", 1 },              // overlong 3-byte form
        { "e0 9f bf", 1 },              // overlong U+07FF
        { "f0 80 80 80", 1 },           // overlong 4-byte form
        { "f0 8f bf bf", 1 },           // overlong U+FFFF
        { "ed a0 80", 1 },              // U+D800, a surrogate
        { "ed bf bf", 1 },              // U+DFFF, a surrogate
        { "ed a0 80 ed b0 80", 1 },     // a surrogate pair encoded as two sequences (CESU-8)
        { "f4 90 80 80", 1 },           // U+110000, above U+10FFFF
        { "f5 80 80 80", 0 },
        { "f8 88 80 80 80", 0 },        // 5-byte form
        { "fe", 0 },
        { "ff", 0 },
        { "80", 0 },                    // lone continuation
        { "bf", 0 },
        { "41 80", 1 },
        { "e2 82 ac 80", 3 },           // one continuation too many
        { "c2 41", 1 },                 // lead byte not followed by a continuation
        { "e2 28 a1", 1 },
        { "f0 9f 98 41", 3 },
        { "ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64", 12 }, // Autobahn 6.3.1
        { "ce ba e1 bd b9 cf 83 ce bc ce b5 f4 90 80 80 65 64 69 74 65 64", 12 }, // Autobahn 6.4.1-style
        { "ce ba e1 bd b9 cf 83 ce bc ce b5 c0 80 65 64 69 74 65 64", 11 },
        { "ce ba e1 bd b9 cf 83 ce bc ce b5 80 65 64 69 74 65 64", 11 },
    };

    /// <summary>Valid so far but cut short: Append succeeds, IsComplete is false.</summary>
    public static TheoryData<string> TruncatedTexts => new()
    {
        "c2",
        "e2",
        "e2 82",
        "f0",
        "f0 9f",
        "f0 9f 98",
        "48 65 6c 6c 6f e2 82",
        "ce ba e1 bd",
    };

    private static bool AppendAll(ref Utf8Validator validator, IEnumerable<byte[]> chunks)
    {
        foreach (byte[] chunk in chunks)
        {
            if (!validator.Append(chunk))
            {
                return false;
            }
        }

        return true;
    }

    [Theory]
    [MemberData(nameof(ValidTexts))]
    public void Append_ValidTextSplitAtEveryOffset_AcceptsAndCompletes(string hex)
    {
        byte[] bytes = Hex.Bytes(hex);
        for (int split = 0; split <= bytes.Length; split++)
        {
            var validator = new Utf8Validator();

            Assert.True(AppendAll(ref validator, ReceiverHarness.SplitAt(bytes, split)), $"split at {split}");
            Assert.True(validator.IsComplete, $"split at {split}");
        }
    }

    [Theory]
    [MemberData(nameof(ValidTexts))]
    public void Append_ValidTextOneByteAtATime_AcceptsAndCompletesOnlyOnBoundaries(string hex)
    {
        byte[] bytes = Hex.Bytes(hex);
        var validator = new Utf8Validator();
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.True(validator.Append(bytes.AsSpan(i, 1)), $"byte {i}");
            bool boundary = i + 1 == bytes.Length || (bytes[i + 1] & 0xC0) != 0x80;
            Assert.Equal(boundary, validator.IsComplete);
        }

        Assert.True(validator.IsComplete);
    }

    [Theory]
    [MemberData(nameof(InvalidTexts))]
    public void Append_InvalidTextWhole_Rejects(string hex, int badIndex)
    {
        _ = badIndex;
        var validator = new Utf8Validator();

        Assert.False(validator.Append(Hex.Bytes(hex)));
        Assert.False(Utf8Validator.IsValid(Hex.Bytes(hex)));
    }

    [Theory]
    [MemberData(nameof(InvalidTexts))]
    public void Append_InvalidTextOneByteAtATime_FailsExactlyAtFirstBadByte(string hex, int badIndex)
    {
        byte[] bytes = Hex.Bytes(hex);
        Assert.Equal(badIndex, Utf8Reference.FirstBadIndex(bytes)); // the table agrees with the reference
        var validator = new Utf8Validator();

        for (int i = 0; i < badIndex; i++)
        {
            Assert.True(validator.Append(bytes.AsSpan(i, 1)), $"byte {i} of {hex}");
        }

        Assert.False(validator.Append(bytes.AsSpan(badIndex, 1)), $"byte {badIndex} of {hex}");
    }

    [Theory]
    [MemberData(nameof(InvalidTexts))]
    public void Append_InvalidTextSplitAtEveryOffset_FailsInChunkHoldingBadByte(string hex, int badIndex)
    {
        byte[] bytes = Hex.Bytes(hex);
        for (int split = 0; split <= bytes.Length; split++)
        {
            var validator = new Utf8Validator();
            bool first = validator.Append(bytes.AsSpan(0, split));
            if (badIndex < split)
            {
                Assert.False(first, $"split at {split}");
            }
            else
            {
                Assert.True(first, $"split at {split}");
                Assert.False(validator.Append(bytes.AsSpan(split)), $"split at {split}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TruncatedTexts))]
    public void Append_TruncatedSequenceAtEnd_AcceptsButIsNotComplete(string hex)
    {
        byte[] bytes = Hex.Bytes(hex);
        for (int split = 0; split <= bytes.Length; split++)
        {
            var validator = new Utf8Validator();

            Assert.True(AppendAll(ref validator, ReceiverHarness.SplitAt(bytes, split)));
            Assert.False(validator.IsComplete);
        }

        Assert.False(Utf8Validator.IsValid(bytes));
    }

    [Fact]
    public void Reset_AfterTruncatedSequence_StartsAfresh()
    {
        var validator = new Utf8Validator();
        Assert.True(validator.Append(Hex.Bytes("e2 82")));

        validator.Reset();

        Assert.True(validator.IsComplete);
        Assert.True(validator.Append(Hex.Bytes("41")));
        Assert.True(validator.IsComplete);
    }

    [Fact]
    public void Append_EmptyChunkInsideSequence_KeepsState()
    {
        var validator = new Utf8Validator();

        Assert.True(validator.Append(Hex.Bytes("f0 9f")));
        Assert.True(validator.Append([]));
        Assert.False(validator.IsComplete);
        Assert.True(validator.Append(Hex.Bytes("98 80")));
        Assert.True(validator.IsComplete);
    }

    [Fact]
    public void Append_RandomBytesRandomlyChunked_AgreesWithUtf8IsValid()
    {
        var random = new Random(8_1);
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            byte[] bytes = RandomText(random, iteration);
            bool expected = Utf8.IsValid(bytes);
            var validator = new Utf8Validator();

            bool actual = AppendAll(ref validator, ReceiverHarness.RandomChunks(bytes, random, 8)) && validator.IsComplete;

            Assert.True(expected == actual, $"{Hex.Of(bytes)}: expected {expected}");
        }
    }

    [Fact]
    public void Append_RandomBytesRandomlyChunked_FailsInChunkHoldingFirstBadByte()
    {
        var random = new Random(3629);
        for (int iteration = 0; iteration < 1500; iteration++)
        {
            byte[] bytes = RandomText(random, iteration);
            int badIndex = Utf8Reference.FirstBadIndex(bytes);
            var validator = new Utf8Validator();
            int offset = 0;
            foreach (byte[] chunk in ReceiverHarness.RandomChunks(bytes, random, 6))
            {
                bool holdsBadByte = badIndex >= offset && badIndex < offset + chunk.Length;
                bool accepted = validator.Append(chunk);
                Assert.True(accepted != holdsBadByte, $"{Hex.Of(bytes)}: chunk at {offset}, first bad byte at {badIndex}");
                if (!accepted)
                {
                    break;
                }

                offset += chunk.Length;
            }
        }
    }

    /// <summary>
    /// Mostly-valid text with occasional damage: random code points encoded as UTF-8, then with some
    /// probability a byte replaced, dropped or a raw byte inserted, so every kind of error shows up near boundaries.
    /// </summary>
    private static byte[] RandomText(Random random, int iteration)
    {
        if (iteration % 5 == 0)
        {
            byte[] raw = new byte[random.Next(0, 24)];
            random.NextBytes(raw);
            return raw;
        }

        var builder = new StringBuilder();
        int count = random.Next(0, 12);
        for (int i = 0; i < count; i++)
        {
            int codePoint = random.Next(4) switch
            {
                0 => random.Next(0, 0x80),
                1 => random.Next(0x80, 0x800),
                2 => random.Next(0x800, 0x10000),
                _ => random.Next(0x10000, 0x110000),
            };
            if (codePoint is >= 0xD800 and <= 0xDFFF)
            {
                codePoint = 0xFFFD;
            }

            builder.Append(char.ConvertFromUtf32(codePoint));
        }

        var bytes = new List<byte>(Encoding.UTF8.GetBytes(builder.ToString()));
        int damage = random.Next(3);
        for (int d = 0; d < damage && iteration % 3 != 0; d++)
        {
            int position = random.Next(0, bytes.Count + 1);
            switch (random.Next(3))
            {
                case 0 when position < bytes.Count:
                    bytes[position] = (byte)random.Next(0x80, 0x100);
                    break;
                case 1 when position < bytes.Count:
                    bytes.RemoveAt(position);
                    break;
                default:
                    bytes.Insert(position, (byte)random.Next(0x80, 0x100));
                    break;
            }
        }

        return [.. bytes];
    }
}
