using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Whatwg.WebSockets.Conformance.Cases;
using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance;

/// <summary>Writes the Autobahn-class part of docs/conformance.md, between its begin and end markers.</summary>
public static class ConformanceReport
{
    public const string BeginMarker = "<!-- autobahn:begin -->";
    public const string EndMarker = "<!-- autobahn:end -->";

    private static readonly string[] s_groupNames =
    [
        "", "Framing", "Pings/Pongs", "Reserved bits", "Opcodes", "Fragmentation", "UTF-8 handling", "Close handling", "", "Limits/performance", "Miscellaneous",
        "", "permessage-deflate: payloads", "permessage-deflate: parameters",
    ];

    public static string Render(
        IReadOnlyList<CaseDefinition> cases,
        IReadOnlyList<(string Client, IReadOnlyList<CaseResult> Results, TimeSpan Elapsed)> runs)
    {
        var text = new StringBuilder();
        text.AppendLine("## Autobahn-class fuzzing cases (client role)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Generated {DateTime.UtcNow:yyyy-MM-dd} by `bash scripts/conformance.sh` on {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSArchitecture}, {Environment.ProcessorCount} cores.");
        text.AppendLine("Each client echoes every message; our fuzzing server sends each case's frames and judges as the Autobahn|Testsuite does:");
        text.AppendLine("OK, INFORMATIONAL (nothing required), NON-STRICT (right in the end but not strict, e.g. failed late), FAILED.");
        text.AppendLine("A case's verdict is the worse of its data behaviour and its close behaviour (close code, who closed, clean or not).");
        text.AppendLine();
        text.Append("| group | cases |");
        foreach (var run in runs)
        {
            text.Append(CultureInfo.InvariantCulture, $" {run.Client}: OK / INFO / NON-STRICT / FAILED |");
        }

        text.AppendLine();
        text.Append("| --- | --- |");
        foreach (var _ in runs)
        {
            text.Append(" --- |");
        }

        text.AppendLine();
        foreach (IGrouping<string, CaseDefinition> group in cases.GroupBy(c => c.Group))
        {
            int number = int.Parse(group.Key, CultureInfo.InvariantCulture);
            string name = number < s_groupNames.Length ? s_groupNames[number] : "";
            text.Append(CultureInfo.InvariantCulture, $"| {group.Key} {name} | {group.Count()} |");
            foreach (var run in runs)
            {
                var results = run.Results.Where(r => group.Any(c => c.Id == r.Id)).ToList();
                text.Append(CultureInfo.InvariantCulture, $" {Count(results, Verdict.Ok)} / {Count(results, Verdict.Informational)} / {Count(results, Verdict.NonStrict)} / {Count(results, Verdict.Failed)} |");
            }

            text.AppendLine();
        }

        text.Append(CultureInfo.InvariantCulture, $"| **all** | {cases.Count} |");
        foreach (var run in runs)
        {
            text.Append(CultureInfo.InvariantCulture, $" **{Count(run.Results, Verdict.Ok)} / {Count(run.Results, Verdict.Informational)} / {Count(run.Results, Verdict.NonStrict)} / {Count(run.Results, Verdict.Failed)}** |");
        }

        text.AppendLine();
        text.AppendLine();
        text.AppendLine("Run time: " + string.Join(", ", runs.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Client} {r.Elapsed.TotalSeconds:0.0} s"))) + ".");
        text.AppendLine();
        if (cases.Any(c => c.Group is "12" or "13"))
        {
            RenderCompression(text, cases, runs);
        }

        var notOk = cases.Where(c => runs.Any(r => r.Results.FirstOrDefault(x => x.Id == c.Id) is { Verdict: not Verdict.Ok })).ToList();
        text.AppendLine("### Every case that is not OK for some client");
        text.AppendLine();
        if (notOk.Count == 0)
        {
            text.AppendLine("None.");
        }
        else
        {
            text.Append("| case | what the server sends |");
            foreach (var run in runs)
            {
                text.Append(CultureInfo.InvariantCulture, $" {run.Client} |");
            }

            text.AppendLine();
            text.Append("| --- | --- |");
            foreach (var _ in runs)
            {
                text.Append(" --- |");
            }

            text.AppendLine();
            foreach (CaseDefinition definition in notOk)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {definition.Id} | {Escape(definition.Description)} |");
                foreach (var run in runs)
                {
                    CaseResult? result = run.Results.FirstOrDefault(r => r.Id == definition.Id);
                    text.Append(result is null ? " — |" : $" {Name(result.Verdict)}{(result.Reason.Length > 0 ? ": " + Escape(result.Reason) : "")} |");
                }

                text.AppendLine();
            }
        }

        return text.ToString();
    }

    private static void RenderCompression(
        StringBuilder text,
        IReadOnlyList<CaseDefinition> cases,
        IReadOnlyList<(string Client, IReadOnlyList<CaseResult> Results, TimeSpan Elapsed)> runs)
    {
        text.AppendLine("### permessage-deflate (groups 12 and 13)");
        text.AppendLine();
        text.AppendLine("As in the original, each case sends 1000 messages of one size (16 B to 128 KiB; one frame each, or the compressed payload cut");
        text.AppendLine("into frames of 256 B to 32 KiB), one at a time: the server compresses each with the system's zlib (not the library's codec),");
        text.AppendLine("the client echoes it, and the server inflates the echo with exactly the agreed parameters and compares it byte for byte.");
        text.AppendLine("The documents are generated, in the original's five kinds. When the agreed client window is below 15 bits, the judge");
        text.AppendLine("also walks every compressed echo and fails any back-reference further than the window, or into an earlier message");
        text.AppendLine("under client_no_context_takeover. Where the judging differs from the original:");
        text.AppendLine();
        text.AppendLine("- In 13.x each client is told to offer what the original's own client offers there (server_no_context_takeover,");
        text.AppendLine("  server_max_window_bits), and the server states the server-side parameters itself as well, so every client gets the");
        text.AppendLine("  original's pairing. Neither client here can offer server_max_window_bits=8, so in 13.3, 13.5 and 13.7 they offer 9");
        text.AppendLine("  and the server answers 8 (a smaller answer is allowed, RFC 7692 §7.1.2.1).");
        text.AppendLine("- client_max_window_bits=8: zlib compresses with 9 bits but never reaches back more than 250 bytes; the judge checks");
        text.AppendLine("  distances against 256 bytes and inflates with an 8-bit window, so that is OK (the original's server inflates with 8 too).");
        text.AppendLine("- The original's UNIMPLEMENTED (nothing agreed) is INFORMATIONAL here; an offer that breaks RFC 7692 is FAILED.");
        text.AppendLine();
        text.AppendLine("\"Echoes compressed\" is the share of the client's messages it sent compressed (a client may send any message");
        text.AppendLine("uncompressed; ours does below its 1 KiB threshold), \"wire\" the size of its echoes on the wire against their content.");
        text.AppendLine();
        text.Append("| sub-group | cases | what |");
        foreach (var run in runs)
        {
            text.Append(CultureInfo.InvariantCulture, $" {run.Client}: OK / INFO / NON-STRICT / FAILED; echoes compressed; wire |");
        }

        text.AppendLine();
        text.Append("| --- | --- | --- |");
        foreach (var _ in runs)
        {
            text.Append(" --- |");
        }

        text.AppendLine();
        foreach ((string id, string description) in CompressionCases.Subgroups)
        {
            var members = cases.Where(c => c.Id.StartsWith(id + ".", StringComparison.Ordinal)).Select(c => c.Id).ToHashSet();
            if (members.Count == 0)
            {
                continue;
            }

            text.Append(CultureInfo.InvariantCulture, $"| {id} | {members.Count} | {Escape(description)} |");
            foreach (var run in runs)
            {
                var results = run.Results.Where(r => members.Contains(r.Id)).ToList();
                var stats = results.Select(r => r.Compression).OfType<CompressionStats>().ToList();
                long echoes = stats.Sum(x => x.EchoMessages);
                long compressed = stats.Sum(x => x.EchoesCompressed);
                long content = stats.Sum(x => x.EchoBytes);
                long wire = stats.Sum(x => x.EchoCompressed);
                string traffic = echoes == 0
                    ? "no echoes"
                    : string.Create(CultureInfo.InvariantCulture, $"{100.0 * compressed / echoes:0}%; {100.0 * wire / Math.Max(1, content):0}%");
                text.Append(CultureInfo.InvariantCulture, $" {Count(results, Verdict.Ok)} / {Count(results, Verdict.Informational)} / {Count(results, Verdict.NonStrict)} / {Count(results, Verdict.Failed)}; {traffic} |");
            }

            text.AppendLine();
        }

        text.AppendLine();
    }

    /// <summary>Replaces the text between the markers in <paramref name="path"/> (creating the markers at the end when absent).</summary>
    public static void WriteInto(string path, string section)
    {
        string existing = File.Exists(path) ? File.ReadAllText(path) : "# Conformance\n\n";
        int begin = existing.IndexOf(BeginMarker, StringComparison.Ordinal);
        int end = existing.IndexOf(EndMarker, StringComparison.Ordinal);
        string updated = begin >= 0 && end > begin
            ? existing[..(begin + BeginMarker.Length)] + "\n" + section + existing[end..]
            : existing.TrimEnd() + "\n\n" + BeginMarker + "\n" + section + EndMarker + "\n";
        File.WriteAllText(path, updated);
    }

    public static string Name(Verdict verdict) => verdict switch
    {
        Verdict.Ok => "OK",
        Verdict.Informational => "INFORMATIONAL",
        Verdict.NonStrict => "NON-STRICT",
        _ => "FAILED",
    };

    private static int Count(IEnumerable<CaseResult> results, Verdict verdict) => results.Count(r => r.Verdict == verdict);

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
