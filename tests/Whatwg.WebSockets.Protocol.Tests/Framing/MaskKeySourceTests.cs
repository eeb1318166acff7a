using System.Buffers;
using Whatwg.WebSockets.Protocol.Framing;
using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Framing;

/// <summary>
/// RFC 6455 §5.3: "The masking key is a 32-bit value chosen at random by the client ... MUST pick a fresh
/// masking key from the set of allowed 32-bit values" for each frame.
/// </summary>
public class MaskKeySourceTests
{
    [Fact]
    public void NextKey_TenThousandKeys_HasAlmostNoDuplicates()
    {
        var source = new RandomMaskKeySource();
        var keys = new HashSet<uint>();
        const int Count = 10_000;

        for (int i = 0; i < Count; i++)
        {
            keys.Add(source.NextKey());
        }

        // Birthday bound: 10^4 keys in 2^32 values give about 0.012 expected collisions.
        Assert.True(keys.Count >= Count - 2, $"{Count - keys.Count} duplicate keys");
        Assert.True(keys.Count > 1);
    }

    [Fact]
    public void NextKey_AcrossRefillBlocks_KeepsChanging()
    {
        var source = new RandomMaskKeySource();
        uint[] keys = new uint[1024];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = source.NextKey();
        }

        // Each block of 256 keys comes from its own fill; blocks must differ.
        for (int block = 1; block < 4; block++)
        {
            Assert.False(keys.AsSpan(0, 256).SequenceEqual(keys.AsSpan(block * 256, 256)));
        }

        int bitsSet = 0;
        foreach (uint key in keys)
        {
            bitsSet += System.Numerics.BitOperations.PopCount(key);
        }

        // 32768 bits, about half set; 14000..18768 is more than 25 standard deviations wide.
        Assert.InRange(bitsSet, 14_000, 18_768);
    }

    [Fact]
    public void Engine_DefaultMaskSource_UsesFreshKeyPerFrame()
    {
        var engine = new ProtocolEngine(1024);
        const int Frames = 300;
        for (int i = 0; i < Frames; i++)
        {
            Assert.True(engine.TrySendBinary([(byte)i, 1, 2, 3]));
        }

        ArraySegment<byte> output = engine.TakeOutput(out _);
        ReadOnlySpan<byte> rest = output;
        var keys = new HashSet<uint>();
        for (int i = 0; i < Frames; i++)
        {
            Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(rest, out FrameHeader header, out int consumed, out _));
            Assert.True(header.Masked);
            byte[] payload = rest.Slice(consumed, (int)header.PayloadLength).ToArray();
            Masking.Apply(payload, header.MaskKey, 0);
            Assert.Equal(Hex.Of([(byte)i, 1, 2, 3]), Hex.Of(payload));
            keys.Add(header.MaskKey);
            rest = rest.Slice(consumed + (int)header.PayloadLength);
        }

        Assert.True(rest.IsEmpty);
        Assert.True(keys.Count >= Frames - 1, $"{Frames - keys.Count} repeated keys");
    }

    [Fact]
    public void Engine_PinnedMaskSource_TakesOneKeyPerFrameIncludingControlFrames()
    {
        var keys = new FixedMaskKeySource("01020304", "05060708");
        var engine = new ProtocolEngine(1024, keys);

        engine.TrySendText("a");
        engine.TrySendBinary([0x62]);
        engine.TrySendPing([]);
        engine.OnPingReceived([0x63]);
        engine.StartClosingHandshake(1000, default);

        Assert.Equal(5, keys.Taken);
        ArraySegment<byte> output = engine.TakeOutput(out _);
        Assert.Equal(
            Hex.Normalize("81 81 01020304 60" + "82 81 05060708 67" + "89 80 01020304" + "8a 81 05060708 66" + "88 82 01020304 02ea"),
            Hex.Of(output));
    }
}
