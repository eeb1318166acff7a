using System.Diagnostics;
using System.Globalization;
using Whatwg.WebSockets.Conformance.Fuzzing;
using Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>
/// Groups 12 and 13, permessage-deflate (RFC 7692). The server compresses every message it sends with the
/// agreed parameters, the client echoes each one, and the server inflates the echo and compares it byte for
/// byte before sending the next; after the last echo it closes with 1000.
/// </summary>
/// <remarks>
/// <para>
/// Group 12 (different payloads): the plain offer accepted as it is (context takeover both ways, 15-bit
/// windows), with five documents (12.1 to 12.5, see <see cref="CompressionPayloads"/>), each in the same 18
/// rounds: messages of 16 B to 128 KiB, one frame each or cut into frames of 256 B to 32 KiB of compressed data.
/// </para>
/// <para>
/// Group 13 (different parameters): the JSON document in the same 18 rounds, under seven parameter sets (13.1 to
/// 13.7), the original's pairs of a client offer and a server answer. In the original a client test only sets
/// the server's answer and the client-side parameters follow from it; the server-side ones come from the
/// client's offer, which the original's own client makes with server_no_context_takeover and
/// server_max_window_bits=8 or 15. Here the case tells the client to make that offer
/// (<see cref="CaseDefinition.ClientOffer"/>), and the server also states the server-side parameters itself, as
/// RFC 7692 §7.1.1.1 and §7.1.2.1 allow, so every client gets the same agreement. Neither client here can offer
/// server_max_window_bits=8 (both accept 9 to 15), so they offer 9 and the server answers 8, the "same or smaller
/// value" of §7.1.2.1. The original's server asks client_no_context_takeover only of a client whose offer
/// "accepts" it, but its offer parser counts every offer as accepting it, and RFC 7692 §7.1.1.2 lets a server
/// ask it of any client; so no client is told to offer client_no_context_takeover here.
/// </para>
/// <para>
/// Judging: a case is OK when every echo is byte-exact and of the same type, the client's compressed messages
/// keep to the agreement (see <see cref="PerMessageDeflate"/>), and the close is clean, all within the
/// original's time limit. A client may send any message uncompressed (RFC 7692 §6), as ours does below its
/// threshold (1024 B by default). The original records UNIMPLEMENTED when nothing could be agreed; that is
/// INFORMATIONAL here, while an offer that breaks RFC 7692 is FAILED.
/// </para>
/// <para>
/// Window bits 8 (13.3, 13.5, 13.7): zlib cannot compress raw deflate with a 256-byte window and uses 512 bytes
/// instead, but its matches never reach back more than 512 - 262 (its lookahead) = 250 bytes. RFC 7692
/// §7.1.2.2 limits the window the client uses, and the receiver can only tell that limit by the distances in
/// the data, so the judge checks every distance against 256 bytes and inflates with an 8-bit window: a client
/// that compresses 8 as 9 the way zlib does is OK, as it is with the original, whose server inflates with an
/// 8-bit window too. The server's own 8-bit output is made the same way and checked against the same limit.
/// </para>
/// </remarks>
internal static class CompressionCases
{
    private const int KiB = 1024;

    /// <summary>The 18 rounds of each sub-group: message size, message count, time limit (s), frame size for the compressed payload (0: one frame).</summary>
    private static readonly (int Length, int Count, int Seconds, int FrameSize)[] s_rounds =
    [
        (16, 1000, 60, 0),
        (64, 1000, 60, 0),
        (256, 1000, 120, 0),
        (1 * KiB, 1000, 240, 0),
        (4 * KiB, 1000, 480, 0),
        (8 * KiB, 1000, 480, 0),
        (16 * KiB, 1000, 480, 0),
        (32 * KiB, 1000, 480, 0),
        (64 * KiB, 1000, 480, 0),
        (128 * KiB, 1000, 480, 0),
        (8 * KiB, 1000, 480, 256),
        (16 * KiB, 1000, 480, 256),
        (32 * KiB, 1000, 480, 256),
        (64 * KiB, 1000, 480, 256),
        (128 * KiB, 1000, 480, 256),
        (128 * KiB, 1000, 480, 1 * KiB),
        (128 * KiB, 1000, 480, 4 * KiB),
        (128 * KiB, 1000, 480, 32 * KiB),
    ];

    /// <summary>Group 13's parameter sets: what the client offers and how the server answers (first fitting answer wins).</summary>
    private static readonly (CompressionOffer Offer, DeflateAnswer[] Answers)[] s_parameterSets =
    [
        // 13.1: the plain offer, accepted as it is.
        (CompressionOffer.Default, [DeflateAnswer.Plain]),

        // 13.2: no context takeover both ways.
        (new CompressionOffer { ServerNoContextTakeover = true }, [new(ClientNoContextTakeover: true, ServerNoContextTakeover: true)]),

        // 13.3: 8-bit windows both ways.
        (new CompressionOffer { ServerMaxWindowBits = 9 }, [new(ClientMaxWindowBits: 8, ServerMaxWindowBits: 8)]),

        // 13.4: 15-bit windows stated both ways.
        (CompressionOffer.Default, [new(ClientMaxWindowBits: 15, ServerMaxWindowBits: 15)]),

        // 13.5: no context takeover and 8-bit windows both ways.
        (new CompressionOffer { ServerNoContextTakeover = true, ServerMaxWindowBits = 9 }, [new(true, 8, true, 8)]),

        // 13.6: no context takeover and 15-bit windows stated both ways.
        (new CompressionOffer { ServerNoContextTakeover = true }, [new(true, 15, true, 15)]),

        // 13.7: 13.5's answer, else 13.2's, else the plain one.
        (new CompressionOffer { ServerNoContextTakeover = true, ServerMaxWindowBits = 9 },
            [new(true, 8, true, 8), new(ClientNoContextTakeover: true, ServerNoContextTakeover: true), DeflateAnswer.Plain]),
    ];

    /// <summary>What each sub-group of 12 and 13 exercises, for the report.</summary>
    public static IReadOnlyList<(string Id, string Description)> Subgroups
    {
        get
        {
            var list = new List<(string, string)>();
            for (int i = 0; i < CompressionPayloads.Group12.Count; i++)
            {
                CompressionPayload payload = CompressionPayloads.Group12[i];
                list.Add(($"12.{i + 1}", $"{payload.Name} ({(payload.Binary ? "binary" : "text")} messages); plain offer, accepted as it is"));
            }

            for (int i = 0; i < s_parameterSets.Length; i++)
            {
                (CompressionOffer offer, DeflateAnswer[] answers) = s_parameterSets[i];
                list.Add(($"13.{i + 1}", $"JSON document; client offers {offer.Describe()}; server answers {string.Join(", else ", answers.Select(a => a.Describe()))}"));
            }

            return list;
        }
    }

    public static IEnumerable<CaseDefinition> Create()
    {
        for (int group = 0; group < CompressionPayloads.Group12.Count; group++)
        {
            CompressionPayload payload = CompressionPayloads.Group12[group];
            for (int round = 0; round < s_rounds.Length; round++)
            {
                yield return Exchange($"12.{group + 1}.{round + 1}", payload, round, CompressionOffer.Default, [DeflateAnswer.Plain]);
            }
        }

        for (int set = 0; set < s_parameterSets.Length; set++)
        {
            (CompressionOffer offer, DeflateAnswer[] answers) = s_parameterSets[set];
            for (int round = 0; round < s_rounds.Length; round++)
            {
                yield return Exchange($"13.{set + 1}.{round + 1}", CompressionPayloads.Json, round, offer, answers);
            }
        }
    }

    private static CaseDefinition Exchange(string id, CompressionPayload payload, int roundIndex, CompressionOffer offer, DeflateAnswer[] answers)
    {
        (int length, int count, int seconds, int frameSize) = s_rounds[roundIndex];
        string kind = payload.Binary ? "binary" : "text";
        string framing = frameSize == 0 ? "one frame each" : string.Create(CultureInfo.InvariantCulture, $"the compressed payload in frames of {frameSize} bytes");
        string parameters = answers.Length == 1 && answers[0] == DeflateAnswer.Plain && offer == CompressionOffer.Default
            ? "the plain offer accepted as it is"
            : $"client offers {offer.Describe()}, server answers {answers[0].Describe()}";
        string description = string.Create(
            CultureInfo.InvariantCulture,
            $"Send {count} compressed {kind} messages of {length} bytes, consecutive slices of {payload.Name}, {framing}; {parameters}.");
        string expectation = string.Create(
            CultureInfo.InvariantCulture,
            $"Every message comes back byte-exact and of the same type, within {seconds} s; clean close with 1000.");
        return new CaseDefinition(id, description, expectation, s => ExchangeAsync(s, payload, length, count, seconds, frameSize))
        {
            Timeout = TimeSpan.FromSeconds(seconds + 10),
            DeflateAnswers = answers,
            ClientOffer = offer,
        };
    }

    private static async Task ExchangeAsync(CaseSession s, CompressionPayload payload, int length, int count, int seconds, int frameSize)
    {
        s.ExpectClose(ExpectedClose.Normal);
        s.Expect(Verdict.Ok);
        if (s.Compression is not PerMessageDeflate compression)
        {
            NegotiationOutcome? outcome = s.Negotiation;
            string note = outcome?.Note ?? "no permessage-deflate was agreed";
            if (outcome?.Verdict == Verdict.Failed)
            {
                s.Fail(note);
            }
            else
            {
                s.Inform(note);
            }

            await s.SendCloseAsync(1000);
            s.KillAfter(TimeSpan.FromSeconds(5));
            return;
        }

        s.CaptureMessages();
        var clock = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(seconds);
        int total = s.ScaleCount(count);
        string answer = compression.Agreement.Header;
        int cursor = 0;
        int done = 0;
        try
        {
            for (; done < total; done++)
            {
                byte[] message = payload.Slice(ref cursor, length);
                await s.SendCompressedMessageAsync(message, payload.Binary, frameSize > 0 ? frameSize : null);
                TimeSpan left = limit - clock.Elapsed;
                ObservedMessage? echo = left > TimeSpan.Zero ? await s.ReceiveMessageAsync(left) : null;
                if (echo is null)
                {
                    s.Fail(clock.Elapsed >= limit
                        ? $"the case did not finish within {seconds} s ({done} of {total} echoes)"
                        : $"the connection ended after {done} of {total} echoes (the server answered '{answer}')");
                    break;
                }

                if (Mismatch(echo, message, payload.Binary) is string wrong)
                {
                    s.Fail($"echo {done + 1} of {total}: {wrong}");
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
        {
            s.Fail($"the connection broke after {done} of {total} echoes (the server answered '{answer}')");
        }

        if (s.IsOpen)
        {
            await s.SendCloseAsync(1000);
        }

        s.KillAfter(TimeSpan.FromSeconds(5));
    }

    private static string? Mismatch(ObservedMessage echo, byte[] sent, bool binary)
    {
        if (echo.IsBinary != binary)
        {
            return $"a {(echo.IsBinary ? "binary" : "text")} message came back for a {(binary ? "binary" : "text")} one";
        }

        if (echo.Payload.Length != sent.Length)
        {
            return $"{echo.Payload.Length} bytes came back for {sent.Length}";
        }

        int differs = echo.Payload.AsSpan().CommonPrefixLength(sent);
        return differs == sent.Length ? null : $"the bytes differ from offset {differs}";
    }
}
