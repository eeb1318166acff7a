using System.Diagnostics;
using Whatwg.WebSockets.Tests.Failures;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>What a finished scenario leaves for the leak checks and the report: timings and a weak handle on the socket.</summary>
internal sealed record ScenarioFigures(TimeSpan StartToClose, TimeSpan? OpenToClose, WeakReference Socket);

/// <summary>
/// Runs one client socket through a scenario: constructs it under an <see cref="EventGate"/>, records every event,
/// lets the test drive it, waits (bounded) for the close event, runs the test's checks, disposes it, and returns
/// only a weak reference to it, so the caller can prove nothing (timer, read loop, write loop) still roots it.
/// </summary>
internal static class ScenarioRun
{
    /// <param name="url">Where to connect.</param>
    /// <param name="options">The socket's options.</param>
    /// <param name="drive">Runs once the listeners are attached (waits for open, sends, closes...); may be null.</param>
    /// <param name="check">Assertions on the finished socket's events, run before it is disposed.</param>
    /// <param name="closeWait">The longest the close event may take after <paramref name="drive"/> returns.</param>
    public static async Task<ScenarioFigures> RunAsync(
        Uri url, WebSocketOptions options, Func<FailureEventLog, Task>? drive, Action<FailureEventLog> check, TimeSpan closeWait)
    {
        long start = Stopwatch.GetTimestamp();
        long opened = 0;
        long closed = 0;
        WebSocket ws = EventGate.Hold(() => new WebSocket(url, null, options), out EventGate gate);
        ws.Opened += (_, _) => Volatile.Write(ref opened, Stopwatch.GetTimestamp());
        ws.Closed += (_, _) => Volatile.Write(ref closed, Stopwatch.GetTimestamp());
        var log = new FailureEventLog(ws);
        gate.Release();
        try
        {
            if (drive is not null)
            {
                await drive(log);
            }

            await log.WaitForCloseAsync(closeWait);
            check(log);
        }
        finally
        {
            await ws.DisposeAsync();
        }

        long openedAt = Volatile.Read(ref opened);
        long closedAt = Volatile.Read(ref closed);
        return new ScenarioFigures(
            Stopwatch.GetElapsedTime(start, closedAt),
            openedAt == 0 ? null : Stopwatch.GetElapsedTime(openedAt, closedAt),
            LeakProbe.Weak(ws));
    }

    /// <summary>
    /// Asserts a dead peer was detected no sooner than <paramref name="expected"/> (less 100 ms of timer
    /// granularity), counted from before the constructor, which cannot start late; and no later than
    /// <paramref name="expected"/> plus <paramref name="slack"/>, counted from the open event, so a slow connect
    /// does not count against it.
    /// </summary>
    public static void AssertDetectedInTime(ScenarioFigures figures, TimeSpan expected, TimeSpan slack)
    {
        Assert.True(figures.StartToClose >= expected - TimeSpan.FromMilliseconds(100), $"detected too early: {figures.StartToClose.TotalMilliseconds:0} ms after the constructor");
        Assert.True(figures.OpenToClose!.Value <= expected + slack, $"detected too late: {figures.OpenToClose.Value.TotalMilliseconds:0} ms after open");
    }

    /// <summary>
    /// Asserts the finished scenario left no client socket towards <paramref name="port"/> open and that its
    /// <see cref="WebSocket"/> became collectable; returns a line for the test output.
    /// </summary>
    public static async Task<string> AssertNoLeakAsync(ScenarioFigures figures, int port)
    {
        int open = await LeakProbe.WaitForNoClientSocketsToAsync(port);
        Assert.True(open == 0, $"{open} client socket(s) to port {port} still open {LeakProbe.SettleTime.TotalSeconds} s after the close event");
        bool collected = await LeakProbe.WaitUntilCollectedAsync(figures.Socket);
        Assert.True(collected, "the WebSocket is still reachable after close, dispose and full GCs: a timer or I/O loop still roots it");
        return $"client sockets to :{port} after close: {open}; socket collected: {collected}";
    }
}
