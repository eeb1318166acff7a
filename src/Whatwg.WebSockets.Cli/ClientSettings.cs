namespace Whatwg.WebSockets.Cli;

/// <summary>What the command line asked for, checked and ready for a <see cref="ClientSession"/>.</summary>
/// <param name="Url">The server's URL (ws, wss, http or https).</param>
/// <param name="Subprotocols">The subprotocols to offer, in order.</param>
/// <param name="Headers">Extra request headers for the opening handshake.</param>
/// <param name="BinaryFormat">How binary messages are printed.</param>
/// <param name="Linger">At end of input, how long the connection must be quiet before wsc closes it.</param>
/// <param name="Greeting">A text message to send first (the echo-server mode's greeting), or null.</param>
internal sealed record ClientSettings(
    string Url,
    IReadOnlyList<string> Subprotocols,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    BinaryFormat BinaryFormat,
    TimeSpan Linger,
    string? Greeting)
{
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
