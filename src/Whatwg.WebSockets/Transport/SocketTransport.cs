using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Whatwg.WebSockets.Internal;
using Whatwg.WebSockets.Protocol.Compression;
using Whatwg.WebSockets.Protocol.Handshake;

namespace Whatwg.WebSockets.Transport;

/// <summary>
/// Opens a WebSocket with an HTTP/1.1 upgrade written and read by hand on a raw <see cref="Socket"/>
/// (and an <see cref="SslStream"/> over it for <c>wss:</c>).
/// <para>
/// Why it exists: the design takes the base library's pieces unless a benchmark shows one costs us, and
/// <see cref="HttpUpgradeTransport"/> (<see cref="SocketsHttpHandler"/>) does. Over loopback we made
/// only 0.78× the connects per second of <c>ClientWebSocket</c> through it, and every idle connection
/// kept the handler's HTTP connection object with its read and write buffers for the whole life of the
/// upgraded stream. Here a connect is one DNS lookup, one TCP connect, one write of the request from a
/// pooled buffer and reads of the response head into another, and once the handshake is done nothing is
/// left but the socket (+ the TLS stream), or a small wrapper while bytes that came with the 101 are
/// still unread.
/// </para>
/// <para>
/// <see cref="HttpUpgradeTransport"/> is still used when the options ask for what only HTTP machinery
/// does well: a proxy (<see cref="WebSocketOptions.Proxy"/>), cookies (<see cref="WebSocketOptions.Cookies"/>)
/// or HTTP authentication (<see cref="WebSocketOptions.Credentials"/>). Both transports send the same
/// request headers and judge the response with the same <see cref="HandshakeResponseValidator"/>, and
/// fail with the same <see cref="WebSocketFailure"/> kinds.
/// </para>
/// </summary>
internal static class SocketTransport
{
    private static readonly List<SslApplicationProtocol> s_http11 = [SslApplicationProtocol.Http11];

    /// <summary>Whether this transport can honour <paramref name="options"/>; TLS settings are fine, proxies, cookies and credentials are not.</summary>
    public static bool CanHandle(WebSocketOptions options) =>
        options.Proxy is null && options.Cookies is null && options.Credentials is null;

    /// <summary>
    /// Connects, upgrades and validates the response. Fails with <see cref="WebSocketFailureException"/>
    /// (<see cref="WebSocketFailure.ConnectFailed"/>, <see cref="WebSocketFailure.TlsFailed"/> or
    /// <see cref="WebSocketFailure.HandshakeFailed"/>); an <see cref="OperationCanceledException"/> is
    /// left for the caller, which knows whether its timeout or an abort cancelled the token.
    /// </summary>
    public static async Task<TransportConnection> ConnectAsync(
        WhatwgUrl url,
        IReadOnlyList<string> protocols,
        IReadOnlyList<KeyValuePair<string, string>> extraHeaders,
        PerMessageDeflateSettings? deflate,
        WebSocketOptions options,
        CancellationToken cancellationToken)
    {
        // WhatwgUrl serializes an IPv6 host in brackets: "[::1]". Sockets, DNS and TLS want it bare.
        string host = url.Host;
        string bareHost = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        int port = url.EffectivePort;

        Socket socket = await ConnectSocketAsync(host, bareHost, port, cancellationToken).ConfigureAwait(false);
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        byte[]? buffer = null;
        try
        {
            if (url.Scheme == "wss")
            {
                stream = await AuthenticateAsync(stream, host, bareHost, options, cancellationToken).ConfigureAwait(false);
            }

            string key = HandshakeKey.Generate();
            string? request = await SendRequestAsync(stream, url, key, protocols, extraHeaders, deflate, options, cancellationToken).ConfigureAwait(false);

            buffer = ArrayPool<byte>.Shared.Rent(HttpResponseHead.MaxHeadBytes);
            var head = new HttpResponseHead();
            int received = await ReadHeadAsync(stream, buffer, head, host, port, cancellationToken).ConfigureAwait(false);

            // RFC 6455 §4.1: "If the status code received from the server is not 101, the client handles the
            // response per HTTP [RFC2616] procedures" ... "If the server's response does not conform to the
            // requirements for the server's handshake as defined in this section and in Section 4.2.2, the
            // client MUST _Fail the WebSocket Connection_." The checks (101 only, no redirects, Upgrade,
            // Connection, Sec-WebSocket-Accept, extensions, subprotocol) live in the validator. A 1xx other
            // than 101 (100 Continue included) is an answer we did not ask for and fails like any non-101.
            HandshakeResult result = HandshakeResponseValidator.Validate(
                head.StatusCode, head.ReasonPhrase, head.Headers, key, protocols, deflate);
            HandshakeDetails? details = request is null ? null : HandshakeRecorder.FromRequestText(request, head.StatusCode, head.ReasonPhrase, head.Headers);
            if (!result.Succeeded)
            {
                throw new WebSocketFailureException(WebSocketFailure.HandshakeFailed, "handshake failed: " + result.Message)
                {
                    HandshakeStatusCode = head.StatusCode,
                    Handshake = details,
                };
            }

            // Bytes past the blank line are the server's first frames (RFC 6455 §4.1: once the response is
            // validated, "the WebSocket Connection is said to be in the OPEN state").
            if (received > head.Length)
            {
                stream = new LeftoverStream(stream, buffer, head.Length, received);
            }
            else
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            buffer = null;
            return new TransportConnection(stream, result.Protocol, result.Extensions, result.Deflate, details);
        }
        catch
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// RFC 6455 §4.1: "the client MUST open a connection to the host provided in /host/ and on the port
    /// provided in /port/". An IP literal is used as it is; a name is resolved and its addresses (IPv6 and
    /// IPv4 alike) are tried in the order the resolver gave them until one accepts.
    /// </summary>
    private static async Task<Socket> ConnectSocketAsync(string host, string bareHost, int port, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(bareHost, out IPAddress? literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(bareHost, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw ConnectFailed(host, port, $"the host name could not be resolved ({ex.Message})", ex);
            }
        }

        SocketException? last = null;
        foreach (IPAddress address in addresses)
        {
            Socket? socket = null;
            try
            {
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex)
            {
                // Refused, unreachable, or an address family this machine lacks: try the next address.
                socket?.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                last = ex;
            }
            catch
            {
                socket?.Dispose();
                throw;
            }
        }

        throw last is null
            ? ConnectFailed(host, port, "the host name resolved to no address", null)
            : ConnectFailed(host, port, last.Message, last);
    }

    /// <summary>
    /// RFC 6455 §4.1: "If /secure/ is true, the client MUST perform a TLS handshake over the connection
    /// after opening the connection and before sending the handshake data [...] the client MUST use the
    /// Server Name Indication extension in the TLS handshake." The target host is the bare host name;
    /// for an IP literal <see cref="SslStream"/> sends no SNI (RFC 6066 §3 allows only DNS names there)
    /// and checks the certificate's IP address entries instead. ALPN offers http/1.1 only.
    /// </summary>
    private static async Task<Stream> AuthenticateAsync(
        Stream network, string host, string bareHost, WebSocketOptions options, CancellationToken cancellationToken)
    {
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = bareHost,
            ApplicationProtocols = s_http11,
            RemoteCertificateValidationCallback = options.RemoteCertificateValidationCallback,
        };
        if (options.ClientCertificates is { Count: > 0 })
        {
            authentication.ClientCertificates = options.ClientCertificates;
        }

        try
        {
            await tls.AuthenticateAsClientAsync(authentication, cancellationToken).ConfigureAwait(false);
            return tls;
        }
        catch (Exception ex)
        {
            // Disposing the TLS stream disposes the network stream and the socket too.
            await tls.DisposeAsync().ConfigureAwait(false);
            if (ex is AuthenticationException or IOException or SocketException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new WebSocketFailureException(WebSocketFailure.TlsFailed, $"TLS handshake with {host} failed: {ex.Message}", ex);
            }

            throw;
        }
    }

    /// <summary>
    /// Writes the opening handshake's request in one write, from a pooled buffer; returns its text when the options
    /// ask to keep it (<see cref="WebSocketOptions.CollectHandshakeDetails"/>), else null.
    /// </summary>
    private static async Task<string?> SendRequestAsync(
        Stream stream,
        WhatwgUrl url,
        string key,
        IReadOnlyList<string> protocols,
        IReadOnlyList<KeyValuePair<string, string>> extraHeaders,
        PerMessageDeflateSettings? deflate,
        WebSocketOptions options,
        CancellationToken cancellationToken)
    {
        string? offer = deflate is null ? null : PerMessageDeflateNegotiation.BuildOffer(deflate);
        byte[] request = ArrayPool<byte>.Shared.Rent(RequestLength(url, key, protocols, extraHeaders, offer, options));
        try
        {
            int length = WriteRequest(request, url, key, protocols, extraHeaders, offer, options);
            await stream.WriteAsync(request.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            return options.CollectHandshakeDetails ? System.Text.Encoding.Latin1.GetString(request, 0, length) : null;
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw ConnectFailed(url.Host, url.EffectivePort, $"the connection was lost while sending the handshake ({ex.Message})", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
        }
    }

    /// <summary>The request's exact length in bytes: every character is Latin-1, one byte each.</summary>
    private static int RequestLength(
        WhatwgUrl url, string key, IReadOnlyList<string> protocols, IReadOnlyList<KeyValuePair<string, string>> extraHeaders, string? offer, WebSocketOptions options)
    {
        int length = "GET ".Length + url.PathAndQuery.Length + " HTTP/1.1\r\n".Length
            + "Host: ".Length + url.Host.Length + 6 + "\r\n".Length
            + "Upgrade: websocket\r\nConnection: Upgrade\r\n".Length
            + "Sec-WebSocket-Key: ".Length + key.Length + "\r\n".Length
            + "Sec-WebSocket-Version: 13\r\n".Length
            + "\r\n".Length;
        if (protocols.Count > 0)
        {
            length += "Sec-WebSocket-Protocol: ".Length + "\r\n".Length;
            foreach (string protocol in protocols)
            {
                length += protocol.Length + ", ".Length;
            }
        }

        if (offer is not null)
        {
            length += "Sec-WebSocket-Extensions: ".Length + offer.Length + "\r\n".Length;
        }

        if (options.Origin is not null)
        {
            length += "Origin: ".Length + options.Origin.Length + "\r\n".Length;
        }

        foreach (KeyValuePair<string, string> header in extraHeaders)
        {
            length += header.Key.Length + ": ".Length + header.Value.Length + "\r\n".Length;
        }

        return length;
    }

    private static int WriteRequest(
        Span<byte> destination, WhatwgUrl url, string key, IReadOnlyList<string> protocols, IReadOnlyList<KeyValuePair<string, string>> extraHeaders, string? offer, WebSocketOptions options)
    {
        var writer = new RequestWriter(destination);

        // RFC 6455 §4.1, item 2: "The method of the request MUST be GET, and the HTTP version MUST be at
        // least 1.1." Item 3: "The "Request-URI" part of the request MUST match the /resource name/
        // defined in Section 3 (a relative URI) or be an absolute http/https URI".
        writer.Append("GET ");
        writer.Append(url.PathAndQuery);
        writer.Append(" HTTP/1.1\r\n");

        // Item 4: "The request MUST contain a |Host| header field whose value contains /host/ plus
        // optionally ":" followed by /port/ (when not using the default port)." WhatwgUrl keeps the
        // brackets of an IPv6 host and drops a default port, so "[::1]:8080" and "example.com" come out right.
        writer.Append("Host: ");
        writer.Append(url.Host);
        if (url.Port is int port)
        {
            writer.Append(':');
            writer.Append(port);
        }

        writer.Append("\r\n");

        // Item 5: "The request MUST contain an |Upgrade| header field whose value MUST include the
        // "websocket" keyword." Item 6: "The request MUST contain a |Connection| header field whose value
        // MUST include the "Upgrade" token."
        writer.Append("Upgrade: websocket\r\nConnection: Upgrade\r\n");

        // Item 7: "The request MUST include a header field with the name |Sec-WebSocket-Key|. The value of
        // this header field MUST be a nonce consisting of a randomly selected 16-byte value that has been
        // base64-encoded".
        writer.Append("Sec-WebSocket-Key: ");
        writer.Append(key);
        writer.Append("\r\n");

        // Item 9: "The request MUST include a header field with the name |Sec-WebSocket-Version|. The value
        // of this header field MUST be 13."
        writer.Append("Sec-WebSocket-Version: 13\r\n");

        // Item 10: "The request MAY include a header field with the name |Sec-WebSocket-Protocol|. If
        // present, this value indicates one or more comma-separated subprotocol the client wishes to speak,
        // ordered by preference." (Names were checked to be tokens by the constructor.)
        if (protocols.Count > 0)
        {
            writer.Append("Sec-WebSocket-Protocol: ");
            for (int i = 0; i < protocols.Count; i++)
            {
                if (i > 0)
                {
                    writer.Append(", ");
                }

                writer.Append(protocols[i]);
            }

            writer.Append("\r\n");
        }

        // Item 11: "The request MAY include a header field with the name |Sec-WebSocket-Extensions|."
        // We offer permessage-deflate (RFC 7692 §7.1) unless the options turned compression off.
        if (offer is not null)
        {
            writer.Append("Sec-WebSocket-Extensions: ");
            writer.Append(offer);
            writer.Append("\r\n");
        }

        // Item 8: "The request MUST include a header field with the name |Origin| if the request is coming
        // from a browser client." A .NET program is not one; it sends Origin when the options name one.
        if (options.Origin is not null)
        {
            writer.Append("Origin: ");
            writer.Append(options.Origin);
            writer.Append("\r\n");
        }

        // Item 12: "The request MAY include any other header fields, for example, cookies [RFC6265] and/or
        // authentication-related header fields". Names and values were checked when the socket was
        // constructed (tokens; no CR, LF, NUL or characters above U+00FF).
        foreach (KeyValuePair<string, string> header in extraHeaders)
        {
            writer.Append(header.Key);
            writer.Append(": ");
            writer.Append(header.Value);
            writer.Append("\r\n");
        }

        // The blank line that ends the request head (RFC 9112 §2.1).
        writer.Append("\r\n");
        return writer.Written;
    }

    /// <summary>Reads until the response head is complete; returns how many bytes of <paramref name="buffer"/> were filled.</summary>
    private static async Task<int> ReadHeadAsync(
        Stream stream, byte[] buffer, HttpResponseHead head, string host, int port, CancellationToken cancellationToken)
    {
        // RFC 6455 §4.1: "Once the client's opening handshake has been sent, the client MUST wait for a
        // response from the server before sending any further data."
        int received = 0;
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer.AsMemory(received, HttpResponseHead.MaxHeadBytes - received), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw ConnectFailed(host, port, $"the connection was lost during the handshake ({ex.Message})", ex);
            }

            if (read == 0)
            {
                throw HandshakeFailed(head, "the server closed the connection during the handshake");
            }

            received += read;
            string? error = head.Advance(buffer.AsSpan(0, received));
            if (error is not null)
            {
                throw HandshakeFailed(head, error);
            }

            if (head.IsComplete)
            {
                return received;
            }
        }
    }

    private static WebSocketFailureException HandshakeFailed(HttpResponseHead head, string reason) =>
        new(WebSocketFailure.HandshakeFailed, "handshake failed: " + reason)
        {
            HandshakeStatusCode = head.StatusCode == 0 ? null : head.StatusCode,
        };

    private static WebSocketFailureException ConnectFailed(string host, int port, string reason, Exception? inner) =>
        new(WebSocketFailure.ConnectFailed, $"could not connect to {host}:{port}: {reason}", inner);

    /// <summary>Appends Latin-1 text to a byte buffer sized by <see cref="RequestLength"/>.</summary>
    private ref struct RequestWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Written { get; private set; }

        public void Append(string text)
        {
            Written += Encoding.Latin1.GetBytes(text, _destination[Written..]);
        }

        public void Append(char c)
        {
            _destination[Written++] = (byte)c;
        }

        public void Append(int value)
        {
            bool formatted = value.TryFormat(_destination[Written..], out int written, provider: System.Globalization.CultureInfo.InvariantCulture);
            System.Diagnostics.Debug.Assert(formatted);
            Written += written;
        }
    }
}
