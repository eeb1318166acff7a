using System.Text.Unicode;
using BenchmarkDotNet.Attributes;
using Whatwg.WebSockets.Protocol.Text;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// RFC 6455 §8.1 incremental UTF-8 validation of a text message: <see cref="Utf8Validator.Append"/> over the
/// whole payload at once and cut into 1460-byte pieces (one TCP segment's payload, so sequences are split),
/// against the BCL's one-shot <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>.
/// </summary>
[MemoryDiagnoser]
public class Utf8Benchmarks
{
    private const int ChunkSize = 1460;

    private byte[] _text = [];

    [Params(TextKind.Ascii, TextKind.Mixed)]
    public TextKind Text { get; set; }

    [Params(125, 65536, MicroData.MiB)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = MicroData.Utf8Bytes(Text, Size);
        if (!IsValid() || !ValidatorWhole() || !ValidatorChunked())
        {
            throw new InvalidOperationException("Valid text was rejected.");
        }
    }

    [Benchmark(Baseline = true)]
    public bool IsValid() => Utf8.IsValid(_text);

    [Benchmark]
    public bool ValidatorWhole()
    {
        var validator = default(Utf8Validator);
        return validator.Append(_text) && validator.IsComplete;
    }

    [Benchmark]
    public bool ValidatorChunked()
    {
        var validator = default(Utf8Validator);
        ReadOnlySpan<byte> rest = _text;
        while (rest.Length > ChunkSize)
        {
            if (!validator.Append(rest.Slice(0, ChunkSize)))
            {
                return false;
            }

            rest = rest.Slice(ChunkSize);
        }

        return validator.Append(rest) && validator.IsComplete;
    }
}
