using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Whatwg.WebSockets.Benchmarks.EndToEnd;

/// <summary>
/// Runs every end-to-end scenario for our client and <see cref="System.Net.WebSockets.ClientWebSocket"/> against
/// the same server process in the same run, interleaved (the order alternates each repetition), and reports medians
/// and ratios. Writes docs/benchmarks.md and docs/benchmarks.svg.
/// </summary>
internal static class EndToEndSuite
{
    private sealed record Scenario(string Name, string Unit, string Target, double TargetRatio, bool LowerIsBetter,
        Func<Uri, Task<double>> Ours, Func<Uri, Task<double>> Reference);

    private sealed record Row(Scenario Scenario, double Ours, double Reference)
    {
        public double Ratio => Scenario.LowerIsBetter ? Ours / Reference : Ours / Reference;

        public bool Met => Scenario.LowerIsBetter ? Ratio <= Scenario.TargetRatio : Ratio >= Scenario.TargetRatio;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        bool quick = args.Contains("--quick");
        string? output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault();
        int repetitions = int.Parse(args.SkipWhile(a => a != "--reps").Skip(1).FirstOrDefault() ?? (quick ? "2" : "5"), CultureInfo.InvariantCulture);
        int scale = int.Parse(args.SkipWhile(a => a != "--scale").Skip(1).FirstOrDefault() ?? (quick ? "4" : "1"), CultureInfo.InvariantCulture);

        using Process server = StartServer(out Uri baseUri);
        try
        {
            string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
            var scenarios = Build(scale, quick).Where(s => only is null || s.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();

            // "--client ours" or "--client reference" runs one side only (to profile it); the other reads as NaN.
            string? client = args.SkipWhile(a => a != "--client").Skip(1).FirstOrDefault();
            if (client is not null)
            {
                static Task<double> Skip(Uri _) => Task.FromResult(double.NaN);
                scenarios = scenarios.Select(s => client == "ours" ? s with { Reference = Skip } : s with { Ours = Skip }).ToList();
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scenarios.Count} scenarios, {repetitions} repetitions, work divided by {scale}"));
            var samples = scenarios.ToDictionary(s => s, _ => (Ours: new List<double>(), Reference: new List<double>()));

            // Warm-up: JIT both paths.
            if (only is null)
            {
                await OurClient.EchoAsync(baseUri, 16, 20_000, 64);
            await ReferenceClient.EchoAsync(baseUri, 16, 20_000, 64);
            await OurClient.SendAsync(baseUri, 1024, 50_000);
            await ReferenceClient.SendAsync(baseUri, 1024, 50_000);
            }

            for (int r = 0; r < repetitions; r++)
            {
                foreach (Scenario scenario in scenarios)
                {
                    bool oursFirst = r % 2 == 0;
                    double a = oursFirst ? await scenario.Ours(baseUri) : await scenario.Reference(baseUri);
                    double b = oursFirst ? await scenario.Reference(baseUri) : await scenario.Ours(baseUri);
                    samples[scenario].Ours.Add(oursFirst ? a : b);
                    samples[scenario].Reference.Add(oursFirst ? b : a);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{r + 1}/{repetitions}] {scenario.Name,-44} ours {samples[scenario].Ours[^1],14:N1}  ClientWebSocket {samples[scenario].Reference[^1],14:N1} {scenario.Unit}"));
                }
            }

            var rows = scenarios.Select(s => new Row(s, Median(samples[s].Ours), Median(samples[s].Reference))).ToList();
            string table = RenderTable(rows, repetitions);
            Console.WriteLine(table);
            if (output is not null)
            {
                WriteReport(output, table, rows, quick, repetitions);
            }

            return 0;
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static List<Scenario> Build(int scale, bool quick)
    {
        var list = new List<Scenario>();
        void Add(string name, string unit, string target, double ratio, bool lower, Func<Uri, Task<double>> ours, Func<Uri, Task<double>> reference) =>
            list.Add(new Scenario(name, unit, target, ratio, lower, ours, reference));

        Add("echo 16 B, 1 in flight", "msg/s", "≥ 1.15×", 1.15, false,
            async u => (await OurClient.EchoAsync(u, 16, 40_000 / scale, 1)).PerSecond,
            async u => (await ReferenceClient.EchoAsync(u, 16, 40_000 / scale, 1)).PerSecond);
        Add("echo 16 B, 64 in flight", "msg/s", "≥ 1.5×", 1.5, false,
            async u => (await OurClient.EchoAsync(u, 16, 400_000 / scale, 64)).PerSecond,
            async u => (await ReferenceClient.EchoAsync(u, 16, 400_000 / scale, 64)).PerSecond);
        foreach ((int size, long oursCount, long refCount, string target, double ratio, bool mb) in new[]
        {
            (16, 4_000_000L, 300_000L, "≥ 4×", 4.0, false),
            (1024, 1_000_000L, 200_000L, "≥ 2×", 2.0, false),
            (65536, 20_000L, 20_000L, "≥ 0.95×", 0.95, true),
            (1 << 20, 1_500L, 1_500L, "≥ 0.95×", 0.95, true),
        })
        {
            string label = size >= 1024 ? $"{size / 1024} KiB" : $"{size} B";
            if (size == 1 << 20)
            {
                label = "1 MiB";
            }

            Add($"one-way send {label}", mb ? "MB/s" : "msg/s", target, ratio, false,
                async u => Pick(await OurClient.SendAsync(u, size, oursCount / scale), mb),
                async u => Pick(await ReferenceClient.SendAsync(u, size, refCount / scale), mb));
        }

        foreach ((int size, long count, string target, double ratio, bool mb) in new[]
        {
            (16, 2_000_000L, "≥ 0.75×", 0.75, false),
            (1024, 500_000L, "≥ 1×", 1.0, false),
            (65536, 20_000L, "≥ 0.9×", 0.9, true),
            (1 << 20, 1_500L, "≥ 0.9×", 0.9, true),
        })
        {
            string label = size == 1 << 20 ? "1 MiB" : size >= 1024 ? $"{size / 1024} KiB" : $"{size} B";
            Add($"one-way receive {label}", mb ? "MB/s" : "msg/s", target, ratio, false,
                async u => Pick(await OurClient.ReceiveAsync(u, size, count / scale), mb),
                async u => Pick(await ReferenceClient.ReceiveAsync(u, size, count / scale), mb));
        }

        // Compressed echo (permessage-deflate, context takeover both ways) of JSON-like text: the server reflects the
        // compressed frames, so both clients' compression and decompression are what is measured.
        foreach ((int size, long count) in new[] { (1024, 200_000L), (16 * 1024, 40_000L) })
        {
            string message = JsonLike(size);
            Add($"compressed echo {size / 1024} KiB JSON, 16 in flight", "MB/s", "≥ 1×", 1.0, false,
                async u => (await OurClient.DeflateEchoAsync(u, message, count / scale, 16)).MegabytesPerSecond,
                async u => (await ReferenceClient.DeflateEchoAsync(u, message, count / scale, 16)).MegabytesPerSecond);
            Add($"client CPU per MB, compressed echo {size / 1024} KiB JSON", "ms/MB", "≤ 1×", 1.0, true,
                async u => CpuPerMegabyte(await OurClient.DeflateEchoAsync(u, message, count / scale / 2, 16)),
                async u => CpuPerMegabyte(await ReferenceClient.DeflateEchoAsync(u, message, count / scale / 2, 16)));
        }

        Add("connects/s (open + close, 4 in parallel)", "conn/s", "≥ 1×", 1.0, false,
            async u => (await OurClient.ConnectAsync(u, 2000 / scale, 4)).PerSecond,
            async u => (await ReferenceClient.ConnectAsync(u, 2000 / scale, 4)).PerSecond);
        Add("client CPU per message, one-way send 16 B", "ns/msg", "≤ 0.5×", 0.5, true,
            async u => (await OurClient.SendAsync(u, 16, 1_000_000 / scale)).CpuNanosecondsPerOperation,
            async u => (await ReferenceClient.SendAsync(u, 16, 200_000 / scale)).CpuNanosecondsPerOperation);
        Add("bytes allocated per sent message (span)", "B/msg", "0", 0.0, true,
            async u => (await OurClient.SendAsync(u, 16, 1_000_000 / scale)).AllocatedPerOperation,
            async u => (await ReferenceClient.SendAsync(u, 16, 200_000 / scale)).AllocatedPerOperation);
        Add("bytes allocated per received 16 B message", "B/msg", "(report)", double.PositiveInfinity, true,
            async u => (await OurClient.ReceiveAsync(u, 16, 1_000_000 / scale)).AllocatedPerOperation,
            async u => (await ReferenceClient.ReceiveAsync(u, 16, 1_000_000 / scale)).AllocatedPerOperation);
        foreach (int connections in quick ? new[] { 1000 } : new[] { 1000, 10_000 })
        {
            Add($"idle memory per connection, {connections:N0} connections (managed heap)", "KiB", "≤ 0.5×", 0.5, true,
                async u => await IdleInChildAsync("ours", connections, u) / 1024,
                async u => await IdleInChildAsync("reference", connections, u) / 1024);
        }

        return list;
    }

    /// <summary>
    /// Idle memory is measured in a fresh process per client: in this one, pooled buffers and garbage from the
    /// other scenarios come and go with each full collection and swamp a few KiB per connection.
    /// </summary>
    private static async Task<double> IdleInChildAsync(string client, int connections, Uri server)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(EndToEndSuite).Assembly.Location, "idle", client, connections.ToString(CultureInfo.InvariantCulture), server.ToString()])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using Process child = Process.Start(start) ?? throw new InvalidOperationException("could not start the idle-memory child");
        string output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }

    private static double CpuPerMegabyte(Measurement m) => m.Cpu.TotalMilliseconds / (m.Bytes / (1024.0 * 1024.0));

    /// <summary>Deterministic JSON-like text of exactly <paramref name="size"/> ASCII bytes: records with varying numbers and names.</summary>
    private static string JsonLike(int size)
    {
        var text = new StringBuilder(size + 128);
        var random = new Random(size);
        string[] names = ["temperature", "pressure", "humidity", "wind", "status"];
        while (text.Length < size)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"sensor\":{random.Next(1000)},\"{names[random.Next(names.Length)]}\":{random.NextDouble() * 100:0.###},\"ok\":{(random.Next(2) == 0 ? "true" : "false")}}},");
        }

        return text.ToString(0, size);
    }

    private static double Pick(Measurement m, bool megabytes) => megabytes ? m.MegabytesPerSecond : m.PerSecond;

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string RenderTable(List<Row> rows, int repetitions)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| scenario | unit | Whatwg.WebSockets | ClientWebSocket | ratio | target | met |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | --- | --- |");
        foreach (Row row in rows)
        {
            string ratio = double.IsFinite(row.Ratio) ? row.Ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—";
            string met = row.Scenario.TargetRatio == double.PositiveInfinity ? "—" : row.Scenario.TargetRatio == 0 ? (row.Ours < 1 ? "yes" : "no") : row.Met ? "yes" : "no";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Scenario.Name} | {row.Scenario.Unit} | {row.Ours:N1} | {row.Reference:N1} | {ratio} | {row.Scenario.Target} | {met} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Medians of {repetitions} interleaved repetitions. Ratios are ours ÷ ClientWebSocket (for CPU, memory and allocation, lower is better).");
        return text.ToString();
    }

    private static void WriteReport(string path, string table, List<Row> rows, bool quick, int repetitions)
    {
        string svgPath = Path.ChangeExtension(path, ".svg");
        File.WriteAllText(svgPath, RenderSvg(rows));
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : "unknown";
        var text = new StringBuilder();
        text.AppendLine("# Benchmarks");
        text.AppendLine();
        text.AppendLine("End to end over loopback: our client and `ClientWebSocket` against the same server process");
        text.AppendLine("(`bench server`, raw sockets, reads big and writes big), in the same run, interleaved; the figures");
        text.AppendLine("are medians and the ratio is ours ÷ ClientWebSocket. Regenerate with:");
        text.AppendLine();
        text.AppendLine("```sh");
        text.AppendLine("bash scripts/bench.sh            # end to end, writes this page and benchmarks.svg");
        text.AppendLine("bash scripts/bench.sh micro      # BenchmarkDotNet microbenchmarks");
        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Run {DateTime.UtcNow:yyyy-MM-dd} on {cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}{(quick ? " (quick mode)" : "")}, command line `{string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}`.");
        text.AppendLine();
        text.Append(table);
        text.AppendLine();
        text.AppendLine("![ratios](benchmarks.svg)");
        text.AppendLine();
        text.AppendLine("How each client is used: ours calls `Send` (never awaited; `FlushAsync` when more than 4 MiB is queued) and");
        text.AppendLine("receives through `OnMessage`, one `MessageEvent` per message; `ClientWebSocket` awaits one `SendAsync` per");
        text.AppendLine("message and receives into a pooled 64 KiB buffer. Idle memory (each client in a fresh process): N open connections, each `ClientWebSocket`");
        text.AppendLine("with a pending `ReceiveAsync` into its own 4 KiB buffer; the managed heap after");
        text.AppendLine("a full GC minus the same before they were opened, divided by N. CPU is the client process's CPU time");
        text.AppendLine("divided by the messages sent.");

        // Hand-written analysis below the marker survives a regeneration.
        const string Marker = "<!-- notes: kept when this page is regenerated -->";
        string old = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        int notes = old.IndexOf(Marker, StringComparison.Ordinal);
        if (notes >= 0)
        {
            text.AppendLine();
            text.Append(old.AsSpan(notes));
        }

        File.WriteAllText(path, text.ToString());
    }

    private static string RenderSvg(List<Row> rows)
    {
        var finite = rows.Where(r => double.IsFinite(r.Ratio) && r.Reference > 0 && r.Scenario.TargetRatio is > 0 and < double.PositiveInfinity).ToList();
        int barHeight = 22, gap = 8, left = 330, width = 860, top = 40;
        int height = top + finite.Count * (barHeight + gap) + 30;
        double max = Math.Max(2, finite.Max(r => r.Scenario.LowerIsBetter ? 1 / Math.Max(r.Ratio, 1e-9) : r.Ratio));
        double scale = (width - left - 60) / Math.Log2(max * 2);
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        svg.AppendLine("<text x=\"10\" y=\"20\" font-size=\"14\">Whatwg.WebSockets vs ClientWebSocket: advantage factor (log scale; 1× = equal; right of the mark = target met)</text>");
        double x1 = left + scale * Math.Log2(2); // position of 1x on a log2 axis starting at 0.5x
        foreach ((Row row, int i) in finite.Select((r, i) => (r, i)))
        {
            double advantage = row.Scenario.LowerIsBetter ? 1 / Math.Max(row.Ratio, 1e-9) : row.Ratio;
            double target = row.Scenario.LowerIsBetter ? 1 / row.Scenario.TargetRatio : row.Scenario.TargetRatio;
            double x = left + scale * Math.Log2(Math.Max(advantage, 0.5) * 2);
            double tx = left + scale * Math.Log2(Math.Max(target, 0.5) * 2);
            int y = top + i * (barHeight + gap);
            string colour = row.Met ? "#2e7d32" : "#c62828";
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left - 8}\" y=\"{y + 15}\" text-anchor=\"end\">{System.Security.SecurityElement.Escape(row.Scenario.Name)}</text>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y}\" width=\"{Math.Max(1, x - left):0}\" height=\"{barHeight}\" fill=\"{colour}\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{tx:0}\" x2=\"{tx:0}\" y1=\"{y - 2}\" y2=\"{y + barHeight + 2}\" stroke=\"black\" stroke-width=\"2\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x + 4:0}\" y=\"{y + 15}\">{advantage:0.00}×</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x1:0}\" x2=\"{x1:0}\" y1=\"{top - 6}\" y2=\"{height - 24}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x1:0}\" y=\"{height - 8}\" text-anchor=\"middle\">1×</text>");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static Process StartServer(out Uri baseUri)
    {
        string self = typeof(EndToEndSuite).Assembly.Location;
        var start = new ProcessStartInfo("dotnet", [self, "server"])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start the bench server");
        string? line = process.StandardOutput.ReadLine();
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the bench server did not start: {line}");
        }

        baseUri = new Uri($"ws://127.0.0.1:{line["listening ".Length..]}/");
        return process;
    }
}
