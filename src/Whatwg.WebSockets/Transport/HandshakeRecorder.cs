using System.Net.Http.Headers;

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
        HttpRequestMessage request, int statusCode, string reasonPhrase, IReadOnlyList<KeyValuePair<string, string>> responseHeaders)
    {
        Uri uri = request.RequestUri!;
        var headers = new List<KeyValuePair<string, string>> { new("Host", uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}") };
        foreach (KeyValuePair<string, HeaderStringValues> header in request.Headers.NonValidated)
        {
            foreach (string value in header.Value)
            {
                headers.Add(new(header.Key, value));
            }
        }

        return new HandshakeDetails($"GET {uri.PathAndQuery} HTTP/1.1", headers, statusCode, reasonPhrase, [.. responseHeaders]);
    }
}
