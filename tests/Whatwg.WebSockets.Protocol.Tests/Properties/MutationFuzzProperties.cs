using System.Buffers.Binary;
using Whatwg.WebSockets.Protocol.Framing;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Protocol.Tests.Properties;

/// <summary>
/// "Documented errors only" for damaged and random input: whatever bytes a server sends, the receiver gives events
/// and then at most a <see cref="ProtocolViolation"/> (RFC 6455 §7.1.7, Fail the WebSocket Connection). It throws
/// nothing else, always makes progress, reports the same outcome however the bytes are split, and allocates no more
/// than its limits allow (§10.4) even when a header claims 2^63 - 1 bytes or a deflate bomb arrives.
/// </summary>
/// <remarks>
/// The allocation bound, with the maximum message size L = 64 KiB: no single call into the receiver allocates more
/// than <see cref="CallBound"/> = 4 L + 64 KiB, and over a whole stream the receiver allocates no more than
/// <see cref="OverheadBound"/> = 4 L + 64 KiB beyond the strings and arrays of the events it delivers. The largest
/// legitimate cost is the inflate buffer doubling, from a cold pool, up to the pool size that holds L + 1 bytes
/// (2 L when L is a power of two), which is under 4 L in all; the constant covers the small buffers. Anything that
/// scaled with a claimed length or with an inflated size past L would break the bound.
/// </remarks>
public class MutationFuzzProperties(ITestOutputHelper output)
{
    private const long MaxMessageSize = 64 * 1024;
    private const long CallBound = (4 * MaxMessageSize) + (64 * 1024);
    private const long OverheadBound = (4 * MaxMessageSize) + (64 * 1024);

    /// <summary>
    /// Inside a compressed message, what the inflater has produced so far is checked after each chunk, so where the
    /// reads fall decides which of these a message that has several of them reports first.
    /// </summary>
    private static readonly ProtocolViolation[] s_payloadViolations =
        [ProtocolViolation.InvalidUtf8, ProtocolViolation.MessageTooBig, ProtocolViolation.DecompressionFailed];

    [Fact]
    public void Read_MutatedValidStream_GivesEventsOrAViolationOnly()
    {
        var violations = new HashSet<ProtocolViolation>();
        PropertyStats stats = PropertyRun.Run(nameof(Read_MutatedValidStream_GivesEventsOrAViolationOnly), ciIterations: 2000, ciSeed: 2_000_000, output, (seed, stats) =>
        {
            var random = new Random(seed);
            GeneratedStream stream = FrameStreamGenerator.Generate(seed, random.Next(8) == 0 ? StreamShape.Large : StreamShape.Small);
            var names = new List<string>();
            byte[] bytes = StreamMutator.Mutate(stream, random, names);
            foreach (string name in names)
            {
                stats.Count("mutation_" + name);
            }

            stats.Count("mutations", names.Count);
            stats.Count("streams");
            ProtocolViolation violation = CheckWithMinimizedReport(bytes, stream.Deflate, seed, $"mutations {string.Join(", ", names)} of {stream}", stats);
            violations.Add(violation);
        });

        // Every violation the receiver can report was reached, and some damage left a valid stream: the mutations
        // reach every check, not just the first one.
        ProtocolViolation[] reachable = [.. Enum.GetValues<ProtocolViolation>().Where(static v => v is not ProtocolViolation.DataAfterClose)];
        Assert.True(reachable.All(violations.Contains), $"never reported: {string.Join(", ", reachable.Except(violations))}; {stats}");
        Assert.True(stats.CountNames.Count(static n => n.StartsWith("mutation_", StringComparison.Ordinal)) == StreamMutator.Mutations.Length, $"a mutation never ran: {stats}");
    }

    [Fact]
    public void Read_RandomBytes_GivesEventsOrAViolationOnly()
    {
        var violations = new HashSet<ProtocolViolation>();
        PropertyStats stats = PropertyRun.Run(nameof(Read_RandomBytes_GivesEventsOrAViolationOnly), ciIterations: 4000, ciSeed: 3_000_000, output, (seed, stats) =>
        {
            var random = new Random(seed);
            DeflateParameters? deflate = random.Next(2) == 0 ? new DeflateParameters(random.Next(8, 16), random.Next(2) == 0) : null;
            bool framed = random.Next(2) == 0;
            byte[] bytes = framed ? RandomFrames(random) : FrameStreamGenerator.Bytes(random, random.Next(0, 400));
            stats.Count(framed ? "random_frame_streams" : "random_byte_streams");
            stats.Count("streams");
            violations.Add(CheckWithMinimizedReport(bytes, deflate, seed, framed ? "random frames" : "random bytes", stats));
        });

        // Random frames get past the header checks often enough to reach the payload checks.
        Assert.True(violations.Contains(ProtocolViolation.None) && violations.Contains(ProtocolViolation.InvalidUtf8) && violations.Contains(ProtocolViolation.ReservedOpcode),
            $"random input reached only {string.Join(", ", violations)}; {stats}");
    }

    /// <summary>
    /// The worst cases on purpose: deflate bombs (1 MiB and 1 GiB inflated) and headers claiming 2^63 - 1 bytes,
    /// compressed and not, whole and in small reads, each ending in MessageTooBig within the allocation bound.
    /// </summary>
    [Fact]
    public void Read_BombsAndHugeLengths_FailWithinTheAllocationBound()
    {
        var deflate = new DeflateParameters(15, NoContextTakeover: false);
        var cases = new List<(string Name, byte[] Bytes)>();
        foreach (bool text in new[] { true, false })
        {
            Opcode opcode = text ? Opcode.Text : Opcode.Binary;
            cases.Add(($"{opcode} bomb, 1 MiB", Frame(0x80 | FrameHeader.Rsv1 | (int)opcode, StreamMutator.Bomb(text))));
            cases.Add(($"{opcode} bomb, 1 MiB, claiming 2^63 - 1 bytes", [.. Header64(0x80 | FrameHeader.Rsv1 | (int)opcode, long.MaxValue), .. StreamMutator.Bomb(text)]));
            cases.Add(($"{opcode} claiming 2^63 - 1 bytes", [.. Header64(0x80 | (int)opcode, long.MaxValue), .. new byte[1000]]));
            cases.Add(($"{opcode} claiming the limit + 1", [.. Header64(0x80 | (int)opcode, MaxMessageSize + 1), .. new byte[1000]]));
            cases.Add(($"{opcode} in fragments of the limit / 2 + 1", [.. Header16((int)opcode, (int)(MaxMessageSize / 2) + 1), .. new byte[(MaxMessageSize / 2) + 1], .. Header16(0x80, (int)(MaxMessageSize / 2) + 1)]));
        }

        cases.Add(("1 GiB bomb in 16 KiB frames", GigabyteBomb()));

        long maxCall = 0;
        foreach ((string name, byte[] bytes) in cases)
        {
            foreach (FeedResult result in new[]
            {
                ReceiveDriver.FeedWhole(bytes, MaxMessageSize, deflate),
                ReceiveDriver.Feed(bytes, MaxMessageSize, deflate, ReceiveDriver.RandomReadEnds(bytes.Length, new Random(bytes.Length), 16 * 1024)),
                ReceiveDriver.FeedLikeReadLoop(bytes, MaxMessageSize, deflate, new Random(bytes.Length), 16 * 1024, 16 * 1024),
            })
            {
                Assert.True(result.Violation == ProtocolViolation.MessageTooBig, $"{name}: {result}");
                Assert.True(result.MaxCallAllocation <= CallBound, $"{name}: one call allocated {result.MaxCallAllocation} bytes");
                Assert.True(result.Overhead <= OverheadBound, $"{name}: {result.Overhead} bytes allocated");
                maxCall = Math.Max(maxCall, result.MaxCallAllocation);
            }
        }

        output.WriteLine($"{cases.Count} cases, max allocation in one call {maxCall} bytes (bound {CallBound})");
    }

    /// <summary>Checks one input; on failure, shrinks it to a smaller input that still fails and reports both.</summary>
    private static ProtocolViolation CheckWithMinimizedReport(byte[] bytes, DeflateParameters? deflate, int seed, string what, PropertyStats stats)
    {
        try
        {
            return Check(bytes, deflate, seed, stats);
        }
        catch (Exception ex)
        {
            byte[] smallest = Minimize(bytes, candidate =>
            {
                try
                {
                    Check(candidate, deflate, seed, new PropertyStats());
                    return false;
                }
                catch (Exception)
                {
                    return true;
                }
            });
            throw new PropertyFailedException(
                $"{what}{Environment.NewLine}deflate: {deflate?.ToString() ?? "off"}{Environment.NewLine}"
                + $"shrunk from {bytes.Length} to {smallest.Length} bytes: {(smallest.Length <= 2048 ? Convert.ToHexStringLower(smallest) : "(too long to print)")}{Environment.NewLine}{ex}",
                ex);
        }
    }

    /// <summary>
    /// The property for one input: fed whole, then in random reads or through the read loop's direct path, it gives
    /// the same events and the same violation (or one of the payload violations in either order), and stays within
    /// the allocation bounds. The driver checks the call contract and progress on every call.
    /// </summary>
    private static ProtocolViolation Check(byte[] bytes, DeflateParameters? deflate, int seed, PropertyStats stats)
    {
        var random = new Random(seed);
        FeedResult whole = ReceiveDriver.FeedWhole(bytes, MaxMessageSize, deflate);
        FeedResult split = random.Next(2) == 0
            ? ReceiveDriver.Feed(bytes, MaxMessageSize, deflate, ReceiveDriver.RandomReadEnds(bytes.Length, random, maxRead: 4096))
            : ReceiveDriver.FeedLikeReadLoop(bytes, MaxMessageSize, deflate, random, random.Next(2) == 0 ? 1 : 16 * 1024, maxRead: 4096);
        stats.Count("feeds", 2);
        stats.Count(whole.Violation == ProtocolViolation.None ? "outcome_events_only" : "outcome_violation");
        stats.Count("events", whole.Events.Count);

        bool sameOutcome = whole.Events.SequenceEqual(split.Events)
            && (whole.Violation == split.Violation
                || (deflate is not null && s_payloadViolations.Contains(whole.Violation) && s_payloadViolations.Contains(split.Violation)));
        Assert.True(sameOutcome, $"fed whole: {whole}{Environment.NewLine}fed in reads: {split}");
        if (whole.Violation != split.Violation)
        {
            stats.Count("payload_violation_order_differs");
        }

        foreach (FeedResult result in new[] { whole, split })
        {
            stats.Max("call_allocation_bytes", result.MaxCallAllocation);
            stats.Max("stream_overhead_bytes", result.Overhead);
            Assert.True(result.MaxCallAllocation <= CallBound, $"one call allocated {result.MaxCallAllocation} bytes (bound {CallBound})");
            Assert.True(result.Overhead <= OverheadBound, $"the receiver allocated {result.Overhead} bytes beyond its events (bound {OverheadBound})");
        }

        return whole.Violation;
    }

    /// <summary>
    /// Shrinks a failing input: first drops whole frames (as the headers say they lie) while it still fails, then
    /// ever smaller runs of bytes (a bounded delta-debugging pass).
    /// </summary>
    private static byte[] Minimize(byte[] input, Func<byte[], bool> fails)
    {
        int budget = 3000;
        for (bool removed = true; removed && budget > 0;)
        {
            removed = false;
            List<int> starts = FrameStarts(input);
            for (int i = starts.Count - 1; i >= 0 && budget > 0; i--, budget--)
            {
                int end = i + 1 < starts.Count ? starts[i + 1] : input.Length;
                byte[] candidate = [.. input.AsSpan(0, starts[i]), .. input.AsSpan(end)];
                if (fails(candidate))
                {
                    input = candidate;
                    removed = true;
                    break;
                }
            }
        }

        int run = Math.Max(1, input.Length / 2);
        while (run >= 1 && budget > 0)
        {
            bool removed = false;
            for (int start = 0; start < input.Length && budget > 0; budget--)
            {
                byte[] candidate = [.. input.AsSpan(0, start), .. input.AsSpan(Math.Min(input.Length, start + run))];
                if (fails(candidate))
                {
                    input = candidate;
                    removed = true;
                }
                else
                {
                    start += run;
                }
            }

            if (!removed)
            {
                run /= 2;
            }
        }

        return input;
    }

    /// <summary>Where each frame starts, walking the headers' lengths whether or not the frames are valid.</summary>
    private static List<int> FrameStarts(byte[] bytes)
    {
        var starts = new List<int>();
        long offset = 0;
        while (offset + 2 <= bytes.Length)
        {
            starts.Add((int)offset);
            int length7 = bytes[offset + 1] & 0x7F;
            int header = (length7 <= 125 ? 2 : length7 == 126 ? 4 : 10) + ((bytes[offset + 1] & 0x80) != 0 ? 4 : 0);
            if (offset + header > bytes.Length)
            {
                break;
            }

            ulong payload = length7 <= 125 ? (ulong)length7
                : length7 == 126 ? BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan((int)offset + 2))
                : BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan((int)offset + 2));
            offset += header + (long)Math.Min(payload, (ulong)bytes.Length);
        }

        return starts;
    }

    /// <summary>Frames with random fields, mostly defined opcodes, no RSV bits and short random payloads.</summary>
    private static byte[] RandomFrames(Random random)
    {
        var bytes = new List<byte>();
        int frames = random.Next(1, 10);
        for (int i = 0; i < frames; i++)
        {
            int opcode = random.Next(4) == 0 ? random.Next(16) : new[] { 0, 1, 2, 8, 9, 10 }[random.Next(6)];
            int rsv = random.Next(4) == 0 ? random.Next(8) << 4 : 0;
            int fin = random.Next(3) == 0 ? 0 : 0x80;
            int length = random.Next(0, 130);
            bytes.Add((byte)(fin | rsv | opcode));
            bytes.Add((byte)(random.Next(8) == 0 ? 0x80 | length : Math.Min(length, 125)));
            bytes.AddRange(FrameStreamGenerator.Bytes(random, Math.Min(length, 125)));
        }

        return [.. bytes];
    }

    private static byte[] Frame(int b0, byte[] payload)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        FrameStreamGenerator.WriteFrame(writer, null, fin: (b0 & 0x80) != 0, (byte)(b0 & 0x70), (Opcode)(b0 & 0x0F), payload);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] Header64(int b0, long length)
    {
        byte[] header = new byte[10];
        header[0] = (byte)b0;
        header[1] = 127;
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(2), length);
        return header;
    }

    private static byte[] Header16(int b0, int length) => [(byte)b0, 126, (byte)(length >> 8), (byte)length];

    /// <summary>1 MiB of zeros deflated and sync-flushed, 1024 times over, cut into 16 KiB frames of one message: 1 GiB inflated.</summary>
    private static byte[] GigabyteBomb()
    {
        byte[] piece = [.. StreamMutator.Bomb(text: false), 0x00, 0x00, 0xFF, 0xFF];
        byte[] payload = new byte[piece.Length * 1024];
        for (int i = 0; i < 1024; i++)
        {
            piece.CopyTo(payload, i * piece.Length);
        }

        payload = payload[..^4];
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        for (int start = 0; start < payload.Length; start += 16 * 1024)
        {
            int length = Math.Min(16 * 1024, payload.Length - start);
            FrameStreamGenerator.WriteFrame(writer, null, fin: start + length == payload.Length, start == 0 ? FrameHeader.Rsv1 : (byte)0,
                start == 0 ? Opcode.Binary : Opcode.Continuation, payload.AsSpan(start, length));
        }

        return writer.WrittenSpan.ToArray();
    }
}
