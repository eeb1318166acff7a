using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Whatwg.WebSockets.Internal;

/// <summary>
/// An immutable URL record parsed and serialized as the WHATWG URL Standard's basic URL parser
/// and URL serializer define them, for every scheme except <c>file</c> (which fails to parse):
/// special schemes with their hosts, IPv4 and IPv6 addresses, ports and dot segments, and
/// non-special ones with opaque hosts and opaque paths, so that a caller can see and reject them.
/// Validation errors that are not failures are not reported.
/// </summary>
internal sealed class WhatwgUrl
{
    private const int Eof = -1;

    // The path as a list of segments, or null when the URL has an opaque path.
    private readonly string[]? _pathSegments;

    // The opaque path ("x" in "mailto:x"), or null when the path is a list of segments.
    private readonly string? _opaquePath;

    // The serialized host, or null when the URL has no host (e.g. "mailto:x").
    private readonly string? _host;

    private static readonly Lazy<bool> s_idnMappingIsComplete = new(ProbeIdnMapping);

    private WhatwgUrl(
        string scheme,
        string username,
        string password,
        string? host,
        int? port,
        string[]? pathSegments,
        string? opaquePath,
        string? query,
        string? fragment)
    {
        Debug.Assert((pathSegments is null) != (opaquePath is null));
        Scheme = scheme;
        Username = username;
        Password = password;
        _host = host;
        Port = port;
        _pathSegments = pathSegments;
        _opaquePath = opaquePath;
        Query = query;
        Fragment = fragment;

        Path = SerializePath(pathSegments, opaquePath);
        PathAndQuery = query is null ? Path : string.Concat(Path, "?", query);
        Href = Serialize();
        Origin = SerializeOrigin();
    }

    /// <summary>The scheme, lower-case, without the trailing ':'.</summary>
    public string Scheme { get; }

    /// <summary>The username, percent-encoded with the userinfo percent-encode set.</summary>
    public string Username { get; }

    /// <summary>The password, percent-encoded with the userinfo percent-encode set.</summary>
    public string Password { get; }

    /// <summary>
    /// The serialized host: an ASCII lower-case domain, an IPv4 address in dotted decimal, an IPv6
    /// address in brackets, or an opaque host. Empty when the URL has no host.
    /// </summary>
    public string Host => _host ?? string.Empty;

    /// <summary>The port, or null when absent or equal to the scheme's default port.</summary>
    public int? Port { get; }

    /// <summary>The serialized path; it starts with '/' for special schemes.</summary>
    public string Path { get; }

    /// <summary>The query without the leading '?', or null when there is none.</summary>
    public string? Query { get; }

    /// <summary>The fragment without the leading '#', or null when there is none.</summary>
    public string? Fragment { get; }

    /// <summary>The URL serializer's output.</summary>
    public string Href { get; }

    /// <summary>
    /// The serialization of the URL's origin: "scheme://host[:port]" for special schemes, "null"
    /// (an opaque origin) otherwise.
    /// </summary>
    public string Origin { get; }

    /// <summary>
    /// <see cref="Port"/>, or the scheme's default port when the port is null; -1 when neither exists.
    /// </summary>
    public int EffectivePort => Port ?? DefaultPort(Scheme) ?? -1;

    /// <summary>The path followed by "?" and the query when there is one: an HTTP request-target.</summary>
    public string PathAndQuery { get; }

    /// <summary>Whether the scheme is one of the URL Standard's special schemes.</summary>
    public bool IsSpecial => IsSpecialScheme(Scheme);

    /// <inheritdoc />
    public override string ToString() => Href;

    /// <summary>
    /// Runs the basic URL parser on <paramref name="input"/> with an optional base URL.
    /// </summary>
    public static bool TryParse(
        string input,
        WhatwgUrl? baseUrl,
        [NotNullWhen(true)] out WhatwgUrl? url,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(input);
        var parser = new Parser(Preprocess(input), baseUrl);
        error = parser.Run();
        if (error is not null)
        {
            url = null;
            return false;
        }

        url = parser.Build();
        return true;
    }

    /// <summary>
    /// Returns a copy with the scheme replaced, as the protocol setter does between special schemes
    /// (http to ws, https to wss): the port becomes null when it is the new scheme's default port.
    /// </summary>
    public WhatwgUrl WithScheme(string newScheme)
    {
        ArgumentNullException.ThrowIfNull(newScheme);
        string scheme = newScheme.ToLowerInvariant();
        if (IsSpecialScheme(scheme) != IsSpecial || scheme == "file")
        {
            throw new ArgumentException("The scheme can only be changed between special schemes other than file.", nameof(newScheme));
        }

        int? port = Port == DefaultPort(scheme) ? null : Port;
        return new WhatwgUrl(scheme, Username, Password, _host, port, _pathSegments, _opaquePath, Query, Fragment);
    }

    /// <summary>Returns a copy with the fragment set to null.</summary>
    public WhatwgUrl WithoutFragment() =>
        Fragment is null
            ? this
            : new WhatwgUrl(Scheme, Username, Password, _host, Port, _pathSegments, _opaquePath, Query, fragment: null);

    /// <summary>Returns a copy without username and password, for logs and diagnostics.</summary>
    public WhatwgUrl WithoutCredentials() =>
        Username.Length == 0 && Password.Length == 0
            ? this
            : new WhatwgUrl(Scheme, string.Empty, string.Empty, _host, Port, _pathSegments, _opaquePath, Query, Fragment);

    // --- Serializing -------------------------------------------------------------------------

    private static string SerializePath(string[]? segments, string? opaquePath)
    {
        // URL path serializer: an opaque path as is; otherwise "/" before every segment.
        if (segments is null)
        {
            return opaquePath!;
        }

        var sb = new StringBuilder();
        foreach (string segment in segments)
        {
            sb.Append('/').Append(segment);
        }

        return sb.ToString();
    }

    private string Serialize()
    {
        // URL serializer (with the fragment).
        var sb = new StringBuilder(Scheme.Length + Path.Length + 32);
        sb.Append(Scheme).Append(':');
        if (_host is not null)
        {
            sb.Append("//");
            if (Username.Length != 0 || Password.Length != 0)
            {
                sb.Append(Username);
                if (Password.Length != 0)
                {
                    sb.Append(':').Append(Password);
                }

                sb.Append('@');
            }

            sb.Append(_host);
            if (Port is int port)
            {
                sb.Append(':').Append(port.ToString(CultureInfo.InvariantCulture));
            }
        }
        else if (_pathSegments is { Length: > 1 } && _pathSegments[0].Length == 0)
        {
            // Without a host, a path starting with an empty segment would read back as an
            // authority ("web+demo:/.//not-a-host/"), so "/." keeps it a path.
            sb.Append("/.");
        }

        sb.Append(Path);
        if (Query is not null)
        {
            sb.Append('?').Append(Query);
        }

        if (Fragment is not null)
        {
            sb.Append('#').Append(Fragment);
        }

        return sb.ToString();
    }

    private string SerializeOrigin()
    {
        // Origin: a tuple origin for the special schemes that have a host; for "blob", the origin
        // of the URL in its path when that is http(s); an opaque origin, serialized as "null",
        // otherwise.
        if (Scheme == "blob")
        {
            return TryParse(Path, null, out WhatwgUrl? inner, out _)
                && inner.Scheme is "http" or "https"
                    ? inner.Origin
                    : "null";
        }

        if (!IsSpecial || Scheme == "file" || _host is null)
        {
            return "null";
        }

        return Port is int port
            ? string.Concat(Scheme, "://", _host, ":", port.ToString(CultureInfo.InvariantCulture))
            : string.Concat(Scheme, "://", _host);
    }

    // --- Schemes -----------------------------------------------------------------------------

    private static bool IsSpecialScheme(string scheme) =>
        scheme is "http" or "https" or "ws" or "wss" or "ftp" or "file";

    private static int? DefaultPort(string scheme) => scheme switch
    {
        "http" or "ws" => 80,
        "https" or "wss" => 443,
        "ftp" => 21,
        _ => null,
    };

    // --- Input preprocessing -----------------------------------------------------------------

    private static string Preprocess(string input)
    {
        // Basic URL parser, first steps: strip leading and trailing C0 control or space, then
        // every ASCII tab or newline. The input is a scalar value string (USVString), so a lone
        // surrogate becomes U+FFFD.
        int start = 0;
        int end = input.Length;
        while (start < end && input[start] <= ' ')
        {
            start++;
        }

        while (end > start && input[end - 1] <= ' ')
        {
            end--;
        }

        ReadOnlySpan<char> span = input.AsSpan(start, end - start);
        bool clean = span.IndexOfAny('\t', '\n', '\r') < 0;
        if (clean)
        {
            for (int i = 0; i < span.Length; i++)
            {
                if (char.IsSurrogate(span[i]))
                {
                    clean = false;
                    break;
                }
            }
        }

        if (clean)
        {
            return start == 0 && end == input.Length ? input : span.ToString();
        }

        var sb = new StringBuilder(span.Length);
        for (int i = 0; i < span.Length; i++)
        {
            char c = span[i];
            if (c is '\t' or '\n' or '\r')
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                sb.Append(c).Append(span[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                sb.Append('\uFFFD');
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    // --- Percent-encoding --------------------------------------------------------------------

    private enum EncodeSet
    {
        C0Control,
        Fragment,
        Query,
        SpecialQuery,
        Path,
        Userinfo,
    }

    private static bool InEncodeSet(int c, EncodeSet set)
    {
        // C0 control percent-encode set: C0 controls and everything above U+007E (~).
        if (c < 0x20 || c > 0x7E)
        {
            return true;
        }

        return set switch
        {
            EncodeSet.C0Control => false,
            EncodeSet.Fragment => c is ' ' or '"' or '<' or '>' or '`',
            EncodeSet.Query => c is ' ' or '"' or '#' or '<' or '>',
            EncodeSet.SpecialQuery => c is ' ' or '"' or '#' or '<' or '>' or '\'',
            EncodeSet.Path => c is ' ' or '"' or '#' or '<' or '>' or '?' or '^' or '`' or '{' or '}',
            _ => c is ' ' or '"' or '#' or '<' or '>' or '?' or '^' or '`' or '{' or '}'
                or '/' or ':' or ';' or '=' or '@' or '[' or '\\' or ']' or '|',
        };
    }

    /// <summary>UTF-8 percent-encodes every code point of <paramref name="text"/> that is in the set.</summary>
    private static void AppendPercentEncoded(StringBuilder sb, ReadOnlySpan<char> text, EncodeSet set)
    {
        Span<byte> utf8 = stackalloc byte[4];
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (!InEncodeSet(c, set))
            {
                sb.Append(c);
                i++;
                continue;
            }

            // Surrogates were paired (or replaced) during preprocessing, so this never fails.
            Rune.DecodeFromUtf16(text[i..], out Rune rune, out int consumed);
            int length = rune.EncodeToUtf8(utf8);
            for (int j = 0; j < length; j++)
            {
                AppendPercentByte(sb, utf8[j]);
            }

            i += consumed;
        }
    }

    private static void AppendPercentByte(StringBuilder sb, byte b)
    {
        const string HexUpper = "0123456789ABCDEF";
        sb.Append('%').Append(HexUpper[b >> 4]).Append(HexUpper[b & 0xF]);
    }

    private static byte[] PercentDecode(string input)
    {
        // Percent-decode a string: its UTF-8 bytes with every "%XX" turned into the byte XX.
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        if (Array.IndexOf(bytes, (byte)'%') < 0)
        {
            return bytes;
        }

        var output = new byte[bytes.Length];
        int n = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            byte b = bytes[i];
            if (b == '%' && i + 2 < bytes.Length && IsAsciiHexDigit(bytes[i + 1]) && IsAsciiHexDigit(bytes[i + 2]))
            {
                output[n++] = (byte)((HexValue(bytes[i + 1]) << 4) | HexValue(bytes[i + 2]));
                i += 2;
            }
            else
            {
                output[n++] = b;
            }
        }

        return output.AsSpan(0, n).ToArray();
    }

    private static bool IsAsciiDigit(int c) => c is >= '0' and <= '9';

    private static bool IsAsciiHexDigit(int c) => c < 0x80 && char.IsAsciiHexDigit((char)c);

    private static int HexValue(int c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    // --- Host parsing ------------------------------------------------------------------------

    /// <summary>Host parser, returning the serialized host or null on failure.</summary>
    private static string? ParseHost(string input, bool isOpaque, out string? error)
    {
        if (input.StartsWith('['))
        {
            if (!input.EndsWith(']'))
            {
                error = "The URL's IPv6 address is missing its closing ']'.";
                return null;
            }

            if (!TryParseIPv6(input[1..^1], out ushort[] address))
            {
                error = "The URL's IPv6 address is invalid.";
                return null;
            }

            error = null;
            return string.Concat("[", SerializeIPv6(address), "]");
        }

        if (isOpaque)
        {
            return ParseOpaqueHost(input, out error);
        }

        Debug.Assert(input.Length != 0);

        // The domain is the UTF-8 decoding (without BOM, invalid sequences as U+FFFD) of the
        // percent-decoded input; percent-decoding happens before IDNA.
        string domain = Encoding.UTF8.GetString(PercentDecode(input));
        string? asciiDomain = DomainToAscii(domain);
        if (asciiDomain is null)
        {
            error = "The URL's host is not a valid domain.";
            return null;
        }

        if (asciiDomain.Length == 0 || ContainsForbiddenDomainCodePoint(asciiDomain))
        {
            error = "The URL's host contains a forbidden code point.";
            return null;
        }

        if (EndsInANumber(asciiDomain))
        {
            if (!TryParseIPv4(asciiDomain, out uint ipv4))
            {
                error = "The URL's host is an invalid IPv4 address.";
                return null;
            }

            error = null;
            return SerializeIPv4(ipv4);
        }

        error = null;
        return asciiDomain;
    }

    private static string? ParseOpaqueHost(string input, out string? error)
    {
        // Opaque-host parser: forbidden host code points fail; the rest is percent-encoded with
        // the C0 control percent-encode set.
        foreach (char c in input)
        {
            if (IsForbiddenHostCodePoint(c))
            {
                error = "The URL's host contains a forbidden code point.";
                return null;
            }
        }

        error = null;
        var sb = new StringBuilder(input.Length);
        AppendPercentEncoded(sb, input, EncodeSet.C0Control);
        return sb.ToString();
    }

    private static bool IsForbiddenHostCodePoint(char c) =>
        c is '\0' or '\t' or '\n' or '\r' or ' ' or '#' or '/' or ':' or '<' or '>' or '?' or '@'
            or '[' or '\\' or ']' or '^' or '|';

    private static bool ContainsForbiddenDomainCodePoint(string domain)
    {
        // Forbidden domain code point: a forbidden host code point, a C0 control, '%' or U+007F.
        foreach (char c in domain)
        {
            if (c < 0x20 || c == '%' || c == 0x7F || IsForbiddenHostCodePoint(c))
            {
                return true;
            }
        }

        return false;
    }

    private static string? DomainToAscii(string domain)
    {
        // Domain parser with beStrict false: an ASCII domain is only lower-cased; anything else
        // goes through UTS #46 ToASCII (non-transitional, no STD3 rules).
        if (Ascii.IsValid(domain))
        {
            return domain.ToLowerInvariant();
        }

        if (!s_idnMappingIsComplete.Value)
        {
            // Under invariant globalization IdnMapping only applies Punycode, without the UTS #46
            // mapping step; approximate the mappings that matter most so that common input
            // (upper case, full-width forms, ideographic full stops) still gives the same host.
            domain = ApproximateUts46Mapping(domain);
            if (domain.Length == 0)
            {
                return null;
            }

            if (Ascii.IsValid(domain))
            {
                return domain;
            }
        }

        try
        {
            return new IdnMapping().GetAscii(domain).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool ProbeIdnMapping()
    {
        try
        {
            // Full UTS #46 processing maps the full-width letter to "a".
            return new IdnMapping().GetAscii("\uFF21") == "a";
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string ApproximateUts46Mapping(string domain)
    {
        // Returns the empty string (a failure) for code points UTS #46 disallows.
        var sb = new StringBuilder(domain.Length);
        foreach (Rune rune in domain.EnumerateRunes())
        {
            int c = rune.Value;
            if (c is >= 0xFF01 and <= 0xFF5E)
            {
                // Full-width ASCII maps to ASCII (the full-width full stop becomes '.').
                sb.Append((char)(c - 0xFEE0));
                continue;
            }

            if (c is 0x3002 or 0xFF61)
            {
                // Ideographic and half-width ideographic full stops are label separators.
                sb.Append('.');
                continue;
            }

            if (c is 0x00AD or 0x034F or 0x200B or 0x2060 or 0xFEFF or (>= 0x180B and <= 0x180D) or (>= 0xFE00 and <= 0xFE0F))
            {
                // Ignored code points.
                continue;
            }

            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.SpaceSeparator:
                    // Mapped to U+0020, which the forbidden domain code point check rejects.
                    sb.Append(' ');
                    break;
                case UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse
                    or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
                    or UnicodeCategory.ParagraphSeparator:
                    // Disallowed (U+FFFD is caught below; joiners only pass CheckJoiners in rare
                    // contexts, so they are rejected too).
                    return string.Empty;
                default:
                    if (c == 0xFFFD)
                    {
                        return string.Empty;
                    }

                    sb.Append(rune.ToString());
                    break;
            }
        }

        return sb.ToString().ToLowerInvariant();
    }

    // --- IPv4 --------------------------------------------------------------------------------

    private static bool EndsInANumber(string input)
    {
        // Ends in a number checker: the last dot-separated part (ignoring one trailing empty part)
        // is all ASCII digits or parses as an IPv4 number (e.g. "0x", "0x1f").
        ReadOnlySpan<char> s = input;
        if (s.EndsWith('.'))
        {
            s = s[..^1];
        }

        ReadOnlySpan<char> last = s[(s.LastIndexOf('.') + 1)..];
        if (last.Length != 0 && !last.ContainsAnyExceptInRange('0', '9'))
        {
            return true;
        }

        return TryParseIPv4Number(last, out _);
    }

    /// <summary>
    /// IPv4 number parser: decimal, hexadecimal after "0x"/"0X", octal after a leading "0".
    /// Values too large for 32 bits saturate at 2^32 + 1; they fail later as out of range.
    /// </summary>
    private static bool TryParseIPv4Number(ReadOnlySpan<char> input, out ulong value)
    {
        value = 0;
        if (input.IsEmpty)
        {
            return false;
        }

        int radix = 10;
        if (input.Length >= 2 && input[0] == '0' && (input[1] | 0x20) == 'x')
        {
            input = input[2..];
            radix = 16;
        }
        else if (input.Length >= 2 && input[0] == '0')
        {
            input = input[1..];
            radix = 8;
        }

        const ulong Saturated = (1UL << 32) + 1;
        foreach (char c in input)
        {
            int digit;
            if (char.IsAsciiDigit(c))
            {
                digit = c - '0';
            }
            else if (radix == 16 && char.IsAsciiHexDigit(c))
            {
                digit = HexValue(c);
            }
            else
            {
                return false;
            }

            if (digit >= radix)
            {
                return false;
            }

            value = Math.Min(value * (ulong)radix + (ulong)digit, Saturated);
        }

        return true;
    }

    private static bool TryParseIPv4(string input, out uint address)
    {
        // IPv4 parser: one to four parts; every part but the last is a byte, and the last one
        // fills the remaining bytes ("1.2.3" is 1.2.0.3, "1" is 0.0.0.1).
        address = 0;
        var parts = new List<string>(input.Split('.'));
        if (parts.Count > 1 && parts[^1].Length == 0)
        {
            parts.RemoveAt(parts.Count - 1);
        }

        if (parts.Count > 4)
        {
            return false;
        }

        Span<ulong> numbers = stackalloc ulong[4];
        for (int i = 0; i < parts.Count; i++)
        {
            if (!TryParseIPv4Number(parts[i], out numbers[i]))
            {
                return false;
            }
        }

        for (int i = 0; i < parts.Count - 1; i++)
        {
            if (numbers[i] > 255)
            {
                return false;
            }
        }

        ulong last = numbers[parts.Count - 1];
        if (last >= 1UL << (8 * (5 - parts.Count)))
        {
            return false;
        }

        ulong ipv4 = last;
        for (int i = 0; i < parts.Count - 1; i++)
        {
            ipv4 += numbers[i] << (8 * (3 - i));
        }

        address = (uint)ipv4;
        return true;
    }

    private static string SerializeIPv4(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}");

    // --- IPv6 --------------------------------------------------------------------------------

    private static bool TryParseIPv6(string input, out ushort[] address)
    {
        address = new ushort[8];
        int pieceIndex = 0;
        int compress = -1;
        int pointer = 0;

        int C(int p) => p < input.Length ? input[p] : Eof;

        if (C(pointer) == ':')
        {
            if (C(pointer + 1) != ':')
            {
                return false;
            }

            pointer += 2;
            pieceIndex++;
            compress = pieceIndex;
        }

        while (C(pointer) != Eof)
        {
            if (pieceIndex == 8)
            {
                return false;
            }

            if (C(pointer) == ':')
            {
                if (compress != -1)
                {
                    return false;
                }

                pointer++;
                pieceIndex++;
                compress = pieceIndex;
                continue;
            }

            int value = 0;
            int length = 0;
            while (length < 4 && IsAsciiHexDigit(C(pointer)))
            {
                value = (value * 0x10) + HexValue(C(pointer));
                pointer++;
                length++;
            }

            if (C(pointer) == '.')
            {
                // An IPv4 address in the last two pieces ("::ffff:1.2.3.4").
                if (length == 0)
                {
                    return false;
                }

                pointer -= length;
                if (pieceIndex > 6)
                {
                    return false;
                }

                int numbersSeen = 0;
                while (C(pointer) != Eof)
                {
                    int ipv4Piece = -1;
                    if (numbersSeen > 0)
                    {
                        if (C(pointer) == '.' && numbersSeen < 4)
                        {
                            pointer++;
                        }
                        else
                        {
                            return false;
                        }
                    }

                    if (!IsAsciiDigit(C(pointer)))
                    {
                        return false;
                    }

                    while (IsAsciiDigit(C(pointer)))
                    {
                        int number = C(pointer) - '0';
                        if (ipv4Piece == -1)
                        {
                            ipv4Piece = number;
                        }
                        else if (ipv4Piece == 0)
                        {
                            // No leading zeros.
                            return false;
                        }
                        else
                        {
                            ipv4Piece = (ipv4Piece * 10) + number;
                        }

                        if (ipv4Piece > 255)
                        {
                            return false;
                        }

                        pointer++;
                    }

                    address[pieceIndex] = (ushort)((address[pieceIndex] * 0x100) + ipv4Piece);
                    numbersSeen++;
                    if (numbersSeen is 2 or 4)
                    {
                        pieceIndex++;
                    }
                }

                if (numbersSeen != 4)
                {
                    return false;
                }

                break;
            }
            else if (C(pointer) == ':')
            {
                pointer++;
                if (C(pointer) == Eof)
                {
                    return false;
                }
            }
            else if (C(pointer) != Eof)
            {
                return false;
            }

            address[pieceIndex] = (ushort)value;
            pieceIndex++;
        }

        if (compress != -1)
        {
            // Move the pieces after the "::" to the end.
            int swaps = pieceIndex - compress;
            pieceIndex = 7;
            while (pieceIndex != 0 && swaps > 0)
            {
                (address[pieceIndex], address[compress + swaps - 1]) = (address[compress + swaps - 1], address[pieceIndex]);
                pieceIndex--;
                swaps--;
            }
        }
        else if (pieceIndex != 8)
        {
            return false;
        }

        return true;
    }

    private static string SerializeIPv6(ushort[] address)
    {
        // IPv6 serializer: the first longest run of two or more zero pieces becomes "::"
        // (RFC 5952); pieces are lower-case hex without leading zeros.
        int compress = -1;
        int longestSize = 1;
        for (int i = 0; i < 8;)
        {
            if (address[i] != 0)
            {
                i++;
                continue;
            }

            int start = i;
            while (i < 8 && address[i] == 0)
            {
                i++;
            }

            if (i - start > longestSize)
            {
                longestSize = i - start;
                compress = start;
            }
        }

        var sb = new StringBuilder(41);
        bool ignore0 = false;
        for (int i = 0; i < 8; i++)
        {
            if (ignore0 && address[i] == 0)
            {
                continue;
            }

            ignore0 = false;
            if (compress == i)
            {
                sb.Append(i == 0 ? "::" : ":");
                ignore0 = true;
                continue;
            }

            sb.Append(address[i].ToString("x", CultureInfo.InvariantCulture));
            if (i != 7)
            {
                sb.Append(':');
            }
        }

        return sb.ToString();
    }

    // --- The basic URL parser ----------------------------------------------------------------

    private enum State
    {
        SchemeStart,
        Scheme,
        NoScheme,
        SpecialRelativeOrAuthority,
        PathOrAuthority,
        Relative,
        RelativeSlash,
        SpecialAuthoritySlashes,
        SpecialAuthorityIgnoreSlashes,
        Authority,
        Host,
        Port,
        PathStart,
        Path,
        OpaquePath,
        Query,
        Fragment,
    }

    private sealed class Parser(string input, WhatwgUrl? baseUrl)
    {
        private readonly string _input = input;
        private readonly WhatwgUrl? _base = baseUrl;
        private readonly StringBuilder _buffer = new();
        private readonly StringBuilder _username = new();
        private readonly StringBuilder _password = new();
        private readonly List<string> _path = [];
        private string _scheme = string.Empty;
        private bool _special;
        private string? _host;
        private int? _port;
        private StringBuilder? _opaquePath;
        private StringBuilder? _query;
        private StringBuilder? _fragment;

        public WhatwgUrl Build() => new(
            _scheme,
            _username.ToString(),
            _password.ToString(),
            _host,
            _port,
            _opaquePath is null ? [.. _path] : null,
            _opaquePath?.ToString(),
            _query?.ToString(),
            _fragment?.ToString());

        private int At(int pointer) => pointer >= 0 && pointer < _input.Length ? _input[pointer] : Eof;

        private bool IsSlash(int c) => c == '/' || (_special && c == '\\');

        /// <summary>Runs the state machine; returns null on success or a failure message.</summary>
        public string? Run()
        {
            State state = State.SchemeStart;
            bool atSignSeen = false;
            bool insideBrackets = false;
            bool passwordTokenSeen = false;
            int pointer = 0;

            while (true)
            {
                int c = At(pointer);
                switch (state)
                {
                    case State.SchemeStart:
                        if (c != Eof && char.IsAsciiLetter((char)c))
                        {
                            _buffer.Append(char.ToLowerInvariant((char)c));
                            state = State.Scheme;
                        }
                        else
                        {
                            state = State.NoScheme;
                            pointer--;
                        }

                        break;

                    case State.Scheme:
                        if (c != Eof && (char.IsAsciiLetterOrDigit((char)c) || c is '+' or '-' or '.'))
                        {
                            _buffer.Append(char.ToLowerInvariant((char)c));
                        }
                        else if (c == ':')
                        {
                            _scheme = _buffer.ToString();
                            _special = IsSpecialScheme(_scheme);
                            _buffer.Clear();
                            if (_scheme == "file")
                            {
                                return "file: URLs are not supported.";
                            }
                            else if (_special && _base is not null && _base.Scheme == _scheme)
                            {
                                state = State.SpecialRelativeOrAuthority;
                            }
                            else if (_special)
                            {
                                state = State.SpecialAuthoritySlashes;
                            }
                            else if (At(pointer + 1) == '/')
                            {
                                state = State.PathOrAuthority;
                                pointer++;
                            }
                            else
                            {
                                _opaquePath = new StringBuilder();
                                state = State.OpaquePath;
                            }
                        }
                        else
                        {
                            // Not a scheme after all: start over from the first code point.
                            _buffer.Clear();
                            state = State.NoScheme;
                            pointer = -1;
                        }

                        break;

                    case State.NoScheme:
                        if (_base is null || (_base._opaquePath is not null && c != '#'))
                        {
                            return "The URL is relative and there is no base URL to resolve it against.";
                        }
                        else if (_base._opaquePath is not null)
                        {
                            _scheme = _base.Scheme;
                            _special = _base.IsSpecial;
                            _opaquePath = new StringBuilder(_base._opaquePath);
                            _query = _base.Query is null ? null : new StringBuilder(_base.Query);
                            _fragment = new StringBuilder();
                            state = State.Fragment;
                        }
                        else
                        {
                            state = State.Relative;
                            pointer--;
                        }

                        break;

                    case State.SpecialRelativeOrAuthority:
                        if (c == '/' && At(pointer + 1) == '/')
                        {
                            state = State.SpecialAuthorityIgnoreSlashes;
                            pointer++;
                        }
                        else
                        {
                            state = State.Relative;
                            pointer--;
                        }

                        break;

                    case State.PathOrAuthority:
                        if (c == '/')
                        {
                            state = State.Authority;
                        }
                        else
                        {
                            state = State.Path;
                            pointer--;
                        }

                        break;

                    case State.Relative:
                        Debug.Assert(_base is not null);
                        _scheme = _base.Scheme;
                        _special = _base.IsSpecial;
                        if (IsSlash(c))
                        {
                            state = State.RelativeSlash;
                        }
                        else
                        {
                            CopyAuthorityFromBase();
                            _path.AddRange(_base._pathSegments!);
                            _query = _base.Query is null ? null : new StringBuilder(_base.Query);
                            if (c == '?')
                            {
                                _query = new StringBuilder();
                                state = State.Query;
                            }
                            else if (c == '#')
                            {
                                _fragment = new StringBuilder();
                                state = State.Fragment;
                            }
                            else if (c != Eof)
                            {
                                _query = null;
                                ShortenPath();
                                state = State.Path;
                                pointer--;
                            }
                        }

                        break;

                    case State.RelativeSlash:
                        if (_special && c is '/' or '\\')
                        {
                            state = State.SpecialAuthorityIgnoreSlashes;
                        }
                        else if (c == '/')
                        {
                            state = State.Authority;
                        }
                        else
                        {
                            CopyAuthorityFromBase();
                            state = State.Path;
                            pointer--;
                        }

                        break;

                    case State.SpecialAuthoritySlashes:
                        // Special schemes tolerate missing slashes: "ws:example.com" is
                        // "ws://example.com/".
                        state = State.SpecialAuthorityIgnoreSlashes;
                        if (c == '/' && At(pointer + 1) == '/')
                        {
                            pointer++;
                        }
                        else
                        {
                            pointer--;
                        }

                        break;

                    case State.SpecialAuthorityIgnoreSlashes:
                        // Any number of '/' or '\' is skipped.
                        if (c is not '/' and not '\\')
                        {
                            state = State.Authority;
                            pointer--;
                        }

                        break;

                    case State.Authority:
                        if (c == '@')
                        {
                            // Everything before the last '@' is userinfo; an earlier '@' is data.
                            if (atSignSeen)
                            {
                                _buffer.Insert(0, "%40");
                            }

                            atSignSeen = true;
                            string userinfo = _buffer.ToString();
                            int i = 0;
                            while (i < userinfo.Length)
                            {
                                if (userinfo[i] == ':' && !passwordTokenSeen)
                                {
                                    passwordTokenSeen = true;
                                    i++;
                                    continue;
                                }

                                int length = char.IsHighSurrogate(userinfo[i]) && i + 1 < userinfo.Length ? 2 : 1;
                                AppendPercentEncoded(
                                    passwordTokenSeen ? _password : _username,
                                    userinfo.AsSpan(i, length),
                                    EncodeSet.Userinfo);
                                i += length;
                            }

                            _buffer.Clear();
                        }
                        else if (c is Eof or '?' or '#' || IsSlash(c))
                        {
                            if (atSignSeen && _buffer.Length == 0)
                            {
                                return "The URL has credentials but no host.";
                            }

                            // Re-read the buffered code points in the host state.
                            pointer -= _buffer.Length + 1;
                            _buffer.Clear();
                            state = State.Host;
                        }
                        else
                        {
                            _buffer.Append((char)c);
                        }

                        break;

                    case State.Host:
                        if (c == ':' && !insideBrackets)
                        {
                            if (_buffer.Length == 0)
                            {
                                return "The URL has a port but no host.";
                            }

                            _host = ParseHost(_buffer.ToString(), !_special, out string? error);
                            if (_host is null)
                            {
                                return error;
                            }

                            _buffer.Clear();
                            state = State.Port;
                        }
                        else if (c is Eof or '?' or '#' || IsSlash(c))
                        {
                            pointer--;
                            if (_special && _buffer.Length == 0)
                            {
                                return "The URL has no host.";
                            }

                            _host = ParseHost(_buffer.ToString(), !_special, out string? error);
                            if (_host is null)
                            {
                                return error;
                            }

                            _buffer.Clear();
                            state = State.PathStart;
                        }
                        else
                        {
                            if (c == '[')
                            {
                                insideBrackets = true;
                            }
                            else if (c == ']')
                            {
                                insideBrackets = false;
                            }

                            _buffer.Append((char)c);
                        }

                        break;

                    case State.Port:
                        if (IsAsciiDigit(c))
                        {
                            _buffer.Append((char)c);
                        }
                        else if (c is Eof or '?' or '#' || IsSlash(c))
                        {
                            if (_buffer.Length != 0)
                            {
                                // Leading zeros are allowed ("0080"); only the value counts.
                                int port = 0;
                                for (int i = 0; i < _buffer.Length; i++)
                                {
                                    port = (port * 10) + (_buffer[i] - '0');
                                    if (port > 65535)
                                    {
                                        return "The URL's port is out of range.";
                                    }
                                }

                                _port = port == DefaultPort(_scheme) ? null : port;
                                _buffer.Clear();
                            }

                            state = State.PathStart;
                            pointer--;
                        }
                        else
                        {
                            return "The URL's port is not a number.";
                        }

                        break;

                    case State.PathStart:
                        if (_special)
                        {
                            state = State.Path;
                            if (c is not '/' and not '\\')
                            {
                                pointer--;
                            }
                        }
                        else if (c == '?')
                        {
                            _query = new StringBuilder();
                            state = State.Query;
                        }
                        else if (c == '#')
                        {
                            _fragment = new StringBuilder();
                            state = State.Fragment;
                        }
                        else if (c != Eof)
                        {
                            state = State.Path;
                            if (c != '/')
                            {
                                pointer--;
                            }
                        }

                        break;

                    case State.Path:
                        if (c is Eof or '?' or '#' || IsSlash(c))
                        {
                            EndPathSegment(endsWithSlash: IsSlash(c));
                            if (c == '?')
                            {
                                _query = new StringBuilder();
                                state = State.Query;
                            }
                            else if (c == '#')
                            {
                                _fragment = new StringBuilder();
                                state = State.Fragment;
                            }
                        }
                        else
                        {
                            pointer += AppendCodePoint(_buffer, pointer, EncodeSet.Path);
                        }

                        break;

                    case State.OpaquePath:
                        if (c == '?')
                        {
                            _query = new StringBuilder();
                            state = State.Query;
                        }
                        else if (c == '#')
                        {
                            _fragment = new StringBuilder();
                            state = State.Fragment;
                        }
                        else if (c == ' ')
                        {
                            // A space right before the query or fragment would be lost to
                            // trailing-space trimming when the URL is parsed again.
                            _opaquePath!.Append(At(pointer + 1) is '?' or '#' ? "%20" : " ");
                        }
                        else if (c != Eof)
                        {
                            pointer += AppendCodePoint(_opaquePath!, pointer, EncodeSet.C0Control);
                        }

                        break;

                    case State.Query:
                        // The query is buffered and encoded at once (the encoding is UTF-8 here,
                        // so this is equivalent to encoding code point by code point).
                        if (c is Eof or '#')
                        {
                            AppendPercentEncoded(_query!, _buffer.ToString(), _special ? EncodeSet.SpecialQuery : EncodeSet.Query);
                            _buffer.Clear();
                            if (c == '#')
                            {
                                _fragment = new StringBuilder();
                                state = State.Fragment;
                            }
                        }
                        else
                        {
                            _buffer.Append((char)c);
                        }

                        break;

                    case State.Fragment:
                        if (c != Eof)
                        {
                            pointer += AppendCodePoint(_fragment!, pointer, EncodeSet.Fragment);
                        }

                        break;
                }

                if (pointer >= _input.Length)
                {
                    return null;
                }

                pointer++;
            }
        }

        /// <summary>
        /// Percent-encodes the code point at <paramref name="pointer"/>; returns how many extra
        /// UTF-16 units it took (1 for a surrogate pair).
        /// </summary>
        private int AppendCodePoint(StringBuilder sb, int pointer, EncodeSet set)
        {
            int length = char.IsHighSurrogate(_input[pointer]) && pointer + 1 < _input.Length ? 2 : 1;
            AppendPercentEncoded(sb, _input.AsSpan(pointer, length), set);
            return length - 1;
        }

        private void CopyAuthorityFromBase()
        {
            Debug.Assert(_base is not null);
            _username.Clear().Append(_base.Username);
            _password.Clear().Append(_base.Password);
            _host = _base._host;
            _port = _base.Port;
        }

        private void ShortenPath()
        {
            // Shorten a URL's path (the Windows drive letter quirk only applies to file URLs).
            if (_path.Count != 0)
            {
                _path.RemoveAt(_path.Count - 1);
            }
        }

        private void EndPathSegment(bool endsWithSlash)
        {
            // Path state: "." and ".." (also as "%2e", ".%2E", ...) are resolved as segments are
            // completed; a trailing one leaves an empty last segment ("/a/.." is "/").
            string segment = _buffer.ToString();
            _buffer.Clear();
            if (IsDoubleDotSegment(segment))
            {
                ShortenPath();
                if (!endsWithSlash)
                {
                    _path.Add(string.Empty);
                }
            }
            else if (IsSingleDotSegment(segment))
            {
                if (!endsWithSlash)
                {
                    _path.Add(string.Empty);
                }
            }
            else
            {
                _path.Add(segment);
            }
        }

        private static bool IsSingleDotSegment(string segment) =>
            segment == "." || segment.Equals("%2e", StringComparison.OrdinalIgnoreCase);

        private static bool IsDoubleDotSegment(string segment) => segment.Length switch
        {
            2 => segment == "..",
            4 => segment.Equals(".%2e", StringComparison.OrdinalIgnoreCase)
                || segment.Equals("%2e.", StringComparison.OrdinalIgnoreCase),
            6 => segment.Equals("%2e%2e", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }
}
