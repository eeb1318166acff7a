using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>
/// The connection options of <c>wsc bench</c> (-H, -s, -k, --ca, --connect-timeout), each seen to take effect, and
/// its output on a terminal (progress bar, colours, NO_COLOR).
/// </summary>
public sealed class WscBenchOptionTests
{
    /// <summary>Echoes every message and answers the close.</summary>
    private static async Task EchoAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, default);
        }
    }

    [Fact]
    public async Task Bench_sends_its_headers_and_offers_its_subprotocols_on_every_connection()
    {
        int accepted = 0;
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            // Refuse (403, exit 2) any connection without the header or without both subprotocols in order.
            if (context.Request.Headers["X-Bench"] != "yes"
                || !context.WebSockets.WebSocketRequestedProtocols.SequenceEqual(["bench.v2", "bench.v1"]))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }

            Interlocked.Increment(ref accepted);
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync("bench.v2");
            await EchoAsync(socket, context.RequestAborted);
        });

        WscResult result = await WscProcess.RunAsync(
            ["bench", server.Url, "-c", "2", "-d", "0.5", "--warmup", "0", "-H", "X-Bench: yes", "-s", "bench.v2", "-s", "bench.v1"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, accepted);
    }

    /// <summary>An echo server over TLS with <paramref name="certificate"/>.</summary>
    private static Task<KestrelServer> StartTlsEchoAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        KestrelServer.StartAsync(
            async context =>
            {
                using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
                await EchoAsync(socket, context.RequestAborted);
            },
            certificate,
            requireClientCertificate: false);

    [Fact]
    public async Task Bench_rejects_a_self_signed_certificate_and_insecure_accepts_it_with_a_warning()
    {
        using var certificates = new TestCertificates();
        await using KestrelServer server = await StartTlsEchoAsync(certificates.SelfSignedServer);

        WscResult strict = await WscProcess.RunAsync(["bench", server.Url, "-c", "1", "-d", "0.5", "--warmup", "0"]);
        WscResult insecure = await WscProcess.RunAsync(["bench", server.Url, "-c", "1", "-d", "0.5", "--warmup", "0", "-k"]);

        Assert.True(strict.ExitCode == 2, strict.ToString());
        Assert.True(insecure.ExitCode == 0, insecure.ToString());
        Assert.Contains("warning", insecure.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_trusts_a_private_ca_with_ca()
    {
        using var certificates = new TestCertificates();
        await using KestrelServer server = await StartTlsEchoAsync(certificates.SignedServer);

        WscResult without = await WscProcess.RunAsync(["bench", server.Url, "-c", "1", "-d", "0.5", "--warmup", "0"]);
        WscResult with = await WscProcess.RunAsync(["bench", server.Url, "-c", "1", "-d", "0.5", "--warmup", "0", "--ca", certificates.CaPath]);

        Assert.True(without.ExitCode == 2, without.ToString());
        Assert.True(with.ExitCode == 0, with.ToString());
        Assert.DoesNotContain("warning", with.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_connect_timeout_bounds_a_server_that_accepts_tcp_but_never_answers()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start(); // the kernel completes the TCP handshake; nobody ever reads or answers
        string url = $"ws://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}/";
        var clock = Stopwatch.StartNew();

        WscResult result = await WscProcess.RunAsync(["bench", url, "-c", "1", "-d", "0.5", "--warmup", "0", "--connect-timeout", "0.8"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("not established within 0.8 s", result.Stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}: not bounded by --connect-timeout 0.8\n{result}"); // not the 30 s default
    }

    [Fact]
    public async Task When_several_exit_codes_apply_the_lowest_wins()
    {
        // The first connection is refused (2); the other echoes garbled bytes (5).
        int connections = 0;
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            if (Interlocked.Increment(ref connections) == 1)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }

            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
                        return;
                    }

                    buffer[received.Count - 1] ^= 1;
                    await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, default);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The client went away.
            }
        });

        WscResult result = await WscProcess.RunAsync(["bench", server.Url, "-c", "2", "-d", "1", "--warmup", "0", "--no-compression"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("403", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("not what was sent", result.Stderr, StringComparison.Ordinal); // the garbled echoes were seen too
    }

    [Fact]
    public async Task Bench_on_a_terminal_shows_progress_on_stderr_clears_it_and_prints_the_results_in_colour()
    {
        await using var terminal = WscInteractiveTests.PseudoTerminal.Start("bench", "-c", "1", "-d", "1.5", "--warmup", "0");

        await terminal.AssertExitsCleanlyAsync();
        string screen = terminal.Screen;
        int cleared = screen.LastIndexOf("\e[2K", StringComparison.Ordinal);
        Assert.True(cleared > 0, screen); // the progress line is cleared before the results
        Assert.Matches(@"\d+% \w+  \d+ open  \d+ msgs", screen[..cleared]); // the progress line
        string results = screen[cleared..];
        Assert.Contains("latency histogram", results, StringComparison.Ordinal);
        Assert.Contains("\e[1m", results, StringComparison.Ordinal); // bold table headings: colours on a terminal
    }

    [Fact]
    public async Task Bench_on_a_terminal_with_no_color_prints_plain_ascii_results_within_80_columns()
    {
        await using var terminal = WscInteractiveTests.PseudoTerminal.StartWith(["NO_COLOR=1"], "bench", "-c", "1", "-d", "1.5", "--warmup", "0");

        await terminal.AssertExitsCleanlyAsync();
        string screen = terminal.Screen;
        int cleared = screen.LastIndexOf("\e[2K", StringComparison.Ordinal);
        Assert.True(cleared > 0, screen);
        string results = screen[(cleared + "\e[2K".Length)..].Replace("\e[?25h", string.Empty, StringComparison.Ordinal); // the cursor shown again
        Assert.Contains("latency histogram", results, StringComparison.Ordinal);
        Assert.DoesNotContain("\e", results, StringComparison.Ordinal);
        Assert.All(results.Split('\n'), line =>
        {
            Assert.True(line.TrimEnd('\r').Length <= 80, line);
            Assert.True(line.All(char.IsAscii), line);
        });
    }
}
