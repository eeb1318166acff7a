using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>Group 3, reserved bits: with no extension negotiated, any frame with RSV bits set must fail the connection.</summary>
internal static class ReservedBitsCases
{
    private const string AfterEchoExpectation = "The first message is echoed, then the client fails the connection (1002) at the RSV frame; the ping gets no pong.";

    public static IEnumerable<CaseDefinition> Create()
    {
        byte[] hello = Case.Utf8("Hello, world!");
        byte[] binary = [0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF];

        yield return Case.MustFail(
            "3.1",
            "Send a short text message with RSV = 1.",
            s => s.SendFrameAsync(1, hello, rsv: 1));

        yield return EchoThenRsv(
            "3.2",
            "Send a short text message, then the same message with RSV = 2, then a ping.",
            async s =>
            {
                await s.SendFrameAsync(1, hello);
                await s.SendFrameAsync(1, hello, rsv: 2);
                await s.SendFrameAsync(9, default);
            });

        yield return EchoThenRsv(
            "3.3",
            "Send a short text message, then the same message with RSV = 3, then a ping, each frame in its own TCP write.",
            async s =>
            {
                await SendSyncAsync(s, 1, hello, rsv: 0);
                await SendSyncAsync(s, 1, hello, rsv: 3);
                await SendSyncAsync(s, 9, default, rsv: 0);
            });

        yield return EchoThenRsv(
            "3.4",
            "Send a short text message, then the same message with RSV = 4, then a ping, all written one byte at a time.",
            async s =>
            {
                await s.SendFrameAsync(1, hello, chop: 1);
                await s.SendFrameAsync(1, hello, rsv: 4, chop: 1);
                await s.SendFrameAsync(9, default, chop: 1);
            });

        yield return Case.MustFail(
            "3.5",
            "Send a short binary message with RSV = 5.",
            s => s.SendFrameAsync(2, binary, rsv: 5));

        // The original case's title speaks of a ping, but the frame it sends is a binary message.
        yield return Case.MustFail(
            "3.6",
            "Send a binary message holding a short text with RSV = 6.",
            s => s.SendFrameAsync(2, hello, rsv: 6));

        yield return Case.MustFail(
            "3.7",
            "Send an empty Close frame with RSV = 7.",
            s => s.SendFrameAsync(8, default, rsv: 7));
    }

    /// <summary>A frame in a TCP write of its own, followed by a short pause, so frames never share a segment.</summary>
    private static Task SendSyncAsync(CaseSession s, int opcode, ReadOnlyMemory<byte> payload, int rsv) =>
        s.SendFrameAsync(opcode, payload, rsv: rsv, chop: CaseSession.EncodeFrame(opcode, payload.Span, true, rsv).Length);

    private static CaseDefinition EchoThenRsv(string id, string description, Func<CaseSession, Task> send) =>
        new(id, description, AfterEchoExpectation, async s =>
        {
            s.Expect(Verdict.Ok, Observed.Text("Hello, world!"));
            s.Expect(Verdict.NonStrict);
            s.ExpectClose(ExpectedClose.ProtocolError);
            s.KillAfter(TimeSpan.FromSeconds(1));
            await send(s);
        });
}
