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
          wsc wss://example.com/ws -s chat.v2 -s chat.v1 -H 'Authorization: Bearer TOKEN'
                                                     offer two subprotocols and add a request header
          wsc ws://127.0.0.1:8080/ --base64 < /dev/null
                                                     print what the server sends first, binary as base64
        """;

    private const string Behaviour = """
        Input and output:
          Each line read from stdin (UTF-8) is sent as one text message once the connection is open.
          Each message received is printed as one line on stdout: text as it is, binary as
          '[binary N bytes] <hex>' (or base64 with --base64). Status lines go to stderr.
          At end of input wsc waits until it has received as many messages as it sent lines (or until
          the connection has been quiet for --linger seconds), then closes with 1000 and exits when the
          server has answered. If the server closes first, wsc exits at once. Ctrl+C closes with 1000.
        """;

    public static async Task<int> Main(string[] args)
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        TextWriter output = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardOutput(), utf8) { AutoFlush = true });
        TextWriter error = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardError(), utf8) { AutoFlush = true });
        using TextReader input = new StreamReader(Console.OpenStandardInput(), utf8, detectEncodingFromByteOrderMarks: false);
        Console.SetOut(output);
        Console.SetError(error);

        RootCommand command = BuildCommand(input, output, error);
        ParseResult parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // Usage errors go to stderr only, in wsc's own voice; stdout stays for messages.
            foreach (System.CommandLine.Parsing.ParseError parseError in parsed.Errors)
            {
                await error.WriteLineAsync($"wsc: {parseError.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync("wsc: see 'wsc --help' for usage").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        // System.CommandLine turns Ctrl+C into cancellation; SIGTERM gets the same graceful close here.
        using var terminate = new CancellationTokenSource();
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            terminate.Cancel();
        });
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, terminate.Token).ConfigureAwait(false);
    }

    private static RootCommand BuildCommand(TextReader input, TextWriter output, TextWriter error)
    {
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
        var subprotocols = new Option<string[]>("--subprotocol", "-s")
        {
            Description = "A subprotocol to offer (Sec-WebSocket-Protocol); repeat for several, most preferred first.",
            HelpName = "protocol",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var headers = new Option<string[]>("--header", "-H")
        {
            Description = "An extra request header for the opening handshake, as 'Name: value'; repeat for several. "
                + "Sec-WebSocket-*, Upgrade, Connection and Host cannot be set.",
            HelpName = "Name: value",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var base64 = new Option<bool>("--base64")
        {
            Description = "Print binary messages as base64 instead of hex.",
        };
        var linger = new Option<double>("--linger")
        {
            Description = "At end of input, how many seconds without a message wsc waits for replies before closing "
                + "(it closes sooner once every line sent has had a reply); 0 closes at once.",
            HelpName = "seconds",
            DefaultValueFactory = _ => 1.0,
        };
        linger.CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                || !double.IsFinite(value) || value < 0 || value > int.MaxValue / 1000.0)
            {
                result.AddError($"--linger must be a number of seconds, 0 or more, not '{text}'.");
                return 0;
            }

            return value;
        };

        var command = new RootCommand(
            "wsc: a WebSocket client for the terminal (RFC 6455, with the browser's WebSocket API underneath). "
            + "Lines from stdin are sent as text messages; messages received are printed one per line.")
        {
            url,
            subprotocols,
            headers,
            base64,
            linger,
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
            var parsedHeaders = new List<KeyValuePair<string, string>>();
            foreach (string text in result.GetValue(headers) ?? [])
            {
                if (!ClientSettings.TryParseHeader(text, out KeyValuePair<string, string> header))
                {
                    await error.WriteLineAsync($"wsc: invalid header '{text}': expected 'Name: value'").ConfigureAwait(false);
                    return ExitCodes.UsageError;
                }

                parsedHeaders.Add(header);
            }

            string? target = result.GetValue(url);
            var settings = new ClientSettings(
                target ?? string.Empty,
                result.GetValue(subprotocols) ?? [],
                parsedHeaders,
                result.GetValue(base64) ? BinaryFormat.Base64 : BinaryFormat.Hex,
                TimeSpan.FromSeconds(result.GetValue(linger)),
                Greeting: null);
            return target is null
                ? await RunWithEchoServerAsync(settings, input, output, error, cancellationToken).ConfigureAwait(false)
                : await RunClientAsync(settings, input, output, error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunClientAsync(ClientSettings settings, TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var session = new ClientSession(settings, input, output, error);
        return await session.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RunWithEchoServerAsync(ClientSettings settings, TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        EchoServer server = await EchoServer.StartAsync(cancellationToken).ConfigureAwait(false);
        await using (server.ConfigureAwait(false))
        {
            await error.WriteLineAsync($"wsc: echo server listening on {server.Url} (endpoints / and /echo)").ConfigureAwait(false);
            return await RunClientAsync(settings with { Url = server.Url, Greeting = Greeting }, input, output, error, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The standard help, followed by what wsc does with its input, its exit codes and examples.</summary>
    private sealed class HelpWithNotes(HelpAction standard, params string[] notes) : SynchronousCommandLineAction
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
