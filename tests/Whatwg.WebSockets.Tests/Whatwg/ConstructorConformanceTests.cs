using System.Globalization;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Whatwg;

/// <summary>
/// The constructor cases of web-platform-tests websockets/ that the Api tests do not already cover:
/// URL serialization after the http(s) mapping, ports, non-ASCII queries, protocol tokens, and sockets
/// that really connect (Create-*.any.js, constructor/*.html). See docs/conformance.md.
/// </summary>
[Collection(KestrelCollection.Name)]
public sealed class ConstructorConformanceTests(KestrelFixture kestrel)
{
    private static WebSocket Unconnectable(string url, params string[] protocols) =>
        new(url, protocols, TestOptions.Quiet(o => o.ConnectTimeout = TimeSpan.FromSeconds(1)));

    [Theory]
    [InlineData("http://127.0.0.1:9/path?a=b&c", "ws://127.0.0.1:9/path?a=b&c")]     // Create-http-urls
    [InlineData("https://127.0.0.1:9/path?a=b&c", "wss://127.0.0.1:9/path?a=b&c")]
    [InlineData("HTTP://Example.COM/?q", "ws://example.com/?q")]
    [InlineData("https://example.com:443/x?y=1", "wss://example.com/x?y=1")]          // the https default port is wss's too
    public void Constructor_HttpOrHttpsUrlWithQuery_UrlIsWsOrWssWithTheQuery(string input, string expected)
    {
        using WebSocket socket = Unconnectable(input);
        Assert.Equal(expected, socket.Url);
    }

    [Theory]
    [InlineData("ws://127.0.0.1:8080/path", "ws://127.0.0.1:8080/path")]        // Create-verify-url-set-non-default-port
    [InlineData("wss://127.0.0.1:8443/path", "wss://127.0.0.1:8443/path")]      // Create-Secure-verify-url-set-non-default-port
    [InlineData("ws://127.0.0.1:80/path", "ws://127.0.0.1/path")]               // Create-verify-url-set-default-port
    [InlineData("wss://127.0.0.1:443/path", "wss://127.0.0.1/path")]            // Create-Secure-verify-url-set-default-port
    public void Constructor_Port_NonDefaultKeptDefaultDropped(string input, string expected)
    {
        using WebSocket socket = Unconnectable(input);
        Assert.Equal(expected, socket.Url);
    }

    [Fact]
    public void Constructor_NonAsciiQuery_UrlIsUtf8PercentEncoded()
    {
        // constructor/016: the query is encoded as UTF-8 whatever the page encoding; .NET has no page encoding.
        using WebSocket socket = Unconnectable("ws://127.0.0.1:9/echo-query?\u00e5\u00e4\u00f6");
        Assert.Equal("ws://127.0.0.1:9/echo-query?%C3%A5%C3%A4%C3%B6", socket.Url);
    }

    [Theory]
    [InlineData("/echo")]      // Create-asciiSep-protocol-string
    [InlineData("a;b")]
    [InlineData("a=b")]
    [InlineData("(a)")]
    [InlineData("a\tb")]
    [InlineData("a:b")]
    [InlineData("[a]")]
    [InlineData("a?b")]
    [InlineData("a@b")]
    [InlineData("a\"b")]
    [InlineData("a\\b")]
    [InlineData("<a>")]
    [InlineData("a\u007fb")]   // DEL is a control character
    public void Constructor_ProtocolWithAsciiSeparator_ThrowsSyntaxError(string protocol)
    {
        var error = Assert.Throws<SyntaxErrorException>(() => Unconnectable("ws://127.0.0.1:9/", protocol));
        Assert.Equal("SyntaxError", error.Name);
    }

    [Fact]
    public void Constructor_EmptyProtocolInsideAnArray_ThrowsSyntaxError()
    {
        // The constructor steps: if any value in the list is not a valid token, the whole call throws.
        Assert.Throws<SyntaxErrorException>(() => Unconnectable("ws://127.0.0.1:9/", "chat", ""));
    }

    [Fact]
    public async Task Constructor_ProtocolAsOneString_IsOfferedAloneAndSelected()
    {
        // Create-valid-url-protocol-string / Create-Secure-valid-url-protocol-setCorrectly: a string is a one-element list.
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/subprotocol"), "echo"), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        Assert.Equal("", socket.Protocol);                 // Create-valid-url-protocol-empty: "" before open
        await log.MessagesAsync(1);
        Assert.Equal("echo", socket.Protocol);
        Assert.Equal("echo", log.Messages[0].Text);        // what the server saw offered and picked
        socket.Close();
        Assert.True((await log.ClosedAsync()).WasClean);
    }

    [Fact]
    public async Task Constructor_HttpUrl_OpensAndClosesCleanly()
    {
        // Create-valid-url-http.tentative: an http: URL is a ws: URL.
        string http = kestrel.Url("/echo").Replace("ws://", "http://", StringComparison.Ordinal);
        await using var socket = new WebSocket(http, null, TestOptions.Quiet());
        Assert.StartsWith("ws://", socket.Url, StringComparison.Ordinal);
        var log = new EventLog(socket);
        await log.OpenedAsync();
        Assert.Equal(WebSocketReadyState.Open, log.Events[0].ReadyState);
        socket.Close();
        CloseEvent close = await log.ClosedAsync();
        Assert.True(close.WasClean);
        Assert.Equal(["open", "close"], log.Types);
    }

    [Fact]
    public async Task Constructor_RelativeUrlWithBaseAddress_OpensAndClosesCleanly()
    {
        // Create-valid-url-relative.tentative: resolved against the base (here WebSocketOptions.BaseAddress, not a document).
        var baseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{kestrel.Server.Port}/app/page.html"));
        await using var socket = new WebSocket("/echo", null, TestOptions.Quiet(o => o.BaseAddress = baseAddress));
        Assert.Equal(kestrel.Url("/echo"), socket.Url);
        var log = new EventLog(socket);
        await log.OpenedAsync();
        socket.Close();
        Assert.True((await log.ClosedAsync()).WasClean);
    }

    [Fact]
    public async Task Constructor_UriArgument_UrlIsItsSerializationAndTheSocketWorks()
    {
        // constructor/006: a non-string URL argument is used through its string form.
        var uri = new Uri(kestrel.Url("/echo"));
        await using var socket = new WebSocket(uri, null, TestOptions.Quiet());
        Assert.Equal(uri.AbsoluteUri, socket.Url);
        var log = new EventLog(socket);
        await log.OpenedAsync();
        socket.Send("test");
        await log.MessagesAsync(1);
        Assert.Equal("test", log.Messages[0].Text);
        socket.Close();
        Assert.True((await log.ClosedAsync()).WasClean);
    }

    [Fact]
    public async Task Constructor_TwentyFiveSockets_EachOpensEchoesItsIdAndClosesOnce()
    {
        // constructor/013: 25 sockets at once, open -> send id -> message with id -> close; 75 events in all.
        const int Count = 25;
        var sockets = new WebSocket[Count];
        var logs = new EventLog[Count];
        var gate = new EventGate();
        for (int i = 0; i < Count; i++)
        {
            int id = i;
            sockets[i] = gate.Create(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()));
            WebSocket socket = sockets[i];
            logs[i] = new EventLog(socket);
            socket.OnOpen = _ => socket.Send(id.ToString(CultureInfo.InvariantCulture));
            socket.OnMessage = _ => socket.Close();
        }

        gate.Release();

        try
        {
            await Task.WhenAll(logs.Select(l => l.ClosedAsync()));
            for (int i = 0; i < Count; i++)
            {
                Assert.Equal(["open", "message", "close"], logs[i].Types);
                Assert.Equal(i.ToString(CultureInfo.InvariantCulture), logs[i].Messages[0].Text);
                Assert.True(((CloseEvent)logs[i].Events[2].Event).WasClean);
            }
        }
        finally
        {
            foreach (WebSocket socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }
}
