namespace Whatwg.WebSockets.Cli;

/// <summary>
/// One connection, as wsc runs it: connect, wait for open, send each input line as a text message, print
/// each message received as one line, close with 1000 at end of input, and turn the close event into an exit code.
/// </summary>
internal sealed class ClientSession : IDisposable
{
    private const long FlushThreshold = 1024 * 1024;

    private readonly ClientSettings _settings;
    private readonly TextReader _input;
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly SemaphoreSlim _activity = new(0);
    private int _sent;
    private int _received;
    private volatile bool _closed;

    public ClientSession(ClientSettings settings, TextReader input, TextWriter output, TextWriter error)
    {
        _settings = settings;
        _input = input;
        _output = output;
        _error = error;
    }

    /// <summary>Runs the session to its end.</summary>
    /// <param name="cancellationToken">Cancelled on Ctrl+C / SIGTERM: wsc then closes with 1000 and exits.</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        WebSocket socket;
        try
        {
            var options = new WebSocketOptions { Dispatch = EventDispatch.ThreadPool };
            foreach (KeyValuePair<string, string> header in _settings.Headers)
            {
                options.RequestHeaders[header.Key] = header.Value;
            }

            socket = new WebSocket(_settings.Url, _settings.Subprotocols, options);
        }
        catch (SyntaxErrorException ex) when (ex.ParamName == "url")
        {
            string why = _settings.Url.Contains(':', StringComparison.Ordinal)
                ? WithoutParameterName(ex)
                : $"'{_settings.Url}' is not an absolute URL; expected ws://, wss://, http:// or https://";
            await _error.WriteLineAsync($"wsc: invalid URL: {why}").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }
        catch (SyntaxErrorException ex)
        {
            await _error.WriteLineAsync($"wsc: invalid subprotocol: {WithoutParameterName(ex)}").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }
        catch (ArgumentException ex)
        {
            await _error.WriteLineAsync($"wsc: invalid header: {WithoutParameterName(ex)}").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        using (socket)
        {
            socket.BinaryType = BinaryType.ArrayBuffer;
            socket.OnMessage = OnMessage;
            socket.OnClose = OnClose;
            socket.UnhandledListenerException += (_, e) => _error.WriteLine($"wsc: {e.Exception.Message}");

            // Ctrl+C / SIGTERM: start the closing handshake (or abandon the attempt) and let the close event decide.
            using CancellationTokenRegistration interrupt = cancellationToken.Register(() => socket.Close(1000));

            if (await OpenedAsync(socket).ConfigureAwait(false))
            {
                await _error.WriteLineAsync(DescribeOpen(socket)).ConfigureAwait(false);
                await TalkAsync(socket).ConfigureAwait(false);
            }

            CloseReport report = CloseReport.From(await socket.WhenClosed.ConfigureAwait(false));
            await _error.WriteLineAsync(report.Message).ConfigureAwait(false);
            return report.ExitCode;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _activity.Dispose();

    /// <summary>The exception's own sentence, without the " (Parameter 'x')" that ArgumentException appends.</summary>
    private static string WithoutParameterName(ArgumentException exception)
    {
        string message = exception.Message;
        string suffix = $" (Parameter '{exception.ParamName}')";
        return exception.ParamName is not null && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }

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
        return $"wsc: connected to {socket.Url}{protocol}{extensions}";
    }

    /// <summary>The greeting, then stdin, then the closing handshake once input ends and replies have come.</summary>
    private async Task TalkAsync(WebSocket socket)
    {
        if (_settings.Greeting is not null)
        {
            SendLine(socket, _settings.Greeting);
            await WaitForRepliesAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        }

        // Console input blocks the thread that reads it, so it is read on its own task; the server may close first.
        Task input = Task.Run(() => PumpInputAsync(socket));
        Task closed = socket.WhenClosed;
        if (await Task.WhenAny(input, closed).ConfigureAwait(false) == closed)
        {
            return;
        }

        await FlushAsync(socket).ConfigureAwait(false);
        await WaitForRepliesAsync(_settings.Linger).ConfigureAwait(false);
        socket.Close(1000);
    }

    private async Task PumpInputAsync(WebSocket socket)
    {
        try
        {
            while (!_closed && await _input.ReadLineAsync().ConfigureAwait(false) is string line)
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
    }

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
        while (!_closed)
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
            _output.WriteLine(MessageFormatter.Format(message, _settings.BinaryFormat));
        }
        catch (IOException)
        {
            // stdout is gone (e.g. piped into `head -1`): nobody reads the messages any more, so say goodbye.
            message.Target?.Close(1000);
        }

        Interlocked.Increment(ref _received);
        _activity.Release();
    }

    private void OnClose(CloseEvent close)
    {
        _closed = true;
        _activity.Release();
    }
}
