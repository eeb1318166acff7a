using BenchmarkDotNet.Attributes;
using Whatwg.WebSockets.Protocol.Framing;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// <see cref="Masking.Apply"/> continuing a payload at key offset 1-3 (as when a frame's payload arrives
/// in pieces of odd length), for one size, against the scalar reference.
/// </summary>
[MemoryDiagnoser]
public class MaskingKeyOffsetBenchmarks
{
    private const uint MaskKey = 0x37FA213Du;
    private const int Size = 1024;

    private byte[] _data = [];

    [Params(0, 1, 2, 3)]
    public int KeyOffset { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = MicroData.RandomBytes(Size);
        byte[] expected = (byte[])_data.Clone();
        MaskingBenchmarks.ScalarReference(expected, MaskKey, KeyOffset);
        byte[] actual = (byte[])_data.Clone();
        Masking.Apply(actual, MaskKey, KeyOffset);
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            throw new InvalidOperationException("Masking.Apply disagrees with the reference.");
        }
    }

    [Benchmark(Baseline = true)]
    public int Scalar() => MaskingBenchmarks.ScalarReference(_data, MaskKey, KeyOffset);

    [Benchmark]
    public int Apply() => Masking.Apply(_data, MaskKey, KeyOffset);
}
