using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Whatwg.WebSockets.Tests.Peers;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>
/// The ordering and load tests run one at a time and alone, after the parallel collections: each loads the machine
/// on its own, and beside them the tests that time keep-alive, pings and handshakes would measure the load.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OrderingAndLoadCollection
{
    public const string Name = "Ordering and load";
}

/// <summary>
/// The peers of the ordering tests, started once: Kestrel (/custom runs <see cref="OrderingServers.KestrelAsync"/>),
/// the Node ws peer (/sequence) and the raw frame-reading server. Peer names: kestrel, kestrel-deflate, node,
/// node-deflate (permessage-deflate negotiated, every message compressed), raw (no extension; sees the frames).
/// </summary>
public sealed class OrderingPeersFixture : IAsyncLifetime
{
    private KestrelServer? _kestrel;
    private NodeWsServer? _node;
    private ScriptedServer? _raw;

    public string Url(string peer, string query) => peer switch
    {
        "kestrel" => _kestrel!.Url($"/custom?{query}").ToString(),
        "kestrel-deflate" => _kestrel!.Url($"/custom?deflate=on&{query}").ToString(),
        "node" => _node!.Url($"/sequence?{query}").ToString(),
        "node-deflate" => _node!.Url($"/sequence?pmd={Uri.EscapeDataString("{\"threshold\":0}")}&{query}").ToString(),
        "raw" => _raw!.Url($"/raw?{query}").ToString(),
        _ => throw new ArgumentOutOfRangeException(nameof(peer), peer, null),
    };

    /// <summary>The raw server's port.</summary>
    public int RawPort => _raw!.Port;

    /// <summary>What the Node peer wrote to stderr, for failure messages.</summary>
    public string NodeErrors => _node?.StandardError ?? "";

    /// <summary>Errors thrown by the Kestrel and raw handlers, for failure messages.</summary>
    public string HandlerErrors => string.Join("; ", [.. (_kestrel?.CustomHandlerErrors ?? []).Select(e => e.Message), _raw?.HandlerError?.Message ?? ""]);

    public async Task InitializeAsync()
    {
        _kestrel = await KestrelServer.StartAsync(OrderingServers.KestrelAsync);
        _node = await NodeWsServer.StartAsync();
        _raw = ScriptedServer.Start(OrderingServers.RawAsync);
    }

    public async Task DisposeAsync()
    {
        if (_raw is not null)
        {
            await _raw.DisposeAsync();
        }

        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        if (_kestrel is not null)
        {
            await _kestrel.DisposeAsync();
        }
    }
}

/// <summary>
/// No loss, no reordering, no interleaving, against real servers. Every server checks each message whole (header,
/// length, type, every byte; <see cref="OrderedMessage"/>) and its sequence number per stream, and answers our Close
/// with 1000 and <c>ok n=&lt;received&gt; s=&lt;sent&gt;</c> or <c>bad ... &lt;first error&gt;</c>, once everything before the
/// Close frame has been read: so an <c>ok n=N</c> reason says all N messages arrived, in order, before it.
/// </summary>
[Collection(OrderingAndLoadCollection.Name)]
public sealed class OrderingTests(OrderingPeersFixture peers, ITestOutputHelper output) : IClassFixture<OrderingPeersFixture>
{
    private static readonly TimeSpan s_openTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    /// <summary>100,000 messages of 24-223 bytes, text and binary alternately, built before the test sends them.</summary>
    private static readonly Lazy<object[]> s_hundredThousand = new(() =>
        [.. Enumerable.Range(0, 100_000).Select(seq => seq % 2 == 0
            ? (object)OrderedMessage.Text(0, seq, 24 + seq % 200)
            : OrderedMessage.Bytes(0, seq, 24 + seq % 200, text: false))]);

    public static TheoryData<string> AllPeers => ["kestrel", "kestrel-deflate", "node", "node-deflate", "raw"];

    /// <summary>Peers that can echo and send messages of their own while receiving.</summary>
    public static TheoryData<string> DuplexPeers => ["kestrel", "kestrel-deflate", "node", "node-deflate"];

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task Send100000ThenClose_ServerGetsAllInOrderBeforeTheCloseFrame_WasClean(string peer)
    {
        object[] messages = s_hundredThousand.Value;
        await using WebSocket socket = await OpenAsync(peer, "");
        foreach (object message in messages)
        {
            Send(socket, message);
        }

        long queued = socket.BufferedAmount;
        socket.Close();
        CloseEvent close = await ClosedAsync(socket);
        output.WriteLine($"{peer}: {queued} bytes still queued when Close() was called; {close}");
        AssertServerSaw(close, received: messages.Length, sent: 0);
    }

    [Theory]
    [MemberData(nameof(AllPeers))]
    public async Task SixteenThreadsSendAtOnce_EveryMessageArrivesWholeInItsThreadsOrder_FramesNeverInterleave(string peer)
    {
        const int Threads = 16;
        const int PerThread = 40;
        // Sizes around the frame-length encodings and well past any write chunk, so that interleaving would show.
        int[] sizes = [32, 125, 126, 1000, 65535, 65536, 131079, 300_000];
        object[][] batches = [.. Enumerable.Range(0, Threads).Select(t => Enumerable.Range(0, PerThread).Select(seq =>
        {
            int length = sizes[(seq + t) % sizes.Length];
            return (seq + t) % 2 == 0 ? (object)OrderedMessage.Text(t, seq, length) : OrderedMessage.Bytes(t, seq, length, text: false);
        }).ToArray())];

        await using WebSocket socket = await OpenAsync(peer, "");
        var errors = new List<Exception>();
        using (var start = new Barrier(Threads))
        {
            Thread[] threads = [.. batches.Select(batch => new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    foreach (object message in batch)
                    {
                        Send(socket, message);
                    }
                }
                catch (Exception ex)
                {
                    lock (errors)
                    {
                        errors.Add(ex);
                    }
                }
            }))];
            foreach (Thread thread in threads)
            {
                thread.Start();
            }

            foreach (Thread thread in threads)
            {
                Assert.True(thread.Join(s_runTimeout), "a sending thread did not finish");
            }
        }

        Assert.Empty(errors);
        socket.Close();
        CloseEvent close = await ClosedAsync(socket);
        output.WriteLine($"{peer}: {close}");
        AssertServerSaw(close, received: Threads * PerThread, sent: 0);
    }

    [Theory]
    [MemberData(nameof(DuplexPeers))]
    public async Task BothWaysUnderLoad_EchoesAndServerStreamArriveWholeAndInOrder(string peer)
    {
        const int Threads = 4;
        const int PerThread = 2500;
        const int ServerCount = 10_000;
        const int Expected = Threads * PerThread + ServerCount;
        object[][] batches = [.. Enumerable.Range(0, Threads).Select(t => Enumerable.Range(0, PerThread).Select(seq =>
        {
            int length = 24 + ((seq * 53) + (t * 7)) % 1000;
            return (seq + t) % 2 == 0 ? (object)OrderedMessage.Text(t, seq, length) : OrderedMessage.Bytes(t, seq, length, text: false);
        }).ToArray())];

        var received = new OrderingValidator();
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using WebSocket socket = await OpenAsync(peer, $"echo=1&send={ServerCount}", e =>
        {
            if (e.Data is string text)
            {
                received.Observe(Encoding.UTF8.GetBytes(text), isText: true);
            }
            else
            {
                received.Observe(e.Bytes, isText: false);
            }

            if (received.Count >= Expected)
            {
                allIn.TrySetResult();
            }
        });

        await Task.WhenAll(batches.Select((batch, t) => Task.Run(() =>
        {
            foreach (object message in batch)
            {
                Send(socket, message);
            }
        })));

        try
        {
            await allIn.Task.WaitAsync(s_runTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{received.Count} of {Expected} messages arrived within {s_runTimeout.TotalSeconds} s; first error: {received.FirstError}; {Diagnostics()}");
        }

        Assert.Null(received.FirstError);
        Assert.Equal(Expected, received.Count);
        for (int t = 0; t < Threads; t++)
        {
            Assert.Equal(PerThread, received.CountOf(t));
        }

        Assert.Equal(ServerCount, received.CountOf(OrderedMessage.ServerStream));
        socket.Close();
        CloseEvent close = await ClosedAsync(socket);
        AssertServerSaw(close, received: Threads * PerThread, sent: ServerCount);
    }

    /// <summary>The servers' checks can fail: a skipped sequence number, or one changed byte, is reported in the close reason.</summary>
    [Theory]
    [InlineData("kestrel", "gap")]
    [InlineData("kestrel", "corrupt")]
    [InlineData("node", "gap")]
    [InlineData("node", "corrupt")]
    [InlineData("raw", "gap")]
    [InlineData("raw", "corrupt")]
    public async Task ServerCheck_ReportsAGapOrACorruptMessage(string peer, string fault)
    {
        await using WebSocket socket = await OpenAsync(peer, "");
        socket.Send(OrderedMessage.Bytes(0, 0, 100, text: false));
        socket.Send(OrderedMessage.Bytes(0, 1, 100, text: false));
        byte[] third = OrderedMessage.Bytes(0, fault == "gap" ? 3 : 2, 100, text: false);
        if (fault == "corrupt")
        {
            third[50] ^= 1;
        }

        socket.Send(third);
        socket.Close();
        CloseEvent close = await ClosedAsync(socket);
        string expected = fault == "gap" ? "bad n=3 s=0 stream 0: expected seq 2, got 3" : "bad n=3 s=0 stream 0 seq 2: content differs";
        Assert.True(close.WasClean, close.ToString());
        Assert.StartsWith(expected, close.Reason, StringComparison.Ordinal);
    }

    /// <summary>The raw server's frame check can fail: a message started inside an unfinished one is reported.</summary>
    [Fact]
    public async Task RawServerCheck_ReportsInterleavedFrames()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, peers.RawPort);
        NetworkStream stream = tcp.GetStream();
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /raw HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var head = new List<byte>();
        byte[] one = new byte[1];
        while (head.Count < 4 || !head[^4..].SequenceEqual("\r\n\r\n"u8.ToArray()))
        {
            await stream.ReadExactlyAsync(one).AsTask().WaitAsync(s_openTimeout);
            head.Add(one[0]);
        }

        Assert.StartsWith("HTTP/1.1 101", Encoding.ASCII.GetString([.. head]), StringComparison.Ordinal);
        byte[] mask = [0x11, 0x22, 0x33, 0x44];
        byte[] first = OrderedMessage.Bytes(0, 0, 200, text: false);
        byte[] second = OrderedMessage.Bytes(1, 0, 200, text: false);
        await stream.WriteAsync(ScriptedServer.Frame(0x2, first[..100], fin: false, maskKey: mask));
        await stream.WriteAsync(ScriptedServer.Frame(0x2, second, fin: true, maskKey: mask));
        await stream.WriteAsync(ScriptedServer.Frame(0x0, first[100..], fin: true, maskKey: mask));
        await stream.WriteAsync(ScriptedServer.Frame(0x8, [0x03, 0xE8], fin: true, maskKey: mask));

        byte[] header = new byte[2];
        await stream.ReadExactlyAsync(header).AsTask().WaitAsync(s_openTimeout);
        Assert.Equal(0x88, header[0]);
        byte[] payload = new byte[header[1] & 0x7F];
        await stream.ReadExactlyAsync(payload).AsTask().WaitAsync(s_openTimeout);
        string reason = Encoding.UTF8.GetString(payload, 2, payload.Length - 2);
        Assert.StartsWith("bad ", reason, StringComparison.Ordinal);
        Assert.Contains("frames interleaved", reason, StringComparison.Ordinal);
    }

    private async Task<WebSocket> OpenAsync(string peer, string query, Action<MessageEvent>? onMessage = null)
    {
        var socket = new WebSocket(peers.Url(peer, query), null, new WebSocketOptions
        {
            KeepAliveInterval = Timeout.InfiniteTimeSpan,
            ConnectTimeout = s_openTimeout,
            CloseTimeout = s_runTimeout,
            Dispatch = EventDispatch.ThreadPool,
            MaxMessageSize = 1 << 20,
        });
        socket.BinaryType = BinaryType.ArrayBuffer;
        socket.OnMessage = onMessage;
        try
        {
            await socket.WhenOpen.WaitAsync(s_openTimeout);
        }
        catch
        {
            await socket.DisposeAsync();
            throw;
        }

        // The deflate variants are only worth running if compression was negotiated.
        Assert.Equal(peer.EndsWith("-deflate", StringComparison.Ordinal), socket.Extensions.Contains("permessage-deflate", StringComparison.Ordinal));
        return socket;
    }

    private static void Send(WebSocket socket, object message)
    {
        if (message is string text)
        {
            socket.Send(text);
        }
        else
        {
            socket.Send((byte[])message);
        }
    }

    private async Task<CloseEvent> ClosedAsync(WebSocket socket)
    {
        try
        {
            return await socket.WhenClosed.WaitAsync(s_runTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no close event within {s_runTimeout.TotalSeconds} s (ReadyState {socket.ReadyState}, BufferedAmount {socket.BufferedAmount}); {Diagnostics()}");
            throw;
        }
    }

    /// <summary>A clean close with 1000 whose reason is <c>ok n=received s=sent</c> (the raw server adds its frame count).</summary>
    private void AssertServerSaw(CloseEvent close, int received, int sent)
    {
        Assert.True(close.WasClean, $"{close}; {Diagnostics()}");
        Assert.Equal(1000, close.Code);
        string verdict = string.Join(' ', close.Reason.Split(' ').Take(3));
        Assert.True(verdict == $"ok n={received} s={sent}", $"the server answered \"{close.Reason}\", expected \"ok n={received} s={sent}\"");
    }

    private string Diagnostics() => $"handler errors: [{peers.HandlerErrors}], node stderr: [{peers.NodeErrors.Trim()}]";
}
