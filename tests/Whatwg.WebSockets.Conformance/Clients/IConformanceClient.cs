using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Clients;

/// <summary>
/// A client under test. As with the Autobahn fuzzing server, it connects, echoes every message it receives
/// (same type, same bytes), and otherwise lets its WebSocket implementation handle the protocol.
/// </summary>
public interface IConformanceClient
{
    /// <summary>The name for reports.</summary>
    string Name { get; }

    /// <summary>
    /// Connects to <paramref name="url"/>, echoes until the connection ends, then returns. <paramref name="offer"/>
    /// is the permessage-deflate offer the case needs (null: the client's defaults).
    /// </summary>
    Task RunAsync(Uri url, CompressionOffer? offer, CancellationToken cancellationToken);
}
