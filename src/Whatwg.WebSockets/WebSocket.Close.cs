using System.Text;
using Whatwg.WebSockets.Connection;
using Whatwg.WebSockets.Protocol;

namespace Whatwg.WebSockets;

public sealed partial class WebSocket
{
    /// <summary>
    /// Closes the connection, or the connection attempt (the spec's <c>close()</c>): sends a Close frame with
    /// no status code (the close event then reports 1005 if the server echoes none). While CONNECTING this
    /// fails the connection (error, then close 1006). Once CLOSING or CLOSED it does nothing.
    /// </summary>
    public void Close() => CloseCore(null, null);

    /// <summary>Closes with a status code (the spec's <c>close(code)</c>).</summary>
    /// <param name="code">1000, or 3000-4999.</param>
    /// <exception cref="InvalidAccessErrorException"><paramref name="code"/> is neither 1000 nor in 3000-4999.</exception>
    public void Close(int code) => CloseCore(code, null);

    /// <summary>Closes with a status code and a reason (the spec's <c>close(code, reason)</c>).</summary>
    /// <param name="code">1000, or 3000-4999.</param>
    /// <param name="reason">At most 123 bytes once encoded as UTF-8 (lone surrogates count as U+FFFD).</param>
    /// <exception cref="InvalidAccessErrorException"><paramref name="code"/> is neither 1000 nor in 3000-4999.</exception>
    /// <exception cref="SyntaxErrorException"><paramref name="reason"/> is longer than 123 UTF-8 bytes.</exception>
    public void Close(int code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        CloseCore(code, reason);
    }

    /// <summary>
    /// Starts the closing handshake with 1001 (going away), as a browser does when a page goes away, or
    /// abandons the attempt while CONNECTING. Returns at once; events still follow.
    /// </summary>
    public void Dispose() => CloseInternal(CloseCodes.GoingAway, null);

    /// <summary>Like <see cref="Dispose"/>, then waits for the close event, at most for <see cref="WebSocketOptions.CloseTimeout"/> (plus a little).</summary>
    /// <returns>A task that completes when the socket is closed or the wait is over.</returns>
    public async ValueTask DisposeAsync()
    {
        Dispose();

        // Waiting for the close event is reading it: held events (nobody has listened yet) flow now.
        ReleaseEvents();
        TimeSpan wait = _options.CloseTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : _options.CloseTimeout + TimeSpan.FromSeconds(1);
        try
        {
            await _whenClosed.Task.WaitAsync(wait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _connection?.Abort(new WebSocketFailureException(WebSocketFailure.CloseTimeout, "the socket was disposed and the server did not close in time"));
        }
    }

    private void CloseCore(int? code, string? reason)
    {
        // "If code is present, but is neither an integer equal to 1000 nor an integer in the range 3000 to 4999, inclusive,
        // throw an InvalidAccessError DOMException."
        if (code is int c && c != 1000 && c is < 3000 or > 4999)
        {
            throw new InvalidAccessErrorException(nameof(code), c, $"The close code must be 1000 or in 3000-4999, not {c}.");
        }

        // "If reasonBytes is longer than 123 bytes, then throw a SyntaxError DOMException."
        if (reason is not null && Encoding.UTF8.GetByteCount(reason) > 123)
        {
            throw new SyntaxErrorException($"The close reason is {Encoding.UTF8.GetByteCount(reason)} bytes as UTF-8; at most 123 are allowed.", nameof(reason));
        }

        CloseInternal(code, reason);
    }

    private void CloseInternal(int? code, string? reason)
    {
        WebSocketConnection? connection;
        lock (_stateLock)
        {
            int state = _readyState;
            if (state is (int)WebSocketReadyState.Closing or (int)WebSocketReadyState.Closed)
            {
                return; // "If this's ready state is CLOSING or CLOSED: do nothing."
            }

            _readyState = (int)WebSocketReadyState.Closing;
            connection = _connection;
            if (state == (int)WebSocketReadyState.Connecting)
            {
                // "If the WebSocket connection is not yet established: fail the WebSocket connection and set
                // this's ready state to CLOSING." We read "not yet established" as "open not yet announced":
                // the user has not seen the open event, so they see the attempt fail instead.
                _connectAbort.Cancel();
                connection?.Fail(AbortedWhileConnecting(null));
                return;
            }
        }

        // "If the WebSocket closing handshake has not yet been started: start the WebSocket closing handshake."
        connection?.StartClosingHandshake(code, reason);
    }
}
