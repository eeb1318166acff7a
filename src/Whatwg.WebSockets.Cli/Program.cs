using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Whatwg.WebSockets.Cli;

/// <summary>The <c>wsc</c> command: its arguments, options, help text and what runs.</summary>
internal static class Program
{
    /// <summary>The greeting that wsc sends to its embedded echo server before reading input.</summary>
    internal const string Greeting = "hello from wsc";

    private const string Examples = """
        Examples:
          wsc                                        start an echo server on 127.0.0.1 and talk to it
          wsc ws://127.0.0.1:8080/chat               send each line typed, print each message received
          echo '{"op":"ping"}' | wsc wss://example.com/api
                                                     send one message, print the replies, close
          wsc wss://example.com/ws -x '{"op":"subscribe"}' -n 10
                                                     send one message, print the next 10 received, close
          wsc wss://example.com/ws -s chat.v2 -s chat.v1 -H 'Authorization: Bearer TOKEN' -v
                                                     offer two subprotocols, add a header, show the handshake
          wsc wss://127.0.0.1:8443/ --ca ca.pem --cert me.pem --key me.key
                                                     trust a private CA and present a client certificate
          head -c 1024 /dev/urandom | wsc ws://127.0.0.1:8080/ --binary --base64
                                                     send bytes as a binary message, print binary as base64
          wsc serve --broadcast --port 8080          a chat room: every message goes to every client
                                                     (see 'wsc serve --help')
          wsc bench -c 4 -d 5                        load the embedded echo server for 5 s: messages/s, latency
                                                     (see 'wsc bench --help')
        """;

    private const string Behaviour = """
        Interactive mode (stdin and stdout are a terminal, no -x, --binary or --no-prompt):
          Type a line and press Enter to send it as a text message. Left/Right, Home/End, Backspace,
          Delete and Ctrl+U edit the line; Up/Down walk the history. Incoming lines are marked '<' (green),
          outgoing '>' (cyan), status '*'; binary messages are shown as a hex dump (base64 with --base64). Commands:
            /close [code [reason]]   start the closing handshake (code 1000 or 3000-4999)
            /binary HEX              send a binary message, e.g. /binary 48 69 or /binary 4869
            /file PATH               send a file's contents as one binary message
            /ping [data]             send a ping (data as UTF-8, at most 125 bytes; none: 8 unique bytes);
                                     its pong is shown with the round-trip time
            /help                    list the commands
            /quit                    close with 1000 and exit (also Ctrl+D on an empty line)
          A line starting with '//' sends the text from its second '/' on.

        Pipe mode, input and output:
          Each line read from stdin (UTF-8) is sent as one text message once the connection is open
          (with --binary, stdin is sent as binary messages; with -x, stdin is not read).
          Each message received is printed as one line on stdout: text as it is, binary as
          '[binary N bytes] <hex>' (or base64 with --base64). Status lines go to stderr.
          At end of input wsc waits until it has received as many messages as it sent (or until the
          connection has been quiet for --linger seconds), then closes with 1000 and exits when the
          server has answered. With -w it closes after that many seconds instead; with -n after that many
          messages. If the server closes first, wsc exits at once. Ctrl+C (or SIGTERM) closes
          with 1000; a second Ctrl+C quits at once.
        """;

    public static async Task<int> Main(string[] args)
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        TextWriter output = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardOutput(), utf8) { AutoFlush = true });
        TextWriter error = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardError(), utf8) { AutoFlush = true });
        Stream stdin = Console.OpenStandardInput();
        using TextReader input = new StreamReader(stdin, utf8, detectEncodingFromByteOrderMarks: false);
        Console.SetOut(output);
        Console.SetError(error);

        // 'wsc serve' and 'wsc bench' have their own command trees, so their usage and help do not show the client's options.
        var console = new ConsoleStreams(stdin, input, output, error);
        string? sub = args.Length > 0 && args[0] is "serve" or "bench" ? args[0] : null;
        RootCommand command = sub switch
        {
            "serve" => ServeCommand.BuildRoot(console),
            "bench" => Bench.BenchCommand.BuildRoot(console),
            _ => BuildCommand(console),
        };
        ParseResult parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // Usage errors go to stderr only, in wsc's own voice; stdout stays for messages.
            foreach (System.CommandLine.Parsing.ParseError parseError in parsed.Errors)
            {
                await error.WriteLineAsync($"wsc: {parseError.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync(sub is null ? "wsc: see 'wsc --help' for usage" : $"wsc: see 'wsc {sub} --help' for usage").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        // Ctrl+C (SIGINT) and SIGTERM cancel the command, which then ends gracefully: connect mode closes with
        // 1000, serve stops, bench reports what it measured. A second Ctrl+C is not held back: it ends wsc at once.
        using var terminate = new CancellationTokenSource();
        int interrupts = 0;
        void OnSignal(PosixSignalContext signal)
        {
            if (signal.Signal == PosixSignal.SIGINT && Interlocked.Increment(ref interrupts) > 1)
            {
                return; // the default action: terminate
            }

            signal.Cancel = true;
            terminate.Cancel();
        }

        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var invocation = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        return await parsed.InvokeAsync(invocation, terminate.Token).ConfigureAwait(false);
    }

    private static RootCommand BuildCommand(ConsoleStreams console)
    {
        TextWriter error = console.Error;
        var url = new Argument<string?>("url")
        {
            Description = "The server's URL: ws://, wss://, http:// or https:// (the last two mean ws and wss). "
                + "Omit it to start an embedded echo server on 127.0.0.1 and connect to that.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        url.Validators.Add(result =>
        {
            // An unknown option would otherwise be taken for the URL.
            if (result.GetValueOrDefault<string?>() is string value && value.StartsWith('-'))
            {
                result.AddError($"Unrecognized option '{value}'.");
            }
        });
        var subprotocols = Repeatable("--subprotocol", "-s", "protocol",
            "A subprotocol to offer (Sec-WebSocket-Protocol); repeat for several, most preferred first.");
        var headers = Repeatable("--header", "-H", "Name: value",
            "An extra request header for the opening handshake, as 'Name: value'; repeat for several. "
            + "Sec-WebSocket-*, Upgrade, Connection and Host cannot be set.");
        var execute = Repeatable("--execute", "-x", "message",
            "Send this text message once connected; repeat for several. Stdin is then not read: wsc keeps printing "
            + "what arrives until the server closes, -w or -n is reached, or Ctrl+C.");
        Option<double?> wait = Seconds("--wait", "-w", "Close with 1000 this many seconds after the connection opened "
            + "(end of input then does not close the connection).", allowZero: false);
        var count = new Option<int?>("--count", "-n")
        {
            Description = "Close with 1000 after this many messages have been received.",
            HelpName = "N",
        };
        count.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--count must be 1 or more.");
            }
        });
        var origin = new Option<string?>("--origin") { Description = "Send this Origin header.", HelpName = "origin" };
        var auth = new Option<string?>("--auth")
        {
            Description = "Send 'Authorization: Basic ...' made from user:password.",
            HelpName = "user:password",
        };
        var insecure = new Option<bool>("--insecure", "-k")
        {
            Description = "Accept any server certificate (expired, self-signed, wrong name); a warning is printed to stderr.",
        };
        var ca = new Option<FileInfo?>("--ca") { Description = "Also trust this CA certificate (PEM or DER) for the server's certificate.", HelpName = "file" };
        var cert = new Option<FileInfo?>("--cert") { Description = "Client certificate (PEM); its key from --key or from the same file.", HelpName = "file" };
        var key = new Option<FileInfo?>("--key") { Description = "The client certificate's private key (PEM).", HelpName = "file" };
        var proxy = new Option<string?>("--proxy")
        {
            Description = "Connect through this HTTP proxy, e.g. http://127.0.0.1:3128 (ws: the request goes to the proxy in absolute form; wss: a CONNECT tunnel).",
            HelpName = "url",
        };
        var noCompression = new Option<bool>("--no-compression") { Description = "Do not offer permessage-deflate." };
        Option<double?> pingInterval = Seconds("--ping-interval", null,
            "Send a keep-alive ping after this many seconds without traffic (default 20); 0 turns keep-alive off.", allowZero: true);
        Option<double?> pingTimeout = Seconds("--ping-timeout", null,
            "How long a keep-alive ping may wait for its pong (or any other traffic) before the connection counts as dead "
            + "and ends with exit code 4 (default 20).", allowZero: false);
        Option<double?> closeTimeout = Seconds("--close-timeout", null,
            "How long to wait for the server to answer our close before dropping the connection (default 10).", allowZero: false);
        Option<double?> connectTimeout = Seconds("--connect-timeout", null,
            "How long connecting, TLS and the opening handshake may take (default 30).", allowZero: false);
        var maxMessageSize = new Option<long?>("--max-message-size")
        {
            Description = "Fail the connection (1009, exit 3) when a message larger than this many bytes arrives (default 64 MiB).",
            HelpName = "bytes",
        };
        maxMessageSize.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long?>() is < 1)
            {
                result.AddError("--max-message-size must be 1 or more.");
            }
        });
        var showPing = new Option<bool>("--show-ping")
        {
            Description = "Show every ping and pong frame, both ways: the server's pings and wsc's automatic answers, the "
                + "keep-alive pings and their pongs, /ping. Pipe mode prints them on stderr ('wsc: < ping ...', "
                + "'wsc: > pong ...'); the keep-alive schedule is printed once when connected.",
        };
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Print the opening handshake on stderr: the request line and headers sent ('>'), the status line and "
                + "headers received ('<', also when the server refuses), and the negotiated subprotocol and extensions. "
                + "Credentials in Authorization headers are hidden.",
        };
        var binary = new Option<bool>("--binary")
        {
            Description = "Read stdin as bytes and send each chunk read (up to 64 KiB) as a binary message, instead of lines as text.",
        };
        var base64 = new Option<bool>("--base64")
        {
            Description = "Print binary messages as base64 instead of hex.",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print text messages that are valid JSON indented over several lines.",
        };
        var timestamps = new Option<bool>("--timestamps")
        {
            Description = "Interactive mode: prefix each line with the local time.",
        };
        var noColour = new Option<bool>("--no-color")
        {
            Description = "Interactive mode: no colours (also when the NO_COLOR environment variable is set).",
        };
        var noPrompt = new Option<bool>("--no-prompt")
        {
            Description = "Never use the interactive prompt, even when stdin and stdout are a terminal.",
        };
        Option<double?> linger = Seconds("--linger", null,
            "At end of input, how many seconds without a message wsc waits for replies before closing "
            + "(it closes sooner once every message sent has had a reply); 0 closes at once. Default 1.", allowZero: true);

        var command = new RootCommand(
            "wsc: a WebSocket client for the terminal (RFC 6455, with the browser's WebSocket API underneath). "
            + "Lines from stdin are sent as text messages; messages received are printed one per line. "
            + "'wsc serve' runs a local echo or broadcast server; 'wsc bench' is a load client.")
        {
            url, execute, wait, count, subprotocols, headers, origin, auth, insecure, ca, cert, key, proxy,
            noCompression, pingInterval, pingTimeout, closeTimeout, connectTimeout, maxMessageSize, showPing, verbose, binary, base64, json,
            timestamps, noColour, noPrompt, linger,
        };

        foreach (Option option in command.Options)
        {
            if (option is HelpOption help && help.Action is HelpAction defaultHelp)
            {
                help.Action = new HelpWithNotes(defaultHelp, Behaviour, ExitCodes.HelpText, Examples);
            }
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            KeyValuePair<string, string>? authorization = null;
            if (result.GetValue(auth) is string credentials)
            {
                if (!credentials.Contains(':', StringComparison.Ordinal))
                {
                    await error.WriteLineAsync("wsc: --auth expects user:password").ConfigureAwait(false);
                    return ExitCodes.UsageError;
                }

                authorization = new("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
            }

            var options = new WebSocketOptions { Dispatch = EventDispatch.ThreadPool };
            if (UsageErrors.AddHeaders(options, result.GetValue(headers) ?? [], authorization) is string badHeader)
            {
                await error.WriteLineAsync(badHeader).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            options.Origin = result.GetValue(origin);
            options.CollectHandshakeDetails = result.GetValue(verbose);
            if (result.GetValue(noCompression))
            {
                options.Compression = null;
            }

            if (result.GetValue(pingInterval) is double ping)
            {
                options.KeepAliveInterval = TimeSpan.FromSeconds(ping);
            }

            if (result.GetValue(pingTimeout) is double pongWait)
            {
                options.KeepAliveTimeout = TimeSpan.FromSeconds(pongWait);
            }

            if (result.GetValue(closeTimeout) is double close)
            {
                options.CloseTimeout = TimeSpan.FromSeconds(close);
            }

            if (result.GetValue(connectTimeout) is double connect)
            {
                options.ConnectTimeout = TimeSpan.FromSeconds(connect);
            }

            if (result.GetValue(maxMessageSize) is long max)
            {
                options.MaxMessageSize = max;
            }

            string? problem = ConfigureNetwork(options, result.GetValue(proxy), result.GetValue(insecure), result.GetValue(ca), result.GetValue(cert), result.GetValue(key));
            if (problem is not null)
            {
                await error.WriteLineAsync("wsc: " + problem).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            if (result.GetValue(insecure))
            {
                await error.WriteLineAsync("wsc: warning: --insecure: the server's certificate is not checked; anyone on the path can read and change this connection").ConfigureAwait(false);
            }

            string? target = result.GetValue(url);
            var settings = new ClientSettings
            {
                Url = target ?? string.Empty,
                Subprotocols = result.GetValue(subprotocols) ?? [],
                BinaryFormat = result.GetValue(base64) ? BinaryFormat.Base64 : BinaryFormat.Hex,
                Linger = TimeSpan.FromSeconds(result.GetValue(linger) ?? 1.0),
                Execute = result.GetValue(execute) ?? [],
                Wait = result.GetValue(wait) is double seconds ? TimeSpan.FromSeconds(seconds) : null,
                Count = result.GetValue(count),
                BinaryInput = result.GetValue(binary),
                Verbose = result.GetValue(verbose),
                ShowPing = result.GetValue(showPing),
                Interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected && !result.GetValue(noPrompt)
                    && (result.GetValue(execute) ?? []).Length == 0 && !result.GetValue(binary),
                Colour = !result.GetValue(noColour) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")),
                Timestamps = result.GetValue(timestamps),
                Json = result.GetValue(json),
                Options = options,
            };
            return target is null
                ? await RunWithEchoServerAsync(settings, console, cancellationToken).ConfigureAwait(false)
                : await RunClientAsync(settings, console, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Proxy and certificates; returns what is wrong with them, or null.</summary>
    internal static string? ConfigureNetwork(WebSocketOptions options, string? proxy, bool insecure, FileInfo? ca, FileInfo? cert, FileInfo? key)
    {
        if (proxy is not null)
        {
            if (!Uri.TryCreate(proxy, UriKind.Absolute, out Uri? proxyUri) || proxyUri.Scheme is not ("http" or "https"))
            {
                return $"invalid --proxy '{proxy}': expected http://host:port";
            }

            options.Proxy = new System.Net.WebProxy(proxyUri);
        }

        try
        {
            if (insecure)
            {
                options.RemoteCertificateValidationCallback = TlsSettings.AcceptAny;
            }
            else if (ca is not null)
            {
                options.RemoteCertificateValidationCallback = TlsSettings.TrustCa(ca.FullName);
            }

            if (cert is not null)
            {
                options.ClientCertificates = TlsSettings.ClientCertificate(cert.FullName, key?.FullName);
            }
            else if (key is not null)
            {
                return "--key needs --cert";
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return $"cannot load certificate: {ex.Message}";
        }

        return null;
    }

    internal static Option<string[]> Repeatable(string name, string alias, string helpName, string description) => new(name, alias)
    {
        Description = description,
        HelpName = helpName,
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    internal static Option<double?> Seconds(string name, string? alias, string description, bool allowZero)
    {
        Option<double?> option = alias is null ? new(name) : new(name, alias);
        option.Description = description;
        option.HelpName = "seconds";
        option.CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                || !double.IsFinite(value) || value < 0 || (value == 0 && !allowZero) || value > int.MaxValue / 1000.0)
            {
                result.AddError($"{name} must be a number of seconds, {(allowZero ? "0 or more" : "more than 0")}, not '{text}'.");
                return null;
            }

            return value;
        };
        return option;
    }

    private static async Task<int> RunClientAsync(ClientSettings settings, ConsoleStreams console, CancellationToken cancellationToken)
    {
        using var session = new ClientSession(settings, console);
        return await session.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RunWithEchoServerAsync(ClientSettings settings, ConsoleStreams console, CancellationToken cancellationToken)
    {
        EchoServer server = await EchoServer.StartAsync(ServerMode.Echo, port: 0, cancellationToken).ConfigureAwait(false);
        await using (server.ConfigureAwait(false))
        {
            await console.Error.WriteLineAsync($"wsc: echo server listening on {server.Url} (endpoints / and /echo)").ConfigureAwait(false);
            return await RunClientAsync(settings with { Url = server.Url, Greeting = Greeting }, console, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The standard help, followed by notes (what the command does with its input, exit codes, examples).</summary>
    internal sealed class HelpWithNotes(HelpAction standard, params string[] notes) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int result = standard.Invoke(parseResult);
            TextWriter output = parseResult.InvocationConfiguration.Output;
            foreach (string note in notes)
            {
                output.WriteLine(note);
                output.WriteLine();
            }

            return result;
        }
    }
}

/// <summary>The process's standard streams: stdin both raw (for --binary) and as UTF-8 text.</summary>
internal sealed record ConsoleStreams(Stream RawInput, TextReader Input, TextWriter Output, TextWriter Error);
