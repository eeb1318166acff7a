using System.Globalization;
using System.Text;

namespace Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

/// <summary>One valid permessage-deflate offer from the client's Sec-WebSocket-Extensions (RFC 7692 §7.1).</summary>
/// <param name="Text">The offer as the client wrote it (trimmed).</param>
/// <param name="ClientMaxWindowBits">The client offered client_max_window_bits, so it accepts that parameter in the answer.</param>
/// <param name="ClientWindowHint">The value the client gave to client_max_window_bits: it will not use a larger window.</param>
/// <param name="ClientNoContextTakeover">The client offered client_no_context_takeover: it will not use context takeover.</param>
/// <param name="ServerMaxWindowBits">The largest window the client lets the server use.</param>
/// <param name="ServerNoContextTakeover">The client asks the server not to use context takeover.</param>
public sealed record DeflateOffer(
    string Text,
    bool ClientMaxWindowBits,
    int? ClientWindowHint,
    bool ClientNoContextTakeover,
    int? ServerMaxWindowBits,
    bool ServerNoContextTakeover);

/// <summary>
/// What a case's server asks of the connection beyond what the client requested: the client-side parameters it
/// puts in its answer, and a server window it chooses itself. The client's own requests for the server
/// (server_no_context_takeover, server_max_window_bits) are always granted.
/// </summary>
/// <param name="ClientNoContextTakeover">Answer client_no_context_takeover (allowed whether offered or not, RFC 7692 §7.1.1.2).</param>
/// <param name="ClientMaxWindowBits">Answer client_max_window_bits=N; only possible when the client offered the parameter (§7.1.2.2).</param>
/// <param name="ServerNoContextTakeover">Answer server_no_context_takeover even when not asked for (§7.1.1.1).</param>
/// <param name="ServerMaxWindowBits">Compress with at most this window, answered as server_max_window_bits (§7.1.2.1: the same or smaller than offered).</param>
public sealed record DeflateAnswer(
    bool ClientNoContextTakeover = false,
    int? ClientMaxWindowBits = null,
    bool ServerNoContextTakeover = false,
    int? ServerMaxWindowBits = null)
{
    /// <summary>Accept the offer as it is.</summary>
    public static DeflateAnswer Plain { get; } = new();

    /// <summary>The agreement this answer makes with <paramref name="offer"/>, or null when the offer cannot take it.</summary>
    public DeflateAgreement? TryAccept(DeflateOffer offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        if (ClientMaxWindowBits is not null && !offer.ClientMaxWindowBits)
        {
            return null;
        }

        int? clientBits = ClientMaxWindowBits is int wanted ? Math.Min(wanted, offer.ClientWindowHint ?? 15) : null;
        int? serverBits = ServerMaxWindowBits is not null || offer.ServerMaxWindowBits is not null
            ? Math.Min(ServerMaxWindowBits ?? 15, offer.ServerMaxWindowBits ?? 15)
            : null;
        return new DeflateAgreement(offer, ClientNoContextTakeover, clientBits, ServerNoContextTakeover || offer.ServerNoContextTakeover, serverBits);
    }

    /// <summary>The answer's own parameters in words, e.g. "client_no_context_takeover, client_max_window_bits=8".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (ClientNoContextTakeover)
        {
            parts.Add("client_no_context_takeover");
        }

        if (ClientMaxWindowBits is int client)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"client_max_window_bits={client}"));
        }

        if (ServerNoContextTakeover)
        {
            parts.Add("server_no_context_takeover");
        }

        if (ServerMaxWindowBits is int server)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"server_max_window_bits={server}"));
        }

        return parts.Count == 0 ? "no parameters" : string.Join(", ", parts);
    }
}

/// <summary>The agreed parameters ("agreed parameters", RFC 7692 §5), as the server answered them.</summary>
/// <param name="Offer">The offer that was accepted.</param>
/// <param name="ClientNoContextTakeover">client_no_context_takeover is in the answer.</param>
/// <param name="ClientMaxWindowBitsAnswer">The client_max_window_bits value in the answer, if any.</param>
/// <param name="ServerNoContextTakeover">server_no_context_takeover is in the answer.</param>
/// <param name="ServerMaxWindowBitsAnswer">The server_max_window_bits value in the answer, if any.</param>
public sealed record DeflateAgreement(
    DeflateOffer Offer,
    bool ClientNoContextTakeover,
    int? ClientMaxWindowBitsAnswer,
    bool ServerNoContextTakeover,
    int? ServerMaxWindowBitsAnswer)
{
    /// <summary>The largest window the client may compress with: the answer's value, or its own smaller hint, else 15.</summary>
    public int ClientWindowBits => Math.Min(ClientMaxWindowBitsAnswer ?? 15, Offer.ClientWindowHint ?? 15);

    /// <summary>The window the server compresses with.</summary>
    public int ServerWindowBits => ServerMaxWindowBitsAnswer ?? 15;

    /// <summary>The client must start every message with an empty window: the server asked, or the client said it would (its offer's hint).</summary>
    public bool ClientResets => ClientNoContextTakeover || Offer.ClientNoContextTakeover;

    /// <summary>The Sec-WebSocket-Extensions value of the answer.</summary>
    public string Header
    {
        get
        {
            var header = new StringBuilder("permessage-deflate");
            if (ServerNoContextTakeover)
            {
                header.Append("; server_no_context_takeover");
            }

            if (ServerMaxWindowBitsAnswer is int server)
            {
                header.Append(CultureInfo.InvariantCulture, $"; server_max_window_bits={server}");
            }

            if (ClientNoContextTakeover)
            {
                header.Append("; client_no_context_takeover");
            }

            if (ClientMaxWindowBitsAnswer is int client)
            {
                header.Append(CultureInfo.InvariantCulture, $"; client_max_window_bits={client}");
            }

            return header.ToString();
        }
    }
}

/// <summary>What came of the client's offers.</summary>
/// <param name="Agreement">The accepted offer and the answer; null when nothing was accepted.</param>
/// <param name="Note">When nothing was accepted, why, in one sentence.</param>
/// <param name="Verdict">
/// When nothing was accepted: Informational when the client lacks something optional (Autobahn's UNIMPLEMENTED),
/// Failed when its offer breaks RFC 7692 (or the server itself could not run).
/// </param>
public sealed record NegotiationOutcome(DeflateAgreement? Agreement, string Note, Verdict Verdict);

/// <summary>The server half of the permessage-deflate handshake: parses the offers and answers one of them.</summary>
public static class DeflateNegotiation
{
    public const string ExtensionName = "permessage-deflate";

    /// <summary>
    /// Tries each of <paramref name="answers"/> in order against every valid offer, in the client's order, and
    /// accepts the first pair that fits (a case's fallbacks, as in Autobahn's 13.7).
    /// </summary>
    public static NegotiationOutcome Negotiate(string header, IReadOnlyList<DeflateAnswer> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        var declined = new List<string>();
        List<DeflateOffer> offers = ParseOffers(header, declined);
        foreach (DeflateAnswer answer in answers)
        {
            foreach (DeflateOffer offer in offers)
            {
                if (answer.TryAccept(offer) is DeflateAgreement agreement)
                {
                    return new NegotiationOutcome(agreement, "", Verdict.Ok);
                }
            }
        }

        if (declined.Count > 0 && offers.Count == 0)
        {
            return new NegotiationOutcome(null, "the client's permessage-deflate offer is invalid (RFC 7692 §7): " + string.Join("; ", declined), Verdict.Failed);
        }

        if (offers.Count == 0)
        {
            return new NegotiationOutcome(null, "unimplemented: the client did not offer permessage-deflate", Verdict.Informational);
        }

        return new NegotiationOutcome(
            null,
            $"unimplemented: no offer ('{string.Join("', '", offers.Select(o => o.Text))}') can take the case's answer ({answers[0].Describe()}); client_max_window_bits must be offered",
            Verdict.Informational);
    }

    /// <summary>
    /// The valid permessage-deflate offers in <paramref name="header"/> (all Sec-WebSocket-Extensions lines joined
    /// with ','); each invalid one is described in <paramref name="declined"/> (RFC 7692 §5 and §7: unknown or
    /// repeated parameters and bad values make the server decline the offer).
    /// </summary>
    public static List<DeflateOffer> ParseOffers(string header, List<string> declined)
    {
        ArgumentNullException.ThrowIfNull(declined);
        var offers = new List<DeflateOffer>();
        foreach (string element in SplitOutsideQuotes(header ?? "", ','))
        {
            List<string> parts = SplitOutsideQuotes(element, ';');
            string name = parts[0].Trim();
            if (!name.Equals(ExtensionName, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (TryReadOffer(element.Trim(), parts.Skip(1), out DeflateOffer? offer, out string why))
            {
                offers.Add(offer!);
            }
            else
            {
                declined.Add($"'{element.Trim()}': {why}");
            }
        }

        return offers;
    }

    private static bool TryReadOffer(string text, IEnumerable<string> parameters, out DeflateOffer? offer, out string why)
    {
        offer = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        bool clientBits = false;
        int? clientHint = null;
        bool clientReset = false;
        int? serverBits = null;
        bool serverReset = false;
        foreach (string parameter in parameters)
        {
            string[] pair = parameter.Split('=', 2);
            string name = pair[0].Trim();
            string? value = pair.Length == 2 ? Unquote(pair[1].Trim()) : null;
            if (!seen.Add(name))
            {
                why = $"{name} appears twice";
                return false;
            }

            switch (name.ToLowerInvariant())
            {
                case "client_max_window_bits":
                    clientBits = true;
                    if (value is not null)
                    {
                        if (!TryWindowBits(value, out int bits))
                        {
                            why = $"client_max_window_bits={value} is not 8 to 15";
                            return false;
                        }

                        clientHint = bits;
                    }

                    break;
                case "server_max_window_bits":
                    if (value is null || !TryWindowBits(value, out int server))
                    {
                        why = "server_max_window_bits needs a value from 8 to 15";
                        return false;
                    }

                    serverBits = server;
                    break;
                case "client_no_context_takeover" when value is null:
                    clientReset = true;
                    break;
                case "server_no_context_takeover" when value is null:
                    serverReset = true;
                    break;
                default:
                    why = value is null ? $"unknown parameter {name}" : $"parameter {name} takes no value here";
                    return false;
            }
        }

        offer = new DeflateOffer(text, clientBits, clientHint, clientReset, serverBits, serverReset);
        why = "";
        return true;
    }

    /// <summary>§7.1.2: a decimal integer from 8 to 15 without leading zeros.</summary>
    private static bool TryWindowBits(string value, out int bits)
    {
        bits = 0;
        if (value.Length is 0 or > 2 || value[0] == '0' || !value.All(char.IsAsciiDigit))
        {
            return false;
        }

        bits = int.Parse(value, CultureInfo.InvariantCulture);
        return bits is >= 8 and <= 15;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1].Replace("\\", "", StringComparison.Ordinal) : value;

    private static List<string> SplitOutsideQuotes(string text, char separator)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '\\' && quoted && i + 1 < text.Length)
            {
                current.Append(c).Append(text[++i]);
                continue;
            }

            if (c == separator && !quoted)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        parts.Add(current.ToString());
        return parts;
    }
}
