using System.Diagnostics.CodeAnalysis;
namespace Whatwg.WebSockets.Internal;
internal sealed class WhatwgUrl
{
    private readonly Uri _uri;
    private WhatwgUrl(Uri uri) { _uri = uri; }
    public static bool TryParse(string input, WhatwgUrl? baseUrl, [NotNullWhen(true)] out WhatwgUrl? url, [NotNullWhen(false)] out string? error)
    {
        url = null; error = null;
        Uri? u;
        bool ok = baseUrl is null ? Uri.TryCreate(input, UriKind.Absolute, out u) : Uri.TryCreate(baseUrl._uri, input, out u);
        if (!ok || u is null) { error = "bad"; return false; }
        url = new WhatwgUrl(u); return true;
    }
    public string Scheme => _uri.Scheme;
    public string Host => _uri.Host;
    public int? Port => _uri.IsDefaultPort ? null : _uri.Port;
    public string? Fragment => _uri.Fragment.Length == 0 ? null : _uri.Fragment[1..];
    public string Href => _uri.AbsoluteUri;
    public string Origin => _uri.GetLeftPart(UriPartial.Authority);
    public int EffectivePort => _uri.Port;
    public WhatwgUrl WithScheme(string s) { var b = new UriBuilder(_uri) { Scheme = s }; if (_uri.IsDefaultPort) b.Port = -1; return new WhatwgUrl(b.Uri); }
}
