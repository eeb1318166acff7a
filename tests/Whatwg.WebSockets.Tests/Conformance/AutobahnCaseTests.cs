using Whatwg.WebSockets.Conformance;
using Whatwg.WebSockets.Conformance.Cases;
using Whatwg.WebSockets.Conformance.Clients;
using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Tests.Conformance;

/// <summary>One fuzzing server for every case of the run.</summary>
public sealed class FuzzingServerFixture : IAsyncLifetime
{
    public FuzzingServer Server { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Server = new FuzzingServer(CaseCatalog.All);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// Every Autobahn-class case (groups 1-7, 9, 10) against our client: each must be OK, or INFORMATIONAL where
/// the case only reports. NON-STRICT and FAILED fail the test, with the judge's reason.
/// </summary>
[Collection(Name)]
public sealed class AutobahnCaseTests(FuzzingServerFixture fixture) : IClassFixture<FuzzingServerFixture>
{
    /// <summary>Run alone: the fail-fast and kill timers of some cases are short (0.5-1 s), as in the original.</summary>
    public const string Name = "Autobahn cases";

    public static TheoryData<string> CaseIds
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (CaseDefinition definition in CaseCatalog.All)
            {
                data.Add(definition.Id);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public async Task Case_OurClient_IsOkOrInformational(string id)
    {
        CaseDefinition definition = CaseCatalog.All.Single(c => c.Id == id);
        CaseResult result = await ConformanceRunner.RunCaseAsync(fixture.Server, new WhatwgClient(), definition);
        Assert.True(
            result.Verdict is Verdict.Ok or Verdict.Informational,
            $"case {id} ({definition.Description}): {ConformanceReport.Name(result.Verdict)}: {result.Reason}");
    }
}

[CollectionDefinition(AutobahnCaseTests.Name, DisableParallelization = true)]
public sealed class AutobahnCollection
{
}
