using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Whatwg.WebSockets.Cli.Bench;

/// <summary>
/// The end-of-run report: a table and a latency histogram for people, or one JSON object for programs.
/// Plain text fits 80 columns; on a terminal the header is bold, errors red and bars solid blocks, otherwise
/// there are no escape codes and bars are '#', so pipes and logs get plain ASCII.
/// </summary>
/// <remarks>
/// Drawn by hand rather than with a console rendering library: it is one table, one bar chart and one progress
/// line; the plain form that scripts and tests read stays exactly under our control; and the tool keeps to
/// System.CommandLine as its only package.
/// </remarks>
internal static class BenchReport
{
    private const int BarWidth = 40;

    /// <summary>The table and the histogram.</summary>
    public static string Text(BenchResult result, bool terminal)
    {
        ArgumentNullException.ThrowIfNull(result);
        BenchSettings settings = result.Settings;
        var text = new StringBuilder();
        string bold = terminal ? "\e[1m" : string.Empty;
        string red = terminal ? "\e[31m" : string.Empty;
        string cyan = terminal ? "\e[36m" : string.Empty;
        string reset = terminal ? "\e[0m" : string.Empty;

        text.Append(CultureInfo.InvariantCulture, $"wsc bench: {settings.DisplayUrl}").AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"{Plural(settings.Connections, "connection")}, {settings.Size}-byte {(settings.Binary ? "binary" : "text")} messages, {settings.InFlight} in flight each")
            .Append(result.Extensions.Contains("permessage-deflate", StringComparison.Ordinal) ? ", deflate on" : string.Empty)
            .AppendLine();
        text.Append(settings.Rate is double rate ? string.Create(CultureInfo.InvariantCulture, $"{rate:0.##} messages/s in all") : "as fast as echoes return")
            .Append(CultureInfo.InvariantCulture, $"; measured {result.Elapsed.TotalSeconds:0.0##} s after {settings.Warmup.TotalSeconds:0.###} s of warm-up")
            .AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"{result.Sent} sent, {result.Echoed} echoed intact")
            .AppendLine().AppendLine();

        // The table: one row, latency in milliseconds.
        LatencyHistogram latency = result.Latency;
        string[] header = ["conns", "messages", "msgs/s", "MB/s", "p50", "p90", "p99", "max", "errors"];
        int[] widths = [5, 8, 9, 7, 7, 7, 7, 7, 6];
        string[] row =
        [
            string.Create(CultureInfo.InvariantCulture, $"{result.Opened}/{settings.Connections}"),
            result.Echoed.ToString(CultureInfo.InvariantCulture),
            result.MessagesPerSecond.ToString("0.0", CultureInfo.InvariantCulture),
            result.MegabytesPerSecond.ToString("0.000", CultureInfo.InvariantCulture),
            Milliseconds(latency.Percentile(50)),
            Milliseconds(latency.Percentile(90)),
            Milliseconds(latency.Percentile(99)),
            Milliseconds(latency.Max),
            result.ErrorCount.ToString(CultureInfo.InvariantCulture),
        ];
        int latencyColumn = widths[..4].Sum() + (4 * 2);
        const string Title = " latency (ms) ";
        int span = widths[4..8].Sum() + (3 * 2);
        int left = (span - Title.Length) / 2;
        text.Append(' ', latencyColumn).Append('-', left).Append(Title).Append('-', span - Title.Length - left).AppendLine();
        text.Append(bold).Append(Row(header, widths)).Append(reset).AppendLine();
        string values = Row(row, widths);
        if (result.ErrorCount > 0 && terminal)
        {
            int cut = values.Length - widths[^1];
            values = values[..cut] + red + values[cut..] + reset;
        }

        text.Append(values).AppendLine();

        if (latency.Count > 0)
        {
            text.AppendLine().Append(bold).Append("latency histogram (ms)").Append(reset).AppendLine();
            List<(double From, double To, long Count)> buckets = Buckets(latency);
            long most = buckets.Max(bucket => bucket.Count);
            for (int i = 0; i < buckets.Count; i++)
            {
                (double from, double to, long count) = buckets[i];
                int length = count == 0 ? 0 : Math.Max(1, (int)Math.Round((double)count / most * BarWidth));
                string bar = new(terminal ? '█' : '#', length);
                double percent = 100.0 * count / latency.Count;
                text.Append(CultureInfo.InvariantCulture, $"{Edge(from),8} - {Edge(to),-6} |")
                    .Append(cyan).Append(bar).Append(reset).Append(' ', BarWidth - length)
                    .Append(CultureInfo.InvariantCulture, $" {count,9} {percent,5:0.0}%")
                    .AppendLine();
            }
        }

        return text.ToString();
    }

    /// <summary>One JSON object: settings, totals, latency in ms, histogram, errors and the exit code.</summary>
    public static string Json(BenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        BenchSettings settings = result.Settings;
        LatencyHistogram latency = result.Latency;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("url", settings.DisplayUrl);
            json.WriteNumber("connections", settings.Connections);
            json.WriteNumber("connected", result.Opened);
            json.WriteNumber("size", settings.Size);
            json.WriteBoolean("binary", settings.Binary);
            json.WriteNumber("inFlight", settings.InFlight);
            json.WriteString("extensions", result.Extensions);
            if (settings.Rate is double rate)
            {
                json.WriteNumber("rate", rate);
            }
            else
            {
                json.WriteNull("rate");
            }

            json.WriteNumber("warmupSeconds", settings.Warmup.TotalSeconds);
            json.WriteNumber("durationSeconds", settings.Duration.TotalSeconds);
            json.WriteNumber("elapsedSeconds", Math.Round(result.Elapsed.TotalSeconds, 6));
            json.WriteNumber("sent", result.Sent);
            json.WriteNumber("messages", result.Echoed);
            json.WriteNumber("messagesPerSecond", Math.Round(result.MessagesPerSecond, 3));
            json.WriteNumber("megabytesPerSecond", Math.Round(result.MegabytesPerSecond, 6));
            json.WriteStartObject("latencyMs");
            json.WriteNumber("min", latency.Min / 1000.0);
            json.WriteNumber("mean", Math.Round(latency.Mean / 1000.0, 6));
            json.WriteNumber("p50", latency.Percentile(50) / 1000.0);
            json.WriteNumber("p90", latency.Percentile(90) / 1000.0);
            json.WriteNumber("p99", latency.Percentile(99) / 1000.0);
            json.WriteNumber("max", latency.Max / 1000.0);
            json.WriteEndObject();
            json.WriteNumber("errors", result.ErrorCount);
            json.WriteStartArray("errorDetails");
            foreach (BenchError error in result.Errors)
            {
                json.WriteStartObject();
                json.WriteString("kind", error.Kind);
                json.WriteString("message", error.Message.StartsWith("wsc: ", StringComparison.Ordinal) ? error.Message[5..] : error.Message);
                json.WriteNumber("count", error.Count);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("perConnection");
            for (int i = 0; i < result.EchoedPerConnection.Count; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("messages", result.EchoedPerConnection[i]);
                json.WriteNumber("errors", result.ErrorsPerConnection[i]);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("histogram");
            if (latency.Count > 0)
            {
                foreach ((double from, double to, long count) in Buckets(latency))
                {
                    json.WriteStartObject();
                    json.WriteNumber("fromMs", from / 1000.0);
                    json.WriteNumber("toMs", to / 1000.0);
                    json.WriteNumber("count", count);
                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();
            json.WriteNumber("exitCode", result.ExitCode);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Log-scaled display buckets in µs, with edges at 1, 2 and 5 times a power of ten, from the one that holds
    /// the fastest message to the one that holds the slowest. The first takes everything below it and the last
    /// everything above, so the counts add up to the total.
    /// </summary>
    internal static List<(double From, double To, long Count)> Buckets(LatencyHistogram latency)
    {
        var edges = new List<double>();
        double edge = 1;
        while (NextEdge(edge) <= Math.Max(latency.Min, 1))
        {
            edge = NextEdge(edge);
        }

        edges.Add(edge);
        do
        {
            edge = NextEdge(edge);
            edges.Add(edge);
        }
        while (edge <= latency.Max);

        var buckets = new List<(double, double, long)>();
        for (int i = 0; i + 1 < edges.Count; i++)
        {
            double from = i == 0 ? double.NegativeInfinity : edges[i];
            double to = i + 2 == edges.Count ? double.PositiveInfinity : edges[i + 1];
            buckets.Add((edges[i], edges[i + 1], latency.CountBetween(from, to)));
        }

        return buckets;
    }

    private static double NextEdge(double edge)
    {
        double decade = Math.Pow(10, Math.Floor(Math.Log10(edge) + 1e-9));
        double step = Math.Round(edge / decade);
        return step switch
        {
            1 => 2 * decade,
            2 => 5 * decade,
            _ => 10 * decade,
        };
    }

    private static string Row(string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                line.Append("  ");
            }

            line.Append(cells[i].PadLeft(widths[i]));
        }

        return line.ToString();
    }

    /// <summary>µs as ms with three or four significant digits.</summary>
    private static string Milliseconds(double microseconds)
    {
        double ms = microseconds / 1000.0;
        string format = ms switch
        {
            < 10 => "0.000",
            < 100 => "0.00",
            < 1000 => "0.0",
            _ => "0",
        };
        return ms.ToString(format, CultureInfo.InvariantCulture);
    }

    /// <summary>A bucket edge (µs) in ms, without trailing zeros.</summary>
    private static string Edge(double microseconds) => (microseconds / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Plural(long count, string noun) => string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");
}
