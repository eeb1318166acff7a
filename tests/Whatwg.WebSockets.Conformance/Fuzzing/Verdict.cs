namespace Whatwg.WebSockets.Conformance.Fuzzing;

/// <summary>
/// How a client did on one case, with the Autobahn|Testsuite's meanings. Ordered from best to worst,
/// so the overall verdict of a case is the maximum of its parts.
/// </summary>
public enum Verdict
{
    /// <summary>The client did what the RFC requires.</summary>
    Ok,

    /// <summary>The case only reports what happened (e.g. sizes and timings); nothing is required.</summary>
    Informational,

    /// <summary>The client ended up right, but not as strictly as it should (e.g. failed late instead of fast).</summary>
    NonStrict,

    /// <summary>The client did something the RFC forbids, or did not do what it requires.</summary>
    Failed,
}

/// <summary>The verdict of a case with the reasons behind it.</summary>
/// <param name="Id">The case id, e.g. "6.4.1".</param>
/// <param name="Verdict">The overall verdict: the worse of <paramref name="Behavior"/> and <paramref name="CloseBehavior"/>.</param>
/// <param name="Behavior">What the client did with the data: the expected outcome that matched, or Failed.</param>
/// <param name="CloseBehavior">How the connection ended.</param>
/// <param name="Reason">Why, in a sentence, when not OK.</param>
/// <param name="Duration">How long the case took.</param>
public sealed record CaseResult(string Id, Verdict Verdict, Verdict Behavior, Verdict CloseBehavior, string Reason, TimeSpan Duration)
{
    /// <summary>For a case that agreed on permessage-deflate: what was compressed how much.</summary>
    public CompressionStats? Compression { get; init; }
}

/// <summary>The traffic of a permessage-deflate case.</summary>
/// <param name="SentBytes">Bytes the server sent, before compression (it compresses every message).</param>
/// <param name="SentCompressed">The same, after compression.</param>
/// <param name="EchoMessages">Messages the client sent.</param>
/// <param name="EchoesCompressed">How many of them it compressed (RSV1).</param>
/// <param name="EchoBytes">Bytes the client sent, after inflating.</param>
/// <param name="EchoCompressed">The same as they came over the wire (compressed or not).</param>
public sealed record CompressionStats(long SentBytes, long SentCompressed, long EchoMessages, long EchoesCompressed, long EchoBytes, long EchoCompressed);
