using BenchmarkDotNet.Attributes;
using Whatwg.WebSockets.Protocol.Framing;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// RFC 6455 §5.3 masking in place: the one-line reference (octet i XOR key octet i MOD 4) against
/// <see cref="Masking.Apply"/>, which XORs whole Vector512/256/128 registers and then 32-bit words.
/// </summary>
[MemoryDiagnoser]
public class MaskingBenchmarks
{
    private const uint MaskKey = 0x37FA213Du;

    private byte[] _data = [];

    [Params(16, 125, 1024, 65536, MicroData.MiB)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = MicroData.RandomBytes(Size);
        byte[] expected = (byte[])_data.Clone();
        ScalarReference(expected, MaskKey, 0);
        byte[] actual = (byte[])_data.Clone();
        Masking.Apply(actual, MaskKey, 0);
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            throw new InvalidOperationException("Masking.Apply disagrees with the reference.");
        }
    }

    [Benchmark(Baseline = true)]
    public int Scalar() => ScalarReference(_data, MaskKey, 0);

    [Benchmark]
    public int Apply() => Masking.Apply(_data, MaskKey, 0);

    /// <summary>§5.3 as written: transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4).</summary>
    internal static int ScalarReference(Span<byte> data, uint maskKey, int keyOffset)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] ^= (byte)(maskKey >> (((keyOffset + i) & 3) * 8));
        }

        return (keyOffset + data.Length) & 3;
    }
}
