using System.Diagnostics;
using System.Text;
using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>The interactive mode, driven through a pseudo-terminal made by script(1).</summary>
public class WscInteractiveTests
{
    [Fact]
    public async Task Prompt_sends_lines_edits_recalls_history_runs_commands_and_closes()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        await using var terminal = PseudoTerminal.Start(server.Url, "--no-color");

        await terminal.WaitForAsync("/help lists the commands");
        await terminal.TypeAsync("hello\r");
        await terminal.WaitForAsync("< hello");

        // Up arrow recalls "hello"; Enter sends it again.
        await terminal.TypeAsync("\e[A\r");
        await terminal.WaitForAsync("< hello", occurrences: 2);

        // Left arrow three times, then insert: "wrld" becomes "world".
        await terminal.TypeAsync("wrld\e[D\e[D\e[Do\r");
        await terminal.WaitForAsync("< world");

        await terminal.TypeAsync("/binary 48 69 00\r");
        await terminal.WaitForAsync("< [binary 3 bytes]");
        await terminal.WaitForAsync("0000  48 69 00");

        await terminal.TypeAsync("//slash\r");
        await terminal.WaitForAsync("< /slash");

        await terminal.TypeAsync("/nonsense\r");
        await terminal.WaitForAsync("unknown command /nonsense");

        await terminal.TypeAsync("/close 4001 done\r");
        await terminal.AssertExitsCleanlyAsync();
        Assert.Contains("> hello", terminal.Screen, StringComparison.Ordinal);
        Assert.Contains("closed 4001", terminal.Screen, StringComparison.Ordinal);
        Assert.DoesNotContain("\e[32m", terminal.Screen, StringComparison.Ordinal); // --no-color: no colour codes
        Assert.DoesNotContain("\e[36m", terminal.Screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prompt_colours_marks_and_pretty_prints_json_and_quit_exits_0()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        await using var terminal = PseudoTerminal.Start(server.Url, "--json", "--timestamps");

        await terminal.WaitForAsync("/help lists the commands");
        await terminal.TypeAsync("{\"a\":[1,2]}\r");
        await terminal.WaitForAsync("\"a\": [");
        await terminal.TypeAsync("/quit\r");
        await terminal.AssertExitsCleanlyAsync();
        Assert.Contains("\e[32m", terminal.Screen, StringComparison.Ordinal); // incoming in green
        Assert.Contains("\e[36m", terminal.Screen, StringComparison.Ordinal); // outgoing in cyan
        Assert.Matches(@"\d\d:\d\d:\d\d\.\d\d\d < \{", terminal.Screen);
        Assert.Contains("closed 1000", terminal.Screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ping_command_shows_the_pong_with_its_round_trip_and_show_ping_marks_frames()
    {
        await using NodeWsServer node = await NodeWsServer.StartAsync();
        await using var terminal = PseudoTerminal.Start(node.Url("/pingpong").ToString(), "--no-color", "--show-ping");

        await terminal.WaitForAsync("/help lists the commands");
        await terminal.TypeAsync("/ping abc\r");
        await terminal.WaitForAsync("pong 'abc' after");
        await terminal.WaitForAsync("< ping 616263"); // the server's report of the ping it saw
        await terminal.WaitForAsync("> [ping 'abc']");
        await terminal.WaitForAsync("< [pong 'abc']");

        await terminal.TypeAsync("/ping " + new string('x', 126) + "\r");
        await terminal.WaitForAsync("at most 125 bytes");
        await terminal.TypeAsync("/quit\r");
        await terminal.AssertExitsCleanlyAsync();
        Assert.Matches(@"pong 'abc' after \d+(\.\d+)? ms", terminal.Screen);
    }

    [Fact]
    public async Task Base64_flag_shows_binary_as_base64_on_the_prompt()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        await using var terminal = PseudoTerminal.Start(server.Url, "--no-color", "--base64");

        await terminal.WaitForAsync("/help lists the commands");
        await terminal.TypeAsync("/binary 48 69 00 ff\r");
        await terminal.WaitForAsync("< [binary 4 bytes] " + Convert.ToBase64String([0x48, 0x69, 0x00, 0xff]));
        await terminal.TypeAsync("/quit\r");

        await terminal.AssertExitsCleanlyAsync();
        Assert.DoesNotContain("0000  48 69", terminal.Screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_at_the_prompt_closes_with_1000_and_exits_0()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        await using var terminal = PseudoTerminal.Start(server.Url, "--no-color");

        await terminal.WaitForAsync("/help lists the commands");
        await terminal.TypeAsync("half a line");
        await terminal.TypeAsync("\u0003"); // Ctrl+C: the terminal sends SIGINT

        await terminal.AssertExitsCleanlyAsync();
        Assert.Contains("closed 1000", terminal.Screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_prompt_keeps_pipe_mode_on_a_terminal()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        await using var terminal = PseudoTerminal.Start(server.Url, "--no-prompt");

        await terminal.WaitForAsync("wsc: connected to");
        await terminal.TypeAsync("plain line\r");
        await terminal.WaitForAsync("plain line", occurrences: 2); // the terminal's echo of the input, then the reply
        await terminal.TypeAsync("\u0004"); // Ctrl+D: end of input
        await terminal.AssertExitsCleanlyAsync();
        Assert.DoesNotContain("/help lists the commands", terminal.Screen, StringComparison.Ordinal);
        Assert.DoesNotContain("< plain line", terminal.Screen, StringComparison.Ordinal); // no markers: pipe output
    }

    [Fact]
    public async Task Server_closing_while_the_prompt_waits_ends_the_session_with_its_code()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            await socket.ReceiveAsync(buffer, default);
            await socket.CloseAsync((System.Net.WebSockets.WebSocketCloseStatus)4001, "bye", default);
        });
        await using var terminal = PseudoTerminal.Start(server.Url);

        await terminal.WaitForAsync("/help lists the commands");
        await terminal.TypeAsync("anything\r");
        await terminal.AssertExitsCleanlyAsync();
        Assert.Contains("closed 4001 (private use): bye", terminal.Screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Home_end_backspace_delete_ctrl_u_and_down_edit_the_line_and_ctrl_d_on_an_empty_line_quits()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        await using var terminal = PseudoTerminal.Start(server.Url, "--no-color");

        await terminal.WaitForAsync("/help lists the commands");

        // Home inserts at the start, End at the end; Backspace removes the last character; two Lefts and Delete remove the 'y'.
        await terminal.TypeAsync("wxyz\e[HA\e[FZ\u007f\e[D\e[D\e[3~\r");
        await terminal.WaitForAsync("< Awxz");

        // Ctrl+U clears what is before the cursor.
        await terminal.TypeAsync("junk\u0015kept\r");
        await terminal.WaitForAsync("< kept");

        // Up, Up recalls "Awxz"; Down goes forward to "kept".
        await terminal.TypeAsync("\e[A\e[A\e[B\r");
        await terminal.WaitForAsync("< kept", occurrences: 2);

        await terminal.TypeAsync("\u0004"); // Ctrl+D on the empty line
        await terminal.AssertExitsCleanlyAsync();
        Assert.Matches(@"< Awxz\r?\n", terminal.Screen); // the whole line, nothing after the z
        Assert.DoesNotContain("< junk", terminal.Screen, StringComparison.Ordinal);
        Assert.Contains("closed 1000", terminal.Screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_command_sends_the_files_bytes_as_one_binary_message()
    {
        string path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, [0x01, 0x02, 0xfe, 0xff]);
            await using KestrelServer server = await KestrelServer.StartEchoAsync();
            await using var terminal = PseudoTerminal.Start(server.Url, "--no-color");

            await terminal.WaitForAsync("/help lists the commands");
            await terminal.TypeAsync($"/file {path}\r");
            await terminal.WaitForAsync("< [binary 4 bytes]");
            await terminal.WaitForAsync("0000  01 02 fe ff");
            await terminal.TypeAsync("/file /nonexistent/file\r");
            await terminal.WaitForAsync("nonexistent");
            await terminal.TypeAsync("/quit\r");

            await terminal.AssertExitsCleanlyAsync();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task No_color_environment_variable_turns_colours_off()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        await using var terminal = PseudoTerminal.StartWith(["NO_COLOR=1"], server.Url);

        await terminal.WaitForAsync("/help lists the commands");
        await terminal.TypeAsync("plain\r");
        await terminal.WaitForAsync("< plain");
        await terminal.TypeAsync("/quit\r");

        await terminal.AssertExitsCleanlyAsync();
        Assert.DoesNotContain("\e[32m", terminal.Screen, StringComparison.Ordinal);
        Assert.DoesNotContain("\e[36m", terminal.Screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Close_refuses_a_code_outside_1000_and_3000_to_4999_and_ping_without_data_gets_its_pong()
    {
        var closeSeen = new TaskCompletionSource<int?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            System.Net.WebSockets.WebSocketReceiveResult received;
            while ((received = await socket.ReceiveAsync(buffer, context.RequestAborted)).MessageType != System.Net.WebSockets.WebSocketMessageType.Close)
            {
            }

            closeSeen.TrySetResult((int?)received.CloseStatus);
            await socket.CloseOutputAsync(received.CloseStatus ?? System.Net.WebSockets.WebSocketCloseStatus.Empty, received.CloseStatusDescription, default);
        });
        await using var terminal = PseudoTerminal.Start(server.Url, "--no-color");

        await terminal.WaitForAsync("/help lists the commands");
        await terminal.TypeAsync("/ping\r");
        await terminal.WaitForAsync("pong after ");
        Assert.Matches(@"\* pong after \d+(\.\d+)? ms", terminal.Screen); // no data: none shown
        await terminal.TypeAsync("/close 1001\r");
        await terminal.WaitForAsync("/close: the code must be 1000 or in 3000-4999, not 1001");
        await terminal.TypeAsync("/close 2999\r");
        await terminal.WaitForAsync("/close: the code must be 1000 or in 3000-4999, not 2999");
        Assert.False(closeSeen.Task.IsCompleted, terminal.Screen); // neither code was sent
        await terminal.TypeAsync("/close 3000 fine\r");

        await terminal.AssertExitsCleanlyAsync();
        Assert.Equal(3000, await closeSeen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("closed 3000", terminal.Screen, StringComparison.Ordinal);
        Assert.DoesNotContain("Actual value was", terminal.Screen, StringComparison.Ordinal); // one plain line, not an exception's text
    }

    [Theory]
    [InlineData("-x")]
    [InlineData("--binary")]
    public async Task Execute_or_binary_on_a_terminal_keeps_pipe_mode(string option)
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        string[] args = option == "-x" ? [server.Url, "-x", "from -x", "-n", "1"] : [server.Url, "--binary", "-n", "1"];
        await using var terminal = PseudoTerminal.Start(args);

        await terminal.WaitForAsync("wsc: connected to");
        if (option == "--binary")
        {
            await terminal.TypeAsync("AB\r"); // the terminal hands over "AB\n" as bytes
        }

        await terminal.AssertExitsCleanlyAsync();
        Assert.DoesNotContain("/help lists the commands", terminal.Screen, StringComparison.Ordinal);
        Assert.Contains(option == "-x" ? "from -x" : "[binary 3 bytes] 41420a", terminal.Screen, StringComparison.Ordinal);
        Assert.DoesNotContain("< ", terminal.Screen, StringComparison.Ordinal); // no prompt markers
    }

    /// <summary>wsc under script(1): its stdin and stdout are a terminal; everything it writes is captured.</summary>
    internal sealed class PseudoTerminal : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _screen = new();
        private readonly Task _reading;

        private PseudoTerminal(Process process)
        {
            _process = process;
            _reading = ReadAsync();
        }

        public string Screen
        {
            get
            {
                lock (_screen)
                {
                    return _screen.ToString();
                }
            }
        }

        public static PseudoTerminal Start(params string[] args) => StartWith([], args);

        /// <summary>Like <see cref="Start"/>, with extra environment variables given as NAME=value.</summary>
        public static PseudoTerminal StartWith(string[] environment, params string[] args)
        {
            string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
            string wsc = Path.Combine(WscProcess.Build.Root, "src", "Whatwg.WebSockets.Cli", "bin", WscProcess.Build.Configuration, "net10.0", "wsc.dll");
            // Ctrl+C must reach wsc as SIGINT with its default action, even where this process inherited it ignored.
            // script(1) runs the command through $SHELL -c; 'exec' makes wsc replace that shell, so the terminal's
            // SIGINT reaches wsc alone (a shell left waiting in the same process group would die of it first, and
            // script would report the shell's 130 instead of wsc's exit code).
            string command = "exec " + string.Join(' ', new[] { "env", "--default-signal=INT" }.Concat(environment).Concat([dotnet, wsc]).Concat(args).Select(arg => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
            var start = new ProcessStartInfo("script")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { "-q", "-e", "-c", command, "/dev/null" })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["SHELL"] = "/bin/sh"; // the same shell whatever the user's login shell is
            start.Environment.Remove("NO_COLOR");
            start.Environment["TERM"] = "xterm";
            return new PseudoTerminal(Process.Start(start) ?? throw new InvalidOperationException("could not start script"));
        }

        public async Task TypeAsync(string keys)
        {
            await _process.StandardInput.WriteAsync(keys);
            await _process.StandardInput.FlushAsync();
        }

        public async Task WaitForAsync(string text, int occurrences = 1)
        {
            var clock = Stopwatch.StartNew();
            while (Count(Screen, text) < occurrences)
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(30) || _process.HasExited)
                {
                    throw new TimeoutException($"'{text}' x{occurrences} not seen on the terminal:\n{Screen}");
                }

                await Task.Delay(50);
            }
        }

        public async Task<int> WaitForExitAsync()
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(limit.Token);
            await _reading;
            return _process.ExitCode;
        }

        /// <summary>Waits for wsc to end and checks it exited 0; the failure shows the code and the screen.</summary>
        public async Task AssertExitsCleanlyAsync()
        {
            int exitCode = await WaitForExitAsync();
            Assert.True(exitCode == 0, $"exit code {exitCode}\n{Screen}");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        private static int Count(string haystack, string needle)
        {
            int count = 0;
            for (int at = haystack.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = haystack.IndexOf(needle, at + needle.Length, StringComparison.Ordinal))
            {
                count++;
            }

            return count;
        }

        private async Task ReadAsync()
        {
            var buffer = new char[4096];
            int read;
            while ((read = await _process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (_screen)
                {
                    _screen.Append(buffer, 0, read);
                }
            }
        }
    }
}
