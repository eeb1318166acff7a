namespace Whatwg.WebSockets.Protocol.Handshake;

/// <summary>Pieces of the HTTP grammar (RFC 9110 §5.6) the handshake needs.</summary>
internal static class HeaderGrammar
{
    /// <summary>tchar = "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.</summary>
    public static bool IsTokenChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    /// <summary>token = 1*tchar. Subprotocol names must be tokens (RFC 6455 §4.1, item 10).</summary>
    public static bool IsToken(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!IsTokenChar(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A header value may hold visible ASCII, spaces and tabs and obs-text, but never CR, LF or NUL:
    /// those would let a value smuggle extra header lines into the request.
    /// </summary>
    public static bool IsValidFieldValue(ReadOnlySpan<char> value)
    {
        foreach (char c in value)
        {
            if (c is '\r' or '\n' or '\0' || (c < 0x20 && c != '\t') || c == 0x7F || c > 0xFF)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Splits a comma-separated header value into trimmed, non-empty elements (RFC 9110 §5.6.1).</summary>
    public static List<string> SplitList(IEnumerable<string> values)
    {
        var items = new List<string>();
        foreach (string value in values)
        {
            foreach (string part in value.Split(','))
            {
                string trimmed = part.Trim(' ', '\t');
                if (trimmed.Length > 0)
                {
                    items.Add(trimmed);
                }
            }
        }

        return items;
    }
}
