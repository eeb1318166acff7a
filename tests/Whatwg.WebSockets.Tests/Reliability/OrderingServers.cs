using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Tests.Reliability;

using NetWebSocket = System.Net.WebSockets.WebSocket;

/// <summary>
/// Ordered messages, built and checked the same way here and by the Node peer (tests/peers/node/server.js):
/// the ASCII header <c>&lt;stream&gt;.&lt;seq&gt;.&lt;length&gt;.&lt;t|b&gt;|</c>, then filler up to <c>length</c> bytes
/// in all from xorshift32 seeded by (stream, seq): text bytes <c>0x20 + x % 95</c>, binary bytes <c>x &amp; 0xff</c>.
/// A message cut, merged with another or carrying another's bytes does not check out.
/// </summary>
internal static partial class OrderedMessage
{
    /// <summary>The stream number of the servers' own messages (<c>?send=N</c>).</summary>
    public const int ServerStream = 999;

    /// <summary>The bytes of message <paramref name="seq"/> of <paramref name="stream"/>, <paramref name="length"/> long (at least its header).</summary>
    public static byte[] Bytes(int stream, int seq, int length, bool text)
    {
        byte[] header = Encoding.ASCII.GetBytes($"{stream}.{seq}.{length}.{(text ? 't' : 'b')}|");
        byte[] message = new byte[Math.Max(length, header.Length)];
        if (message.Length != length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"shorter than the header ({header.Length} bytes)");
        }

        header.CopyTo(message, 0);
        uint x = Seed(stream, seq);
        for (int i = header.Length; i < length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            message[i] = text ? (byte)(0x20 + (x % 95)) : (byte)x;
        }

        return message;
    }

    /// <summary>The text of a text message (its bytes are ASCII).</summary>
    public static string Text(int stream, int seq, int length) => Encoding.ASCII.GetString(Bytes(stream, seq, length, text: true));

    /// <summary>The length of the servers' own message <paramref name="seq"/> (as server.js chooses it).</summary>
    public static int ServerLength(int seq) => 64 + (seq * 37 % 2000);

    /// <summary>Checks one received message: its (stream, seq), or what is wrong with it.</summary>
    public static (int Stream, int Seq, string? Error) Read(ReadOnlySpan<byte> data, bool isText)
    {
        int bar = data[..Math.Min(data.Length, 65)].IndexOf((byte)'|');
        if (bar < 0)
        {
            return (-1, -1, $"no header in a {data.Length}-byte message");
        }

        string head = Encoding.Latin1.GetString(data[..bar]);
        Match match = HeaderPattern().Match(head);
        if (!match.Success)
        {
            return (-1, -1, $"bad header \"{head[..Math.Min(head.Length, 40)]}\"");
        }

        int stream = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        int seq = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        int length = int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
        bool text = match.Groups[4].Value == "t";
        string where = $"stream {stream} seq {seq}";
        if (text != isText)
        {
            return (stream, seq, $"{where}: sent as {(text ? "text" : "binary")}, received as {(isText ? "text" : "binary")}");
        }

        if (length != data.Length)
        {
            return (stream, seq, $"{where}: {data.Length} bytes, header says {length}");
        }

        return data.SequenceEqual(Bytes(stream, seq, length, text)) ? (stream, seq, null) : (stream, seq, $"{where}: content differs");
    }

    private static uint Seed(int stream, int seq)
    {
        uint seed = unchecked(((uint)stream * 0x9E3779B1u) ^ ((uint)seq * 0x85EBCA77u));
        return seed == 0 ? 1u : seed;
    }

    [GeneratedRegex(@"^(\d+)\.(\d+)\.(\d+)\.([tb])$", RegexOptions.CultureInvariant)]
    private static partial Regex HeaderPattern();
}

/// <summary>
/// Checks a sequence of ordered messages as it arrives: each whole and correct, and within each stream numbered
/// 0, 1, 2, ... in order. Keeps the count and the first error. Thread-safe.
/// </summary>
internal sealed class OrderingValidator
{
    private readonly Dictionary<int, int> _next = [];
    private int _count;
    private string? _firstError;

    public int Count
    {
        get
        {
            lock (_next)
            {
                return _count;
            }
        }
    }

    public string? FirstError
    {
        get
        {
            lock (_next)
            {
                return _firstError;
            }
        }
    }

    /// <summary>How many messages of <paramref name="stream"/> arrived in order so far.</summary>
    public int CountOf(int stream)
    {
        lock (_next)
        {
            return _next.GetValueOrDefault(stream);
        }
    }

    public void Observe(ReadOnlySpan<byte> data, bool isText)
    {
        (int stream, int seq, string? error) = OrderedMessage.Read(data, isText);
        lock (_next)
        {
            _count++;
            if (error is not null)
            {
                _firstError ??= error;
                return;
            }

            int expected = _next.GetValueOrDefault(stream);
            if (seq != expected)
            {
                _firstError ??= $"stream {stream}: expected seq {expected}, got {seq}";
            }

            _next[stream] = seq + 1;
        }
    }

    public void Fail(string error)
    {
        lock (_next)
        {
            _firstError ??= error;
        }
    }

    /// <summary>The close reason the servers answer with: <c>ok n=.. s=..</c> or <c>bad n=.. s=.. error</c>, at most 123 bytes.</summary>
    public string Summary(int sent)
    {
        lock (_next)
        {
            string summary = _firstError is null ? $"ok n={_count} s={sent}" : $"bad n={_count} s={sent} {_firstError}";
            return summary.Length > 123 ? summary[..123] : summary;
        }
    }
}

/// <summary>
/// The ordered-message servers as the tests use them: ASP.NET Core's WebSocket (Kestrel, reassembles frames) and a
/// raw TCP server that reads the frames itself and fails the run when frames of two messages interleave.
/// Both behave as server.js's /sequence: check what the client sends; <c>?echo=1</c> echoes each message;
/// <c>?send=N</c> sends N messages of stream 999 while receiving (Kestrel only); the client's Close is answered
/// with 1000 and <see cref="OrderingValidator.Summary"/>.
/// </summary>
internal static class OrderingServers
{
    /// <summary>The /custom handler for <see cref="KestrelServer"/>.</summary>
    public static async Task KestrelAsync(NetWebSocket ws, HttpContext context)
    {
        bool echo = context.Request.Query["echo"] == "1";
        int toSend = int.TryParse(context.Request.Query["send"], CultureInfo.InvariantCulture, out int n) ? n : 0;
        CancellationToken ct = context.RequestAborted;
        var validator = new OrderingValidator();
        using var sendLock = new SemaphoreSlim(1);
        int sent = 0;

        async Task SendAsync(ReadOnlyMemory<byte> data, WebSocketMessageType type)
        {
            await sendLock.WaitAsync(ct);
            try
            {
                await ws.SendAsync(data, type, endOfMessage: true, ct);
            }
            finally
            {
                sendLock.Release();
            }
        }

        Task sending = Task.Run(async () =>
        {
            for (int seq = 0; seq < toSend && ws.State == WebSocketState.Open; seq++)
            {
                bool text = seq % 2 == 0;
                Interlocked.Increment(ref sent);
                await SendAsync(OrderedMessage.Bytes(OrderedMessage.ServerStream, seq, OrderedMessage.ServerLength(seq), text), text ? WebSocketMessageType.Text : WebSocketMessageType.Binary);
            }
        }, ct);

        byte[] buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult result = await ws.ReceiveAsync(buffer.AsMemory(), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                try
                {
                    await sending;
                }
                catch (Exception ex)
                {
                    validator.Fail($"the server's own sends failed: {ex.Message}");
                }

                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, validator.Summary(Volatile.Read(ref sent)), ct);
                return;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                ReadOnlyMemory<byte> data = message.GetBuffer().AsMemory(0, (int)message.Length);
                validator.Observe(data.Span, result.MessageType == WebSocketMessageType.Text);
                if (echo)
                {
                    await SendAsync(data, result.MessageType);
                }

                message.SetLength(0);
            }
        }
    }

    /// <summary>
    /// The handler for <see cref="ScriptedServer"/>: accepts (no extension), then reads frame by frame. A data frame
    /// that starts a message while another is unfinished, or a continuation without a message, is recorded as an
    /// interleaving error; whole messages are checked as on the other servers. Also counts the frames.
    /// </summary>
    public static async Task RawAsync(ScriptedConnection connection)
    {
        connection.ReadTimeout = TimeSpan.FromSeconds(120);
        HandshakeRequest request = await connection.ReadHandshakeAsync();
        await connection.WriteAsync(ScriptedServer.Accept(request));
        var validator = new OrderingValidator();
        using var message = new MemoryStream();
        int? opcode = null;
        int frames = 0;
        while (true)
        {
            Frame frame = await connection.ReadFrameAsync();
            if (frame.IsClose)
            {
                // The frame count rides after the summary when it fits; the tests read only the summary's fields.
                string reason = $"{validator.Summary(0)} f={frames}";
                await connection.WriteAsync(ScriptedServer.CloseFrame(1000, reason.Length > 123 ? validator.Summary(0) : reason));
                return;
            }

            if (frame.Opcode is 0x9 or 0xA)
            {
                continue;
            }

            frames++;
            if (!frame.WasMasked || frame.Rsv != 0)
            {
                validator.Fail($"frame {frames}: masked={frame.WasMasked}, rsv={frame.Rsv}");
            }

            if (frame.Opcode == 0x0)
            {
                if (opcode is null)
                {
                    validator.Fail($"frame {frames}: a continuation frame with no message in progress");
                    continue;
                }
            }
            else
            {
                if (opcode is not null)
                {
                    validator.Fail($"frame {frames}: a new message (opcode {frame.Opcode}) began inside an unfinished one: frames interleaved");
                }

                opcode = frame.Opcode;
                message.SetLength(0);
            }

            message.Write(frame.Payload);
            if (frame.Fin)
            {
                validator.Observe(message.GetBuffer().AsSpan(0, (int)message.Length), opcode == 0x1);
                opcode = null;
            }
        }
    }
}
