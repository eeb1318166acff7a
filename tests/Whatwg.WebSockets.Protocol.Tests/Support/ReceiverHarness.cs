using Whatwg.WebSockets.Protocol.Compression;
using System.Buffers;

namespace Whatwg.WebSockets.Protocol.Tests.Support;

/// <summary>
/// Feeds bytes to a <see cref="MessageReceiver"/> the way the read loop does and records what comes out
/// as short strings ("Text:Hello", "Binary:0102", "Ping:", "Close:1000:bye"), ending with
/// "Violation:Name" when the receiver reports one.
/// </summary>
internal static class ReceiverHarness
{
    public const long DefaultMaxMessageSize = 64L * 1024 * 1024;

    public static string Describe(ReceivedFrame frame) => frame.Kind switch
    {
        ReceivedKind.Text => "Text:" + frame.Text,
        ReceivedKind.Close => $"Close:{frame.CloseCode}:{(string)frame.Data!}",
        _ => $"{frame.Kind}:{Hex.Of(frame.Bytes)}",
    };

    /// <summary>Feeds each chunk in turn (calling Read until it needs more) and returns the events.</summary>
    public static List<string> Feed(MessageReceiver receiver, IEnumerable<byte[]> chunks)
    {
        var events = new List<string>();
        foreach (byte[] chunk in chunks)
        {
            if (!FeedOne(receiver, chunk, events))
            {
                break;
            }
        }

        return events;
    }

    /// <param name="hex">The bytes, as hex.</param>
    /// <param name="maxMessageSize">The receiver's limit.</param>
    /// <param name="deflate">permessage-deflate negotiated (window 15, context takeover): RSV1 marks compressed messages.</param>
    public static List<string> Feed(string hex, long maxMessageSize = DefaultMaxMessageSize, bool deflate = false)
    {
        var receiver = new MessageReceiver(maxMessageSize);
        if (deflate)
        {
            receiver.EnableInflate(new Inflater(15, noContextTakeover: false, maxMessageSize));
        }

        return Feed(receiver, [Hex.Bytes(hex)]);
    }

    /// <summary>Feeds one chunk; false once the receiver reported a violation.</summary>
    public static bool FeedOne(MessageReceiver receiver, ReadOnlySpan<byte> data, List<string> events)
    {
        while (true)
        {
            OperationStatus status = receiver.Read(data, out int consumed, out ReceivedFrame frame, out ProtocolViolation violation);
            if (status == OperationStatus.InvalidData)
            {
                Assert.NotEqual(ProtocolViolation.None, violation);
                events.Add("Violation:" + violation);
                return false;
            }

            Assert.InRange(consumed, 0, data.Length);
            Assert.Equal(ProtocolViolation.None, violation);
            data = data.Slice(consumed);
            if (status == OperationStatus.NeedMoreData)
            {
                Assert.Equal(0, data.Length);
                return true;
            }

            Assert.Equal(OperationStatus.Done, status);
            Assert.NotEqual(ReceivedKind.None, frame.Kind);
            events.Add(Describe(frame));
        }
    }

    /// <summary>The input cut into two chunks at <paramref name="offset"/>.</summary>
    public static byte[][] SplitAt(byte[] input, int offset) => [input[..offset], input[offset..]];

    /// <summary>The input one byte per chunk.</summary>
    public static byte[][] OneByteAtATime(byte[] input) => Array.ConvertAll(input, static b => new[] { b });

    /// <summary>The input cut into chunks of random sizes (1..<paramref name="maxChunk"/>).</summary>
    public static List<byte[]> RandomChunks(byte[] input, Random random, int maxChunk)
    {
        var chunks = new List<byte[]>();
        int offset = 0;
        while (offset < input.Length)
        {
            int size = Math.Min(input.Length - offset, random.Next(1, maxChunk + 1));
            chunks.Add(input[offset..(offset + size)]);
            offset += size;
        }

        return chunks;
    }
}
