using System.Diagnostics;
using Whatwg.WebSockets.Conformance.Clients;
using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance;

/// <summary>Drives a client through cases against one <see cref="FuzzingServer"/>, one case at a time.</summary>
public static class ConformanceRunner
{
    /// <param name="client">The client under test.</param>
    /// <param name="cases">The cases, run in this order.</param>
    /// <param name="progress">Called with each result as it comes.</param>
    /// <param name="messageScale">The share of each long exchange's messages to send (1: all; see <see cref="FuzzingServer"/>).</param>
    public static async Task<IReadOnlyList<CaseResult>> RunAsync(
        IConformanceClient client, IReadOnlyList<CaseDefinition> cases, Action<CaseResult>? progress = null, double messageScale = 1.0)
    {
        await using var server = new FuzzingServer(cases, messageScale);
        var results = new List<CaseResult>(cases.Count);
        foreach (CaseDefinition definition in cases)
        {
            results.Add(await RunCaseAsync(server, client, definition));
            progress?.Invoke(results[^1]);
        }

        return results;
    }

    public static async Task<CaseResult> RunCaseAsync(FuzzingServer server, IConformanceClient client, CaseDefinition definition)
    {
        var clock = Stopwatch.StartNew();
        Task<CaseResult> session = server.ExpectSessionAsync(definition.Id);
        using var timeout = new CancellationTokenSource(definition.Timeout + TimeSpan.FromSeconds(5));
        Task run = client.RunAsync(server.CaseUrl(definition.Id), definition.ClientOffer, timeout.Token);
        try
        {
            CaseResult result = await session.WaitAsync(definition.Timeout + TimeSpan.FromSeconds(5));
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(5)));
            return result;
        }
        catch (TimeoutException)
        {
            return new CaseResult(definition.Id, Verdict.Failed, Verdict.Failed, Verdict.Failed, "the client never connected or the case never ended", clock.Elapsed);
        }
    }
}
