using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>Group 2, pings and pongs: pongs must echo ping payloads, unsolicited pongs are ignored, oversized pings fail the connection.</summary>
internal static class PingPongCases
{
    private const string PongExpectation = "A pong carrying the ping's payload comes back; clean close with 1000.";

    public static IEnumerable<CaseDefinition> Create()
    {
        yield return PingForPong("2.1", "Send a ping with an empty payload.", []);
        yield return PingForPong("2.2", "Send a ping whose payload is a short text.", Case.Utf8("Hello, world!"));
        yield return PingForPong("2.3", "Send a ping whose payload is 8 bytes of binary data that is not UTF-8.", [0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF]);
        yield return PingForPong("2.4", "Send a ping whose payload is 125 bytes (the largest a control frame may carry).", Case.Repeat(0xFE, 125));

        yield return Case.MustFail(
            "2.5",
            "Send a ping whose payload is 126 bytes, one more than a control frame may carry.",
            s => s.SendPingAsync(Case.Repeat(0xFE, 126)));

        yield return PingForPong("2.6", "Send a ping with a 125-byte payload, written one byte at a time.", Case.Repeat(0xFE, 125), chop: 1, closeAfter: TimeSpan.FromSeconds(2));

        yield return UnsolicitedPong("2.7", "Send a pong nobody asked for, with an empty payload, then close with 1000.", []);
        yield return UnsolicitedPong("2.8", "Send a pong nobody asked for, with a short text payload, then close with 1000.", Case.Utf8("unsolicited pong payload"));

        byte[] pingPayload = Case.Utf8("ping payload");
        yield return new CaseDefinition(
            "2.9",
            "Send a pong nobody asked for, then a ping with a short text payload.",
            "Nothing in answer to the pong; a pong echoing the ping's payload; clean close with 1000.",
            async s =>
            {
                s.Expect(Verdict.Ok, Observed.Pong(pingPayload));
                s.ExpectClose(ExpectedClose.Normal);
                s.KillAfter(TimeSpan.FromSeconds(1));
                await s.SendPongAsync(Case.Utf8("unsolicited pong payload"));
                await s.SendPingAsync(pingPayload);
            });

        yield return TenPings("2.10", "Send 10 pings back to back, each with its own short payload.", chop: null);
        yield return TenPings("2.11", "Send 10 pings back to back, each with its own short payload, written one byte at a time.", chop: 1);
    }

    private static CaseDefinition PingForPong(string id, string description, byte[] payload, int? chop = null, TimeSpan? closeAfter = null) =>
        new(id, description, PongExpectation, async s =>
        {
            s.Expect(Verdict.Ok, Observed.Pong(payload));
            s.ExpectClose(ExpectedClose.Normal);
            s.KillAfter(closeAfter ?? TimeSpan.FromSeconds(1));
            await s.SendPingAsync(payload, chop);
        });

    private static CaseDefinition UnsolicitedPong(string id, string description, byte[] payload) =>
        new(id, description, "Nothing is sent in answer to the pong; clean close with 1000.", async s =>
        {
            s.Expect(Verdict.Ok);
            s.ExpectClose(ExpectedClose.Normal);
            s.KillAfter(TimeSpan.FromSeconds(1));
            await s.SendPongAsync(payload);
            await s.SendCloseAsync(1000);
        });

    private static CaseDefinition TenPings(string id, string description, int? chop)
    {
        byte[][] payloads = [.. Enumerable.Range(0, 10).Select(i => Case.Utf8($"payload-{i}"))];
        return new(id, description, "A pong for every ping, in order and with its payload (not required by RFC 6455, but checked); clean close with 1000.", async s =>
        {
            s.Expect(Verdict.Ok, [.. payloads.Select(Observed.Pong)]);
            s.ExpectClose(ExpectedClose.Normal);
            s.KillAfter(TimeSpan.FromSeconds(3));
            foreach (byte[] payload in payloads)
            {
                await s.SendPingAsync(payload, chop);
            }
        });
    }
}
