using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Clients;

/// <summary>Our client: an echo written against the WHATWG API, as a web page would write it.</summary>
public sealed class WhatwgClient : IConformanceClient
{
    public string Name => "Whatwg.WebSockets";

    public async Task RunAsync(Uri url, CompressionOffer? offer, CancellationToken cancellationToken)
    {
        var options = new WebSocketOptions
        {
            KeepAliveInterval = Timeout.InfiniteTimeSpan,
            CloseTimeout = TimeSpan.FromSeconds(3),
            MaxMessageSize = 64L * 1024 * 1024,
            Dispatch = EventDispatch.ThreadPool,
        };

        // Compression is on by default; a case that needs a particular offer states it, and everything else
        // (threshold, level) stays at the defaults a user gets.
        if (offer is not null)
        {
            options.Compression = new DeflateOptions
            {
                ClientMaxWindowBits = offer.ClientMaxWindowBits,
                ClientContextTakeover = !offer.ClientNoContextTakeover,
                ServerMaxWindowBits = offer.ServerMaxWindowBits,
                ServerContextTakeover = !offer.ServerNoContextTakeover,
            };
        }

        await using var socket = new WebSocket(url, null, options) { BinaryType = BinaryType.ArrayBuffer };
        socket.OnMessage = e =>
        {
            if (e.Data is string text)
            {
                socket.Send(text);
            }
            else
            {
                socket.Send((byte[])e.Data);
            }
        };
        await socket.WhenClosed.WaitAsync(cancellationToken);
    }
}
