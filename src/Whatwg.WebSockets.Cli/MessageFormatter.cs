using System.Globalization;

namespace Whatwg.WebSockets.Cli;

/// <summary>How binary messages are printed.</summary>
internal enum BinaryFormat
{
    /// <summary>Lower-case hexadecimal.</summary>
    Hex,

    /// <summary>Base64 (RFC 4648, with padding).</summary>
    Base64,
}

/// <summary>Turns received messages and close codes into the lines wsc prints.</summary>
internal static class MessageFormatter
{
    /// <summary>
    /// One output line for a message: text as it is; binary as <c>[binary N bytes] &lt;hex or base64&gt;</c>.
    /// </summary>
    public static string Format(MessageEvent message, BinaryFormat format)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.IsText ? message.Text : FormatBinary(message.Bytes, format);
    }

    /// <summary>The marked form of a binary message.</summary>
    public static string FormatBinary(ReadOnlySpan<byte> bytes, BinaryFormat format)
    {
        string marker = string.Create(CultureInfo.InvariantCulture, $"[binary {bytes.Length} {(bytes.Length == 1 ? "byte" : "bytes")}]");
        if (bytes.IsEmpty)
        {
            return marker;
        }

        string body = format == BinaryFormat.Base64 ? Convert.ToBase64String(bytes) : Convert.ToHexStringLower(bytes);
        return marker + " " + body;
    }

    /// <summary>A close code with its meaning, e.g. <c>1000 (normal)</c> or <c>4001 (private use)</c>.</summary>
    public static string DescribeCloseCode(int code)
    {
        string meaning = code switch
        {
            1000 => "normal",
            1001 => "going away",
            1002 => "protocol error",
            1003 => "unsupported data",
            1005 => "no status code",
            1006 => "abnormal closure",
            1007 => "invalid payload data",
            1008 => "policy violation",
            1009 => "message too big",
            1010 => "mandatory extension",
            1011 => "internal error",
            1012 => "service restart",
            1013 => "try again later",
            1014 => "bad gateway",
            >= 3000 and <= 3999 => "registered",
            >= 4000 and <= 4999 => "private use",
            _ => "unknown",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{code} ({meaning})");
    }
}
