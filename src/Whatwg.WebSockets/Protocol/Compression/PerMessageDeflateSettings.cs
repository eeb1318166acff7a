namespace Whatwg.WebSockets.Protocol.Compression;

/// <summary>
/// What the client asks for in its permessage-deflate offer (RFC 7692 §7.1) and how it compresses once the
/// server agrees. The window parameters are base-2 logarithms of the LZ77 window size, 8 to 15.
/// </summary>
internal sealed record PerMessageDeflateSettings
{
    public const int MinWindowBits = 8;
    public const int MaxWindowBits = 15;

    /// <summary>Offer nothing (and compress nothing) when false.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// The largest window we will compress with, sent as client_max_window_bits=N; null sends the bare parameter,
    /// which only tells the server it may choose a value for us (§7.1.2.2).
    /// </summary>
    public int? ClientMaxWindowBits { get; init; }

    /// <summary>server_max_window_bits=N: the largest window the server may compress with; null asks for no limit.</summary>
    public int? ServerMaxWindowBits { get; init; }

    /// <summary>client_no_context_takeover: we start every message with an empty window (less memory, less compression).</summary>
    public bool ClientNoContextTakeover { get; init; }

    /// <summary>server_no_context_takeover: we ask the server to start every message with an empty window.</summary>
    public bool ServerNoContextTakeover { get; init; }

    /// <summary>Messages shorter than this many bytes are sent uncompressed (RSV1 clear).</summary>
    public int Threshold { get; init; } = 1024;

    /// <summary>zlib's compression level, 0 to 9.</summary>
    public int CompressionLevel { get; init; } = Deflater.DefaultCompressionLevel;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a value outside its range.</summary>
    public void Validate()
    {
        if (ClientMaxWindowBits is int client)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(client, MinWindowBits, nameof(ClientMaxWindowBits));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(client, MaxWindowBits, nameof(ClientMaxWindowBits));
        }

        if (ServerMaxWindowBits is int server)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(server, MinWindowBits, nameof(ServerMaxWindowBits));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(server, MaxWindowBits, nameof(ServerMaxWindowBits));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(Threshold, nameof(Threshold));
        ArgumentOutOfRangeException.ThrowIfNegative(CompressionLevel, nameof(CompressionLevel));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CompressionLevel, 9, nameof(CompressionLevel));
    }
}
