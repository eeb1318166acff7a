namespace Whatwg.WebSockets;

/// <summary>
/// The opening handshake as it happened: the request sent and the server's answer (beyond the WHATWG API, which
/// hides both). Collected only when <see cref="WebSocketOptions.CollectHandshakeDetails"/> is set; see
/// <see cref="WebSocket.Handshake"/>.
/// </summary>
public sealed class HandshakeDetails
{
    internal HandshakeDetails(
        string requestLine,
        IReadOnlyList<KeyValuePair<string, string>> requestHeaders,
        int statusCode,
        string reasonPhrase,
        IReadOnlyList<KeyValuePair<string, string>> responseHeaders)
    {
        RequestLine = requestLine;
        RequestHeaders = requestHeaders;
        StatusCode = statusCode;
        ReasonPhrase = reasonPhrase;
        ResponseHeaders = responseHeaders;
    }

    /// <summary>The request line, e.g. <c>GET /chat HTTP/1.1</c>.</summary>
    public string RequestLine { get; }

    /// <summary>
    /// The request's header fields in the order sent, the random <c>Sec-WebSocket-Key</c> included. Through a proxy
    /// or with cookies or credentials, the HTTP stack may add fields (Cookie, Authorization) that are not listed.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestHeaders { get; }

    /// <summary>The response's status code: 101 when the server accepted, else what it answered instead.</summary>
    public int StatusCode { get; }

    /// <summary>The response's reason phrase, e.g. <c>Switching Protocols</c>.</summary>
    public string ReasonPhrase { get; }

    /// <summary>The response's header fields in the order received.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ResponseHeaders { get; }
}
