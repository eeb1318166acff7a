using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Whatwg.WebSockets.Tests.Peers;

/// <summary>
/// A raw TCP server on 127.0.0.1 with a random port whose every accepted connection runs a test-supplied
/// script: it reads the handshake and frames, and writes whatever bytes the test wants (bad frames,
/// bad handshakes, stalls, drops).
/// </summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    /// <summary>The GUID that RFC 6455 appends to Sec-WebSocket-Key.</summary>
    public const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private readonly TcpListener _listener;
    private readonly Func<ScriptedConnection, Task> _handler;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<ScriptedConnection, Task> _connections = new();
    private readonly TaskCompletionSource _firstCompletion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _acceptLoop;
    private Exception? _handlerError;
    private int _connectionCount;

    private ScriptedServer(Func<ScriptedConnection, Task> handler)
    {
        _handler = handler;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        BaseUri = new Uri($"ws://127.0.0.1:{Port}/");
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>ws://127.0.0.1:port/</summary>
    public Uri BaseUri { get; }

    /// <summary>Completes when the handler of the first accepted connection returns; faulted with its exception if it threw.</summary>
    public Task Completion => _firstCompletion.Task;

    /// <summary>The first exception thrown by any connection's handler, if any.</summary>
    public Exception? HandlerError => Volatile.Read(ref _handlerError);

    /// <summary>How many connections have been accepted.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public Uri Url(string pathAndQuery) => new(BaseUri, pathAndQuery);

    /// <summary>Starts listening; <paramref name="handler"/> runs once per accepted connection.</summary>
    public static ScriptedServer Start(Func<ScriptedConnection, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new ScriptedServer(handler);
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
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            socket.NoDelay = true;
            bool first = Interlocked.Increment(ref _connectionCount) == 1;
            var connection = new ScriptedConnection(socket, _stopping.Token);
            _connections[connection] = Task.Run(() => RunConnectionAsync(connection, first));
        }
    }

    private async Task RunConnectionAsync(ScriptedConnection connection, bool first)
    {
        try
        {
            await _handler(connection);
            if (first)
            {
                _firstCompletion.TrySetResult();
            }
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _handlerError, ex, null);
            if (first)
            {
                _firstCompletion.TrySetException(ex);
            }
        }
        finally
        {
            await connection.FinishAsync();
            _connections.TryRemove(connection, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        foreach (ScriptedConnection connection in _connections.Keys)
        {
            connection.Dispose();
        }

        try
        {
            await Task.WhenAll([_acceptLoop, .. _connections.Values]).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // Handler failures are reported through Completion and HandlerError; a stuck handler is abandoned.
        }

        _firstCompletion.TrySetCanceled();
        _stopping.Dispose();
    }

    /// <summary>Base64(SHA-1(key + GUID)), the Sec-WebSocket-Accept value for <paramref name="key"/>.</summary>
    public static string ComputeAccept(string key)
    {
#pragma warning disable CA5350 // RFC 6455 prescribes SHA-1 here; it is not used for security.
        return Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + WebSocketGuid)));
#pragma warning restore CA5350
    }

    /// <summary>The text of a correct 101 response to <paramref name="request"/>, ending with the blank line.</summary>
    public static string AcceptText(HandshakeRequest request, string? protocol = null, string? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = new List<string>
        {
            "Upgrade: websocket",
            "Connection: Upgrade",
            $"Sec-WebSocket-Accept: {ComputeAccept(request.Key)}",
        };
        if (protocol is not null)
        {
            headers.Add($"Sec-WebSocket-Protocol: {protocol}");
        }

        if (extensions is not null)
        {
            headers.Add($"Sec-WebSocket-Extensions: {extensions}");
        }

        return ResponseText("HTTP/1.1 101 Switching Protocols", [.. headers]);
    }

    /// <summary>The bytes of a correct 101 response to <paramref name="request"/>.</summary>
    public static byte[] Accept(HandshakeRequest request, string? protocol = null, string? extensions = null) =>
        Encoding.Latin1.GetBytes(AcceptText(request, protocol, extensions));

    /// <summary>"statusLine CRLF (header CRLF)* CRLF", e.g. ResponseText("HTTP/1.1 403 Forbidden", "Content-Length: 0").</summary>
    public static string ResponseText(string statusLine, params string[] headerLines)
    {
        var text = new StringBuilder(statusLine).Append("\r\n");
        foreach (string line in headerLines)
        {
            text.Append(line).Append("\r\n");
        }

        return text.Append("\r\n").ToString();
    }

    /// <summary>The Latin-1 bytes of <see cref="ResponseText"/>.</summary>
    public static byte[] Response(string statusLine, params string[] headerLines) =>
        Encoding.Latin1.GetBytes(ResponseText(statusLine, headerLines));

    /// <summary>
    /// One frame as a server sends it (unmasked unless <paramref name="maskKey"/> is given), with the
    /// shortest of the 7-bit, 16-bit and 64-bit length encodings. <paramref name="rsv"/> holds RSV1..RSV3 as bits 2..0.
    /// </summary>
    public static byte[] Frame(byte opcode, byte[] payload, bool fin = true, byte rsv = 0, byte[]? maskKey = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        int headerLength = 2 + (payload.Length < 126 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8) + (maskKey is null ? 0 : 4);
        byte[] frame = new byte[headerLength + payload.Length];
        frame[0] = (byte)((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0xF));
        byte maskBit = maskKey is null ? (byte)0 : (byte)0x80;
        int offset;
        if (payload.Length < 126)
        {
            frame[1] = (byte)(maskBit | payload.Length);
            offset = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
            offset = 4;
        }
        else
        {
            frame[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
            offset = 10;
        }

        if (maskKey is not null)
        {
            if (maskKey.Length != 4)
            {
                throw new ArgumentException("A mask key is 4 bytes.", nameof(maskKey));
            }

            maskKey.CopyTo(frame, offset);
            offset += 4;
        }

        payload.CopyTo(frame, offset);
        if (maskKey is not null)
        {
            for (int i = 0; i < payload.Length; i++)
            {
                frame[offset + i] ^= maskKey[i & 3];
            }
        }

        return frame;
    }

    /// <summary>A frame whose payload is the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static byte[] Frame(byte opcode, string text, bool fin = true, byte rsv = 0) =>
        Frame(opcode, Encoding.UTF8.GetBytes(text), fin, rsv);

    /// <summary>A close frame with a 2-byte code and a UTF-8 reason.</summary>
    public static byte[] CloseFrame(ushort code, string reason = "")
    {
        byte[] reasonBytes = Encoding.UTF8.GetBytes(reason);
        byte[] payload = new byte[2 + reasonBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reasonBytes.CopyTo(payload, 2);
        return Frame(0x8, payload);
    }

    /// <summary>A close frame with an empty payload.</summary>
    public static byte[] CloseFrame() => Frame(0x8, Array.Empty<byte>());
}

/// <summary>One accepted TCP connection of a <see cref="ScriptedServer"/>.</summary>
public sealed class ScriptedConnection : IDisposable
{
    private readonly CancellationToken _stopping;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _sentFin;
    private bool _disposed;

    internal ScriptedConnection(Socket socket, CancellationToken stopping)
    {
        Socket = socket;
        _stopping = stopping;
    }

    /// <summary>The accepted socket, for anything the helpers do not cover.</summary>
    public Socket Socket { get; }

    /// <summary>How long each read helper waits before throwing <see cref="TimeoutException"/>; 10 s by default.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Cancelled when the server is disposed.</summary>
    public CancellationToken Stopping => _stopping;

    /// <summary>Reads the request line and header lines up to the blank line (at most <paramref name="maxBytes"/> bytes).</summary>
    public async Task<HandshakeRequest> ReadHandshakeAsync(int maxBytes = 16 * 1024)
    {
        var raw = new List<byte>();
        while (true)
        {
            raw.Add(await ReadByteAsync("the handshake request"));
            int n = raw.Count;
            if (n >= 4 && raw[n - 4] == '\r' && raw[n - 3] == '\n' && raw[n - 2] == '\r' && raw[n - 1] == '\n')
            {
                return HandshakeRequest.Parse(Encoding.Latin1.GetString([.. raw]));
            }

            if (n >= maxBytes)
            {
                throw new InvalidDataException($"The handshake request exceeded {maxBytes} bytes.");
            }
        }
    }

    /// <summary>Reads one frame; the payload is unmasked when the frame was masked.</summary>
    public async Task<Frame> ReadFrameAsync(long maxPayload = 128 * 1024 * 1024)
    {
        const string What = "a frame";
        byte b0 = await ReadByteAsync(What);
        byte b1 = await ReadByteAsync(What);
        long length = b1 & 0x7F;
        if (length == 126)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(await ReadExactlyAsync(2));
        }
        else if (length == 127)
        {
            ulong length64 = BinaryPrimitives.ReadUInt64BigEndian(await ReadExactlyAsync(8));
            length = length64 > long.MaxValue ? long.MaxValue : (long)length64;
        }

        if (length > maxPayload)
        {
            throw new InvalidDataException($"Frame payload of {length} bytes exceeds {maxPayload}.");
        }

        bool masked = (b1 & 0x80) != 0;
        byte[]? maskKey = masked ? await ReadExactlyAsync(4) : null;
        byte[] payload = await ReadExactlyAsync((int)length);
        if (maskKey is not null)
        {
            for (int i = 0; i < payload.Length; i++)
            {
                payload[i] ^= maskKey[i & 3];
            }
        }

        return new Frame((byte)(b0 & 0xF), (b0 & 0x80) != 0, (byte)((b0 >> 4) & 0x7), payload, masked, maskKey);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        byte[] result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            if (_start == _end)
            {
                await FillAsync($"{count} bytes");
            }

            int n = Math.Min(count - filled, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(result.AsSpan(filled));
            _start += n;
            filled += n;
        }

        return result;
    }

    /// <summary>
    /// Reads and discards whatever arrives until the client closes the TCP connection (end of stream or reset):
    /// true; false if that does not happen within <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        _start = _end = 0;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        cts.CancelAfter(timeout);
        try
        {
            while (await Socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> data)
    {
        int sent = 0;
        while (sent < data.Length)
        {
            sent += await Socket.SendAsync(data[sent..], SocketFlags.None, _stopping);
        }
    }

    public Task WriteAsync(byte[] data) => WriteAsync(data.AsMemory());

    /// <summary>Writes <paramref name="text"/> one byte per char (Latin-1), so "\u00ff" is the byte 0xFF.</summary>
    public Task WriteAsync(string text) => WriteAsync(Encoding.Latin1.GetBytes(text));

    /// <summary>Writes <paramref name="data"/> in pieces of <paramref name="chunkSize"/> bytes with <paramref name="delay"/> between them.</summary>
    public async Task WriteSlowlyAsync(byte[] data, int chunkSize, TimeSpan delay)
    {
        for (int offset = 0; offset < data.Length; offset += chunkSize)
        {
            if (offset > 0)
            {
                await Task.Delay(delay, _stopping);
            }

            await WriteAsync(data.AsMemory(offset, Math.Min(chunkSize, data.Length - offset)));
        }
    }

    /// <summary>Sends a TCP FIN (no more data from the server); reading stays possible.</summary>
    public void Close()
    {
        if (!_sentFin && !_disposed)
        {
            _sentFin = true;
            try
            {
                Socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The client already went away.
            }
        }
    }

    /// <summary>Resets the connection (TCP RST, linger 0).</summary>
    public void Abort()
    {
        if (!_disposed)
        {
            try
            {
                Socket.LingerState = new LingerOption(true, 0);
            }
            catch (SocketException)
            {
                // Already reset by the peer.
            }

            Dispose();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        Socket.Dispose();
    }

    /// <summary>After the handler: FIN, then drain briefly so unread client bytes do not turn the close into a reset.</summary>
    internal async Task FinishAsync()
    {
        if (_disposed)
        {
            return;
        }

        Close();
        try
        {
            await WaitForCloseAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception)
        {
            // Best effort only.
        }

        Dispose();
    }

    private async Task<byte> ReadByteAsync(string what)
    {
        if (_start == _end)
        {
            await FillAsync(what);
        }

        return _buffer[_start++];
    }

    private async Task FillAsync(string what)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        cts.CancelAfter(ReadTimeout);
        int n;
        try
        {
            n = await Socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, cts.Token);
        }
        catch (OperationCanceledException ex) when (!_stopping.IsCancellationRequested)
        {
            throw new TimeoutException($"Timed out after {ReadTimeout.TotalSeconds} s waiting for {what} from the client.", ex);
        }

        if (n == 0)
        {
            throw new EndOfStreamException($"The client closed the connection while the server waited for {what}.");
        }

        _start = 0;
        _end = n;
    }
}

/// <summary>A parsed HTTP request head as the client sent it.</summary>
public sealed class HandshakeRequest
{
    private HandshakeRequest(string raw, string method, string target, string version,
        IReadOnlyList<KeyValuePair<string, string>> headerList, IReadOnlyDictionary<string, string> headers)
    {
        Raw = raw;
        Method = method;
        Target = target;
        HttpVersion = version;
        HeaderList = headerList;
        Headers = headers;
    }

    /// <summary>The request head exactly as received, including the final blank line.</summary>
    public string Raw { get; }

    public string Method { get; }

    /// <summary>The request-target, e.g. "/chat?x=1".</summary>
    public string Target { get; }

    /// <summary>e.g. "HTTP/1.1".</summary>
    public string HttpVersion { get; }

    /// <summary>Headers in order received, names and values as sent (values trimmed).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> HeaderList { get; }

    /// <summary>Headers by case-insensitive name; repeated headers joined with ", ".</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The header's value, or null.</summary>
    public string? this[string name] => Headers.TryGetValue(name, out string? value) ? value : null;

    /// <summary>Sec-WebSocket-Key ("" when absent).</summary>
    public string Key => this["Sec-WebSocket-Key"] ?? "";

    /// <summary>The offered subprotocols, in order.</summary>
    public IReadOnlyList<string> Protocols => SplitList(this["Sec-WebSocket-Protocol"]);

    /// <summary>The offered extensions, one entry per comma-separated offer.</summary>
    public IReadOnlyList<string> Extensions => SplitList(this["Sec-WebSocket-Extensions"]);

    public override string ToString() => Raw;

    internal static HandshakeRequest Parse(string raw)
    {
        string[] lines = raw.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3)
        {
            throw new InvalidDataException($"Malformed request line: {lines[0]}");
        }

        var list = new List<KeyValuePair<string, string>>();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new InvalidDataException($"Malformed header line: {line}");
            }

            string name = line[..colon];
            string value = line[(colon + 1)..].Trim(' ', '\t');
            list.Add(new(name, value));
            headers[name] = headers.TryGetValue(name, out string? existing) ? $"{existing}, {value}" : value;
        }

        return new HandshakeRequest(raw, requestLine[0], requestLine[1], requestLine[2], list, headers);
    }

    private static string[] SplitList(string? value) =>
        value is null ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>One frame read from the client by <see cref="ScriptedConnection.ReadFrameAsync"/>.</summary>
public sealed class Frame
{
    public Frame(byte opcode, bool fin, byte rsv, byte[] payload, bool wasMasked, byte[]? maskKey)
    {
        Opcode = opcode;
        Fin = fin;
        Rsv = rsv;
        Payload = payload;
        WasMasked = wasMasked;
        MaskKey = maskKey;
    }

    public byte Opcode { get; }

    public bool Fin { get; }

    /// <summary>RSV1..RSV3 as bits 2..0.</summary>
    public byte Rsv { get; }

    /// <summary>The payload, already unmasked.</summary>
    public byte[] Payload { get; }

    public bool WasMasked { get; }

    public byte[]? MaskKey { get; }

    /// <summary>The payload decoded as UTF-8.</summary>
    public string Text => Encoding.UTF8.GetString(Payload);

    public bool IsClose => Opcode == 0x8;

    /// <summary>The status code of a close frame, or null when the payload is shorter than 2 bytes.</summary>
    public ushort? CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    /// <summary>The reason of a close frame (UTF-8 after the code), or "".</summary>
    public string CloseReason => Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : "";

    public override string ToString() =>
        $"opcode=0x{Opcode:X} fin={Fin} rsv={Rsv} masked={WasMasked} length={Payload.Length}";
}
