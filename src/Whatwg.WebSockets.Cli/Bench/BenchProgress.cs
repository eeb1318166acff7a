using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Whatwg.WebSockets.Cli.Bench;

/// <summary>
/// The live progress display on stderr while the bench runs, redrawn five times a second: a bar and how far
/// through, then the phase, open connections, messages echoed, the current rate and errors. It is a Spectre
/// progress display that clears itself when the run ends, so it is gone before the results are printed.
/// </summary>
internal static class BenchProgress
{
    private static readonly TimeSpan s_every = TimeSpan.FromMilliseconds(200);

    /// <summary>Runs <paramref name="run"/> to the end with the display on <paramref name="screen"/>.</summary>
    public static Task<BenchResult> RunAsync(BenchRun run, IAnsiConsole screen, CancellationToken cancellationToken)
    {
        var status = new StatusColumn(run);
        return screen.Progress()
            .AutoRefresh(false)
            .AutoClear(true)
            .ExcludeVerticalPadding(true)
            .Columns(new ProgressBarColumn { Width = 20 }, new PercentageColumn(), status)
            .StartAsync(async context =>
            {
                ProgressTask task = context.AddTask("bench", autoStart: true, maxValue: 1);
                Task<BenchResult> running = run.RunAsync(cancellationToken);
                while (!running.IsCompleted)
                {
                    task.Value = run.Progress;
                    status.Sample();
                    context.Refresh();
                    await Task.WhenAny(running, Task.Delay(s_every, CancellationToken.None)).ConfigureAwait(false);
                }

                return await running.ConfigureAwait(false);
            });
    }

    /// <summary>Phase, open connections, messages, the rate since the last sample and errors (red when any).</summary>
    private sealed class StatusColumn(BenchRun run) : ProgressColumn
    {
        private long _lastCount;
        private long _lastTime = Stopwatch.GetTimestamp();
        private double _rate;
        private Paragraph _text = new();

        protected override bool NoWrap => true;

        /// <summary>Takes the numbers for the next redraw.</summary>
        public void Sample()
        {
            long count = run.EchoedSoFar;
            long now = Stopwatch.GetTimestamp();
            double seconds = Stopwatch.GetElapsedTime(_lastTime, now).TotalSeconds;
            _rate = seconds > 0 ? (count - _lastCount) / seconds : _rate;
            (_lastCount, _lastTime) = (count, now);

            long errors = run.ErrorsSoFar;
            _text = new Paragraph()
                .Append(string.Create(CultureInfo.InvariantCulture, $"{run.Phase}  {run.OpenConnections} open  {count} msgs  {_rate:0}/s  "))
                .Append(string.Create(CultureInfo.InvariantCulture, $"{errors} errors"), errors > 0 ? new Style(Color.Red, decoration: Decoration.Bold) : Style.Plain);
        }

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) => _text;
    }
}
