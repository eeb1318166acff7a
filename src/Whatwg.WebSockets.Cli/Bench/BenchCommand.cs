using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using Spectre.Console;

namespace Whatwg.WebSockets.Cli.Bench;

/// <summary><c>wsc bench</c>: a load client against an echo server, the embedded one by default.</summary>
internal static class BenchCommand
{
    private const int MaxConnections = 10_000;
    private const int MaxSize = 16 * 1024 * 1024;
    private const int MaxInFlight = 100_000;

    private const string Notes = """
        What it measures:
          Each connection sends numbered messages of --size bytes and expects every one back, in order and byte for
          byte, so any echo server will do. Without a URL, wsc starts its embedded echo server on 127.0.0.1; it runs
          in the same process and shares the CPU with the client. Latency is the time from sending a message to its
          echo arriving; with --rate it counts from when the message was due, so a server that falls behind shows
          up as latency rather than as fewer messages. Messages sent during --warmup are not counted. When sending
          stops, the last echoes get as long as --duration (1 to 5 s) to arrive; then every connection closes
          with 1000. The embedded server accepts permessage-deflate ("deflate on"): wsc compresses messages of
          1 KiB or more (the library's threshold) unless --no-compression.

        Output:
          stdout: a table (connections open, messages echoed, messages/s, MB/s of payload one way with 1 MB =
          10^6 bytes, latency p50/p90/p99/max in ms, errors) and a latency histogram on a log scale; with --json,
          one JSON object instead. When stdout is not a terminal, or NO_COLOR is set, they are plain ASCII text
          without escape codes, at most 80 columns wide. While it runs, a progress bar is shown on stderr when
          stderr is a terminal; it is cleared before the results are printed. Errors are described on stderr.

        Exit codes (when several apply, the lowest wins):
          0  every connection opened, every echo came back intact, every connection closed cleanly
          1  usage error: unknown option or bad value
          2  a connection could not be opened: refused or unreachable, TLS failure, timeout, or the server
             refused the opening handshake ("handshake failed: server answered 403 Forbidden")
          3  the server broke the protocol on a connection
          4  a connection closed abnormally (dropped without a closing handshake, or close timeout)
          5  echoes were wrong, out of order or missing, or the server closed a connection during the run
        """;

    private const string Examples = """
        Examples:
          wsc bench                                  10 connections to the embedded echo server for 10 s
          wsc bench ws://127.0.0.1:8080/ -c 100 -d 30
                                                     100 connections to your server for 30 s
          wsc bench -c 4 --in-flight 32 --size 4096 --binary
                                                     throughput: 32 binary messages of 4 KiB in flight per connection
          wsc bench ws://127.0.0.1:8080/ --rate 1000 -c 10
                                                     latency at a steady 1000 messages/s in all (100 per connection)
          wsc bench -d 5 --json | jq .latencyMs      results for a script
        """;

    public static RootCommand BuildRoot(ConsoleStreams console)
    {
        TextWriter error = console.Error;
        var url = new Argument<string?>("url")
        {
            Description = "An echo server's URL: ws://, wss://, http:// or https://. Omit it to start the embedded echo server on 127.0.0.1.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        url.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is string value && value.StartsWith('-'))
            {
                result.AddError($"Unrecognized option '{value}'.");
            }
        });
        Option<int> connections = Count("--connections", "-c", "N", 10, 1, MaxConnections,
            "How many connections send at the same time.");
        Option<int> size = Count("--size", null, "bytes", 32, Payload.HeaderLength, MaxSize,
            $"The size of each message in bytes. Each starts with its sequence number, {Payload.HeaderLength} hex digits, so {Payload.HeaderLength} is the smallest.");
        var rate = new Option<double?>("--rate", "-r")
        {
            Description = "Send this many messages per second in all, spread evenly over the connections. "
                + "Default: as fast as the echoes come back (each connection keeps --in-flight messages unanswered).",
            HelpName = "N",
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value) || value <= 0 || value > 1e9)
                {
                    result.AddError($"--rate must be a number of messages per second, more than 0, not '{text}'.");
                    return null;
                }

                return value;
            },
        };
        Option<double?> duration = Program.Seconds("--duration", "-d", "How long to measure (default 10).", allowZero: false);
        Option<double?> warmup = Program.Seconds("--warmup", null, "How long to send before measuring starts (default 1); 0 measures from the start.", allowZero: true);
        Option<int> inFlight = Count("--in-flight", null, "N", 1, 1, MaxInFlight,
            "How many messages each connection may have sent and not yet had back: 1 (the default) is ping-pong, for latency; more is for throughput. "
            + "With --rate it is the most that may be waiting; a message that would pass it waits.");
        var binary = new Option<bool>("--binary") { Description = "Send binary messages (scrambled bytes) instead of text (letters)." };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on stdout instead of the table and histogram." };
        var noCompression = new Option<bool>("--no-compression") { Description = "Do not offer permessage-deflate." };
        var subprotocols = Program.Repeatable("--subprotocol", "-s", "protocol",
            "A subprotocol to offer (Sec-WebSocket-Protocol); repeat for several, most preferred first.");
        var headers = Program.Repeatable("--header", "-H", "Name: value", "An extra request header for the opening handshake, as 'Name: value'; repeat for several.");
        var insecure = new Option<bool>("--insecure", "-k") { Description = "Accept any server certificate; a warning is printed to stderr." };
        var ca = new Option<FileInfo?>("--ca") { Description = "Also trust this CA certificate (PEM or DER) for the server's certificate.", HelpName = "file" };
        Option<double?> connectTimeout = Program.Seconds("--connect-timeout", null,
            "How long connecting, TLS and the opening handshake may take, per connection (default 30).", allowZero: false);

        var bench = new Command("bench", "Load an echo server with messages and report throughput, latency and errors.")
        {
            url, connections, size, rate, duration, warmup, inFlight, binary, json, noCompression, subprotocols, headers, insecure, ca, connectTimeout,
        };
        var root = new RootCommand("wsc bench: a load client for WebSocket echo servers.") { bench };
        root.SetAction(_ => ExitCodes.UsageError);
        foreach (Option option in root.Options)
        {
            if (option is HelpOption help && help.Action is HelpAction defaultHelp)
            {
                help.Action = new Program.HelpWithNotes(defaultHelp, Notes, Examples);
            }
        }

        bench.SetAction(async (result, cancellationToken) =>
        {
            var options = new WebSocketOptions { Dispatch = EventDispatch.ThreadPool, CloseTimeout = TimeSpan.FromSeconds(5) };
            if (UsageErrors.AddHeaders(options, result.GetValue(headers) ?? []) is string badHeader)
            {
                await error.WriteLineAsync(badHeader).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            if (result.GetValue(noCompression))
            {
                options.Compression = null;
            }

            if (result.GetValue(connectTimeout) is double connect)
            {
                options.ConnectTimeout = TimeSpan.FromSeconds(connect);
            }

            string? problem = Program.ConfigureNetwork(options, proxy: null, result.GetValue(insecure), result.GetValue(ca), cert: null, key: null);
            if (problem is not null)
            {
                await error.WriteLineAsync("wsc: " + problem).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            if (result.GetValue(insecure))
            {
                await error.WriteLineAsync("wsc: warning: --insecure: the server's certificate is not checked").ConfigureAwait(false);
            }

            var settings = new BenchSettings
            {
                Url = result.GetValue(url) ?? string.Empty,
                Connections = result.GetValue(connections),
                Size = result.GetValue(size),
                Rate = result.GetValue(rate),
                Duration = TimeSpan.FromSeconds(result.GetValue(duration) ?? 10),
                Warmup = TimeSpan.FromSeconds(result.GetValue(warmup) ?? 1),
                InFlight = result.GetValue(inFlight),
                Binary = result.GetValue(binary),
                Subprotocols = result.GetValue(subprotocols) ?? [],
                Options = options,
            };
            bool jsonOutput = result.GetValue(json);
            if (result.GetValue(url) is not null)
            {
                return await RunAsync(settings, jsonOutput, console, cancellationToken).ConfigureAwait(false);
            }

            EchoServer server = await EchoServer.StartAsync(ServerMode.Echo, port: 0, cancellationToken).ConfigureAwait(false);
            await using (server.ConfigureAwait(false))
            {
                await error.WriteLineAsync($"wsc: echo server listening on {server.Url}").ConfigureAwait(false);
                return await RunAsync(settings with { Url = server.Url }, jsonOutput, console, cancellationToken).ConfigureAwait(false);
            }
        });
        return root;
    }

    private static async Task<int> RunAsync(BenchSettings settings, bool json, ConsoleStreams console, CancellationToken cancellationToken)
    {
        TextWriter error = console.Error;
        BenchRun run;
        try
        {
            run = BenchRun.Create(settings);
        }
        catch (ArgumentException ex) when (UsageErrors.FromConstructor(ex, settings.Url) is string usage)
        {
            await error.WriteLineAsync(usage).ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        using (run)
        {
            await error.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"wsc: bench: {settings.Connections} connection{(settings.Connections == 1 ? string.Empty : "s")} to {settings.DisplayUrl}, {settings.Warmup.TotalSeconds:0.###} s warm-up, then {settings.Duration.TotalSeconds:0.###} s measured")).ConfigureAwait(false);

            // The live progress display needs stderr to be a terminal; the report is styled when stdout is one.
            IAnsiConsole? screen = Screens.Live(error);
            BenchResult result = screen is null
                ? await run.RunAsync(cancellationToken).ConfigureAwait(false)
                : await BenchProgress.RunAsync(run, screen, cancellationToken).ConfigureAwait(false);

            foreach (BenchError problem in result.Errors)
            {
                string count = problem.Kind is "connect" or "closed" ? $" ({problem.Count} of {settings.Connections} connections)" : string.Empty;
                await error.WriteLineAsync(problem.Message + count).ConfigureAwait(false);
            }

            if (json)
            {
                await console.Output.WriteLineAsync(BenchReport.Json(result)).ConfigureAwait(false);
            }
            else if (result.Opened > 0)
            {
                await console.Output.WriteAsync(BenchReport.Text(result, styled: !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")))).ConfigureAwait(false);
            }

            return result.ExitCode;
        }
    }

    private static Option<int> Count(string name, string? alias, string helpName, int defaultValue, int min, int max, string description)
    {
        Option<int> option = alias is null ? new(name) : new(name, alias);
        option.Description = description;
        option.HelpName = helpName;
        option.DefaultValueFactory = _ => defaultValue;
        option.CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            {
                result.AddError($"{name} must be a whole number from {min} to {max}, not '{text}'.");
                return defaultValue;
            }

            return value;
        };
        return option;
    }

}
