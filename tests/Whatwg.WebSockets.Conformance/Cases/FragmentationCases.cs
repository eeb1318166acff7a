using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>
/// Group 5, fragmentation: fragmented control frames, continuation frames with nothing to continue, data
/// opcodes inside a message, and control frames interleaved with fragments, each sent in one TCP write,
/// in one write per frame, or one byte at a time.
/// </summary>
internal static class FragmentationCases
{
    private const int Continuation = 0;
    private const int Text = 1;
    private const int Ping = 9;
    private const int Pong = 10;

    private const string FailFast = "The client fails the connection at once (close 1002 or TCP drop), echoing nothing.";

    /// <summary>How the frames of a case are written to TCP.</summary>
    private enum Writes
    {
        /// <summary>All frames in a single write.</summary>
        OneChop,

        /// <summary>One write per frame, with a short pause after each.</summary>
        PerFrame,

        /// <summary>One write per byte.</summary>
        PerOctet,
    }

    public static IEnumerable<CaseDefinition> Create()
    {
        byte[] fragment1 = Case.Utf8("fragment1");
        byte[] fragment2 = Case.Utf8("fragment2");
        byte[] fragment3 = Case.Utf8("fragment3");
        byte[] fragment4 = Case.Utf8("fragment4");
        byte[] notContinuing = Case.Utf8("non-continuation payload");
        byte[] hello = Case.Utf8("Hello, world!");
        byte[] pingPayload = Case.Utf8("ping payload");

        yield return Case.MustFail(
            "5.1",
            "Send a ping split into two frames: a ping without FIN, then a continuation with FIN.",
            s => SendAsync(s, Writes.OneChop, (Ping, false, fragment1), (Continuation, true, fragment2)));

        yield return Case.MustFail(
            "5.2",
            "Send a pong split into two frames: a pong without FIN, then a continuation with FIN.",
            s => SendAsync(s, Writes.OneChop, (Pong, false, fragment1), (Continuation, true, fragment2)));

        foreach ((string id, Writes writes, string how) in new[]
        {
            ("5.3", Writes.OneChop, "in one write"),
            ("5.4", Writes.PerFrame, "one frame per write"),
            ("5.5", Writes.PerOctet, "one byte per write"),
        })
        {
            yield return Echo(
                id,
                $"Send a text message in two fragments, {how}.",
                [Observed.Text("fragment1fragment2")],
                s => SendAsync(s, writes, (Text, false, fragment1), (Continuation, true, fragment2)));
        }

        foreach ((string id, Writes writes, string how) in new[]
        {
            ("5.6", Writes.OneChop, "in one write"),
            ("5.7", Writes.PerFrame, "one frame per write"),
            ("5.8", Writes.PerOctet, "one byte per write"),
        })
        {
            yield return Echo(
                id,
                $"Send a text message in two fragments with a ping carrying a payload between them, {how}.",
                [Observed.Pong(pingPayload), Observed.Text("fragment1fragment2")],
                s => SendAsync(s, writes, (Text, false, fragment1), (Ping, true, pingPayload), (Continuation, true, fragment2)));
        }

        foreach ((string id, bool fin, Writes writes, string how) in new[]
        {
            ("5.9", true, Writes.OneChop, "in one write"),
            ("5.10", true, Writes.PerFrame, "one frame per write"),
            ("5.11", true, Writes.PerOctet, "one byte per write"),
            ("5.12", false, Writes.OneChop, "in one write"),
            ("5.13", false, Writes.PerFrame, "one frame per write"),
            ("5.14", false, Writes.PerOctet, "one byte per write"),
        })
        {
            yield return Case.MustFail(
                id,
                $"Send a continuation frame with FIN {(fin ? "set" : "clear")} while no message is in progress, then a whole text message, {how}.",
                s => SendAsync(s, writes, (Continuation, fin, notContinuing), (Text, true, hello)));
        }

        yield return new CaseDefinition(
            "5.15",
            "Send a text message in two fragments, then a continuation frame without FIN with nothing to continue, then a text frame, all in one write.",
            "The first message is echoed, then the client fails the connection at the stray continuation (close 1002 or TCP drop); failing without the echo is non-strict.",
            async s =>
            {
                s.Expect(Verdict.Ok, Observed.Text("fragment1fragment2"));
                s.Expect(Verdict.NonStrict);
                s.ExpectClose(ExpectedClose.ProtocolError);
                await SendAsync(s, Writes.OneChop, (Text, false, fragment1), (Continuation, true, fragment2), (Continuation, false, fragment3), (Text, true, fragment4));
                s.KillAfter(TimeSpan.FromSeconds(1));
            });

        yield return new CaseDefinition(
            "5.16",
            "Twice: send a continuation frame without FIN with nothing to continue, then a text message in two fragments, all in one write.",
            FailFast,
            async s =>
            {
                s.Expect(Verdict.Ok);
                s.ExpectClose(ExpectedClose.ProtocolError);
                await SendAsync(
                    s,
                    Writes.OneChop,
                    (Continuation, false, fragment1),
                    (Text, false, fragment2),
                    (Continuation, true, fragment3),
                    (Continuation, false, fragment1),
                    (Text, false, fragment2),
                    (Continuation, true, fragment3));
                s.KillAfter(TimeSpan.FromSeconds(1));
            });

        yield return new CaseDefinition(
            "5.17",
            "Twice: send a continuation frame with FIN with nothing to continue, then a text message in two fragments, all in one write.",
            FailFast,
            async s =>
            {
                s.Expect(Verdict.Ok);
                s.ExpectClose(ExpectedClose.ProtocolError);
                await SendAsync(
                    s,
                    Writes.OneChop,
                    (Continuation, true, fragment1),
                    (Text, false, fragment2),
                    (Continuation, true, fragment3),
                    (Continuation, true, fragment1),
                    (Text, false, fragment2),
                    (Continuation, true, fragment3));
                s.KillAfter(TimeSpan.FromSeconds(1));
            });

        yield return Case.MustFail(
            "5.18",
            "Send a text message in two fragments whose second frame also carries the text opcode instead of continuation, in one write.",
            s => SendAsync(s, Writes.OneChop, (Text, false, fragment1), (Text, true, fragment2)));

        yield return PingsBetweenFragments("5.19", Writes.OneChop, "each burst in one write");
        yield return PingsBetweenFragments("5.20", Writes.PerFrame, "one frame per write");
    }

    /// <summary>
    /// Text fragments 1-2 and a ping; a one-second wait; fragments 3-4, a second ping and the final fragment 5.
    /// The first pong may come before or after the wait ends (both are accepted, as in Autobahn).
    /// </summary>
    private static CaseDefinition PingsBetweenFragments(string id, Writes writes, string how)
    {
        byte[][] fragments = [.. Enumerable.Range(1, 5).Select(i => Case.Utf8($"fragment{i}"))];
        byte[] ping1 = Case.Utf8("pongme 1!");
        byte[] ping2 = Case.Utf8("pongme 2!");
        Observed message = Observed.Text("fragment1fragment2fragment3fragment4fragment5");
        return new CaseDefinition(
            id,
            $"Send a text message in five fragments with a ping after the second, a one-second pause after that ping, and a second ping before the last fragment, {how}.",
            "Each ping is answered with its payload while the message is still incomplete, then the whole message is echoed; clean close with 1000.",
            async s =>
            {
                s.Expect(Verdict.Ok, Observed.Pong(ping1), Observed.Timeout("A"), Observed.Pong(ping2), message);
                s.Expect(Verdict.Ok, Observed.Timeout("A"), Observed.Pong(ping1), Observed.Pong(ping2), message);
                s.ExpectClose(ExpectedClose.Normal);
                await SendAsync(s, writes, (Text, false, fragments[0]), (Continuation, false, fragments[1]), (Ping, true, ping1));
                if (await s.WaitAsync(TimeSpan.FromSeconds(1), "A"))
                {
                    await SendAsync(s, writes, (Continuation, false, fragments[2]), (Continuation, false, fragments[3]), (Ping, true, ping2), (Continuation, true, fragments[4]));
                    s.KillAfter(TimeSpan.FromSeconds(1));
                }
            });
    }

    private static CaseDefinition Echo(string id, string description, Observed[] echoes, Func<CaseSession, Task> send) =>
        Case.Echo(id, description, echoes, send, killAfter: TimeSpan.FromSeconds(1));

    private static async Task SendAsync(CaseSession session, Writes writes, params (int Opcode, bool Fin, byte[] Payload)[] frames)
    {
        switch (writes)
        {
            case Writes.OneChop:
                await session.SendRawAsync([.. frames.SelectMany(f => CaseSession.EncodeFrame(f.Opcode, f.Payload, f.Fin, 0))]);
                break;
            case Writes.PerFrame:
                foreach ((int opcode, bool fin, byte[] payload) in frames)
                {
                    // A chop as large as the whole frame: one write, then the short pause the chopper makes.
                    await session.SendFrameAsync(opcode, payload, fin, chop: payload.Length + 14);
                }

                break;
            default:
                foreach ((int opcode, bool fin, byte[] payload) in frames)
                {
                    await session.SendFrameAsync(opcode, payload, fin, chop: 1);
                }

                break;
        }
    }
}
