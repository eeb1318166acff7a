namespace Whatwg.WebSockets;

/// <summary>Which control frame a <see cref="ControlFrameEvent"/> reports.</summary>
public enum ControlFrameKind
{
    /// <summary>A Ping frame (RFC 6455 §5.5.2).</summary>
    Ping,

    /// <summary>A Pong frame (RFC 6455 §5.5.3).</summary>
    Pong,
}

/// <summary>Whether a frame came from the server or was queued by this client.</summary>
public enum FrameDirection
{
    /// <summary>The server sent it.</summary>
    Received,

    /// <summary>This client queued it: a keep-alive ping, the automatic answer to the server's ping, or <see cref="WebSocket.PingAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    Sent,
}

/// <summary>
/// A Ping or Pong frame, received or sent (beyond the WHATWG API, which hides them). Pings are answered and
/// keep-alive pings sent by the socket itself; this event only reports them, for tools and diagnostics.
/// </summary>
public sealed class ControlFrameEvent : Event
{
    /// <summary>Creates a control frame event.</summary>
    /// <param name="kind">Ping or Pong.</param>
    /// <param name="direction">Received from the server or sent by this client.</param>
    /// <param name="data">The frame's application data (at most 125 bytes).</param>
    public ControlFrameEvent(ControlFrameKind kind, FrameDirection direction, ReadOnlyMemory<byte> data)
        : base(kind == ControlFrameKind.Ping ? "ping" : "pong")
    {
        Kind = kind;
        Direction = direction;
        Data = data;
    }

    /// <summary>Ping or Pong.</summary>
    public ControlFrameKind Kind { get; }

    /// <summary>Received from the server, or sent by this client.</summary>
    public FrameDirection Direction { get; }

    /// <summary>The frame's application data, 0 to 125 bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <inheritdoc />
    public override string ToString() => $"{(Direction == FrameDirection.Sent ? "sent" : "received")} {Type} ({Data.Length} bytes)";
}
