using Whatwg.WebSockets.Protocol.Compression;

namespace Whatwg.WebSockets.Transport;

/// <summary>An established connection: the duplex stream after the 101 response, and what the handshake negotiated.</summary>
internal sealed record TransportConnection(Stream Stream, string Protocol, string Extensions, NegotiatedDeflate? Deflate = null, HandshakeDetails? Handshake = null) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}
