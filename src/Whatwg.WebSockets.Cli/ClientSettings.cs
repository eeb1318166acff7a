namespace Whatwg.WebSockets.Cli;

/// <summary>What the command line asked for, checked and ready for a <see cref="ClientSession"/>.</summary>
internal sealed record ClientSettings
{
    /// <summary>The server's URL (ws, wss, http or https).</summary>
    public required string Url { get; init; }

    /// <summary>The subprotocols to offer, in order.</summary>
    public IReadOnlyList<string> Subprotocols { get; init; } = [];

    /// <summary>How binary messages are printed.</summary>
    public BinaryFormat BinaryFormat { get; init; } = BinaryFormat.Hex;

    /// <summary>At end of input, how long the connection must be quiet before wsc closes it.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A text message to send first (the echo-server mode's greeting), or null.</summary>
    public string? Greeting { get; init; }

    /// <summary>Text messages to send once open (-x); when there are any, stdin is not read.</summary>
    public IReadOnlyList<string> Execute { get; init; } = [];

    /// <summary>Close with 1000 this long after the connection opened (-w), or null.</summary>
    public TimeSpan? Wait { get; init; }

    /// <summary>Close with 1000 once this many messages have been received (-n), or null.</summary>
    public int? Count { get; init; }

    /// <summary>Read stdin as bytes and send them as binary messages (--binary).</summary>
    public bool BinaryInput { get; init; }

    /// <summary>Print the handshake request and the negotiated subprotocol and extensions (-v).</summary>
    public bool Verbose { get; init; }

    /// <summary>Describe the keep-alive pings (--show-ping).</summary>
    public bool ShowPing { get; init; }

    /// <summary>Use the interactive prompt (stdin and stdout are a terminal).</summary>
    public bool Interactive { get; init; }

    /// <summary>Colour the interactive mode's lines.</summary>
    public bool Colour { get; init; }

    /// <summary>Prefix the interactive mode's lines with the time.</summary>
    public bool Timestamps { get; init; }

    /// <summary>Print text messages that are JSON indented (--json).</summary>
    public bool Json { get; init; }

    /// <summary>The library options: TLS, proxy, compression, timeouts, limits.</summary>
    public required WebSocketOptions Options { get; init; }

    /// <summary>Parses a <c>Name: value</c> header argument (curl's form).</summary>
    /// <returns>False when there is no colon or the name is empty.</returns>
    public static bool TryParseHeader(string text, out KeyValuePair<string, string> header)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? string.Empty : text[..colon].Trim();
        if (name.Length == 0)
        {
            header = default;
            return false;
        }

        header = new(name, text[(colon + 1)..].Trim());
        return true;
    }
}
