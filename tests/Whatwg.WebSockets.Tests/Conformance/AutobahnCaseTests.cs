using System.Globalization;
using System.IO.Compression;
using Whatwg.WebSockets.Conformance;
using Whatwg.WebSockets.Conformance.Cases;
using Whatwg.WebSockets.Conformance.Clients;
using Whatwg.WebSockets.Conformance.Fuzzing;
using Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

namespace Whatwg.WebSockets.Tests.Conformance;

/// <summary>One fuzzing server for every case of the run.</summary>
public sealed class FuzzingServerFixture : IAsyncLifetime
{
    /// <summary>
    /// The share of the 1000 messages per case that groups 12 and 13 send here: 2%, i.e. 20 per case, which keeps
    /// their 216 cases near 25 s on two cores. <c>bash scripts/conformance.sh</c> sends them all. Set
    /// CONFORMANCE_MESSAGE_SCALE (e.g. to 1) to run more here.
    /// </summary>
    public const double DefaultMessageScale = 0.02;

    public FuzzingServer Server { get; private set; } = null!;

    public Task InitializeAsync()
    {
        string? setting = Environment.GetEnvironmentVariable("CONFORMANCE_MESSAGE_SCALE");
        double scale = double.TryParse(setting, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && parsed > 0 ? parsed : DefaultMessageScale;
        Server = new FuzzingServer(CaseCatalog.All, scale);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// Every Autobahn-class case (groups 1-7, 9, 10, 12, 13) against our client: each must be OK, or INFORMATIONAL where
/// the case only reports. NON-STRICT and FAILED fail the test, with the judge's reason. The compression groups
/// must be OK: INFORMATIONAL there would mean our client did not offer permessage-deflate.
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
        bool compression = definition.Group is "12" or "13";
        Assert.True(
            result.Verdict == Verdict.Ok || (!compression && result.Verdict == Verdict.Informational),
            $"case {id} ({definition.Description}): {ConformanceReport.Name(result.Verdict)}: {result.Reason}");
    }
}

[CollectionDefinition(AutobahnCaseTests.Name, DisableParallelization = true)]
public sealed class AutobahnCollection
{
}

/// <summary>
/// The fuzzing server's own permessage-deflate half: its zlib binding, its negotiation, and that its judge
/// catches a client that breaks the agreement (the cases can only show that it passes good clients).
/// Client data here comes from <see cref="DeflateStream"/>, whose Flush is a sync flush with a 15-bit window.
/// </summary>
public sealed class FuzzingServerDeflateTests
{
    [Fact]
    public void SystemZlib_RoundTripsWithDeflateStream()
    {
        Assert.Null(PerMessageDeflate.CheckZlib());
    }

    [Fact]
    public void Server_ReferenceIntoAnEarlierMessage_FailsWhenNoContextTakeoverWasAgreed()
    {
        byte[] message = CompressionPayloads.Json.Data[..4000];
        (byte[] first, byte[] second) = TwoSyncFlushedMessages(message, message);

        using var strict = new PerMessageDeflate(Agreement(clientResets: true, clientBits: null));
        Assert.True(strict.TryInflate(first, out byte[] back, out _));
        Assert.Equal(message, back);
        Assert.False(strict.TryInflate(second, out _, out string? violation));
        Assert.Contains("#2", violation, StringComparison.Ordinal);

        // The same data is fine with context takeover.
        using var relaxed = new PerMessageDeflate(Agreement(clientResets: false, clientBits: null));
        Assert.True(relaxed.TryInflate(first, out _, out _));
        Assert.True(relaxed.TryInflate(second, out back, out _));
        Assert.Equal(message, back);
    }

    [Fact]
    public void Server_DistanceBeyondTheAgreedWindow_FailsEvenInsideOneMessage()
    {
        // A 3000-byte block twice: the repeat refers 3000 bytes back, within one message, which zlib's inflate
        // would resolve from its output buffer; only the distance check sees that a 9-bit window was exceeded.
        byte[] block = new byte[3000];
        new Random(7).NextBytes(block);
        byte[] message = [.. block, .. block];
        (byte[] payload, _) = TwoSyncFlushedMessages(message, []);

        using var nine = new PerMessageDeflate(Agreement(clientResets: false, clientBits: 9));
        Assert.False(nine.TryInflate(payload, out _, out string? violation));
        Assert.Contains("beyond the 512-byte window", violation, StringComparison.Ordinal);

        using var twelve = new PerMessageDeflate(Agreement(clientResets: false, clientBits: 12));
        Assert.True(twelve.TryInflate(payload, out byte[] back, out _));
        Assert.Equal(message, back);
        Assert.Equal(3000, twelve.MaxClientDistance);
    }

    [Fact]
    public void Server_EightBitAgreement_CompressesWithinTwoHundredFiftySixBytes()
    {
        using var server = new PerMessageDeflate(new DeflateAgreement(Offer(), false, 8, false, 8));
        using var judge = new PerMessageDeflate(Agreement(clientResets: false, clientBits: 8));
        int cursor = 0;
        for (int i = 0; i < 5; i++)
        {
            byte[] message = CompressionPayloads.Html.Slice(ref cursor, 20_000);
            Assert.True(judge.TryInflate(server.Compress(message), out byte[] back, out string? violation), violation);
            Assert.Equal(message, back);
        }

        Assert.InRange(judge.MaxClientDistance, 1, 256);
    }

    [Theory]
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate")]
    [InlineData("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10")]
    [InlineData("x-webkit-deflate-frame, permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover")]
    [InlineData("permessage-deflate; server_max_window_bits=\"12\"; client_max_window_bits=10", "permessage-deflate; server_max_window_bits=12")]
    public void Negotiation_PlainAnswer_GrantsTheClientsRequests(string offer, string answer)
    {
        NegotiationOutcome outcome = DeflateNegotiation.Negotiate(offer, [DeflateAnswer.Plain]);
        Assert.Equal(answer, outcome.Agreement?.Header);
    }

    [Fact]
    public void Negotiation_AnswerWithClientWindow_NeedsTheOfferedParameterAndNarrowsTheServerWindow()
    {
        DeflateAnswer eightBoth = new(ClientMaxWindowBits: 8, ServerMaxWindowBits: 8);
        NegotiationOutcome outcome = DeflateNegotiation.Negotiate("permessage-deflate; client_max_window_bits; server_max_window_bits=9", [eightBoth]);
        Assert.Equal("permessage-deflate; server_max_window_bits=8; client_max_window_bits=8", outcome.Agreement?.Header);
        Assert.Equal(8, outcome.Agreement!.ClientWindowBits);

        outcome = DeflateNegotiation.Negotiate("permessage-deflate", [eightBoth]);
        Assert.Null(outcome.Agreement);
        Assert.Equal(Verdict.Informational, outcome.Verdict);

        // 13.7's fallback: the second answer fits the offer that lacks client_max_window_bits.
        outcome = DeflateNegotiation.Negotiate("permessage-deflate", [eightBoth, new(ClientNoContextTakeover: true), DeflateAnswer.Plain]);
        Assert.Equal("permessage-deflate; client_no_context_takeover", outcome.Agreement?.Header);
    }

    [Theory]
    [InlineData("permessage-deflate; server_max_window_bits")]
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; client_max_window_bits=08")]
    [InlineData("permessage-deflate; client_no_context_takeover=1")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    [InlineData("permessage-deflate; mystery")]
    public void Negotiation_InvalidOffer_IsDeclinedAndBlamesTheClient(string offer)
    {
        NegotiationOutcome outcome = DeflateNegotiation.Negotiate(offer, [DeflateAnswer.Plain]);
        Assert.Null(outcome.Agreement);
        Assert.Equal(Verdict.Failed, outcome.Verdict);
    }

    private static DeflateOffer Offer() => new("permessage-deflate; client_max_window_bits", true, null, false, null, false);

    private static DeflateAgreement Agreement(bool clientResets, int? clientBits) => new(Offer(), clientResets, clientBits, false, null);

    /// <summary>Two messages from one 15-bit DeflateStream (context kept), each sync-flushed and stripped of 00 00 FF FF.</summary>
    private static (byte[] First, byte[] Second) TwoSyncFlushedMessages(byte[] first, byte[] second)
    {
        var output = new MemoryStream();
        using var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true);
        deflate.Write(first);
        deflate.Flush();
        byte[] one = output.ToArray();
        deflate.Write(second);
        deflate.Flush();
        byte[] two = output.ToArray()[one.Length..];
        Assert.Equal([0x00, 0x00, 0xFF, 0xFF], one[^4..]);
        return (one[..^4], two.Length >= 4 ? two[..^4] : []);
    }
}
