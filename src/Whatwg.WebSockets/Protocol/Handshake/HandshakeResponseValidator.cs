using Whatwg.WebSockets.Protocol.Compression;

namespace Whatwg.WebSockets.Protocol.Handshake;

/// <summary>The outcome of judging a handshake response: accepted with the negotiated values, or a failure with its cause.</summary>
/// <param name="Failure">None when accepted; otherwise which check failed.</param>
/// <param name="Message">Why it failed, in one sentence ("" when accepted).</param>
/// <param name="Protocol">The subprotocol the server chose ("" for none).</param>
/// <param name="Extensions">The extensions the server accepted, for the <c>extensions</c> attribute.</param>
/// <param name="Deflate">The permessage-deflate parameters agreed on, or null when the server did not accept it.</param>
internal readonly record struct HandshakeResult(HandshakeFailure Failure, string Message, string Protocol, string Extensions, NegotiatedDeflate? Deflate = null)
{
    public bool Succeeded => Failure == HandshakeFailure.None;
}

/// <summary>
/// Judges a server's opening-handshake response against RFC 6455 §4.1 ("the client MUST validate the
/// server's response as follows") and the WHATWG algorithm. It takes plain values, not an HTTP type, so
/// any transport (HTTP/1.1 today, RFC 8441 later) can use it and tests can feed it tables.
/// </summary>
internal static class HandshakeResponseValidator
{
    /// <param name="statusCode">The response status.</param>
    /// <param name="reasonPhrase">The response's reason phrase, for the message.</param>
    /// <param name="headers">Response header lines as (name, value) pairs; names compare case-insensitively.</param>
    /// <param name="key">The Sec-WebSocket-Key we sent.</param>
    /// <param name="offeredProtocols">The subprotocols we offered.</param>
    /// <param name="offeredDeflate">The permessage-deflate offer we sent, or null when we offered no extension.</param>
    public static HandshakeResult Validate(
        int statusCode,
        string? reasonPhrase,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        string key,
        IReadOnlyList<string> offeredProtocols,
        PerMessageDeflateSettings? offeredDeflate)
    {
        if (statusCode != 101)
        {
            string phrase = string.IsNullOrEmpty(reasonPhrase) ? string.Empty : " " + reasonPhrase;
            string more = string.Empty;
            if (statusCode is >= 300 and < 400)
            {
                // Say where the server pointed, so the user can connect there deliberately (WHATWG: never followed).
                List<string> location = Values(headers, "Location");
                more = location.Count == 1 && location[0].Length is > 0 and <= 512
                    ? $" (redirects are not followed; Location: {location[0].Trim()})"
                    : " (redirects are not followed)";
            }

            return Fail(HandshakeFailure.UnexpectedStatus, $"server answered {statusCode}{phrase}{more}");
        }

        List<string> upgrade = Values(headers, "Upgrade");
        if (upgrade.Count != 1 || !string.Equals(upgrade[0].Trim(), "websocket", StringComparison.OrdinalIgnoreCase))
        {
            return Fail(HandshakeFailure.MissingUpgrade, "the 101 response has no 'Upgrade: websocket' header");
        }

        List<string> connection = HeaderGrammar.SplitList(Values(headers, "Connection"));
        if (!connection.Exists(static t => string.Equals(t, "Upgrade", StringComparison.OrdinalIgnoreCase)))
        {
            return Fail(HandshakeFailure.MissingConnectionUpgrade, "the 101 response has no 'Connection: Upgrade' header");
        }

        List<string> accept = Values(headers, "Sec-WebSocket-Accept");
        if (accept.Count != 1 || !string.Equals(accept[0].Trim(), HandshakeKey.ComputeAccept(key), StringComparison.Ordinal))
        {
            return Fail(HandshakeFailure.BadAccept, accept.Count == 0
                ? "the 101 response has no Sec-WebSocket-Accept header"
                : "the server's Sec-WebSocket-Accept does not match the key we sent");
        }

        // Item 5: every extension in the response must be one we offered; RFC 7692 §5 then judges its parameters.
        List<string> extensionValues = Values(headers, "Sec-WebSocket-Extensions");
        string extensions = string.Join(", ", HeaderGrammar.SplitList(extensionValues));
        foreach (string extension in HeaderGrammar.SplitList(extensionValues))
        {
            string name = extension.Split(';')[0].Trim();
            if (offeredDeflate is null || !string.Equals(name, PerMessageDeflateNegotiation.ExtensionName, StringComparison.OrdinalIgnoreCase))
            {
                return Fail(HandshakeFailure.UnofferedExtension, $"the server chose an extension we did not offer ({Printable(name)})");
            }
        }

        NegotiatedDeflate? deflate = null;
        if (extensions.Length > 0 && offeredDeflate is not null
            && !PerMessageDeflateNegotiation.TryParseResponse(extensionValues, offeredDeflate, out deflate, out string error))
        {
            return Fail(HandshakeFailure.BadExtensionParameters, error);
        }

        List<string> protocolValues = HeaderGrammar.SplitList(Values(headers, "Sec-WebSocket-Protocol"));
        string protocol = string.Empty;
        if (protocolValues.Count > 1)
        {
            return Fail(HandshakeFailure.UnofferedSubprotocol, "the server chose more than one subprotocol");
        }

        // WHATWG "establish a WebSocket connection": "If protocols is not the empty list and extracting header
        // list values given `Sec-WebSocket-Protocol` and response's header list results in null, failure, or
        // the empty byte sequence, then fail the WebSocket connection."
        if (protocolValues.Count == 0 && offeredProtocols.Count > 0)
        {
            return Fail(HandshakeFailure.MissingSubprotocol, "the server chose none of the subprotocols we offered");
        }

        if (protocolValues.Count == 1)
        {
            protocol = protocolValues[0];
            bool offered = false;
            foreach (string p in offeredProtocols)
            {
                offered |= string.Equals(p, protocol, StringComparison.Ordinal);
            }

            if (!offered)
            {
                return Fail(HandshakeFailure.UnofferedSubprotocol, $"the server chose a subprotocol we did not offer ({Printable(protocol)})");
            }
        }

        return new HandshakeResult(HandshakeFailure.None, string.Empty, protocol, deflate?.Extensions ?? extensions, deflate);
    }

    private static HandshakeResult Fail(HandshakeFailure failure, string message) => new(failure, message, string.Empty, string.Empty);

    private static bool Contains(IReadOnlyList<string> list, string name)
    {
        foreach (string item in list)
        {
            if (string.Equals(item, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static List<string> Values(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        var values = new List<string>(1);
        foreach (KeyValuePair<string, string> header in headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                values.Add(header.Value);
            }
        }

        return values;
    }

    /// <summary>Peer text in our messages is cut short and limited to visible ASCII.</summary>
    private static string Printable(string value)
    {
        var chars = new System.Text.StringBuilder();
        foreach (char c in value)
        {
            if (chars.Length == 40)
            {
                chars.Append('…');
                break;
            }

            chars.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return chars.ToString();
    }
}
