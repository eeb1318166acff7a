namespace Whatwg.WebSockets.Benchmarks.EndToEnd;

/// <summary>The scenarios written against our WHATWG API, as a user would write them.</summary>
internal static class OurClient
{
    private static WebSocketOptions Options => new() { KeepAliveInterval = Timeout.InfiniteTimeSpan, MaxMessageSize = 256L << 20 };

    public static async Task<Measurement> SendAsync(Uri server, int size, long count)
    {
        await using var socket = new WebSocket(new Uri(server, "/sink"), null, Options);
        await socket.WhenOpen;
        byte[] payload = new byte[size];
        var meter = new Meter();
        for (long i = 0; i < count; i++)
        {
            socket.Send(payload.AsSpan());

            // A producer's backpressure: let the queue drain when it passes 4 MiB (reading BufferedAmount is one volatile read).
            if (socket.BufferedAmount > (4 << 20))
            {
                await socket.FlushAsync();
            }
        }

        await socket.FlushAsync();
        Measurement result = meter.Stop(count, count * size);
        socket.Close(1000);
        await socket.WhenClosed;
        return result;
    }

    public static async Task<Measurement> ReceiveAsync(Uri server, int size, long count)
    {
        var meter = new Meter();
        await using var socket = new WebSocket(new Uri(server, $"/flood?size={size}&count={count}"), null, Options) { BinaryType = BinaryType.ArrayBuffer };
        long received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnMessage = e =>
        {
            if (++received == count)
            {
                done.TrySetResult();
            }
        };
        await AwaitOrExplainAsync(done.Task, socket, () => $"{received} of {count} messages received");
        Measurement result = meter.Stop(count, count * size);
        await socket.WhenClosed;
        return result;
    }

    public static async Task<Measurement> EchoAsync(Uri server, int size, long count, int inFlight)
    {
        await using var socket = new WebSocket(new Uri(server, "/echo"), null, Options) { BinaryType = BinaryType.ArrayBuffer };
        await socket.WhenOpen;
        byte[] payload = new byte[size];
        long sent = 0, received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnMessage = e =>
        {
            if (++received == count)
            {
                done.TrySetResult();
            }
            else if (Interlocked.Increment(ref sent) <= count)
            {
                socket.Send(payload.AsSpan());
            }
        };
        var meter = new Meter();

        // The handler may already answer echoes while the window is being filled: the counter is shared.
        for (int i = 0; i < inFlight && Interlocked.Increment(ref sent) <= count; i++)
        {
            socket.Send(payload.AsSpan());
        }

        await AwaitOrExplainAsync(done.Task, socket, () => $"{received} of {count} messages received");
        Measurement result = meter.Stop(count, count * size);
        socket.Close(1000);
        await socket.WhenClosed;
        return result;
    }

    /// <summary>A run that cannot finish (the connection closed early, or nothing moves for a minute) says why instead of hanging.</summary>
    private static async Task AwaitOrExplainAsync(Task done, WebSocket socket, Func<string> progress)
    {
        await Task.WhenAny(done, socket.WhenClosed, Task.Delay(TimeSpan.FromMinutes(1)));
        if (done.IsCompleted)
        {
            await done;
            return;
        }

        string why = socket.WhenClosed.IsCompleted
            ? $"the connection closed early: {socket.WhenClosed.Result} {socket.WhenClosed.Result.Failure?.Message}"
            : $"no progress for a minute (readyState {socket.ReadyState}, bufferedAmount {socket.BufferedAmount})";
        throw new InvalidOperationException($"{progress()}; {why}");
    }

    /// <summary>Compressed echo: text messages, <paramref name="inFlight"/> at a time, permessage-deflate on (our default).</summary>
    public static async Task<Measurement> DeflateEchoAsync(Uri server, string message, long count, int inFlight)
    {
        var options = Options;
        options.Compression = new DeflateOptions { Threshold = 0 };
        await using var socket = new WebSocket(new Uri(server, "/echo?deflate=1"), null, options);
        await socket.WhenOpen;
        if (!socket.Extensions.StartsWith("permessage-deflate", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("compression was not negotiated");
        }

        long sent = 0, received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnMessage = e =>
        {
            if (++received == count)
            {
                done.TrySetResult();
            }
            else if (Interlocked.Increment(ref sent) <= count)
            {
                socket.Send(message);
            }
        };
        var meter = new Meter();
        for (int i = 0; i < inFlight && Interlocked.Increment(ref sent) <= count; i++)
        {
            socket.Send(message);
        }

        await AwaitOrExplainAsync(done.Task, socket, () => $"{received} of {count} messages received");
        Measurement result = meter.Stop(count, count * System.Text.Encoding.UTF8.GetByteCount(message));
        socket.Close(1000);
        await socket.WhenClosed;
        return result;
    }

    public static async Task<Measurement> ConnectAsync(Uri server, long count, int parallel)
    {
        var meter = new Meter();
        long next = 0;
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                var socket = new WebSocket(new Uri(server, "/sink"), null, Options);
                await socket.WhenOpen;
                socket.Close(1000);
                await socket.WhenClosed;
            }
        })));
        return meter.Stop(count, 0);
    }

    public static async Task<(double ManagedPerConnection, double WorkingSetPerConnection)> IdleMemoryAsync(Uri server, int connections)
    {
        (long managed0, long ws0) = Memory.Snapshot();
        var sockets = new WebSocket[connections];
        using (var gate = new SemaphoreSlim(64))
        {
            await Task.WhenAll(Enumerable.Range(0, connections).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    sockets[i] = await Retry.ConnectAsync(async () =>
                    {
                        var socket = new WebSocket(new Uri(server, "/sink"), null, Options);
                        try
                        {
                            await socket.WhenOpen;
                            return socket;
                        }
                        catch
                        {
                            await socket.DisposeAsync();
                            throw;
                        }
                    });
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        (long managed1, long ws1) = Memory.Snapshot();
        foreach (WebSocket socket in sockets)
        {
            socket.Close(1000);
        }

        await Task.WhenAll(sockets.Select(s => s.WhenClosed));
        return ((double)(managed1 - managed0) / connections, (double)(ws1 - ws0) / connections);
    }
}

internal static class Memory
{
    public static (long Managed, long WorkingSet) Snapshot()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        long managed = GC.GetTotalMemory(forceFullCollection: true);
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        process.Refresh();
        return (managed, process.WorkingSet64);
    }
}

/// <summary>
/// Opening thousands of connections back to back on one machine sometimes meets a full accept queue or a
/// reset; the idle-memory runs measure memory, not connect reliability, so a failed connect is tried again.
/// </summary>
internal static class Retry
{
    public static async Task<T> ConnectAsync<T>(Func<Task<T>> connect)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await connect();
            }
            catch (Exception) when (attempt < 5)
            {
                await Task.Delay(50 * attempt);
            }
        }
    }
}
