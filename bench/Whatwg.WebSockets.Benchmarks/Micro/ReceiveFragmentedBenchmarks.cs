using BenchmarkDotNet.Attributes;
using Whatwg.WebSockets.Protocol;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// One 1 MiB message in 16 frames of 64 KiB (RFC 6455 §5.4 fragmentation): every payload goes through the
/// reassembly buffer, and text is validated across frame boundaries.
/// </summary>
[MemoryDiagnoser]
public class ReceiveFragmentedBenchmarks
{
    private const int MessageSize = MicroData.MiB;
    private const int FrameSize = 64 * 1024;

    private byte[] _wire = [];
    private MessageReceiver _receiver = null!;

    [Params(PayloadKind.Binary, PayloadKind.Text)]
    public PayloadKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] payload = Kind == PayloadKind.Text ? MicroData.AsciiBytes(MessageSize) : MicroData.RandomBytes(MessageSize);
        _wire = MicroData.FragmentedServerMessage(Kind, payload, FrameSize);
        _receiver = new MessageReceiver(long.MaxValue);
        if (Whole() != 1 || Chunked16K() != 1)
        {
            throw new InvalidOperationException("The message did not come out.");
        }
    }

    [Benchmark(Baseline = true)]
    public int Whole() => ReceiveFeed.Feed(_receiver, _wire);

    [Benchmark]
    public int Chunked16K() => ReceiveFeed.FeedInReads(_receiver, _wire, ReceiveFeed.ReadSize);
}
