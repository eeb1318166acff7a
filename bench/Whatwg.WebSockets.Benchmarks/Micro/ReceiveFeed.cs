using System.Buffers;
using Whatwg.WebSockets.Protocol;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>Drives a <see cref="MessageReceiver"/> the way the connection's read loop does.</summary>
internal static class ReceiveFeed
{
    /// <summary>The connection's receive buffer size.</summary>
    public const int ReadSize = 16 * 1024;

    /// <summary>Feeds one read; returns the number of data messages that came out.</summary>
    public static int Feed(MessageReceiver receiver, ReadOnlySpan<byte> data)
    {
        int messages = 0;
        while (!data.IsEmpty)
        {
            OperationStatus status = receiver.Read(data, out int consumed, out ReceivedFrame frame, out ProtocolViolation violation);
            if (status == OperationStatus.NeedMoreData)
            {
                break;
            }

            if (status != OperationStatus.Done)
            {
                throw new InvalidOperationException(violation.ToString());
            }

            if (frame.Kind is ReceivedKind.Text or ReceivedKind.Binary)
            {
                messages++;
            }

            data = data.Slice(consumed);
        }

        return messages;
    }

    /// <summary>Feeds <paramref name="data"/> in reads of <paramref name="readSize"/> bytes.</summary>
    public static int FeedInReads(MessageReceiver receiver, ReadOnlySpan<byte> data, int readSize)
    {
        int messages = 0;
        while (!data.IsEmpty)
        {
            int length = Math.Min(readSize, data.Length);
            messages += Feed(receiver, data.Slice(0, length));
            data = data.Slice(length);
        }

        return messages;
    }
}
