using System.IO.Compression;
using System.Net.Sockets;
using System.Text;
using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Tests.Failures;

/// <summary>
/// permessage-deflate on the wire, against the scripted server: the exact frames we send (RSV1, the stripped
/// 00 00 FF FF, the threshold), the server's compressed frames we accept, and every way a server can get
/// compression wrong, in the handshake or in a frame.
/// </summary>
public sealed class DeflateWireTests
{
    private static readonly TimeSpan s_wait = FailureEventLog.Wait;

    [Fact]
    public async Task Messages_at_or_above_the_threshold_go_compressed_with_rsv1_smaller_ones_plain()
    {
        string small = new('s', 100);
        string large = string.Concat(Enumerable.Repeat("compress me, ", 400));
        byte[] binary = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789", 300)));
        var frames = new List<Frame>();
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request, extensions: "permessage-deflate"));
            for (int i = 0; i < 3; i++)
            {
                frames.Add(await conn.ReadFrameAsync());
            }

            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
            await conn.ReadFrameAsync();
        });

        var options = FailureEventLog.Options();
        options.Compression = new DeflateOptions { Threshold = 1024 };
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForOpenAsync();
        Assert.Equal("permessage-deflate", ws.Extensions);
        ws.Send(small);
        ws.Send(large);
        ws.Send(binary);
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        Assert.Equal(0, frames[0].Rsv);
        Assert.Equal(small, frames[0].Text);

        // RFC 7692 §7.2.1: RSV1 set, the payload is the DEFLATE data without its trailing 00 00 FF FF.
        Assert.Equal(0b100, frames[1].Rsv); // RSV1
        Assert.Equal(0x1, frames[1].Opcode);
        Assert.True(frames[1].Payload.Length < large.Length / 10, $"{frames[1].Payload.Length} bytes for {large.Length}");
        Assert.False(frames[1].Payload.AsSpan().EndsWith(new byte[] { 0x00, 0x00, 0xFF, 0xFF }));
        Assert.Equal(large, Encoding.UTF8.GetString(Inflate(frames[1].Payload)));

        Assert.Equal(0b100, frames[2].Rsv);
        Assert.Equal(0x2, frames[2].Opcode);
        Assert.Equal(binary, Inflate(frames[2].Payload));
        Assert.All(frames, f => Assert.True(f.WasMasked && f.Fin));
    }

    [Fact]
    public async Task Compressed_frames_from_the_server_are_inflated_plain_ones_passed_through()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request, extensions: "permessage-deflate; server_no_context_takeover"));

            // RFC 7692 §7.2.3.1 "Hello" whole, then fragmented (RSV1 on the first frame only), then uncompressed.
            await conn.WriteAsync(Hex("c1 07 f2 48 cd c9 c9 07 00"));
            await conn.WriteAsync(Hex("41 03 f2 48 cd 80 04 c9 c9 07 00"));
            await conn.WriteAsync(Hex("81 05 48 65 6c 6c 6f"));

            // §7.2.3.6: an empty compressed message; §7.2.3.3: "Hello" in a stored (uncompressed) DEFLATE block.
            await conn.WriteAsync(Hex("c1 01 00"));
            await conn.WriteAsync(Hex("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00"));
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
            await conn.ReadFrameAsync();
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        log.AssertClean(1000, string.Empty);
        Assert.Equal(["Hello", "Hello", "Hello", string.Empty, "Hello"], log.Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task Undecodable_compressed_data_fails_with_1007()
    {
        await RunFailingAsync(
            "permessage-deflate",
            conn => conn.WriteAsync(Hex("c2 04 ff ff ff ff")),
            closeCode: 1007,
            WebSocketFailure.ProtocolViolation,
            "could not be inflated");
    }

    [Fact]
    public async Task Inflated_text_that_is_not_utf8_fails_with_1007()
    {
        // The deflate data is valid; what it inflates to (C0 80) is not UTF-8.
        byte[] payload = Deflate([0xC0, 0x80]);
        byte[] frame = ScriptedServer.Frame(0x1, payload, rsv: 0b100);
        await RunFailingAsync("permessage-deflate", conn => conn.WriteAsync(frame), closeCode: 1007, WebSocketFailure.ProtocolViolation, "UTF-8");
    }

    [Fact]
    public async Task Rsv1_on_a_continuation_frame_fails_with_1002()
    {
        await RunFailingAsync(
            "permessage-deflate",
            conn => conn.WriteAsync(Hex("41 03 f2 48 cd c0 04 c9 c9 07 00")),
            closeCode: 1002,
            WebSocketFailure.ProtocolViolation,
            "reserved bit");
    }

    [Fact]
    public async Task Rsv1_without_negotiation_fails_with_1002()
    {
        await RunFailingAsync(
            extensions: null,
            conn => conn.WriteAsync(Hex("c1 07 f2 48 cd c9 c9 07 00")),
            closeCode: 1002,
            WebSocketFailure.ProtocolViolation,
            "reserved bit");
    }

    [Fact]
    public async Task Compressed_message_past_the_limit_fails_with_1009()
    {
        byte[] payload = Deflate(new byte[300_000]);
        byte[] frame = ScriptedServer.Frame(0x2, payload, rsv: 0b100);
        var options = FailureEventLog.Options();
        options.MaxMessageSize = 100_000;
        await RunFailingAsync("permessage-deflate", conn => conn.WriteAsync(frame), closeCode: 1009, WebSocketFailure.MessageTooBig, "larger than", options);
    }

    [Theory]
    [InlineData("permessage-deflate; server_max_window_bits=16", "server_max_window_bits")]
    [InlineData("permessage-deflate; server_max_window_bits=07", "server_max_window_bits")]
    [InlineData("permessage-deflate; client_max_window_bits=8; client_max_window_bits=9", "client_max_window_bits")]
    [InlineData("permessage-deflate; mystery=1", "mystery")]
    [InlineData("permessage-deflate; server_no_context_takeover=1", "server_no_context_takeover")]
    [InlineData("permessage-deflate, permessage-deflate", "more than once")]
    [InlineData("x-webkit-deflate-frame", "did not offer")]
    public async Task Bad_extension_answers_fail_the_handshake(string answer, string fragment)
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request, extensions: answer));
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(4));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        log.AssertFailed(opened: false, WebSocketFailure.HandshakeFailed, fragment, closeCodeSent: null);
    }

    [Fact]
    public async Task Deflate_accepted_when_we_offered_nothing_fails_the_handshake()
    {
        HandshakeRequest? seen = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            seen = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(seen, extensions: "permessage-deflate"));
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(4));
        });

        var options = FailureEventLog.Options();
        options.Compression = null;
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        Assert.DoesNotContain("Sec-WebSocket-Extensions", seen!.Raw, StringComparison.OrdinalIgnoreCase);
        log.AssertFailed(opened: false, WebSocketFailure.HandshakeFailed, "did not offer", closeCodeSent: null);
    }

    [Fact]
    public async Task Server_that_ignores_no_context_takeover_request_fails_the_handshake()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            Assert.Contains("server_no_context_takeover", request.Raw, StringComparison.Ordinal);
            await conn.WriteAsync(ScriptedServer.Accept(request, extensions: "permessage-deflate"));
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(4));
        });

        var options = FailureEventLog.Options();
        options.Compression = new DeflateOptions { ServerContextTakeover = false };
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        log.AssertFailed(opened: false, WebSocketFailure.HandshakeFailed, "server_no_context_takeover", closeCodeSent: null);
    }

    [Theory]
    [InlineData(8, 15)]
    [InlineData(16, 15)]
    [InlineData(15, 7)]
    public void Out_of_range_window_bits_are_refused_by_the_constructor(int client, int server)
    {
        var options = new WebSocketOptions { Compression = new DeflateOptions { ClientMaxWindowBits = client, ServerMaxWindowBits = server } };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocket("ws://127.0.0.1:9/", options));
        Assert.Contains("MaxWindowBits must be 9 to 15", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    public void Out_of_range_compression_level_is_refused_by_the_constructor(int level)
    {
        var options = new WebSocketOptions { Compression = new DeflateOptions { CompressionLevel = level } };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocket("ws://127.0.0.1:9/", options));
        Assert.Contains("CompressionLevel must be 1 to 9", ex.Message, StringComparison.Ordinal);
    }

    private static async Task RunFailingAsync(
        string? extensions, Func<ScriptedConnection, Task> misbehave, int closeCode, WebSocketFailure failure, string fragment, WebSocketOptions? options = null)
    {
        Frame? closeFrame = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request, extensions: extensions));
            await misbehave(conn);
            closeFrame = await conn.ReadFrameAsync();
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(4));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options ?? FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        log.AssertFailed(opened: true, failure, fragment, closeCodeSent: closeCode);
        FailureEventLog.AssertCloseFrame(closeFrame, closeCode);
        Assert.Empty(log.Messages);
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    /// <summary>Raw DEFLATE with a sync flush, the trailing 00 00 FF FF removed: a permessage-deflate payload.</summary>
    internal static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
            deflate.Flush();
        }

        byte[] all = output.ToArray();
        int end = all.AsSpan().LastIndexOf(new byte[] { 0x00, 0x00, 0xFF, 0xFF });
        return all[..end];
    }

    private static byte[] Inflate(byte[] payload)
    {
        using var input = new MemoryStream([.. payload, 0x00, 0x00, 0xFF, 0xFF]);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        try
        {
            inflate.CopyTo(output);
        }
        catch (InvalidDataException)
        {
            // The stream has no final block; everything before the end was produced.
        }

        return output.ToArray();
    }
}

/// <summary>
/// The inflation bomb: a compressed message that would inflate to 1 GiB is refused at the limit with 1009,
/// and the client allocates a small multiple of the limit doing so, not the gigabyte. Alone in its
/// collection so that no other test's allocations are counted.
/// </summary>
[Collection(Name)]
public sealed class DeflateBombTests
{
    public const string Name = "deflate bomb (not parallel)";

    [Fact]
    public async Task One_gibibyte_bomb_is_refused_with_1009_and_bounded_memory()
    {
        const long bombSize = 1L << 30;
        byte[] zeros = new byte[1 << 20];
        byte[] payload;
        using (var output = new MemoryStream())
        {
            using (var deflate = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                for (long written = 0; written < bombSize; written += zeros.Length)
                {
                    deflate.Write(zeros);
                }

                deflate.Flush();
            }

            byte[] all = output.ToArray();
            payload = all[..all.AsSpan().LastIndexOf(new byte[] { 0x00, 0x00, 0xFF, 0xFF })];
        }

        byte[] frame = ScriptedServer.Frame(0x2, payload, rsv: 0b100);
        await using var server = ScriptedServer.Start(async conn =>
        {
            conn.ReadTimeout = TimeSpan.FromSeconds(5);
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            await conn.WriteAsync(ScriptedServer.Accept(request, extensions: "permessage-deflate"));
            try
            {
                await conn.WriteAsync(frame);
                await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
            {
                // The client dropped the connection while the bomb was still arriving: expected.
            }
        });

        var options = FailureEventLog.Options();
        options.MaxMessageSize = 1 << 20;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(FailureEventLog.Wait);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        log.AssertFailed(opened: true, WebSocketFailure.MessageTooBig, "larger than", closeCodeSent: 1009);
        Assert.True(payload.Length < 2 << 20, $"the bomb is {payload.Length} bytes on the wire");
        Assert.True(allocated < 16L << 20, $"allocated {allocated:N0} bytes refusing a {bombSize:N0}-byte bomb with a {options.MaxMessageSize:N0}-byte limit");
    }
}

[CollectionDefinition(DeflateBombTests.Name, DisableParallelization = true)]
public sealed class DeflateBombCollection
{
}
