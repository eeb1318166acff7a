using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

namespace Whatwg.WebSockets.Conformance.Fuzzing;

/// <summary>
/// The server side of one case: it sends what the case script asks for (well-formed or deliberately broken
/// frames, whole or chopped into small TCP writes), observes what the client sends back, answers the
/// closing handshake, and judges the outcome the way the Autobahn|Testsuite fuzzing server does.
/// </summary>
public sealed class CaseSession
{
    /// <summary>The fewest messages a scaled-down exchange sends: enough for context takeover to matter.</summary>
    public const int MinScaledCount = 3;

    private readonly Socket _socket;
    private readonly CaseDefinition _case;
    private readonly List<Observed> _received = [];
    private readonly List<(Verdict Verdict, Observed[] Events)> _expected = [];
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _killed = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PerMessageDeflate? _compression;
    private readonly double _messageScale;
    private ExpectedClose _expectedClose = ExpectedClose.Normal;
    private bool _closeSentByServer;
    private bool _closeReceived;
    private bool _closedByServer;
    private int? _remoteCloseCode;
    private string? _clientViolation;
    private volatile bool _tcpClosed;
    private volatile bool _killedByServer;
    private volatile Channel<ObservedMessage>? _inbox;
    private (Verdict Verdict, string Reason)? _scriptVerdict;

    internal CaseSession(Socket socket, CaseDefinition definition, PerMessageDeflate? compression = null, NegotiationOutcome? negotiation = null, double messageScale = 1.0)
    {
        _socket = socket;
        _case = definition;
        _compression = compression;
        Negotiation = negotiation;
        _messageScale = messageScale;
    }

    /// <summary>The permessage-deflate state when the handshake agreed on it (only cases that answer the offer do).</summary>
    public PerMessageDeflate? Compression => _compression;

    /// <summary>For a case that answers permessage-deflate offers: what came of them (null for other cases).</summary>
    public NegotiationOutcome? Negotiation { get; }

    /// <summary>
    /// The number of messages an exchange of <paramref name="count"/> messages sends in this run: all of them in a
    /// full run, fewer (at least <see cref="MinScaledCount"/>) when the server was started with a smaller scale.
    /// </summary>
    public int ScaleCount(int count) =>
        _messageScale >= 1 ? count : Math.Min(count, Math.Max(MinScaledCount, (int)Math.Ceiling(count * _messageScale)));

    /// <summary>
    /// From now on the client's messages go to <see cref="ReceiveMessageAsync"/> instead of the recorded events,
    /// for cases that check long exchanges themselves. Call it before the client can send anything.
    /// </summary>
    public void CaptureMessages() => _inbox ??= Channel.CreateUnbounded<ObservedMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>
    /// The client's next message (inflated when it was compressed), or null when none came within
    /// <paramref name="timeout"/>, the connection ended, or the client broke the protocol.
    /// </summary>
    public async Task<ObservedMessage?> ReceiveMessageAsync(TimeSpan timeout)
    {
        Channel<ObservedMessage> inbox = _inbox ?? throw new InvalidOperationException("Call CaptureMessages first.");
        using var expiry = new CancellationTokenSource(timeout);
        try
        {
            return await inbox.Reader.ReadAsync(expiry.Token);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The client's behaviour failed the case, for a reason only the script can see (e.g. a wrong echo).</summary>
    public void Fail(string reason) => _scriptVerdict = (Verdict.Failed, reason);

    /// <summary>The case could only report (e.g. the client does not implement what it tests).</summary>
    public void Inform(string reason) => _scriptVerdict ??= (Verdict.Informational, reason);

    /// <summary>
    /// Sends a message compressed with the agreed permessage-deflate parameters: RSV1 on the first frame, the
    /// compressed payload cut into frames of <paramref name="fragmentSize"/> bytes when given.
    /// </summary>
    public async Task SendCompressedMessageAsync(ReadOnlyMemory<byte> message, bool binary, int? fragmentSize = null)
    {
        PerMessageDeflate compression = _compression ?? throw new InvalidOperationException("No permessage-deflate was agreed.");
        byte[] payload = compression.Compress(message.Span);
        int opcode = binary ? 2 : 1;
        const int Rsv1 = 4;
        if (fragmentSize is not int size || size <= 0 || payload.Length <= size)
        {
            await SendRawAsync(EncodeFrame(opcode, payload, fin: true, rsv: Rsv1), null);
            return;
        }

        for (int offset = 0; offset < payload.Length; offset += size)
        {
            int length = Math.Min(size, payload.Length - offset);
            bool first = offset == 0;
            await SendRawAsync(EncodeFrame(first ? opcode : 0, payload.AsSpan(offset, length), fin: offset + length == payload.Length, rsv: first ? Rsv1 : 0), null);
        }
    }

    /// <summary>True while neither side has sent a Close frame and TCP is up (the server's OPEN state).</summary>
    public bool IsOpen => !_tcpClosed && !_closeReceived && !_closeSentByServer;

    /// <summary>Declares an outcome: if what the client sends equals <paramref name="events"/>, the behaviour verdict is <paramref name="verdict"/>.</summary>
    public void Expect(Verdict verdict, params Observed[] events)
    {
        lock (_received)
        {
            _expected.Add((verdict, events));
        }
    }

    /// <summary>Declares how the connection should end.</summary>
    public void ExpectClose(ExpectedClose expected) => _expectedClose = expected;

    /// <summary>Sends one frame (unmasked, as a server does), optionally in TCP writes of <paramref name="chop"/> bytes.</summary>
    public Task SendFrameAsync(int opcode, ReadOnlyMemory<byte> payload, bool fin = true, int rsv = 0, int? chop = null) =>
        SendRawAsync(EncodeFrame(opcode, payload.Span, fin, rsv), chop);

    /// <summary>Sends bytes as they are (for hand-made frames).</summary>
    public Task SendRawAsync(byte[] bytes) => SendRawAsync(bytes, null);

    /// <summary>Sends a whole message: one frame, or fragments of <paramref name="fragmentSize"/> bytes.</summary>
    public async Task SendMessageAsync(ReadOnlyMemory<byte> payload, bool binary, int? fragmentSize = null, int? chop = null)
    {
        int opcode = binary ? 2 : 1;
        if (fragmentSize is not int size || size <= 0 || payload.Length <= size)
        {
            await SendFrameAsync(opcode, payload, fin: true, chop: chop);
            return;
        }

        for (int offset = 0; offset < payload.Length; offset += size)
        {
            int length = Math.Min(size, payload.Length - offset);
            bool last = offset + length == payload.Length;
            await SendFrameAsync(offset == 0 ? opcode : 0, payload.Slice(offset, length), fin: last, chop: chop);
        }
    }

    /// <summary>Sends a text message.</summary>
    public Task SendTextAsync(string text, int? fragmentSize = null, int? chop = null) =>
        SendMessageAsync(Encoding.UTF8.GetBytes(text), binary: false, fragmentSize, chop);

    /// <summary>Sends a Ping.</summary>
    public Task SendPingAsync(ReadOnlyMemory<byte> payload, int? chop = null) => SendFrameAsync(9, payload, chop: chop);

    /// <summary>Sends a Pong.</summary>
    public Task SendPongAsync(ReadOnlyMemory<byte> payload) => SendFrameAsync(10, payload);

    /// <summary>Starts the closing handshake from the server with a code (none when null) and a raw reason.</summary>
    public Task SendCloseAsync(int? code, ReadOnlyMemory<byte> reason = default)
    {
        byte[] body = code is int c ? [(byte)(c >> 8), (byte)c, .. reason.Span] : [.. reason.Span];
        return SendCloseBodyAsync(body);
    }

    /// <summary>Sends a Close frame with an arbitrary body (e.g. one byte, to break the rules).</summary>
    public async Task SendCloseBodyAsync(byte[] body)
    {
        MarkCloseSent();
        await SendRawAsync(EncodeFrame(8, body, true, 0), null);
    }

    /// <summary>
    /// Waits <paramref name="delay"/>; when the connection is still open afterwards, records
    /// <c>timeout(tag)</c> and returns true (the script goes on); otherwise returns false.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan delay, string tag)
    {
        try
        {
            await Task.Delay(delay, _killed.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        if (!IsOpen)
        {
            return false;
        }

        Record(Observed.Timeout(tag));
        return true;
    }

    /// <summary>Drops the TCP connection after <paramref name="delay"/> unless it ended before.</summary>
    public void KillAfter(TimeSpan delay) => _ = Task.Delay(delay).ContinueWith(_ => Kill(), TaskScheduler.Default);

    internal async Task<CaseResult> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        Task reader = Task.Run(ReadLoopAsync);
        try
        {
            await _case.Run(this);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // The client closed while the script was still sending: the judgement below covers it.
        }

        Task finished = await Task.WhenAny(reader, Task.Delay(_case.Timeout));
        if (finished != reader)
        {
            Kill();
            await reader;
        }

        _compression?.Dispose();
        return Judge(clock.Elapsed);
    }

    private async Task SendRawAsync(byte[] bytes, int? chop)
    {
        await _writeLock.WaitAsync();
        try
        {
            if (chop is int size && size > 0)
            {
                for (int offset = 0; offset < bytes.Length; offset += size)
                {
                    // One write per chop, as Autobahn sends one per reactor turn; no sleep between them.
                    await _socket.SendAsync(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)), SocketFlags.None);
                    await Task.Yield();
                }
            }
            else
            {
                await _socket.SendAsync(bytes, SocketFlags.None);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>An unmasked frame with any header bits the case wants, including invalid ones.</summary>
    public static byte[] EncodeFrame(int opcode, ReadOnlySpan<byte> payload, bool fin, int rsv)
    {
        int headerSize = payload.Length <= 125 ? 2 : payload.Length <= 65535 ? 4 : 10;
        byte[] frame = new byte[headerSize + payload.Length];
        frame[0] = (byte)((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xF));
        if (payload.Length <= 125)
        {
            frame[1] = (byte)payload.Length;
        }
        else if (payload.Length <= 65535)
        {
            frame[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            frame[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }

        payload.CopyTo(frame.AsSpan(headerSize));
        return frame;
    }

    private void MarkCloseSent()
    {
        lock (_received)
        {
            if (!_closeSentByServer && !_closeReceived)
            {
                _closedByServer = true;
            }

            _closeSentByServer = true;
        }
    }

    private void Kill()
    {
        if (!_tcpClosed)
        {
            _killedByServer = true;
        }

        _killed.Cancel();
        _tcpClosed = true;
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
            _socket.Close();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Record(Observed observed)
    {
        bool closeNow = false;
        lock (_received)
        {
            _received.Add(observed);

            // Autobahn's "finish when done": once what was received matches an expected outcome, a case that
            // expects the server to close starts the closing handshake.
            if (_expectedClose.ClosedByServer && !_closeSentByServer && !_closeReceived
                && _expected.Exists(e => e.Events.SequenceEqual(_received)))
            {
                closeNow = true;
            }
        }

        if (closeNow)
        {
            _ = SafeAsync(() => SendCloseAsync(_expectedClose.Codes[0]));
        }
    }

    private static async Task SafeAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // The peer is gone.
        }
    }

    private async Task ReadLoopAsync()
    {
        // Bytes received but not yet taken as frames are buffer[start..end); the buffer grows for big frames.
        byte[] buffer = new byte[128 * 1024];
        int start = 0;
        int end = 0;
        var message = new MemoryStream();
        int messageOpcode = -1;
        bool messageCompressed = false;
        try
        {
            while (true)
            {
                if (end == buffer.Length)
                {
                    if (start > 0)
                    {
                        buffer.AsSpan(start, end - start).CopyTo(buffer);
                        end -= start;
                        start = 0;
                    }
                    else
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }

                int read = await _socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None);
                if (read == 0)
                {
                    break;
                }

                end += read;
                while (TryTakeFrame(buffer, ref start, end, out int opcode, out bool fin, out int rsv, out byte[] payload, out bool masked))
                {
                    if (start == end)
                    {
                        start = end = 0;
                    }

                    if (!masked)
                    {
                        _clientViolation ??= "the client sent an unmasked frame (RFC 6455 §5.1)";
                    }

                    CheckReservedBits(opcode, rsv);
                    if (_closeReceived)
                    {
                        _clientViolation ??= "the client sent a frame after its Close frame";
                        continue;
                    }

                    switch (opcode)
                    {
                        case 0:
                            if (messageOpcode < 0)
                            {
                                _clientViolation ??= "the client sent a continuation frame with no message started";
                                break;
                            }

                            message.Write(payload);
                            if (fin)
                            {
                                Deliver(message.ToArray(), messageOpcode == 2, messageCompressed);
                                message.SetLength(0);
                                messageOpcode = -1;
                            }

                            break;
                        case 1 or 2:
                            if (messageOpcode >= 0)
                            {
                                _clientViolation ??= "the client started a message inside another";
                            }

                            message.SetLength(0);
                            message.Write(payload);
                            messageOpcode = opcode;
                            messageCompressed = (rsv & 4) != 0 && _compression is not null;
                            if (fin)
                            {
                                Deliver(message.ToArray(), opcode == 2, messageCompressed);
                                message.SetLength(0);
                                messageOpcode = -1;
                            }

                            break;
                        case 9:
                            await SafeAsync(() => SendFrameAsync(10, payload));
                            break;
                        case 10:
                            Record(Observed.Pong(payload));
                            break;
                        case 8:
                            await OnCloseFrameAsync(payload);
                            return;
                        default:
                            _clientViolation ??= $"the client sent reserved opcode {opcode}";
                            break;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // Dropped: judged by what was seen.
        }
        finally
        {
            _tcpClosed = true;
            _killed.Cancel();
            _inbox?.Writer.TryComplete();
            try
            {
                _socket.Close();
            }
            catch (ObjectDisposedException)
            {
            }

            _ended.TrySetResult();
        }
    }

    /// <summary>
    /// RSV bits need an extension. With permessage-deflate agreed, RSV1 marks a compressed message on its first
    /// frame only: never on a continuation or control frame (RFC 7692 §6, §6.1); RSV2 and RSV3 stay unused.
    /// </summary>
    private void CheckReservedBits(int opcode, int rsv)
    {
        if (rsv == 0)
        {
            return;
        }

        if (_compression is null)
        {
            _clientViolation ??= "the client set RSV bits without an extension";
        }
        else if ((rsv & 3) != 0)
        {
            _clientViolation ??= "the client set RSV2 or RSV3, which permessage-deflate does not use";
        }
        else if (opcode == 0)
        {
            _clientViolation ??= "the client set RSV1 on a continuation frame (RFC 7692 §6.1)";
        }
        else if (opcode >= 8)
        {
            _clientViolation ??= "the client set RSV1 on a control frame (RFC 7692 §6.1)";
        }
    }

    /// <summary>A whole message from the client: inflated when compressed, then recorded or handed to the script.</summary>
    private void Deliver(byte[] payload, bool binary, bool compressed)
    {
        if (_compression is not null)
        {
            if (compressed)
            {
                if (!_compression.TryInflate(payload, out byte[] inflated, out string? violation))
                {
                    _clientViolation ??= violation;
                    _inbox?.Writer.TryComplete();
                    return;
                }

                payload = inflated;
            }
            else
            {
                _compression.CountUncompressed(payload.Length);
            }
        }

        var observed = new ObservedMessage(payload, binary);
        if (_inbox is { } inbox)
        {
            inbox.Writer.TryWrite(observed);
        }
        else
        {
            Record(observed);
        }
    }

    private async Task OnCloseFrameAsync(byte[] body)
    {
        bool echo;
        lock (_received)
        {
            _closeReceived = true;
            _remoteCloseCode = body.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(body) : null;
            echo = !_closeSentByServer;
            _closeSentByServer = true;
        }

        if (echo)
        {
            // As a server, answer with the client's code, then close TCP (RFC 6455 §7.1.1: the server closes first).
            byte[] reply = _remoteCloseCode is int code ? [(byte)(code >> 8), (byte)code] : [];
            await SafeAsync(() => SendRawAsync(EncodeFrame(8, reply, true, 0), null));
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        // Give the client a moment to see the FIN and close its side, then release the socket.
        await Task.WhenAny(DrainAsync(), Task.Delay(TimeSpan.FromSeconds(2)));
    }

    private async Task DrainAsync()
    {
        byte[] sink = new byte[4096];
        try
        {
            while (await _socket.ReceiveAsync(sink, SocketFlags.None) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Takes one whole frame from buffer[start..end), unmasking its payload; false when more bytes are needed.</summary>
    private static bool TryTakeFrame(byte[] buffer, ref int start, int end, out int opcode, out bool fin, out int rsv, out byte[] payload, out bool masked)
    {
        opcode = 0;
        fin = false;
        rsv = 0;
        payload = [];
        masked = false;
        int available = end - start;
        if (available < 2)
        {
            return false;
        }

        ReadOnlySpan<byte> head = buffer.AsSpan(start, available);
        int length7 = head[1] & 0x7F;
        masked = (head[1] & 0x80) != 0;
        int offset = length7 == 126 ? 4 : length7 == 127 ? 10 : 2;
        if (available < offset + (masked ? 4 : 0))
        {
            return false;
        }

        long length = length7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(head[2..]),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(head[2..]),
            _ => length7,
        };
        long total = offset + (masked ? 4 : 0) + length;
        if (available < total)
        {
            return false;
        }

        fin = (head[0] & 0x80) != 0;
        rsv = (head[0] >> 4) & 7;
        opcode = head[0] & 0xF;
        payload = head.Slice(offset + (masked ? 4 : 0), (int)length).ToArray();
        if (masked)
        {
            ReadOnlySpan<byte> key = head.Slice(offset, 4);
            for (int i = 0; i < payload.Length; i++)
            {
                payload[i] ^= key[i & 3];
            }
        }

        start += (int)total;
        return true;
    }

    private CaseResult Judge(TimeSpan duration)
    {
        Observed[] received;
        lock (_received)
        {
            received = [.. _received];
        }

        Verdict behavior = Verdict.Failed;
        string reason = $"what the client sent ({Describe(received)}) matches no expected outcome";
        foreach ((Verdict verdict, Observed[] events) in _expected)
        {
            if (events.SequenceEqual(received))
            {
                behavior = verdict;
                reason = verdict == Verdict.Ok ? "" : $"matched the {verdict} outcome ({Describe(received)})";
                break;
            }
        }

        if (_scriptVerdict is (Verdict scripted, string scriptReason) && (behavior == Verdict.Ok || scripted == Verdict.Failed))
        {
            behavior = scripted;
            reason = scriptReason;
        }

        if (_clientViolation is not null)
        {
            behavior = Verdict.Failed;
            reason = _clientViolation;
        }

        Verdict close = Verdict.Ok;
        string closeReason = "";
        bool clean = _closeReceived && _closeSentByServer;
        if (_expectedClose.ClosedByServer != _closedByServer)
        {
            close = Verdict.Failed;
            closeReason = _expectedClose.ClosedByServer
                ? "the client closed or dropped the connection although the server was to close it"
                : "the client did not fail the connection; the server had to end it";
        }
        else if (!_expectedClose.ClosedByServer && _killedByServer && !_closeReceived)
        {
            // Stricter than the original judge: a client that was to fail the connection but had to be
            // cut off by the server's timer did not fail it.
            close = Verdict.Failed;
            closeReason = "the client neither failed nor closed the connection; the server's timer had to drop it";
        }
        else if (_expectedClose.RequireClean && !clean)
        {
            close = Verdict.Failed;
            closeReason = "the closing handshake did not complete (unclean close)";
        }
        else if (_remoteCloseCode is int code && !_expectedClose.Codes.Contains(code))
        {
            close = Verdict.Failed;
            closeReason = $"the client's close code was {code}, expected {string.Join(" or ", _expectedClose.Codes)} (or none)";
        }

        Verdict overall = (Verdict)Math.Max((int)behavior, (int)close);
        string why = string.Join("; ", new[] { reason, closeReason }.Where(r => r.Length > 0));
        CompressionStats? stats = _compression is { } c
            ? new CompressionStats(c.Sent.Bytes, c.Sent.Compressed, c.Received.Messages, c.Received.CompressedMessages, c.Received.Bytes, c.Received.Compressed)
            : null;
        return new CaseResult(_case.Id, overall, behavior, close, why, duration) { Compression = stats };
    }

    private static string Describe(Observed[] events) => events.Length == 0 ? "nothing" : string.Join(", ", events.Select(e => e.ToString()));
}
