namespace Whatwg.WebSockets.Conformance.Fuzzing.Deflate;

/// <summary>
/// The server's permessage-deflate state for one connection, under the agreed parameters: it compresses what the
/// case sends and inflates and judges what the client sends.
/// </summary>
/// <remarks>
/// The client's messages are inflated with exactly the agreed client window (8 included: zlib inflates with a
/// 256-byte window as asked), and with a fresh state per message when the client must not take over context,
/// so references zlib cannot resolve fail the message. Below 15 bits <see cref="DeflateInspector"/> then catches
/// what zlib's buffering lets through: any distance beyond the agreed window, or into an earlier message.
/// Outgoing and incoming halves are independent: the case script calls <see cref="Compress"/>, the read loop
/// <see cref="TryInflate"/>.
/// </remarks>
public sealed class PerMessageDeflate : IDisposable
{
    /// <summary>The largest message the server inflates (the largest case sends 128 KiB; 9.x goes to 16 MiB uncompressed).</summary>
    private const long MaxMessageSize = 64L * 1024 * 1024;

    private readonly RawDeflater _deflater;
    private readonly RawInflater _inflater;
    private readonly DeflateInspector? _inspector;
    private long _messagesReceived;

    public PerMessageDeflate(DeflateAgreement agreement)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        Agreement = agreement;
        _deflater = new RawDeflater(agreement.ServerWindowBits, agreement.ServerNoContextTakeover);
        _inflater = new RawInflater(agreement.ClientWindowBits, MaxMessageSize, agreement.ClientResets);

        // With 15 bits zlib's own check is exact: every distance deflate can express fits the window, and a
        // reference before the start of the stream (or of the message, after a reset) is refused, because zlib
        // keeps min(bytes so far, 32 KiB) of history. With a smaller window every message is walked.
        if (agreement.ClientWindowBits < 15)
        {
            _inspector = new DeflateInspector(agreement.ClientWindowBits, agreement.ClientResets);
        }
    }

    public DeflateAgreement Agreement { get; }

    /// <summary>Checks the system zlib binding once per process (round trips with DeflateStream); null when it works, else why not.</summary>
    public static string? CheckZlib() => LibZ.SelfCheck();

    /// <summary>Messages sent compressed, their total size before and after compression.</summary>
    public (long Messages, long Bytes, long Compressed) Sent { get; private set; }

    /// <summary>Messages received (compressed or not), how many were compressed, their total size before and after inflating.</summary>
    public (long Messages, long CompressedMessages, long Bytes, long Compressed) Received { get; private set; }

    /// <summary>The longest back-reference seen in the client's messages (when they were walked).</summary>
    public int MaxClientDistance { get; private set; }

    /// <summary>Compresses one message for sending (RSV1 goes on its first frame).</summary>
    public byte[] Compress(ReadOnlySpan<byte> message)
    {
        byte[] payload = _deflater.CompressMessage(message);
        Sent = (Sent.Messages + 1, Sent.Bytes + message.Length, Sent.Compressed + payload.Length);
        return payload;
    }

    /// <summary>Counts a message the client sent uncompressed (RSV1 clear), which RFC 7692 §6 allows.</summary>
    public void CountUncompressed(int length)
    {
        _messagesReceived++;
        Received = (Received.Messages + 1, Received.CompressedMessages, Received.Bytes + length, Received.Compressed + length);
    }

    /// <summary>Inflates a compressed message from the client; false, with the client's violation, when it breaks the agreement.</summary>
    public bool TryInflate(byte[] payload, out byte[] message, out string? violation)
    {
        ArgumentNullException.ThrowIfNull(payload);
        long number = ++_messagesReceived;
        if (!_inflater.TryInflateMessage(payload, out message, out string? error))
        {
            violation = $"the client's compressed message #{number} does not inflate under the agreed parameters "
                + $"({Agreement.ClientWindowBits} window bits{(Agreement.ClientResets ? ", no context takeover" : "")}): {error}";
            return false;
        }

        if (_inspector is not null)
        {
            Inspection inspection = _inspector.Inspect(payload);
            MaxClientDistance = Math.Max(MaxClientDistance, inspection.MaxDistance);
            if (inspection.Violation is string broken)
            {
                violation = $"the client's compressed message #{number} breaks the agreement: {broken}";
                return false;
            }
        }

        Received = (Received.Messages + 1, Received.CompressedMessages + 1, Received.Bytes + message.Length, Received.Compressed + payload.Length);
        violation = null;
        return true;
    }

    public void Dispose()
    {
        _deflater.Dispose();
        _inflater.Dispose();
    }
}
