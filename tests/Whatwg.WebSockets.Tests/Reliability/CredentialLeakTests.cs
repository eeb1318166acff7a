using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Peers;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>
/// A password in the URL (ws://user:password@host/) must never show up in what a program typically logs: the
/// failure's message and ToString() (inner exceptions included), the close event, Trace output, the runtime's
/// networking EventSources and Activities, nor in clear text on the wire. (<see cref="WebSocket.Url"/> keeps it:
/// the WHATWG API returns the URL as given.)
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class CredentialLeakTests(ITestOutputHelper output)
{
    private const string User = "alice";
    private const string Password = "s3cr3t-Pa55w0rd";

    private static string WithCredentials(string scheme, int port, string path = "/") => $"{scheme}://{User}:{Password}@127.0.0.1:{port}{path}";

    private static WebSocketOptions Options(bool viaHttpClient, TimeSpan? connectTimeout = null)
    {
        WebSocketOptions options = FailureEventLog.Options(connectTimeout: connectTimeout);
        if (viaHttpClient)
        {
            options.Cookies = new CookieContainer();
        }

        return options;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Password_in_the_url_never_reaches_messages_traces_or_the_wire(bool viaHttpClient)
    {
        var texts = new List<(string Scenario, string Text)>();
        var requests = new ConcurrentQueue<string>();
        using var trace = new CapturingTraceListener();
        using var events = new CapturingEventListener();
        using var activities = new CapturingActivityListener();
        Trace.Listeners.Add(trace);
        try
        {
            // 1. Refused by the server (403).
            await using (var server = ScriptedServer.Start(async conn =>
            {
                requests.Enqueue((await conn.ReadHandshakeAsync()).Raw);
                await conn.WriteAsync(ScriptedServer.Response("HTTP/1.1 403 Forbidden", "Content-Length: 0"));
            }))
            {
                texts.AddRange(await FailAsync("403", WithCredentials("ws", server.Port), Options(viaHttpClient)));
            }

            // 2. Nothing listening.
            int closedPort;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
            }

            texts.AddRange(await FailAsync("connection refused", WithCredentials("ws", closedPort), Options(viaHttpClient)));

            // 3. No answer within the connect timeout.
            await using (var server = ScriptedServer.Start(async conn =>
            {
                requests.Enqueue((await conn.ReadHandshakeAsync()).Raw);
                await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5));
            }))
            {
                texts.AddRange(await FailAsync("connect timeout", WithCredentials("ws", server.Port), Options(viaHttpClient, TimeSpan.FromSeconds(1))));
            }

            // 4. Not HTTP at all.
            await using (var server = ScriptedServer.Start(async conn =>
            {
                requests.Enqueue((await conn.ReadHandshakeAsync()).Raw);
                await conn.WriteAsync("SSH-2.0-OpenSSH_9.6\r\nnot http\r\n\r\n");
            }))
            {
                texts.AddRange(await FailAsync("garbage response", WithCredentials("ws", server.Port), Options(viaHttpClient)));
            }

            // 5. TLS towards a server that speaks plain HTTP.
            await using (var server = ScriptedServer.Start(async conn =>
            {
                await conn.WriteAsync(ScriptedServer.Response("HTTP/1.1 400 Bad Request", "Content-Length: 0"));
            }))
            {
                texts.AddRange(await FailAsync("TLS failure", WithCredentials("wss", server.Port), Options(viaHttpClient)));
            }

            // 6. Open, then a protocol violation (a masked frame from the server), with a listener that throws (reported to Trace).
            await using (var server = ScriptedServer.Start(async conn =>
            {
                requests.Enqueue((await FailureEventLog.AcceptAsync(conn)).Raw);
                await conn.WriteAsync(ScriptedServer.Frame(0x1, Encoding.UTF8.GetBytes("masked"), maskKey: [1, 2, 3, 4]));
                await conn.WaitForCloseAsync(TimeSpan.FromSeconds(3));
            }))
            {
                texts.AddRange(await FailAsync("protocol violation after open", WithCredentials("ws", server.Port), Options(viaHttpClient), throwInOpen: true));
            }
        }
        finally
        {
            Trace.Listeners.Remove(trace);
        }

        string traced = trace.Text;
        string evented = events.Text;
        string tagged = activities.Text;
        output.WriteLine($"{texts.Count} failure texts, {requests.Count} requests, {traced.Length} chars of Trace, {events.Count} EventSource events ({evented.Length} chars), {activities.Count} activities checked");
        Assert.Contains("listener threw", traced, StringComparison.Ordinal); // the capture works
        Assert.True(events.Count > 0, "no networking EventSource event was captured: the check would prove nothing");
        Assert.Equal(6 * 3, texts.Count);
        foreach ((string scenario, string text) in texts)
        {
            Assert.False(text.Contains(Password, StringComparison.Ordinal), $"{scenario}: the password appears in: {text}");
        }

        Assert.All(requests, raw => Assert.DoesNotContain(Password, raw, StringComparison.Ordinal));
        Assert.DoesNotContain(Password, traced, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, evented, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, tagged, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_does_not_show_the_password()
    {
        using var ws = new WebSocket(WithCredentials("ws", 9), null, FailureEventLog.Options());
        Assert.Contains(Password, ws.Url, StringComparison.Ordinal); // the API keeps it, as browsers do
        Assert.DoesNotContain(Password, ws.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Runs one failing connection and returns the texts a program would log about it.</summary>
    private static async Task<(string, string)[]> FailAsync(string scenario, string url, WebSocketOptions options, bool throwInOpen = false)
    {
        await using var ws = EventGate.Hold(() => new WebSocket(url, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        if (throwInOpen)
        {
            // With no UnhandledListenerException handler, the exception goes to Trace.
            ws.OnOpen = _ => throw new InvalidOperationException("listener failure on purpose");
        }

        gate.Release();
        CloseEvent close = await log.WaitForCloseAsync(TimeSpan.FromSeconds(10));
        ErrorEvent error = Assert.IsType<ErrorEvent>(log.Error);
        return
        [
            (scenario, error.Message),
            (scenario, error.Exception.ToString()),
            (scenario, $"{close} {close.Reason} {close.Failure}"),
        ];
    }

    private sealed class CapturingTraceListener : TraceListener
    {
        private readonly StringBuilder _text = new();

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public override void Write(string? message)
        {
            lock (_text)
            {
                _text.Append(message);
            }
        }

        public override void WriteLine(string? message)
        {
            lock (_text)
            {
                _text.AppendLine(message);
            }
        }
    }

    /// <summary>Every event of the runtime's networking EventSources (public and internal diagnostics), at Verbose.</summary>
    private sealed class CapturingEventListener : EventListener
    {
        private readonly ConcurrentQueue<string> _events = new();

        public int Count => _events.Count;

        public string Text => string.Join('\n', _events);

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name.Contains("System.Net", StringComparison.Ordinal))
            {
                EnableEvents(eventSource, EventLevel.Verbose, EventKeywords.All);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            string payload = eventData.Payload is null ? string.Empty : string.Join(" | ", eventData.Payload.Select(p => p?.ToString()));
            _events?.Enqueue($"{eventData.EventSource.Name}/{eventData.EventName}: {eventData.Message} {payload}");
        }
    }

    /// <summary>Every Activity of every source, with its display name and tags.</summary>
    private sealed class CapturingActivityListener : IDisposable
    {
        private readonly ConcurrentQueue<string> _activities = new();
        private readonly ActivityListener _listener;

        public CapturingActivityListener()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = _ => true,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a => _activities.Enqueue($"{a.OperationName} {a.DisplayName} {string.Join(", ", a.TagObjects.Select(t => $"{t.Key}={t.Value}"))}"),
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public int Count => _activities.Count;

        public string Text => string.Join('\n', _activities);

        public void Dispose() => _listener.Dispose();
    }
}
