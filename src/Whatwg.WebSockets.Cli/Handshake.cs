using System.Globalization;

namespace Whatwg.WebSockets.Cli;

/// <summary>The lines -v and --show-ping print.</summary>
internal static class Handshake
{
    /// <summary>
    /// The opening handshake request as wsc makes it (RFC 6455 §4.1): request line, Host, the WebSocket headers,
    /// Origin and the extra headers. The key is a fresh random nonce on the wire and is not known here.
    /// </summary>
    public static IEnumerable<string> DescribeRequest(string url, ClientSettings settings)
    {
        var uri = new Uri(url);
        yield return $"GET {uri.PathAndQuery} HTTP/1.1";
        yield return "Host: " + (uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}");
        yield return "Upgrade: websocket";
        yield return "Connection: Upgrade";
        yield return "Sec-WebSocket-Key: (16 random bytes, base64)";
        yield return "Sec-WebSocket-Version: 13";
        if (settings.Subprotocols.Count > 0)
        {
            yield return "Sec-WebSocket-Protocol: " + string.Join(", ", settings.Subprotocols);
        }

        if (settings.Options.Compression is not null)
        {
            yield return "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits";
        }

        if (settings.Options.Origin is not null)
        {
            yield return "Origin: " + settings.Options.Origin;
        }

        foreach (KeyValuePair<string, string> header in settings.Options.RequestHeaders)
        {
            yield return $"{header.Key}: {header.Value}";
        }

        if (settings.Options.Proxy is System.Net.WebProxy { Address: Uri proxy })
        {
            yield return $"(through the proxy {proxy.GetLeftPart(UriPartial.Authority)})";
        }
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
