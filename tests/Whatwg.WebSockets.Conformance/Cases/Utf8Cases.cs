using System.Text.Unicode;
using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>
/// Group 6, UTF-8 handling: empty and fragmented text (6.1.x), valid text split anywhere (6.2.x), invalid
/// text (6.3.x), failing fast in the middle of a message (6.4.x), and one case per sequence of the
/// classic UTF-8 decoder test (6.5.x to 6.23.x), each sent as a one-frame text message.
/// </summary>
internal static class Utf8Cases
{
    private const int Continuation = 0;
    private const int Text = 1;

    private const string FailInvalid = "The client fails the connection (close 1007 or TCP drop) without echoing anything.";
    private const string FailFastExpectation =
        "The first part is accepted (the first wait runs out); the client fails the connection (close 1007) as soon as the invalid part arrives.";

    /// <summary>"κόσμε", valid UTF-8 with 2- and 3-byte code points.</summary>
    private static readonly byte[] s_kosme = [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5];

    public static IEnumerable<CaseDefinition> Create()
    {
        foreach (CaseDefinition definition in EmptyAndFragmented())
        {
            yield return definition;
        }

        foreach (CaseDefinition definition in ValidSplit())
        {
            yield return definition;
        }

        foreach (CaseDefinition definition in Invalid())
        {
            yield return definition;
        }

        foreach (CaseDefinition definition in FailFastCases())
        {
            yield return definition;
        }

        int group = 5;
        foreach ((string title, List<(bool Valid, byte[] Bytes)> vectors) in TestSequences())
        {
            for (int i = 0; i < vectors.Count; i++)
            {
                yield return Sequence($"6.{group}.{i + 1}", title, vectors[i].Valid, vectors[i].Bytes);
            }

            group++;
        }
    }

    private static IEnumerable<CaseDefinition> EmptyAndFragmented()
    {
        yield return Case.Echo(
            "6.1.1",
            "Send an empty text message in one frame.",
            [Observed.Text("")],
            s => s.SendFrameAsync(Text, Array.Empty<byte>()));

        yield return Case.Echo(
            "6.1.2",
            "Send a text message as three empty fragments.",
            [Observed.Text("")],
            async s =>
            {
                await s.SendFrameAsync(Text, Array.Empty<byte>(), fin: false);
                await s.SendFrameAsync(Continuation, Array.Empty<byte>(), fin: false);
                await s.SendFrameAsync(Continuation, Array.Empty<byte>(), fin: true);
            });

        byte[] middle = Case.Utf8("middle frame payload");
        yield return Case.Echo(
            "6.1.3",
            "Send a text message as three fragments of which only the middle one carries data.",
            [Observed.Text(middle)],
            async s =>
            {
                await s.SendFrameAsync(Text, Array.Empty<byte>(), fin: false);
                await s.SendFrameAsync(Continuation, middle, fin: false);
                await s.SendFrameAsync(Continuation, Array.Empty<byte>(), fin: true);
            });
    }

    private static IEnumerable<CaseDefinition> ValidSplit()
    {
        byte[] first = Case.Utf8("Hello-µ@ßöä");
        byte[] second = Case.Utf8("üàá-UTF-8!!");
        byte[] whole = [.. first, .. second];

        yield return Case.Echo(
            "6.2.1",
            $"Send a valid UTF-8 text message with non-ASCII letters in one frame (0x{Convert.ToHexString(whole)}).",
            [Observed.Text(whole)],
            s => s.SendMessageAsync(whole, binary: false));

        yield return Case.Echo(
            "6.2.2",
            "Send the same valid UTF-8 text message in two fragments split between two code points.",
            [Observed.Text(whole)],
            async s =>
            {
                await s.SendFrameAsync(Text, first, fin: false);
                await s.SendFrameAsync(Continuation, second, fin: true);
            });

        yield return Case.Echo(
            "6.2.3",
            "Send the same valid UTF-8 text message in one-byte fragments, so most fragments end inside a code point.",
            [Observed.Text(whole)],
            s => s.SendMessageAsync(whole, binary: false, fragmentSize: 1));

        yield return Case.Echo(
            "6.2.4",
            $"Send the valid UTF-8 text 0x{Convert.ToHexString(s_kosme)} in one-byte fragments, cutting every multi-byte code point.",
            [Observed.Text(s_kosme)],
            s => s.SendMessageAsync(s_kosme, binary: false, fragmentSize: 1));
    }

    private static IEnumerable<CaseDefinition> Invalid()
    {
        // Valid text, then an encoded UTF-16 surrogate (invalid at its second byte, 0xA0), then "edited".
        byte[] payload = [.. s_kosme, 0xED, 0xA0, 0x80, .. "edited"u8];

        yield return MustFailInvalid(
            "6.3.1",
            $"Send a text message that is not valid UTF-8 (an encoded surrogate) in one frame (0x{Convert.ToHexString(payload)}).",
            s => s.SendMessageAsync(payload, binary: false),
            TimeSpan.FromSeconds(1));

        yield return MustFailInvalid(
            "6.3.2",
            "Send the same invalid text message in one-byte fragments.",
            s => s.SendMessageAsync(payload, binary: false, fragmentSize: 1),
            TimeSpan.FromSeconds(1));
    }

    private static IEnumerable<CaseDefinition> FailFastCases()
    {
        // Valid text, then F4 90 80 80 (U+110000 by the encoding scheme, beyond Unicode: invalid at 0x90), then "edited".
        byte[] part1 = s_kosme;
        byte[] part2 = [0xF4, 0x90, 0x80, 0x80];
        byte[] part3 = [.. "edited"u8];
        byte[] payload = [.. part1, .. part2, .. part3];

        // Split right after the byte that makes the text invalid (the 13th, 0x90).
        byte[] upTo = payload[..12];
        byte[] invalidByte = payload[12..13];
        byte[] rest = payload[13..];

        yield return FailFast(
            "6.4.1",
            "Send an invalid text message in three frames, pausing 1 s after each of the first two; the second frame holds a code point beyond U+10FFFF.",
            s => s.SendFrameAsync(Text, part1, fin: false),
            s => s.SendFrameAsync(Continuation, part2, fin: false),
            s => s.SendFrameAsync(Continuation, part3, fin: true));

        yield return FailFast(
            "6.4.2",
            "Like 6.4.1, but the second frame holds only the single byte that makes the text invalid.",
            s => s.SendFrameAsync(Text, upTo, fin: false),
            s => s.SendFrameAsync(Continuation, invalidByte, fin: false),
            s => s.SendFrameAsync(Continuation, rest, fin: true));

        // The same splits, but as three TCP writes of one unfragmented frame.
        byte[] frame = CaseSession.EncodeFrame(Text, payload, fin: true, rsv: 0);
        int header = frame.Length - payload.Length;

        yield return FailFast(
            "6.4.3",
            "Like 6.4.1, but the three parts are TCP writes of a single unfragmented frame.",
            s => s.SendRawAsync(frame[..(header + part1.Length)]),
            s => s.SendRawAsync(frame[(header + part1.Length)..(header + part1.Length + part2.Length)]),
            s => s.SendRawAsync(frame[(header + part1.Length + part2.Length)..]));

        yield return FailFast(
            "6.4.4",
            "Like 6.4.2, but the three parts are TCP writes of a single unfragmented frame.",
            s => s.SendRawAsync(frame[..(header + 12)]),
            s => s.SendRawAsync(frame[(header + 12)..(header + 13)]),
            s => s.SendRawAsync(frame[(header + 13)..]));
    }

    /// <summary>
    /// Sends three parts with 1 s waits (tags A and B) between them, going on only while the connection is
    /// open. Failing on the second part is strict; failing only after the whole message is non-strict.
    /// </summary>
    private static CaseDefinition FailFast(
        string id, string description, Func<CaseSession, Task> first, Func<CaseSession, Task> second, Func<CaseSession, Task> third) =>
        new(id, description, FailFastExpectation, async s =>
        {
            s.Expect(Verdict.Ok, Observed.Timeout("A"));
            s.Expect(Verdict.NonStrict, Observed.Timeout("A"), Observed.Timeout("B"));
            s.ExpectClose(ExpectedClose.InvalidPayload);
            await first(s);
            if (await s.WaitAsync(TimeSpan.FromSeconds(1), "A"))
            {
                await second(s);
                if (await s.WaitAsync(TimeSpan.FromSeconds(1), "B"))
                {
                    await third(s);
                    s.KillAfter(TimeSpan.FromSeconds(1));
                }
            }
        });

    private static CaseDefinition MustFailInvalid(string id, string description, Func<CaseSession, Task> send, TimeSpan killAfter) =>
        new(id, description, FailInvalid, async s =>
        {
            s.Expect(Verdict.Ok);
            s.ExpectClose(ExpectedClose.InvalidPayload);
            await send(s);
            s.KillAfter(killAfter);
        });

    /// <summary>One vector of the decoder test as a one-frame text message; the connection is dropped after 0.5 s.</summary>
    private static CaseDefinition Sequence(string id, string title, bool valid, byte[] bytes)
    {
        string hex = bytes.Length == 0 ? "empty" : "0x" + Convert.ToHexString(bytes);
        TimeSpan killAfter = TimeSpan.FromMilliseconds(500);
        return valid
            ? Case.Echo(
                id,
                $"Send a one-frame text message whose payload {hex} is valid UTF-8 ({title}).",
                [Observed.Text(bytes)],
                s => s.SendMessageAsync(bytes, binary: false),
                killAfter)
            : MustFailInvalid(
                id,
                $"Send a one-frame text message whose payload {hex} is not valid UTF-8 ({title}).",
                s => s.SendMessageAsync(bytes, binary: false),
                killAfter);
    }

    /// <summary>
    /// The decoder test vectors, grouped in the order that numbers them 6.5 to 6.23 (each group one
    /// subgroup, each vector one case), with whether the vector is valid UTF-8.
    /// </summary>
    private static List<(string Title, List<(bool Valid, byte[] Bytes)> Vectors)> TestSequences()
    {
        var groups = new List<(string, List<(bool, byte[])>)>();

        void Add(string title, params (bool Valid, byte[] Bytes)[] vectors) => groups.Add((title, [.. vectors]));

        // 6.5: a few valid strings.
        Add(
            "valid text",
            (true, [.. "hello"u8, 0x24, .. "world"u8]),
            (true, [.. "hello"u8, 0xC2, 0xA2, .. "world"u8]),
            (true, [.. "hello"u8, 0xE2, 0x82, 0xAC, .. "world"u8]),
            (true, [.. "hello"u8, 0xF0, 0xA4, 0xAD, 0xA2, .. "world"u8]),
            (true, s_kosme));

        // 6.6: every non-empty prefix of a valid string; a prefix that ends inside a code point is invalid.
        var prefixes = new List<(bool, byte[])>();
        for (int i = 1; i <= s_kosme.Length; i++)
        {
            byte[] prefix = s_kosme[..i];
            prefixes.Add((Utf8.IsValid(prefix), prefix));
        }

        groups.Add(("a prefix of a valid string", prefixes));

        // 6.7 and 6.8: the first sequence of each length.
        Add("first sequence of its length", (true, [0x00]), (true, [0xC2, 0x80]), (true, [0xE0, 0xA0, 0x80]), (true, [0xF0, 0x90, 0x80, 0x80]));
        Add("first 5- or 6-byte sequence, beyond Unicode", (false, [0xF8, 0x88, 0x80, 0x80, 0x80]), (false, [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80]));

        // 6.9 and 6.10: the last sequence of each length.
        Add("last sequence of its length", (true, [0x7F]), (true, [0xDF, 0xBF]), (true, [0xEF, 0xBF, 0xBF]), (true, [0xF4, 0x8F, 0xBF, 0xBF]));
        Add(
            "last 4-, 5- or 6-byte sequence, beyond Unicode",
            (false, [0xF7, 0xBF, 0xBF, 0xBF]),
            (false, [0xFB, 0xBF, 0xBF, 0xBF, 0xBF]),
            (false, [0xFD, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF]));

        // 6.11: other boundaries.
        Add(
            "boundary code point",
            (true, [0xED, 0x9F, 0xBF]),
            (true, [0xEE, 0x80, 0x80]),
            (true, [0xEF, 0xBF, 0xBD]),
            (true, [0xF4, 0x8F, 0xBF, 0xBF]),
            (false, [0xF4, 0x90, 0x80, 0x80]));

        // 6.12: continuation bytes with no lead byte; the last is 0x80 to 0xBE in a row.
        byte[] continuations = new byte[0xBF - 0x80];
        for (int b = 0x80; b < 0xBF; b++)
        {
            continuations[b - 0x80] = (byte)b;
        }

        Add(
            "continuation byte without a lead byte",
            (false, [0x80]),
            (false, [0xBF]),
            (false, [0x80, 0xBF]),
            (false, [0x80, 0xBF, 0x80]),
            (false, [0x80, 0xBF, 0x80, 0xBF]),
            (false, [0x80, 0xBF, 0x80, 0xBF, 0x80]),
            (false, [0x80, 0xBF, 0x80, 0xBF, 0x80, 0xBF]),
            (false, continuations));

        // 6.13: lead bytes each followed by a space, for the ranges [C0, DF), [E0, EF), [F0, F7), [F8, FB), [FC, FD).
        var lonely = new List<(bool, byte[])>();
        foreach ((int from, int to) in new[] { (0xC0, 0xDF), (0xE0, 0xEF), (0xF0, 0xF7), (0xF8, 0xFB), (0xFC, 0xFD) })
        {
            var bytes = new List<byte>();
            for (int b = from; b < to; b++)
            {
                bytes.Add((byte)b);
                bytes.Add(0x20);
            }

            lonely.Add((false, [.. bytes]));
        }

        groups.Add(("lead byte followed by a space", lonely));

        // 6.14 and 6.15: sequences missing their last continuation byte, alone and all concatenated.
        byte[][] truncated =
        [
            [0xC0], [0xE0, 0x80], [0xF0, 0x80, 0x80], [0xF8, 0x80, 0x80, 0x80], [0xFC, 0x80, 0x80, 0x80, 0x80],
            [0xDF], [0xEF, 0xBF], [0xF7, 0xBF, 0xBF], [0xFB, 0xBF, 0xBF, 0xBF], [0xFD, 0xBF, 0xBF, 0xBF, 0xBF],
        ];
        groups.Add(("sequence missing its last byte", [.. truncated.Select(t => (false, t))]));
        Add("truncated sequences concatenated", (false, [.. truncated.SelectMany(t => t)]));

        // 6.16: bytes that never occur in UTF-8.
        Add("impossible byte", (false, [0xFE]), (false, [0xFF]), (false, [0xFE, 0xFE, 0xFF, 0xFF]));

        // 6.17 to 6.19: overlong encodings.
        Add(
            "overlong '/'",
            (false, [0xC0, 0xAF]),
            (false, [0xE0, 0x80, 0xAF]),
            (false, [0xF0, 0x80, 0x80, 0xAF]),
            (false, [0xF8, 0x80, 0x80, 0x80, 0xAF]),
            (false, [0xFC, 0x80, 0x80, 0x80, 0x80, 0xAF]));
        Add(
            "largest overlong sequence of its length",
            (false, [0xC1, 0xBF]),
            (false, [0xE0, 0x9F, 0xBF]),
            (false, [0xF0, 0x8F, 0xBF, 0xBF]),
            (false, [0xF8, 0x87, 0xBF, 0xBF, 0xBF]),
            (false, [0xFC, 0x83, 0xBF, 0xBF, 0xBF, 0xBF]));
        Add(
            "overlong NUL",
            (false, [0xC0, 0x80]),
            (false, [0xE0, 0x80, 0x80]),
            (false, [0xF0, 0x80, 0x80, 0x80]),
            (false, [0xF8, 0x80, 0x80, 0x80, 0x80]),
            (false, [0xFC, 0x80, 0x80, 0x80, 0x80, 0x80]));

        // 6.20 and 6.21: encoded UTF-16 surrogates, single and paired.
        byte[][] surrogates = [[0xED, 0xA0, 0x80], [0xED, 0xAD, 0xBF], [0xED, 0xAE, 0x80], [0xED, 0xAF, 0xBF], [0xED, 0xB0, 0x80], [0xED, 0xBE, 0x80], [0xED, 0xBF, 0xBF]];
        groups.Add(("encoded surrogate", [.. surrogates.Select(t => (false, t))]));
        byte[][] highs = [[0xED, 0xA0, 0x80], [0xED, 0xAD, 0xBF], [0xED, 0xAE, 0x80], [0xED, 0xAF, 0xBF]];
        byte[][] lows = [[0xED, 0xB0, 0x80], [0xED, 0xBF, 0xBF]];
        groups.Add(("encoded surrogate pair", [.. highs.SelectMany(h => lows.Select(l => (false, (byte[])[.. h, .. l])))]));

        // 6.22: noncharacters, which are valid UTF-8: U+FFFE, U+FFFF, then U+nFFFE and U+nFFFF for planes 1 to 16.
        var nonCharacters = new List<(bool, byte[])> { (true, [0xEF, 0xBF, 0xBE]), (true, [0xEF, 0xBF, 0xBF]) };
        foreach (byte lead in new byte[] { 0xF0, 0xF1, 0xF2, 0xF3, 0xF4 })
        {
            foreach (byte second in new byte[] { 0x8F, 0x9F, 0xAF, 0xBF })
            {
                if (lead == 0xF4 && second != 0x8F)
                {
                    continue; // beyond U+10FFFF
                }

                if (lead == 0xF0 && second == 0x8F)
                {
                    continue; // overlong
                }

                nonCharacters.Add((true, [lead, second, 0xBF, 0xBE]));
                nonCharacters.Add((true, [lead, second, 0xBF, 0xBF]));
            }
        }

        groups.Add(("noncharacter", nonCharacters));

        // 6.23: the Specials block, U+FFF9 to U+FFFF.
        groups.Add(("Specials block", [.. Enumerable.Range(0xB9, 7).Select(last => (true, new byte[] { 0xEF, 0xBF, (byte)last }))]));

        return groups;
    }
}
