using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary><c>wsc bench</c> as a process: against the embedded server, against servers that refuse, drop or garble.</summary>
public class WscBenchTests
{
    [Fact]
    public async Task Bench_against_the_embedded_server_prints_a_table_and_a_histogram()
    {
        WscResult result = await WscProcess.RunAsync(["bench", "-c", "2", "-d", "1.5", "--warmup", "0"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Dictionary<string, string> row = TableRow(result);
        Assert.Equal("2/2", row["conns"]);
        Assert.True(long.Parse(row["messages"], CultureInfo.InvariantCulture) > 0, result.ToString());
        Assert.True(double.Parse(row["msgs/s"], CultureInfo.InvariantCulture) > 0, result.ToString());
        double p50 = double.Parse(row["p50"], CultureInfo.InvariantCulture);
        double p90 = double.Parse(row["p90"], CultureInfo.InvariantCulture);
        double p99 = double.Parse(row["p99"], CultureInfo.InvariantCulture);
        double max = double.Parse(row["max"], CultureInfo.InvariantCulture);
        Assert.True(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= max, result.ToString());
        Assert.Equal("0", row["errors"]);
        Assert.Contains("latency histogram (ms)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("#", result.Stdout, StringComparison.Ordinal);

        // Not a terminal: no progress bar, no colours, and nothing wider than 80 columns.
        Assert.DoesNotContain('\e', result.Stdout);
        Assert.DoesNotContain('\e', result.Stderr);
        Assert.DoesNotContain('\r', result.Stderr);
        Assert.All(result.Lines, line => Assert.True(line.Length <= 80, line));
        Assert.DoesNotContain('\r', result.Stdout);
        Assert.All(result.Lines, line => Assert.True(line.All(char.IsAscii), line));
        Assert.Contains("latency in ms", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_plain_output_folds_a_long_url_and_keeps_the_table_row_on_one_line()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(context => EchoAsync(context, (_, _, _) => true));
        string url = server.Url + string.Join('/', Enumerable.Repeat("a-long-path-segment", 6));

        WscResult result = await WscProcess.RunAsync(["bench", url, "-c", "1", "-d", "0.5", "--warmup", "0"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.All(result.Lines, line => Assert.True(line.Length <= 80, line));
        Assert.Equal("wsc bench: " + url, result.Lines[0] + result.Lines[1]);
        Assert.Equal("1/1", TableRow(result)["conns"]);
    }

    [Fact]
    public async Task Bench_json_counts_add_up()
    {
        WscResult result = await WscProcess.RunAsync(["bench", "-c", "2", "-d", "1", "--warmup", "0.2", "--binary", "--in-flight", "4", "--size", "100", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        JsonElement root = document.RootElement;
        long messages = root.GetProperty("messages").GetInt64();
        Assert.True(messages > 0, result.ToString());
        Assert.Equal(root.GetProperty("sent").GetInt64(), messages);
        Assert.Equal(messages, root.GetProperty("perConnection").EnumerateArray().Sum(c => c.GetProperty("messages").GetInt64()));
        Assert.Equal(messages, root.GetProperty("histogram").EnumerateArray().Sum(b => b.GetProperty("count").GetInt64()));
        Assert.Equal(0, root.GetProperty("errors").GetInt64());
        Assert.Empty(root.GetProperty("errorDetails").EnumerateArray());
        Assert.Equal(2, root.GetProperty("connected").GetInt32());
        Assert.Equal(100, root.GetProperty("size").GetInt32());
        Assert.True(root.GetProperty("binary").GetBoolean());
        Assert.Equal(0, root.GetProperty("exitCode").GetInt32());
        JsonElement latency = root.GetProperty("latencyMs");
        Assert.True(latency.GetProperty("p50").GetDouble() <= latency.GetProperty("p99").GetDouble(), result.Stdout);
        Assert.True(latency.GetProperty("p99").GetDouble() <= latency.GetProperty("max").GetDouble(), result.Stdout);
        double megabytes = root.GetProperty("megabytesPerSecond").GetDouble();
        Assert.Equal(root.GetProperty("messagesPerSecond").GetDouble() * 100 / 1e6, megabytes, 3);
    }

    [Fact]
    public async Task Bench_with_a_rate_sends_about_that_many()
    {
        WscResult result = await WscProcess.RunAsync(["bench", "-c", "2", "-d", "1", "--warmup", "0", "--rate", "100", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        long sent = document.RootElement.GetProperty("sent").GetInt64();
        Assert.InRange(sent, 50, 101);   // as fast as possible would be thousands
        Assert.Equal(100, document.RootElement.GetProperty("rate").GetDouble());
    }

    [Fact]
    public async Task Bench_against_a_closed_port_exits_2_and_names_the_cause()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        WscResult result = await WscProcess.RunAsync(["bench", $"ws://127.0.0.1:{port}/", "-c", "2", "-d", "1", "--warmup", "0"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"wsc: could not connect to 127.0.0.1:{port}", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("(2 of 2 connections)", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.StdoutBytes);
    }

    [Fact]
    public async Task Bench_against_a_server_that_refuses_the_handshake_exits_2_and_says_403_in_json_too()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        });

        WscResult result = await WscProcess.RunAsync(["bench", server.Url, "-c", "2", "-d", "1", "--warmup", "0", "--json"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("handshake failed", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("403", result.Stderr, StringComparison.Ordinal);
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        JsonElement error = Assert.Single(document.RootElement.GetProperty("errorDetails").EnumerateArray());
        Assert.Equal("connect", error.GetProperty("kind").GetString());
        Assert.Equal(2, error.GetProperty("count").GetInt64());
        Assert.Contains("403", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, document.RootElement.GetProperty("connected").GetInt32());
        Assert.Equal(2, document.RootElement.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Bench_counts_echoes_that_differ_from_what_was_sent_and_exits_5()
    {
        // Every fifth message comes back with its last byte changed.
        await using KestrelServer server = await KestrelServer.StartAsync(context => EchoAsync(context, (count, buffer, length) =>
        {
            if (count % 5 == 0)
            {
                buffer[length - 1] ^= 1;
            }

            return true;
        }));

        WscResult result = await WscProcess.RunAsync(["bench", server.Url, "-c", "2", "-d", "1", "--warmup", "0", "--no-compression", "--json"]);

        Assert.True(result.ExitCode == 5, result.ToString());
        Assert.Contains("not what was sent", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("differs from what was sent at byte 31", result.Stderr, StringComparison.Ordinal);
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        JsonElement root = document.RootElement;
        JsonElement error = Assert.Single(root.GetProperty("errorDetails").EnumerateArray());
        Assert.Equal("mismatch", error.GetProperty("kind").GetString());
        long mismatched = error.GetProperty("count").GetInt64();
        long messages = root.GetProperty("messages").GetInt64();
        Assert.True(mismatched > 0 && messages > 0, result.Stdout);
        Assert.Equal(mismatched, root.GetProperty("errors").GetInt64());
        Assert.InRange(mismatched * 4, messages - 8, messages + 8);   // one in five, counted per connection
    }

    [Fact]
    public async Task Bench_counts_a_connection_the_server_drops_mid_run_and_exits_4()
    {
        // The first connection is dropped after 20 echoes; the second is echoed to the end.
        int connections = 0;
        await using KestrelServer server = await KestrelServer.StartAsync(context =>
        {
            bool drop = Interlocked.Increment(ref connections) == 1;
            return EchoAsync(context, (count, _, _) => !drop || count <= 20);
        });

        WscResult result = await WscProcess.RunAsync(["bench", server.Url, "-c", "2", "-d", "1", "--warmup", "0"]);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("wsc: connection closed abnormally (1006)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("(1 of 2 connections)", result.Stderr, StringComparison.Ordinal);
        Dictionary<string, string> row = TableRow(result);
        Assert.Equal("1", row["errors"]);
        Assert.True(long.Parse(row["messages"], CultureInfo.InvariantCulture) > 20, result.ToString());
    }

    [Fact]
    public async Task Bench_counts_a_connection_the_server_closes_mid_run_and_exits_5()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            for (int i = 0; i < 10; i++)
            {
                WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
            }

            await socket.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "going away", context.RequestAborted);
        });

        WscResult result = await WscProcess.RunAsync(["bench", server.Url, "-c", "1", "-d", "1", "--warmup", "0", "--json"]);

        Assert.True(result.ExitCode == 5, result.ToString());
        Assert.Contains("wsc: the server closed the connection during the run", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("going away", result.Stderr, StringComparison.Ordinal);
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        Assert.Equal(10, document.RootElement.GetProperty("messages").GetInt64());
        Assert.Equal("closed", Assert.Single(document.RootElement.GetProperty("errorDetails").EnumerateArray()).GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Bench_against_a_server_that_never_echoes_ends_on_time_and_counts_the_missing_echoes()
    {
        // Reads everything, answers the close, echoes nothing.
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                    return;
                }
            }
        });

        WscResult result = await WscProcess.RunAsync(["bench", server.Url, "-c", "2", "-d", "1", "--warmup", "0", "--json"], timeout: TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 5, result.ToString());
        Assert.Contains("wsc: 2 messages had no echo 1 s after sending stopped", result.Stderr, StringComparison.Ordinal);
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        Assert.Equal(0, document.RootElement.GetProperty("messages").GetInt64());
        Assert.Equal(2, document.RootElement.GetProperty("sent").GetInt64());
        Assert.Equal("missing", Assert.Single(document.RootElement.GetProperty("errorDetails").EnumerateArray()).GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Bench_help_documents_options_exit_codes_and_examples()
    {
        WscResult result = await WscProcess.RunAsync(["bench", "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string expected in new[] { "wsc bench", "--connections", "--size", "--rate", "--duration", "--warmup", "--in-flight", "--json", "Exit codes", "5  echoes", "Examples" })
        {
            Assert.Contains(expected, result.Stdout, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The table's header and value rows, as column name → value: the header starts with "conns", a rule of '-'
    /// under each column follows, then the values, columns split by spaces.
    /// </summary>
    private static Dictionary<string, string> TableRow(WscResult result)
    {
        string[] lines = result.Lines;
        int header = Array.FindIndex(lines, line => line.StartsWith("conns", StringComparison.Ordinal));
        Assert.True(header >= 0 && header + 2 < lines.Length, result.ToString());
        Assert.Matches("^-+( +-+)+$", lines[header + 1]);
        string[] names = lines[header].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] values = lines[header + 2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(names.Length, values.Length);
        return names.Zip(values).ToDictionary(pair => pair.First, pair => pair.Second);
    }

    /// <summary>
    /// Echoes frame by frame; <paramref name="onFrame"/> sees the frame's number (from 1) and bytes and may change
    /// them, or return false to drop the connection without a closing handshake.
    /// </summary>
    [Fact]
    public async Task Latency_includes_the_servers_delay()
    {
        // Each echo waits 40 ms: no message can come back sooner, so p50 and the minimum are at least that.
        await using KestrelServer server = await KestrelServer.StartAsync(context => EchoAsync(context, (_, _, _) =>
        {
            Thread.Sleep(40);
            return true;
        }));

        WscResult result = await WscProcess.RunAsync(["bench", server.Url, "-c", "1", "-d", "1", "--warmup", "0", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        JsonElement latency = document.RootElement.GetProperty("latencyMs");
        Assert.True(latency.GetProperty("min").GetDouble() >= 39, result.Stdout); // the histogram's bucket precision is about 3 %
        Assert.True(latency.GetProperty("p50").GetDouble() >= 39, result.Stdout);
        Assert.InRange(document.RootElement.GetProperty("messages").GetInt64(), 1, 26); // at most 1 s / 40 ms, one at a time
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(4, false)]
    public async Task In_flight_is_how_many_messages_wait_unanswered(int inFlight, bool echoesFlow)
    {
        // Echoes nothing until 8 messages have arrived, then all 8: only a client keeping 8 in flight gets answers.
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            var held = new List<byte[]>();
            var buffer = new byte[1024];
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

                    held.Add(buffer.AsSpan(0, received.Count).ToArray());
                    if (held.Count == 8)
                    {
                        foreach (byte[] message in held)
                        {
                            await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, context.RequestAborted);
                        }

                        held.Clear();
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The client went away.
            }
        });

        WscResult result = await WscProcess.RunAsync(
            ["bench", server.Url, "-c", "1", "-d", "1", "--warmup", "0", "--no-compression", "--in-flight", inFlight.ToString(CultureInfo.InvariantCulture), "--json"]);

        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        JsonElement root = document.RootElement;
        if (echoesFlow)
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.True(root.GetProperty("messages").GetInt64() >= 8, result.Stdout);
        }
        else
        {
            // Four sent, none answered: the run ends on time and counts them missing.
            Assert.True(result.ExitCode == 5, result.ToString());
            Assert.Equal(0, root.GetProperty("messages").GetInt64());
            Assert.Equal(4, root.GetProperty("sent").GetInt64());
        }
    }

    private static async Task EchoAsync(HttpContext context, Func<int, byte[], int, bool> onFrame)
    {
        using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[64 * 1024];
        try
        {
            for (int count = 1; ; count++)
            {
                WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(received.CloseStatus ?? WebSocketCloseStatus.Empty, received.CloseStatusDescription, default);
                    return;
                }

                if (!onFrame(count, buffer, received.Count))
                {
                    context.Abort();
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client went away.
        }
    }
}

/// <summary><c>wsc bench</c> usage errors; a class of their own so xunit runs them beside the slower runs above.</summary>
public class WscBenchUsageTests
{
    [Theory]
    [InlineData("--size 0", "--size must be a whole number from 16")]
    [InlineData("--size 8", "--size must be a whole number from 16")]
    [InlineData("--connections 0", "--connections must be a whole number from 1")]
    [InlineData("-d -1", "--duration must be a number of seconds, more than 0, not '-1'")]
    [InlineData("-d 0", "--duration must be a number of seconds, more than 0")]
    [InlineData("--in-flight 0", "--in-flight must be a whole number from 1")]
    [InlineData("--rate -5", "--rate must be a number of messages per second, more than 0")]
    [InlineData("--warmup x", "--warmup must be a number of seconds, 0 or more, not 'x'")]
    [InlineData("-H nocolon", "invalid header 'nocolon'")]
    [InlineData("ftp://127.0.0.1/", "wsc: invalid URL")]
    public async Task Bench_usage_errors_exit_1_and_name_the_problem(string arguments, string expected)
    {
        WscResult result = await WscProcess.RunAsync(["bench", .. arguments.Split(' ')]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.StdoutBytes);
    }
}
