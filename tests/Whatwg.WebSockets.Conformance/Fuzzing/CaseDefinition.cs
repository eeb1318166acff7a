namespace Whatwg.WebSockets.Conformance.Fuzzing;

/// <summary>
/// One conformance case: what the server does once the client is connected (<see cref="Run"/>), what it
/// expects to observe, and how the connection should end. Descriptions follow the Autobahn|Testsuite case
/// list, in our own words.
/// </summary>
/// <param name="Id">The case id, as in the Autobahn case list ("1.1.1").</param>
/// <param name="Description">What the server sends.</param>
/// <param name="Expectation">What a conforming client does.</param>
/// <param name="Run">The server's script, started right after the opening handshake.</param>
public sealed record CaseDefinition(string Id, string Description, string Expectation, Func<CaseSession, Task> Run)
{
    /// <summary>The group, e.g. "6" for "6.4.1".</summary>
    public string Group => Id.Split('.')[0];

    /// <summary>How long the case may take before the server drops the connection and judges what it has.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How the server answers a permessage-deflate offer: the first answer that fits one of the client's offers
    /// wins (see <see cref="Deflate.DeflateNegotiation.Negotiate"/>). Null: the server accepts no extension.
    /// </summary>
    public IReadOnlyList<Deflate.DeflateAnswer>? DeflateAnswers { get; init; }

    /// <summary>
    /// The permessage-deflate offer the client is asked to make for this case. Null: the client's own default
    /// (for ClientWebSocket, no compression at all).
    /// </summary>
    public CompressionOffer? ClientOffer { get; init; }

    /// <summary>Sorts ids numerically ("1.1.10" after "1.1.9").</summary>
    public static int CompareIds(string a, string b)
    {
        int[] x = [.. a.Split('.').Select(int.Parse)];
        int[] y = [.. b.Split('.').Select(int.Parse)];
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            if (x[i] != y[i])
            {
                return x[i].CompareTo(y[i]);
            }
        }

        return x.Length.CompareTo(y.Length);
    }
}

/// <summary>How the connection is expected to end.</summary>
/// <param name="ClosedByServer">True when the server starts the closing handshake (after the expected echoes), false when the client must fail or close first.</param>
/// <param name="Codes">The close codes the client may send; sending none (dropping TCP) is also accepted unless <paramref name="RequireClean"/>.</param>
/// <param name="RequireClean">The closing handshake must complete (both Close frames) before TCP closes.</param>
public sealed record ExpectedClose(bool ClosedByServer, int[] Codes, bool RequireClean = false)
{
    /// <summary>The server closes with 1000 once it has seen the expected echoes; the client must answer.</summary>
    public static ExpectedClose Normal { get; } = new(true, [1000], RequireClean: true);

    /// <summary>The client must fail the connection with 1002 (protocol error), or drop TCP.</summary>
    public static ExpectedClose ProtocolError { get; } = new(false, [1002]);

    /// <summary>The client must fail the connection with 1007 (invalid payload), or drop TCP.</summary>
    public static ExpectedClose InvalidPayload { get; } = new(false, [1007]);
}

/// <summary>
/// The permessage-deflate offer a case needs from the client (RFC 7692 §7.1), in terms every client here can map
/// to its own options. The defaults are the plain offer: <c>permessage-deflate; client_max_window_bits</c>.
/// </summary>
public sealed record CompressionOffer
{
    /// <summary>The plain offer with default parameters.</summary>
    public static CompressionOffer Default { get; } = new();

    /// <summary>The largest window the client compresses with; 15 offers the bare parameter.</summary>
    public int ClientMaxWindowBits { get; init; } = 15;

    /// <summary>Offer client_no_context_takeover (the client will start every message with an empty window).</summary>
    public bool ClientNoContextTakeover { get; init; }

    /// <summary>The largest window the server may use; below 15 it is offered as server_max_window_bits.</summary>
    public int ServerMaxWindowBits { get; init; } = 15;

    /// <summary>Offer server_no_context_takeover.</summary>
    public bool ServerNoContextTakeover { get; init; }

    /// <summary>The parameters beyond the plain offer, in words.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (ClientMaxWindowBits < 15)
        {
            parts.Add(FormattableString.Invariant($"client_max_window_bits={ClientMaxWindowBits}"));
        }

        if (ClientNoContextTakeover)
        {
            parts.Add("client_no_context_takeover");
        }

        if (ServerMaxWindowBits < 15)
        {
            parts.Add(FormattableString.Invariant($"server_max_window_bits={ServerMaxWindowBits}"));
        }

        if (ServerNoContextTakeover)
        {
            parts.Add("server_no_context_takeover");
        }

        return parts.Count == 0 ? "the plain offer" : string.Join(", ", parts);
    }
}
