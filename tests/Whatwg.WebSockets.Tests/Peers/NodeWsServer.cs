using System.Diagnostics;
using System.Text;

namespace Whatwg.WebSockets.Tests.Peers;

/// <summary>
/// The Node.js <c>ws</c> peer (tests/peers/node/server.js) running as a child process on 127.0.0.1.
/// Paths: /echo, /close?code=&amp;reason=, /headers, /flood?size=&amp;count=&amp;binary=1;
/// subprotocol chosen by ?protocol=NAME (if offered) or else the first offered one.
/// </summary>
public sealed class NodeWsServer : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly StringBuilder _stderr;

    private NodeWsServer(Process process, StringBuilder stderr, int port)
    {
        _process = process;
        _stderr = stderr;
        Port = port;
        BaseUri = new Uri($"ws://127.0.0.1:{port}/");
    }

    public int Port { get; }

    /// <summary>ws://127.0.0.1:port/</summary>
    public Uri BaseUri { get; }

    /// <summary>What the server wrote to stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>An address on this server, e.g. <c>Url("/close?code=4001&amp;reason=bye")</c>.</summary>
    public Uri Url(string pathAndQuery) => new(BaseUri, pathAndQuery);

    /// <summary>Starts <c>node server.js --port 0</c> and waits for its <c>listening &lt;port&gt;</c> line.</summary>
    public static async Task<NodeWsServer> StartAsync(bool deflate = false, CancellationToken cancellationToken = default)
    {
        string directory = PeerPaths.NodePeerDirectory;
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "ws")))
        {
            throw new InvalidOperationException(
                $"The Node peer's dependencies are not installed: run `npm ci` in tests/peers/node ({directory}). scripts/test.sh does this.");
        }

        var startInfo = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("server.js");
        startInfo.ArgumentList.Add("--port");
        startInfo.ArgumentList.Add("0");
        if (deflate)
        {
            startInfo.ArgumentList.Add("--deflate");
        }

        var stderr = new StringBuilder();
        var process = new Process { StartInfo = startInfo };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };

        try
        {
            process.Start();
        }
        catch (Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException("Could not start `node` (is Node.js on PATH?).", ex);
        }

        process.BeginErrorReadLine();

        string? line = null;
        Exception? failure = null;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(s_startTimeout);
            try
            {
                line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                failure = new TimeoutException($"node server.js did not report `listening <port>` within {s_startTimeout.TotalSeconds} s.", ex);
            }
        }

        if (failure is null && line is not null && line.StartsWith("listening ", StringComparison.Ordinal)
            && int.TryParse(line.AsSpan("listening ".Length), out int port))
        {
            // Keep draining stdout so the child never blocks on a full pipe.
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            return new NodeWsServer(process, stderr, port);
        }

        await StopAsync(process);
        string errors;
        lock (stderr)
        {
            errors = stderr.ToString();
        }

        process.Dispose();
        string what = failure?.Message ?? (line is null
            ? "node server.js exited before reporting `listening <port>`."
            : $"node server.js printed an unexpected first line: {line}");
        throw new InvalidOperationException($"{what}{Environment.NewLine}stderr:{Environment.NewLine}{errors}", failure);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_process);
        _process.Dispose();
    }

    private static async Task StopAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // Already exited or never started.
        }
        catch (OperationCanceledException)
        {
            // Did not exit in time after being killed; nothing more to do.
        }
    }
}

/// <summary>
/// Starts one <see cref="NodeWsServer"/> per test collection (or per class via IClassFixture).
/// Use with <c>[Collection(NodeWsCollection.Name)]</c> and a constructor parameter of this type.
/// </summary>
public sealed class NodeWsServerFixture : IAsyncLifetime
{
    private NodeWsServer? _server;

    public NodeWsServer Server => _server ?? throw new InvalidOperationException("The Node peer has not been started.");

    public Uri BaseUri => Server.BaseUri;

    public Uri Url(string pathAndQuery) => Server.Url(pathAndQuery);

    public async Task InitializeAsync() => _server = await NodeWsServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>The xunit collection sharing one Node peer.</summary>
[CollectionDefinition(Name)]
public sealed class NodeWsCollection : ICollectionFixture<NodeWsServerFixture>
{
    public const string Name = "Node ws peer";
}
