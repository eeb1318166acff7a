using Whatwg.WebSockets.Protocol.Compression;
using Whatwg.WebSockets.Protocol.Handshake;

namespace Whatwg.WebSockets.Internal;

/// <summary>Checks <see cref="WebSocketOptions"/> when a socket is constructed, so mistakes surface as exceptions there and not as failures later.</summary>
internal static class OptionsValidator
{
    // The handshake's own headers: set by us, never by the caller (RFC 6455 §4.1; Fetch's forbidden names).
    private static readonly HashSet<string> s_reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Upgrade", "Connection", "Content-Length", "Transfer-Encoding", "Keep-Alive", "TE", "Trailer",
        "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "Sec-WebSocket-Accept",
    };

    public static void Validate(WebSocketOptions options)
    {
        Positive(options.ConnectTimeout, nameof(options.ConnectTimeout));
        Positive(options.CloseTimeout, nameof(options.CloseTimeout));
        Positive(options.KeepAliveTimeout, nameof(options.KeepAliveTimeout));
        if (options.KeepAliveInterval < TimeSpan.Zero && options.KeepAliveInterval != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.KeepAliveInterval, "KeepAliveInterval must be zero, positive or infinite.");
        }

        WithinTimerRange(options.KeepAliveInterval, nameof(options.KeepAliveInterval));

        if (options.MaxMessageSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxMessageSize, "MaxMessageSize must be positive.");
        }

        if (options.MaxBufferedAmount <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBufferedAmount, "MaxBufferedAmount must be positive.");
        }

        if (options.MaxUndeliveredBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxUndeliveredBytes, "MaxUndeliveredBytes must be positive.");
        }

        if (options.Origin is not null && (options.Origin.Length == 0 || !HeaderGrammar.IsValidFieldValue(options.Origin)))
        {
            throw new ArgumentException("Origin must be a non-empty header value without control characters.", nameof(options));
        }
    }

    /// <summary>The permessage-deflate offer the options ask for (null: none), checked now so mistakes surface in the constructor.</summary>
    public static PerMessageDeflateSettings? DeflateSettings(WebSocketOptions options)
    {
        if (options.Compression is not DeflateOptions deflate)
        {
            return null;
        }

        WindowBits(deflate.ClientMaxWindowBits, nameof(deflate.ClientMaxWindowBits));
        WindowBits(deflate.ServerMaxWindowBits, nameof(deflate.ServerMaxWindowBits));
        if (deflate.Threshold < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), deflate.Threshold, "Compression.Threshold must be zero or positive.");
        }

        if (deflate.CompressionLevel is < 1 or > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(options), deflate.CompressionLevel, "Compression.CompressionLevel must be 1 to 9.");
        }

        return new PerMessageDeflateSettings
        {
            ClientMaxWindowBits = deflate.ClientMaxWindowBits == PerMessageDeflateSettings.MaxWindowBits ? null : deflate.ClientMaxWindowBits,
            ServerMaxWindowBits = deflate.ServerMaxWindowBits == PerMessageDeflateSettings.MaxWindowBits ? null : deflate.ServerMaxWindowBits,
            ClientNoContextTakeover = !deflate.ClientContextTakeover,
            ServerNoContextTakeover = !deflate.ServerContextTakeover,
            Threshold = deflate.Threshold,
            CompressionLevel = deflate.CompressionLevel,
        };

        static void WindowBits(int value, string name)
        {
            if (value is < 9 or > PerMessageDeflateSettings.MaxWindowBits)
            {
                throw new ArgumentOutOfRangeException(nameof(options), value, $"Compression.{name} must be 9 to 15.");
            }
        }
    }

    /// <summary>Request headers checked before anything is sent: names are tokens, values hold no CR, LF or NUL.</summary>
    public static KeyValuePair<string, string>[] CheckedHeaders(WebSocketOptions options)
    {
        var headers = new List<KeyValuePair<string, string>>(options.RequestHeaders.Count);
        foreach (KeyValuePair<string, string> header in options.RequestHeaders)
        {
            if (!HeaderGrammar.IsToken(header.Key))
            {
                throw new ArgumentException($"The request header name '{header.Key}' is not a valid HTTP token.", nameof(options));
            }

            if (s_reserved.Contains(header.Key) || header.Key.Equals("Origin", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"The request header '{header.Key}' is set by the handshake itself{(header.Key.Equals("Origin", StringComparison.OrdinalIgnoreCase) ? "; use WebSocketOptions.Origin" : string.Empty)}.", nameof(options));
            }

            if (header.Value is null || !HeaderGrammar.IsValidFieldValue(header.Value))
            {
                throw new ArgumentException($"The value of request header '{header.Key}' contains a control character (CR, LF, NUL...).", nameof(options));
            }

            headers.Add(header);
        }

        return [.. headers];
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive or infinite.");
        }

        WithinTimerRange(value, name);
    }

    /// <summary>Timers and cancellation take at most 2^32 - 2 ms (about 49.7 days); longer means infinite.</summary>
    private static void WithinTimerRange(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && value.TotalMilliseconds > MaxTimerMilliseconds)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at most {MaxTimerMilliseconds} ms (about 49 days); use Timeout.InfiniteTimeSpan for no limit.");
        }
    }

    private const double MaxTimerMilliseconds = uint.MaxValue - 1.0;
}
