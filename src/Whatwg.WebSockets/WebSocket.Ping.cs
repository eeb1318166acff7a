using System.Buffers.Binary;
using Whatwg.WebSockets.Connection;
using Whatwg.WebSockets.Dispatch;
using Whatwg.WebSockets.Protocol;

namespace Whatwg.WebSockets;

public sealed partial class WebSocket
{
    private const int MaxControlPayload = 125;

    /// <summary>
    /// Ping and Pong frames, received and sent (beyond the WHATWG API, which hides them): the server's pings and
    /// our automatic answers, our keep-alive pings and <see cref="WebSocket.PingAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, and the server's pongs. Raised on
    /// the event thread in order with the other events; frames are copied for it only while it has listeners.
    /// </summary>
    public event EventHandler<ControlFrameEvent>? ControlFrame { add => _controlFrame.Add(value); remove => _controlFrame.Remove(value); }

    // Data for pings the caller gave none: unique, and never equal to a keep-alive ping's (whose top bit is 0).
    private static long s_pingCounter;

    /// <summary>
    /// Sends a Ping frame (beyond the WHATWG API) with 8 bytes of data unique to it, and completes with the
    /// round-trip time when the server's Pong echoes them. The socket already keeps the connection alive by itself
    /// (<see cref="WebSocketOptions.KeepAliveInterval"/>); this is for measuring latency or probing on demand.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the Pong (the Ping is sent anyway).</param>
    /// <returns>The time from queueing the Ping to receiving its Pong (see <see cref="PingAsync(ReadOnlyMemory{byte}, CancellationToken)"/>).</returns>
    /// <exception cref="InvalidStateErrorException">The socket is still CONNECTING.</exception>
    public Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        byte[] data = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(data, long.MinValue | Interlocked.Increment(ref s_pingCounter));
        return PingAsync(data, cancellationToken);
    }

    /// <summary>
    /// Sends a Ping frame with the given data (beyond the WHATWG API) and completes with the round-trip time when
    /// the server's Pong with the same data arrives. Data that another Pong may carry (an empty Ping, which a
    /// server's unsolicited empty Pong would answer) makes the time unreliable; <see cref="PingAsync(CancellationToken)"/>
    /// picks unique data.
    /// </summary>
    /// <param name="data">Application data for the frame, at most 125 bytes; the Pong must echo it.</param>
    /// <param name="cancellationToken">Stops waiting for the Pong (the Ping is sent anyway).</param>
    /// <returns>
    /// The time from queueing the Ping to receiving its Pong. A Pong also answers every earlier ping still waiting,
    /// since a server may answer only the most recent one (RFC 6455 §5.5.3). The task fails with
    /// <see cref="InvalidStateErrorException"/> when the socket is closing or closes before the answer.
    /// </returns>
    /// <exception cref="InvalidStateErrorException">The socket is still CONNECTING.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="data"/> is longer than 125 bytes.</exception>
    public Task<TimeSpan> PingAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (data.Length > MaxControlPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(data), data.Length, $"A ping carries at most {MaxControlPayload} bytes of data (RFC 6455 §5.5).");
        }

        int state = _readyState;
        if (state == (int)WebSocketReadyState.Connecting)
        {
            throw new InvalidStateErrorException("PingAsync() was called while the socket is still CONNECTING; wait for the open event (or WhenOpen).");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TimeSpan>(cancellationToken);
        }

        WebSocketConnection? connection = _connection;
        if (state != (int)WebSocketReadyState.Open || connection is null)
        {
            return Task.FromException<TimeSpan>(new InvalidStateErrorException($"PingAsync() needs an open connection; the socket is {(WebSocketReadyState)state}."));
        }

        return connection.PingAsync(data.ToArray(), cancellationToken);
    }

    bool IConnectionEvents.WantsControlFrames => !_controlFrame.IsEmpty;

    void IConnectionEvents.OnControlFrame(ControlFrameKind kind, FrameDirection direction, byte[] data) =>
        _dispatcher.Enqueue(new QueuedTask(QueuedKind.ControlFrame, new ControlFrameEvent(kind, direction, data), 0));

    private void RunControlFrame(ControlFrameEvent e)
    {
        if (_readyState != (int)WebSocketReadyState.Closed)
        {
            Fire(_controlFrame, e);
        }
    }
}
