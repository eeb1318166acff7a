namespace Whatwg.WebSockets.Tests.Peers;

/// <summary>Locates the repository and the peer programs relative to the test assembly.</summary>
public static class PeerPaths
{
    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    /// <summary>The repository root: the nearest ancestor of the test assembly folder holding tests/peers/node/server.js.</summary>
    public static string RepoRoot => s_repoRoot.Value;

    /// <summary>tests/peers/node under the repository root.</summary>
    public static string NodePeerDirectory => Path.Combine(RepoRoot, "tests", "peers", "node");

    private static string FindRepoRoot()
    {
        string marker = Path.Combine("tests", "peers", "node", "server.js");
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, marker)))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException(
            $"Could not find the repository root (a folder containing {marker}) above {AppContext.BaseDirectory}.");
    }
}
