using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Peers;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>
/// The opening handshake against hostile input: request headers and subprotocols that would inject lines are
/// refused before any connection is made; response heads that never end or hold thousands of headers fail fast
/// with bounded memory; redirects are never followed. Both transports are checked: the raw-socket one and the
/// HttpClient one (used when cookies, credentials or a proxy are set).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class HandshakeHardeningTests(ITestOutputHelper output)
{
    /// <summary>Options for the raw-socket transport, or (with a cookie container) for the HttpClient transport.</summary>
    private static WebSocketOptions Options(bool viaHttpClient, TimeSpan? connectTimeout = null)
    {
        WebSocketOptions options = FailureEventLog.Options(connectTimeout: connectTimeout);
        if (viaHttpClient)
        {
            options.Cookies = new CookieContainer();
        }

        return options;
    }

    public static TheoryData<string, Action<WebSocketOptions>?, string[]?> InjectionCases => new()
    {
        { "CRLF in a header value", o => o.RequestHeaders["X-Test"] = "ok\r\nX-Injected: 1", null },
        { "LF in a header value", o => o.RequestHeaders["X-Test"] = "ok\nX-Injected: 1", null },
        { "CR in a header value", o => o.RequestHeaders["X-Test"] = "ok\rX-Injected: 1", null },
        { "NUL in a header value", o => o.RequestHeaders["X-Test"] = "ok\0", null },
        { "CRLF CRLF (request smuggling) in a header value", o => o.RequestHeaders["X-Test"] = "ok\r\n\r\nGET /smuggled HTTP/1.1", null },
        { "CRLF in a header name", o => o.RequestHeaders["X-Test\r\nX-Injected"] = "1", null },
        { "space in a header name", o => o.RequestHeaders["X Test"] = "1", null },
        { "colon in a header name", o => o.RequestHeaders["X-Test:"] = "1", null },
        { "empty header name", o => o.RequestHeaders[""] = "1", null },
        { "CRLF in the Origin", o => o.Origin = "https://example.com\r\nX-Injected: 1", null },
        { "CRLF in a subprotocol", null, ["chat\r\nX-Injected: 1"] },
        { "LF in a subprotocol", null, ["chat\nX-Injected"] },
        { "space in a subprotocol", null, ["chat v2"] },
        { "comma in a subprotocol", null, ["a,b"] },
        { "empty subprotocol", null, [""] },
    };

    [Theory]
    [MemberData(nameof(InjectionCases))]
    public async Task Injected_lines_are_refused_before_anything_is_sent(string what, Action<WebSocketOptions>? configure, string[]? protocols)
    {
        await using var server = ScriptedServer.Start(async conn => await conn.WaitForCloseAsync(TimeSpan.FromSeconds(2)));
        foreach (bool viaHttpClient in new[] { false, true })
        {
            WebSocketOptions options = Options(viaHttpClient);
            configure?.Invoke(options);
            Exception? thrown = Record.Exception(() => new WebSocket(server.BaseUri, protocols, options));
            Assert.True(thrown is ArgumentException, $"{what} ({(viaHttpClient ? "HttpClient" : "socket")} transport): expected ArgumentException or SyntaxError, got {thrown?.GetType().Name ?? "no exception"}");
        }

        await Task.Delay(150);
        Assert.Equal(0, server.ConnectionCount);
    }

    /// <summary>
    /// Runs a server that answers the request with <paramref name="writeResponse"/> (which may write forever) and
    /// returns the client's failure, how long it took, and how much the whole process allocated meanwhile.
    /// </summary>
    private async Task<(WebSocketFailureException Cause, TimeSpan Elapsed, long Allocated, long ServerWrote)> RunHostileResponseAsync(
        bool viaHttpClient, Func<ScriptedConnection, HandshakeRequest, Func<ReadOnlyMemory<byte>, Task>, Task> writeResponse)
    {
        long wrote = 0;
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            try
            {
                await writeResponse(conn, request, async data =>
                {
                    await conn.WriteAsync(data);
                    Interlocked.Add(ref wrote, data.Length);
                });
            }
            catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The client gave up and closed the connection: the point of the test.
            }
        });

        LeakProbe.FullCollect();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        WebSocketFailureException cause;

        // A long connect timeout: a client without limits would still be reading when the test gives up.
        await using (var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, Options(viaHttpClient, TimeSpan.FromSeconds(30))), out EventGate gate))
        {
            var log = new FailureEventLog(ws);
            gate.Release();
            await log.WaitForCloseAsync(TimeSpan.FromSeconds(15));
            clock.Stop();
            cause = log.AssertFailed(opened: false, WebSocketFailure.HandshakeFailed, fragment: null, closeCodeSent: null);
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        await server.Completion.WaitAsync(FailureEventLog.Wait);
        return (cause, clock.Elapsed, allocated, Interlocked.Read(ref wrote));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Endless_header_line_fails_fast_with_bounded_memory(bool viaHttpClient)
    {
        byte[] chunk = Encoding.ASCII.GetBytes(new string('a', 64 * 1024));
        (WebSocketFailureException cause, TimeSpan elapsed, long allocated, long wrote) = await RunHostileResponseAsync(viaHttpClient, async (conn, request, write) =>
        {
            await write(Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nX-Endless: "));
            for (int i = 0; i < 4096; i++)
            {
                await write(chunk); // up to 256 MiB, never a line end
            }
        });

        output.WriteLine($"{(viaHttpClient ? "HttpClient" : "socket")} transport: failed after {elapsed.TotalMilliseconds:0} ms, server got {wrote / 1024} KiB out, process allocated {allocated / 1024} KiB: {cause.Message}");
        Assert.Contains("too large", cause.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed}");
        Assert.True(allocated < 32L * 1024 * 1024, $"allocated {allocated} bytes while refusing an endless header");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ten_thousand_headers_fail_fast_with_bounded_memory(bool viaHttpClient)
    {
        (WebSocketFailureException cause, TimeSpan elapsed, long allocated, long wrote) = await RunHostileResponseAsync(viaHttpClient, async (conn, request, write) =>
        {
            var head = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\n");
            head.Append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
            head.Append("Sec-WebSocket-Accept: ").Append(ScriptedServer.ComputeAccept(request.Key)).Append("\r\n");
            for (int i = 0; i < 10_000; i++)
            {
                head.Append("X-").Append(i).Append(": v\r\n");
            }

            head.Append("\r\n");
            byte[] bytes = Encoding.ASCII.GetBytes(head.ToString());
            for (int offset = 0; offset < bytes.Length; offset += 1024)
            {
                await write(bytes.AsMemory(offset, Math.Min(1024, bytes.Length - offset)));
            }

            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        });

        output.WriteLine($"{(viaHttpClient ? "HttpClient" : "socket")} transport: failed after {elapsed.TotalMilliseconds:0} ms, server got {wrote / 1024} KiB out, process allocated {allocated / 1024} KiB: {cause.Message}");
        Assert.Contains("too large", cause.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed}");
        Assert.True(allocated < 32L * 1024 * 1024, $"allocated {allocated} bytes while refusing 10k headers");
    }

    [Theory]
    [InlineData(301, false)]
    [InlineData(302, false)]
    [InlineData(303, false)]
    [InlineData(307, false)]
    [InlineData(308, false)]
    [InlineData(301, true)]
    [InlineData(302, true)]
    [InlineData(303, true)]
    [InlineData(307, true)]
    [InlineData(308, true)]
    public async Task Redirects_are_never_followed(int status, bool viaHttpClient)
    {
        await using var elsewhere = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request));
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(3));
        });
        await using var origin = ScriptedServer.Start(async conn =>
        {
            await conn.ReadHandshakeAsync();
            string location = status % 2 == 0 ? elsewhere.Url("/target").ToString() : $"http://127.0.0.1:{elsewhere.Port}/target";
            await conn.WriteAsync(ScriptedServer.Response($"HTTP/1.1 {status} Moved", $"Location: {location}", "Content-Length: 0"));
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(3));
        });

        await using (var ws = EventGate.Hold(() => new WebSocket(origin.BaseUri, null, Options(viaHttpClient)), out EventGate gate))
        {
            var log = new FailureEventLog(ws);
            gate.Release();
            await log.WaitForCloseAsync();
            WebSocketFailureException cause = log.AssertFailed(opened: false, WebSocketFailure.HandshakeFailed, fragment: null, closeCodeSent: null);
            Assert.Equal(status, cause.HandshakeStatusCode);
            Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), cause.Message, StringComparison.Ordinal);
        }

        await origin.Completion.WaitAsync(FailureEventLog.Wait);
        await Task.Delay(200);
        Assert.Equal(1, origin.ConnectionCount);
        Assert.Equal(0, elsewhere.ConnectionCount);
    }
}
