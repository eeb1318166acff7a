using System.Text;
using Whatwg.WebSockets.Connection;

namespace Whatwg.WebSockets;

public sealed partial class WebSocket
{
    /// <summary>
    /// Queues a text message (the spec's <c>send(USVString)</c>). Lone surrogates are sent as U+FFFD.
    /// Returns at once; <see cref="BufferedAmount"/> grows by the UTF-8 length until the bytes reach the network.
    /// </summary>
    /// <param name="data">The text.</param>
    /// <exception cref="InvalidStateErrorException">The socket is still CONNECTING.</exception>
    public void Send(string data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Send(data.AsSpan());
    }

    /// <summary>Queues a text message from characters (see <see cref="Send(string)"/>).</summary>
    /// <param name="data">The text.</param>
    /// <exception cref="InvalidStateErrorException">The socket is still CONNECTING.</exception>
    public void Send(ReadOnlySpan<char> data)
    {
        WebSocketConnection? connection = BeginSend();
        int length = Encoding.UTF8.GetByteCount(data);   // counted once: for bufferedAmount and for the frame
        if (Account(length) && connection is not null)
        {
            connection.SendText(data, length);
        }
    }

    /// <summary>Queues a binary message (the spec's <c>send(ArrayBuffer)</c>); the bytes are copied, so the array may be reused at once.</summary>
    /// <param name="data">The bytes.</param>
    /// <exception cref="InvalidStateErrorException">The socket is still CONNECTING.</exception>
    public void Send(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Send(new ReadOnlySpan<byte>(data));
    }

    /// <summary>Queues a binary message (the spec's <c>send(ArrayBufferView)</c>); the bytes are copied.</summary>
    /// <param name="data">The bytes.</param>
    /// <exception cref="InvalidStateErrorException">The socket is still CONNECTING.</exception>
    public void Send(ArraySegment<byte> data) => Send(data.AsSpan());

    /// <summary>Queues a binary message; the bytes are copied.</summary>
    /// <param name="data">The bytes.</param>
    /// <exception cref="InvalidStateErrorException">The socket is still CONNECTING.</exception>
    public void Send(ReadOnlyMemory<byte> data) => Send(data.Span);

    /// <summary>Queues a binary message; the bytes are copied before this returns. Allocates nothing.</summary>
    /// <param name="data">The bytes.</param>
    /// <exception cref="InvalidStateErrorException">The socket is still CONNECTING.</exception>
    public void Send(ReadOnlySpan<byte> data)
    {
        WebSocketConnection? connection = BeginSend();
        if (Account(data.Length) && connection is not null)
        {
            connection.SendBinary(data);
        }
    }

    /// <summary>Queues the content of a blob as a binary message (the spec's <c>send(Blob)</c>).</summary>
    /// <param name="data">The blob.</param>
    /// <exception cref="InvalidStateErrorException">The socket is still CONNECTING.</exception>
    public void Send(Blob data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Send(data.Memory.Span);
    }

    /// <summary>
    /// Completes when every byte queued before the call has been handed to the network, i.e. when
    /// <see cref="BufferedAmount"/> has drained past it: backpressure for producers.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the data stays queued).</param>
    /// <returns>A task that completes when the data is written.</returns>
    /// <exception cref="InvalidStateErrorException">The socket is still CONNECTING, or closed before the data was written (from the task).</exception>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (ReadyState == WebSocketReadyState.Connecting)
        {
            throw new InvalidStateErrorException("FlushAsync() needs an open connection; the socket is still CONNECTING.");
        }

        return _flush.WaitAsync(Interlocked.Read(ref _queuedTotal), cancellationToken);
    }

    /// <summary>The spec's send() steps 1-2: CONNECTING throws; otherwise the connection, if it may still send.</summary>
    private WebSocketConnection? BeginSend()
    {
        int state = _readyState;
        if (state == (int)WebSocketReadyState.Connecting)
        {
            ThrowHelper.ThrowSendWhileConnecting();
        }

        return state == (int)WebSocketReadyState.Open ? _connection : null;
    }

    /// <summary>
    /// Adds to <see cref="BufferedAmount"/> (always, as the spec says) before the bytes are queued, so the write
    /// loop can never subtract first. Returns false when the data must not be sent: not OPEN, or the buffer is full.
    /// </summary>
    private bool Account(long length)
    {
        long amount = Interlocked.Add(ref _bufferedAmount, length);
        if (_readyState != (int)WebSocketReadyState.Open)
        {
            return false;
        }

        if (amount > _options.MaxBufferedAmount)
        {
            // "If the data cannot be sent, e.g. because it would need to be buffered but the buffer is full,
            // the user agent must flag the WebSocket as full and then close the WebSocket connection."
            _connection?.Fail(new WebSocketFailureException(
                WebSocketFailure.BufferFull,
                $"the send buffer is full: {amount} bytes would be queued, more than MaxBufferedAmount ({_options.MaxBufferedAmount})"));
            return false;
        }

        Interlocked.Add(ref _queuedTotal, length);
        return true;
    }
}
