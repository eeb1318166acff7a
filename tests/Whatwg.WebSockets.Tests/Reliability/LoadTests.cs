using Whatwg.WebSockets.Load;
using Xunit.Abstractions;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>
/// The load runner of bench/Whatwg.WebSockets.Load at CI size: 1,000 connections to an in-process Kestrel server, each
/// exchanging sequence-checked messages both ways for 10 s (the 10,000 x 60 s run is scripts/load.sh). No timing is
/// asserted; only that every connection opened and closed cleanly and nothing was lost, duplicated, reordered or corrupt.
/// </summary>
[Collection(OrderingAndLoadCollection.Name)]
public sealed class LoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ThousandConnectionsForTenSeconds_NothingLostDuplicatedOrReordered_AllCloseCleanly()
    {
        var settings = new LoadSettings
        {
            Connections = 1000,
            Duration = TimeSpan.FromSeconds(10),
            Interval = TimeSpan.FromMilliseconds(250),
            Burst = 1,
            MinSize = 32,
            MaxSize = 512,
            ConnectConcurrency = 32,
            ConnectTimeout = TimeSpan.FromSeconds(120),
            CloseTimeout = TimeSpan.FromSeconds(120),
            DrainTimeout = TimeSpan.FromSeconds(120),
        };
        await using LoadServer server = await LoadServer.StartAsync();
        LoadReport report = await LoadRunner.RunAsync(server.Url, settings, () => Task.FromResult(server.Sample()), serverInProcess: true, progress: null)
            .WaitAsync(TimeSpan.FromMinutes(4));
        string text = report.Format();
        output.WriteLine(text);

        Assert.True(report.Opened == settings.Connections, text);
        Assert.True(report.ClosedCleanly == settings.Connections, text);
        Assert.True(report.WithoutServerCounts == 0, text);
        Assert.True(report.ClientSent > settings.Connections, text);
        Assert.True(report.Lost == 0 && report.Duplicated == 0 && report.Reordered == 0 && report.Corrupt == 0, text);
        Assert.True(report.ServerReceived == report.ClientSent && report.ClientReceived == report.ServerSent && report.ServerSent == report.ClientSent, text);
        Assert.True(report.Problems().Count == 0, text);
    }

    /// <summary>The counting can fail: gaps, late arrivals and repeats are told apart, and a missing tail is lost.</summary>
    [Fact]
    public void LoadSequenceChecker_CountsGapsLateArrivalsRepeatsAndTail()
    {
        var checker = new SequenceChecker();
        foreach (long seq in new long[] { 0, 1, 3, 4, 2, 4, 7 })
        {
            checker.Observe(seq);
        }

        Assert.Equal(7, checker.Received);
        Assert.Equal(8, checker.Next);
        Assert.Equal(1, checker.Reordered);   // 2 came after 3 and 4
        Assert.Equal(1, checker.Duplicated);  // 4 twice
        Assert.Equal(2, checker.Missing);     // 5 and 6
        Assert.Equal(4, checker.Lost(sent: 10)); // 5, 6, and the tail 8 and 9
        SequenceStats stats = checker.ToStats(sent: 12);
        Assert.True(SequenceStats.TryParse(stats.ToString(), out SequenceStats parsed));
        Assert.Equal(stats, parsed);
        Assert.True(stats.ToString().Length <= 123);
    }

    /// <summary>A load message checks out only whole, in its own direction, with every byte as generated.</summary>
    [Fact]
    public void LoadMessage_DetectsCutChangedAndMisdirectedMessages()
    {
        byte[] message = new byte[200];
        LoadMessage.Write(message, connection: 7, sequence: 12345, length: message.Length, fromServer: false);
        Assert.True(LoadMessage.TryRead(message, fromServer: false, out uint connection, out long sequence));
        Assert.Equal((7u, 12345L), (connection, sequence));
        Assert.False(LoadMessage.TryRead(message, fromServer: true, out _, out _));
        Assert.False(LoadMessage.TryRead(message.AsSpan(0, 199), fromServer: false, out _, out _));
        message[150] ^= 0x40;
        Assert.False(LoadMessage.TryRead(message, fromServer: false, out _, out _));
    }
}
