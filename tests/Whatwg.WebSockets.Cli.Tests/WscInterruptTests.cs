using System.Globalization;
using System.Text.Json;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>
/// Ctrl+C (SIGINT) ends every mode gracefully, as the help says: connect mode closes with 1000 and exits 0,
/// <c>wsc serve</c> stops and exits 0, <c>wsc bench</c> stops sending and reports what it measured.
/// </summary>
public sealed class WscInterruptTests
{
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Ctrl_c_or_sigterm_in_connect_mode_closes_with_1000_and_exits_0(string signal)
    {
        var closeSeen = new TaskCompletionSource<(int? Code, string? Reason)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            while (true)
            {
                System.Net.WebSockets.WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    closeSeen.TrySetResult(((int?)result.CloseStatus, result.CloseStatusDescription));
                    await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, string.Empty, default);
                    return;
                }
            }
        });

        WscResult result = await WscProcess.RunAndInterruptAsync([server.Url], ready: "wsc: connected to", then: TimeSpan.FromMilliseconds(300), signal: signal);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("closed 1000", result.Stderr, StringComparison.Ordinal);
        (int? code, _) = await closeSeen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1000, code);
    }

    [Fact]
    public async Task A_second_ctrl_c_quits_at_once_while_the_close_waits_for_a_silent_server()
    {
        // The server never answers our Close: the first Ctrl+C would wait --close-timeout (30 s) for it.
        await using var server = RawWebSocketServer.Start(async (stream, socket) =>
        {
            var sink = new byte[1024];
            while (await stream.ReadAsync(sink) > 0)
            {
                // Read and ignore everything, the close frame included.
            }
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();

        WscResult result = await WscProcess.RunAndInterruptAsync(
            [server.Url, "--close-timeout", "30"], ready: "wsc: connected to", then: TimeSpan.FromMilliseconds(300), again: TimeSpan.FromMilliseconds(500));

        Assert.True(result.ExitCode == 128 + 2, $"killed by SIGINT expected (exit 130): {result}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Ctrl_c_stops_serve_and_exits_0()
    {
        WscResult result = await WscProcess.RunAndInterruptAsync(["serve"], ready: "server listening", then: TimeSpan.FromMilliseconds(300));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("ws://127.0.0.1:", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_ends_bench_early_with_a_report_of_what_it_measured()
    {
        WscResult result = await WscProcess.RunAndInterruptAsync(
            ["bench", "-c", "2", "-d", "120", "--warmup", "0", "--json"], ready: "wsc: bench:", then: TimeSpan.FromSeconds(1.5));

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        JsonElement root = document.RootElement;
        long messages = root.GetProperty("messages").GetInt64();
        double elapsed = root.GetProperty("elapsedSeconds").GetDouble();
        Assert.True(messages > 0, result.Stdout);
        Assert.True(elapsed < 60, $"the run should have stopped at Ctrl+C, not after {elapsed.ToString(CultureInfo.InvariantCulture)} s");
        Assert.Equal(0, root.GetProperty("errors").GetInt64());
        Assert.Equal(messages, root.GetProperty("histogram").EnumerateArray().Sum(b => b.GetProperty("count").GetInt64()));
    }
}
