using Whatwg.WebSockets.Protocol.Handshake;

namespace Whatwg.WebSockets.Protocol.Tests.Handshake;

/// <summary>
/// RFC 6455 §4.1 (Sec-WebSocket-Key: "a randomly selected 16-byte value that has been base64-encoded") and
/// §4.2.2 / §1.3 (Sec-WebSocket-Accept: base64 of the SHA-1 of the key and the GUID).
/// </summary>
public class HandshakeKeyTests
{
    [Theory]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")] // RFC 6455 §1.3 and §4.2.2
    [InlineData("x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk=")] // a second well-known pair
    [InlineData("AQIDBAUGBwgJCgsMDQ4PEC==", "OfS0wDaT5NoxF2gqm7Zj2YtetzM=")]
    public void ComputeAccept_Key_MatchesExpected(string key, string accept)
    {
        Assert.Equal(accept, HandshakeKey.ComputeAccept(key));
    }

    [Fact]
    public void Guid_IsTheRfcValue()
    {
        Assert.Equal("258EAFA5-E914-47DA-95CA-C5AB0DC85B11", HandshakeKey.Guid);
    }

    [Fact]
    public void Generate_Key_Is24CharBase64Of16Bytes()
    {
        string key = HandshakeKey.Generate();

        Assert.Equal(24, key.Length);
        Assert.EndsWith("==", key, StringComparison.Ordinal);
        Assert.Equal(16, Convert.FromBase64String(key).Length);
    }

    [Fact]
    public void Generate_ManyKeys_AreAllDifferent()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(keys.Add(HandshakeKey.Generate()));
        }
    }
}
