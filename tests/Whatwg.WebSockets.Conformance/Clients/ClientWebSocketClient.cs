using System.Net.WebSockets;
using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Clients;

/// <summary>The reference column: <see cref="ClientWebSocket"/> from the base library, used idiomatically.</summary>
public sealed class ClientWebSocketClient : IConformanceClient
{
    public string Name => "ClientWebSocket";

    public async Task RunAsync(Uri url, CompressionOffer? offer, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.Proxy = null; // as ours: no proxy from the environment for a loopback peer
        if (offer is not null)
        {
            // ClientWebSocket offers permessage-deflate only when asked to. Its window options take 9 to 15, so a
            // smaller value (which the cases never ask of it) would become 9.
            socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions
            {
                ClientMaxWindowBits = Math.Max(9, offer.ClientMaxWindowBits),
                ClientContextTakeover = !offer.ClientNoContextTakeover,
                ServerMaxWindowBits = Math.Max(9, offer.ServerMaxWindowBits),
                ServerContextTakeover = !offer.ServerNoContextTakeover,
            };
        }

        try
        {
            await socket.ConnectAsync(url, cancellationToken);
            byte[] buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            while (true)
            {
                ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Echo the close as the API expects, then let the server close TCP.
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.Empty, null, cancellationToken);
                    }

                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    await socket.SendAsync(message.GetBuffer().AsMemory(0, (int)message.Length), result.MessageType, true, cancellationToken);
                    message.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ArgumentException)
        {
            // The implementation gave up on the connection; the server judges how.
        }
    }
}
