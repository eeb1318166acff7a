using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Whatwg.WebSockets.Conformance.Fuzzing;

/// <summary>
/// The server side of one case: it sends what the case script asks for (well-formed or deliberately broken
/// frames, whole or chopped into small TCP writes), observes what the client sends back, answers the
/// closing handshake, and judges the outcome the way the Autobahn|Testsuite fuzzing server does.
/// </summary>
public sealed class CaseSession
{
    private readonly Socket _socket;
    private readonly CaseDefinition _case;
    private readonly List<Observed> _received = [];
    private readonly List<(Verdict Verdict, Observed[] Events)> _expected = [];
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _killed = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ExpectedClose _expectedClose = ExpectedClose.Normal;
    private bool _closeSentByServer;
    private bool _closeReceived;
    private bool _closedByServer;
    private int? _remoteCloseCode;
    private string? _clientViolation;
    private volatile bool _tcpClosed;
    private volatile bool _killedByServer;

    internal CaseSession(Socket socket, CaseDefinition definition)
    {
        _socket = socket;
        _case = definition;
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
        var buffer = new List<byte>();
        byte[] chunk = new byte[64 * 1024];
        var message = new MemoryStream();
        int messageOpcode = -1;
        try
        {
            while (true)
            {
                int read = await _socket.ReceiveAsync(chunk, SocketFlags.None);
                if (read == 0)
                {
                    break;
                }

                buffer.AddRange(chunk.AsSpan(0, read));
                while (TryTakeFrame(buffer, out int opcode, out bool fin, out int rsv, out byte[] payload, out bool masked))
                {
                    if (!masked)
                    {
                        _clientViolation ??= "the client sent an unmasked frame (RFC 6455 §5.1)";
                    }

                    if (rsv != 0)
                    {
                        _clientViolation ??= "the client set RSV bits without an extension";
                    }

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
                                Record(Observed.Message(message.ToArray(), messageOpcode == 2));
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
                            if (fin)
                            {
                                Record(Observed.Message(message.ToArray(), opcode == 2));
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

    private static bool TryTakeFrame(List<byte> buffer, out int opcode, out bool fin, out int rsv, out byte[] payload, out bool masked)
    {
        opcode = 0;
        fin = false;
        rsv = 0;
        payload = [];
        masked = false;
        if (buffer.Count < 2)
        {
            return false;
        }

        int length7 = buffer[1] & 0x7F;
        masked = (buffer[1] & 0x80) != 0;
        int offset = length7 == 126 ? 4 : length7 == 127 ? 10 : 2;
        if (buffer.Count < offset + (masked ? 4 : 0))
        {
            return false;
        }

        long length = length7 switch
        {
            126 => (buffer[2] << 8) | buffer[3],
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(buffer.GetRange(2, 8).ToArray()),
            _ => length7,
        };
        int total = offset + (masked ? 4 : 0) + (int)length;
        if (buffer.Count < total)
        {
            return false;
        }

        fin = (buffer[0] & 0x80) != 0;
        rsv = (buffer[0] >> 4) & 7;
        opcode = buffer[0] & 0xF;
        payload = buffer.GetRange(offset + (masked ? 4 : 0), (int)length).ToArray();
        if (masked)
        {
            for (int i = 0; i < payload.Length; i++)
            {
                payload[i] ^= buffer[offset + (i & 3)];
            }
        }

        buffer.RemoveRange(0, total);
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
        return new CaseResult(_case.Id, overall, behavior, close, why, duration);
    }

    private static string Describe(Observed[] events) => events.Length == 0 ? "nothing" : string.Join(", ", events.Select(e => e.ToString()));
}
