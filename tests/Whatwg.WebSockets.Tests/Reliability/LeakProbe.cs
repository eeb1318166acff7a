using System.Globalization;
using System.Runtime.CompilerServices;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Reliability;

/// <summary>
/// The reliability tests run one at a time, after the parallel ones, so that counting this process's sockets
/// and collecting garbage measure only what the test under way left behind.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection : ICollectionFixture<KestrelFixture>
{
    public const string Name = "Reliability (serial)";
}

/// <summary>
/// Counts what a finished connection may have left behind: TCP sockets this process still holds open
/// towards a port (read from /proc/self/fd and /proc/net/tcp{,6}), and whether a socket object is still
/// reachable (a live timer, read loop or write loop roots it through its connection).
/// </summary>
internal static class LeakProbe
{
    /// <summary>How long a leak check waits for sockets to close and objects to become collectable.</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(5);

    /// <summary>Whether this platform exposes the /proc files the socket counts read.</summary>
    public static bool CanCountSockets => File.Exists("/proc/net/tcp") && Directory.Exists("/proc/self/fd");

    /// <summary>How many file descriptors of this process are sockets (any kind).</summary>
    public static int SocketDescriptors() => SocketInodes().Count;

    /// <summary>
    /// How many TCP sockets this process holds open whose remote port is <paramref name="port"/>:
    /// the client ends of connections to a local server on that port. TIME_WAIT leftovers belong to no
    /// descriptor and are not counted.
    /// </summary>
    public static int ClientSocketsTo(int port)
    {
        HashSet<long> mine = SocketInodes();
        int count = 0;
        foreach (string file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (string line in File.ReadLines(file).Skip(1))
            {
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10)
                {
                    continue;
                }

                string remote = fields[2];
                int remotePort = int.Parse(remote[(remote.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                long inode = long.Parse(fields[9], CultureInfo.InvariantCulture);
                if (remotePort == port && inode != 0 && mine.Contains(inode))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Polls <see cref="ClientSocketsTo"/> until it is 0 or <see cref="SettleTime"/> has passed; returns the last count.</summary>
    public static async Task<int> WaitForNoClientSocketsToAsync(int port)
    {
        var deadline = DateTime.UtcNow + SettleTime;
        int count;
        while ((count = ClientSocketsTo(port)) != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return count;
    }

    /// <summary>Polls <see cref="SocketDescriptors"/> until it is at most <paramref name="baseline"/> or <see cref="SettleTime"/> has passed.</summary>
    public static async Task<int> WaitForSocketDescriptorsAtMostAsync(int baseline)
    {
        var deadline = DateTime.UtcNow + SettleTime;
        int count;
        while ((count = SocketDescriptors()) > baseline && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return count;
    }

    /// <summary>
    /// Collects garbage until <paramref name="reference"/>'s target is gone or <see cref="SettleTime"/> has passed:
    /// true when it was collected.
    /// </summary>
    public static async Task<bool> WaitUntilCollectedAsync(WeakReference reference)
    {
        var deadline = DateTime.UtcNow + SettleTime;
        while (true)
        {
            FullCollect();
            if (!reference.IsAlive)
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A blocking, compacting collection of every generation, finalizers included.</summary>
    public static void FullCollect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>A weak reference made in a frame of its own, so no local of the caller keeps the target alive.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static WeakReference Weak(object target) => new(target);

    private static HashSet<long> SocketInodes()
    {
        var inodes = new HashSet<long>();
        foreach (string fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed while we looked
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && target.EndsWith(']'))
            {
                inodes.Add(long.Parse(target.AsSpan(8, target.Length - 9), CultureInfo.InvariantCulture));
            }
        }

        return inodes;
    }
}
