namespace Whatwg.WebSockets.Protocol;

/// <summary>
/// Where the closing handshake stands, named after who did what (RFC 6455 §7). The public
/// <c>ReadyState</c> is a projection of this plus the transport's state.
/// <code>
///            StartClosingHandshake              peer's Close
///   Open ───────────────────────────▶ CloseSentByUs ───────────────▶ CloseAcknowledged
///     │  peer's Close (we echo it at once)                                 ▲
///     └────────────────────────────────────────────────────────────────────┘
///     │  violation / FailConnection (Close with 1002/1007/1009 if none sent yet)
///     └──────────────────────────────────────▶ Failed
/// </code>
/// </summary>
internal enum EngineState : byte
{
    /// <summary>Data may flow both ways.</summary>
    Open,

    /// <summary>We sent a Close frame and wait for the peer's (§7.1.2); we send no more data.</summary>
    CloseSentByUs,

    /// <summary>Both Close frames have been exchanged (§7.1.3); waiting for the server to close TCP.</summary>
    CloseAcknowledged,

    /// <summary>We failed the connection (§7.1.7); the transport is to be closed once the output is flushed.</summary>
    Failed,
}
