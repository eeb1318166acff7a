using System.Text;
using BenchmarkDotNet.Attributes;
using Whatwg.WebSockets.Protocol;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// Message to bytes in the write buffer: <see cref="ProtocolEngine.TrySendBinary"/> / <see cref="ProtocolEngine.TrySendText"/>
/// (fresh mask key, header, copy or UTF-8 encode, mask) and then <c>ProtocolEngine.TakeOutput</c>, handing every
/// segment it returns back through <see cref="ProtocolEngine.RecycleOutput"/> exactly as the connection's write loop
/// does. In steady state nothing should be allocated.
/// </summary>
[MemoryDiagnoser]
public class SendPathBenchmarks
{
    private const int Burst = 16;

    private ProtocolEngine _engine = null!;
    private byte[] _payload = [];
    private string _text = string.Empty;
    private readonly List<ArraySegment<byte>> _pending = new(4);

    [Params(16, 1024, 65536, MicroData.MiB)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = new ProtocolEngine(long.MaxValue);
        _payload = MicroData.RandomBytes(Size);
        _text = Encoding.ASCII.GetString(MicroData.AsciiBytes(Size));
    }

    [Benchmark(Baseline = true)]
    public int SendBinary()
    {
        _engine.TrySendBinary(_payload);
        return TakeOutput();
    }

    [Benchmark]
    public int SendText()
    {
        _engine.TrySendText(_text);
        return TakeOutput();
    }

    /// <summary>Several messages queued before the write loop takes them: one buffer, one write.</summary>
    [Benchmark(OperationsPerInvoke = Burst)]
    public int SendBinaryBurst()
    {
        for (int i = 0; i < Burst; i++)
        {
            _engine.TrySendBinary(_payload);
        }

        return TakeOutput();
    }

    private int TakeOutput()
    {
        // As the write loop: take every queued segment, "write" it, and hand each array back to the engine.
        _engine.TakeOutput(_pending, out long _);
        int written = 0;
        foreach (ArraySegment<byte> segment in _pending)
        {
            written += segment.Count;
            _engine.RecycleOutput(segment.Array!);
        }

        _pending.Clear();
        return written;
    }
}
