using System.Net.Sockets;
using Whatwg.WebSockets.Tests.Failures;
using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>The leak checks can fail: they see a client socket left open and a WebSocket still rooted.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class LeakProbeSelfTests
{
    private static readonly List<object> s_rooted = [];

    [Fact]
    public async Task Socket_count_sees_an_open_client_socket_and_its_close()
    {
        Assert.True(LeakProbe.CanCountSockets, "these checks need Linux /proc");
        await using var server = ScriptedServer.Start(async conn => await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        int before = LeakProbe.SocketDescriptors();
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, server.Port);
            Assert.Equal(1, LeakProbe.ClientSocketsTo(server.Port));
            Assert.True(LeakProbe.SocketDescriptors() > before);
        }

        Assert.Equal(0, await LeakProbe.WaitForNoClientSocketsToAsync(server.Port));
    }

    [Fact]
    public async Task Collectability_check_sees_a_rooted_socket()
    {
        await using var server = ScriptedServer.Start(async conn => await FailureEventLog.AcceptAsync(conn));
        WeakReference reference = await OpenAndCloseAsync(server.BaseUri, root: true);
        Assert.False(await LeakProbe.WaitUntilCollectedAsync(reference), "a socket held by a static list must not look collected");
        lock (s_rooted)
        {
            s_rooted.Clear();
        }

        Assert.True(await LeakProbe.WaitUntilCollectedAsync(reference));
    }

    private static async Task<WeakReference> OpenAndCloseAsync(Uri url, bool root)
    {
        var ws = new WebSocket(url, null, FailureEventLog.Options());
        await ws.WhenClosed.WaitAsync(FailureEventLog.Wait);
        if (root)
        {
            lock (s_rooted)
            {
                s_rooted.Add(ws);
            }
        }

        return LeakProbe.Weak(ws);
    }
}
