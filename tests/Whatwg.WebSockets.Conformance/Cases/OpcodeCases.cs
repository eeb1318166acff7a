using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>Group 4, opcodes: a frame with a reserved opcode, data (3-7) or control (11-15), must fail the connection.</summary>
internal static class OpcodeCases
{
    public static IEnumerable<CaseDefinition> Create()
    {
        byte[] hello = Case.Utf8("Hello, world!");
        byte[] reservedPayload = Case.Utf8("reserved opcode payload");

        for (int group = 1; group <= 2; group++)
        {
            int first = group == 1 ? 3 : 11;
            string kind = group == 1 ? "data" : "control";

            int empty = first;
            yield return Case.MustFail(
                $"4.{group}.1",
                $"Send an empty frame with the reserved {kind} opcode {empty}.",
                s => s.SendFrameAsync(empty, default));

            int withPayload = first + 1;
            yield return Case.MustFail(
                $"4.{group}.2",
                $"Send a frame with the reserved {kind} opcode {withPayload} and a short text payload.",
                s => s.SendFrameAsync(withPayload, reservedPayload));

            int third = first + 2;
            yield return EchoThenReserved(
                $"4.{group}.3",
                $"Send a short text message, then an empty frame with the reserved {kind} opcode {third}, then a ping.",
                async s =>
                {
                    await s.SendFrameAsync(1, hello);
                    await s.SendFrameAsync(third, default);
                    await s.SendFrameAsync(9, default);
                });

            int fourth = first + 3;
            yield return EchoThenReserved(
                $"4.{group}.4",
                $"Send a short text message, then a frame with the reserved {kind} opcode {fourth} carrying the same text, then a ping.",
                async s =>
                {
                    await s.SendFrameAsync(1, hello);
                    await s.SendFrameAsync(fourth, hello);
                    await s.SendFrameAsync(9, default);
                });

            int fifth = first + 4;
            yield return EchoThenReserved(
                $"4.{group}.5",
                $"Send a short text message, then a frame with the reserved {kind} opcode {fifth} carrying the same text, then a ping, all written one byte at a time.",
                async s =>
                {
                    await s.SendFrameAsync(1, hello, chop: 1);
                    await s.SendFrameAsync(fifth, hello, chop: 1);
                    await s.SendFrameAsync(9, default, chop: 1);
                });
        }
    }

    private static CaseDefinition EchoThenReserved(string id, string description, Func<CaseSession, Task> send) =>
        new(id, description, "The first message is echoed, then the client fails the connection (1002) at the reserved opcode; the ping gets no pong.", async s =>
        {
            s.Expect(Verdict.Ok, Observed.Text("Hello, world!"));
            s.Expect(Verdict.NonStrict);
            s.ExpectClose(ExpectedClose.ProtocolError);
            s.KillAfter(TimeSpan.FromSeconds(1));
            await send(s);
        });
}
