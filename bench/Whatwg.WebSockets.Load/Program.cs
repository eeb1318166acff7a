using System.Diagnostics;
using System.Globalization;
using Whatwg.WebSockets.Load;

// load run [options]    open N connections to a local server, exchange sequence-checked messages, print the figures
// load server [--port P] the server alone: prints `listening <port>`, answers a `stats` line on stdin, exits when stdin ends
//
// run options (defaults in brackets):
//   --connections N [10000]  --duration S [60]  --interval MS [1000]  --burst N [1]  --window N [16] (most unanswered per connection)
//   --min-size B [32]  --max-size B [256]  --connect-concurrency N [64]
//   --drain S [60] (how long to wait for the last replies)  --keepalive S [20] (client ping interval; 0: off)
//   --server process|inproc|ws://host:port/load [process]: a child `load server`, Kestrel in this process, or a given server
// Exit code 0 when every connection opened and closed cleanly and nothing was lost, duplicated, reordered or corrupt.
string mode = args.Length > 0 ? args[0] : "run";
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 1; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

int Int(string name, int fallback) => options.TryGetValue(name, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

if (mode == "server")
{
    await using LoadServer server = await LoadServer.StartAsync(Int("port", 0));
    Console.WriteLine($"listening {server.Url.Port}");
    while (await Console.In.ReadLineAsync() is { } line)
    {
        if (line.Trim() == "stats")
        {
            Console.WriteLine(server.Sample().ToLine());
        }
    }

    return 0;
}

if (mode != "run")
{
    Console.Error.WriteLine("usage: load run [--connections N] [--duration S] [--interval MS] [--burst N] [--window N] [--min-size B] [--max-size B] [--connect-concurrency N] [--drain S] [--keepalive S] [--server process|inproc|URL]");
    Console.Error.WriteLine("       load server [--port P]");
    return 2;
}

var settings = new LoadSettings
{
    Connections = Int("connections", 10_000),
    Duration = TimeSpan.FromSeconds(Int("duration", 60)),
    Interval = TimeSpan.FromMilliseconds(Int("interval", 1000)),
    Burst = Int("burst", 1),
    Window = Int("window", 16),
    DrainTimeout = TimeSpan.FromSeconds(Int("drain", 60)),
    KeepAliveInterval = TimeSpan.FromSeconds(Int("keepalive", 20)),
    MinSize = Int("min-size", 32),
    MaxSize = Int("max-size", 256),
    ConnectConcurrency = Int("connect-concurrency", 64),
};
string where = options.GetValueOrDefault("server", "process");
Console.WriteLine($"load: {settings}; server: {where}");

LoadReport report;
if (where == "inproc")
{
    await using LoadServer server = await LoadServer.StartAsync();
    report = await LoadRunner.RunAsync(server.Url, settings, () => Task.FromResult(server.Sample()), serverInProcess: true, Console.Out);
}
else if (where == "process")
{
    using var child = new Process
    {
        StartInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        },
    };
    child.StartInfo.ArgumentList.Add(typeof(LoadServer).Assembly.Location);
    child.StartInfo.ArgumentList.Add("server");
    child.Start();
    try
    {
        string first = await child.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the server process ended before listening");
        var url = new Uri($"ws://127.0.0.1:{int.Parse(first["listening ".Length..], CultureInfo.InvariantCulture)}/load");
        var ask = new SemaphoreSlim(1);
        async Task<ServerSample> SampleAsync()
        {
            await ask.WaitAsync();
            try
            {
                await child.StandardInput.WriteLineAsync("stats");
                await child.StandardInput.FlushAsync();
                string line = await child.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the server process ended");
                return ServerSample.Parse(line);
            }
            finally
            {
                ask.Release();
            }
        }

        Console.WriteLine($"server process {child.Id} on {url}");
        report = await LoadRunner.RunAsync(url, settings, SampleAsync, serverInProcess: false, Console.Out);
    }
    finally
    {
        child.StandardInput.Close();
        if (!child.WaitForExit(TimeSpan.FromSeconds(15)))
        {
            child.Kill();
        }
    }
}
else
{
    report = await LoadRunner.RunAsync(new Uri(where), settings, serverSample: null, serverInProcess: false, Console.Out);
}

Console.WriteLine();
Console.Write(report.Format());
return report.Problems().Count == 0 ? 0 : 1;
