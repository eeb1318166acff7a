using System.Buffers;
using BenchmarkDotNet.Attributes;
using Whatwg.WebSockets.Protocol;
using Whatwg.WebSockets.Protocol.Framing;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// RFC 6455 §5.2 frame headers: reading a server's (unmasked) header and writing a client's (masked) one,
/// for payload lengths at the edges of the 7-, 16- and 64-bit length encodings. One invocation handles
/// a batch of <see cref="Batch"/> headers laid end to end, so the numbers are per header.
/// </summary>
[MemoryDiagnoser]
public class FrameHeaderBenchmarks
{
    private const int Batch = 1024;

    private byte[] _wire = [];
    private byte[] _destination = [];

    [Params(0, 125, 126, 65535, 65536, MicroData.MiB)]
    public int PayloadLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int size = FrameHeader.SizeOf(PayloadLength, masked: false);
        _wire = new byte[size * Batch];
        for (int i = 0; i < Batch; i++)
        {
            FrameHeader.Write(_wire.AsSpan(i * size), fin: true, rsv: 0, Opcode.Binary, PayloadLength, masked: false, maskKey: 0);
        }

        _destination = new byte[FrameHeader.MaxSize * Batch];
        if (TryRead() != (long)PayloadLength * Batch)
        {
            throw new InvalidOperationException("The headers did not read back.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public long TryRead()
    {
        ReadOnlySpan<byte> rest = _wire;
        long total = 0;
        while (!rest.IsEmpty)
        {
            OperationStatus status = FrameHeader.TryRead(rest, out FrameHeader header, out int consumed, out ProtocolViolation _);
            if (status != OperationStatus.Done)
            {
                throw new InvalidOperationException(status.ToString());
            }

            total += header.PayloadLength;
            rest = rest.Slice(consumed);
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Write()
    {
        Span<byte> destination = _destination;
        int offset = 0;
        for (uint i = 0; i < Batch; i++)
        {
            offset += FrameHeader.Write(destination.Slice(offset), fin: true, rsv: 0, Opcode.Binary, PayloadLength, masked: true, maskKey: 0x9E3779B9u * i);
        }

        return offset;
    }
}
