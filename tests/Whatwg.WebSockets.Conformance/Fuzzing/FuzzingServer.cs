using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

namespace Whatwg.WebSockets.Conformance.Fuzzing;

/// <summary>
/// A raw-TCP WebSocket server on 127.0.0.1 that plays the Autobahn fuzzing server's part for clients:
/// a client connects to <c>/case/{id}</c>, the server completes the opening handshake and runs that case.
/// </summary>
public sealed class FuzzingServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IReadOnlyDictionary<string, CaseDefinition> _cases;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<CaseResult>> _pending = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;

    /// <param name="cases">The cases clients may connect to.</param>
    /// <param name="messageScale">
    /// The share of each long exchange's messages to send (groups 12 and 13 send 1000 per case): 1 in a full
    /// run, less to keep a CI run short; see <see cref="CaseSession.ScaleCount"/>.
    /// </param>
    public FuzzingServer(IEnumerable<CaseDefinition> cases, double messageScale = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(messageScale);
        MessageScale = messageScale;
        _cases = cases.ToDictionary(c => c.Id);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The share of each long exchange's messages that is sent.</summary>
    public double MessageScale { get; }

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The URL a client connects to for a case.</summary>
    public Uri CaseUrl(string id) => new($"ws://127.0.0.1:{Port}/case/{id}");

    /// <summary>Registers interest in the next session of a case; the task completes with its verdict.</summary>
    public Task<CaseResult> ExpectSessionAsync(string id)
    {
        var completion = new TaskCompletionSource<CaseResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        return completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            socket.NoDelay = true;
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        string? id = null;
        try
        {
            (string target, string key, string extensions) = await ReadRequestAsync(socket);
            id = target.StartsWith("/case/", StringComparison.Ordinal) ? target["/case/".Length..] : null;
            if (id is null || !_cases.TryGetValue(id, out CaseDefinition? definition))
            {
                await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), SocketFlags.None);
                socket.Close();
                return;
            }

            (PerMessageDeflate? compression, NegotiationOutcome? negotiation) = Negotiate(definition, extensions);
            string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            string extensionLine = compression is null ? "" : $"Sec-WebSocket-Extensions: {compression.Agreement.Header}\r\n";
            string response = $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{extensionLine}\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(response), SocketFlags.None);

            CaseResult result = await new CaseSession(socket, definition, compression, negotiation, MessageScale).RunAsync();
            if (_pending.TryRemove(id, out TaskCompletionSource<CaseResult>? completion))
            {
                completion.TrySetResult(result);
            }
        }
        catch (Exception ex)
        {
            if (id is not null && _pending.TryRemove(id, out TaskCompletionSource<CaseResult>? completion))
            {
                completion.TrySetException(ex);
            }

            socket.Dispose();
        }
    }

    /// <summary>
    /// The permessage-deflate answer for a case that speaks it: the agreed state, or null with the reason. Other
    /// cases accept no extension, whatever the client offers.
    /// </summary>
    private static (PerMessageDeflate? Compression, NegotiationOutcome? Negotiation) Negotiate(CaseDefinition definition, string extensions)
    {
        if (definition.DeflateAnswers is not { } answers)
        {
            return (null, null);
        }

        if (LibZ.SelfCheck() is string broken)
        {
            return (null, new NegotiationOutcome(null, "harness error: the fuzzing server's zlib failed its self-check: " + broken, Verdict.Failed));
        }

        NegotiationOutcome outcome = DeflateNegotiation.Negotiate(extensions, answers);
        return (outcome.Agreement is { } agreement ? new PerMessageDeflate(agreement) : null, outcome);
    }

    private static async Task<(string Target, string Key, string Extensions)> ReadRequestAsync(Socket socket)
    {
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await socket.ReceiveAsync(one, SocketFlags.None) == 0 || head.Length > 16384)
            {
                throw new IOException("the client closed or overflowed before finishing its handshake");
            }

            head.Append((char)one[0]);
        }

        string[] lines = head.ToString().Split("\r\n");
        string target = lines[0].Split(' ')[1];
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToList();
        string key = headers
            .Where(p => p[0].Trim().Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase))
            .Select(p => p[1].Trim())
            .FirstOrDefault() ?? "";

        // Several Sec-WebSocket-Extensions lines form one list (RFC 6455 §9.1).
        string extensions = string.Join(", ", headers
            .Where(p => p[0].Trim().Equals("Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase))
            .Select(p => p[1].Trim()));
        return (target, key, extensions);
    }
}
