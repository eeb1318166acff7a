using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using Whatwg.WebSockets.Internal;
using Whatwg.WebSockets.Protocol.Compression;
using Whatwg.WebSockets.Protocol.Handshake;

namespace Whatwg.WebSockets.Transport;

/// <summary>
/// Opens a WebSocket over HTTP/1.1 with the base library's <see cref="SocketsHttpHandler"/>: it brings
/// DNS, happy eyeballs, TLS, proxies, cookies and credentials; a 101 answer hands back the raw duplex
/// stream. Only this class knows about HTTP types; the checks themselves live in
/// <see cref="HandshakeResponseValidator"/>.
/// </summary>
internal static class HttpUpgradeTransport
{
    public static async Task<TransportConnection> ConnectAsync(
        WhatwgUrl url,
        IReadOnlyList<string> protocols,
        IReadOnlyList<KeyValuePair<string, string>> extraHeaders,
        PerMessageDeflateSettings? deflate,
        WebSocketOptions options,
        CancellationToken cancellationToken)
    {
        string key = HandshakeKey.Generate();
        using HttpRequestMessage request = BuildRequest(url, key, protocols, extraHeaders, deflate, options);

        // Only sockets with a proxy, cookies or credentials come here (SocketTransport takes the rest), so the
        // handler is per socket: it carries those settings.
        var invoker = new HttpMessageInvoker(CreateHandler(options));
        HttpResponseMessage response;
        try
        {
            response = await invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            invoker.Dispose();
            throw Describe(ex, url);
        }
        catch
        {
            invoker.Dispose();
            throw;
        }

        try
        {
            var headers = new List<KeyValuePair<string, string>>();
            foreach (KeyValuePair<string, HeaderStringValues> header in response.Headers.NonValidated)
            {
                foreach (string value in header.Value)
                {
                    headers.Add(new(header.Key, value));
                }
            }

            HandshakeResult result = HandshakeResponseValidator.Validate(
                (int)response.StatusCode, response.ReasonPhrase, headers, key, protocols, deflate);
            HandshakeDetails? details = options.CollectHandshakeDetails
                ? HandshakeRecorder.FromRequestMessage(request, url, (int)response.StatusCode, response.ReasonPhrase ?? string.Empty, headers)
                : null;
            if (!result.Succeeded)
            {
                throw new WebSocketFailureException(WebSocketFailure.HandshakeFailed, "handshake failed: " + result.Message)
                {
                    HandshakeStatusCode = (int)response.StatusCode,
                    Handshake = details,
                };
            }

            Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new TransportConnection(new OwningStream(stream, response, invoker), result.Protocol, result.Extensions, result.Deflate, details);
        }
        catch
        {
            response.Dispose();
            invoker.Dispose();
            throw;
        }
    }


    private static HttpRequestMessage BuildRequest(
        WhatwgUrl url, string key, IReadOnlyList<string> protocols, IReadOnlyList<KeyValuePair<string, string>> extraHeaders, PerMessageDeflateSettings? deflate, WebSocketOptions options)
    {
        // ws -> http and wss -> https for the HTTP layer; the request-target is the path and query (RFC 6455 §3).
        string httpScheme = url.Scheme == "wss" ? "https" : "http";
        var uri = new Uri(url.WithScheme(httpScheme).Href, UriKind.Absolute);
        if (uri.UserInfo.Length != 0)
        {
            // HttpClient never uses user:password from the URL, but its diagnostics print the request URI:
            // keep credentials out of it.
            uri = new Uri(uri.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.UserInfo, UriFormat.UriEscaped), UriKind.Absolute);
        }

        var request = new HttpRequestMessage(HttpMethod.Get, uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        // RFC 6455 §4.1, items 5-10 of the client's opening handshake.
        HttpRequestHeaders headers = request.Headers;
        headers.TryAddWithoutValidation("Upgrade", "websocket");
        headers.TryAddWithoutValidation("Connection", "Upgrade");
        headers.TryAddWithoutValidation("Sec-WebSocket-Key", key);
        headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
        if (protocols.Count > 0)
        {
            headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", string.Join(", ", protocols));
        }

        if (deflate is not null)
        {
            headers.TryAddWithoutValidation("Sec-WebSocket-Extensions", PerMessageDeflateNegotiation.BuildOffer(deflate));
        }

        if (options.Origin is not null)
        {
            headers.TryAddWithoutValidation("Origin", options.Origin);
        }

        foreach (KeyValuePair<string, string> header in extraHeaders)
        {
            headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        return request;
    }

    private static SocketsHttpHandler CreateHandler(WebSocketOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            AllowAutoRedirect = false,            // WHATWG: redirects fail the connection
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = options.Proxy is not null,
            Proxy = options.Proxy,
            UseCookies = options.Cookies is not null,
            Credentials = options.Credentials,
            PreAuthenticate = false,
            MaxResponseHeadersLength = 16,        // KiB: a handshake response needs far less
            ConnectTimeout = Timeout.InfiniteTimeSpan, // the caller's token bounds the whole handshake
        };
        if (options.Cookies is not null)
        {
            handler.CookieContainer = options.Cookies;
        }

        if (options.RemoteCertificateValidationCallback is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = options.RemoteCertificateValidationCallback;
        }

        if (options.ClientCertificates is { Count: > 0 })
        {
            handler.SslOptions.ClientCertificates = options.ClientCertificates;
        }

        return handler;
    }

    private static WebSocketFailureException Describe(HttpRequestException ex, WhatwgUrl url)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException)
            {
                return new WebSocketFailureException(WebSocketFailure.TlsFailed, $"TLS handshake with {url.Host} failed: {inner.Message}", ex);
            }

            if (inner is SocketException socket)
            {
                return new WebSocketFailureException(WebSocketFailure.ConnectFailed, $"could not connect to {url.Host}:{url.EffectivePort}: {socket.Message}", ex);
            }
        }

        if (ex.HttpRequestError == HttpRequestError.ConfigurationLimitExceeded)
        {
            // MaxResponseHeadersLength: the server answered, with a head too large to be a handshake.
            return new WebSocketFailureException(WebSocketFailure.HandshakeFailed, $"handshake failed: response headers too large ({ex.Message})", ex);
        }

        if (ex.HttpRequestError is HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded)
        {
            return new WebSocketFailureException(WebSocketFailure.HandshakeFailed, $"handshake failed: the server's response is not valid HTTP/1.1 ({ex.Message})", ex);
        }

        return new WebSocketFailureException(WebSocketFailure.ConnectFailed, $"could not connect to {url.Host}:{url.EffectivePort}: {ex.Message}", ex);
    }

    /// <summary>The upgraded stream; disposing it also releases the response and a per-socket handler.</summary>
    private sealed class OwningStream(Stream inner, HttpResponseMessage response, HttpMessageInvoker? invoker) : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
                invoker?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
