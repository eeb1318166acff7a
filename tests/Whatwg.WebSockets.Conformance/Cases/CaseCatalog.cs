using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>Every case, in Autobahn order. Each group lives in its own file.</summary>
public static class CaseCatalog
{
    private static readonly Lazy<IReadOnlyList<CaseDefinition>> s_all = new(() =>
    {
        var all = new List<CaseDefinition>();
        all.AddRange(FramingCases.Create());           // 1
        all.AddRange(PingPongCases.Create());          // 2
        all.AddRange(ReservedBitsCases.Create());      // 3
        all.AddRange(OpcodeCases.Create());            // 4
        all.AddRange(FragmentationCases.Create());     // 5
        all.AddRange(Utf8Cases.Create());              // 6
        all.AddRange(CloseCases.Create());             // 7
        all.AddRange(LimitsCases.Create());            // 9
        all.AddRange(MiscCases.Create());              // 10
        all.AddRange(CompressionCases.Create());       // 12, 13
        all.Sort((a, b) => CaseDefinition.CompareIds(a.Id, b.Id));
        var duplicates = all.GroupBy(c => c.Id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
        {
            throw new InvalidOperationException("Duplicate case ids: " + string.Join(", ", duplicates));
        }

        return all;
    });

    public static IReadOnlyList<CaseDefinition> All => s_all.Value;

    /// <summary>Cases whose id starts with any of the given prefixes ("6.4" takes 6.4.1-6.4.4); all when none are given.</summary>
    public static IReadOnlyList<CaseDefinition> Select(IReadOnlyCollection<string> prefixes) =>
        prefixes.Count == 0 ? All : [.. All.Where(c => prefixes.Any(p => c.Id == p || c.Id.StartsWith(p.TrimEnd('.') + ".", StringComparison.Ordinal)))];
}

/// <summary>Shorthands for the common shapes of case.</summary>
public static class Case
{
    /// <summary>The server sends <paramref name="send"/>; the client must echo <paramref name="echoes"/>; the server then closes with 1000.</summary>
    public static CaseDefinition Echo(string id, string description, Observed[] echoes, Func<CaseSession, Task> send, TimeSpan? killAfter = null) =>
        new(id, description, "The messages come back as sent; clean close with 1000.", async session =>
        {
            session.Expect(Verdict.Ok, echoes);
            session.ExpectClose(ExpectedClose.Normal);
            await send(session);
            session.KillAfter(killAfter ?? TimeSpan.FromSeconds(10));
        });

    /// <summary>
    /// The server sends <paramref name="send"/>, which breaks the protocol; the client must fail the connection
    /// (Close with one of <paramref name="close"/>'s codes, or drop TCP), having echoed exactly <paramref name="before"/>.
    /// </summary>
    public static CaseDefinition MustFail(string id, string description, Func<CaseSession, Task> send, ExpectedClose? close = null, Observed[]? before = null) =>
        new(id, description, "Echo of what came before the violation, then the client fails the connection.", async session =>
        {
            session.Expect(Verdict.Ok, before ?? []);
            session.ExpectClose(close ?? ExpectedClose.ProtocolError);
            await send(session);
            session.KillAfter(TimeSpan.FromSeconds(1));
        });

    /// <summary>A payload of <paramref name="length"/> copies of <paramref name="fill"/>.</summary>
    public static byte[] Repeat(byte fill, int length)
    {
        byte[] data = new byte[length];
        data.AsSpan().Fill(fill);
        return data;
    }

    /// <summary>The UTF-8 bytes of a string.</summary>
    public static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
