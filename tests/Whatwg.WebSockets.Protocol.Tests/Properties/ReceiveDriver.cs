using System.Buffers;
using System.Text;
using Whatwg.WebSockets.Protocol.Compression;

namespace Whatwg.WebSockets.Protocol.Tests.Properties;

/// <summary>One event out of the receiver, in a form that compares by value (payloads as hex, text as itself).</summary>
internal readonly record struct ReceiveEvent(ReceivedKind Kind, string Data, int CloseCode = 0)
{
    public static ReceiveEvent From(in ReceivedFrame frame) => frame.Kind switch
    {
        ReceivedKind.Text => new(ReceivedKind.Text, frame.Text),
        ReceivedKind.Close => new(ReceivedKind.Close, (string)frame.Data!, frame.CloseCode),
        _ => new(frame.Kind, Convert.ToHexStringLower(frame.Bytes)),
    };

    /// <summary>Managed bytes the receiver allocated to hand this event over (the string or the array).</summary>
    public static long OwnedBytes(in ReceivedFrame frame) => frame.Data switch
    {
        string text => 22 + (2L * text.Length),
        byte[] bytes => 24 + bytes.Length,
        _ => 0,
    };

    public override string ToString()
    {
        string data = Data.Length > 40 ? $"{Data[..40]}...({Data.Length})" : Data;
        return Kind == ReceivedKind.Close ? $"Close:{CloseCode}:{data}" : $"{Kind}:{data}";
    }
}

/// <summary>permessage-deflate as negotiated for a generated stream: the server's window and context mode.</summary>
internal sealed record DeflateParameters(int WindowBits, bool NoContextTakeover);

/// <summary>What feeding a byte stream gave: the events in order, and the violation that ended it, if any.</summary>
internal sealed class FeedResult
{
    public List<ReceiveEvent> Events { get; } = [];

    public ProtocolViolation Violation { get; set; }

    /// <summary>The most managed memory one call into the receiver allocated.</summary>
    public long MaxCallAllocation { get; set; }

    /// <summary>Managed memory allocated by all calls into the receiver, less what the delivered events own.</summary>
    public long Overhead { get; set; }

    public bool SameAs(FeedResult other) => Violation == other.Violation && Events.SequenceEqual(other.Events);

    public override string ToString() =>
        string.Join("|", Events) + (Violation == ProtocolViolation.None ? string.Empty : $"|Violation:{Violation}");
}

/// <summary>
/// Feeds a byte stream to a <see cref="MessageReceiver"/> in reads of given sizes, the way the read loop does, and
/// checks the call contract on every call: <c>consumed</c> lies within the read, NeedMoreData uses the whole read,
/// Done carries an event, InvalidData a defined violation that is reported again (consuming nothing) on the next
/// call, and no call fails to make progress. Every call is measured with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/>.
/// </summary>
internal static class ReceiveDriver
{
    /// <summary>A valid frame, fed after a violation: it must be refused with the same violation.</summary>
    private static readonly byte[] s_probe = [0x81, 0x02, (byte)'h', (byte)'i'];

    public static MessageReceiver CreateReceiver(long maxMessageSize, DeflateParameters? deflate)
    {
        var receiver = new MessageReceiver(maxMessageSize);
        if (deflate is not null)
        {
            receiver.EnableInflate(new Inflater(deflate.WindowBits, deflate.NoContextTakeover, maxMessageSize));
        }

        return receiver;
    }

    /// <summary>Feeds <paramref name="stream"/> to a new receiver in reads ending at <paramref name="readEnds"/> (ascending; the last read ends at the end).</summary>
    public static FeedResult Feed(byte[] stream, long maxMessageSize, DeflateParameters? deflate, IEnumerable<int> readEnds)
    {
        MessageReceiver receiver = CreateReceiver(maxMessageSize, deflate);
        try
        {
            var result = new FeedResult();
            int start = 0;
            foreach (int end in readEnds.Append(stream.Length))
            {
                if (end < start)
                {
                    continue;
                }

                if (!FeedRead(receiver, stream.AsSpan(start, end - start), result))
                {
                    break;
                }

                start = end;
                if (end == stream.Length)
                {
                    break;
                }
            }

            return result;
        }
        finally
        {
            receiver.DisposeInflater();
        }
    }

    public static FeedResult FeedWhole(byte[] stream, long maxMessageSize, DeflateParameters? deflate) =>
        Feed(stream, maxMessageSize, deflate, []);

    public static FeedResult FeedByteByByte(byte[] stream, long maxMessageSize, DeflateParameters? deflate) =>
        Feed(stream, maxMessageSize, deflate, Enumerable.Range(1, stream.Length));

    /// <summary>Random cut points, read sizes from 1 byte up to <paramref name="maxRead"/>.</summary>
    public static List<int> RandomReadEnds(int length, Random random, int maxRead)
    {
        var ends = new List<int>();
        int offset = 0;
        while (offset < length)
        {
            // Mostly small reads, some large: both cut headers and payloads in every way.
            int size = random.Next(3) == 0 ? random.Next(1, maxRead + 1) : random.Next(1, 17);
            offset = Math.Min(length, offset + size);
            ends.Add(offset);
        }

        return ends;
    }

    /// <summary>
    /// Feeds the stream as WebSocketConnection's read loop does: while a data payload of at least
    /// <paramref name="directMinimum"/> bytes is pending, reads go straight into the receiver's message buffer
    /// (<see cref="MessageReceiver.GetDirectBuffer"/> and <see cref="MessageReceiver.CommitDirect"/>); otherwise
    /// into a read buffer handed to <see cref="MessageReceiver.Read"/>. Read sizes are random.
    /// </summary>
    public static FeedResult FeedLikeReadLoop(byte[] stream, long maxMessageSize, DeflateParameters? deflate, Random random, int directMinimum, int maxRead)
    {
        MessageReceiver receiver = CreateReceiver(maxMessageSize, deflate);
        try
        {
            var result = new FeedResult();
            int offset = 0;
            while (offset < stream.Length)
            {
                int size = Math.Min(stream.Length - offset, random.Next(2) == 0 ? random.Next(1, maxRead + 1) : random.Next(1, 17));
                long before = GC.GetAllocatedBytesForCurrentThread();
                Memory<byte> direct = receiver.GetDirectBuffer(directMinimum);
                Account(result, GC.GetAllocatedBytesForCurrentThread() - before, owned: 0);
                if (direct.IsEmpty)
                {
                    if (!FeedRead(receiver, stream.AsSpan(offset, size), result))
                    {
                        break;
                    }

                    offset += size;
                    continue;
                }

                int count = Math.Min(size, direct.Length);
                stream.AsSpan(offset, count).CopyTo(direct.Span);
                offset += count;
                before = GC.GetAllocatedBytesForCurrentThread();
                OperationStatus status = receiver.CommitDirect(count, out ReceivedFrame frame, out ProtocolViolation violation);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Account(result, allocated, ReceiveEvent.OwnedBytes(frame));
                if (status == OperationStatus.InvalidData)
                {
                    CheckViolation(receiver, violation, result);
                    break;
                }

                Assert.Equal(ProtocolViolation.None, violation);
                if (status == OperationStatus.Done)
                {
                    Assert.NotEqual(ReceivedKind.None, frame.Kind);
                    result.Events.Add(ReceiveEvent.From(frame));
                }
                else
                {
                    Assert.Equal(OperationStatus.NeedMoreData, status);
                    Assert.Equal(ReceivedKind.None, frame.Kind);
                }
            }

            return result;
        }
        finally
        {
            receiver.DisposeInflater();
        }
    }

    /// <summary>One read: calls Read until it needs more; false once a violation was reported.</summary>
    private static bool FeedRead(MessageReceiver receiver, ReadOnlySpan<byte> data, FeedResult result)
    {
        // Each event completes on at least one byte of this read, so a read of n bytes takes at most n + 1 calls.
        int callsLeft = data.Length + 1;
        while (true)
        {
            if (--callsLeft < 0)
            {
                Assert.Fail($"the receiver made no progress on a read of {data.Length} bytes");
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            OperationStatus status = receiver.Read(data, out int consumed, out ReceivedFrame frame, out ProtocolViolation violation);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Account(result, allocated, ReceiveEvent.OwnedBytes(frame));
            Assert.InRange(consumed, 0, data.Length);
            if (status == OperationStatus.InvalidData)
            {
                CheckViolation(receiver, violation, result);
                return false;
            }

            Assert.Equal(ProtocolViolation.None, violation);
            data = data.Slice(consumed);
            if (status == OperationStatus.NeedMoreData)
            {
                Assert.True(data.IsEmpty, $"NeedMoreData with {data.Length} bytes of the read left");
                Assert.Equal(ReceivedKind.None, frame.Kind);
                return true;
            }

            Assert.Equal(OperationStatus.Done, status);
            Assert.NotEqual(ReceivedKind.None, frame.Kind);
            result.Events.Add(ReceiveEvent.From(frame));
        }
    }

    private static void CheckViolation(MessageReceiver receiver, ProtocolViolation violation, FeedResult result)
    {
        Assert.NotEqual(ProtocolViolation.None, violation);
        Assert.True(Enum.IsDefined(violation), $"undefined violation {(int)violation}");
        result.Violation = violation;

        // After a violation, every call reports the same one and consumes nothing.
        OperationStatus again = receiver.Read(s_probe, out int consumed, out ReceivedFrame frame, out ProtocolViolation repeated);
        Assert.Equal(OperationStatus.InvalidData, again);
        Assert.Equal(violation, repeated);
        Assert.Equal(0, consumed);
        Assert.Equal(ReceivedKind.None, frame.Kind);
    }

    private static void Account(FeedResult result, long allocated, long owned)
    {
        result.MaxCallAllocation = Math.Max(result.MaxCallAllocation, allocated);
        result.Overhead += allocated - owned;
    }
}
