using System.Globalization;
using System.Text;
using System.Text.Json;

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

    /// <summary>Text as indented JSON when it parses as JSON, else unchanged (--json).</summary>
    public static string PrettyJson(string text)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            return JsonSerializer.Serialize(document.RootElement, s_indented);
        }
        catch (JsonException)
        {
            return text;
        }
    }

    /// <summary>A classic hex dump: offset, 16 bytes in hex, and their printable ASCII.</summary>
    public static string HexDump(ReadOnlySpan<byte> bytes)
    {
        var dump = new StringBuilder();
        for (int offset = 0; offset < bytes.Length; offset += 16)
        {
            ReadOnlySpan<byte> row = bytes.Slice(offset, Math.Min(16, bytes.Length - offset));
            dump.Append(CultureInfo.InvariantCulture, $"{offset:x4}  ");
            for (int i = 0; i < 16; i++)
            {
                dump.Append(i < row.Length ? row[i].ToString("x2", CultureInfo.InvariantCulture) + " " : "   ");
            }

            dump.Append(' ');
            foreach (byte b in row)
            {
                dump.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
            }

            if (offset + 16 < bytes.Length)
            {
                dump.Append('\n');
            }
        }

        return dump.ToString();
    }

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

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

    /// <summary>
    /// A control frame's data for a status line: empty, <c> 'text'</c> when it is printable UTF-8, else
    /// <c> [N bytes] hex</c>.
    /// </summary>
    public static string DescribeControlData(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return string.Empty;
        }

        try
        {
            string text = s_strictUtf8.GetString(data);
            if (!text.Any(char.IsControl))
            {
                return $" '{text}'";
            }
        }
        catch (DecoderFallbackException)
        {
            // Not text: shown as hex below.
        }

        return string.Create(CultureInfo.InvariantCulture, $" [{data.Length} {(data.Length == 1 ? "byte" : "bytes")}] {Convert.ToHexStringLower(data)}");
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The URL for display: without the user:password a URL may carry, which wsc never prints.</summary>
    public static string WithoutCredentials(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.UserInfo.Length == 0)
        {
            return url;
        }

        return new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.AbsoluteUri;
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
