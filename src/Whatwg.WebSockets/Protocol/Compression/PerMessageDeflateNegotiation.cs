using System.Globalization;
using System.Text;
using Whatwg.WebSockets.Protocol.Handshake;

namespace Whatwg.WebSockets.Protocol.Compression;

/// <summary>
/// The handshake half of permessage-deflate: the offer we send in Sec-WebSocket-Extensions (RFC 7692 §7.1) and
/// the strict check of the server's answer (§5, §7 and the extension-list grammar of RFC 6455 §9.1).
/// </summary>
/// <remarks>
/// Names of extensions and parameters compare case-insensitively, as the handshake validator compares extension
/// names. Spaces and tabs are allowed around ',', ';' and '=' (the implied linear whitespace of RFC 6455's ABNF).
/// Error messages name parameters but never echo values, and cut long names short.
/// </remarks>
internal static class PerMessageDeflateNegotiation
{
    public const string ExtensionName = "permessage-deflate";

    private const string ServerNoContextTakeover = "server_no_context_takeover";
    private const string ClientNoContextTakeover = "client_no_context_takeover";
    private const string ServerMaxWindowBits = "server_max_window_bits";
    private const string ClientMaxWindowBits = "client_max_window_bits";

    /// <summary>
    /// The Sec-WebSocket-Extensions value offering permessage-deflate with <paramref name="settings"/>, or the
    /// empty string when they are disabled. client_max_window_bits is always offered (bare when no value is
    /// configured): it costs nothing and lets a server that is short of memory choose a smaller window for us.
    /// </summary>
    public static string BuildOffer(PerMessageDeflateSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (!settings.Enabled)
        {
            return string.Empty;
        }

        var offer = new StringBuilder(ExtensionName).Append("; ").Append(ClientMaxWindowBits);
        if (settings.ClientMaxWindowBits is int client)
        {
            offer.Append('=').Append(client.ToString(CultureInfo.InvariantCulture));
        }

        if (settings.ServerMaxWindowBits is int server)
        {
            offer.Append("; ").Append(ServerMaxWindowBits).Append('=').Append(server.ToString(CultureInfo.InvariantCulture));
        }

        if (settings.ClientNoContextTakeover)
        {
            offer.Append("; ").Append(ClientNoContextTakeover);
        }

        if (settings.ServerNoContextTakeover)
        {
            offer.Append("; ").Append(ServerNoContextTakeover);
        }

        return offer.ToString();
    }

    /// <inheritdoc cref="TryParseResponse(IReadOnlyList{string}, PerMessageDeflateSettings, out NegotiatedDeflate?, out string)"/>
    public static bool TryParseResponse(string? headerValue, PerMessageDeflateSettings offered, out NegotiatedDeflate? result, out string error) =>
        TryParseResponse(headerValue is null ? [] : [headerValue], offered, out result, out error);

    /// <summary>
    /// Judges the server's Sec-WebSocket-Extensions header (all its field lines, in order) against what we
    /// offered. True with a null <paramref name="result"/>: the server declined compression (no extension at all).
    /// True with a result: the agreed parameters. False: the response breaks RFC 7692 or RFC 6455 §9.1 and the
    /// client must fail the connection (RFC 6455 §4.1, item 5); <paramref name="error"/> says why in one sentence.
    /// </summary>
    public static bool TryParseResponse(IReadOnlyList<string> headerValues, PerMessageDeflateSettings offered, out NegotiatedDeflate? result, out string error)
    {
        ArgumentNullException.ThrowIfNull(headerValues);
        ArgumentNullException.ThrowIfNull(offered);
        result = null;
        string text = string.Join(",", headerValues);
        List<KeyValuePair<string, string?>>? parameters = null;
        int position = 0;
        while (true)
        {
            SkipWhitespace(text, ref position);
            if (position == text.Length)
            {
                break;
            }

            if (text[position] == ',')
            {
                // Empty list elements are allowed and mean nothing (RFC 9110 §5.6.1).
                position++;
                continue;
            }

            if (!TryReadElement(text, ref position, out string name, out List<KeyValuePair<string, string?>> elementParameters, out error))
            {
                return false;
            }

            // RFC 6455 §4.1, item 5: only extensions that were offered; RFC 7692 §5: one accepted offer at most.
            if (!offered.Enabled || !string.Equals(name, ExtensionName, StringComparison.OrdinalIgnoreCase))
            {
                error = $"the server accepted an extension we did not offer ('{Shorten(name)}')";
                return false;
            }

            if (parameters is not null)
            {
                error = "the server accepted permessage-deflate more than once";
                return false;
            }

            parameters = elementParameters;
        }

        if (parameters is null)
        {
            error = string.Empty;
            return true;
        }

        return TryAgree(parameters, offered, Trimmed(headerValues), out result, out error);
    }

    /// <summary>extension = extension-token *( ";" extension-param ), up to the next ',' or the end.</summary>
    private static bool TryReadElement(string text, ref int position, out string name, out List<KeyValuePair<string, string?>> parameters, out string error)
    {
        parameters = [];
        if (!TryReadToken(text, ref position, out name))
        {
            error = "Sec-WebSocket-Extensions: expected an extension name";
            return false;
        }

        SkipWhitespace(text, ref position);
        while (position < text.Length && text[position] == ';')
        {
            position++;
            SkipWhitespace(text, ref position);
            if (!TryReadToken(text, ref position, out string parameter))
            {
                error = "Sec-WebSocket-Extensions: expected a parameter name after ';'";
                return false;
            }

            SkipWhitespace(text, ref position);
            string? value = null;
            if (position < text.Length && text[position] == '=')
            {
                position++;
                SkipWhitespace(text, ref position);
                if (!TryReadValue(text, ref position, parameter, out value, out error))
                {
                    return false;
                }

                SkipWhitespace(text, ref position);
            }

            parameters.Add(new(parameter, value));
        }

        if (position < text.Length && text[position] != ',')
        {
            error = "Sec-WebSocket-Extensions: expected ',' or ';' after an extension or parameter";
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <summary>extension-param value: token / quoted-string, which after unquoting "MUST conform to the 'token' ABNF" (§9.1).</summary>
    private static bool TryReadValue(string text, ref int position, string parameter, out string? value, out string error)
    {
        value = null;
        if (position < text.Length && text[position] == '"')
        {
            if (!TryReadQuotedString(text, ref position, out string unquoted))
            {
                error = "Sec-WebSocket-Extensions: a quoted value is not terminated or holds a control character";
                return false;
            }

            if (!HeaderGrammar.IsToken(unquoted))
            {
                error = $"permessage-deflate: the quoted value of '{Shorten(parameter)}' is not a token";
                return false;
            }

            value = unquoted;
        }
        else if (!TryReadToken(text, ref position, out value))
        {
            error = "Sec-WebSocket-Extensions: expected a value after '='";
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <summary>Applies RFC 7692 §7.1 to the parameters of the one accepted permessage-deflate element.</summary>
    private static bool TryAgree(
        List<KeyValuePair<string, string?>> parameters, PerMessageDeflateSettings offered, string extensions, out NegotiatedDeflate? result, out string error)
    {
        result = null;
        bool serverNoContextTakeover = false;
        bool clientNoContextTakeover = false;
        int? serverMaxWindowBits = null;
        int? clientMaxWindowBits = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach ((string name, string? value) in parameters)
        {
            // §7: "The negotiation response contains multiple extension parameters with the same name."
            if (!seen.Add(name))
            {
                error = $"permessage-deflate: parameter '{Shorten(name)}' appears more than once";
                return false;
            }

            if (string.Equals(name, ServerNoContextTakeover, StringComparison.OrdinalIgnoreCase))
            {
                if (!TryFlag(ServerNoContextTakeover, value, out error))
                {
                    return false;
                }

                serverNoContextTakeover = true;
            }
            else if (string.Equals(name, ClientNoContextTakeover, StringComparison.OrdinalIgnoreCase))
            {
                if (!TryFlag(ClientNoContextTakeover, value, out error))
                {
                    return false;
                }

                clientNoContextTakeover = true;
            }
            else if (string.Equals(name, ServerMaxWindowBits, StringComparison.OrdinalIgnoreCase))
            {
                if (!TryWindowBits(ServerMaxWindowBits, value, out int bits, out error))
                {
                    return false;
                }

                serverMaxWindowBits = bits;
            }
            else if (string.Equals(name, ClientMaxWindowBits, StringComparison.OrdinalIgnoreCase))
            {
                // §7.1.2.2 allows it in a response only when offered; BuildOffer always offers it.
                if (!TryWindowBits(ClientMaxWindowBits, value, out int bits, out error))
                {
                    return false;
                }

                clientMaxWindowBits = bits;
            }
            else
            {
                // §7: "The negotiation response contains an extension parameter not defined for use in a response."
                error = $"permessage-deflate: parameter '{Shorten(name)}' is not defined";
                return false;
            }
        }

        // §7.1.1.1: a server accepts an offer of server_no_context_takeover by including it in the response.
        if (offered.ServerNoContextTakeover && !serverNoContextTakeover)
        {
            error = "permessage-deflate: the server did not accept server_no_context_takeover, which we offered";
            return false;
        }

        // §7.1.2.1: it accepts server_max_window_bits by answering it "with the same or smaller value as the offer".
        if (offered.ServerMaxWindowBits is int offeredServerBits)
        {
            if (serverMaxWindowBits is not int answered)
            {
                error = "permessage-deflate: the server did not accept server_max_window_bits, which we offered";
                return false;
            }

            if (answered > offeredServerBits)
            {
                error = $"permessage-deflate: server_max_window_bits={answered} is larger than the {offeredServerBits} we offered";
                return false;
            }
        }

        // A server's client_max_window_bits above our own offered value only repeats a limit we already keep to.
        int clientBits = Math.Min(clientMaxWindowBits ?? PerMessageDeflateSettings.MaxWindowBits, offered.ClientMaxWindowBits ?? PerMessageDeflateSettings.MaxWindowBits);
        result = new NegotiatedDeflate(
            clientBits,
            serverMaxWindowBits ?? PerMessageDeflateSettings.MaxWindowBits,
            clientNoContextTakeover || offered.ClientNoContextTakeover,
            serverNoContextTakeover,
            extensions,
            offered.Threshold,
            offered.CompressionLevel);
        error = string.Empty;
        return true;
    }

    /// <summary>The *_no_context_takeover parameters have no value (§7.1.1.1, §7.1.1.2).</summary>
    private static bool TryFlag(string name, string? value, out string error)
    {
        error = value is null ? string.Empty : $"permessage-deflate: parameter '{name}' takes no value";
        return value is null;
    }

    /// <summary>
    /// §7.1.2: "a decimal integer value without leading zeroes between 8 to 15, inclusive". In a response both
    /// window parameters need the value: a bare client_max_window_bits is only meaningful in an offer.
    /// </summary>
    private static bool TryWindowBits(string name, string? value, out int bits, out string error)
    {
        bits = 0;
        if (value is null)
        {
            error = $"permessage-deflate: parameter '{name}' needs a value";
            return false;
        }

        if (value is ['8' or '9'])
        {
            bits = value[0] - '0';
        }
        else if (value is ['1', >= '0' and <= '5'])
        {
            bits = 10 + (value[1] - '0');
        }
        else
        {
            error = $"permessage-deflate: '{name}' must be a number from 8 to 15 without leading zeros";
            return false;
        }

        error = string.Empty;
        return true;
    }

    private static bool TryReadToken(string text, ref int position, out string token)
    {
        int start = position;
        while (position < text.Length && HeaderGrammar.IsTokenChar(text[position]))
        {
            position++;
        }

        token = text[start..position];
        return position > start;
    }

    /// <summary>quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4), unescaped into <paramref name="value"/>.</summary>
    private static bool TryReadQuotedString(string text, ref int position, out string value)
    {
        var unquoted = new StringBuilder();
        value = string.Empty;
        for (position++; position < text.Length; position++)
        {
            char c = text[position];
            if (c == '"')
            {
                position++;
                value = unquoted.ToString();
                return true;
            }

            if (c == '\\')
            {
                if (++position == text.Length)
                {
                    return false;
                }

                c = text[position];
            }

            if ((c < 0x20 && c != '\t') || c == 0x7F)
            {
                return false;
            }

            unquoted.Append(c);
        }

        return false;
    }

    private static void SkipWhitespace(string text, ref int position)
    {
        while (position < text.Length && text[position] is ' ' or '\t')
        {
            position++;
        }
    }

    /// <summary>The header's field lines, each trimmed, joined as one list: what the <c>extensions</c> attribute shows.</summary>
    private static string Trimmed(IReadOnlyList<string> headerValues)
    {
        var lines = new List<string>(headerValues.Count);
        foreach (string value in headerValues)
        {
            string line = value.Trim(' ', '\t');
            if (line.Length > 0)
            {
                lines.Add(line);
            }
        }

        return string.Join(", ", lines);
    }

    /// <summary>Names in messages are tokens (visible ASCII) already; only long ones are cut.</summary>
    private static string Shorten(string name) => name.Length <= 40 ? name : string.Concat(name.AsSpan(0, 40), "…");
}
