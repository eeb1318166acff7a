namespace Whatwg.WebSockets.Cli.Bench;

/// <summary>What <c>wsc bench</c> was asked to do, checked.</summary>
internal sealed record BenchSettings
{
    /// <summary>The server's URL; set to the embedded server's when none was given.</summary>
    public required string Url { get; init; }

    /// <summary>The URL as printed: without user:password.</summary>
    public string DisplayUrl => MessageFormatter.WithoutCredentials(Url);

    /// <summary>How many connections run at once.</summary>
    public int Connections { get; init; } = 10;

    /// <summary>The size of each message in bytes (text: UTF-8 bytes, all ASCII).</summary>
    public int Size { get; init; } = 32;

    /// <summary>Messages per second over all connections, or null to send as fast as echoes come back.</summary>
    public double? Rate { get; init; }

    /// <summary>How long messages are measured, after the warm-up.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long messages are sent but not measured, before the measured part.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many messages each connection may have sent and not yet seen echoed.</summary>
    public int InFlight { get; init; } = 1;

    /// <summary>Send binary messages instead of text.</summary>
    public bool Binary { get; init; }

    /// <summary>The subprotocols to offer.</summary>
    public IReadOnlyList<string> Subprotocols { get; init; } = [];

    /// <summary>The library options: headers, TLS, compression.</summary>
    public required WebSocketOptions Options { get; init; }
}
