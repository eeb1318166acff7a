using System.Buffers.Binary;
using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Peers;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>
/// RFC 6455 §5.3: masking keys must be unpredictable, from a strong source of entropy. A test cannot prove a
/// generator cryptographic, but it can catch the usual mistakes (a constant key, a counter, a reused block,
/// a seeded PRNG restarted per connection, biased bits) on keys captured off the wire by a server.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class MaskingKeyTests(ITestOutputHelper output)
{
    private const int FrameCount = 100_000;

    [Fact]
    public async Task Masking_keys_of_100k_frames_look_uniformly_random()
    {
        var keys = new uint[FrameCount];
        int badPayloads = 0;
        int unmasked = 0;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            conn.ReadTimeout = TimeSpan.FromSeconds(20);
            for (int i = 0; i < FrameCount; i++)
            {
                Frame frame = await conn.ReadFrameAsync();
                if (!frame.WasMasked || frame.MaskKey is null)
                {
                    unmasked++;
                    continue;
                }

                keys[i] = BinaryPrimitives.ReadUInt32BigEndian(frame.MaskKey);
                if (frame.Opcode != 0x2 || frame.Payload.Length != 4 || BinaryPrimitives.ReadInt32BigEndian(frame.Payload) != i)
                {
                    badPayloads++;
                }
            }

            Frame close = await conn.ReadFrameAsync();
            Assert.True(close.IsClose);
            await conn.WriteAsync(ScriptedServer.CloseFrame(1000));
        });

        WebSocketOptions options = FailureEventLog.Options();
        options.Compression = null;
        await using (var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, options), out EventGate gate))
        {
            var log = new FailureEventLog(ws);
            gate.Release();
            await log.WaitForOpenAsync();
            byte[] payload = new byte[4];
            for (int i = 0; i < FrameCount; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(payload, i);
                ws.Send(payload);
            }

            ws.Close(1000);
            await log.WaitForCloseAsync(TimeSpan.FromSeconds(30));
            await server.Completion.WaitAsync(TimeSpan.FromSeconds(30));
            log.AssertClean(1000, string.Empty);
        }

        Assert.Equal(0, unmasked);
        Assert.Equal(0, badPayloads);

        // Duplicates: 100k draws from 2^32 give n(n-1)/2^33 ≈ 1.16 expected collisions (Poisson); 8 or more has p < 1e-5.
        int duplicates = keys.Length - keys.Distinct().Count();
        int zeros = keys.Count(k => k == 0);

        // Each bit is set in half the keys: binomial sd = sqrt(n)/2 ≈ 158; allow ±1000 (6.3 sd).
        int worstBitSkew = Enumerable.Range(0, 32).Max(bit => Math.Abs(keys.Count(k => ((k >> bit) & 1) != 0) - (FrameCount / 2)));

        // Byte values over all 400k key bytes: chi-square with 255 degrees of freedom (mean 255, sd 22.6); allow < 400.
        var counts = new long[256];
        foreach (uint key in keys)
        {
            counts[key & 0xFF]++;
            counts[(key >> 8) & 0xFF]++;
            counts[(key >> 16) & 0xFF]++;
            counts[key >> 24]++;
        }

        double expected = FrameCount * 4 / 256.0;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);

        // A counter or an arithmetic sequence has few distinct steps; random keys have as many as keys.
        int distinctSteps = keys.Zip(keys.Skip(1), (a, b) => unchecked(b - a)).Distinct().Count();

        // Keys repeating with a period (a reused block of keys) show up as equal keys at a fixed distance.
        int periodicRepeats = new[] { 1, 2, 4, 64, 128, 256, 512, 1024 }.Max(d => Enumerable.Range(0, FrameCount - d).Count(i => keys[i] == keys[i + d]));

        output.WriteLine($"{FrameCount} masking keys captured: {duplicates} duplicate(s) (≈1.16 expected at random), {zeros} zero key(s), worst bit skew {worstBitSkew} of {FrameCount / 2}, byte chi-square {chiSquare:0.0} (255 expected), {distinctSteps} distinct steps, worst equal-at-fixed-distance count {periodicRepeats}");
        Assert.InRange(duplicates, 0, 7);
        Assert.InRange(zeros, 0, 1);
        Assert.InRange(worstBitSkew, 0, 1000);
        Assert.InRange(chiSquare, 0, 400);
        Assert.True(distinctSteps > FrameCount * 0.99, $"only {distinctSteps} distinct steps between consecutive keys");
        Assert.InRange(periodicRepeats, 0, 3);
    }

    [Fact]
    public async Task Handshake_keys_are_16_random_bytes_unique_per_connection()
    {
        const int Connections = 60;
        var keys = new System.Collections.Concurrent.ConcurrentBag<string>();
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            keys.Add(request.Key);
            await conn.WriteAsync(ScriptedServer.Response("HTTP/1.1 403 Forbidden", "Content-Length: 0"));
        });

        for (int i = 0; i < Connections; i++)
        {
            using var ws = new WebSocket(server.BaseUri, null, FailureEventLog.Options());
            CloseEvent close = await ws.WhenClosed.WaitAsync(FailureEventLog.Wait);
            Assert.Equal(1006, close.Code);
        }

        Assert.Equal(Connections, keys.Count);
        Assert.All(keys, key => Assert.Equal(16, Convert.FromBase64String(key).Length));
        Assert.Equal(Connections, keys.Distinct().Count());

        // The keys' bytes are not from a seeded PRNG restarted per process or per socket: no two share a prefix.
        Assert.Equal(Connections, keys.Select(k => Convert.FromBase64String(k)[..4].Aggregate(0, (a, b) => (a << 8) | b)).Distinct().Count());
        output.WriteLine($"{Connections} handshakes: {keys.Distinct().Count()} distinct 16-byte Sec-WebSocket-Key values");
    }
}
