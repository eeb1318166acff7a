using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Whatwg.WebSockets.Cli.Bench;

/// <summary>
/// The live progress bar, redrawn in place on stderr five times a second while the bench runs: how far through,
/// the phase, open connections, messages echoed, the current rate and errors. Only used on a terminal.
/// </summary>
internal sealed class ProgressLine : IAsyncDisposable
{
    private const int BarWidth = 20;
    private static readonly TimeSpan s_every = TimeSpan.FromMilliseconds(200);

    private readonly BenchRun _run;
    private readonly TextWriter _screen;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _drawing;

    public ProgressLine(BenchRun run, TextWriter screen)
    {
        _run = run;
        _screen = screen;
        _drawing = DrawAsync();
    }

    /// <summary>Stops drawing and clears the line.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _drawing.ConfigureAwait(false);
        await _screen.WriteAsync("\r\e[2K").ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task DrawAsync()
    {
        long lastCount = 0;
        long lastTime = Stopwatch.GetTimestamp();
        double rate = 0;
        using var timer = new PeriodicTimer(s_every);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                long count = _run.EchoedSoFar;
                long now = Stopwatch.GetTimestamp();
                double seconds = Stopwatch.GetElapsedTime(lastTime, now).TotalSeconds;
                rate = seconds > 0 ? (count - lastCount) / seconds : rate;
                (lastCount, lastTime) = (count, now);

                double done = _run.Progress;
                int filled = (int)Math.Round(done * BarWidth);
                var line = new StringBuilder("\r\e[2K[");
                line.Append('█', filled).Append('░', BarWidth - filled).Append("] ")
                    .Append(CultureInfo.InvariantCulture, $"{done * 100,3:0}%  {_run.Phase}  {_run.OpenConnections} open  {count} msgs  {rate:0}/s  ");
                long errors = _run.ErrorsSoFar;
                line.Append(errors > 0 ? "\e[31m" : string.Empty).Append(CultureInfo.InvariantCulture, $"{errors} errors").Append(errors > 0 ? "\e[0m" : string.Empty);
                await _screen.WriteAsync(line.ToString()).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Done.
        }
    }
}
