namespace Whatwg.WebSockets;

/// <summary>
/// Why a connection failed. Browsers keep this from scripts; a .NET program gets it in
/// <see cref="ErrorEvent.Exception"/>. Values are grouped by where the failure was seen.
/// </summary>
public enum WebSocketFailure
{
    /// <summary>No failure.</summary>
    None = 0,

    // 1xx: establishing the connection.

    /// <summary>The TCP connection (or proxy tunnel) could not be made.</summary>
    ConnectFailed = 100,

    /// <summary>The TLS handshake failed, e.g. the server's certificate was not trusted.</summary>
    TlsFailed = 101,

    /// <summary>The server's response broke the opening handshake (status, headers, accept key, subprotocol, extension).</summary>
    HandshakeFailed = 102,

    /// <summary>The connection was not established within <see cref="WebSocketOptions.ConnectTimeout"/>.</summary>
    ConnectTimeout = 103,

    /// <summary><see cref="WebSocket.Close()"/> or disposal cancelled the connection attempt.</summary>
    ConnectAborted = 104,

    // 2xx: the peer broke the protocol.

    /// <summary>The server broke RFC 6455 (bad frame, bad UTF-8, bad close code, ...); see <see cref="WebSocketFailureException.CloseCodeSent"/>.</summary>
    ProtocolViolation = 200,

    /// <summary>A message exceeded <see cref="WebSocketOptions.MaxMessageSize"/> (we sent 1009).</summary>
    MessageTooBig = 201,

    // 3xx: the transport or the liveness checks.

    /// <summary>The connection was reset or dropped without a closing handshake.</summary>
    ConnectionLost = 300,

    /// <summary>The server did not finish the closing handshake within <see cref="WebSocketOptions.CloseTimeout"/>.</summary>
    CloseTimeout = 301,

    /// <summary>No pong came back within <see cref="WebSocketOptions.KeepAliveTimeout"/>.</summary>
    KeepAliveTimeout = 302,

    /// <summary>More than <see cref="WebSocketOptions.MaxBufferedAmount"/> bytes were queued (the spec's "full" case).</summary>
    BufferFull = 303,
}

/// <summary>The cause of a failed connection, delivered with the <c>error</c> event.</summary>
public sealed class WebSocketFailureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WebSocketFailureException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public WebSocketFailureException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public WebSocketFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a given failure.</summary>
    /// <param name="failure">What went wrong.</param>
    /// <param name="message">A sentence naming the cause.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public WebSocketFailureException(WebSocketFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    /// <summary>What went wrong.</summary>
    public WebSocketFailure Failure { get; init; }

    /// <summary>For a rejected handshake, the HTTP status the server answered (e.g. 403), else null.</summary>
    public int? HandshakeStatusCode { get; init; }

    /// <summary>The handshake that failed, when <see cref="WebSocketOptions.CollectHandshakeDetails"/> was set and a response came.</summary>
    internal HandshakeDetails? Handshake { get; init; }

    /// <summary>The status code we sent in our Close frame when failing (1002, 1007, 1009), else null.</summary>
    public int? CloseCodeSent { get; init; }
}
