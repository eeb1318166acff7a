namespace Whatwg.WebSockets;

/// <summary>
/// permessage-deflate (RFC 7692), the compression browsers offer on every connection. On by default
/// (<see cref="WebSocketOptions.Compression"/>); set that property to null to offer nothing. The server decides
/// whether compression is used; <see cref="WebSocket.Extensions"/> shows what it accepted.
/// </summary>
/// <remarks>
/// Window sizes are base-2 logarithms of the LZ77 window, 9 to 15 (8 is accepted from a server and compressed
/// as 9, as zlib does). Smaller windows and no context takeover cost less memory per connection and compress less.
/// </remarks>
public sealed class DeflateOptions
{
    /// <summary>
    /// The largest window we compress with. 15 (the default) offers the bare <c>client_max_window_bits</c>
    /// parameter, which lets the server pick a smaller one; a smaller value is offered as a limit.
    /// </summary>
    public int ClientMaxWindowBits { get; set; } = 15;

    /// <summary>The largest window the server may compress with; below 15 it is offered as <c>server_max_window_bits</c>. Default 15.</summary>
    public int ServerMaxWindowBits { get; set; } = 15;

    /// <summary>
    /// Whether we keep our compression window from one message to the next (better ratios for similar messages).
    /// False offers <c>client_no_context_takeover</c>. Default true.
    /// </summary>
    public bool ClientContextTakeover { get; set; } = true;

    /// <summary>
    /// Whether the server may keep its window from one message to the next. False offers
    /// <c>server_no_context_takeover</c>, and a server that does not agree fails the handshake. Default true.
    /// </summary>
    public bool ServerContextTakeover { get; set; } = true;

    /// <summary>
    /// Messages shorter than this many bytes (UTF-8 bytes for text) are sent uncompressed: for small messages
    /// compression costs more CPU than it saves bytes. Default 1024; 0 compresses every message.
    /// </summary>
    public int Threshold { get; set; } = 1024;

    /// <summary>zlib's compression level for our messages, 1 (fastest) to 9 (smallest). Default 6.</summary>
    public int CompressionLevel { get; set; } = 6;
}
