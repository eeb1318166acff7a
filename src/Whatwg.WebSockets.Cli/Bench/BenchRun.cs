using System.Diagnostics;

namespace Whatwg.WebSockets.Cli.Bench;

/// <summary>One kind of error and how many times it happened.</summary>
/// <param name="Kind">connect, closed, mismatch or missing.</param>
/// <param name="Message">What happened, in wsc's voice ("wsc: ...").</param>
/// <param name="Count">How many connections (connect, closed) or messages (mismatch, missing).</param>
/// <param name="ExitCode">The exit code it calls for.</param>
internal sealed record BenchError(string Kind, string Message, long Count, int ExitCode);

/// <summary>What a run measured.</summary>
internal sealed record BenchResult
{
    public required BenchSettings Settings { get; init; }

    /// <summary>How many connections opened.</summary>
    public required int Opened { get; init; }

    /// <summary>The measured time, from the end of the warm-up to the end of sending.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>The extensions the server accepted (on the first connection that opened).</summary>
    public required string Extensions { get; init; }

    /// <summary>Measured messages sent, over all connections.</summary>
    public required long Sent { get; init; }

    /// <summary>Measured messages echoed intact, per connection.</summary>
    public required IReadOnlyList<long> EchoedPerConnection { get; init; }

    /// <summary>Errors per connection (its failure, mismatched and missing echoes).</summary>
    public required IReadOnlyList<long> ErrorsPerConnection { get; init; }

    /// <summary>The latencies of all measured messages, in µs.</summary>
    public required LatencyHistogram Latency { get; init; }

    /// <summary>The errors, grouped by what happened.</summary>
    public required IReadOnlyList<BenchError> Errors { get; init; }

    /// <summary>Measured messages echoed intact.</summary>
    public long Echoed => EchoedPerConnection.Sum();

    /// <summary>All errors counted.</summary>
    public long ErrorCount => Errors.Sum(error => error.Count);

    /// <summary>Echoed messages per second of measured time.</summary>
    public double MessagesPerSecond => Elapsed > TimeSpan.Zero ? Echoed / Elapsed.TotalSeconds : 0;

    /// <summary>Payload echoed per second (one way), in MB (10^6 bytes).</summary>
    public double MegabytesPerSecond => MessagesPerSecond * Settings.Size / 1e6;

    /// <summary>
    /// The most serious error's exit code: could not connect (2) before protocol error (3) before abnormal close (4)
    /// before wrong or missing echoes (5); 0 when there was no error.
    /// </summary>
    public int ExitCode => Errors.Count == 0 ? ExitCodes.CleanClose : Errors.Min(error => error.ExitCode);
}

/// <summary>Runs a bench: open every connection, send for the warm-up and the duration, wait for the last echoes, close.</summary>
internal sealed class BenchRun : IDisposable
{
    /// <summary>The longest the last echoes may take after sending stops (no longer than the duration, nor under 1 s).</summary>
    private static readonly TimeSpan s_drainLimit = TimeSpan.FromSeconds(5);

    private readonly BenchSettings _settings;
    private readonly List<BenchConnection> _connections = [];
    private long _measureFrom;
    private long _end;

    private BenchRun(BenchSettings settings) => _settings = settings;

    /// <summary>Where the run is: connecting, warming up, measuring, finishing.</summary>
    public string Phase { get; private set; } = "connecting";

    /// <summary>Connections that are open now.</summary>
    public int OpenConnections => _connections.Count(connection => connection.Opened && !connection.IsClosed);

    /// <summary>Messages echoed so far, warm-up included.</summary>
    public long EchoedSoFar => _connections.Sum(connection => connection.EchoedTotal);

    /// <summary>Errors so far (failed connections and mismatched echoes).</summary>
    public long ErrorsSoFar => _connections.Sum(connection => connection.Mismatched + (connection.Failure is null ? 0 : 1));

    /// <summary>How far through the warm-up and measured time the run is, 0 to 1.</summary>
    public double Progress
    {
        get
        {
            long end = Interlocked.Read(ref _end);
            if (end == 0)
            {
                return 0;
            }

            long total = end - Interlocked.Read(ref _measureFrom) + (long)(_settings.Warmup.TotalSeconds * Stopwatch.Frequency);
            long left = end - Stopwatch.GetTimestamp();
            return total <= 0 ? 1 : Math.Clamp(1 - ((double)left / total), 0, 1);
        }
    }

    /// <summary>Makes the sockets (which starts connecting).</summary>
    /// <exception cref="SyntaxErrorException">The URL or a subprotocol is not valid.</exception>
    /// <exception cref="ArgumentException">A header is not valid.</exception>
    public static BenchRun Create(BenchSettings settings)
    {
        var run = new BenchRun(settings);
        try
        {
            for (int i = 0; i < settings.Connections; i++)
            {
                run._connections.Add(new BenchConnection(settings, i, new WebSocket(settings.Url, settings.Subprotocols, settings.Options)));
            }
        }
        catch
        {
            run.Dispose();
            throw;
        }

        return run;
    }

    /// <summary>Runs to the end; Ctrl+C ends the sending early and the run is reported as far as it got.</summary>
    public async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        bool[] opened;
        using (cancellationToken.Register(AbandonConnecting))
        {
            opened = await Task.WhenAll(_connections.Select(connection => connection.OpenAsync())).ConfigureAwait(false);
        }

        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + (long)(_settings.Warmup.TotalSeconds * Stopwatch.Frequency);
        long end = measureFrom + (long)(_settings.Duration.TotalSeconds * Stopwatch.Frequency);
        var clock = new BenchClock(start, measureFrom, end);
        Interlocked.Exchange(ref _measureFrom, measureFrom);
        Interlocked.Exchange(ref _end, end);
        Phase = _settings.Warmup > TimeSpan.Zero ? "warm-up" : "measuring";
        using Timer phase = new(_ => Phase = "measuring", null, _settings.Warmup, Timeout.InfiniteTimeSpan);

        var running = new List<Task>();
        for (int i = 0; i < _connections.Count; i++)
        {
            if (opened[i])
            {
                running.Add(_connections[i].SendAsync(clock, cancellationToken));
            }
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        long stopped = Stopwatch.GetTimestamp();
        Phase = "finishing";
        TimeSpan drain = DrainLimit(_settings);
        await Task.WhenAll(_connections.Where(connection => connection.Opened).Select(connection => connection.DrainAsync(drain))).ConfigureAwait(false);
        await Task.WhenAll(_connections.Select(connection => connection.CloseAsync())).ConfigureAwait(false);

        var latency = new LatencyHistogram();
        foreach (BenchConnection connection in _connections)
        {
            latency.Add(connection.Latency);
        }

        return new BenchResult
        {
            Settings = _settings,
            Opened = opened.Count(open => open),
            Elapsed = stopped > measureFrom ? Stopwatch.GetElapsedTime(measureFrom, Math.Min(stopped, end)) : TimeSpan.Zero,
            Sent = _connections.Sum(connection => connection.Sent),
            EchoedPerConnection = [.. _connections.Select(connection => connection.Echoed)],
            ErrorsPerConnection = [.. _connections.Select(connection => connection.Mismatched + connection.Missing + (connection.Failure is null ? 0 : 1))],
            Latency = latency,
            Errors = Group(_connections, drain),
            Extensions = _connections.FirstOrDefault(connection => connection.Opened)?.Socket.Extensions ?? string.Empty,
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (BenchConnection connection in _connections)
        {
            connection.Dispose();
        }
    }

    /// <summary>Ctrl+C while connecting: give up the attempts that are still under way.</summary>
    private void AbandonConnecting()
    {
        foreach (BenchConnection connection in _connections)
        {
            if (connection.Socket.ReadyState == WebSocketReadyState.Connecting)
            {
                connection.Socket.Close();
            }
        }
    }

    /// <summary>How long the last echoes may take after sending stops.</summary>
    internal static TimeSpan DrainLimit(BenchSettings settings) =>
        TimeSpan.FromSeconds(Math.Clamp(settings.Duration.TotalSeconds, 1, s_drainLimit.TotalSeconds));

    private static List<BenchError> Group(IEnumerable<BenchConnection> connections, TimeSpan drain)
    {
        var errors = new List<BenchError>();
        foreach (IGrouping<CloseReport, BenchConnection> failed in connections.Where(c => c.Failure is not null).GroupBy(c => c.Failure!.Value))
        {
            string kind = failed.Any(c => c.Opened) ? "closed" : "connect";
            errors.Add(new BenchError(kind, failed.Key.Message, failed.Count(), failed.Key.ExitCode));
        }

        long mismatched = connections.Sum(c => c.Mismatched);
        if (mismatched > 0)
        {
            string first = connections.Select(c => c.FirstMismatch).First(text => text is not null)!;
            errors.Add(new BenchError("mismatch", $"wsc: {mismatched} {(mismatched == 1 ? "echo was" : "echoes were")} not what was sent; first: {first}", mismatched, ExitCodes.BenchErrors));
        }

        long missing = connections.Sum(c => c.Missing);
        if (missing > 0)
        {
            errors.Add(new BenchError("missing", $"wsc: {missing} {(missing == 1 ? "message" : "messages")} had no echo {drain.TotalSeconds:0.###} s after sending stopped", missing, ExitCodes.BenchErrors));
        }

        return [.. errors.OrderBy(error => error.ExitCode)];
    }
}
