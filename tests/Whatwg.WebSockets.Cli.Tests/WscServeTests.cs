using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary><c>wsc serve</c> as a process, with wsc and ClientWebSocket as its clients.</summary>
public class WscServeTests
{
    [Fact]
    public async Task Serve_prints_its_url_first_and_echoes_and_stops_on_sigterm_with_0()
    {
        await using ServeProcess server = await WscProcess.StartServeAsync();

        Assert.Matches(@"^ws://127\.0\.0\.1:\d+/$", server.Url);
        WscResult client = await WscProcess.RunAsync([server.Url], ["echo me", "and me"]);
        Assert.True(client.ExitCode == 0, client.ToString());
        Assert.Equal(["echo me", "and me"], client.Lines);
        Assert.Equal(0, await server.TerminateAsync());
    }

    [Fact]
    public async Task Serve_listens_on_the_given_port()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        probe.Dispose();

        await using ServeProcess server = await WscProcess.StartServeAsync("--echo", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal($"ws://127.0.0.1:{port}/", server.Url);
    }

    [Fact]
    public async Task Serve_on_a_port_in_use_exits_1_and_says_why()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        string port = ((IPEndPoint)busy.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        WscResult result = await WscProcess.RunAsync(["serve", "--port", port]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"wsc: cannot listen on 127.0.0.1:{port}", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.StdoutBytes);
    }

    [Fact]
    public async Task Broadcast_sends_every_message_to_every_client()
    {
        await using ServeProcess server = await WscProcess.StartServeAsync("--broadcast");
        using var first = LoopbackClient();
        using var second = LoopbackClient();
        await first.ConnectAsync(new Uri(server.Url), default);
        await second.ConnectAsync(new Uri(server.Url), default);

        await first.SendAsync("from first"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, default);
        Assert.Equal("from first", await ReceiveTextAsync(first));
        Assert.Equal("from first", await ReceiveTextAsync(second));
        await second.SendAsync("from second"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, default);
        Assert.Equal("from second", await ReceiveTextAsync(first));
        Assert.Equal("from second", await ReceiveTextAsync(second));

        // wsc as a third client: it sends one message and sees both its own and the reply the first client sends.
        Task<WscResult> wsc = WscProcess.RunAsync([server.Url, "-x", "from wsc", "-n", "2"], closeStdin: false);
        Assert.Equal("from wsc", await ReceiveTextAsync(first));
        Assert.Equal("from wsc", await ReceiveTextAsync(second));
        await first.SendAsync("hello wsc"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, default);
        WscResult result = await wsc;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["from wsc", "hello wsc"], result.Lines);
    }

    [Fact]
    public async Task Serve_with_echo_and_broadcast_together_is_a_usage_error()
    {
        WscResult result = await WscProcess.RunAsync(["serve", "--echo", "--broadcast"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith("wsc: ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_help_documents_its_options_output_and_examples()
    {
        WscResult result = await WscProcess.RunAsync(["serve", "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string expected in new[] { "wsc serve", "--broadcast", "--echo", "--port", "first line", "Exit codes", "Examples" })
        {
            Assert.Contains(expected, result.Stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("<url>", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_answers_on_slash_echo_as_well_and_404_elsewhere()
    {
        await using ServeProcess server = await WscProcess.StartServeAsync();

        WscResult echo = await WscProcess.RunAsync([server.Url + "echo"], ["via /echo"]);
        WscResult elsewhere = await WscProcess.RunAsync([server.Url + "elsewhere"], ["nothing"]);

        Assert.True(echo.ExitCode == 0, echo.ToString());
        Assert.Equal(["via /echo"], echo.Lines);
        Assert.True(elsewhere.ExitCode == 2, elsewhere.ToString());
        Assert.Contains("404", elsewhere.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_with_a_client_still_connected_tells_it_1001_going_away_and_exits_0()
    {
        await using ServeProcess server = await WscProcess.StartServeAsync();
        using var client = LoopbackClient();
        await client.ConnectAsync(new Uri(server.Url), CancellationToken.None);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Task<WebSocketReceiveResult> receiving = client.ReceiveAsync(new byte[16], limit.Token);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task<int> stopping = server.TerminateAsync();

        WebSocketReceiveResult result = await receiving;
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, result.CloseStatus); // 1001, going away
        Assert.Equal("server stopping", result.CloseStatusDescription);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, limit.Token);

        Assert.Equal(0, await stopping);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"took {clock.Elapsed} to stop; the help says within 2 seconds");
    }

    [Fact]
    public async Task Serve_with_a_client_that_does_not_answer_the_going_away_close_still_stops_and_exits_0()
    {
        await using ServeProcess server = await WscProcess.StartServeAsync("--broadcast");
        using var client = LoopbackClient();
        await client.ConnectAsync(new Uri(server.Url), CancellationToken.None);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        int exitCode = await server.TerminateAsync();

        Assert.Equal(0, exitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"took {clock.Elapsed} to stop; the help says within 2 seconds");
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        WebSocketReceiveResult result = await client.ReceiveAsync(new byte[16], limit.Token); // sent before the cut
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, result.CloseStatus);
    }

    /// <summary>A ClientWebSocket for the local server: no proxy from the environment (http_proxy would catch 127.0.0.1).</summary>
    private static ClientWebSocket LoopbackClient() => new() { Options = { Proxy = null } };

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        var text = new StringBuilder();
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, limit.Token);
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            if (result.EndOfMessage)
            {
                return text.ToString();
            }
        }
    }
}
