using Whatwg.WebSockets.Protocol.Compression;
using Whatwg.WebSockets.Protocol.Handshake;

namespace Whatwg.WebSockets.Protocol.Tests.Handshake;

/// <summary>
/// RFC 6455 §4.1, "the client MUST validate the server's response as follows" (items 1-6), and §4.2.2's
/// accept value, as a table of responses and the failure each must produce.
/// </summary>
public class HandshakeResponseValidatorTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";
    private const string Accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    private static List<KeyValuePair<string, string>> Headers(params string[] lines)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (string line in lines)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        return headers;
    }

    private static readonly string[] s_good = ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + Accept];

    private static HandshakeResult Validate(int status, string[] lines, string[]? protocols = null, string[]? extensions = null, string? reason = null) =>
        HandshakeResponseValidator.Validate(status, reason, Headers(lines), Key, protocols ?? [],
            extensions is not null && extensions.Contains("permessage-deflate") ? new PerMessageDeflateSettings() : null);

    /// <summary>Responses that must be accepted: header lines separated by "\n".</summary>
    public static TheoryData<string> AcceptedResponses => new()
    {
        "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept,
        "Upgrade: WebSocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept,
        "upgrade: WEBSOCKET\nconnection: upgrade\nsec-websocket-accept: " + Accept,
        "Upgrade: websocket\nConnection: keep-alive, Upgrade\nSec-WebSocket-Accept: " + Accept,
        "Upgrade: websocket\nConnection: keep-alive\nConnection: upgrade\nSec-WebSocket-Accept: " + Accept,
        "Upgrade:  websocket \nConnection:Upgrade\nSec-WebSocket-Accept:  " + Accept + " ",
        "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept + "\nServer: test\nSec-WebSocket-Version: 13",
    };

    /// <summary>Responses that must be refused: status, header lines, offered protocols, offered extensions, expected failure.</summary>
    public static TheoryData<int, string, string, string, string> RefusedResponses => new()
    {
        // §4.1 item 1: anything but 101.
        { 200, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept, "", "", nameof(HandshakeFailure.UnexpectedStatus) },
        { 403, "", "", "", nameof(HandshakeFailure.UnexpectedStatus) },
        { 404, "", "", "", nameof(HandshakeFailure.UnexpectedStatus) },
        { 301, "Location: ws://elsewhere/", "", "", nameof(HandshakeFailure.UnexpectedStatus) },
        { 302, "Location: ws://elsewhere/", "", "", nameof(HandshakeFailure.UnexpectedStatus) },
        // Item 2: Upgrade must be "websocket".
        { 101, "Connection: Upgrade\nSec-WebSocket-Accept: " + Accept, "", "", nameof(HandshakeFailure.MissingUpgrade) },
        { 101, "Upgrade: h2c\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept, "", "", nameof(HandshakeFailure.MissingUpgrade) },
        { 101, "Upgrade: websockets\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept, "", "", nameof(HandshakeFailure.MissingUpgrade) },
        { 101, "Upgrade: websocket\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept, "", "", nameof(HandshakeFailure.MissingUpgrade) },
        // Item 3: Connection must hold the token "Upgrade".
        { 101, "Upgrade: websocket\nSec-WebSocket-Accept: " + Accept, "", "", nameof(HandshakeFailure.MissingConnectionUpgrade) },
        { 101, "Upgrade: websocket\nConnection: keep-alive\nSec-WebSocket-Accept: " + Accept, "", "", nameof(HandshakeFailure.MissingConnectionUpgrade) },
        { 101, "Upgrade: websocket\nConnection: Upgrades\nSec-WebSocket-Accept: " + Accept, "", "", nameof(HandshakeFailure.MissingConnectionUpgrade) },
        // Item 4: Sec-WebSocket-Accept must be exactly base64(SHA-1(key + GUID)).
        { 101, "Upgrade: websocket\nConnection: Upgrade", "", "", nameof(HandshakeFailure.BadAccept) },
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept.ToLowerInvariant(), "", "", nameof(HandshakeFailure.BadAccept) },
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==", "", "", nameof(HandshakeFailure.BadAccept) },
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept + "\nSec-WebSocket-Accept: " + Accept, "", "", nameof(HandshakeFailure.BadAccept) },
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: ", "", "", nameof(HandshakeFailure.BadAccept) },
        // Item 5: only offered extensions.
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept + "\nSec-WebSocket-Extensions: permessage-deflate", "", "", nameof(HandshakeFailure.UnofferedExtension) },
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept + "\nSec-WebSocket-Extensions: x-custom; a=1", "", "permessage-deflate", nameof(HandshakeFailure.UnofferedExtension) },
        // Item 6: at most one subprotocol, and one that was offered.
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept + "\nSec-WebSocket-Protocol: chat", "", "", nameof(HandshakeFailure.UnofferedSubprotocol) },
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept + "\nSec-WebSocket-Protocol: superchat", "chat", "", nameof(HandshakeFailure.UnofferedSubprotocol) },
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept + "\nSec-WebSocket-Protocol: Chat", "chat", "", nameof(HandshakeFailure.UnofferedSubprotocol) },
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept + "\nSec-WebSocket-Protocol: chat, superchat", "chat,superchat", "", nameof(HandshakeFailure.UnofferedSubprotocol) },
        { 101, "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: " + Accept + "\nSec-WebSocket-Protocol: chat\nSec-WebSocket-Protocol: superchat", "chat,superchat", "", nameof(HandshakeFailure.UnofferedSubprotocol) },
    };

    private static string[] Lines(string joined) => joined.Length == 0 ? [] : joined.Split('\n');

    private static string[] List(string joined) => joined.Length == 0 ? [] : joined.Split(',');

    [Theory]
    [MemberData(nameof(AcceptedResponses))]
    public void Validate_ValidResponse_Succeeds(string lines)
    {
        HandshakeResult result = Validate(101, Lines(lines));

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(HandshakeFailure.None, result.Failure);
        Assert.Equal(string.Empty, result.Protocol);
        Assert.Equal(string.Empty, result.Extensions);
    }

    [Theory]
    [MemberData(nameof(RefusedResponses))]
    public void Validate_InvalidResponse_FailsWithCause(int status, string lines, string protocols, string extensions, string failure)
    {
        HandshakeResult result = Validate(status, Lines(lines), List(protocols), List(extensions));

        Assert.False(result.Succeeded);
        Assert.Equal(Enum.Parse<HandshakeFailure>(failure), result.Failure);
        Assert.False(string.IsNullOrEmpty(result.Message));
        Assert.Equal(string.Empty, result.Protocol);
    }

    [Fact]
    public void Validate_Status403_MessageNamesStatus()
    {
        HandshakeResult result = Validate(403, [], reason: "Forbidden");

        Assert.Equal(HandshakeFailure.UnexpectedStatus, result.Failure);
        Assert.Contains("403", result.Message, StringComparison.Ordinal);
        Assert.Contains("Forbidden", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("redirect", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public void Validate_Redirect_MessageSaysRedirectsAreNotFollowed(int status)
    {
        HandshakeResult result = Validate(status, ["Location: wss://example.com/"]);

        Assert.Equal(HandshakeFailure.UnexpectedStatus, result.Failure);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Message, StringComparison.Ordinal);
        Assert.Contains("redirects are not followed; Location: wss://example.com/", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Redirect_WithoutOneLocation_SaysOnlyThatRedirectsAreNotFollowed()
    {
        Assert.EndsWith("(redirects are not followed)", Validate(302, []).Message, StringComparison.Ordinal);
        Assert.EndsWith("(redirects are not followed)", Validate(302, ["Location: wss://a/", "Location: wss://b/"]).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chat", "chat,superchat", "chat")]
    [InlineData("superchat", "chat,superchat", "superchat")]
    [InlineData(" chat ", "chat", "chat")]
    public void Validate_OfferedSubprotocolSelected_ReturnsProtocol(string header, string offered, string expected)
    {
        HandshakeResult result = Validate(101, [.. s_good, "Sec-WebSocket-Protocol: " + header], List(offered));

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(expected, result.Protocol);
    }

    [Fact]
    public void Validate_ProtocolsOfferedButNoneSelected_FailsWithMissingSubprotocol()
    {
        // WHATWG "establish a WebSocket connection": offered protocols and no Sec-WebSocket-Protocol fail.
        HandshakeResult result = Validate(101, s_good, ["chat"]);

        Assert.Equal(HandshakeFailure.MissingSubprotocol, result.Failure);
        Assert.Contains("subprotocol", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoProtocolsOfferedNoneSelected_Succeeds()
    {
        HandshakeResult result = Validate(101, s_good, []);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(string.Empty, result.Protocol);
    }

    [Fact]
    public void Validate_OfferedExtensionSelected_ReturnsExtensions()
    {
        HandshakeResult result = Validate(
            101,
            [.. s_good, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15"],
            extensions: ["permessage-deflate"]);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("permessage-deflate; client_max_window_bits=15", result.Extensions);
    }

    [Fact]
    public void Validate_UnofferedSubprotocolWithControlBytes_MessageStaysPrintable()
    {
        HandshakeResult result = Validate(101, [.. s_good, "Sec-WebSocket-Protocol: evil\u0001\u007f" + new string('x', 100)], ["chat"]);

        Assert.Equal(HandshakeFailure.UnofferedSubprotocol, result.Failure);
        Assert.DoesNotContain('\u0001', result.Message);
        Assert.DoesNotContain('\u007f', result.Message);
        Assert.DoesNotContain(new string('x', 41), result.Message, StringComparison.Ordinal);
    }
}
