using Whatwg.WebSockets.Protocol;

namespace Whatwg.WebSockets.Connection;

/// <summary>What the I/O driver reports to the API layer. Called from the I/O loops; implementations only queue work.</summary>
internal interface IConnectionEvents
{
    /// <summary>
    /// A whole text or binary message arrived. Returns the bytes now waiting for delivery. Its event may wait (under a
    /// captured context) until the read loop calls <see cref="OnReadHandled"/> for the read it came in.
    /// </summary>
    long OnMessage(in ReceivedFrame message);

    /// <summary>The read loop has handled one read's bytes: deliver the messages they held, if not already under way.</summary>
    void OnReadHandled();

    /// <summary>The server's Close frame arrived: the closing handshake has started.</summary>
    void OnClosingHandshakeStarted();

    /// <summary>This many application bytes were handed to the network.</summary>
    void OnBytesSent(long payloadBytes);

    /// <summary>True when someone listens for ping and pong frames (reporting them costs a copy of their data).</summary>
    bool WantsControlFrames { get; }

    /// <summary>A Ping or Pong frame arrived, or was queued to be sent. Called only when <see cref="WantsControlFrames"/>.</summary>
    void OnControlFrame(ControlFrameKind kind, FrameDirection direction, byte[] data);

    /// <summary>The connection is closed. Called exactly once.</summary>
    void OnClosed(ConnectionClosure closure);

    /// <summary>
    /// Completes when the bytes of received messages not yet delivered to listeners fall to <paramref name="threshold"/>
    /// or below (each message counts one byte more than its payload, so 0 means "all delivered"), or the socket closes.
    /// </summary>
    ValueTask WaitForDeliveryAsync(long threshold);
}

/// <summary>How the connection ended: the close event's values, and the cause when it was failed or dropped.</summary>
/// <param name="WasClean">The closing handshake completed.</param>
/// <param name="Code">The connection close code (the server's, 1005, or 1006).</param>
/// <param name="Reason">The server's reason, or "".</param>
/// <param name="Failure">The cause, when the connection did not close cleanly.</param>
/// <param name="Failed">True when the connection was failed (the error event is fired), false when it merely ended abnormally.</param>
internal sealed record ConnectionClosure(bool WasClean, int Code, string Reason, WebSocketFailureException? Failure, bool Failed);
