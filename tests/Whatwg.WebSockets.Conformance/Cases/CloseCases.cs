using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>
/// Group 7, close handling: frames after the server's Close, Close bodies of every length, invalid UTF-8
/// reasons, valid and invalid close codes, and codes outside the 16-bit registry ranges.
/// </summary>
internal static class CloseCases
{
    private const int Text = 1;
    private const int Close = 8;
    private const int Ping = 9;

    private static readonly int[] s_validCodes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
    private static readonly int[] s_invalidCodes = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

    /// <summary>A reason that is not UTF-8: it holds an encoded surrogate (ED A0 80).</summary>
    private static readonly byte[] s_invalidUtf8 =
        [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64];

    private const string CleanNormal = "The client answers the Close with 1000 (nothing else is sent) and the closing handshake completes.";
    private const string FailProtocol = "The client answers with 1002 or drops TCP.";

    public static IEnumerable<CaseDefinition> Create()
    {
        byte[] hello = Case.Utf8("Hello World!");

        // 7.1: what follows a Close frame is ignored.
        yield return Case.Echo(
            "7.1.1",
            "Send a text message; the server closes with 1000 once it is echoed.",
            [Observed.Text(hello)],
            s => s.SendFrameAsync(Text, hello),
            killAfter: TimeSpan.FromSeconds(1));

        yield return ServerCloses(
            "7.1.2",
            "Send a Close with 1000, then a second, empty Close frame.",
            CleanNormal + " The second Close is ignored.",
            ExpectedClose.Normal,
            async s =>
            {
                await s.SendCloseAsync(1000);
                await s.SendFrameAsync(Close, ReadOnlyMemory<byte>.Empty);
            });

        yield return ServerCloses(
            "7.1.3",
            "Send a Close with 1000, then an empty ping.",
            CleanNormal + " No pong.",
            ExpectedClose.Normal,
            async s =>
            {
                await s.SendCloseAsync(1000);
                await s.SendFrameAsync(Ping, ReadOnlyMemory<byte>.Empty);
            });

        yield return ServerCloses(
            "7.1.4",
            "Send a Close with 1000, then a text message.",
            CleanNormal + " The message is not echoed.",
            ExpectedClose.Normal,
            async s =>
            {
                await s.SendCloseAsync(1000);
                await s.SendFrameAsync(Text, hello);
            });

        yield return ServerCloses(
            "7.1.5",
            "Send the first fragment of a text message, then a Close with 1000, then the final fragment.",
            CleanNormal + " The unfinished message is dropped.",
            ExpectedClose.Normal,
            async s =>
            {
                await s.SendFrameAsync(Text, Case.Utf8("fragment1"), fin: false);
                await s.SendCloseAsync(1000);
                await s.SendFrameAsync(0, Case.Utf8("fragment2"));
            });

        byte[] large = Repeated(Case.Utf8("BAsd7&jh23"), 256 * 1024);
        yield return new CaseDefinition(
            "7.1.6",
            "Send a 256 KiB text message and a short text message back to back, then a Close with 1000, then an empty ping.",
            "Informational: whether the messages are echoed before the Close is answered depends on how the client schedules its writes; the ping is ignored and the closing handshake completes.",
            async s =>
            {
                s.Expect(Verdict.Informational, Observed.Text(large), Observed.Text(hello));
                s.Expect(Verdict.Informational, Observed.Text(large));
                s.Expect(Verdict.Informational, Observed.Text(hello));
                s.Expect(Verdict.Informational);
                s.ExpectClose(ExpectedClose.Normal);
                await s.SendRawAsync([.. CaseSession.EncodeFrame(Text, large, true, 0), .. CaseSession.EncodeFrame(Text, hello, true, 0)]);
                await s.SendCloseAsync(1000);
                await s.SendFrameAsync(Ping, ReadOnlyMemory<byte>.Empty);
                s.KillAfter(TimeSpan.FromSeconds(1));
            });

        // 7.3: Close bodies of every length.
        yield return ServerCloses(
            "7.3.1",
            "Send a Close with an empty body (no code, no reason).",
            CleanNormal,
            ExpectedClose.Normal,
            s => s.SendCloseBodyAsync([]));

        yield return ServerCloses(
            "7.3.2",
            "Send a Close whose body is the single byte 'a', too short to hold a code.",
            FailProtocol,
            new ExpectedClose(true, [1002]),
            s => s.SendCloseBodyAsync(Case.Utf8("a")));

        yield return ServerCloses(
            "7.3.3",
            "Send a Close with code 1000 and no reason.",
            CleanNormal,
            ExpectedClose.Normal,
            s => s.SendCloseAsync(1000));

        yield return ServerCloses(
            "7.3.4",
            "Send a Close with code 1000 and a short reason.",
            CleanNormal,
            ExpectedClose.Normal,
            s => s.SendCloseAsync(1000, hello));

        yield return ServerCloses(
            "7.3.5",
            "Send a Close with code 1000 and a 123-byte reason, the longest a control frame allows.",
            CleanNormal,
            ExpectedClose.Normal,
            s => s.SendCloseAsync(1000, Case.Repeat((byte)'*', 123)));

        yield return ServerCloses(
            "7.3.6",
            "Send a Close with code 1000 and a 124-byte reason, making a 126-byte control frame payload.",
            FailProtocol,
            new ExpectedClose(true, [1002]),
            s => s.SendCloseAsync(1000, Case.Repeat((byte)'*', 124)));

        // 7.5: the reason must be UTF-8.
        yield return ServerCloses(
            "7.5.1",
            "Send a Close with code 1000 and a reason that is not valid UTF-8.",
            "The client answers with 1002 or 1007, or drops TCP.",
            new ExpectedClose(true, [1002, 1007]),
            s => s.SendCloseAsync(1000, s_invalidUtf8));

        // 7.7: valid codes are accepted.
        for (int i = 0; i < s_validCodes.Length; i++)
        {
            int code = s_validCodes[i];
            yield return ServerCloses(
                $"7.7.{i + 1}",
                $"Send a Close with the valid code {code}.",
                $"The client answers with 1000 or {code} and the closing handshake completes.",
                new ExpectedClose(true, [1000, code], RequireClean: true),
                s => s.SendCloseAsync(code));
        }

        // 7.9: codes that may not appear on the wire.
        for (int i = 0; i < s_invalidCodes.Length; i++)
        {
            int code = s_invalidCodes[i];
            yield return ServerCloses(
                $"7.9.{i + 1}",
                $"Send a Close with the invalid code {code}.",
                FailProtocol,
                new ExpectedClose(true, [1002]),
                s => s.SendCloseAsync(code));
        }

        // 7.13: codes beyond the registry ranges; the RFC leaves the outcome open.
        foreach ((string id, int code) in new[] { ("7.13.1", 5000), ("7.13.2", 65535) })
        {
            yield return new CaseDefinition(
                id,
                $"Send a Close with the code {code}, outside every range RFC 6455 defines.",
                $"Informational: the RFC does not say what happens; answering with 1000, {code} or 1002, or dropping TCP, is recorded.",
                async s =>
                {
                    s.Expect(Verdict.Informational);
                    s.ExpectClose(new ExpectedClose(true, [1000, code, 1002]));
                    await s.SendCloseAsync(code);
                    s.KillAfter(TimeSpan.FromSeconds(1));
                });
        }
    }

    /// <summary>The server starts the closing handshake (possibly sending more after it); the client sends nothing but its Close.</summary>
    private static CaseDefinition ServerCloses(string id, string description, string expectation, ExpectedClose close, Func<CaseSession, Task> send) =>
        new(id, description, expectation, async s =>
        {
            s.Expect(Verdict.Ok);
            s.ExpectClose(close);
            await send(s);
            s.KillAfter(TimeSpan.FromSeconds(1));
        });

    /// <summary><paramref name="unit"/> repeated and cut to <paramref name="length"/> bytes.</summary>
    private static byte[] Repeated(byte[] unit, int length)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = unit[i % unit.Length];
        }

        return data;
    }
}
