using System.Threading.Channels;
using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Tests.Failures;

/// <summary>
/// Records every event a <see cref="WebSocket"/> raises, in order, with the socket's
/// <see cref="WebSocket.ReadyState"/> as the listener saw it, plus the assertions the failure tests share.
/// </summary>
internal sealed class FailureEventLog
{
    /// <summary>The longest any single wait in these tests may take before the test fails instead of hanging.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(8);

    private readonly object _gate = new();
    private readonly List<(string Type, WebSocketReadyState State)> _entries = [];
    private readonly List<MessageEvent> _messages = [];
    private readonly Channel<MessageEvent> _incoming = Channel.CreateUnbounded<MessageEvent>();
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<CloseEvent> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ErrorEvent? _error;
    private CloseEvent? _close;

    public FailureEventLog(WebSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Socket = socket;
        socket.Opened += (_, e) =>
        {
            Record(e.Type);
            _opened.TrySetResult();
        };
        socket.MessageReceived += (_, e) =>
        {
            Record(e.Type);
            lock (_gate)
            {
                _messages.Add(e);
            }

            _incoming.Writer.TryWrite(e);
        };
        socket.Error += (_, e) =>
        {
            Record(e.Type);
            lock (_gate)
            {
                _error ??= e;
            }
        };
        socket.Closed += (_, e) =>
        {
            Record(e.Type);
            lock (_gate)
            {
                _close ??= e;
            }

            _incoming.Writer.TryComplete();
            _closed.TrySetResult(e);
        };
    }

    public WebSocket Socket { get; }

    /// <summary>Each event's type and the ready state its listener saw, in order.</summary>
    public IReadOnlyList<(string Type, WebSocketReadyState State)> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>The event types in order, e.g. ["open", "error", "close"].</summary>
    public string[] Types => [.. Entries.Select(e => e.Type)];

    public IReadOnlyList<MessageEvent> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    public ErrorEvent? Error
    {
        get
        {
            lock (_gate)
            {
                return _error;
            }
        }
    }

    public CloseEvent? Close
    {
        get
        {
            lock (_gate)
            {
                return _close;
            }
        }
    }

    /// <summary>Completes with the close event once it has been delivered.</summary>
    public Task<CloseEvent> Closed => _closed.Task;

    /// <summary>Waits for the close event, failing the test after <see cref="Wait"/> (or <paramref name="timeout"/>).</summary>
    public Task<CloseEvent> WaitForCloseAsync(TimeSpan? timeout = null) => _closed.Task.WaitAsync(timeout ?? Wait);

    /// <summary>Waits for the open event; fails at once, naming the cause, if the socket closes first.</summary>
    public async Task WaitForOpenAsync(TimeSpan? timeout = null)
    {
        Task first = await Task.WhenAny(_opened.Task, _closed.Task).WaitAsync(timeout ?? Wait);
        if (first != _opened.Task)
        {
            CloseEvent close = await _closed.Task;
            Assert.Fail($"The socket closed before it opened: {close} {close.Failure?.Failure} {close.Failure?.Message}");
        }
    }

    /// <summary>The next message, failing the test if none arrives in time or the socket closes first.</summary>
    public async Task<MessageEvent> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Wait);
        try
        {
            return await _incoming.Reader.ReadAsync(cts.Token);
        }
        catch (ChannelClosedException)
        {
            Assert.Fail($"The socket closed before a message arrived: {_close}");
            throw;
        }
    }

    /// <summary>
    /// Asserts the connection was <em>failed</em>: (open,) error, close, both seen in CLOSED; close 1006 not clean;
    /// the error's cause is <paramref name="failure"/> with <paramref name="fragment"/> in its message; the close event
    /// carries the same cause; <see cref="WebSocketFailureException.CloseCodeSent"/> is <paramref name="closeCodeSent"/>.
    /// </summary>
    public WebSocketFailureException AssertFailed(bool opened, WebSocketFailure failure, string? fragment, int? closeCodeSent)
    {
        string[] expected = opened ? ["open", "error", "close"] : ["error", "close"];
        Assert.Equal(expected, Types);
        AssertErrorAndCloseSeeClosed();
        ErrorEvent error = Assert.IsType<ErrorEvent>(Error);
        CloseEvent close = Assert.IsType<CloseEvent>(Close);
        Assert.Equal(1006, close.Code);
        Assert.False(close.WasClean);
        Assert.Equal(string.Empty, close.Reason);
        Assert.Equal(failure, error.Exception.Failure);
        if (fragment is not null)
        {
            Assert.Contains(fragment, error.Exception.Message, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(closeCodeSent, error.Exception.CloseCodeSent);
        Assert.Same(error.Exception, close.Failure);
        Assert.Equal(WebSocketReadyState.Closed, Socket.ReadyState);
        return error.Exception;
    }

    /// <summary>
    /// Asserts the connection was <em>dropped</em> (not failed): (open,) close only, close 1006 not clean, and
    /// <see cref="CloseEvent.Failure"/> names <paramref name="failure"/>.
    /// </summary>
    public WebSocketFailureException AssertDropped(bool opened, WebSocketFailure failure, string? fragment)
    {
        string[] expected = opened ? ["open", "close"] : ["close"];
        Assert.Equal(expected, Types);
        AssertErrorAndCloseSeeClosed();
        Assert.Null(Error);
        CloseEvent close = Assert.IsType<CloseEvent>(Close);
        Assert.Equal(1006, close.Code);
        Assert.False(close.WasClean);
        WebSocketFailureException cause = Assert.IsType<WebSocketFailureException>(close.Failure);
        Assert.Equal(failure, cause.Failure);
        if (fragment is not null)
        {
            Assert.Contains(fragment, cause.Message, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(WebSocketReadyState.Closed, Socket.ReadyState);
        return cause;
    }

    /// <summary>Asserts open, then (messages,) then a clean close with <paramref name="code"/> and <paramref name="reason"/>.</summary>
    public void AssertClean(int code, string reason)
    {
        string[] types = Types;
        Assert.Equal("open", types[0]);
        Assert.Equal("close", types[^1]);
        Assert.All(types[1..^1], t => Assert.Equal("message", t));
        Assert.Null(Error);
        CloseEvent close = Assert.IsType<CloseEvent>(Close);
        Assert.True(close.WasClean, $"expected a clean close, got {close} ({close.Failure?.Failure}: {close.Failure?.Message})");
        Assert.Equal(code, close.Code);
        Assert.Equal(reason, close.Reason);
        Assert.Null(close.Failure);
        Assert.Equal(WebSocketReadyState.Closed, Entries[^1].State);
    }

    /// <summary>Options for these tests: short timeouts, no keep-alive.</summary>
    public static WebSocketOptions Options(
        TimeSpan? closeTimeout = null, TimeSpan? connectTimeout = null, long? maxMessageSize = null)
    {
        var options = new WebSocketOptions
        {
            CloseTimeout = closeTimeout ?? TimeSpan.FromSeconds(2),
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5),
            KeepAliveInterval = Timeout.InfiniteTimeSpan,
        };
        if (maxMessageSize is long max)
        {
            options.MaxMessageSize = max;
        }

        return options;
    }

    /// <summary>Reads the client's request and answers it with a correct 101 response.</summary>
    public static async Task<HandshakeRequest> AcceptAsync(ScriptedConnection connection, string? protocol = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.ReadTimeout = TimeSpan.FromSeconds(5);
        HandshakeRequest request = await connection.ReadHandshakeAsync();
        await connection.WriteAsync(ScriptedServer.Accept(request, protocol));
        return request;
    }

    /// <summary>Asserts <paramref name="frame"/> is a masked Close frame with <paramref name="code"/> and no reason.</summary>
    public static void AssertCloseFrame(Frame? frame, int code)
    {
        Assert.NotNull(frame);
        Assert.True(frame.IsClose, $"expected a close frame, got {frame}");
        Assert.True(frame.Fin);
        Assert.True(frame.WasMasked, "client frames must be masked");
        Assert.Equal(code, (int?)frame.CloseCode);
    }

    private void AssertErrorAndCloseSeeClosed()
    {
        foreach ((string type, WebSocketReadyState state) in Entries)
        {
            if (type is "error" or "close")
            {
                Assert.Equal(WebSocketReadyState.Closed, state);
            }
        }
    }

    private void Record(string type)
    {
        WebSocketReadyState state = Socket.ReadyState;
        lock (_gate)
        {
            _entries.Add((type, state));
        }
    }
}
