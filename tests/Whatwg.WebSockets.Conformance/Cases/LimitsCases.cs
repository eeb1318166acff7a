using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>
/// Group 9, limits and performance: big messages in one frame (9.1.x text, 9.2.x binary), a 4 MiB message
/// in fragments of every size (9.3.x text, 9.4.x binary), a 1 MiB frame written in small TCP chops
/// (9.5.x text, 9.6.x binary), and 1000 small messages in a row (9.7.x text, 9.8.x binary). The echo must
/// come back intact; the time taken is reported.
/// </summary>
internal static class LimitsCases
{
    private const int Text = 1;
    private const int Binary = 2;
    private const int KiB = 1024;
    private const int MiB = 1024 * 1024;

    private static readonly byte[] s_textPattern = "BAsd7&jh23"u8.ToArray();
    private static readonly byte[] s_binaryPattern = [0x00, 0xFE, 0x23, 0xFA, 0xF0];

    public static IEnumerable<CaseDefinition> Create()
    {
        // 9.1.x and 9.2.x: one frame of a repeated pattern; the server gives the echo 10 s (the smaller sizes) or 100 s.
        (int Length, int Seconds)[] text = [(64 * KiB, 10), (256 * KiB, 10), (1 * MiB, 100), (4 * MiB, 100), (8 * MiB, 100), (16 * MiB, 100)];
        (int Length, int Seconds)[] binary = [(64 * KiB, 10), (256 * KiB, 10), (1 * MiB, 10), (4 * MiB, 10), (8 * MiB, 100), (16 * MiB, 100)];
        for (int i = 0; i < text.Length; i++)
        {
            (int length, int seconds) = text[i];
            yield return SingleFrame($"9.1.{i + 1}", $"Send a text message of {Size(length)} in one frame.", Text, s_textPattern, length, seconds);
        }

        for (int i = 0; i < binary.Length; i++)
        {
            (int length, int seconds) = binary[i];
            yield return SingleFrame($"9.2.{i + 1}", $"Send a binary message of {Size(length)} in one frame.", Binary, s_binaryPattern, length, seconds);
        }

        // 9.3.x and 9.4.x: 4 MiB in fragments from 64 bytes up to the whole message (one frame).
        int[] fragmentSizes = [64, 256, 1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB];
        for (int i = 0; i < fragmentSizes.Length; i++)
        {
            yield return Fragmented($"9.3.{i + 1}", binary: false, (byte)'*', fragmentSizes[i]);
        }

        for (int i = 0; i < fragmentSizes.Length; i++)
        {
            // The first binary case repeats 0xFE; the others repeat '*', as in the original suite.
            yield return Fragmented($"9.4.{i + 1}", binary: true, i == 0 ? (byte)0xFE : (byte)'*', fragmentSizes[i]);
        }

        // 9.5.x and 9.6.x: a 1 MiB frame written to TCP in chops of 64 to 2048 bytes.
        int[] chops = [64, 128, 256, 512, 1024, 2048];
        for (int i = 0; i < chops.Length; i++)
        {
            yield return Chopped($"9.5.{i + 1}", Text, s_textPattern, chops[i]);
        }

        for (int i = 0; i < chops.Length; i++)
        {
            yield return Chopped($"9.6.{i + 1}", Binary, s_binaryPattern, chops[i]);
        }

        // 9.7.x and 9.8.x: 1000 messages of 0 to 4096 bytes; the original allows 60 s to 480 s for them.
        (int Length, int Seconds)[] rounds = [(0, 60), (16, 60), (64, 60), (256, 120), (1 * KiB, 240), (4 * KiB, 480)];
        for (int i = 0; i < rounds.Length; i++)
        {
            yield return Many($"9.7.{i + 1}", binary: false, (byte)'*', rounds[i].Length, rounds[i].Seconds);
        }

        for (int i = 0; i < rounds.Length; i++)
        {
            yield return Many($"9.8.{i + 1}", binary: true, 0xFE, rounds[i].Length, rounds[i].Seconds);
        }
    }

    private static CaseDefinition SingleFrame(string id, string description, int opcode, byte[] pattern, int length, int seconds) =>
        Performance(id, description, seconds, async s =>
        {
            byte[] payload = Cycle(pattern, length);
            s.Expect(Verdict.Ok, Observed.Message(payload, opcode == Binary));
            await s.SendFrameAsync(opcode, payload);
        });

    private static CaseDefinition Fragmented(string id, bool binary, byte fill, int fragmentSize) =>
        Performance(
            id,
            fragmentSize < 4 * MiB
                ? $"Send a {(binary ? "binary" : "text")} message of 4 MiB in fragments of {Size(fragmentSize)}."
                : $"Send a {(binary ? "binary" : "text")} message of 4 MiB with a fragment size of 4 MiB, so in a single frame.",
            100,
            async s =>
            {
                byte[] payload = Case.Repeat(fill, 4 * MiB);
                s.Expect(Verdict.Ok, Observed.Message(payload, binary));
                await s.SendMessageAsync(payload, binary, fragmentSize);
            });

    private static CaseDefinition Chopped(string id, int opcode, byte[] pattern, int chop) =>
        Performance(
            id,
            $"Send a {(opcode == Binary ? "binary" : "text")} message of 1 MiB in one frame, written to TCP in chops of {chop} bytes.",
            1000,
            async s =>
            {
                byte[] payload = Cycle(pattern, 1 * MiB);
                s.Expect(Verdict.Ok, Observed.Message(payload, opcode == Binary));
                await SendChoppedAsync(s, CaseSession.EncodeFrame(opcode, payload, fin: true, rsv: 0), chop);
            });

    /// <summary>
    /// Writes a frame to TCP in pieces of <paramref name="chop"/> bytes, one write each, yielding between
    /// writes but not sleeping: a timed pause per piece would make the 64-byte case (16 385 writes) take
    /// over a minute, while the point is only that the client gets the frame in many small pieces.
    /// </summary>
    private static async Task SendChoppedAsync(CaseSession s, byte[] frame, int chop)
    {
        for (int offset = 0; offset < frame.Length; offset += chop)
        {
            await s.SendRawAsync(frame[offset..Math.Min(offset + chop, frame.Length)]);
            await Task.Yield();
        }
    }

    /// <summary>
    /// 1000 messages sent back to back (a session script has no hook to wait for each echo before the next,
    /// so this measures throughput rather than the round trip of one message at a time).
    /// </summary>
    private static CaseDefinition Many(string id, bool binary, byte fill, int length, int seconds) =>
        Performance(
            id,
            $"Send 1000 {(binary ? "binary" : "text")} messages of {Size(length)} each and measure how fast they come back.",
            seconds,
            async s =>
            {
                const int count = 1000;
                byte[] payload = Case.Repeat(fill, length);
                s.Expect(Verdict.Ok, [.. Enumerable.Repeat(Observed.Message(payload, binary), count)]);
                for (int i = 0; i < count; i++)
                {
                    await s.SendMessageAsync(payload, binary);
                }
            });

    /// <summary>
    /// A timed echo case: the server closes normally once the echoes are in; if they are not in after
    /// <paramref name="seconds"/> (the original's limit, held to at most 100 s here) the case fails.
    /// </summary>
    private static CaseDefinition Performance(string id, string description, int seconds, Func<CaseSession, Task> run) =>
        new CaseDefinition(id, description, "The echo comes back intact; clean close with 1000. The time is reported.", async s =>
        {
            s.ExpectClose(ExpectedClose.Normal);
            await run(s);
        })
        {
            Timeout = TimeSpan.FromSeconds(Math.Min(seconds, 100)),
        };

    /// <summary><paramref name="length"/> bytes of <paramref name="pattern"/> repeated (the last copy cut short).</summary>
    private static byte[] Cycle(byte[] pattern, int length)
    {
        byte[] data = new byte[length];
        for (int offset = 0; offset < length; offset += pattern.Length)
        {
            pattern.AsSpan(0, Math.Min(pattern.Length, length - offset)).CopyTo(data.AsSpan(offset));
        }

        return data;
    }

    private static string Size(int length) =>
        length >= MiB && length % MiB == 0 ? $"{length / MiB} MiB"
        : length >= KiB && length % KiB == 0 ? $"{length / KiB} KiB"
        : $"{length} bytes";
}
