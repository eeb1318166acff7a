using System.CommandLine;
using System.CommandLine.Help;

namespace Whatwg.WebSockets.Cli;

/// <summary><c>wsc serve</c>: the embedded server on its own, until Ctrl+C.</summary>
internal static class ServeCommand
{
    private const string Notes = """
        Output:
          The first line on stdout is the server's URL, e.g. ws://127.0.0.1:40123/ (endpoints / and /echo).
          The server runs until Ctrl+C or SIGTERM, then closes every connection with 1001 (going away),
          stops within 2 seconds and exits 0; a client that has not answered its Close by then is dropped.

        Exit codes:
          0  stopped by Ctrl+C or SIGTERM
          1  usage error, or the port could not be bound
        """;

    private const string Examples = """
        Examples:
          wsc serve                                  echo server on a free port
          wsc serve --port 8080                      echo server on ws://127.0.0.1:8080/
          wsc serve --broadcast --port 8080          chat room: every message goes to every client
          wsc ws://127.0.0.1:8080/                   (in another terminal) talk to it
        """;

    public static RootCommand BuildRoot(ConsoleStreams console)
    {
        TextWriter error = console.Error;
        var echo = new Option<bool>("--echo") { Description = "Send each message back to its sender (the default)." };
        var broadcast = new Option<bool>("--broadcast") { Description = "Send each message to every connected client, the sender included." };
        var port = new Option<int>("--port", "-p")
        {
            Description = "The TCP port on 127.0.0.1; 0 picks a free one (the default).",
            HelpName = "port",
        };
        port.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 65535)
            {
                result.AddError("--port must be between 0 and 65535.");
            }
        });

        var serve = new Command("serve", "Run a WebSocket server on 127.0.0.1 (echo or broadcast) until Ctrl+C.")
        {
            echo, broadcast, port,
        };
        var root = new RootCommand("wsc serve: a local WebSocket server for trying clients out.") { serve };
        root.SetAction(_ => ExitCodes.UsageError);
        Command command = serve;
        command.Validators.Add(result =>
        {
            if (result.GetValue(echo) && result.GetValue(broadcast))
            {
                result.AddError("--echo and --broadcast cannot be used together.");
            }
        });
        foreach (Option option in root.Options)
        {
            if (option is HelpOption help && help.Action is HelpAction defaultHelp)
            {
                help.Action = new Program.HelpWithNotes(defaultHelp, Notes, Examples);
            }
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            ServerMode mode = result.GetValue(broadcast) ? ServerMode.Broadcast : ServerMode.Echo;
            EchoServer server;
            try
            {
                server = await EchoServer.StartAsync(mode, result.GetValue(port), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                await error.WriteLineAsync($"wsc: cannot listen on 127.0.0.1:{result.GetValue(port)}: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            await using (server.ConfigureAwait(false))
            {
                await result.InvocationConfiguration.Output.WriteLineAsync(server.Url).ConfigureAwait(false);
                await error.WriteLineAsync($"wsc: {(mode == ServerMode.Broadcast ? "broadcast" : "echo")} server listening; Ctrl+C stops it").ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C or SIGTERM: stop.
                }
            }

            return ExitCodes.CleanClose;
        });
        return root;
    }
}
