using System.Net.WebSockets;
using System.Text;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>Help claims the other test classes did not reach: exit codes for invalid UTF-8 and redirects, -x until the server closes, keep-alive settings.</summary>
public sealed class WscExitCodeTests
{
    [Fact]
    public async Task Invalid_utf8_in_a_text_message_is_a_protocol_error_with_exit_3()
    {
        await using var server = RawWebSocketServer.Start(async (stream, socket) =>
        {
            await stream.WriteAsync(RawWebSocketServer.Frame(0x81, [0x61, 0xff, 0xfe, 0x62]));
            await stream.FlushAsync();
            var sink = new byte[1024];
            while (await stream.ReadAsync(sink) > 0)
            {
            }
        });

        WscResult result = await WscProcess.RunAsync([server.Url], closeStdin: false);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("protocol error", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.StdoutBytes);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_the_error_names_its_location()
    {
        await using KestrelServer target = await KestrelServer.StartEchoAsync();
        await using KestrelServer server = await KestrelServer.StartAsync(context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = target.Url;
            return Task.CompletedTask;
        });

        WscResult result = await WscProcess.RunAsync([server.Url], ["not echoed"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("302", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(target.Url, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.StdoutBytes);
    }

    [Fact]
    public async Task Execute_keeps_printing_until_the_server_closes_however_quiet_it_is()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            await socket.ReceiveAsync(buffer, context.RequestAborted);
            await Task.Delay(TimeSpan.FromSeconds(2.5), context.RequestAborted); // longer than the default --linger of 1 s
            await socket.SendAsync("first, after a pause"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, default);
            await Task.Delay(TimeSpan.FromSeconds(2.5), context.RequestAborted);
            await socket.SendAsync("second, after another"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, default);
            await socket.CloseAsync((WebSocketCloseStatus)4000, "done", default);
        });

        WscResult result = await WscProcess.RunAsync([server.Url, "-x", "go"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["first, after a pause", "second, after another"], result.Lines);
        Assert.Contains("closed 4000", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ping_interval_0_sends_no_keep_alive_pings()
    {
        var firstFrame = new TaskCompletionSource<byte>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = RawWebSocketServer.Start(async (stream, socket) =>
        {
            // With keep-alive off, the idle client's first frame is the Close sent at -w, not a ping (0x89).
            var first = new byte[2];
            await stream.ReadExactlyAsync(first);
            firstFrame.TrySetResult(first[0]);
            await stream.WriteAsync(RawWebSocketServer.Frame(0x88, [0x03, 0xe8]));
            var sink = new byte[1024];
            while (await stream.ReadAsync(sink) > 0)
            {
            }
        });

        WscResult result = await WscProcess.RunAsync([server.Url, "--ping-interval", "0", "--ping-timeout", "0.5", "--show-ping", "-w", "3"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(0x88, await firstFrame.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("keep-alive pings are off", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("wsc: > ping", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keep_alive_defaults_to_a_ping_after_20_s_and_20_s_for_its_pong()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
        });

        WscResult result = await WscProcess.RunAsync([server.Url, "--show-ping"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("keep-alive: a ping goes out after 20 s without traffic; no pong within 20 s ends the connection", result.Stderr, StringComparison.Ordinal);
    }
}
