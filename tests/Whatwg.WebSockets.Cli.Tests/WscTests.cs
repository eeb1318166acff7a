using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>wsc as a process, against its own echo server, in-test Kestrel endpoints and a raw TCP server.</summary>
public class WscTests
{
    private const string Greeting = "hello from wsc";

    [Fact]
    public async Task No_url_with_stdin_closed_echoes_the_greeting_and_exits_0()
    {
        WscResult result = await WscProcess.RunAsync([]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([Greeting], result.Lines);
        Assert.Contains("ws://127.0.0.1:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("closed 1000", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_url_echoes_piped_lines_in_order()
    {
        WscResult result = await WscProcess.RunAsync([], ["first line", "second line"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([Greeting, "first line", "second line"], result.Lines);
    }

    [Fact]
    public async Task Url_echo_server_gets_lines_back_byte_exact()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        string[] lines = ["plain ascii", "héllo wörld ✓", "日本語のテキスト", "emoji 😀🎉", "", "  spaces and\ttab  "];

        WscResult result = await WscProcess.RunAsync([server.Url], lines);

        Assert.True(result.ExitCode == 0, result.ToString());
        byte[] expected = Encoding.UTF8.GetBytes(string.Concat(lines.Select(line => line + "\n")));
        Assert.Equal(expected, result.StdoutBytes);
        Assert.Contains("closed 1000 (normal)", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "[binary 5 bytes] 68656c6c6f")]
    [InlineData(new[] { "--base64" }, "[binary 5 bytes] aGVsbG8=")]
    public async Task Binary_message_is_printed_marked(string[] extra, string expected)
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Binary, endOfMessage: true, default);
            await socket.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Binary, endOfMessage: true, default);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", default);
        });

        WscResult result = await WscProcess.RunAsync([server.Url, .. extra], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([expected, "[binary 0 bytes]"], result.Lines);
    }

    [Fact]
    public async Task Server_closing_cleanly_with_4001_exits_0_and_reports_code_and_reason()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            await socket.CloseAsync((WebSocketCloseStatus)4001, "bye", default);
        });

        WscResult result = await WscProcess.RunAsync([server.Url], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("closed 4001", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("bye", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.StdoutBytes);
    }

    [Fact]
    public async Task Unreachable_port_exits_2_with_could_not_connect()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        listener.Dispose();

        WscResult result = await WscProcess.RunAsync([$"ws://127.0.0.1:{port}/"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("could not connect", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_answering_403_exits_2_and_names_the_status()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        });

        WscResult result = await WscProcess.RunAsync([server.Url]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("wsc: handshake failed: server answered 403 Forbidden", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://x", "invalid URL")]
    [InlineData("not a url", "invalid URL")]
    [InlineData("ws://example.com/#fragment", "invalid URL")]
    public async Task Invalid_url_exits_1_with_a_clear_message(string url, string expected)
    {
        WscResult result = await WscProcess.RunAsync([url]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("wsc: " + expected, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.StdoutBytes);
    }

    [Theory]
    [InlineData("--no-such-option")]
    [InlineData("-H", "no colon here", "ws://127.0.0.1:9/")]
    [InlineData("-H", "Sec-WebSocket-Key: x", "ws://127.0.0.1:9/")]
    [InlineData("-H", "sec-websocket-protocol: chat", "ws://127.0.0.1:9/")]
    [InlineData("-H", "Upgrade: websocket", "ws://127.0.0.1:9/")]
    [InlineData("-H", "Connection: Upgrade", "ws://127.0.0.1:9/")]
    [InlineData("-H", "Host: example.com", "ws://127.0.0.1:9/")]
    [InlineData("-s", "not a token", "ws://127.0.0.1:9/")]
    [InlineData("--linger", "-1", "ws://127.0.0.1:9/")]
    public async Task Bad_arguments_exit_1(params string[] args)
    {
        WscResult result = await WscProcess.RunAsync(args);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith("wsc: ", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.StdoutBytes);
    }

    [Fact]
    public async Task Headers_and_subprotocols_reach_the_server()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            IList<string> offered = context.WebSockets.WebSocketRequestedProtocols;
            string report = $"x-test={context.Request.Headers["X-Test"]};x-other={context.Request.Headers["X-Other"]};protocols={string.Join(",", offered)}";
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(offered.FirstOrDefault());
            await socket.SendAsync(Encoding.UTF8.GetBytes(report), WebSocketMessageType.Text, endOfMessage: true, default);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
        });

        WscResult result = await WscProcess.RunAsync(
            [server.Url, "-H", "X-Test: 1", "--header", "X-Other:two words", "-s", "chat", "--subprotocol", "superchat"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["x-test=1;x-other=two words;protocols=chat,superchat"], result.Lines);
        Assert.Contains("subprotocol chat", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_exits_0_and_documents_options_exit_codes_and_examples()
    {
        WscResult result = await WscProcess.RunAsync(["--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string expected in new[]
        {
            "--subprotocol", "-s", "--header", "-H", "--base64", "--linger", "--version", "<url>", "Exit codes", "Examples",
            "--execute", "-x", "--wait", "-w", "--count", "-n", "--origin", "--auth", "--insecure", "--ca", "--cert", "--key",
            "--proxy", "--no-compression", "--ping-interval", "--ping-timeout", "--max-message-size", "--close-timeout", "--show-ping",
            "--verbose", "-v", "--binary", "wsc serve",
        })
        {
            Assert.Contains(expected, result.Stdout, StringComparison.Ordinal);
        }

        for (int code = 0; code <= 4; code++)
        {
            Assert.Contains($"  {code}  ", result.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Version_exits_0_and_prints_a_version()
    {
        WscResult result = await WscProcess.RunAsync(["--version"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Stdout);
    }

    [Fact]
    public async Task Server_dropping_the_connection_exits_4()
    {
        await using var server = RawWebSocketServer.Start(async (stream, socket) =>
        {
            await stream.WriteAsync(RawWebSocketServer.Frame(0x81, "before the drop"u8.ToArray()));
            await stream.FlushAsync();
            await Task.Delay(200);
            socket.Close(); // no Close frame: the connection just ends
        });

        WscResult result = await WscProcess.RunAsync([server.Url], closeStdin: false);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Equal(["before the drop"], result.Lines);
        Assert.Contains("closed abnormally (1006)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_breaking_the_protocol_exits_3()
    {
        await using var server = RawWebSocketServer.Start(async (stream, socket) =>
        {
            // RSV1 set with no extension negotiated: the client must fail the connection (1002).
            await stream.WriteAsync(RawWebSocketServer.Frame(0xC1, "bad"u8.ToArray()));
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
}
