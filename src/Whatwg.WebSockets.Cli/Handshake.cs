using System.Globalization;

namespace Whatwg.WebSockets.Cli;

/// <summary>The lines -v and --show-ping print.</summary>
internal static class Handshake
{
    /// <summary>
    /// The opening handshake as it happened (-v): the request line and headers sent, marked '>', then the status
    /// line and headers received, marked '&lt;'. Credentials in Authorization and Proxy-Authorization are hidden.
    /// </summary>
    public static IEnumerable<string> DescribeExchange(HandshakeDetails handshake)
    {
        yield return "> " + handshake.RequestLine;
        foreach (KeyValuePair<string, string> header in handshake.RequestHeaders)
        {
            yield return $"> {header.Key}: {Redact(header.Key, header.Value)}";
        }

        yield return string.Create(CultureInfo.InvariantCulture, $"< HTTP/1.1 {handshake.StatusCode} {handshake.ReasonPhrase}");
        foreach (KeyValuePair<string, string> header in handshake.ResponseHeaders)
        {
            yield return $"< {header.Key}: {header.Value}";
        }
    }

    /// <summary>Keeps the scheme of a credential header and hides the rest: "Basic (hidden)".</summary>
    private static string Redact(string name, string value)
    {
        if (!name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) && !name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase))
        {
            return value;
        }

        int space = value.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 ? value[..space] + " (hidden)" : "(hidden)";
    }

    /// <summary>The keep-alive schedule, for --show-ping.</summary>
    public static string DescribeKeepAlive(WebSocketOptions options)
    {
        TimeSpan interval = options.KeepAliveInterval;
        if (interval <= TimeSpan.Zero || interval == Timeout.InfiniteTimeSpan)
        {
            return "wsc: keep-alive pings are off (--ping-interval 0); server pings are still answered";
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"wsc: keep-alive: a ping goes out after {interval.TotalSeconds:0.###} s without traffic; no pong within {options.KeepAliveTimeout.TotalSeconds:0.###} s ends the connection (exit 4); server pings are answered");
    }
}
