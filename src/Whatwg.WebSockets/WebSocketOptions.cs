using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Whatwg.WebSockets;

/// <summary>Where a socket's events run (see <see cref="WebSocketOptions.Dispatch"/>).</summary>
public enum EventDispatch
{
    /// <summary>
    /// On the <see cref="SynchronizationContext"/> current when the socket was constructed, if there is one
    /// (UI apps); otherwise on the socket's own serial queue on the thread pool. The default. Should the context
    /// refuse a post (throw), those events run on the thread pool instead of never.
    /// </summary>
    Auto = 0,

    /// <summary>Always on the socket's serial queue on the thread pool, even when a context was current.</summary>
    ThreadPool = 1,
}

/// <summary>
/// Settings beyond the browser API: everything a browser decides for the page (headers, TLS, timeouts,
/// limits). Read once, when the socket is constructed; changing the object afterwards has no effect on it.
/// </summary>
public sealed class WebSocketOptions
{
    /// <summary>The defaults, shared; do not change it.</summary>
    internal static readonly WebSocketOptions Default = new();

    /// <summary>Resolves relative URLs (there is no document base in .NET). Null: a relative URL is a SyntaxError.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// Extra request headers for the opening handshake. Names and values are checked when the socket is
    /// constructed: CR, LF and other control characters are refused, and the handshake's own headers
    /// (<c>Sec-WebSocket-*</c>, <c>Upgrade</c>, <c>Connection</c>, <c>Host</c>) cannot be set here.
    /// </summary>
    public IDictionary<string, string> RequestHeaders { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The <c>Origin</c> header to send, e.g. <c>"https://example.com"</c>. Browsers always send one; null sends none.</summary>
    public string? Origin { get; set; }

    /// <summary>Cookies to send with the handshake and to store from its response. Null: no cookies.</summary>
    public CookieContainer? Cookies { get; set; }

    /// <summary>Credentials for HTTP authentication with the server, if it asks.</summary>
    public ICredentials? Credentials { get; set; }

    /// <summary>A proxy to tunnel through. Null (the default): connect directly, whatever the environment says.</summary>
    public IWebProxy? Proxy { get; set; }

    /// <summary>
    /// Decides whether the server's certificate is trusted for <c>wss://</c>. Null (the default): the
    /// platform's validation, as a browser does.
    /// </summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidationCallback { get; set; }

    /// <summary>Client certificates offered to a <c>wss://</c> server that asks for one.</summary>
    public X509CertificateCollection? ClientCertificates { get; set; }

    /// <summary>
    /// How long the connection (TCP, TLS and the opening handshake) may take. Default 30 s. Positive, at most
    /// about 49 days, or <see cref="Timeout.InfiniteTimeSpan"/> (this applies to every timeout here).
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long to wait for the server to answer our Close frame and then close TCP before the connection
    /// is dropped (which then is not clean). Default 10 s. Once both Close frames have been exchanged, a server
    /// that leaves TCP open is given at most 1 s more (the close is clean either way). Infinite: wait for ever.
    /// </summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the connection may go without incoming data before a keep-alive Ping is sent. Default 20 s;
    /// <see cref="Timeout.InfiniteTimeSpan"/> or <see cref="TimeSpan.Zero"/> turns keep-alive off. Keep-alive
    /// stands still while reading is paused for slow listeners (<see cref="MaxUndeliveredBytes"/>).
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long to wait for the Pong after a keep-alive Ping before the connection is failed as dead
    /// (<see cref="WebSocketFailure.KeepAliveTimeout"/>). Default 20 s. Infinite: pings are still sent
    /// (they keep NATs and proxies from dropping an idle connection) but silence never fails the connection.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The largest message accepted, in bytes. A larger one fails the connection with 1009 as soon as a
    /// frame header announces it, before its payload is buffered. Default 64 MiB.
    /// </summary>
    public long MaxMessageSize { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The most bytes <see cref="WebSocket.BufferedAmount"/> may reach. A <c>Send</c> that would pass it
    /// fails the connection (the spec's "buffer is full" case: <c>error</c>, then <c>close</c> 1006).
    /// Default: <see cref="long.MaxValue"/> (no limit beyond memory).
    /// </summary>
    public long MaxBufferedAmount { get; set; } = long.MaxValue;

    /// <summary>
    /// Received messages not yet delivered to listeners, in bytes, beyond which the socket stops reading
    /// from the network until the listeners catch up (to half of it), so TCP pushes back on the server.
    /// Keep-alive does not count the pause as silence. Default 16 MiB.
    /// </summary>
    public long MaxUndeliveredBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Where events are delivered. Default <see cref="EventDispatch.Auto"/>.</summary>
    public EventDispatch Dispatch { get; set; } = EventDispatch.Auto;

    /// <summary>
    /// permessage-deflate settings, offered to the server in the handshake (as browsers do). Null: no compression
    /// is offered. Default: offered with <see cref="DeflateOptions"/>' defaults.
    /// </summary>
    public DeflateOptions? Compression { get; set; } = new();

    /// <summary>
    /// Keep the opening handshake's request and response headers in <see cref="WebSocket.Handshake"/>, for
    /// diagnostics; also when the server refuses the upgrade. Default false: an established connection holds none.
    /// </summary>
    public bool CollectHandshakeDetails { get; set; }

}
