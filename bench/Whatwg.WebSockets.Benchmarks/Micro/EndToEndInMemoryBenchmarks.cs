using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Whatwg.WebSockets.Connection;
using Whatwg.WebSockets.Protocol;
using Whatwg.WebSockets.Protocol.Framing;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// The whole client below the WHATWG API, with no socket: a <see cref="WebSocketConnection"/> (its read and write
/// loops, lock, signal and buffers) over an in-memory duplex stream. Send: <see cref="Messages"/> calls to
/// <see cref="WebSocketConnection.SendBinary"/>, timed until every byte has reached the other end. Receive: the
/// peer writes <see cref="Messages"/> pre-built frames, timed until the last message reaches the events sink.
/// Numbers are per message; the allocation counts every thread.
/// </summary>
[MemoryDiagnoser]
public class EndToEndInMemoryBenchmarks
{
    private const int Messages = 1024;

    private Pipe _toServer = null!;
    private Pipe _toClient = null!;
    private CountingEvents _events = null!;
    private WebSocketConnection _connection = null!;
    private Task _drain = Task.CompletedTask;
    private byte[] _payload = [];
    private byte[] _serverFrames = [];
    private long _serverBytes;
    private long _serverTarget;
    private TaskCompletionSource? _sent;

    [Params(16, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _toServer = InMemoryDuplexStream.CreatePipe();
        _toClient = InMemoryDuplexStream.CreatePipe();
        var options = new WebSocketOptions { KeepAliveInterval = Timeout.InfiniteTimeSpan };
        _events = new CountingEvents();
        _connection = new WebSocketConnection(
            new InMemoryDuplexStream(_toClient, _toServer),
            new ProtocolEngine(options.MaxMessageSize),
            _events,
            options);
        _connection.Start();
        _serverBytes = 0;
        _serverTarget = long.MaxValue;
        _drain = Task.Run(DrainAsync);
        _payload = MicroData.RandomBytes(Size);
        _serverFrames = MicroData.ServerFrames(PayloadKind.Binary, _payload, Messages);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // The peer hangs up: the read loop sees the end of the stream and the connection terminates.
        _toClient.Writer.Complete();
        _drain.Wait(TimeSpan.FromSeconds(10));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public async Task Send()
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sent = sent;
        long frameSize = FrameHeader.SizeOf(Size, masked: true) + Size;
        Volatile.Write(ref _serverTarget, Volatile.Read(ref _serverBytes) + (frameSize * Messages));
        for (int i = 0; i < Messages; i++)
        {
            if (!_connection.SendBinary(_payload))
            {
                throw new InvalidOperationException("The connection no longer sends.");
            }
        }

        await sent.Task.ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public async Task Receive()
    {
        Task received = _events.Expect(Messages);
        await _toClient.Writer.WriteAsync(_serverFrames).ConfigureAwait(false);
        await received.ConfigureAwait(false);
    }

    /// <summary>The peer's reading side: counts the bytes that arrive and releases the sender once all are in.</summary>
    private async Task DrainAsync()
    {
        PipeReader reader = _toServer.Reader;
        while (true)
        {
            ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
            long length = result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            if (length > 0 && Interlocked.Add(ref _serverBytes, length) >= Volatile.Read(ref _serverTarget))
            {
                _sent?.TrySetResult();
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                await reader.CompleteAsync().ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>Counts messages and completes a task when the expected number has arrived; queues nothing.</summary>
    private sealed class CountingEvents : IConnectionEvents
    {
        private long _count;
        private long _target = long.MaxValue;
        private TaskCompletionSource? _done;

        public Task Expect(int messages)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _done = done;
            Volatile.Write(ref _target, Volatile.Read(ref _count) + messages);
            return done.Task;
        }

        public long OnMessage(in ReceivedFrame message)
        {
            // Only the read loop calls this; the volatile write publishes the count to Expect.
            long count = _count + 1;
            Volatile.Write(ref _count, count);
            if (count == Volatile.Read(ref _target))
            {
                _done?.TrySetResult();
            }

            return 0;
        }

        public void OnReadHandled()
        {
        }

        public bool WantsControlFrames => false;

        public void OnControlFrame(ControlFrameKind kind, FrameDirection direction, byte[] data)
        {
        }

        public void OnClosingHandshakeStarted()
        {
        }

        public void OnBytesSent(long payloadBytes)
        {
        }

        public void OnClosed(ConnectionClosure closure)
        {
        }

        public ValueTask WaitForDeliveryAsync(long threshold) => ValueTask.CompletedTask;
    }
}
