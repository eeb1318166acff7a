using System.Security.Cryptography;
using System.Text;

namespace Whatwg.WebSockets.Protocol.Handshake;

/// <summary>The Sec-WebSocket-Key / Sec-WebSocket-Accept pair, RFC 6455 §4.1 and §4.2.2.</summary>
internal static class HandshakeKey
{
    /// <summary>The GUID RFC 6455 §1.3 appends to the key before hashing.</summary>
    public const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>§4.1: "a randomly selected 16-byte value that has been base64-encoded".</summary>
    public static string Generate()
    {
        Span<byte> nonce = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        return Convert.ToBase64String(nonce);
    }

    /// <summary>base64(SHA-1(key + GUID)), the value the server must return in Sec-WebSocket-Accept.</summary>
    public static string ComputeAccept(string key)
    {
        Span<byte> input = stackalloc byte[128];
        int length = Encoding.ASCII.GetBytes(key + Guid, input);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what RFC 6455 prescribes here; it is not used for security.
        SHA1.HashData(input.Slice(0, length), hash);
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }
}
