namespace Whatwg.WebSockets.Protocol.Compression;

/// <summary>
/// The permessage-deflate parameters both sides agreed on in the handshake ("agreed parameters", RFC 7692 §5),
/// resolved to what each direction actually uses.
/// </summary>
/// <param name="ClientMaxWindowBits">The window we may compress with: the server's client_max_window_bits, else ours, else 15.</param>
/// <param name="ServerMaxWindowBits">The window the server compresses with: its server_max_window_bits, else 15.</param>
/// <param name="ClientNoContextTakeover">We reset our window after every message (the server asked, or we offered to).</param>
/// <param name="ServerNoContextTakeover">The server resets its window after every message, so we reset ours for inflating.</param>
/// <param name="Extensions">The server's Sec-WebSocket-Extensions value as received (trimmed), for the <c>extensions</c> attribute.</param>
/// <param name="Threshold">From the settings: messages shorter than this are sent uncompressed.</param>
/// <param name="CompressionLevel">From the settings: zlib's level for our messages.</param>
internal sealed record NegotiatedDeflate(
    int ClientMaxWindowBits,
    int ServerMaxWindowBits,
    bool ClientNoContextTakeover,
    bool ServerNoContextTakeover,
    string Extensions,
    int Threshold,
    int CompressionLevel)
{
    /// <summary>True when a message of <paramref name="length"/> bytes should be sent compressed.</summary>
    public bool ShouldCompress(long length) => length >= Threshold;

    /// <summary>The compressor for our messages under these parameters.</summary>
    public Deflater CreateDeflater() => new(ClientMaxWindowBits, ClientNoContextTakeover, CompressionLevel);

    /// <summary>The decompressor for the server's messages under these parameters.</summary>
    public Inflater CreateInflater(long maxMessageSize) => new(ServerMaxWindowBits, ServerNoContextTakeover, maxMessageSize);
}
