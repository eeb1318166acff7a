using System.Net.WebSockets;

namespace Whatwg.WebSockets.Conformance.Clients;

/// <summary>The reference column: <see cref="ClientWebSocket"/> from the base library, used idiomatically.</summary>
public sealed class ClientWebSocketClient : IConformanceClient
{
    public string Name => "ClientWebSocket";

    public async Task RunAsync(Uri url, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
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
