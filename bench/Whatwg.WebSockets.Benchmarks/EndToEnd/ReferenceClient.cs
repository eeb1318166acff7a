using System.Text;
using System.Buffers;
using System.Net.WebSockets;

namespace Whatwg.WebSockets.Benchmarks.EndToEnd;

/// <summary>The same scenarios with <see cref="ClientWebSocket"/>, used idiomatically: one awaited SendAsync per message, a receive loop into a pooled buffer.</summary>
internal static class ReferenceClient
{
    private static async Task<ClientWebSocket> ConnectAsync(Uri url, bool deflate = false)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.Proxy = null; // as ours: no proxy from the environment for a loopback peer
        if (deflate)
        {
            socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
            socket.Options.CollectHttpResponseDetails = true;
        }

        await socket.ConnectAsync(url, CancellationToken.None);
        return socket;
    }

    private static async Task CloseAsync(ClientWebSocket socket)
    {
        try
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }

        socket.Dispose();
    }

    public static async Task<Measurement> SendAsync(Uri server, int size, long count)
    {
        ClientWebSocket socket = await ConnectAsync(new Uri(server, "/sink"));
        byte[] payload = new byte[size];
        var meter = new Meter();
        for (long i = 0; i < count; i++)
        {
            await socket.SendAsync(payload.AsMemory(), WebSocketMessageType.Binary, true, CancellationToken.None);
        }

        Measurement result = meter.Stop(count, count * size);
        await CloseAsync(socket);
        return result;
    }

    public static async Task<Measurement> ReceiveAsync(Uri server, int size, long count)
    {
        var meter = new Meter();
        ClientWebSocket socket = await ConnectAsync(new Uri(server, $"/flood?size={size}&count={count}"));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        long received = 0;
        while (received < count)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            if (result.EndOfMessage)
            {
                received++;
            }
        }

        Measurement measurement = meter.Stop(count, count * size);
        ArrayPool<byte>.Shared.Return(buffer);
        await CloseAsync(socket);
        return measurement;
    }

    public static async Task<Measurement> EchoAsync(Uri server, int size, long count, int inFlight)
    {
        ClientWebSocket socket = await ConnectAsync(new Uri(server, "/echo"));
        return await EchoCoreAsync(socket, new byte[size], WebSocketMessageType.Binary, count, inFlight);
    }

    /// <summary>Compressed echo: text messages, <paramref name="inFlight"/> at a time, permessage-deflate on.</summary>
    public static async Task<Measurement> DeflateEchoAsync(Uri server, string message, long count, int inFlight)
    {
        ClientWebSocket socket = await ConnectAsync(new Uri(server, "/echo?deflate=1"), deflate: true);
        if (socket.HttpResponseHeaders?.ContainsKey("Sec-WebSocket-Extensions") != true)
        {
            throw new InvalidOperationException("compression was not negotiated");
        }

        return await EchoCoreAsync(socket, Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, count, inFlight);
    }

    /// <summary>One awaited SendAsync per message, at most <paramref name="inFlight"/> unanswered; a receive loop into a pooled buffer.</summary>
    private static async Task<Measurement> EchoCoreAsync(ClientWebSocket socket, byte[] payload, WebSocketMessageType type, long count, int inFlight)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var meter = new Meter();
        using var window = new SemaphoreSlim(inFlight);
        Task sender = Task.Run(async () =>
        {
            for (long i = 0; i < count; i++)
            {
                await window.WaitAsync();
                await socket.SendAsync(payload.AsMemory(), type, true, CancellationToken.None);
            }
        });
        long received = 0;
        while (received < count)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            if (result.EndOfMessage)
            {
                received++;
                window.Release();
            }
        }

        await sender;
        Measurement measurement = meter.Stop(count, count * payload.Length);
        ArrayPool<byte>.Shared.Return(buffer);
        await CloseAsync(socket);
        return measurement;
    }

    public static async Task<Measurement> ConnectAsync(Uri server, long count, int parallel)
    {
        var meter = new Meter();
        long next = 0;
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                ClientWebSocket socket = await ConnectAsync(new Uri(server, "/sink"));
                await CloseAsync(socket);
            }
        })));
        return meter.Stop(count, 0);
    }

    public static async Task<(double ManagedPerConnection, double WorkingSetPerConnection)> IdleMemoryAsync(Uri server, int connections)
    {
        (long managed0, long ws0) = Memory.Snapshot();
        var sockets = new ClientWebSocket[connections];
        var receives = new Task[connections];
        using (var gate = new SemaphoreSlim(64))
        {
            await Task.WhenAll(Enumerable.Range(0, connections).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    sockets[i] = await Retry.ConnectAsync(() => ConnectAsync(new Uri(server, "/sink")));

                    // An idle but listening connection: a receive is pending, with its own 4 KiB buffer.
                    receives[i] = sockets[i].ReceiveAsync(new byte[4096], CancellationToken.None);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        (long managed1, long ws1) = Memory.Snapshot();
        foreach (ClientWebSocket socket in sockets)
        {
            socket.Abort();
            socket.Dispose();
        }

        foreach (Task receive in receives)
        {
            try
            {
                await receive;
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        return ((double)(managed1 - managed0) / connections, (double)(ws1 - ws0) / connections);
    }
}
