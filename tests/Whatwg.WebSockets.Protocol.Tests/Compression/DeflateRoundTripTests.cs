using System.Buffers;
using Whatwg.WebSockets.Protocol.Compression;

namespace Whatwg.WebSockets.Protocol.Tests.Compression;

/// <summary>
/// Messages survive <see cref="Deflater"/> then <see cref="Inflater"/> byte-exact for every window size and both
/// context modes, with the compressed payload cut at random points as frames and reads would cut it; and the
/// inflater holds servers to the window they agreed to (RFC 7692 §7.1.2).
/// </summary>
public class DeflateRoundTripTests
{
    private static readonly int[] s_sizes = [0, 1, 2, 15, 16, 255, 256, 257, 1000, 4095, 4096, 16 * 1024, 65535, 65536, 65537, 100_000, 300_000];

    /// <summary>Every deflate window 8-15 with every inflate window at least as large, with and without context takeover.</summary>
    public static TheoryData<int, int, bool> WindowCombinations
    {
        get
        {
            var data = new TheoryData<int, int, bool>();
            for (int deflateBits = 8; deflateBits <= 15; deflateBits++)
            {
                for (int inflateBits = deflateBits; inflateBits <= 15; inflateBits++)
                {
                    data.Add(deflateBits, inflateBits, false);
                    data.Add(deflateBits, inflateBits, true);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(WindowCombinations))]
    public void RoundTrip_MessageSequence_IsByteExact(int deflateBits, int inflateBits, bool noContextTakeover)
    {
        var random = new Random(deflateBits * 100 + inflateBits * 2 + (noContextTakeover ? 1 : 0));
        using var deflater = new Deflater(deflateBits, noContextTakeover);
        using var inflater = new Inflater(inflateBits, noContextTakeover, DeflateHarness.DefaultMaxMessageSize);
        int seed = 0;
        foreach (int size in s_sizes)
        {
            // Compressible and random messages alternate, and a repeat of the previous message follows, which
            // context takeover turns into references across the message boundary.
            byte[] text = DeflateHarness.Compressible(size, ++seed);
            byte[] noise = DeflateHarness.RandomBytes(size, ++seed);
            foreach (byte[] message in new[] { text, noise, text })
            {
                byte[] compressed = DeflateHarness.Compress(deflater, message);
                byte[] inflated = DeflateHarness.Inflate(inflater, DeflateHarness.SplitRandomly(compressed, random));

                Assert.True(message.AsSpan().SequenceEqual(inflated), $"{message.Length}-byte message differs after the round trip");
            }
        }
    }

    [Theory]
    [InlineData(9, false, true)]
    [InlineData(9, true, false)]
    [InlineData(12, false, false)]
    [InlineData(15, false, true)]
    [InlineData(15, true, false)]
    [InlineData(15, false, false)]
    public void RoundTrip_16MiB_IsByteExact(int windowBits, bool noContextTakeover, bool compressible)
    {
        const int Size = 16 * 1024 * 1024;
        byte[] message = compressible ? DeflateHarness.Compressible(Size, windowBits) : DeflateHarness.RandomBytes(Size, windowBits);
        using var deflater = new Deflater(windowBits, noContextTakeover, compressionLevel: 1);
        using var inflater = new Inflater(windowBits, noContextTakeover, Size);

        byte[] compressed = DeflateHarness.Compress(deflater, message);
        byte[] inflated = DeflateHarness.Inflate(inflater, DeflateHarness.SplitRandomly(compressed, new Random(windowBits), maxPieces: 200));

        Assert.Equal(message.Length, inflated.Length);
        Assert.True(message.AsSpan().SequenceEqual(inflated));
        if (compressible)
        {
            Assert.True(compressed.Length < Size * 3 / 4, $"{compressed.Length} bytes");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(9)]
    public void RoundTrip_EveryLevel_IsByteExact(int level)
    {
        using var deflater = new Deflater(15, noContextTakeover: false, level);
        using var inflater = new Inflater(15, noContextTakeover: false, DeflateHarness.DefaultMaxMessageSize);
        for (int i = 0; i < 5; i++)
        {
            byte[] message = DeflateHarness.Compressible(20_000, i);

            byte[] inflated = DeflateHarness.Inflate(inflater, DeflateHarness.Compress(deflater, message));

            Assert.True(message.AsSpan().SequenceEqual(inflated));
        }
    }

    [Fact]
    public void Compress_ContextTakeover_RepeatIsSmallerThanFirst()
    {
        byte[] message = DeflateHarness.Compressible(2000, 7);
        using var keeping = new Deflater(15, noContextTakeover: false);
        using var resetting = new Deflater(15, noContextTakeover: true);

        int first = DeflateHarness.Compress(keeping, message).Length;
        int repeatKept = DeflateHarness.Compress(keeping, message).Length;
        DeflateHarness.Compress(resetting, message);
        int repeatReset = DeflateHarness.Compress(resetting, message).Length;

        Assert.True(repeatKept < first / 10, $"{repeatKept} of {first}");
        Assert.Equal(first, repeatReset);
    }

    [Theory]
    [InlineData(15, 9, 1000)]
    [InlineData(15, 14, 20_000)]
    [InlineData(10, 8, 600)]
    [InlineData(12, 10, 2000)]
    public void Inflate_ReferenceIntoHistoryBeyondTheWindow_Fails(int deflateBits, int inflateBits, int distance)
    {
        // The inflater keeps only 2^bits bytes of history between messages, so a server that compresses with a
        // larger window than it agreed to is caught once it refers back into an earlier message. (Within one
        // message zlib resolves any distance it still has in its output, window or not.)
        byte[] block = DeflateHarness.RandomBytes(distance, distance);
        using var deflater = new Deflater(deflateBits, noContextTakeover: false);
        using var inflater = new Inflater(inflateBits, noContextTakeover: false, DeflateHarness.DefaultMaxMessageSize);
        DeflateHarness.Inflate(inflater, DeflateHarness.Compress(deflater, block));
        byte[] repeat = DeflateHarness.Compress(deflater, block);
        using var output = new PooledBufferWriter();

        OperationStatus status = inflater.Inflate(repeat, true, output, out ProtocolViolation violation);

        Assert.True(repeat.Length < distance / 10, "the repeat is a back-reference");
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(ProtocolViolation.DecompressionFailed, violation);
    }

    [Theory]
    [InlineData(15, 10, 1000)]
    [InlineData(9, 8, 200)]
    [InlineData(14, 15, 16_000)]
    public void Inflate_ReferenceIntoHistoryWithinTheWindow_Succeeds(int deflateBits, int inflateBits, int distance)
    {
        byte[] block = DeflateHarness.RandomBytes(distance, distance);
        using var deflater = new Deflater(deflateBits, noContextTakeover: false);
        using var inflater = new Inflater(inflateBits, noContextTakeover: false, DeflateHarness.DefaultMaxMessageSize);
        DeflateHarness.Inflate(inflater, DeflateHarness.Compress(deflater, block));
        byte[] repeat = DeflateHarness.Compress(deflater, block);

        byte[] inflated = DeflateHarness.Inflate(inflater, repeat);

        Assert.True(repeat.Length < distance / 10, "the repeat is a back-reference");
        Assert.Equal(block, inflated);
    }

    /// <summary>A block of random bytes followed by its own copy <paramref name="distance"/> bytes later.</summary>
    private static byte[] RepeatAtDistance(int distance)
    {
        byte[] block = DeflateHarness.RandomBytes(distance, distance);
        return [.. block, .. block];
    }

    [Theory]
    [InlineData(100)]
    [InlineData(200)]
    [InlineData(250)]
    [InlineData(256)]
    [InlineData(300)]
    [InlineData(511)]
    public void Compress_Window8_InflatesWithA256ByteWindow(int distance)
    {
        // zlib is asked for 9 bits when 8 are agreed; its matches still reach back 250 bytes at most.
        using var deflater = new Deflater(8, noContextTakeover: false);
        using var inflater = new Inflater(8, noContextTakeover: false, DeflateHarness.DefaultMaxMessageSize);
        byte[] message = RepeatAtDistance(distance);

        byte[] first = DeflateHarness.Inflate(inflater, DeflateHarness.Compress(deflater, message));
        byte[] second = DeflateHarness.Inflate(inflater, DeflateHarness.Compress(deflater, message));

        Assert.Equal(9, deflater.WindowBits);
        Assert.True(message.AsSpan().SequenceEqual(first));
        Assert.True(message.AsSpan().SequenceEqual(second));
    }

    [Fact]
    public void Compress_OutputThatGrowsInSmallSteps_IsTheSame()
    {
        // An output whose spans are small makes the deflater call zlib many times and carry the held tail bytes;
        // 12 is the least it accepts: four held bytes and more than six bytes of room, as zlib wants for a flush.
        byte[] message = DeflateHarness.RandomBytes(50_000, 3);
        using var reference = new Deflater(15, noContextTakeover: true);
        using var stepped = new Deflater(15, noContextTakeover: true);
        var small = new SmallSpanWriter(12);

        byte[] expected = DeflateHarness.Compress(reference, message);
        int written = stepped.Compress(message, small);

        Assert.Equal(expected.Length, written);
        Assert.Equal(expected, small.Written.ToArray());
    }

    [Fact]
    public void Compress_OutputOfferingTooLittleRoom_ThrowsInsteadOfLooping()
    {
        using var deflater = new Deflater(15, noContextTakeover: false);

        Assert.Throws<InvalidOperationException>(() => deflater.Compress(DeflateHarness.RandomBytes(1000, 1), new SmallSpanWriter(7)));
    }

    [Fact]
    public void Inflate_OutputThatGrowsInSmallSteps_IsTheSame()
    {
        byte[] message = DeflateHarness.Compressible(50_000, 3);
        using var deflater = new Deflater(15, noContextTakeover: false);
        using var inflater = new Inflater(15, noContextTakeover: false, DeflateHarness.DefaultMaxMessageSize);
        var small = new SmallSpanWriter(3);

        OperationStatus status = inflater.Inflate(DeflateHarness.Compress(deflater, message), true, small, out _);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(message, small.Written.ToArray());
    }

    [Fact]
    public void Inflate_MessageLength_CountsTheMessageInProgress()
    {
        byte[] message = DeflateHarness.Compressible(10_000, 5);
        using var deflater = new Deflater(15, noContextTakeover: false);
        using var inflater = new Inflater(15, noContextTakeover: false, DeflateHarness.DefaultMaxMessageSize);
        byte[] compressed = DeflateHarness.Compress(deflater, message);
        using var output = new PooledBufferWriter();

        inflater.Inflate(compressed.AsSpan(0, compressed.Length / 2), false, output, out _);
        long halfway = inflater.MessageLength;
        int writtenHalfway = output.WrittenCount;
        inflater.Inflate(compressed.AsSpan(compressed.Length / 2), true, output, out _);

        Assert.InRange(halfway, 1, message.Length - 1);
        Assert.Equal(writtenHalfway, halfway);
        Assert.Equal(0, inflater.MessageLength);
        Assert.Equal(message.Length, output.WrittenCount);
    }

    [Theory]
    [InlineData("ff ff ff ff")]          // BTYPE 11 is reserved
    [InlineData("01 05 00 00 00")]       // stored block whose NLEN is not the complement of LEN
    [InlineData("f2 00 11 00 00")]       // a back-reference with nothing in the window
    public void Inflate_CorruptData_FailsAndStaysFailed(string hex)
    {
        using var inflater = new Inflater(15, noContextTakeover: false, DeflateHarness.DefaultMaxMessageSize);
        using var output = new PooledBufferWriter();

        OperationStatus status = inflater.Inflate(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)), true, output, out ProtocolViolation violation);
        OperationStatus later = inflater.Inflate([0x00], true, output, out ProtocolViolation laterViolation);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(ProtocolViolation.DecompressionFailed, violation);
        Assert.Equal(OperationStatus.InvalidData, later);
        Assert.Equal(ProtocolViolation.DecompressionFailed, laterViolation);
    }

    /// <summary>An output that never offers more than a few bytes at a time.</summary>
    private sealed class SmallSpanWriter(int step) : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> _inner = new();

        public ReadOnlySpan<byte> Written => _inner.WrittenSpan;

        public void Advance(int count) => _inner.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(step)[..step];

        public Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(step)[..step];
    }
}
