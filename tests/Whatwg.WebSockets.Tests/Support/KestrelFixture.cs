using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Tests.Support;

/// <summary>One in-process Kestrel peer shared by the tests of a collection.</summary>
public sealed class KestrelFixture : IAsyncLifetime
{
    private KestrelServer? _server;

    public KestrelServer Server => _server ?? throw new InvalidOperationException("Kestrel has not started.");

    /// <summary>The ws:// URL of a path on the server, as a string.</summary>
    public string Url(string pathAndQuery) => Server.Url(pathAndQuery).ToString();

    public async Task InitializeAsync() => _server = await KestrelServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class KestrelCollection : ICollectionFixture<KestrelFixture>
{
    public const string Name = "Kestrel peer";
}

/// <summary>Options for tests: no keep-alive pings, short close timeout.</summary>
internal static class TestOptions
{
    public static WebSocketOptions Quiet(Action<WebSocketOptions>? configure = null)
    {
        var options = new WebSocketOptions
        {
            KeepAliveInterval = System.Threading.Timeout.InfiniteTimeSpan,
            CloseTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return options;
    }
}
