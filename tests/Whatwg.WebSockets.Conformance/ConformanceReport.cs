using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
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
