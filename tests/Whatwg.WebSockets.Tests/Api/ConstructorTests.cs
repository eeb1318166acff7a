using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Api;

/// <summary>
/// WHATWG "new WebSocket(url, protocols)": URL parsing and serialization, scheme mapping, fragments,
/// and subprotocol validation (wpt websockets/Create-*.any.js, constructor/*.any.js).
/// </summary>
public sealed class ConstructorTests
{
    private static WebSocket Create(string url, params string[] protocols) =>
        new(url, protocols, TestOptions.Quiet(o => o.ConnectTimeout = TimeSpan.FromSeconds(1)));

    [Theory]
    [InlineData("")]                              // Create-invalid-urls: empty
    [InlineData("ws://foo bar.com/")]             // a space in the host
    [InlineData("wss://y:99999/")]                // port out of range
    [InlineData("ws://[::1/")]                    // unterminated IPv6
    [InlineData("ws://")]                         // no host
    [InlineData("test")]                          // relative, and there is no base
    [InlineData("?")]
    [InlineData("null")]
    [InlineData("123")]
    public void Constructor_InvalidUrl_ThrowsSyntaxError(string url)
    {
        var error = Assert.Throws<SyntaxErrorException>(() => Create(url));
        Assert.Equal("SyntaxError", error.Name);
        Assert.IsAssignableFrom<ArgumentException>(error);
    }

    [Theory]
    [InlineData("mailto:nobody@example.com")]     // Create-non-absolute-url / wrong scheme
    [InlineData("about:blank")]
    [InlineData("ftp://example.com/")]
    [InlineData("file:///tmp/x")]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/plain,x")]
    public void Constructor_SchemeOtherThanWsWssHttpHttps_ThrowsSyntaxError(string url)
    {
        var error = Assert.Throws<SyntaxErrorException>(() => Create(url));
        Assert.Equal("SyntaxError", error.Name);
    }

    [Theory]
    [InlineData("ws://example.com/#")]            // Create-url-with-fragment: even an empty fragment
    [InlineData("ws://example.com/#test")]
    [InlineData("wss://example.com/path?q#frag")]
    public void Constructor_UrlWithFragment_ThrowsSyntaxError(string url)
    {
        var error = Assert.Throws<SyntaxErrorException>(() => Create(url));
        Assert.Contains("fragment", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/x", "ws://127.0.0.1:9/x")]       // Create-http-urls: http maps to ws
    [InlineData("https://127.0.0.1:9/x", "wss://127.0.0.1:9/x")]     // https maps to wss
    [InlineData("WS://EXAMPLE.COM:80/a/../b?c d", "ws://example.com/b?c%20d")]
    [InlineData("wss://example.com:443", "wss://example.com/")]
    [InlineData("ws://example.com:443/", "ws://example.com:443/")]
    [InlineData("http://example.com:80/", "ws://example.com/")]
    [InlineData("  ws://example.com/\t ", "ws://example.com/")]
    [InlineData("ws://user:pass@example.com/", "ws://user:pass@example.com/")]
    [InlineData("ws://[0:0::1]:8080/", "ws://[::1]:8080/")]
    [InlineData("ws://0x7f.1/", "ws://127.0.0.1/")]
    public void Constructor_ValidUrl_UrlIsTheSerializedUrl(string input, string expected)
    {
        using WebSocket socket = Create(input);
        Assert.Equal(expected, socket.Url);
    }

    [Fact]
    public void Constructor_RelativeUrlWithBaseAddress_ResolvesAgainstIt()
    {
        using var socket = new WebSocket("/chat?room=1", null, TestOptions.Quiet(o =>
        {
            o.BaseAddress = new Uri("http://127.0.0.1:9/app/index.html");
            o.ConnectTimeout = TimeSpan.FromSeconds(1);
        }));
        Assert.Equal("ws://127.0.0.1:9/chat?room=1", socket.Url);
    }

    [Theory]
    [InlineData("")]                 // Create-blocked-port / invalid protocol: empty string
    [InlineData("a b")]              // space
    [InlineData("a,b")]              // separator
    [InlineData("a\u0000b")]         // NUL
    [InlineData("\u00e9")]           // non-ASCII
    [InlineData("a\r\nX-Injected: 1")]
    [InlineData("{}")]
    public void Constructor_ProtocolNotAToken_ThrowsSyntaxError(string protocol)
    {
        var error = Assert.Throws<SyntaxErrorException>(() => Create("ws://127.0.0.1:9/", protocol));
        Assert.Equal("SyntaxError", error.Name);
    }

    [Theory]
    [InlineData("chat", "chat")]     // Create-protocols-repeated
    [InlineData("chat", "CHAT")]     // Create-protocols-repeated-case-insensitive
    public void Constructor_RepeatedProtocol_ThrowsSyntaxError(string first, string second)
    {
        var error = Assert.Throws<SyntaxErrorException>(() => Create("ws://127.0.0.1:9/", first, second));
        Assert.Contains("more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ValidArguments_StartsConnectingWithSpecDefaults()
    {
        using WebSocket socket = Create("ws://127.0.0.1:9/", "chat", "superchat");
        Assert.Equal(WebSocketReadyState.Connecting, socket.ReadyState);
        Assert.Equal(WebSocket.CONNECTING, socket.ReadyState);
        Assert.Equal(0, socket.BufferedAmount);
        Assert.Equal("", socket.Protocol);
        Assert.Equal("", socket.Extensions);
        Assert.Equal(BinaryType.Blob, socket.BinaryType);
        Assert.Null(socket.OnOpen);
    }

    [Fact]
    public void ReadyStateConstants_HaveTheSpecValues()
    {
        Assert.Equal(0, (int)WebSocket.CONNECTING);
        Assert.Equal(1, (int)WebSocket.OPEN);
        Assert.Equal(2, (int)WebSocket.CLOSING);
        Assert.Equal(3, (int)WebSocket.CLOSED);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Key")]
    [InlineData("Upgrade")]
    [InlineData("Host")]
    [InlineData("Origin")]
    [InlineData("Bad Name")]
    public void Constructor_ForbiddenOrInvalidHeaderName_ThrowsArgumentException(string name)
    {
        var options = TestOptions.Quiet();
        options.RequestHeaders[name] = "x";
        Assert.ThrowsAny<ArgumentException>(() => new WebSocket("ws://127.0.0.1:9/", null, options));
    }

    [Theory]
    [InlineData("a\r\nX-Injected: 1")]
    [InlineData("a\nb")]
    [InlineData("a\0b")]
    public void Constructor_HeaderValueWithControlCharacters_ThrowsBeforeAnythingIsSent(string value)
    {
        var options = TestOptions.Quiet();
        options.RequestHeaders["X-Test"] = value;
        var error = Assert.ThrowsAny<ArgumentException>(() => new WebSocket("ws://127.0.0.1:9/", null, options));
        Assert.Contains("X-Test", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NonPositiveLimits_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocket("ws://127.0.0.1:9/", null, TestOptions.Quiet(o => o.MaxMessageSize = 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocket("ws://127.0.0.1:9/", null, TestOptions.Quiet(o => o.ConnectTimeout = TimeSpan.Zero)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocket("ws://127.0.0.1:9/", null, TestOptions.Quiet(o => o.MaxBufferedAmount = -1)));
    }

    public static TheoryData<string, Action<WebSocketOptions>> InvalidOptions => new()
    {
        { "ConnectTimeout", o => o.ConnectTimeout = TimeSpan.FromSeconds(-1) },
        { "CloseTimeout", o => o.CloseTimeout = TimeSpan.Zero },
        { "CloseTimeout", o => o.CloseTimeout = TimeSpan.FromMilliseconds(-5) },
        { "KeepAliveTimeout", o => o.KeepAliveTimeout = TimeSpan.Zero },
        { "KeepAliveInterval", o => o.KeepAliveInterval = TimeSpan.FromSeconds(-1) },
        { "MaxMessageSize", o => o.MaxMessageSize = -1 },
        { "MaxBufferedAmount", o => o.MaxBufferedAmount = 0 },
        { "MaxUndeliveredBytes", o => o.MaxUndeliveredBytes = 0 },
        { "MaxUndeliveredBytes", o => o.MaxUndeliveredBytes = -1024 },
        { "KeepAliveTimeout", o => o.KeepAliveTimeout = TimeSpan.FromDays(60) },
        { "KeepAliveInterval", o => o.KeepAliveInterval = TimeSpan.FromDays(50) },
        { "CloseTimeout", o => o.CloseTimeout = TimeSpan.FromDays(365) },
        { "ConnectTimeout", o => o.ConnectTimeout = TimeSpan.MaxValue },
        { "Origin", o => o.Origin = string.Empty },
        { "Origin", o => o.Origin = "https://a.example\r\nX-Injected: 1" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_InvalidOption_ThrowsNamingIt(string option, Action<WebSocketOptions> configure)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new WebSocket("ws://127.0.0.1:9/", null, TestOptions.Quiet(configure)));
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InfiniteTimeoutsAndKeepAliveOff_AreAccepted()
    {
        using var socket = new WebSocket("ws://127.0.0.1:9/", null, TestOptions.Quiet(o =>
        {
            o.CloseTimeout = Timeout.InfiniteTimeSpan;
            o.KeepAliveTimeout = Timeout.InfiniteTimeSpan;
            o.KeepAliveInterval = TimeSpan.Zero;
            o.ConnectTimeout = TimeSpan.FromSeconds(1);
        }));
        Assert.Equal(WebSocketReadyState.Connecting, socket.ReadyState);
    }

    [Fact]
    public void BinaryType_UndefinedValue_Throws()
    {
        using WebSocket socket = Create("ws://127.0.0.1:9/");
        Assert.Throws<ArgumentOutOfRangeException>(() => socket.BinaryType = (BinaryType)7);
        socket.BinaryType = BinaryType.ArrayBuffer;
        Assert.Equal(BinaryType.ArrayBuffer, socket.BinaryType);
    }
}
