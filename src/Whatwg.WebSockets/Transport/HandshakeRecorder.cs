using System.Net.Http.Headers;
using Whatwg.WebSockets.Internal;

namespace Whatwg.WebSockets.Transport;

/// <summary>Builds <see cref="HandshakeDetails"/> from what a transport sent and received.</summary>
internal static class HandshakeRecorder
{
    /// <summary>From the exact request text written to the socket.</summary>
    public static HandshakeDetails FromRequestText(
        string request, int statusCode, string reasonPhrase, IReadOnlyList<KeyValuePair<string, string>> responseHeaders)
    {
        string[] lines = request.Split("\r\n");
        var headers = new List<KeyValuePair<string, string>>(lines.Length);
        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
            }
        }

        return new HandshakeDetails(lines[0], headers, statusCode, reasonPhrase, [.. responseHeaders]);
    }

    /// <summary>From the request handed to the HTTP stack (which adds Host, and may add proxy or cookie fields unseen here).</summary>
    public static HandshakeDetails FromRequestMessage(
        HttpRequestMessage request, WhatwgUrl url, int statusCode, string reasonPhrase, IReadOnlyList<KeyValuePair<string, string>> responseHeaders)
    {
        // The Host the HTTP stack sends, as SocketTransport writes it: an IPv6 host keeps its brackets.
        string host = url.Port is int port ? $"{url.Host}:{port}" : url.Host;
        var headers = new List<KeyValuePair<string, string>> { new("Host", host) };
        foreach (KeyValuePair<string, HeaderStringValues> header in request.Headers.NonValidated)
        {
            foreach (string value in header.Value)
            {
                headers.Add(new(header.Key, value));
            }
        }

        return new HandshakeDetails($"GET {url.PathAndQuery} HTTP/1.1", headers, statusCode, reasonPhrase, [.. responseHeaders]);
    }
}
