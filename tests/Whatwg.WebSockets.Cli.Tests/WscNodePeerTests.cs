using System.Text.Json;
using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>wsc against the Node <c>ws</c> server (tests/peers/node/server.js): pipe mode, options the server sees, pings.</summary>
[Collection(NodeWsCollection.Name)]
public class WscNodePeerTests(NodeWsServerFixture node)
{
    private string Url(string pathAndQuery) => node.Url(pathAndQuery).ToString();

    [Fact]
    public async Task Pipe_mode_echoes_every_line_in_order_and_closes_cleanly_at_end_of_input()
    {
        string[] lines = [.. Enumerable.Range(1, 200).Select(i => $"line {i} ünïcødé 𝄞")];

        WscResult result = await WscProcess.RunAsync([Url("/echo")], lines);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(lines, result.Lines);
        Assert.Contains("closed 1000", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Count_stops_after_N_of_a_flood()
    {
        WscResult result = await WscProcess.RunAsync([Url("/flood?size=6&count=50"), "-n", "3"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(3, result.Lines.Length);
        Assert.All(result.Lines, line => Assert.Equal(" !\"#$%", line));
    }

    [Fact]
    public async Task Headers_subprotocol_origin_and_auth_reach_the_server()
    {
        WscResult result = await WscProcess.RunAsync(
            [Url("/headers"), "-H", "X-Trace: abc 123", "-s", "chat.v2", "-s", "chat.v1", "--origin", "https://app.example",
             "--auth", "user:pa55", "-n", "1"],
            closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonElement headers = JsonDocument.Parse(result.Lines[0]).RootElement.GetProperty("headers");
        Assert.Equal("abc 123", headers.GetProperty("x-trace").GetString());
        Assert.Equal("chat.v2, chat.v1", headers.GetProperty("sec-websocket-protocol").GetString());
        Assert.Equal("https://app.example", headers.GetProperty("origin").GetString());
        Assert.Equal("Basic " + Convert.ToBase64String("user:pa55"u8), headers.GetProperty("authorization").GetString());
        Assert.Contains("subprotocol chat.v2", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_close_code_and_reason_are_reported_and_exit_0()
    {
        WscResult result = await WscProcess.RunAsync([Url("/close?code=4001&reason=bye")], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("wsc: closed 4001 (private use): bye", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_path_is_a_handshake_failure_naming_the_status()
    {
        WscResult result = await WscProcess.RunAsync([Url("/nowhere")], closeStdin: false);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("404", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Show_ping_prints_the_servers_ping_and_our_pong()
    {
        WscResult result = await WscProcess.RunAsync([Url("/pingpong?ping=hello"), "--show-ping", "-n", "1"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("wsc: < ping 'hello'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("wsc: > pong 'hello'", result.Stderr, StringComparison.Ordinal);

        // The server saw our pong and said so.
        Assert.Equal(["pong " + Convert.ToHexStringLower("hello"u8)], result.Lines);
    }

    [Fact]
    public async Task Show_ping_prints_keep_alive_pings_and_their_pongs()
    {
        WscResult result = await WscProcess.RunAsync([Url("/pingpong"), "--show-ping", "--ping-interval", "0.2", "-n", "1"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("a ping goes out after 0.2 s without traffic", result.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"wsc: > ping \[8 bytes\] [0-9a-f]{16}", result.Stderr);
        Assert.Matches(@"wsc: < pong \[8 bytes\] [0-9a-f]{16}", result.Stderr);
        Assert.StartsWith("ping ", result.Lines[0], StringComparison.Ordinal); // the server saw the keep-alive ping
    }

    [Fact]
    public async Task Without_show_ping_no_frame_lines_are_printed()
    {
        WscResult result = await WscProcess.RunAsync([Url("/pingpong?ping=hello"), "-n", "1"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("ping 'hello'", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(["pong " + Convert.ToHexStringLower("hello"u8)], result.Lines);
    }

    [Fact]
    public async Task Binary_stdin_round_trips_through_ws_as_base64()
    {
        byte[] bytes = new byte[3000];
        new Random(7).NextBytes(bytes);

        WscResult result = await WscProcess.RunAsync([Url("/echo"), "--binary", "--base64"], stdinBytes: bytes);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([$"[binary 3000 bytes] {Convert.ToBase64String(bytes)}"], result.Lines);
    }
}
