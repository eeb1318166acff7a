using System.Text;
using Whatwg.WebSockets.Protocol.Handshake;

namespace Whatwg.WebSockets.Transport;

/// <summary>
/// An incremental, strict reader of an HTTP/1.1 response head (RFC 9112 §4 and §5): the status line and
/// the header lines up to the blank line, nothing more. It is fed the bytes received so far (always from
/// the start of the response) and parses each line once, as soon as its CRLF has arrived, so that a
/// server speaking something other than HTTP/1.1 is refused without waiting for a blank line that may
/// never come. Bodies, chunking and trailers are not its business: after a 101 the rest of the stream is
/// WebSocket frames, and any other status fails the handshake.
/// </summary>
internal sealed class HttpResponseHead
{
    /// <summary>The most bytes the head may take, status line and blank line included.</summary>
    public const int MaxHeadBytes = 16 * 1024;

    /// <summary>The most header lines the head may hold.</summary>
    public const int MaxHeaderLines = 100;

    private const string TooLarge = "response headers too large (the limit is 16 KiB and 100 header lines)";

    // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ].
    private static ReadOnlySpan<byte> VersionPrefix => "HTTP/1.1 "u8;

    private int _scanned;
    private int _lineStart;
    private int _lines;

    /// <summary>The status code (100-999), or 0 until the status line has been read.</summary>
    public int StatusCode { get; private set; }

    /// <summary>The reason phrase, possibly empty.</summary>
    public string ReasonPhrase { get; private set; } = string.Empty;

    /// <summary>The header lines in the order received; names as sent, values without surrounding whitespace.</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = new(8);

    /// <summary>The length of the head including its final blank line, or 0 while it is incomplete.</summary>
    public int Length { get; private set; }

    /// <summary>Whether the blank line ending the head has been read.</summary>
    public bool IsComplete => Length > 0;

    /// <summary>
    /// Parses every complete line of <paramref name="received"/> not parsed before. Returns null when all is
    /// well so far (check <see cref="IsComplete"/>), or the reason the response is refused.
    /// </summary>
    /// <param name="received">All bytes of the response received so far, from its first byte.</param>
    public string? Advance(ReadOnlySpan<byte> received)
    {
        if (_lines == 0)
        {
            // Refuse a non-HTTP/1.1 peer as soon as its first bytes show it, not when a line ends.
            int prefix = Math.Min(received.Length, VersionPrefix.Length);
            if (!received[..prefix].SequenceEqual(VersionPrefix[..prefix]))
            {
                return NotHttp11(received);
            }
        }

        while (_scanned < received.Length)
        {
            int found = received[_scanned..].IndexOf((byte)'\n');
            if (found < 0)
            {
                _scanned = received.Length;
                break;
            }

            int newline = _scanned + found;
            _scanned = newline + 1;

            // RFC 9112 §2.2: lines end with CRLF. A bare LF is refused rather than guessed at.
            if (newline == _lineStart || received[newline - 1] != (byte)'\r')
            {
                return "the server's response is not a valid HTTP/1.1 response (a line ends with a bare LF)";
            }

            ReadOnlySpan<byte> line = received[_lineStart..(newline - 1)];
            _lineStart = newline + 1;
            string? error;
            if (_lines == 0)
            {
                error = ParseStatusLine(line, received);
            }
            else if (line.IsEmpty)
            {
                Length = newline + 1;
                return null;
            }
            else if (_lines > MaxHeaderLines)
            {
                error = TooLarge;
            }
            else
            {
                error = ParseHeaderLine(line);
            }

            if (error is not null)
            {
                return error;
            }

            _lines++;
        }

        return received.Length >= MaxHeadBytes ? TooLarge : null;
    }

    private string? ParseStatusLine(ReadOnlySpan<byte> line, ReadOnlySpan<byte> received)
    {
        // "HTTP/1.1 " 3DIGIT [ SP reason-phrase ]. A missing SP after the code is tolerated (many servers
        // send "HTTP/1.1 101" for an empty reason), nothing else is.
        if (line.Length < VersionPrefix.Length + 3 || !line.StartsWith(VersionPrefix))
        {
            return NotHttp11(received);
        }

        ReadOnlySpan<byte> code = line.Slice(VersionPrefix.Length, 3);
        if (!char.IsAsciiDigit((char)code[0]) || !char.IsAsciiDigit((char)code[1]) || !char.IsAsciiDigit((char)code[2]) || code[0] == (byte)'0')
        {
            return NotHttp11(received);
        }

        ReadOnlySpan<byte> rest = line[(VersionPrefix.Length + 3)..];
        if (!rest.IsEmpty && rest[0] != (byte)' ')
        {
            return NotHttp11(received);
        }

        ReadOnlySpan<byte> reason = rest.IsEmpty ? rest : rest[1..];

        // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
        if (!IsFieldContent(reason))
        {
            return NotHttp11(received);
        }

        StatusCode = ((code[0] - '0') * 100) + ((code[1] - '0') * 10) + (code[2] - '0');
        ReasonPhrase = reason.IsEmpty ? string.Empty : Encoding.Latin1.GetString(reason);
        return null;
    }

    private string? ParseHeaderLine(ReadOnlySpan<byte> line)
    {
        // RFC 9112 §5.2: obs-fold (a line starting with whitespace) is obsolete; we refuse it.
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            return "the server's response folds a header line (obs-fold), which HTTP/1.1 no longer allows";
        }

        // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS, with no whitespace before the colon.
        int colon = line.IndexOf((byte)':');
        if (colon < 0)
        {
            return "the server's response has a header line without a colon";
        }

        ReadOnlySpan<byte> name = line[..colon];
        if (name.IsEmpty)
        {
            return "the server's response has a header line without a name";
        }

        foreach (byte b in name)
        {
            if (!HeaderGrammar.IsTokenChar((char)b))
            {
                return "the server's response has a header name that is not a valid token";
            }
        }

        ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
        if (!IsFieldContent(value))
        {
            return "the server's response has a header value holding a control character";
        }

        Headers.Add(new(Encoding.ASCII.GetString(name), value.IsEmpty ? string.Empty : Encoding.Latin1.GetString(value)));
        return null;
    }

    /// <summary>HTAB, SP, VCHAR and obs-text only: no CR, LF, NUL or other controls (RFC 9110 §5.5).</summary>
    private static bool IsFieldContent(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static string NotHttp11(ReadOnlySpan<byte> received)
    {
        // Show the start of what came back, cut short and limited to visible ASCII.
        int end = received.IndexOfAny((byte)'\r', (byte)'\n');
        ReadOnlySpan<byte> first = received[..(end < 0 ? received.Length : end)];
        var shown = new StringBuilder(Math.Min(first.Length, 40) + 1);
        foreach (byte b in first)
        {
            if (shown.Length == 40)
            {
                shown.Append('…');
                break;
            }

            shown.Append(b is >= 0x20 and <= 0x7E ? (char)b : '?');
        }

        return $"the server's response is not a valid HTTP/1.1 response ({(shown.Length == 0 ? "empty status line" : "'" + shown + "'")})";
    }
}
