using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>The pipe-mode rules of the help, each through the real process: end of input, --linger, -w, http:// URLs.</summary>
public sealed class WscPipeModeTests
{
    /// <summary>Echoes every message after <paramref name="delay"/> and answers the close.</summary>
    private static Task<KestrelServer> StartSlowEchoAsync(TimeSpan delay) => KestrelServer.StartAsync(async context =>
    {
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
                return;
            }

            await Task.Delay(delay, context.RequestAborted);
            await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, default);
        }
    });

    [Fact]
    public async Task At_end_of_input_a_reply_slower_than_a_second_still_arrives_within_linger()
    {
        await using KestrelServer server = await StartSlowEchoAsync(TimeSpan.FromSeconds(2));

        WscResult result = await WscProcess.RunAsync([server.Url, "--linger", "8"], ["slow reply"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["slow reply"], result.Lines);
        Assert.Contains("closed 1000", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task At_end_of_input_wsc_closes_as_soon_as_every_message_has_had_its_reply()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        var clock = Stopwatch.StartNew();

        WscResult result = await WscProcess.RunAsync([server.Url, "--linger", "60"], ["one", "two", "three"], timeout: TimeSpan.FromSeconds(90));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["one", "two", "three"], result.Lines);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}: it waited out --linger 60 although every reply had come\n{result}");
    }

    [Fact]
    public async Task Linger_0_closes_at_end_of_input_without_waiting_for_replies()
    {
        await using KestrelServer server = await StartSlowEchoAsync(TimeSpan.FromSeconds(4));

        WscResult result = await WscProcess.RunAsync([server.Url, "--linger", "0"], ["not waited for"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.StdoutBytes);
        Assert.Contains("closed 1000", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lines_read_before_the_connection_opens_are_all_sent_once_it_opens()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2), context.RequestAborted); // stdin is at its end before the handshake completes
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            while (true)
            {
                WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, default);
            }
        });

        WscResult result = await WscProcess.RunAsync([server.Url], ["early 1", "early 2", "early 3"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["early 1", "early 2", "early 3"], result.Lines);
    }

    [Fact]
    public async Task Wait_keeps_the_connection_open_after_end_of_input_until_its_time()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            await Task.Delay(TimeSpan.FromSeconds(2), context.RequestAborted);
            await socket.SendAsync("late news"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, default);
            var buffer = new byte[1024];
            while ((await socket.ReceiveAsync(buffer, context.RequestAborted)).MessageType != WebSocketMessageType.Close)
            {
            }

            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
        });
        var clock = Stopwatch.StartNew();

        WscResult result = await WscProcess.RunAsync([server.Url, "-w", "4"], []);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["late news"], result.Lines);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(4), $"exited after {clock.Elapsed}, before -w 4\n{result}");
        Assert.Contains("closed 1000", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_stdin_larger_than_64_KiB_goes_as_several_messages_of_at_most_64_KiB_in_order()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        byte[] input = new byte[150_000];
        new Random(6455).NextBytes(input);

        var clock = Stopwatch.StartNew();
        WscResult result = await WscProcess.RunAsync([server.Url, "--binary", "--base64", "--linger", "30"], stdinBytes: input); // a cold server may take over a second

        string summary = $"after {clock.Elapsed}, exit {result.ExitCode}:\n" + string.Join("\n", result.Lines.Select(line => line[..Math.Min(40, line.Length)])) + "\n" + result.Stderr;
        Assert.True(result.ExitCode == 0, summary);
        Assert.True(result.Lines.Length >= 3, summary); // 150,000 bytes need at least three messages of 64 KiB
        var received = new List<byte>();
        foreach (string line in result.Lines)
        {
            System.Text.RegularExpressions.Match match = System.Text.RegularExpressions.Regex.Match(line, @"^\[binary (\d+) bytes\] (\S*)$");
            Assert.True(match.Success, summary);
            byte[] bytes = Convert.FromBase64String(match.Groups[2].Value);
            Assert.Equal(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), bytes.Length);
            Assert.InRange(bytes.Length, 1, 64 * 1024);
            received.AddRange(bytes);
        }

        Assert.Equal(input, received.ToArray());
    }

    [Theory]
    [InlineData("http")]
    [InlineData("HTTP")]
    public async Task An_http_url_means_ws(string scheme)
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        string url = scheme + server.Url["ws".Length..];

        WscResult result = await WscProcess.RunAsync([url, "--linger", "30"], ["over http://"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["over http://"], result.Lines);
    }
}
