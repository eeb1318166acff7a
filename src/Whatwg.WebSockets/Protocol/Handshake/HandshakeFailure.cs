namespace Whatwg.WebSockets.Protocol.Handshake;

/// <summary>Each check of RFC 6455 §4.1 (client side) and the WHATWG "establish a WebSocket connection" that a response can fail.</summary>
internal enum HandshakeFailure
{
    None = 0,
    /// <summary>§4.1: "If the status code received from the server is not 101, the client handles the response per HTTP" — for us, a failure (redirects are not followed).</summary>
    UnexpectedStatus,
    /// <summary>§4.1, item 2: no Upgrade header, or one that is not "websocket".</summary>
    MissingUpgrade,
    /// <summary>§4.1, item 3: no Connection header holding the token "Upgrade".</summary>
    MissingConnectionUpgrade,
    /// <summary>§4.1, item 4: Sec-WebSocket-Accept absent or not base64(SHA-1(key + GUID)).</summary>
    BadAccept,
    /// <summary>§4.1, item 5: an extension the client did not offer.</summary>
    UnofferedExtension,
    /// <summary>§4.1, item 6: a subprotocol the client did not offer (or more than one).</summary>
    UnofferedSubprotocol,
    /// <summary>WHATWG: subprotocols were offered and the response selected none.</summary>
    MissingSubprotocol,
    /// <summary>RFC 7692: the extension's parameters do not match what was offered.</summary>
    BadExtensionParameters,
}
