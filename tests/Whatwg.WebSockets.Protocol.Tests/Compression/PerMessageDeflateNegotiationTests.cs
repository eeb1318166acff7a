using Whatwg.WebSockets.Protocol.Compression;

namespace Whatwg.WebSockets.Protocol.Tests.Compression;

/// <summary>
/// RFC 7692 §5 and §7.1 (the offer, and what a client must refuse in the answer) over the extension-list grammar
/// of RFC 6455 §9.1, as tables of offers and responses.
/// </summary>
public class PerMessageDeflateNegotiationTests
{
    private static readonly PerMessageDeflateSettings s_plain = new();

    /// <summary>Settings by a short name, so the tables stay readable.</summary>
    private static PerMessageDeflateSettings Offer(string name) => name switch
    {
        "plain" => s_plain,
        "client10" => new() { ClientMaxWindowBits = 10 },
        "server10" => new() { ServerMaxWindowBits = 10 },
        "snct" => new() { ServerNoContextTakeover = true },
        "cnct" => new() { ClientNoContextTakeover = true },
        "off" => new() { Enabled = false },
        _ => throw new ArgumentException(name, nameof(name)),
    };

    [Theory]
    [InlineData("plain", "permessage-deflate; client_max_window_bits")]
    [InlineData("client10", "permessage-deflate; client_max_window_bits=10")]
    [InlineData("server10", "permessage-deflate; client_max_window_bits; server_max_window_bits=10")]
    [InlineData("snct", "permessage-deflate; client_max_window_bits; server_no_context_takeover")]
    [InlineData("cnct", "permessage-deflate; client_max_window_bits; client_no_context_takeover")]
    [InlineData("off", "")]
    public void BuildOffer_Settings_GivesHeaderValue(string settings, string expected)
    {
        Assert.Equal(expected, PerMessageDeflateNegotiation.BuildOffer(Offer(settings)));
    }

    [Fact]
    public void BuildOffer_EverythingSet_ListsAllParameters()
    {
        var settings = new PerMessageDeflateSettings
        {
            ClientMaxWindowBits = 8, ServerMaxWindowBits = 15, ClientNoContextTakeover = true, ServerNoContextTakeover = true,
        };

        Assert.Equal(
            "permessage-deflate; client_max_window_bits=8; server_max_window_bits=15; client_no_context_takeover; server_no_context_takeover",
            PerMessageDeflateNegotiation.BuildOffer(settings));
    }

    [Theory]
    [InlineData(7, null)]
    [InlineData(16, null)]
    [InlineData(null, 7)]
    [InlineData(null, 16)]
    public void BuildOffer_WindowBitsOutOfRange_Throws(int? client, int? server)
    {
        var settings = new PerMessageDeflateSettings { ClientMaxWindowBits = client, ServerMaxWindowBits = server };

        Assert.Throws<ArgumentOutOfRangeException>(() => PerMessageDeflateNegotiation.BuildOffer(settings));
    }

    [Theory]
    [InlineData(-1, 6)]
    [InlineData(0, 10)]
    [InlineData(0, -1)]
    public void BuildOffer_ThresholdOrLevelOutOfRange_Throws(int threshold, int level)
    {
        var settings = new PerMessageDeflateSettings { Threshold = threshold, CompressionLevel = level };

        Assert.Throws<ArgumentOutOfRangeException>(() => PerMessageDeflateNegotiation.BuildOffer(settings));
    }

    /// <summary>Accepted answers: offer, response, then client bits, server bits, client and server no-context-takeover.</summary>
    public static TheoryData<string, string, int, int, bool, bool> AcceptedResponses => new()
    {
        { "plain", "permessage-deflate", 15, 15, false, false },
        { "plain", "  permessage-deflate  ", 15, 15, false, false },
        { "plain", "PerMessage-Deflate", 15, 15, false, false },
        { "plain", "permessage-deflate; client_max_window_bits=10", 10, 15, false, false },
        { "plain", "permessage-deflate;client_max_window_bits=8", 8, 15, false, false },
        { "plain", "permessage-deflate; server_max_window_bits=9", 15, 9, false, false },
        { "plain", "permessage-deflate; server_max_window_bits=15", 15, 15, false, false },
        { "plain", "permessage-deflate; server_no_context_takeover", 15, 15, false, true },
        { "plain", "permessage-deflate; client_no_context_takeover", 15, 15, true, false },
        { "plain", "permessage-deflate; Client_No_Context_Takeover; SERVER_NO_CONTEXT_TAKEOVER", 15, 15, true, true },
        { "plain", "permessage-deflate ; client_max_window_bits = 12 ;\tserver_max_window_bits=11", 12, 11, false, false },
        { "plain", "permessage-deflate; client_max_window_bits=\"12\"", 12, 15, false, false },
        { "plain", "permessage-deflate; server_max_window_bits=\"1\\3\"", 15, 13, false, false },
        { "plain", ", permessage-deflate, ", 15, 15, false, false },
        {
            "plain", "permessage-deflate; client_max_window_bits=9; server_max_window_bits=8; client_no_context_takeover; server_no_context_takeover",
            9, 8, true, true
        },
        { "client10", "permessage-deflate", 10, 15, false, false },
        { "client10", "permessage-deflate; client_max_window_bits=9", 9, 15, false, false },
        { "client10", "permessage-deflate; client_max_window_bits=12", 10, 15, false, false },
        { "server10", "permessage-deflate; server_max_window_bits=10", 15, 10, false, false },
        { "server10", "permessage-deflate; server_max_window_bits=8", 15, 8, false, false },
        { "snct", "permessage-deflate; server_no_context_takeover", 15, 15, false, true },
        { "cnct", "permessage-deflate", 15, 15, true, false },
        { "cnct", "permessage-deflate; client_no_context_takeover", 15, 15, true, false },
    };

    [Theory]
    [MemberData(nameof(AcceptedResponses))]
    public void TryParseResponse_ValidAnswer_GivesAgreedParameters(string offer, string response, int clientBits, int serverBits, bool clientNoContext, bool serverNoContext)
    {
        bool accepted = PerMessageDeflateNegotiation.TryParseResponse(response, Offer(offer), out NegotiatedDeflate? result, out string error);

        Assert.True(accepted, error);
        Assert.Equal(string.Empty, error);
        Assert.NotNull(result);
        Assert.Equal(clientBits, result.ClientMaxWindowBits);
        Assert.Equal(serverBits, result.ServerMaxWindowBits);
        Assert.Equal(clientNoContext, result.ClientNoContextTakeover);
        Assert.Equal(serverNoContext, result.ServerNoContextTakeover);
        Assert.Equal(response.Trim(), result.Extensions);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" , ,")]
    public void TryParseResponse_NoExtension_IsDeclinedWithoutError(string? response)
    {
        bool accepted = PerMessageDeflateNegotiation.TryParseResponse(response, s_plain, out NegotiatedDeflate? result, out string error);

        Assert.True(accepted);
        Assert.Null(result);
        Assert.Equal(string.Empty, error);
    }

    /// <summary>Refused answers: offer, response, and a fragment the error message must contain.</summary>
    public static TheoryData<string, string, string> RefusedResponses => new()
    {
        // RFC 6455 §9.1 / §4.1 item 5: only an extension we offered; RFC 7692 §5: one element at most.
        { "plain", "x-webkit-deflate-frame", "did not offer ('x-webkit-deflate-frame')" },
        { "plain", "permessage-deflate, x-custom", "did not offer ('x-custom')" },
        { "plain", "permessage-deflate2", "did not offer ('permessage-deflate2')" },
        { "plain", "deflate", "did not offer ('deflate')" },
        { "off", "permessage-deflate", "did not offer ('permessage-deflate')" },
        { "plain", "permessage-deflate, permessage-deflate", "more than once" },
        { "plain", "permessage-deflate; client_max_window_bits=10, permessage-deflate", "more than once" },
        // §7: a parameter not defined for a response.
        { "plain", "permessage-deflate; x=1", "parameter 'x' is not defined" },
        { "plain", "permessage-deflate; max_window_bits=10", "parameter 'max_window_bits' is not defined" },
        { "plain", "permessage-deflate; client_max_window_bit=10", "parameter 'client_max_window_bit' is not defined" },
        // §7: the same parameter twice (names compare without case).
        { "plain", "permessage-deflate; server_no_context_takeover; server_no_context_takeover", "parameter 'server_no_context_takeover' appears more than once" },
        { "plain", "permessage-deflate; client_no_context_takeover; Client_No_Context_Takeover", "appears more than once" },
        { "plain", "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", "parameter 'server_max_window_bits' appears more than once" },
        { "plain", "permessage-deflate; client_max_window_bits=10; client_max_window_bits=11", "parameter 'client_max_window_bits' appears more than once" },
        // §7.1.1: the no-context-takeover parameters take no value.
        { "plain", "permessage-deflate; server_no_context_takeover=true", "parameter 'server_no_context_takeover' takes no value" },
        { "plain", "permessage-deflate; client_no_context_takeover=1", "parameter 'client_no_context_takeover' takes no value" },
        { "plain", "permessage-deflate; client_no_context_takeover=\"x\"", "parameter 'client_no_context_takeover' takes no value" },
        // §7.1.2: window bits are 8 to 15 in decimal without leading zeros, and present in a response.
        { "plain", "permessage-deflate; server_max_window_bits", "parameter 'server_max_window_bits' needs a value" },
        { "plain", "permessage-deflate; client_max_window_bits", "parameter 'client_max_window_bits' needs a value" },
        { "plain", "permessage-deflate; server_max_window_bits=7", "'server_max_window_bits' must be a number from 8 to 15" },
        { "plain", "permessage-deflate; server_max_window_bits=16", "'server_max_window_bits' must be a number from 8 to 15" },
        { "plain", "permessage-deflate; server_max_window_bits=0", "'server_max_window_bits' must be a number from 8 to 15" },
        { "plain", "permessage-deflate; server_max_window_bits=010", "'server_max_window_bits' must be a number from 8 to 15" },
        { "plain", "permessage-deflate; server_max_window_bits=08", "'server_max_window_bits' must be a number from 8 to 15" },
        { "plain", "permessage-deflate; server_max_window_bits=-9", "'server_max_window_bits' must be a number from 8 to 15" },
        { "plain", "permessage-deflate; server_max_window_bits=+9", "'server_max_window_bits' must be a number from 8 to 15" },
        { "plain", "permessage-deflate; server_max_window_bits=9a", "'server_max_window_bits' must be a number from 8 to 15" },
        { "plain", "permessage-deflate; server_max_window_bits=\"\"", "the quoted value of 'server_max_window_bits' is not a token" },
        { "plain", "permessage-deflate; server_max_window_bits=\" 9\"", "the quoted value of 'server_max_window_bits' is not a token" },
        { "plain", "permessage-deflate; client_max_window_bits=100", "'client_max_window_bits' must be a number from 8 to 15" },
        { "plain", "permessage-deflate; client_max_window_bits=1e1", "'client_max_window_bits' must be a number from 8 to 15" },
        { "plain", "permessage-deflate; client_max_window_bits=\"016\"", "'client_max_window_bits' must be a number from 8 to 15" },
        // §7.1.2.1: no more than the server_max_window_bits we offered, and the offer must be answered.
        { "server10", "permessage-deflate; server_max_window_bits=11", "server_max_window_bits=11 is larger than the 10 we offered" },
        { "server10", "permessage-deflate; server_max_window_bits=15", "server_max_window_bits=15 is larger than the 10 we offered" },
        { "server10", "permessage-deflate", "did not accept server_max_window_bits" },
        // §7.1.1.1: an offered server_no_context_takeover is accepted by including it.
        { "snct", "permessage-deflate", "did not accept server_no_context_takeover" },
        { "snct", "permessage-deflate; client_no_context_takeover", "did not accept server_no_context_takeover" },
        // RFC 6455 §9.1 grammar.
        { "plain", "permessage-deflate;", "expected a parameter name after ';'" },
        { "plain", "permessage-deflate; ; server_no_context_takeover", "expected a parameter name after ';'" },
        { "plain", "permessage-deflate; server_max_window_bits=", "expected a value after '='" },
        { "plain", "permessage-deflate; server_max_window_bits=\"10", "quoted value is not terminated" },
        { "plain", "permessage-deflate; server_max_window_bits=\"1\u00010\"", "holds a control character" },
        { "plain", "permessage-deflate server_no_context_takeover", "expected ',' or ';'" },
        { "plain", "permessage-deflate; server_max_window_bits=10 11", "expected ',' or ';'" },
        { "plain", "permessage-deflate; client_max_window_bits=10=11", "expected ',' or ';'" },
        { "plain", "\"permessage-deflate\"", "expected an extension name" },
        { "plain", "; server_no_context_takeover", "expected an extension name" },
        { "plain", "permessage-deflate; a b", "expected ',' or ';'" },
    };

    [Theory]
    [MemberData(nameof(RefusedResponses))]
    public void TryParseResponse_InvalidAnswer_FailsWithReason(string offer, string response, string reason)
    {
        bool accepted = PerMessageDeflateNegotiation.TryParseResponse(response, Offer(offer), out NegotiatedDeflate? result, out string error);

        Assert.False(accepted);
        Assert.Null(result);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseResponse_SeveralHeaderLines_ReadAsOneList()
    {
        bool accepted = PerMessageDeflateNegotiation.TryParseResponse(
            ["permessage-deflate; server_no_context_takeover ", " "], s_plain, out NegotiatedDeflate? result, out string error);

        Assert.True(accepted, error);
        Assert.NotNull(result);
        Assert.True(result.ServerNoContextTakeover);
        Assert.Equal("permessage-deflate; server_no_context_takeover", result.Extensions);
    }

    [Fact]
    public void TryParseResponse_ExtensionOnTwoHeaderLines_IsRefused()
    {
        bool accepted = PerMessageDeflateNegotiation.TryParseResponse(
            ["permessage-deflate", "permessage-deflate; client_max_window_bits=9"], s_plain, out _, out string error);

        Assert.False(accepted);
        Assert.Contains("more than once", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseResponse_LongUnknownName_IsCutShortInTheMessage()
    {
        string name = new('x', 500);

        PerMessageDeflateNegotiation.TryParseResponse("permessage-deflate; " + name, s_plain, out _, out string error);

        Assert.Contains("is not defined", error, StringComparison.Ordinal);
        Assert.True(error.Length < 120, error);
    }

    [Fact]
    public void TryParseResponse_ErrorNeverEchoesValues()
    {
        PerMessageDeflateNegotiation.TryParseResponse("permessage-deflate; server_max_window_bits=SECRET", s_plain, out _, out string error);

        Assert.DoesNotContain("SECRET", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseResponse_Agreed_CarriesThresholdAndLevelAndBuildsCodecs()
    {
        var settings = new PerMessageDeflateSettings { Threshold = 64, CompressionLevel = 1 };

        PerMessageDeflateNegotiation.TryParseResponse("permessage-deflate; client_max_window_bits=8", settings, out NegotiatedDeflate? result, out _);

        Assert.NotNull(result);
        Assert.Equal(64, result.Threshold);
        Assert.Equal(1, result.CompressionLevel);
        Assert.False(result.ShouldCompress(63));
        Assert.True(result.ShouldCompress(64));
        using Deflater deflater = result.CreateDeflater();
        using Inflater inflater = result.CreateInflater(1024);
        Assert.Equal(9, deflater.WindowBits);
    }
}
