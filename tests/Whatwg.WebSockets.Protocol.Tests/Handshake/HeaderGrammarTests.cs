using Whatwg.WebSockets.Protocol.Handshake;

namespace Whatwg.WebSockets.Protocol.Tests.Handshake;

/// <summary>
/// RFC 9110 §5.6.2 (token), §5.5 (field values) and §5.6.1 (lists), the grammar RFC 6455 §4.1 requires of
/// subprotocol names (item 10: "elements that comprise this value MUST be ... tokens") and header values.
/// </summary>
public class HeaderGrammarTests
{
    [Theory]
    [InlineData("chat")]
    [InlineData("superchat.v2")]
    [InlineData("a")]
    [InlineData("!#$%&'*+-.^_`|~")]
    [InlineData("0123456789")]
    [InlineData("ABCxyz")]
    public void IsToken_TokenCharacters_ReturnsTrue(string value)
    {
        Assert.True(HeaderGrammar.IsToken(value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a,b")]
    [InlineData("a;b")]
    [InlineData("a=b")]
    [InlineData("\"a\"")]
    [InlineData("(a)")]
    [InlineData("<a>")]
    [InlineData("a@b")]
    [InlineData("a[b]")]
    [InlineData("a{b}")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a:b")]
    [InlineData("a?b")]
    [InlineData("a\tb")]
    [InlineData("a\rb")]
    [InlineData("a\nb")]
    [InlineData("a\0b")]
    [InlineData("a\u007fb")]
    [InlineData("caf\u00e9")]
    [InlineData("\u03ba")]
    public void IsToken_SeparatorsControlsOrNonAscii_ReturnsFalse(string value)
    {
        Assert.False(HeaderGrammar.IsToken(value));
    }

    [Fact]
    public void IsTokenChar_EveryAsciiCharacter_MatchesRfc9110()
    {
        const string TChars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for (int c = 0; c < 0x180; c++)
        {
            Assert.Equal(TChars.Contains((char)c, StringComparison.Ordinal), HeaderGrammar.IsTokenChar((char)c));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("permessage-deflate; client_max_window_bits")]
    [InlineData("a value with spaces")]
    [InlineData("tab\there")]
    [InlineData("obs-text \u00e9\u00ff")]
    [InlineData("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")]
    public void IsValidFieldValue_VisibleAsciiSpaceTabObsText_ReturnsTrue(string value)
    {
        Assert.True(HeaderGrammar.IsValidFieldValue(value));
    }

    [Theory]
    [InlineData("a\rb")]
    [InlineData("a\nb")]
    [InlineData("a\r\nX-Injected: 1")]
    [InlineData("a\0b")]
    [InlineData("\r")]
    [InlineData("\n")]
    [InlineData("\0")]
    [InlineData("a\u0001b")]
    [InlineData("a\u001fb")]
    [InlineData("a\u007fb")]
    [InlineData("\u0100")]
    [InlineData("\u03ba")]
    public void IsValidFieldValue_CrLfNulOrControls_ReturnsFalse(string value)
    {
        Assert.False(HeaderGrammar.IsValidFieldValue(value));
    }

    [Theory]
    [InlineData("a, b", "a|b")]
    [InlineData("a,b,,c", "a|b|c")]
    [InlineData(" \t a \t , b", "a|b")]
    [InlineData("", "")]
    [InlineData(" , ,", "")]
    [InlineData("keep-alive, Upgrade", "keep-alive|Upgrade")]
    public void SplitList_CommaSeparated_TrimsAndDropsEmptyElements(string value, string expected)
    {
        Assert.Equal(expected, string.Join("|", HeaderGrammar.SplitList([value])));
    }

    [Fact]
    public void SplitList_SeveralHeaderLines_ConcatenatesInOrder()
    {
        Assert.Equal("a|b|c", string.Join("|", HeaderGrammar.SplitList(["a", "b, c"])));
    }
}
