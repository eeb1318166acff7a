using System.Diagnostics;
using System.Globalization;
using Whatwg.WebSockets.Conformance;
using Whatwg.WebSockets.Conformance.Cases;
using Whatwg.WebSockets.Conformance.Clients;
using Whatwg.WebSockets.Conformance.Fuzzing;
using Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

// Usage: dotnet run --project tests/Whatwg.WebSockets.Conformance -c Release -- [--client ours|reference|both] [--cases 1,6.4,...]
//        [--report docs/conformance.md] [--message-scale 0.01] [--self-check]
string clientChoice = "both";
var prefixes = new List<string>();
string? reportPath = null;
double messageScale = 1.0;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--client":
            clientChoice = args[++i];
            break;
        case "--cases":
            prefixes.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            break;
        case "--report":
            reportPath = args[++i];
            break;
        case "--message-scale":
            // Groups 12 and 13 send 1000 messages per case; a smaller share makes a quick run (at least 3 each).
            messageScale = double.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--self-check":
            string? broken = LibZ.SelfCheck();
            Console.WriteLine(broken is null ? $"libz {LibZ.Version}: round trips with DeflateStream and every window size are OK" : $"libz self-check failed: {broken}");
            return broken is null ? 0 : 1;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}; use --client ours|reference|both, --cases LIST, --report PATH, --message-scale SHARE, --self-check");
            return 2;
    }
}

IReadOnlyList<CaseDefinition> cases = CaseCatalog.Select(prefixes);
var clients = new List<IConformanceClient>();
if (clientChoice is "ours" or "both")
{
    clients.Add(new WhatwgClient());
}

if (clientChoice is "reference" or "both")
{
    clients.Add(new ClientWebSocketClient());
}

var runs = new List<(string Client, IReadOnlyList<CaseResult> Results, TimeSpan Elapsed)>();
foreach (IConformanceClient client in clients)
{
    var clock = Stopwatch.StartNew();
    IReadOnlyList<CaseResult> results = await ConformanceRunner.RunAsync(
        client,
        cases,
        r =>
        {
            if (r.Verdict != Verdict.Ok)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{client.Name,-18} {r.Id,-8} {ConformanceReport.Name(r.Verdict),-13} {r.Reason}"));
            }
        },
        messageScale);
    runs.Add((client.Name, results, clock.Elapsed));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{client.Name}: {results.Count(r => r.Verdict == Verdict.Ok)} OK, {results.Count(r => r.Verdict == Verdict.Informational)} INFORMATIONAL, {results.Count(r => r.Verdict == Verdict.NonStrict)} NON-STRICT, {results.Count(r => r.Verdict == Verdict.Failed)} FAILED of {results.Count} in {clock.Elapsed.TotalSeconds:0.0} s"));
}

if (reportPath is not null && messageScale < 1)
{
    Console.Error.WriteLine("not writing the report: it is for full runs only (no --message-scale)");
    reportPath = null;
}

if (reportPath is not null)
{
    ConformanceReport.WriteInto(reportPath, ConformanceReport.Render(cases, runs));
    Console.WriteLine($"wrote {reportPath}");
}

bool oursClean = runs.Where(r => r.Client == "Whatwg.WebSockets").All(r => r.Results.All(x => x.Verdict is Verdict.Ok or Verdict.Informational));
return oursClean ? 0 : 1;
