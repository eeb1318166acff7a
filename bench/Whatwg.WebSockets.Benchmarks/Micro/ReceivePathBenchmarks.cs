using BenchmarkDotNet.Attributes;
using Whatwg.WebSockets.Protocol;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// Bytes to message objects: <see cref="Frames"/> unmasked server frames, back to back in one array, fed to
/// <see cref="MessageReceiver.Read"/> until every message is out, once as a single span and once in 16 KiB reads
/// (the connection's receive buffer), which cuts payloads and headers and exercises the reassembly copy.
/// Numbers are per message; the allocation is the message itself (a byte[] or a string).
/// </summary>
[MemoryDiagnoser]
public class ReceivePathBenchmarks
{
    private const int Frames = 32;

    private byte[] _wire = [];
    private MessageReceiver _receiver = null!;

    [Params(16, 1024, 65536, MicroData.MiB)]
    public int Size { get; set; }

    [Params(PayloadKind.Binary, PayloadKind.Text)]
    public PayloadKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] payload = Kind == PayloadKind.Text ? MicroData.AsciiBytes(Size) : MicroData.RandomBytes(Size);
        _wire = MicroData.ServerFrames(Kind, payload, Frames);
        _receiver = new MessageReceiver(long.MaxValue);
        if (Whole() != Frames || Chunked16K() != Frames)
        {
            throw new InvalidOperationException("Not every message came out.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Frames)]
    public int Whole() => ReceiveFeed.Feed(_receiver, _wire);

    [Benchmark(OperationsPerInvoke = Frames)]
    public int Chunked16K() => ReceiveFeed.FeedInReads(_receiver, _wire, ReceiveFeed.ReadSize);
}
