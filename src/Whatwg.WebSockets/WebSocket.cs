using Whatwg.WebSockets.Connection;
using Whatwg.WebSockets.Dispatch;
using Whatwg.WebSockets.Internal;
using Whatwg.WebSockets.Protocol.Compression;
using Whatwg.WebSockets.Protocol.Handshake;

namespace Whatwg.WebSockets;

/// <summary>
/// The browser's <c>WebSocket</c> (WHATWG WebSockets Standard) for .NET: construct it with a URL and it
/// connects in the background; attach handlers to <see cref="OnOpen"/>, <see cref="OnMessage"/>,
/// <see cref="OnError"/>, <see cref="OnClose"/> (or the C# events), call <see cref="Send(string)"/> and
/// <see cref="Close()"/>. Everything a browser decides for the page (headers, TLS, timeouts, limits) is in
/// <see cref="WebSocketOptions"/>.
/// </summary>
/// <remarks>
/// <para>Thread-safety: every member may be used from any thread at any time. <c>Send</c> and <c>Close</c>
/// never block: they queue and return.</para>
/// <para>Events run one at a time, in order, never re-entrantly and never on an I/O thread: on the
/// <see cref="SynchronizationContext"/> current at construction when there is one, otherwise on this
/// socket's own serial queue on the thread pool. As in the spec, events are queued tasks that run after
/// the state change they report; none is raised synchronously inside <c>Send</c>, <c>Close</c> or the constructor.</para>
/// <para>A browser runs a socket's events only after the script that created it has finished, so handlers set
/// after the constructor see every event. To give the same guarantee, events are held until a few milliseconds
/// after the first listener is attached, or until <see cref="ReadyState"/>, <see cref="WhenOpen"/> or
/// <see cref="WhenClosed"/> is read, and at most one second after the connection attempt ends.</para>
/// <para>Where it differs from a browser: the <c>error</c> event carries the cause (<see cref="ErrorEvent.Exception"/>);
/// relative URLs need <see cref="WebSocketOptions.BaseAddress"/>; and it adds awaitables
/// (<see cref="WhenOpen"/>, <see cref="WhenClosed"/>, <see cref="FlushAsync"/>, <see cref="ReadMessagesAsync"/>) and disposal.</para>
/// </remarks>
public sealed partial class WebSocket : IDisposable, IAsyncDisposable
{
    /// <summary>The <c>CONNECTING</c> constant (0).</summary>
    public const WebSocketReadyState CONNECTING = WebSocketReadyState.Connecting;

    /// <summary>The <c>OPEN</c> constant (1).</summary>
    public const WebSocketReadyState OPEN = WebSocketReadyState.Open;

    /// <summary>The <c>CLOSING</c> constant (2).</summary>
    public const WebSocketReadyState CLOSING = WebSocketReadyState.Closing;

    /// <summary>The <c>CLOSED</c> constant (3).</summary>
    public const WebSocketReadyState CLOSED = WebSocketReadyState.Closed;

    private readonly object _stateLock = new();
    private readonly WhatwgUrl _url;
    private readonly string[] _protocols;
    private readonly KeyValuePair<string, string>[] _requestHeaders;
    private readonly WebSocketOptions _options;
    private readonly PerMessageDeflateSettings? _deflate;
    private readonly EventDispatcher _dispatcher;
    private readonly CancellationTokenSource _connectAbort = new();
    private readonly TaskCompletionSource _whenOpen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<CloseEvent> _whenClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile int _readyState;
    private volatile WebSocketConnection? _connection;
    private string _protocol = string.Empty;
    private HandshakeDetails? _handshake;
    private string _extensions = string.Empty;
    private int _binaryType;
    private long _bufferedAmount;

    /// <summary>Opens a connection to <paramref name="url"/> (ws, wss, http or https) with no subprotocol.</summary>
    /// <param name="url">The URL; http(s) is mapped to ws(s).</param>
    /// <exception cref="SyntaxErrorException">The URL cannot be parsed, has another scheme, or has a fragment.</exception>
    public WebSocket(string url)
        : this(url, (IEnumerable<string>?)null, null)
    {
    }

    /// <summary>Opens a connection offering one subprotocol.</summary>
    /// <param name="url">The URL; http(s) is mapped to ws(s).</param>
    /// <param name="protocol">The subprotocol to offer (an HTTP token).</param>
    /// <exception cref="SyntaxErrorException">The URL or the protocol is invalid.</exception>
    public WebSocket(string url, string protocol)
        : this(url, [protocol], null)
    {
    }

    /// <summary>Opens a connection offering several subprotocols, in order of preference.</summary>
    /// <param name="url">The URL; http(s) is mapped to ws(s).</param>
    /// <param name="protocols">The subprotocols (HTTP tokens, no duplicates ignoring case).</param>
    /// <exception cref="SyntaxErrorException">The URL or a protocol is invalid, or a protocol repeats.</exception>
    public WebSocket(string url, IEnumerable<string> protocols)
        : this(url, protocols, null)
    {
    }

    /// <summary>Opens a connection with options.</summary>
    /// <param name="url">The URL; http(s) is mapped to ws(s).</param>
    /// <param name="options">Settings beyond the browser API; read once, now.</param>
    /// <exception cref="SyntaxErrorException">The URL is invalid.</exception>
    public WebSocket(string url, WebSocketOptions options)
        : this(url, null, options)
    {
    }

    /// <summary>Opens a connection to an absolute <see cref="Uri"/>.</summary>
    /// <param name="url">The URL; http(s) is mapped to ws(s).</param>
    /// <param name="protocols">The subprotocols to offer, or null.</param>
    /// <param name="options">Settings beyond the browser API, or null for the defaults.</param>
    /// <exception cref="SyntaxErrorException">The URL or a protocol is invalid.</exception>
    public WebSocket(Uri url, IEnumerable<string>? protocols = null, WebSocketOptions? options = null)
        : this((url ?? throw new ArgumentNullException(nameof(url))).IsAbsoluteUri ? url.AbsoluteUri : url.OriginalString, protocols, options)
    {
    }

    /// <summary>Opens a connection offering <paramref name="protocols"/>, with <paramref name="options"/>.</summary>
    /// <param name="url">The URL; http(s) is mapped to ws(s); relative URLs resolve against <see cref="WebSocketOptions.BaseAddress"/>.</param>
    /// <param name="protocols">The subprotocols to offer, or null.</param>
    /// <param name="options">Settings beyond the browser API, or null for the defaults.</param>
    /// <exception cref="SyntaxErrorException">The URL or a protocol is invalid, or a protocol repeats.</exception>
    /// <exception cref="ArgumentException">An option is out of range or a request header is not allowed.</exception>
    public WebSocket(string url, IEnumerable<string>? protocols, WebSocketOptions? options)
    {
        ArgumentNullException.ThrowIfNull(url);
        _options = options ?? WebSocketOptions.Default;
        OptionsValidator.Validate(_options);
        _url = ParseUrl(url, _options.BaseAddress);
        _protocols = ValidateProtocols(protocols);
        _requestHeaders = OptionsValidator.CheckedHeaders(_options);
        _deflate = OptionsValidator.DeflateSettings(_options);

        SynchronizationContext? context = _options.Dispatch == EventDispatch.Auto ? SynchronizationContext.Current : null;
        _dispatcher = new EventDispatcher(RunTask, OnDelivered, context);
        Action release = ReleaseEventsSoon;
        _open = new ListenerList<Event>(release);
        _message = new ListenerList<MessageEvent>(release);
        _error = new ListenerList<ErrorEvent>(release);
        _close = new ListenerList<CloseEvent>(release);
        _controlFrame = new ListenerList<ControlFrameEvent>(release);
        Url = _url.Href;

        // "Run this step in parallel: establish a WebSocket connection" — never on the caller's thread.
        ThreadPool.UnsafeQueueUserWorkItem(static socket => _ = socket.EstablishAsync(), this, preferLocal: false);
    }

    /// <summary>The URL, as the URL Standard serializes it (the spec's <c>url</c>).</summary>
    public string Url { get; }

    /// <summary>
    /// The connection's state (the spec's <c>readyState</c>). It changes in the tasks that deliver the events,
    /// so reading it also lets held events flow (see <see cref="WebSocket"/> remarks).
    /// </summary>
    public WebSocketReadyState ReadyState
    {
        get
        {
            // Read first: once released, a held open task may change the state before this returns.
            var state = (WebSocketReadyState)_readyState;
            ReleaseEvents();
            return state;
        }
    }

    /// <summary>
    /// The opening handshake's request and response (beyond the WHATWG API), when
    /// <see cref="WebSocketOptions.CollectHandshakeDetails"/> is set: there by the open event, or by the close
    /// event when the server answered but refused. Null otherwise.
    /// </summary>
    public HandshakeDetails? Handshake => Volatile.Read(ref _handshake);

    /// <summary>The subprotocol the server chose; <c>""</c> until open or when it chose none (the spec's <c>protocol</c>).</summary>
    public string Protocol => Volatile.Read(ref _protocol);

    /// <summary>The extensions the server accepted; <c>""</c> until open (the spec's <c>extensions</c>).</summary>
    public string Extensions => Volatile.Read(ref _extensions);

    /// <summary>
    /// Application bytes queued by <c>Send</c> but not yet handed to the network (UTF-8 length for text;
    /// the spec's <c>bufferedAmount</c>). As the spec says, it keeps growing when <c>Send</c> is called after
    /// the connection began closing, since that data is never sent.
    /// </summary>
    public long BufferedAmount => Math.Max(0, Interlocked.Read(ref _bufferedAmount));

    /// <summary>How binary messages are exposed: <see cref="BinaryType.Blob"/> (default) or <see cref="BinaryType.ArrayBuffer"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="Whatwg.WebSockets.BinaryType"/>.</exception>
    public BinaryType BinaryType
    {
        get => (BinaryType)Volatile.Read(ref _binaryType);
        set
        {
            if (value is not (BinaryType.Blob or BinaryType.ArrayBuffer))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "BinaryType must be Blob or ArrayBuffer.");
            }

            Volatile.Write(ref _binaryType, (int)value);
        }
    }

    /// <summary>Completes when the <c>open</c> event has been delivered; faults with the cause if the connection never opens.</summary>
    public Task WhenOpen
    {
        get
        {
            ReleaseEvents();
            return _whenOpen.Task;
        }
    }

    /// <summary>Completes, with the <c>close</c> event, once it has been delivered. Never faults.</summary>
    public Task<CloseEvent> WhenClosed
    {
        get
        {
            ReleaseEvents();
            return _whenClosed.Task;
        }
    }

    /// <summary>The longest events are held, after the connection attempt ends, for a socket with no listener yet.</summary>
    internal static readonly TimeSpan EventHoldLimit = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public override string ToString() => $"WebSocket {_url.WithoutCredentials().Href} ({(WebSocketReadyState)_readyState})";

    private static WhatwgUrl ParseUrl(string url, Uri? baseAddress)
    {
        WhatwgUrl? baseUrl = null;
        if (baseAddress is not null && !WhatwgUrl.TryParse(baseAddress.OriginalString, null, out baseUrl, out _))
        {
            throw new SyntaxErrorException($"The base address '{baseAddress.OriginalString}' is not a valid URL.", nameof(baseAddress));
        }

        // WHATWG "new WebSocket(url, protocols)": parse against the base URL; failure is a SyntaxError.
        if (!WhatwgUrl.TryParse(url, baseUrl, out WhatwgUrl? record, out string? error))
        {
            string hint = baseUrl is null && !url.Contains(':', StringComparison.Ordinal) ? " (a relative URL needs WebSocketOptions.BaseAddress)" : string.Empty;
            throw new SyntaxErrorException($"The URL '{url}' is invalid: {error}{hint}.", nameof(url));
        }

        record = record.Scheme switch
        {
            "http" => record.WithScheme("ws"),
            "https" => record.WithScheme("wss"),
            _ => record,
        };

        if (record.Scheme is not ("ws" or "wss"))
        {
            throw new SyntaxErrorException($"The URL's scheme must be ws, wss, http or https, not '{record.Scheme}'.", nameof(url));
        }

        if (record.Fragment is not null)
        {
            throw new SyntaxErrorException("The URL must not contain a fragment ('#').", nameof(url));
        }

        return record;
    }

    private static string[] ValidateProtocols(IEnumerable<string>? protocols)
    {
        if (protocols is null)
        {
            return [];
        }

        string[] list = [.. protocols];
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string? protocol in (string?[])list)
        {
            // Each must be a token as Sec-WebSocket-Protocol requires (RFC 6455 §4.1 item 10), and none may repeat.
            if (protocol is null || !HeaderGrammar.IsToken(protocol))
            {
                throw new SyntaxErrorException($"The subprotocol '{protocol}' is not a valid token.", nameof(protocols));
            }

            if (!seen.Add(protocol!))
            {
                throw new SyntaxErrorException($"The subprotocol '{protocol}' is given more than once.", nameof(protocols));
            }
        }

        return list;
    }
}
