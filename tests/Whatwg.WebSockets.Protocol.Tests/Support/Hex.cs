namespace Whatwg.WebSockets.Protocol.Tests.Support;

/// <summary>Bytes written as hex in tests; spaces are allowed for readability ("81 05 48 65 6c 6c 6f").</summary>
internal static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    /// <summary>Lower-case hex without separators, the form expected values are compared in.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Normalizes a spaced hex literal to the form <see cref="Of"/> produces.</summary>
    public static string Normalize(string hex) => Of(Bytes(hex));
}
