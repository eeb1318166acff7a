namespace Whatwg.WebSockets;

/// <summary>The DOM <c>Event</c>: what every WebSocket event handler receives.</summary>
public class Event : EventArgs
{
    /// <summary>Creates an event of the given type.</summary>
    /// <param name="type">The event type: <c>"open"</c>, <c>"message"</c>, <c>"error"</c> or <c>"close"</c>.</param>
    public Event(string type)
    {
        Type = type;
    }

    /// <summary>The event type: <c>"open"</c>, <c>"message"</c>, <c>"error"</c> or <c>"close"</c>.</summary>
    public string Type { get; }

    /// <summary>The socket that raised the event (the DOM's <c>target</c>).</summary>
    public WebSocket? Target { get; internal set; }

    // A monotonic tick count is taken per event (cheap); the wall-clock time is derived only when asked for.
    private static readonly DateTimeOffset s_epochWallClock = DateTimeOffset.UtcNow;
    private static readonly long s_epochTicks = System.Diagnostics.Stopwatch.GetTimestamp();
    private readonly long _createdTicks = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>When the event was created, like the DOM's <c>timeStamp</c> but as a wall-clock time.</summary>
    public DateTimeOffset TimeStamp => s_epochWallClock + System.Diagnostics.Stopwatch.GetElapsedTime(s_epochTicks, _createdTicks);
}

/// <summary>
/// The DOM <c>MessageEvent</c> for a received message. <see cref="Data"/> is a <see cref="string"/> for
/// text, and for binary a <see cref="Whatwg.WebSockets.Blob"/> or a <see cref="byte"/> array according to
/// <see cref="WebSocket.BinaryType"/> when the message was received.
/// </summary>
public sealed class MessageEvent : Event
{
    /// <summary>Creates a message event.</summary>
    /// <param name="data">A <see cref="string"/>, <see cref="byte"/> array or <see cref="Whatwg.WebSockets.Blob"/>.</param>
    /// <param name="origin">The serialization of the WebSocket URL's origin.</param>
    public MessageEvent(object data, string origin)
        : base("message")
    {
        ArgumentNullException.ThrowIfNull(data);
        Data = data;
        Origin = origin;
    }

    /// <summary>The message: <see cref="string"/> (text), <see cref="byte"/>[] or <see cref="Whatwg.WebSockets.Blob"/> (binary).</summary>
    public object Data { get; }

    /// <summary>The serialization of the WebSocket URL's origin, e.g. <c>"wss://example.com"</c>.</summary>
    public string Origin { get; }

    /// <summary>Always <c>""</c> for WebSocket messages (the DOM's <c>lastEventId</c>).</summary>
#pragma warning disable CA1822 // an instance property, as in the DOM interface
    public string LastEventId => string.Empty;
#pragma warning restore CA1822

    /// <summary>True for a text message.</summary>
    public bool IsText => Data is string;

    /// <summary>True for a binary message (whatever its <see cref="BinaryType"/>).</summary>
    public bool IsBinary => Data is not string;

    /// <summary>The text of a text message.</summary>
    /// <exception cref="InvalidOperationException">The message is binary.</exception>
    public string Text => Data as string ?? throw new InvalidOperationException("The message is binary; use Bytes or Blob.");

    /// <summary>The bytes of a binary message (for a <see cref="Whatwg.WebSockets.Blob"/>, its content; no copy is made).</summary>
    /// <exception cref="InvalidOperationException">The message is text.</exception>
    public byte[] Bytes => Data switch
    {
        byte[] bytes => bytes,
        Blob blob => blob.GetBytesUnsafe(),
        _ => throw new InvalidOperationException("The message is text; use Text."),
    };

    /// <summary>The message as a <see cref="Whatwg.WebSockets.Blob"/> (wrapping the bytes when it arrived as an array buffer).</summary>
    /// <exception cref="InvalidOperationException">The message is text.</exception>
    public Blob Blob => Data switch
    {
        Blob blob => blob,
        byte[] bytes => Blob.Wrap(bytes, string.Empty),
        _ => throw new InvalidOperationException("The message is text; use Text."),
    };
}

/// <summary>
/// The <c>error</c> event. In a browser it is a plain <c>Event</c> that hides the cause; here
/// <see cref="Exception"/> names it (handshake status, protocol violation, socket error, timeout).
/// </summary>
public sealed class ErrorEvent : Event
{
    /// <summary>Creates an error event for a cause.</summary>
    /// <param name="exception">Why the connection failed.</param>
    public ErrorEvent(WebSocketFailureException exception)
        : base("error")
    {
        ArgumentNullException.ThrowIfNull(exception);
        Exception = exception;
    }

    /// <summary>Why the connection failed.</summary>
    public WebSocketFailureException Exception { get; }

    /// <summary>A sentence naming the cause.</summary>
    public string Message => Exception.Message;
}

/// <summary>The DOM <c>CloseEvent</c>.</summary>
public sealed class CloseEvent : Event
{
    /// <summary>Creates a close event.</summary>
    /// <param name="wasClean">Whether the closing handshake completed.</param>
    /// <param name="code">The close code (1005 when the server's Close frame had none, 1006 when none arrived).</param>
    /// <param name="reason">The server's close reason, or <c>""</c>.</param>
    public CloseEvent(bool wasClean, int code, string reason)
        : base("close")
    {
        WasClean = wasClean;
        Code = code;
        Reason = reason ?? string.Empty;
    }

    /// <summary>True when the connection closed after a completed closing handshake.</summary>
    public bool WasClean { get; }

    /// <summary>
    /// The WebSocket connection close code: the server's status code, 1005 when its Close frame had none,
    /// 1006 when the connection ended without one (including every failure).
    /// </summary>
    public int Code { get; }

    /// <summary>The server's close reason, or <c>""</c>.</summary>
    public string Reason { get; }

    /// <summary>
    /// Beyond the spec: why the connection did not close cleanly (failure, dropped connection, close timeout),
    /// or null after a clean close. For a failure it is the same exception the <c>error</c> event carried.
    /// </summary>
    public WebSocketFailureException? Failure { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"close {Code}{(Reason.Length > 0 ? " " + Reason : string.Empty)} (wasClean={WasClean})";
}
