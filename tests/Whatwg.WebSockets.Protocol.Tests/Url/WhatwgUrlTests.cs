using Whatwg.WebSockets.Internal;

namespace Whatwg.WebSockets.Protocol.Tests.Url;

/// <summary>
/// Vectors for the URL Standard's basic URL parser and serializer, chosen from the cases the
/// standard and web-platform-tests cover for the special schemes a WebSocket URL can have.
/// </summary>
public class WhatwgUrlTests
{
    private static WhatwgUrl Parse(string input, string? baseInput = null)
    {
        WhatwgUrl? baseUrl = null;
        if (baseInput is not null)
        {
            Assert.True(WhatwgUrl.TryParse(baseInput, null, out baseUrl, out string? baseError), baseError);
        }

        Assert.True(WhatwgUrl.TryParse(input, baseUrl, out WhatwgUrl? url, out string? error), error);
        return url;
    }

    [Theory]
    // Scheme and host case folding, default ports, empty path.
    [InlineData("ws://example.com", "ws://example.com/")]
    [InlineData("WS://EXAMPLE.COM/", "ws://example.com/")]
    [InlineData("wSs://ExAmPlE.CoM/Path", "wss://example.com/Path")]
    [InlineData("ws://example.com:80/", "ws://example.com/")]
    [InlineData("wss://example.com:443/", "wss://example.com/")]
    [InlineData("ws://example.com:443/", "ws://example.com:443/")]
    [InlineData("wss://example.com:80/", "wss://example.com:80/")]
    [InlineData("http://example.com:80/", "http://example.com/")]
    [InlineData("https://example.com:443/", "https://example.com/")]
    [InlineData("ftp://example.com:21/", "ftp://example.com/")]
    [InlineData("ws://example.com:8080/chat?x=1", "ws://example.com:8080/chat?x=1")]
    // Port parsing.
    [InlineData("ws://example.com:65535", "ws://example.com:65535/")]
    [InlineData("ws://example.com:0", "ws://example.com:0/")]
    [InlineData("ws://example.com:0080/", "ws://example.com/")]
    [InlineData("ws://example.com:00000000000000000000080/", "ws://example.com/")]
    [InlineData("ws://example.com:/", "ws://example.com/")]
    [InlineData("ws://example.com:\n8080/", "ws://example.com:8080/")]
    // Trimming of C0 controls and spaces; tab and newline removed anywhere.
    [InlineData("  ws://example.com/  ", "ws://example.com/")]
    [InlineData("\u0000\u001f ws://example.com/ \u0001", "ws://example.com/")]
    [InlineData("ws://exa\tmp\nle.co\rm/p\ta\nth", "ws://example.com/path")]
    [InlineData("w\ts\n:\r//example.com/", "ws://example.com/")]
    // Missing or extra slashes and backslashes after a special scheme.
    [InlineData("ws:example.com", "ws://example.com/")]
    [InlineData("ws:/example.com", "ws://example.com/")]
    [InlineData("ws:///example.com", "ws://example.com/")]
    [InlineData("ws:\\\\example.com", "ws://example.com/")]
    [InlineData("ws:\\/\\/example.com/x", "ws://example.com/x")]
    [InlineData("ws://example.com\\a\\b", "ws://example.com/a/b")]
    [InlineData("http:\\\\example.com\\a", "http://example.com/a")]
    // Userinfo and the userinfo percent-encode set.
    [InlineData("ws://user:pass@example.com/", "ws://user:pass@example.com/")]
    [InlineData("ws://user@example.com/", "ws://user@example.com/")]
    [InlineData("ws://:pass@example.com/", "ws://:pass@example.com/")]
    [InlineData("ws://user:@example.com/", "ws://user@example.com/")]
    [InlineData("ws://@example.com/", "ws://example.com/")]
    [InlineData("ws://:@example.com/", "ws://example.com/")]
    [InlineData("ws://a@b@c/", "ws://a%40b@c/")]
    [InlineData("http://::@c@d:2", "http://:%3A%40c@d:2/")]
    [InlineData("ws://us er:p@ss:w@example.com/", "ws://us%20er:p%40ss%3Aw@example.com/")]
    [InlineData("ws://us%20er:pa%3Ass@example.com/", "ws://us%20er:pa%3Ass@example.com/")]
    [InlineData("ws://\u00fc:\u00df@example.com/", "ws://%C3%BC:%C3%9F@example.com/")]
    [InlineData("ws://a;b=c[d]|e^f{g}`h'i:@h/", "ws://a%3Bb%3Dc%5Bd%5D%7Ce%5Ef%7Bg%7D%60h'i@h/")]
    // Domains: percent-decoding before IDNA, trailing dots, code points that are not forbidden.
    [InlineData("ws://ex%41mple.com/", "ws://example.com/")]
    [InlineData("ws://example.com./", "ws://example.com./")]
    [InlineData("ws://a..b/", "ws://a..b/")]
    [InlineData("ws://a_b-.c$d,e'f!g*h(i)~j/", "ws://a_b-.c$d,e'f!g*h(i)~j/")]
    [InlineData("ws://ma\u00f1ana.com/", "ws://xn--maana-pta.com/")]
    [InlineData("ws://MA\u00d1ANA.com/", "ws://xn--maana-pta.com/")]
    [InlineData("ws://%C3%B1.com/", "ws://xn--ida.com/")]
    [InlineData("ws://\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com/", "ws://example.com/")]
    [InlineData("ws://\u4f8b\u3048.\u30c6\u30b9\u30c8/", "ws://xn--r8jz45g.xn--zckzah/")]
    [InlineData("ws://\u65e5\u672c\u8a9e\u3002\uff4a\uff50/", "ws://xn--wgv71a119e.jp/")]
    [InlineData("ws://fa\u00df.de/", "ws://xn--fa-hia.de/")]
    [InlineData("ws://XN--MAANA-PTA.com/", "ws://xn--maana-pta.com/")]
    // An ASCII domain is only lower-cased, even when its Punycode would not pass UTS #46.
    [InlineData("ws://a.b.c.XN--pokxncvks/", "ws://a.b.c.xn--pokxncvks/")]
    // IPv4: decimal, hex, octal, fewer than four parts, the last part filling the rest.
    [InlineData("ws://192.168.0.1/", "ws://192.168.0.1/")]
    [InlineData("ws://0x7f.1/", "ws://127.0.0.1/")]
    [InlineData("ws://0x7F000001/", "ws://127.0.0.1/")]
    [InlineData("ws://2130706433/", "ws://127.0.0.1/")]
    [InlineData("ws://017700000001/", "ws://127.0.0.1/")]
    [InlineData("ws://0177.0.0.1/", "ws://127.0.0.1/")]
    [InlineData("ws://127.1/", "ws://127.0.0.1/")]
    [InlineData("ws://127.0.1/", "ws://127.0.0.1/")]
    [InlineData("ws://1.2.3.4./", "ws://1.2.3.4/")]
    [InlineData("ws://1.2.65535/", "ws://1.2.255.255/")]
    [InlineData("ws://1.16777215/", "ws://1.255.255.255/")]
    [InlineData("ws://4294967295/", "ws://255.255.255.255/")]
    [InlineData("ws://0x/", "ws://0.0.0.0/")]
    [InlineData("ws://0X.0x.0/", "ws://0.0.0.0/")]
    [InlineData("ws://%31%32%37.0.0.1/", "ws://127.0.0.1/")]
    [InlineData("ws://\uff11\uff12\uff17.0.0.1/", "ws://127.0.0.1/")]
    [InlineData("ws://1.foo/", "ws://1.foo/")]
    [InlineData("ws://0xg/", "ws://0xg/")]
    // IPv6 and its compressed serialization.
    [InlineData("ws://[::1]/", "ws://[::1]/")]
    [InlineData("ws://[::]/", "ws://[::]/")]
    [InlineData("ws://[0:0:0:0:0:0:0:1]/", "ws://[::1]/")]
    [InlineData("ws://[1:0:0:0:0:0:0:0]/", "ws://[1::]/")]
    [InlineData("ws://[1:0::0:1]/", "ws://[1::1]/")]
    [InlineData("ws://[0001::]/", "ws://[1::]/")]
    [InlineData("ws://[2001:db8:0:0:1:0:0:1]/", "ws://[2001:db8::1:0:0:1]/")]
    [InlineData("ws://[2001:DB8::A:0:0:0:1]/", "ws://[2001:db8:0:a::1]/")]
    [InlineData("ws://[1:0:0:2:0:0:0:3]/", "ws://[1:0:0:2::3]/")]
    [InlineData("ws://[0:1:0:1:0:1:0:1]/", "ws://[0:1:0:1:0:1:0:1]/")]
    [InlineData("ws://[1:2:3:4:5:6:7:8]/", "ws://[1:2:3:4:5:6:7:8]/")]
    [InlineData("ws://[::ffff:1.2.3.4]/", "ws://[::ffff:102:304]/")]
    [InlineData("ws://[::127.0.0.1]/", "ws://[::7f00:1]/")]
    [InlineData("ws://[1:2:3:4:5:6:1.2.3.4]/", "ws://[1:2:3:4:5:6:102:304]/")]
    [InlineData("ws://[::1]:8080/", "ws://[::1]:8080/")]
    [InlineData("ws://[::1]:/", "ws://[::1]/")]
    // Dot segments, including percent-encoded dots.
    [InlineData("ws://h/a/./b/../c", "ws://h/a/c")]
    [InlineData("ws://h/a/%2e/b/%2E%2e/c", "ws://h/a/c")]
    [InlineData("ws://h/a/.%2E/b", "ws://h/b")]
    [InlineData("ws://h/a/%2e./b", "ws://h/b")]
    [InlineData("ws://h/a/..", "ws://h/")]
    [InlineData("ws://h/a/.", "ws://h/a/")]
    [InlineData("ws://h/../../x", "ws://h/x")]
    [InlineData("ws://h/a\\.\\b\\..\\c", "ws://h/a/c")]
    [InlineData("ws://h/a/..?x", "ws://h/?x")]
    [InlineData("ws://h/a/.#f", "ws://h/a/#f")]
    [InlineData("ws://h/a/..%2f/b", "ws://h/a/..%2f/b")]
    [InlineData("ws://h/a/.../b", "ws://h/a/.../b")]
    [InlineData("ws://h//a//b", "ws://h//a//b")]
    [InlineData("http://example.com/foo/%2e%2", "http://example.com/foo/%2e%2")]
    // The path percent-encode set (including '^').
    [InlineData("ws://h/a b", "ws://h/a%20b")]
    [InlineData("ws://x/ /", "ws://x/%20/")]
    [InlineData("ws://h/a\"b<c>d`e{f}g^h|i", "ws://h/a%22b%3Cc%3Ed%60e%7Bf%7Dg%5Eh|i")]
    [InlineData("ws://h/\u00fc/\u20ac/\ud83d\ude00", "ws://h/%C3%BC/%E2%82%AC/%F0%9F%98%80")]
    [InlineData("ws://h/%zz/%41/%", "ws://h/%zz/%41/%")]
    [InlineData("ws://h/a'b[]:@!$&()*+,;=", "ws://h/a'b[]:@!$&()*+,;=")]
    // The special-query percent-encode set.
    [InlineData("ws://example.com/?a b", "ws://example.com/?a%20b")]
    [InlineData("ws://h/?a\"b<c>d#e", "ws://h/?a%22b%3Cc%3Ed#e")]
    [InlineData("ws://h/?'", "ws://h/?%27")]
    [InlineData("ws://h/?`{}^|\\", "ws://h/?`{}^|\\")]
    [InlineData("ws://h/?\u00fc=\u20ac", "ws://h/?%C3%BC=%E2%82%AC")]
    [InlineData("ws://h/?", "ws://h/?")]
    [InlineData("ws://h?x", "ws://h/?x")]
    // Fragments and the fragment percent-encode set.
    [InlineData("wss://x/#", "wss://x/#")]
    [InlineData("ws://x/path#", "ws://x/path#")]
    [InlineData("ws://h/#a b\"<>`", "ws://h/#a%20b%22%3C%3E%60")]
    [InlineData("ws://h/#\u00fc", "ws://h/#%C3%BC")]
    [InlineData("ws://h/#a#b?c{}|^'", "ws://h/#a#b?c{}|^'")]
    [InlineData("ws://h#x", "ws://h/#x")]
    [InlineData("ws://h/?#", "ws://h/?#")]
    // Non-special schemes parse, so a caller can reject them by scheme.
    [InlineData("mailto:x", "mailto:x")]
    [InlineData("javascript:x", "javascript:x")]
    [InlineData("mailto:example@example.org", "mailto:example@example.org")]
    [InlineData("about:blank", "about:blank")]
    [InlineData("data:text/plain,Hello World#frag ment", "data:text/plain,Hello World#frag%20ment")]
    [InlineData("foo:bar ?q", "foo:bar%20?q")]
    [InlineData("foo://host/a b?'#f", "foo://host/a%20b?'#f")]
    [InlineData("foo://", "foo://")]
    [InlineData("foo://%41b/", "foo://%41b/")]
    [InlineData("web+demo:/path/..//not-a-host/", "web+demo:/.//not-a-host/")]
    [InlineData("a1+-.:x", "a1+-.:x")]
    public void Parses_absolute_urls(string input, string expectedHref)
    {
        Assert.Equal(expectedHref, Parse(input).Href);
    }

    [Theory]
    [InlineData("ws://h:1/a/b", "/chat?x", "ws://h:1/chat?x")]
    [InlineData("ws://h:1/a/b", "chat", "ws://h:1/a/chat")]
    [InlineData("ws://h:1/a/b", "../c", "ws://h:1/c")]
    [InlineData("ws://h:1/a/b", "./", "ws://h:1/a/")]
    [InlineData("ws://h:1/a/b", "..", "ws://h:1/")]
    [InlineData("ws://h:1/a/b", "../../..", "ws://h:1/")]
    [InlineData("ws://h:1/a/b", "a/..", "ws://h:1/a/")]
    [InlineData("ws://h:1/a/b", "?q", "ws://h:1/a/b?q")]
    [InlineData("ws://h:1/a/b", "#f", "ws://h:1/a/b#f")]
    [InlineData("ws://h:1/a/b", "", "ws://h:1/a/b")]
    [InlineData("ws://h:1/a/b", "  \t", "ws://h:1/a/b")]
    [InlineData("ws://h:1/a/b", "/", "ws://h:1/")]
    [InlineData("ws://h:1/a/b", "//other/x", "ws://other/x")]
    [InlineData("ws://h:1/a/b", "\\\\other\\x", "ws://other/x")]
    [InlineData("ws://h:1/a/b", "///x", "ws://x/")]
    [InlineData("ws://h:1/a/b", "ws:chat", "ws://h:1/a/chat")]
    [InlineData("ws://h:1/a/b", "ws:/chat", "ws://h:1/chat")]
    [InlineData("ws://h:1/a/b", "wss:chat", "wss://chat/")]
    [InlineData("ws://h:1/a/b", "http:x", "http://x/")]
    [InlineData("ws://h:1/a/b", "ws://o/", "ws://o/")]
    [InlineData("ws://h:1/a/b", "1a:x", "ws://h:1/a/1a:x")]
    [InlineData("ws://u:p@h:1/a/b", "c", "ws://u:p@h:1/a/c")]
    [InlineData("ws://h/a?q#old", "#", "ws://h/a?q#")]
    [InlineData("ws://h/a?q#old", "?n", "ws://h/a?n")]
    [InlineData("http://example.org/foo/bar", ":foo.com/", "http://example.org/foo/:foo.com/")]
    [InlineData("http://example.org/foo/bar", "\\x", "http://example.org/x")]
    [InlineData("mailto:y?q", "#x", "mailto:y?q#x")]
    // web-platform-tests websockets/Create-non-absolute-url: relative to the document.
    [InlineData("http://web-platform.test:8000/websockets/Create-non-absolute-url.any.html", "test", "http://web-platform.test:8000/websockets/test")]
    [InlineData("http://web-platform.test:8000/websockets/Create-non-absolute-url.any.html", "?", "http://web-platform.test:8000/websockets/Create-non-absolute-url.any.html?")]
    [InlineData("http://web-platform.test:8000/websockets/Create-non-absolute-url.any.html", "null", "http://web-platform.test:8000/websockets/null")]
    [InlineData("http://web-platform.test:8000/websockets/Create-non-absolute-url.any.html", "123", "http://web-platform.test:8000/websockets/123")]
    public void Resolves_relative_references(string baseInput, string input, string expectedHref)
    {
        Assert.Equal(expectedHref, Parse(input, baseInput).Href);
    }

    [Theory]
    // Empty, relative without a base, and a host that is missing.
    [InlineData("", null)]
    [InlineData("   ", null)]
    [InlineData("/chat?x", null)]
    [InlineData("chat", null)]
    [InlineData("#test", null)]
    [InlineData("ws://", null)]
    [InlineData("ws:///", null)]
    [InlineData("ws://user@/", null)]
    [InlineData("ws://user:pass@", null)]
    [InlineData("ws://:80/", null)]
    [InlineData("z", "mailto:y")]
    [InlineData("//", "ws://h:1/a/b")]
    // Forbidden host and domain code points.
    [InlineData("ws://exa mple.com", null)]
    [InlineData("ws://foo bar.com/", null)]
    [InlineData("wss://web platform.test/", null)]
    [InlineData("ws://ex<ample.com/", null)]
    [InlineData("ws://ex^ample.com/", null)]
    [InlineData("ws://ex|ample.com/", null)]
    [InlineData("ws://ex%2Fample.com/", null)]
    [InlineData("ws://ex%25ample.com/", null)]
    [InlineData("ws://ex%00ample.com/", null)]
    [InlineData("ws://ex\u007fample.com/", null)]
    [InlineData("ws://%zz/", null)]
    [InlineData("ws://%ff.com/", null)]
    [InlineData("http://GOO\u3000goo.com/", null)]
    [InlineData("http://\ufdd0zyx.com/", null)]
    [InlineData("http://%ef%b7%90zyx.com/", null)]
    [InlineData("foo://ho st/", null)]
    [InlineData("foo://example.com\\a", null)]
    // IPv4 out of range or malformed.
    [InlineData("ws://999.1.1.1", null)]
    [InlineData("ws://1.2.3.256/", null)]
    [InlineData("ws://1.2.3.4.5/", null)]
    [InlineData("ws://1.2.65536/", null)]
    [InlineData("ws://4294967296/", null)]
    [InlineData("ws://0x100000000/", null)]
    [InlineData("ws://999999999999999999999999/", null)]
    [InlineData("ws://08/", null)]
    [InlineData("ws://09.1/", null)]
    [InlineData("ws://1.2.3.09/", null)]
    [InlineData("ws://1..2/", null)]
    [InlineData("ws://.1.2.3/", null)]
    [InlineData("ws://foo.09/", null)]
    [InlineData("ws://foo.0x4/", null)]
    [InlineData("ws://foo.1/", null)]
    // IPv6 malformed.
    [InlineData("http://[::1", null)]
    [InlineData("ws://[]/", null)]
    [InlineData("ws://[/", null)]
    [InlineData("ws://]/", null)]
    [InlineData("ws://ex[ample]/", null)]
    [InlineData("ws://[::1]x/", null)]
    [InlineData("ws://[1:2:3:4:5:6:7:8:9]/", null)]
    [InlineData("ws://[1:2:3:4:5:6:7]/", null)]
    [InlineData("ws://[1::2::3]/", null)]
    [InlineData("ws://[:1]/", null)]
    [InlineData("ws://[1:]/", null)]
    [InlineData("ws://[00001::]/", null)]
    [InlineData("ws://[g::1]/", null)]
    [InlineData("ws://[::1%25eth0]/", null)]
    [InlineData("ws://[::ffff:1.2.3]/", null)]
    [InlineData("ws://[::ffff:1.2.3.4.5]/", null)]
    [InlineData("ws://[::ffff:01.2.3.4]/", null)]
    [InlineData("ws://[::ffff:256.2.3.4]/", null)]
    [InlineData("ws://[1:2:3:4:5:6:7:1.2.3.4]/", null)]
    [InlineData("ws://[::1.]/", null)]
    // Ports.
    [InlineData("ws://example.com:99999", null)]
    [InlineData("ws://example.com:65536", null)]
    [InlineData("ws://example.com:8a/", null)]
    [InlineData("ws://example.com:-1/", null)]
    [InlineData("ws://example.com: 80/", null)]
    [InlineData("ws://example.com:fifty-two/", null)]
    // file: URLs are outside what this parser supports.
    [InlineData("file:///etc/passwd", null)]
    public void Rejects_invalid_urls(string input, string? baseInput)
    {
        WhatwgUrl? baseUrl = null;
        if (baseInput is not null)
        {
            Assert.True(WhatwgUrl.TryParse(baseInput, null, out baseUrl, out _));
        }

        Assert.False(WhatwgUrl.TryParse(input, baseUrl, out WhatwgUrl? url, out string? error));
        Assert.Null(url);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("ws://user:pass@[::1]:8080/a/b?c=d#e", "ws", "user", "pass", "[::1]", 8080, "/a/b", "c=d", "e")]
    [InlineData("WSS://Example.COM", "wss", "", "", "example.com", null, "/", null, null)]
    [InlineData("ws://h/p?#", "ws", "", "", "h", null, "/p", "", "")]
    [InlineData("http://0x7f.1:0/", "http", "", "", "127.0.0.1", 0, "/", null, null)]
    [InlineData("mailto:x@y?s#f", "mailto", "", "", "", null, "x@y", "s", "f")]
    public void Exposes_components(
        string input,
        string scheme,
        string username,
        string password,
        string host,
        int? port,
        string path,
        string? query,
        string? fragment)
    {
        WhatwgUrl url = Parse(input);
        Assert.Equal(scheme, url.Scheme);
        Assert.Equal(username, url.Username);
        Assert.Equal(password, url.Password);
        Assert.Equal(host, url.Host);
        Assert.Equal(port, url.Port);
        Assert.Equal(path, url.Path);
        Assert.Equal(query, url.Query);
        Assert.Equal(fragment, url.Fragment);
    }

    [Theory]
    [InlineData("wss://x/#")]
    [InlineData("ws://x/path#")]
    public void Empty_fragment_is_not_null(string input)
    {
        WhatwgUrl url = Parse(input);
        Assert.Equal(string.Empty, url.Fragment);
    }

    [Fact]
    public void Absent_query_and_fragment_are_null()
    {
        WhatwgUrl url = Parse("ws://x/path");
        Assert.Null(url.Query);
        Assert.Null(url.Fragment);
    }

    [Theory]
    [InlineData("ws://example.com:8080/x", "ws://example.com:8080", 8080)]
    [InlineData("ws://example.com/x", "ws://example.com", 80)]
    [InlineData("wss://example.com/x", "wss://example.com", 443)]
    [InlineData("wss://u:p@[::1]:9/x", "wss://[::1]:9", 9)]
    [InlineData("http://example.com/", "http://example.com", 80)]
    [InlineData("https://example.com/", "https://example.com", 443)]
    [InlineData("mailto:x", "null", -1)]
    public void Computes_origin_and_effective_port(string input, string origin, int effectivePort)
    {
        WhatwgUrl url = Parse(input);
        Assert.Equal(origin, url.Origin);
        Assert.Equal(effectivePort, url.EffectivePort);
    }

    [Fact]
    public void Blob_url_has_the_origin_of_its_inner_url()
    {
        Assert.Equal("https://example.com", Parse("blob:https://example.com:443/").Origin);
        Assert.Equal("null", Parse("blob:ftp://example.com/").Origin);
    }

    [Theory]
    [InlineData("ws://h/a/b?c#d", "/a/b?c")]
    [InlineData("ws://h", "/")]
    [InlineData("ws://h/?", "/?")]
    [InlineData("ws://h/p q?r s", "/p%20q?r%20s")]
    public void Path_and_query_is_the_request_target(string input, string expected)
    {
        Assert.Equal(expected, Parse(input).PathAndQuery);
    }

    [Theory]
    [InlineData("http://example.com/chat?x#f", "ws", "ws://example.com/chat?x#f")]
    [InlineData("https://example.com/", "wss", "wss://example.com/")]
    [InlineData("http://example.com:8080/", "ws", "ws://example.com:8080/")]
    [InlineData("https://example.com:80/", "ws", "ws://example.com/")]
    [InlineData("http://example.com:443/", "wss", "wss://example.com/")]
    [InlineData("http://u:p@[::1]/", "ws", "ws://u:p@[::1]/")]
    public void With_scheme_replaces_the_scheme_and_drops_a_default_port(string input, string scheme, string expectedHref)
    {
        WhatwgUrl url = Parse(input).WithScheme(scheme);
        Assert.Equal(scheme, url.Scheme);
        Assert.Equal(expectedHref, url.Href);
        Assert.True(WhatwgUrl.TryParse(url.Href, null, out WhatwgUrl? reparsed, out _));
        Assert.Equal(url.Href, reparsed.Href);
    }

    [Fact]
    public void With_scheme_rejects_moving_between_special_and_non_special()
    {
        Assert.Throws<ArgumentException>(() => Parse("http://example.com/").WithScheme("foo"));
        Assert.Throws<ArgumentException>(() => Parse("foo://example.com/").WithScheme("ws"));
    }

    [Fact]
    public void Without_fragment_removes_only_the_fragment()
    {
        WhatwgUrl url = Parse("ws://h/p?q#f").WithoutFragment();
        Assert.Equal("ws://h/p?q", url.Href);
        Assert.Null(url.Fragment);
    }

    [Fact]
    public void Lone_surrogates_become_replacement_characters()
    {
        Assert.Equal("ws://h/%EF%BF%BD", Parse("ws://h/\ud800").Href);
        Assert.Equal("ws://h/?%EF%BF%BDx", Parse("ws://h/?\udc00x").Href);
        Assert.Equal("ws://h/#%EF%BF%BD", Parse("ws://h/#\ud83d").Href);
    }

    [Theory]
    [InlineData("ws://example.com/chat?x=1#f")]
    [InlineData("wss://u%20:p@[2001:db8::1]:8443/a%20b/?c%27#d%20")]
    [InlineData("ws://xn--maana-pta.com/")]
    [InlineData("web+demo:/.//not-a-host/")]
    [InlineData("foo:bar%20?q")]
    public void Serialization_is_idempotent(string href)
    {
        Assert.Equal(href, Parse(href).Href);
    }

    [Fact]
    public void Relative_resolution_keeps_the_base_credentials_and_port()
    {
        WhatwgUrl url = Parse("../x?y", "wss://u:p@h:9443/a/b/c");
        Assert.Equal("wss://u:p@h:9443/a/x?y", url.Href);
        Assert.Equal("u", url.Username);
        Assert.Equal("p", url.Password);
        Assert.Equal(9443, url.Port);
        Assert.Equal("/a/x?y", url.PathAndQuery);
    }
}
