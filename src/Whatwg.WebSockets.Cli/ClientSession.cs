namespace Whatwg.WebSockets.Cli;

/// <summary>
/// One connection, as wsc runs it: connect, wait for open, send each input line as a text message, print
/// each message received as one line, close with 1000 at end of input, and turn the close event into an exit code.
/// </summary>
internal sealed class ClientSession : IDisposable
{
    private const long FlushThreshold = 1024 * 1024;

    private const int BinaryChunk = 64 * 1024;

    private readonly ClientSettings _settings;
    private readonly Stream _rawInput;
    private readonly TextReader _input;
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly SemaphoreSlim _activity = new(0);
    private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly InteractiveTerminal? _terminal;
    private int _sent;
    private int _received;
    private volatile bool _closed;

    public ClientSession(ClientSettings settings, ConsoleStreams console)
    {
        _settings = settings;
        _rawInput = console.RawInput;
        _input = console.Input;
        _output = console.Output;
        _error = console.Error;
        _terminal = settings.Interactive ? new InteractiveTerminal(console.Output, settings.Colour, settings.Timestamps) : null;
    }

    /// <summary>Runs the session to its end.</summary>
    /// <param name="cancellationToken">Cancelled on Ctrl+C / SIGTERM: wsc then closes with 1000 and exits.</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        WebSocket socket;
        try
        {
            socket = new WebSocket(_settings.Url, _settings.Subprotocols, _settings.Options);
        }
        catch (ArgumentException ex) when (UsageErrors.FromConstructor(ex, _settings.Url) is string usage)
        {
            await _error.WriteLineAsync(usage).ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        using (socket)
        {
            socket.BinaryType = BinaryType.ArrayBuffer;
            socket.OnMessage = OnMessage;
            socket.OnClose = OnClose;
            socket.UnhandledListenerException += (_, e) => _error.WriteLine($"wsc: {e.Exception.Message}");
            if (_settings.ShowPing)
            {
                socket.ControlFrame += (_, e) => OnControlFrame(e);
            }

            // Ctrl+C / SIGTERM: start the closing handshake (or abandon the attempt) and let the close event decide.
            using CancellationTokenRegistration interrupt = cancellationToken.Register(() => socket.Close(1000));

            if (_settings.Verbose && _settings.Options.Proxy is System.Net.WebProxy { Address: Uri proxy })
            {
                await _error.WriteLineAsync($"wsc: connecting through the proxy {proxy.GetLeftPart(UriPartial.Authority)}").ConfigureAwait(false);
            }

            bool opened = await OpenedAsync(socket).ConfigureAwait(false);
            if (_settings.Verbose && socket.Handshake is HandshakeDetails handshake)
            {
                foreach (string line in Handshake.DescribeExchange(handshake))
                {
                    await _error.WriteLineAsync("wsc: " + line).ConfigureAwait(false);
                }
            }

            if (opened)
            {
                await _error.WriteLineAsync(DescribeOpen(socket)).ConfigureAwait(false);
                if (_settings.Verbose)
                {
                    await _error.WriteLineAsync($"wsc: < subprotocol: {(socket.Protocol.Length > 0 ? socket.Protocol : "(none)")}").ConfigureAwait(false);
                    await _error.WriteLineAsync($"wsc: < extensions: {(socket.Extensions.Length > 0 ? socket.Extensions : "(none)")}").ConfigureAwait(false);
                }

                if (_settings.ShowPing)
                {
                    await _error.WriteLineAsync(Handshake.DescribeKeepAlive(_settings.Options)).ConfigureAwait(false);
                }

                if (_settings.Wait is TimeSpan wait)
                {
                    _ = Task.Delay(wait, CancellationToken.None).ContinueWith(_ => _stop.TrySetResult(), TaskScheduler.Default);
                }

                await TalkAsync(socket).ConfigureAwait(false);
            }

            CloseEvent closeEvent = await socket.WhenClosed.ConfigureAwait(false);
            _terminal?.Stop();
            CloseReport report = CloseReport.From(closeEvent);
            await _error.WriteLineAsync(report.Message).ConfigureAwait(false);
            return report.ExitCode;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _activity.Dispose();

    private static async Task<bool> OpenedAsync(WebSocket socket)
    {
        try
        {
            await socket.WhenOpen.ConfigureAwait(false);
            return true;
        }
        catch (WebSocketFailureException)
        {
            return false; // reported from the close event, which carries the same failure
        }
    }

    private static string DescribeOpen(WebSocket socket)
    {
        string protocol = socket.Protocol.Length > 0 ? $", subprotocol {socket.Protocol}" : string.Empty;
        string extensions = socket.Extensions.Length > 0 ? $", extensions {socket.Extensions}" : string.Empty;
        return $"wsc: connected to {MessageFormatter.WithoutCredentials(socket.Url)}{protocol}{extensions}";
    }

    /// <summary>
    /// The greeting, then -x messages or stdin, then the closing handshake once input ends and replies have come
    /// (or when -w or -n says so).
    /// </summary>
    private async Task TalkAsync(WebSocket socket)
    {
        if (_settings.Greeting is not null)
        {
            SendLine(socket, _settings.Greeting);
            await WaitForRepliesAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        }

        Task closed = socket.WhenClosed;
        Task stop = _stop.Task;
        if (_settings.Execute.Count > 0)
        {
            foreach (string message in _settings.Execute)
            {
                SendLine(socket, message);
            }

            // Keep reading until the server closes, -w or -n, or Ctrl+C (which closes the socket).
            await Task.WhenAny(closed, stop).ConfigureAwait(false);
            CloseIfOpen(socket);
            return;
        }

        if (_terminal is not null)
        {
            // The prompt reads keys on its own thread; the server may close first.
            Task prompt = Task.Run(() => Converse(socket, _terminal));
            await Task.WhenAny(prompt, closed, stop).ConfigureAwait(false);
            CloseIfOpen(socket);
            return;
        }

        // Console input blocks the thread that reads it, so it is read on its own task; the server may close first.
        Task input = Task.Run(() => _settings.BinaryInput ? PumpBytesAsync(socket) : PumpLinesAsync(socket));
        Task first = await Task.WhenAny(input, closed, stop).ConfigureAwait(false);
        if (first == closed)
        {
            return;
        }

        if (first == input)
        {
            await FlushAsync(socket).ConfigureAwait(false);
            if (_settings.Wait is not null)
            {
                await Task.WhenAny(closed, stop).ConfigureAwait(false);
            }
            else
            {
                await WaitForRepliesAsync(_settings.Linger).ConfigureAwait(false);
            }
        }

        CloseIfOpen(socket);
    }

    private static void CloseIfOpen(WebSocket socket)
    {
        if (socket.ReadyState is WebSocketReadyState.Connecting or WebSocketReadyState.Open)
        {
            socket.Close(1000);
        }
    }

    private async Task PumpLinesAsync(WebSocket socket)
    {
        try
        {
            while (!_closed && !_stop.Task.IsCompleted && await _input.ReadLineAsync().ConfigureAwait(false) is string line)
            {
                SendLine(socket, line);
                if (socket.BufferedAmount > FlushThreshold)
                {
                    await FlushAsync(socket).ConfigureAwait(false); // let the network catch up with a fast producer
                }
            }
        }
        catch (IOException ex)
        {
            await _error.WriteLineAsync($"wsc: reading input failed: {ex.Message}").ConfigureAwait(false);
        }
        catch (InvalidStateErrorException)
        {
            // The connection closed while input was still coming; the close event says why.
        }
    }

    private async Task PumpBytesAsync(WebSocket socket)
    {
        byte[] buffer = new byte[BinaryChunk];
        try
        {
            int read;
            while (!_closed && !_stop.Task.IsCompleted && (read = await _rawInput.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                Interlocked.Increment(ref _sent);
                socket.Send(buffer.AsSpan(0, read).ToArray());
                if (socket.BufferedAmount > FlushThreshold)
                {
                    await FlushAsync(socket).ConfigureAwait(false);
                }
            }
        }
        catch (IOException ex)
        {
            await _error.WriteLineAsync($"wsc: reading input failed: {ex.Message}").ConfigureAwait(false);
        }
        catch (InvalidStateErrorException)
        {
            // The connection closed while input was still coming; the close event says why.
        }
    }

    /// <summary>The interactive loop: lines are sent as text, slash commands act; returns at /quit or Ctrl+D.</summary>
    private void Converse(WebSocket socket, InteractiveTerminal terminal)
    {
        terminal.Print(InteractiveTerminal.Kind.Status, "type a message and press Enter; /help lists the commands");
        while (!_closed && terminal.ReadLine() is string line)
        {
            try
            {
                if (!line.StartsWith('/') || line.StartsWith("//", StringComparison.Ordinal))
                {
                    string text = line.StartsWith('/') ? line[1..] : line;
                    terminal.Print(InteractiveTerminal.Kind.Outgoing, text); // before sending, so it shows above the reply
                    SendLine(socket, text);
                    continue;
                }

                string[] words = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                string rest = words.Length > 1 ? words[1] : string.Empty;
                switch (words[0])
                {
                    case "/quit" or "/exit":
                        return;
                    case "/help":
                        terminal.Print(InteractiveTerminal.Kind.Status, "/close [code [reason]]  /binary HEX  /file PATH  /ping [data]  /help  /quit  (//text sends /text)");
                        break;
                    case "/close":
                        CloseCommand(socket, terminal, rest);
                        break;
                    case "/binary":
                        SendBytes(socket, terminal, Convert.FromHexString(string.Concat(rest.Where(c => !char.IsWhiteSpace(c)))));
                        break;
                    case "/file":
                        SendBytes(socket, terminal, File.ReadAllBytes(rest));
                        break;
                    case "/ping":
                        _ = PingCommandAsync(socket, terminal, rest);
                        break;
                    default:
                        terminal.Print(InteractiveTerminal.Kind.Error, $"unknown command {words[0]}; /help lists the commands");
                        break;
                }
            }
            catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException or ArgumentException
                or InvalidStateErrorException or InvalidAccessErrorException or SyntaxErrorException)
            {
                terminal.Print(InteractiveTerminal.Kind.Error, ex.Message);
            }
        }
    }

    /// <summary>
    /// /ping [data]: sends a Ping (without data: 8 bytes unique to it, so no other Pong can answer it) and reports
    /// its Pong with the round-trip time, or that none came within the keep-alive timeout.
    /// </summary>
    private async Task PingCommandAsync(WebSocket socket, InteractiveTerminal terminal, string data)
    {
        byte[] payload = System.Text.Encoding.UTF8.GetBytes(data);
        if (payload.Length > 125)
        {
            terminal.Print(InteractiveTerminal.Kind.Error, $"/ping: a ping carries at most 125 bytes of data (RFC 6455 §5.5); this is {payload.Length}");
            return;
        }

        TimeSpan limit = _settings.Options.KeepAliveTimeout;
        using var timeout = new CancellationTokenSource(limit);
        string shown = MessageFormatter.DescribeControlData(payload);
        try
        {
            Task<TimeSpan> pong = payload.Length == 0 ? socket.PingAsync(timeout.Token) : socket.PingAsync(payload, timeout.Token);
            if (!_settings.ShowPing)
            {
                terminal.Print(InteractiveTerminal.Kind.Outgoing, $"[ping{shown}]"); // --show-ping prints the frame itself
            }

            TimeSpan roundTrip = await pong.ConfigureAwait(false);
            terminal.Print(InteractiveTerminal.Kind.Status, $"pong{shown} after {roundTrip.TotalMilliseconds:0.###} ms");
        }
        catch (OperationCanceledException)
        {
            terminal.Print(InteractiveTerminal.Kind.Error, $"/ping: no pong within {limit.TotalSeconds:0.###} s (--ping-timeout)");
        }
        catch (InvalidStateErrorException ex)
        {
            terminal.Print(InteractiveTerminal.Kind.Error, $"/ping: {ex.Message}");
        }
    }

    /// <summary>--show-ping: one line per Ping or Pong frame, either way.</summary>
    private void OnControlFrame(ControlFrameEvent frame)
    {
        string line = $"{frame.Type}{MessageFormatter.DescribeControlData(frame.Data.Span)}";
        if (_terminal is not null)
        {
            _terminal.Print(frame.Direction == FrameDirection.Sent ? InteractiveTerminal.Kind.Outgoing : InteractiveTerminal.Kind.Incoming, $"[{line}]");
        }
        else
        {
            _error.WriteLine($"wsc: {(frame.Direction == FrameDirection.Sent ? ">" : "<")} {line}");
        }
    }

    private static void CloseCommand(WebSocket socket, InteractiveTerminal terminal, string arguments)
    {
        string[] parts = arguments.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            socket.Close(1000);
        }
        else if (int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int code))
        {
            if (code != 1000 && code is < 3000 or > 4999)
            {
                terminal.Print(InteractiveTerminal.Kind.Error, $"/close: the code must be 1000 or in 3000-4999, not {code}");
                return;
            }

            socket.Close(code, parts.Length > 1 ? parts[1] : string.Empty);
        }
        else
        {
            terminal.Print(InteractiveTerminal.Kind.Error, "usage: /close [code [reason]]");
            return;
        }

        terminal.Print(InteractiveTerminal.Kind.Status, "closing...");
    }

    private void SendBytes(WebSocket socket, InteractiveTerminal terminal, byte[] bytes)
    {
        terminal.Print(InteractiveTerminal.Kind.Outgoing, FormatForTerminal(bytes));
        Interlocked.Increment(ref _sent);
        socket.Send(bytes);
    }

    /// <summary>Binary on the prompt: a hex dump under its size, or one base64 line with --base64.</summary>
    private string FormatForTerminal(byte[] bytes) =>
        bytes.Length == 0 || _settings.BinaryFormat == BinaryFormat.Base64
            ? MessageFormatter.FormatBinary(bytes, _settings.BinaryFormat)
            : $"[binary {bytes.Length} {(bytes.Length == 1 ? "byte" : "bytes")}]\n{MessageFormatter.HexDump(bytes)}";

    private void SendLine(WebSocket socket, string line)
    {
        Interlocked.Increment(ref _sent);
        socket.Send(line);
    }

    private static async Task FlushAsync(WebSocket socket)
    {
        try
        {
            await socket.FlushAsync().ConfigureAwait(false);
        }
        catch (InvalidStateErrorException)
        {
            // The connection closed with data still queued; the close event says why.
        }
    }

    /// <summary>
    /// Waits until there are as many messages received as lines sent (a request/response server has answered
    /// everything), or until no message has come for <paramref name="quiet"/>, or until the connection closes.
    /// Messages that arrive after <c>Close()</c> is called are dropped, as the WebSocket API says, so wsc must
    /// not close while replies are still on their way.
    /// </summary>
    private async Task WaitForRepliesAsync(TimeSpan quiet)
    {
        while (!_closed && !_stop.Task.IsCompleted)
        {
            int sent = Volatile.Read(ref _sent);
            if (sent > 0 && Volatile.Read(ref _received) >= sent)
            {
                return;
            }

            if (!await _activity.WaitAsync(quiet).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private void OnMessage(MessageEvent message)
    {
        // Events come one at a time and in order, so lines are printed in the order the messages arrived.
        try
        {
            if (_terminal is not null)
            {
                _terminal.Print(
                    InteractiveTerminal.Kind.Incoming,
                    message.IsText ? (_settings.Json ? MessageFormatter.PrettyJson(message.Text) : message.Text) : FormatForTerminal(message.Bytes));
            }
            else
            {
                _output.WriteLine(message.IsText && _settings.Json ? MessageFormatter.PrettyJson(message.Text) : MessageFormatter.Format(message, _settings.BinaryFormat));
            }
        }
        catch (IOException)
        {
            // stdout is gone (e.g. piped into `head -1`): nobody reads the messages any more, so say goodbye.
            message.Target?.Close(1000);
        }

        int received = Interlocked.Increment(ref _received);
        if (received == _settings.Count)
        {
            // Messages that arrive after Close() are dropped, so exactly N are printed.
            message.Target?.Close(1000);
            _stop.TrySetResult();
        }

        _activity.Release();
    }

    private void OnClose(CloseEvent close)
    {
        _closed = true;
        _activity.Release();
    }
}
