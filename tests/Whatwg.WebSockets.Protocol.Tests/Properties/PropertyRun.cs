using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Protocol.Tests.Properties;

/// <summary>
/// How long the property tests run. By default each property runs a fixed number of seeded cases from a fixed
/// base seed, so a CI run is short and the same every time. The environment changes that:
/// <list type="bullet">
/// <item><c>PROPERTY_ITERATIONS=N</c>: N cases per property instead of the CI count.</item>
/// <item><c>PROPERTY_SOAK_SECONDS=S</c>: each property runs for S seconds (from a random base seed unless one is given).</item>
/// <item><c>PROPERTY_SEED=K</c>: the first case's seed; case i uses K + i. A failure prints the seed to rerun it alone
/// (<c>PROPERTY_SEED=K PROPERTY_ITERATIONS=1</c>).</item>
/// <item><c>PROPERTY_REPORT=path</c>: each property appends one line of figures to this file (scripts/soak.sh reads it).</item>
/// </list>
/// </summary>
internal static class PropertySettings
{
    public static int? Iterations => ReadInt("PROPERTY_ITERATIONS");

    public static int? SoakSeconds => ReadInt("PROPERTY_SOAK_SECONDS");

    public static int? Seed => ReadInt("PROPERTY_SEED");

    public static string? ReportPath => Environment.GetEnvironmentVariable("PROPERTY_REPORT") is { Length: > 0 } path ? path : null;

    private static int? ReadInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= 0
            ? value
            : null;
}

/// <summary>Figures one property run collects: named counters and maxima, printed at the end.</summary>
internal sealed class PropertyStats
{
    private readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _maxima = new(StringComparer.Ordinal);

    public void Count(string name, long by = 1) => _counts[name] = _counts.GetValueOrDefault(name) + by;

    public void Max(string name, long value) => _maxima[name] = Math.Max(_maxima.GetValueOrDefault(name), value);

    public long Get(string name) => _counts.GetValueOrDefault(name);

    public IEnumerable<string> CountNames => _counts.Keys;

    public override string ToString() =>
        string.Join(" ", _counts.Select(static c => $"{c.Key}={c.Value}").Concat(_maxima.Select(static m => $"max_{m.Key}={m.Value}")));
}

/// <summary>
/// Runs one property: case after case, each from its own seed, on a thread of its own watched for progress, so
/// a case that never returns fails the test (naming its seed) instead of hanging the run.
/// </summary>
internal static class PropertyRun
{
    /// <summary>A case that takes longer than this is taken to be looping forever.</summary>
    private static readonly TimeSpan s_stuckAfter = TimeSpan.FromSeconds(60);

    private static readonly Lock s_reportLock = new();

    /// <param name="name">The property, for the report.</param>
    /// <param name="ciIterations">Cases in the default (CI) mode.</param>
    /// <param name="ciSeed">The base seed in the default mode.</param>
    /// <param name="output">Where the figures are written.</param>
    /// <param name="check">One case: throws when the property does not hold for this seed.</param>
    public static PropertyStats Run(string name, int ciIterations, int ciSeed, ITestOutputHelper output, Action<int, PropertyStats> check)
    {
        int? soakSeconds = PropertySettings.SoakSeconds;
        int iterations = PropertySettings.Iterations ?? (soakSeconds is null ? ciIterations : int.MaxValue);
        int baseSeed = PropertySettings.Seed ?? (soakSeconds is null ? ciSeed : Random.Shared.Next(0, int.MaxValue / 2));
        TimeSpan duration = soakSeconds is int s ? TimeSpan.FromSeconds(s) : TimeSpan.MaxValue;

        var stats = new PropertyStats();
        int current = baseSeed;
        long lastProgress = Stopwatch.GetTimestamp();
        ExceptionDispatchInfo? failure = null;
        var stopwatch = Stopwatch.StartNew();
        int done = 0;
        var thread = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < iterations && stopwatch.Elapsed < duration; i++)
                {
                    Volatile.Write(ref current, unchecked(baseSeed + i));
                    check(current, stats);
                    Volatile.Write(ref done, i + 1);
                    Volatile.Write(ref lastProgress, Stopwatch.GetTimestamp());
                }
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        while (!thread.Join(TimeSpan.FromSeconds(1)))
        {
            if (Stopwatch.GetElapsedTime(Volatile.Read(ref lastProgress)) > s_stuckAfter)
            {
                Report(name, stats, done, baseSeed, stopwatch.Elapsed, "stuck", output);
                Assert.Fail($"{name}: the case with seed {Volatile.Read(ref current)} has not returned after {s_stuckAfter.TotalSeconds} s "
                    + $"(rerun alone with PROPERTY_SEED={Volatile.Read(ref current)} PROPERTY_ITERATIONS=1)");
            }
        }

        if (failure is not null)
        {
            Report(name, stats, done, baseSeed, stopwatch.Elapsed, "failed", output);
            throw new PropertyFailedException(
                $"{name}: failed for seed {current} after {done} passing cases "
                + $"(rerun alone with PROPERTY_SEED={current} PROPERTY_ITERATIONS=1): {failure.SourceException.Message}",
                failure.SourceException);
        }

        Report(name, stats, done, baseSeed, stopwatch.Elapsed, "passed", output);
        Assert.True(done > 0, $"{name}: no case ran");
        return stats;
    }

    private static void Report(string name, PropertyStats stats, int done, int baseSeed, TimeSpan elapsed, string outcome, ITestOutputHelper output)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{name} {outcome} cases={done} base_seed={baseSeed} seconds={elapsed.TotalSeconds:F1} {stats}");
        output.WriteLine(line);
        if (PropertySettings.ReportPath is string path)
        {
            lock (s_reportLock)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }
}

/// <summary>A property that did not hold; the message names the seed that shows it.</summary>
internal sealed class PropertyFailedException(string message, Exception inner) : Exception(message, inner);
