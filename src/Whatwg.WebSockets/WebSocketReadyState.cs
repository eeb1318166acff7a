namespace Whatwg.WebSockets;

/// <summary>The <c>readyState</c> values of the WHATWG WebSocket interface, with the same numbers.</summary>
public enum WebSocketReadyState
{
    /// <summary>The connection has not yet been established (0).</summary>
    Connecting = 0,

    /// <summary>The connection is established and communication is possible (1).</summary>
    Open = 1,

    /// <summary>The connection is going through the closing handshake, or <see cref="WebSocket.Close()"/> was called (2).</summary>
    Closing = 2,

    /// <summary>The connection has been closed or could not be opened (3).</summary>
    Closed = 3,
}
