using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Interop;

/// <summary>
/// permessage-deflate against ASP.NET Core (Kestrel, whose compression is the runtime's ManagedWebSocket):
/// negotiation in each configuration Kestrel offers, then byte-exact echoes of text and binary, compressible and
/// random, from 0 B to 16 MiB.
/// </summary>
[Collection(KestrelCollection.Name)]
public sealed class KestrelDeflateTests(KestrelFixture kestrel)
{
    public static TheoryData<string, string> Configurations => new()
    {
        { "on", "default" },
        { "nocontext", "default" },
        { "9", "default" },
        { "12", "default" },
        { "on", "client-no-context" },
        { "on", "server-no-context" },
        { "on", "windows-10" },
        { "on", "threshold-0" },
    };

    public static TheoryData<int> Sizes => [0, 1, 125, 1024, 65535, 65536, 1 << 20, 16 << 20];

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Echo_sequence_is_byte_exact(string server, string ours)
    {
        await using var socket = Connect(server, ours);
        var log = new EventLog(socket);
        await log.OpenedAsync();
        Assert.StartsWith("permessage-deflate", socket.Extensions, StringComparison.Ordinal);

        int[] sizes = [0, 10, 1023, 1024, 5000, 40_000, 200_000, 10, 5000, 40_000];
        var sent = new List<object>();
        for (int i = 0; i < sizes.Length; i++)
        {
            bool random = i % 4 == 3;
            object message = i % 2 == 0 ? Payloads.Text(sizes[i], random, i) : Payloads.Bytes(sizes[i], random, i);
            if (message is string text)
            {
                socket.Send(text);
            }
            else
            {
                socket.Send((byte[])message);
            }

            sent.Add(message);
        }

        await log.MessagesAsync(sent.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            if (sent[i] is string text)
            {
                Assert.Equal(text, log.Messages[i].Text);
            }
            else
            {
                Assert.True(((byte[])sent[i]).AsSpan().SequenceEqual(log.Messages[i].Bytes), $"message {i} differs");
            }
        }

        socket.Close(1000);
        Assert.True((await log.ClosedAsync()).WasClean);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Echo_every_size_both_kinds(int size)
    {
        await using var socket = Connect("on", "threshold-0");
        var log = new EventLog(socket);
        await log.OpenedAsync();
        await DeflateEcho.AssertThreeKindsEchoAsync(socket, log, size);
    }

    [Fact]
    public async Task Without_deflate_on_the_server_nothing_is_negotiated()
    {
        await using var socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo"), null, TestOptions.Quiet()), out EventGate gate);
        var log = new EventLog(socket);
        gate.Release();
        await log.OpenedAsync();
        Assert.Equal(string.Empty, socket.Extensions);
    }

    private WebSocket Connect(string server, string ours)
    {
        WebSocketOptions options = TestOptions.Quiet(o =>
        {
            o.Compression = DeflateEcho.Options(ours);
        });
        WebSocket socket = EventGate.Hold(() => new WebSocket(kestrel.Url("/echo?deflate=" + server), null, options), out EventGate gate);
        socket.BinaryType = BinaryType.ArrayBuffer;
        gate.Release();
        return socket;
    }
}
