using System.Buffers;
using System.Numerics;
using Whatwg.WebSockets.Protocol.Compression;

namespace Whatwg.WebSockets.Protocol.Tests.Compression;

/// <summary>Tests that measure the process's memory run alone, so other tests' allocations do not blur them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "Memory measurements";
}

/// <summary>
/// RFC 6455 §10.4 and §7.4.1 (1009) after decompression: the maximum message size holds for the inflated message,
/// and a small compressed message that would inflate to 1 GiB is refused at the limit, having inflated no more
/// than the limit and with memory bounded by what the limit allows.
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public class InflateLimitTests
{
    private const long SixtyFourMiB = 64L * 1024 * 1024;
    private const long OneGiB = 1024L * 1024 * 1024;

    /// <summary>
    /// A payload that inflates to 1 GiB of zeros: 1 MiB of zeros compressed at level 9, repeated 1024 times,
    /// each copy sync-flushed (so the copies join on byte boundaries). About 1 MiB.
    /// </summary>
    private static readonly Lazy<byte[]> s_bomb = new(() =>
    {
        using var deflater = new Deflater(15, noContextTakeover: true, compressionLevel: 9);
        byte[] piece = [.. DeflateHarness.Compress(deflater, new byte[1024 * 1024]), .. DeflateHarness.Tail];
        var bomb = new byte[piece.Length * 1024];
        for (int i = 0; i < 1024; i++)
        {
            piece.CopyTo(bomb, i * piece.Length);
        }

        return bomb[..^4]; // the receiver adds the last tail back
    });

    [Fact]
    public void Bomb_IsWhatItClaims()
    {
        // Inflated without a useful limit (but counted, not kept), it really is 1 GiB.
        using var inflater = new Inflater(15, noContextTakeover: true, maxMessageSize: 2 * OneGiB);
        var counter = new CountingWriter();

        OperationStatus status = inflater.Inflate(s_bomb.Value, true, counter, out _);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(OneGiB, counter.Count);
        Assert.True(s_bomb.Value.Length < 2 * 1024 * 1024, $"{s_bomb.Value.Length} bytes");
    }

    [Fact]
    public void Inflate_Bomb_StopsAtTheLimitWithoutAllocating()
    {
        using var inflater = new Inflater(15, noContextTakeover: true, SixtyFourMiB);
        var counter = new CountingWriter();
        byte[] bomb = s_bomb.Value;
        long before = GC.GetAllocatedBytesForCurrentThread();

        (OperationStatus status, ProtocolViolation violation, int fedBytes) = FeedInFrames(inflater, bomb, counter);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(ProtocolViolation.MessageTooBig, violation);
        Assert.InRange(counter.Count, SixtyFourMiB - (64 * 1024), SixtyFourMiB);
        Assert.True(fedBytes < bomb.Length / 8, $"fed {fedBytes} of {bomb.Length} bytes before stopping");
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated while inflating");
    }

    [Fact]
    public void Inflate_BombIntoGrowingBuffer_MemoryBoundedByTheLimit()
    {
        const long Limit = 4L * 1024 * 1024;
        using var inflater = new Inflater(15, noContextTakeover: true, Limit);
        using var output = new PooledBufferWriter();
        byte[] bomb = s_bomb.Value;
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        (OperationStatus status, ProtocolViolation violation, _) = FeedInFrames(inflater, bomb, output);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        // Live memory only (garbage collected first): the output array and the smaller ones it grew out of,
        // which went back to the shared pool.
        long retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(output);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(ProtocolViolation.MessageTooBig, violation);
        Assert.True(output.WrittenCount <= Limit, $"{output.WrittenCount} bytes kept");
        Assert.True(output.Capacity <= Limit, $"the output grew to {output.Capacity} bytes for a {Limit}-byte limit");
        Assert.True(retained < 3 * Limit, $"{retained} bytes retained for a {Limit}-byte limit");
        Assert.True(allocated < 6 * Limit, $"{allocated} bytes allocated for a {Limit}-byte limit");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(65536)]
    [InlineData(1_000_000)]
    public void Inflate_MessageOfExactlyTheLimit_IsAccepted(int size)
    {
        byte[] message = DeflateHarness.Compressible(size, size);
        using var deflater = new Deflater(15, noContextTakeover: false);
        using var inflater = new Inflater(15, noContextTakeover: false, size);
        using var output = new PooledBufferWriter();

        OperationStatus status = inflater.Inflate(DeflateHarness.Compress(deflater, message), true, output, out ProtocolViolation violation);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(ProtocolViolation.None, violation);
        Assert.Equal(message, output.WrittenSpan.ToArray());

        // The check for a byte beyond the limit does not make the output grow past the size the message needs.
        Assert.True(output.Capacity <= Math.Max(256, (int)BitOperations.RoundUpToPowerOf2((uint)size)), $"{output.Capacity} bytes held");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(65536)]
    [InlineData(1_000_000)]
    public void Inflate_MessageOneByteOverTheLimit_IsRefused(int limit)
    {
        byte[] message = DeflateHarness.Compressible(limit + 1, limit);
        using var deflater = new Deflater(15, noContextTakeover: false);
        using var inflater = new Inflater(15, noContextTakeover: false, limit);
        using var output = new PooledBufferWriter();

        OperationStatus status = inflater.Inflate(DeflateHarness.Compress(deflater, message), true, output, out ProtocolViolation violation);
        OperationStatus later = inflater.Inflate([0x00], true, output, out ProtocolViolation laterViolation);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(ProtocolViolation.MessageTooBig, violation);
        Assert.True(output.WrittenCount <= limit);
        Assert.Equal(OperationStatus.InvalidData, later);
        Assert.Equal(ProtocolViolation.MessageTooBig, laterViolation);
    }

    [Fact]
    public void Inflate_LimitIsPerMessage()
    {
        // Many messages under the limit add up to far more than it; each is judged alone.
        using var deflater = new Deflater(15, noContextTakeover: false);
        using var inflater = new Inflater(15, noContextTakeover: false, 10_000);
        for (int i = 0; i < 50; i++)
        {
            byte[] message = DeflateHarness.Compressible(10_000, i);

            Assert.Equal(message, DeflateHarness.Inflate(inflater, DeflateHarness.Compress(deflater, message)));
        }
    }

    /// <summary>Feeds <paramref name="payload"/> in 16 KiB frames until the inflater stops; returns how it ended and what it was fed.</summary>
    private static (OperationStatus Status, ProtocolViolation Violation, int Fed) FeedInFrames(Inflater inflater, byte[] payload, IBufferWriter<byte> output)
    {
        const int Frame = 16 * 1024;
        int fed = 0;
        while (true)
        {
            int length = Math.Min(Frame, payload.Length - fed);
            bool final = fed + length == payload.Length;
            OperationStatus status = inflater.Inflate(payload.AsSpan(fed, length), final, output, out ProtocolViolation violation);
            fed += length;
            if (status != OperationStatus.NeedMoreData)
            {
                return (status, violation, fed);
            }
        }
    }

    /// <summary>Counts what is written into one reused buffer: an output that costs no memory.</summary>
    private sealed class CountingWriter : IBufferWriter<byte>
    {
        private readonly byte[] _buffer = new byte[64 * 1024];

        public long Count { get; private set; }

        public void Advance(int count) => Count += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => _buffer;

        public Span<byte> GetSpan(int sizeHint = 0) => _buffer;
    }
}
