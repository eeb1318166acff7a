using System.Diagnostics;

namespace Whatwg.WebSockets.Benchmarks.EndToEnd;

/// <summary>One timed run: how many operations, how long, how much client CPU and allocation.</summary>
internal readonly record struct Measurement(long Operations, long Bytes, TimeSpan Elapsed, TimeSpan Cpu, long Allocated)
{
    public double PerSecond => Operations / Elapsed.TotalSeconds;

    public double MegabytesPerSecond => Bytes / Elapsed.TotalSeconds / (1024 * 1024);

    public double CpuNanosecondsPerOperation => Cpu.TotalMilliseconds * 1e6 / Math.Max(1, Operations);

    public double AllocatedPerOperation => (double)Allocated / Math.Max(1, Operations);
}

/// <summary>Starts and stops the clocks around a run: wall time, this process's CPU time, bytes allocated.</summary>
internal sealed class Meter
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _allocated = GC.GetTotalAllocatedBytes(precise: true);

    public Measurement Stop(long operations, long bytes) => new(
        operations,
        bytes,
        _clock.Elapsed,
        Process.GetCurrentProcess().TotalProcessorTime - _cpu,
        GC.GetTotalAllocatedBytes(precise: true) - _allocated);
}
