using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Tests.Failures;

/// <summary>
/// A server that breaks RFC 6455 after a valid handshake gets the connection failed: our masked Close
/// frame with 1002 (1007 for bad UTF-8, 1009 for too big), then we drop TCP; listeners see open, error,
/// close 1006.
/// </summary>
public sealed class FramingFailureTests
{
    private static readonly TimeSpan s_wait = FailureEventLog.Wait;

    /// <summary>Bytes 'κόσμε' followed by a UTF-16 surrogate (ED A0 80) and "edited": invalid UTF-8.</summary>
    private static readonly byte[] s_invalidUtf8 =
        [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64];

    /// <summary>
    /// Handshake, then <paramref name="misbehave"/>; then read the client's frame, which must be a masked Close
    /// with <paramref name="closeCode"/>, and see the client close TCP. Returns the recorded events.
    /// </summary>
    private static async Task<FailureEventLog> RunAsync(
        Func<ScriptedConnection, Task> misbehave,
        int closeCode,
        WebSocketFailure failure,
        string fragment,
        WebSocketOptions? options = null)
    {
        Frame? closeFrame = null;
        bool tcpClosed = false;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            conn.ReadTimeout = TimeSpan.FromSeconds(4);
            await misbehave(conn);
            closeFrame = await conn.ReadFrameAsync();
            tcpClosed = await conn.WaitForCloseAsync(TimeSpan.FromSeconds(4));
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options ?? FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        log.AssertFailed(opened: true, failure, fragment, closeCodeSent: closeCode);
        FailureEventLog.AssertCloseFrame(closeFrame, closeCode);
        Assert.Equal(2, closeFrame!.Payload.Length); // a failing Close frame carries no reason
        Assert.True(tcpClosed, "the client should close TCP after its Close frame");
        Assert.Empty(log.Messages);
        return log;
    }

    private static Func<ScriptedConnection, Task> Send(params byte[][] frames) => async conn =>
    {
        foreach (byte[] frame in frames)
        {
            await conn.WriteAsync(frame);
        }
    };

    [Fact]
    public Task Masked_server_frame_fails() =>
        RunAsync(
            Send(ScriptedServer.Frame(0x1, "Hello"u8.ToArray(), maskKey: [0x37, 0xFA, 0x21, 0x3D])),
            1002, WebSocketFailure.ProtocolViolation, "masked");

    [Theory]
    [InlineData(0b100)] // RSV1
    [InlineData(0b010)] // RSV2
    [InlineData(0b001)] // RSV3
    public Task Reserved_bit_without_extension_fails(byte rsv) =>
        RunAsync(Send(ScriptedServer.Frame(0x1, "Hello", rsv: rsv)), 1002, WebSocketFailure.ProtocolViolation, "reserved bit");

    [Theory]
    [InlineData(0x3)]
    [InlineData(0xB)]
    public Task Reserved_opcode_fails(byte opcode) =>
        RunAsync(Send(ScriptedServer.Frame(opcode, "Hello")), 1002, WebSocketFailure.ProtocolViolation, "reserved opcode");

    [Fact]
    public Task Control_frame_over_125_bytes_fails() =>
        RunAsync(Send(ScriptedServer.Frame(0x9, new byte[126])), 1002, WebSocketFailure.ProtocolViolation, "control frame");

    [Fact]
    public Task Fragmented_ping_fails() =>
        RunAsync(Send(ScriptedServer.Frame(0x9, "ping", fin: false)), 1002, WebSocketFailure.ProtocolViolation, "fragmented control frame");

    [Fact]
    public Task Continuation_without_message_fails() =>
        RunAsync(Send(ScriptedServer.Frame(0x0, "orphan")), 1002, WebSocketFailure.ProtocolViolation, "continuation");

    [Fact]
    public Task New_text_frame_inside_fragmented_message_fails() =>
        RunAsync(
            Send(ScriptedServer.Frame(0x1, "first", fin: false), ScriptedServer.Frame(0x1, "second")),
            1002, WebSocketFailure.ProtocolViolation, "fragmented");

    [Fact]
    public Task Non_minimal_16_bit_length_fails() =>
        RunAsync(Send([0x81, 0x7E, 0x00, 0x05, .. "Hello"u8]), 1002, WebSocketFailure.ProtocolViolation, "length");

    [Fact]
    public Task Invalid_utf8_text_message_fails_with_1007_and_is_not_delivered() =>
        RunAsync(Send(ScriptedServer.Frame(0x1, s_invalidUtf8)), 1007, WebSocketFailure.ProtocolViolation, "UTF-8");

    [Fact]
    public Task Invalid_utf8_in_first_fragment_fails_before_the_message_ends() =>
        // Only the first fragment (ending in the surrogate ED A0 80) is sent; the server then reads the client's
        // Close frame before writing anything else, so the client cannot be waiting for the final fragment.
        RunAsync(
            Send(ScriptedServer.Frame(0x1, s_invalidUtf8[..14], fin: false)),
            1007, WebSocketFailure.ProtocolViolation, "UTF-8");

    [Fact]
    public Task Invalid_utf8_close_reason_fails_with_1007() =>
        RunAsync(
            Send(ScriptedServer.Frame(0x8, [0x03, 0xE8, .. s_invalidUtf8])),
            1007, WebSocketFailure.ProtocolViolation, "close reason");

    [Fact]
    public Task Close_frame_with_one_byte_body_fails() =>
        RunAsync(Send([0x88, 0x01, 0x03]), 1002, WebSocketFailure.ProtocolViolation, "close frame");

    [Theory]
    [InlineData(1005)]
    [InlineData(999)]
    [InlineData(1015)]
    [InlineData(5000)]
    public Task Close_frame_with_invalid_code_fails(int code) =>
        RunAsync(Send(ScriptedServer.CloseFrame((ushort)code)), 1002, WebSocketFailure.ProtocolViolation, "status code");

    [Fact]
    public Task Header_announcing_200_MB_fails_with_1009_before_the_payload() =>
        // Only the header is ever sent: the 1009 must follow from it alone (default MaxMessageSize is 64 MiB).
        RunAsync(
            Send([0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x0B, 0xEB, 0xC2, 0x00]),
            1009, WebSocketFailure.MessageTooBig, "larger",
            new WebSocketOptions { CloseTimeout = TimeSpan.FromSeconds(2), KeepAliveInterval = Timeout.InfiniteTimeSpan });

    [Fact]
    public Task Binary_message_over_max_message_size_fails_with_1009() =>
        RunAsync(
            Send(ScriptedServer.Frame(0x2, new byte[2000])),
            1009, WebSocketFailure.MessageTooBig, "larger",
            FailureEventLog.Options(maxMessageSize: 1024));

    [Fact]
    public Task Fragmented_message_over_max_message_size_fails_with_1009() =>
        RunAsync(
            Send(
                ScriptedServer.Frame(0x2, new byte[600], fin: false),
                ScriptedServer.Frame(0x0, new byte[600], fin: false),
                ScriptedServer.Frame(0x0, new byte[600])),
            1009, WebSocketFailure.MessageTooBig, "larger",
            FailureEventLog.Options(maxMessageSize: 1024));
}
