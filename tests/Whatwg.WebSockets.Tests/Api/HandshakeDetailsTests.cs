using System.Net;
using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Api;

/// <summary><see cref="WebSocket.Handshake"/>: the request sent and the response received, kept only on request.</summary>
[Collection(KestrelCollection.Name)]
public sealed class HandshakeDetailsTests(KestrelFixture kestrel)
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);

    public static TheoryData<string> Transports => ["socket", "http stack"];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Request_and_response_are_there_by_the_open_event(string transport)
    {
        WebSocketOptions options = TestOptions.Quiet(o =>
        {
            o.CollectHandshakeDetails = true;
            o.RequestHeaders["X-Trace"] = "t-1";
            if (transport == "http stack")
            {
                o.Cookies = new CookieContainer(); // cookies take the SocketsHttpHandler path
            }
        });
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo?x=1"), ["chat"], options), out EventGate gate);
        HandshakeDetails? atOpen = null;
        socket.OnOpen = _ => atOpen = socket.Handshake;
        gate.Release();
        await socket.WhenOpen.WaitAsync(s_wait);

        Assert.NotNull(atOpen);
        Assert.Same(atOpen, socket.Handshake);
        Assert.Equal("GET /echo?x=1 HTTP/1.1", atOpen.RequestLine);
        var sent = atOpen.RequestHeaders.ToLookup(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
        Assert.Equal($"127.0.0.1:{kestrel.Server.Url("/").Port}", Assert.Single(sent["Host"]));
        Assert.Equal("t-1", Assert.Single(sent["X-Trace"]));
        Assert.Equal("chat", Assert.Single(sent["Sec-WebSocket-Protocol"]));
        string key = Assert.Single(sent["Sec-WebSocket-Key"]);
        Assert.Equal(16, Convert.FromBase64String(key).Length);

        Assert.Equal(101, atOpen.StatusCode);
        var received = atOpen.ResponseHeaders.ToLookup(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(ScriptedServer.ComputeAccept(key), Assert.Single(received["Sec-WebSocket-Accept"]));
        Assert.Equal("websocket", Assert.Single(received["Upgrade"]), ignoreCase: true);
        socket.Close(1000);
        await socket.WhenClosed.WaitAsync(s_wait);
    }

    [Fact]
    public async Task Nothing_is_kept_by_default()
    {
        await using var socket = new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet());
        await socket.WhenOpen.WaitAsync(s_wait);

        Assert.Null(socket.Handshake);
        socket.Close(1000);
        await socket.WhenClosed.WaitAsync(s_wait);
    }

    [Fact]
    public async Task A_refusal_keeps_the_servers_answer()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Response("HTTP/1.1 403 Forbidden", "X-Reason: no token", "Content-Length: 0"));
        });

        await using var socket = new WebSocket(server.Url("/private"), null, TestOptions.Quiet(o => o.CollectHandshakeDetails = true));
        CloseEvent closed = await socket.WhenClosed.WaitAsync(s_wait);

        Assert.Equal(1006, closed.Code);
        HandshakeDetails details = Assert.IsType<HandshakeDetails>(socket.Handshake);
        Assert.Equal((403, "Forbidden"), (details.StatusCode, details.ReasonPhrase));
        Assert.Contains(new KeyValuePair<string, string>("X-Reason", "no token"), details.ResponseHeaders);
        Assert.Equal("GET /private HTTP/1.1", details.RequestLine);
    }
}
