using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>The connect-mode options, each checked from the server's side where the server can see it.</summary>
public class WscOptionTests
{
    /// <summary>Accepts (with compression and the first offered subprotocol) and sends one text message describing the request.</summary>
    private static Task<KestrelServer> StartReportingServerAsync(params string[] headerNames) => KestrelServer.StartAsync(async context =>
    {
        IList<string> offered = context.WebSockets.WebSocketRequestedProtocols;
        IEnumerable<string> seen = headerNames.Select(name => $"{name}={context.Request.Headers[name]}");
        string report = string.Join(";", seen.Append("protocols=" + string.Join(",", offered)));
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(
            new WebSocketAcceptContext { SubProtocol = offered.FirstOrDefault(), DangerousEnableCompression = true });
        await socket.SendAsync(Encoding.UTF8.GetBytes(report), WebSocketMessageType.Text, endOfMessage: true, default);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
    });

    [Fact]
    public async Task Execute_sends_each_message_and_count_closes_after_the_replies()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();

        WscResult result = await WscProcess.RunAsync([server.Url, "-x", "one", "--execute", "two words", "-n", "2"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["one", "two words"], result.Lines);
        Assert.Contains("closed 1000", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_does_not_read_stdin()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();

        WscResult result = await WscProcess.RunAsync([server.Url, "-x", "only this", "-w", "1"], ["not sent"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["only this"], result.Lines);
    }

    [Fact]
    public async Task Count_prints_exactly_N_messages_when_more_arrive()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            for (int i = 1; i <= 5; i++)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes($"message {i}"), WebSocketMessageType.Text, endOfMessage: true, default);
            }

            var buffer = new byte[1024];
            while ((await socket.ReceiveAsync(buffer, default)).MessageType != WebSocketMessageType.Close)
            {
            }

            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
        });

        WscResult result = await WscProcess.RunAsync([server.Url, "-n", "2"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["message 1", "message 2"], result.Lines);
    }

    [Fact]
    public async Task Wait_closes_cleanly_after_the_given_time_even_with_stdin_open()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        var clock = Stopwatch.StartNew();

        WscResult result = await WscProcess.RunAsync([server.Url, "-w", "1.5"], ["sent at once"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.5), clock.Elapsed.ToString());
        Assert.Equal(["sent at once"], result.Lines);
        Assert.Contains("closed 1000", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Origin_auth_headers_and_subprotocols_reach_the_server()
    {
        await using KestrelServer server = await StartReportingServerAsync("Origin", "Authorization", "X-Test");

        WscResult result = await WscProcess.RunAsync(
            [server.Url, "--origin", "https://app.example", "--auth", "alice:s3cret:x", "-H", "X-Test: yes", "-s", "v2.chat", "-s", "v1.chat"],
            closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        string basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret:x"));
        Assert.Equal([$"Origin=https://app.example;Authorization=Basic {basic};X-Test=yes;protocols=v2.chat,v1.chat"], result.Lines);
    }

    [Fact]
    public async Task Verbose_prints_the_request_and_response_headers_and_the_negotiated_protocol_and_extensions()
    {
        await using KestrelServer server = await StartReportingServerAsync("X-Test");

        WscResult result = await WscProcess.RunAsync([server.Url, "-v", "-s", "chat", "-H", "X-Test: 1", "--auth", "u:secret"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string expected in new[]
        {
            "wsc: > GET / HTTP/1.1", "wsc: > Sec-WebSocket-Version: 13", "wsc: > Sec-WebSocket-Protocol: chat",
            "wsc: > Sec-WebSocket-Extensions: permessage-deflate", "wsc: > X-Test: 1", "wsc: > Authorization: Basic (hidden)",
            "wsc: < HTTP/1.1 101 Switching Protocols", "wsc: < Sec-WebSocket-Protocol: chat", "wsc: < subprotocol: chat",
            "wsc: < extensions: permessage-deflate",
        })
        {
            Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        }

        // The key actually sent, and the server's accept computed from it.
        string key = Regex.Match(result.Stderr, "wsc: > Sec-WebSocket-Key: (\\S+)").Groups[1].Value;
        string accept = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        Assert.Contains("wsc: < Sec-WebSocket-Accept: " + accept, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String("u:secret"u8), result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_in_the_url_is_never_printed()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        string url = server.Url.Replace("ws://", "ws://alice:pa55word@", StringComparison.Ordinal);

        WscResult connect = await WscProcess.RunAsync([url, "-v", "-x", "hi", "-n", "1"], closeStdin: false);
        WscResult bench = await WscProcess.RunAsync(["bench", url, "-c", "1", "-d", "0.5", "--warmup", "0"]);

        Assert.True(connect.ExitCode == 0, connect.ToString());
        Assert.True(bench.ExitCode == 0, bench.ToString());
        Assert.Contains("wsc: connected to ws://127.0.0.1:", connect.Stderr, StringComparison.Ordinal);
        foreach (WscResult result in new[] { connect, bench })
        {
            Assert.DoesNotContain("pa55word", result.Stdout + result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String("alice:pa55word"u8), result.Stdout + result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Verbose_shows_the_response_of_a_refused_handshake()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 403;
            context.Response.Headers["X-Why"] = "no ticket";
            await context.Response.WriteAsync("go away");
        });

        WscResult result = await WscProcess.RunAsync([server.Url, "-v"], closeStdin: false);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("wsc: < HTTP/1.1 403 Forbidden", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("wsc: < X-Why: no ticket", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("server answered 403", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_compression_offers_no_extension()
    {
        await using KestrelServer server = await StartReportingServerAsync("Sec-WebSocket-Extensions");

        WscResult with = await WscProcess.RunAsync([server.Url, "-v"], closeStdin: false);
        WscResult without = await WscProcess.RunAsync([server.Url, "-v", "--no-compression"], closeStdin: false);

        Assert.True(with.ExitCode == 0, with.ToString());
        Assert.StartsWith("Sec-WebSocket-Extensions=permessage-deflate", with.Lines[0], StringComparison.Ordinal);
        Assert.True(without.ExitCode == 0, without.ToString());
        Assert.Equal(["Sec-WebSocket-Extensions=;protocols="], without.Lines);
        Assert.Contains("wsc: < extensions: (none)", without.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "[binary 6 bytes] 0001ff410a0a")]
    [InlineData(new[] { "--base64" }, "[binary 6 bytes] AAH/QQoK")]
    public async Task Binary_sends_stdin_bytes_as_a_binary_message(string[] extra, string expected)
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();

        WscResult result = await WscProcess.RunAsync([server.Url, "--binary", .. extra], stdinBytes: [0x00, 0x01, 0xff, 0x41, 0x0a, 0x0a]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([expected], result.Lines);
    }

    [Fact]
    public async Task Json_pretty_prints_json_text_and_leaves_other_text_alone()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();

        WscResult result = await WscProcess.RunAsync([server.Url, "--json"], ["{\"op\":\"hi\",\"n\":[1]}", "not json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["{", "  \"op\": \"hi\",", "  \"n\": [", "    1", "  ]", "}", "not json"], result.Lines);
    }

    /// <summary>A server that sends binary messages of zeros of the given sizes, then reads until the client closes.</summary>
    private static Task<KestrelServer> StartBinarySenderAsync(params int[] sizes) => KestrelServer.StartAsync(async context =>
    {
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        foreach (int size in sizes)
        {
            await socket.SendAsync(new byte[size], WebSocketMessageType.Binary, endOfMessage: true, default);
        }

        var buffer = new byte[1024];
        try
        {
            while ((await socket.ReceiveAsync(buffer, default)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (WebSocketException)
        {
        }
    });

    [Fact]
    public async Task Max_message_size_fails_the_connection_with_exit_3()
    {
        await using KestrelServer server = await StartBinarySenderAsync(100);

        WscResult small = await WscProcess.RunAsync([server.Url, "--max-message-size", "10"], closeStdin: false);

        Assert.True(small.ExitCode == 3, small.ToString());
        Assert.Contains("protocol error", small.Stderr, StringComparison.Ordinal);
        Assert.Contains("1009", small.Stderr, StringComparison.Ordinal);
        Assert.Empty(small.StdoutBytes);
    }

    [Fact]
    public async Task Max_message_size_accepts_a_message_of_exactly_that_size_and_fails_on_one_byte_more()
    {
        await using KestrelServer server = await StartBinarySenderAsync(100, 101);

        WscResult result = await WscProcess.RunAsync([server.Url, "--max-message-size", "100"], closeStdin: false);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Equal(["[binary 100 bytes] " + new string('0', 200)], result.Lines);
        Assert.Contains("1009", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Close_timeout_drops_a_server_that_never_answers_the_close_with_exit_4()
    {
        await using var server = RawWebSocketServer.Start(async (stream, socket) =>
        {
            await stream.WriteAsync(RawWebSocketServer.Frame(0x81, "hi"u8.ToArray()));
            var sink = new byte[1024];
            while (await stream.ReadAsync(sink) > 0)
            {
                // Read and ignore everything, the close frame included.
            }
        });
        var clock = Stopwatch.StartNew();

        WscResult result = await WscProcess.RunAsync([server.Url, "-n", "1", "--close-timeout", "1"], closeStdin: false);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Equal(["hi"], result.Lines);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(9), clock.Elapsed.ToString());
        Assert.Contains("closed abnormally", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ping_interval_sends_a_keep_alive_ping_and_show_ping_describes_it()
    {
        await using var server = RawWebSocketServer.Start(async (stream, socket) =>
        {
            // The first frame from an idle client is its keep-alive ping: masked, opcode 0x9.
            var first = new byte[2];
            await stream.ReadExactlyAsync(first);
            string seen = first[0] == 0x89 ? "got a ping" : $"got first byte {first[0]:x2}";
            await stream.WriteAsync(RawWebSocketServer.Frame(0x81, Encoding.ASCII.GetBytes(seen)));
            await stream.WriteAsync(RawWebSocketServer.Frame(0x88, [0x03, 0xe8]));
            var sink = new byte[1024];
            while (await stream.ReadAsync(sink) > 0)
            {
            }
        });

        WscResult result = await WscProcess.RunAsync([server.Url, "--ping-interval", "0.5", "--show-ping"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["got a ping"], result.Lines);
        Assert.Contains("keep-alive: a ping goes out after 0.5 s", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ping_timeout_ends_a_connection_to_a_server_that_stopped_answering()
    {
        await using var server = RawWebSocketServer.Start(async (stream, socket) =>
        {
            // Reads everything (pings included) and answers nothing: a stalled peer.
            var sink = new byte[1024];
            while (await stream.ReadAsync(sink) > 0)
            {
            }
        });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        WscResult result = await WscProcess.RunAsync([server.Url, "--ping-interval", "0.3", "--ping-timeout", "0.7"], closeStdin: false);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("no pong from the server within 0.7 s", result.Stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}"); // not the 20 s default
    }

    [Fact]
    public async Task Connect_timeout_bounds_a_server_that_accepts_tcp_but_never_answers()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start(); // the kernel completes the TCP handshake; nobody ever reads or answers
        string url = $"ws://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}/";

        var clock = Stopwatch.StartNew();
        WscResult result = await WscProcess.RunAsync([url, "--connect-timeout", "0.8"], closeStdin: false);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("not established within 0.8 s", result.Stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}"); // not the 30 s default
    }

    [Fact]
    public async Task Proxy_carries_the_connection()
    {
        await using KestrelServer server = await KestrelServer.StartEchoAsync();
        await using var proxy = new HttpProxy();

        WscResult result = await WscProcess.RunAsync([server.Url, "--proxy", proxy.Url], ["through the proxy"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["through the proxy"], result.Lines);
        Assert.Contains(proxy.RequestLines, line => line.StartsWith($"GET http://{new Uri(server.Url).Authority}/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Proxy_tunnels_wss_with_connect()
    {
        using var certificates = new TestCertificates();
        await using KestrelServer server = await KestrelServer.StartAsync(EchoOnce, certificates.SignedServer, requireClientCertificate: false);
        await using var proxy = new HttpProxy();

        WscResult result = await WscProcess.RunAsync([server.Url, "--proxy", proxy.Url, "--ca", certificates.CaPath], ["tunnelled"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["tunnelled"], result.Lines);
        Assert.Contains(proxy.RequestLines, line => line.StartsWith("CONNECT " + new Uri(server.Url).Authority, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tls_self_signed_fails_with_exit_2_and_insecure_accepts_it_with_a_warning()
    {
        using var certificates = new TestCertificates();
        await using KestrelServer server = await KestrelServer.StartAsync(EchoOnce, certificates.SelfSignedServer, requireClientCertificate: false);

        WscResult strict = await WscProcess.RunAsync([server.Url], ["secret"]);
        WscResult insecure = await WscProcess.RunAsync([server.Url, "--insecure"], ["secret"]);

        Assert.True(strict.ExitCode == 2, strict.ToString());
        Assert.Contains("--insecure", strict.Stderr, StringComparison.Ordinal);
        Assert.True(insecure.ExitCode == 0, insecure.ToString());
        Assert.Equal(["secret"], insecure.Lines);
        Assert.Contains("warning", insecure.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_ca_trusts_a_private_ca()
    {
        using var certificates = new TestCertificates();
        await using KestrelServer server = await KestrelServer.StartAsync(EchoOnce, certificates.SignedServer, requireClientCertificate: false);

        WscResult without = await WscProcess.RunAsync([server.Url], ["x"]);
        WscResult with = await WscProcess.RunAsync([server.Url, "--ca", certificates.CaPath], ["trusted"]);

        Assert.True(without.ExitCode == 2, without.ToString());
        Assert.True(with.ExitCode == 0, with.ToString());
        Assert.Equal(["trusted"], with.Lines);
        Assert.DoesNotContain("warning", with.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_https_url_means_wss_and_is_checked_like_one()
    {
        using var certificates = new TestCertificates();
        await using KestrelServer server = await KestrelServer.StartAsync(EchoOnce, certificates.SignedServer, requireClientCertificate: false);
        string url = "https" + server.Url["wss".Length..];

        WscResult untrusted = await WscProcess.RunAsync([url], ["x"]);
        WscResult trusted = await WscProcess.RunAsync([url, "--ca", certificates.CaPath], ["over https://"]);

        Assert.True(untrusted.ExitCode == 2, untrusted.ToString());
        Assert.Contains("--ca FILE", untrusted.Stderr, StringComparison.Ordinal); // a TLS failure: the certificate was checked
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.Equal(["over https://"], trusted.Lines);
        Assert.Contains("wss://", trusted.Stderr, StringComparison.Ordinal); // the URL as connected
    }

    [Fact]
    public async Task Tls_cert_and_key_present_a_client_certificate()
    {
        using var certificates = new TestCertificates();
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            string subject = context.Connection.ClientCertificate?.Subject ?? "no certificate";
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            await socket.SendAsync(Encoding.UTF8.GetBytes(subject), WebSocketMessageType.Text, endOfMessage: true, default);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
        }, certificates.SignedServer, requireClientCertificate: true);

        WscResult result = await WscProcess.RunAsync(
            [server.Url, "--ca", certificates.CaPath, "--cert", certificates.ClientCertPath, "--key", certificates.ClientKeyPath], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["CN=wsc test client"], result.Lines);
    }

    [Theory]
    [InlineData("--auth", "no-colon")]
    [InlineData("--key", "/nonexistent.key")]
    [InlineData("--cert", "/nonexistent.pem")]
    [InlineData("--ca", "/nonexistent.pem")]
    [InlineData("--proxy", "not a url")]
    [InlineData("-n", "0")]
    [InlineData("-w", "0")]
    [InlineData("--ping-interval", "-1")]
    [InlineData("--ping-timeout", "0")]
    [InlineData("--max-message-size", "0")]
    public async Task Bad_option_values_exit_1(string option, string value)
    {
        WscResult result = await WscProcess.RunAsync(["ws://127.0.0.1:9/", option, value]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith("wsc: ", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.StdoutBytes);
    }

    [Fact]
    public async Task Handshake_401_exits_2_names_the_status_and_suggests_auth()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        });

        WscResult result = await WscProcess.RunAsync([server.Url]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("wsc: handshake failed: server answered 401 Unauthorized", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--auth", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verbose_hides_a_token_given_in_an_authorization_header()
    {
        await using KestrelServer server = await StartReportingServerAsync("Authorization");

        WscResult result = await WscProcess.RunAsync([server.Url, "-v", "-H", "Authorization: Bearer T0KEN-S3CRET"], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["Authorization=Bearer T0KEN-S3CRET;protocols="], result.Lines); // sent as given
        Assert.Contains("wsc: > Authorization: Bearer (hidden)", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("T0KEN-S3CRET", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_cert_with_its_key_in_the_same_file_and_a_der_ca()
    {
        using var certificates = new TestCertificates();
        await using KestrelServer server = await KestrelServer.StartAsync(async context =>
        {
            string subject = context.Connection.ClientCertificate?.Subject ?? "no certificate";
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            await socket.SendAsync(Encoding.UTF8.GetBytes(subject), WebSocketMessageType.Text, endOfMessage: true, default);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
        }, certificates.SignedServer, requireClientCertificate: true);
        string directory = Path.GetDirectoryName(certificates.CaPath)!;
        string combined = Path.Combine(directory, "client-and-key.pem");
        await File.WriteAllTextAsync(combined, await File.ReadAllTextAsync(certificates.ClientCertPath) + "\n" + await File.ReadAllTextAsync(certificates.ClientKeyPath));
        string der = Path.Combine(directory, "ca.der");
        using (var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(certificates.CaPath)))
        {
            await File.WriteAllBytesAsync(der, ca.RawData);
        }

        WscResult result = await WscProcess.RunAsync([server.Url, "--ca", der, "--cert", combined], closeStdin: false);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["CN=wsc test client"], result.Lines);
    }

    private static async Task EchoOnce(HttpContext context)
    {
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        while (true)
        {
            ValueWebSocketReceiveResult received = await socket.ReceiveAsync(buffer.AsMemory(), default);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, default);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, default);
        }
    }
}
