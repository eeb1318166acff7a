using Whatwg.WebSockets.Connection;
using Whatwg.WebSockets.Dispatch;
using Whatwg.WebSockets.Protocol;
using Whatwg.WebSockets.Transport;

namespace Whatwg.WebSockets;

public sealed partial class WebSocket
{
    /// <summary>
    /// WHATWG "establish a WebSocket connection", then RFC 6455 from there. Any failure before the
    /// connection is established "fails the WebSocket connection": error, then close 1006.
    /// </summary>
    private async Task EstablishAsync()
    {
        TransportConnection? transport = null;
        try
        {
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _connectAbort.Token);
            try
            {
                transport = await (SocketTransport.CanHandle(_options) ? SocketTransport.ConnectAsync(_url, _protocols, _requestHeaders, _deflate, _options, linked.Token) : HttpUpgradeTransport.ConnectAsync(_url, _protocols, _requestHeaders, _deflate, _options, linked.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !_connectAbort.IsCancellationRequested)
            {
                throw new WebSocketFailureException(
                    WebSocketFailure.ConnectTimeout, $"the connection was not established within {_options.ConnectTimeout.TotalSeconds:0.###} s", ex);
            }
            catch (OperationCanceledException ex) when (_connectAbort.IsCancellationRequested)
            {
                throw AbortedWhileConnecting(ex);
            }

            Volatile.Write(ref _handshake, transport.Handshake);
            var engine = new ProtocolEngine(_options.MaxMessageSize);
            if (transport.Deflate is not null)
            {
                engine.EnableDeflate(transport.Deflate);
            }

            WebSocketConnection connection;
            lock (_stateLock)
            {
                if (_connectAbort.IsCancellationRequested)
                {
                    // close() or Dispose() while CONNECTING won the race against the handshake. (The engine's
                    // codecs allocate nothing until used; the transport is disposed below.)
                    throw AbortedWhileConnecting(null);
                }

                // Created only once it is sure to run: a connection owns a timer and ends only through Terminate.
                connection = new WebSocketConnection(transport.Stream, engine, this, _options);
                _connection = connection;
            }

            // "When the WebSocket connection is established, queue a task": state, protocol, extensions, open.
            _dispatcher.Enqueue(new QueuedTask(QueuedKind.Open, new[] { transport.Protocol, transport.Extensions }, 0));
            connection.Start();
            ReleaseEventsLater();
        }
        catch (Exception ex)
        {
            if (transport is not null)
            {
                await transport.DisposeAsync().ConfigureAwait(false);
            }

            WebSocketFailureException failure = ex as WebSocketFailureException
                ?? new WebSocketFailureException(WebSocketFailure.ConnectFailed, $"could not connect: {ex.Message}", ex);
            if (failure.Handshake is not null)
            {
                Volatile.Write(ref _handshake, failure.Handshake);
            }
            ((IConnectionEvents)this).OnClosed(new ConnectionClosure(false, CloseCodes.AbnormalClosure, string.Empty, failure, Failed: true));
            ReleaseEventsLater();
        }
    }

    /// <summary>A socket nobody listens to yet gets its events anyway, a little later.</summary>
    private void ReleaseEventsLater()
    {
        if (_dispatcher.IsHeld)
        {
            _ = Task.Delay(EventHoldLimit).ContinueWith(static (_, state) => ((WebSocket)state!).ReleaseEvents(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private static WebSocketFailureException AbortedWhileConnecting(Exception? inner) =>
        new(WebSocketFailure.ConnectAborted, "the connection attempt was cancelled by Close() or Dispose() before it was established", inner);
}
