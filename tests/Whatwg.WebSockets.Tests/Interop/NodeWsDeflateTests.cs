using System.Text;
using System.Text.Json;
using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Interop;

/// <summary>
/// permessage-deflate against the Node <c>ws</c> server in several configurations (its perMessageDeflate options,
/// chosen per connection with the <c>pmd</c> query parameter): every echo must come back byte-exact, for text and
/// binary, compressible and random, across several messages so that context takeover is exercised.
/// </summary>
[Collection(NodeWsCollection.Name)]
public sealed class NodeWsDeflateTests(NodeWsServerFixture node)
{
    /// <summary>ws perMessageDeflate options (as JSON) for the server side, and what our client offers.</summary>
    public static TheoryData<string, string> Configurations => new()
    {
        { """{"threshold":0}""", "default" },
        { """{"threshold":0,"serverNoContextTakeover":true}""", "default" },
        { """{"threshold":0,"clientNoContextTakeover":true}""", "default" },
        { """{"threshold":0,"serverNoContextTakeover":true,"clientNoContextTakeover":true}""", "default" },
        { """{"threshold":0,"serverMaxWindowBits":9}""", "default" },
        { """{"threshold":0,"serverMaxWindowBits":10,"clientMaxWindowBits":9}""", "default" },
        { """{"threshold":0,"serverMaxWindowBits":12,"clientMaxWindowBits":11}""", "default" },
        { """{"threshold":0,"serverMaxWindowBits":11,"clientMaxWindowBits":10}""", "default" },
        { """{"threshold":0,"serverMaxWindowBits":13,"clientMaxWindowBits":12}""", "default" },
        { """{"threshold":0,"serverMaxWindowBits":14,"clientMaxWindowBits":13}""", "default" },
        { """{"threshold":0,"serverMaxWindowBits":15,"clientMaxWindowBits":14}""", "default" },
        { """{"threshold":0,"serverMaxWindowBits":9,"clientMaxWindowBits":9,"serverNoContextTakeover":true,"clientNoContextTakeover":true}""", "default" },
        { """{"threshold":0,"clientMaxWindowBits":15,"serverMaxWindowBits":15}""", "default" },
        { """{"threshold":0}""", "client-no-context" },
        { """{"threshold":0}""", "server-no-context" },
        { """{"threshold":0}""", "windows-9" },
        { """{"threshold":0}""", "windows-12" },
        { """{"threshold":0}""", "threshold-4096" },
        { """{"threshold":1024}""", "default" },
    };

    public static TheoryData<int> LargeSizes => [0, 1, 125, 65536, 1 << 20, 16 << 20];

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Echo_many_messages_byte_exact(string serverOptions, string ours)
    {
        await using var socket = Connect(serverOptions, ours);
        var log = new EventLog(socket);
        await log.OpenedAsync();
        Assert.StartsWith("permessage-deflate", socket.Extensions, StringComparison.Ordinal);

        // Sizes around the threshold and the window, each twice (the second benefits from context takeover).
        int[] sizes = [0, 1, 100, 1023, 1024, 2000, 20_000, 70_000, 300_000, 0, 1, 100, 2000, 70_000];
        var sent = new List<object>();
        for (int i = 0; i < sizes.Length; i++)
        {
            bool random = i % 3 == 2;
            if (i % 2 == 0)
            {
                string text = Payloads.Text(sizes[i], random, seed: i);
                socket.Send(text);
                sent.Add(text);
            }
            else
            {
                byte[] bytes = Payloads.Bytes(sizes[i], random, seed: i);
                socket.Send(bytes);
                sent.Add(bytes);
            }
        }

        await log.MessagesAsync(sent.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            MessageEvent received = log.Messages[i];
            if (sent[i] is string text)
            {
                Assert.Equal(text, received.Text);
            }
            else
            {
                Assert.True(((byte[])sent[i]).AsSpan().SequenceEqual(received.Bytes), $"message {i} ({sizes[i]} bytes) differs");
            }
        }

        socket.Close(1000);
        Assert.True((await log.ClosedAsync()).WasClean);
    }

    [Theory]
    [MemberData(nameof(LargeSizes))]
    public async Task Echo_large_messages_byte_exact(int size)
    {
        await using var socket = Connect("""{"threshold":0}""", "default");
        var log = new EventLog(socket);
        await log.OpenedAsync();
        await DeflateEcho.AssertThreeKindsEchoAsync(socket, log, size);
    }

    [Fact]
    public async Task Offer_is_what_the_options_say()
    {
        await using var socket = Connect("""{"threshold":0}""", "windows-9", path: "/headers");
        var log = new EventLog(socket);
        await log.MessagesAsync(1);
        using JsonDocument report = JsonDocument.Parse(log.Messages[0].Text);
        string offer = report.RootElement.GetProperty("headers").GetProperty("sec-websocket-extensions").GetString()!;
        Assert.Equal("permessage-deflate; client_max_window_bits=9; server_max_window_bits=9", offer);
        Assert.Contains("server_max_window_bits=9", socket.Extensions, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_that_declines_leaves_compression_off()
    {
        await using var socket = Connect("off", "default");
        var log = new EventLog(socket);
        await log.OpenedAsync();
        Assert.Equal(string.Empty, socket.Extensions);
        string text = Payloads.Text(100_000, random: false, seed: 1);
        socket.Send(text);
        await log.MessagesAsync(1);
        Assert.Equal(text, log.Messages[0].Text);
    }

    [Fact]
    public async Task Compression_off_offers_nothing()
    {
        await using var socket = EventGate.Hold(
            () => new WebSocket(node.Url("/headers?pmd=" + Uri.EscapeDataString("""{"threshold":0}""")).ToString(), null, TestOptions.Quiet(o => o.Compression = null)),
            out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.MessagesAsync(1);
        using JsonDocument report = JsonDocument.Parse(log.Messages[0].Text);
        Assert.False(report.RootElement.GetProperty("headers").TryGetProperty("sec-websocket-extensions", out _));
        Assert.Equal(string.Empty, socket.Extensions);
    }

    [Fact]
    public async Task Server_messages_inflate_from_a_flood()
    {
        // ws compresses each of the 200 messages with context takeover; every one must arrive intact and in order.
        await using var socket = Connect("""{"threshold":0}""", "default", path: "/flood?size=5000&count=200");
        var log = new EventLog(socket);
        await log.MessagesAsync(200);
        string expected = string.Create(5000, 0, static (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = (char)(0x20 + (i % 95));
            }
        });
        Assert.All(log.Messages, m => Assert.Equal(expected, m.Text));
        Assert.True((await log.ClosedAsync()).WasClean);
    }

    private WebSocket Connect(string serverOptions, string ours, string path = "/echo")
    {
        string separator = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        Uri url = node.Url(path + separator + "pmd=" + Uri.EscapeDataString(serverOptions));
        WebSocketOptions options = TestOptions.Quiet(o =>
        {
            o.Compression = DeflateEcho.Options(ours);
            o.MaxMessageSize = 64L << 20;
        });
        WebSocket socket = EventGate.Hold(() => new WebSocket(url.ToString(), null, options), out EventGate gate);
        socket.BinaryType = BinaryType.ArrayBuffer;
        gate.Release();
        return socket;
    }
}
