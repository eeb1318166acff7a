using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Whatwg.WebSockets.Cli.Bench;

/// <summary>
/// The end-of-run report: a table and a latency histogram for people, or one JSON object for programs.
/// On a terminal the header is bold, errors red and bars coloured blocks. Otherwise the text is plain: no escape
/// codes, ASCII only (bars are '#'), 80 columns, so pipes, logs and scripts get the same text everywhere.
/// </summary>
/// <remarks>
/// Drawn with Spectre.Console, on a console made for the purpose (<see cref="Screens.Create"/>) that writes into a
/// string: its table measures the columns and its styles do the colours, while the plain form stays fixed by
/// forcing no ANSI, no colour, ASCII and a width of 80. The table uses <see cref="HeaderRuleBorder"/> rather than
/// a box so that its row of values never wraps; the histogram is a grid with a bar column, because a bar chart
/// has room for one value per bar and bench shows a count and a percentage.
/// </remarks>
internal static class BenchReport
{
    private const int BarWidth = 40;

    /// <summary>The table and the histogram, styled for a terminal or plain.</summary>
    public static string Text(BenchResult result, bool styled)
    {
        ArgumentNullException.ThrowIfNull(result);
        BenchSettings settings = result.Settings;
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        IAnsiConsole console = Screens.Create(text, styled);
        Style bold = styled ? new Style(decoration: Decoration.Bold) : Style.Plain;
        Style grey = styled ? new Style(Color.Grey) : Style.Plain;

        // A URL has no spaces to wrap at: a long one is folded at the width, not moved below "wsc bench:".
        string title = "wsc bench: " + settings.DisplayUrl;
        for (int at = 0; at < title.Length; at += console.Profile.Width)
        {
            console.WriteLine(title.Substring(at, Math.Min(console.Profile.Width, title.Length - at)));
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Plural(settings.Connections, "connection")}, {settings.Size}-byte {(settings.Binary ? "binary" : "text")} messages, {settings.InFlight} in flight each")
            + (result.Extensions.Contains("permessage-deflate", StringComparison.Ordinal) ? ", deflate on" : string.Empty));
        console.WriteLine((settings.Rate is double rate ? string.Create(CultureInfo.InvariantCulture, $"{rate:0.##} messages/s in all") : "as fast as echoes return")
            + string.Create(CultureInfo.InvariantCulture, $"; measured {result.Elapsed.TotalSeconds:0.0##} s after {settings.Warmup.TotalSeconds:0.###} s of warm-up"));
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.Sent} sent, {result.Echoed} echoed intact"));
        console.WriteLine();

        // The table: one row, latency in milliseconds.
        LatencyHistogram latency = result.Latency;
        var table = new Table()
            .Border(styled ? HeaderRuleBorder.Styled : HeaderRuleBorder.Plain)
            .BorderStyle(grey);
        string[] header = ["conns", "messages", "msgs/s", "MB/s", "p50", "p90", "p99", "max", "errors"];
        for (int i = 0; i < header.Length; i++)
        {
            var column = new TableColumn(new Text(header[i], bold)).NoWrap().Padding(i == 0 ? 0 : 1, 0, 0, 0);
            table.AddColumn(i == 0 ? column.LeftAligned() : column.RightAligned());
        }

        Style errors = styled && result.ErrorCount > 0 ? new Style(Color.Red, decoration: Decoration.Bold) : Style.Plain;
        table.AddRow(
            new Text(string.Create(CultureInfo.InvariantCulture, $"{result.Opened}/{settings.Connections}")),
            new Text(result.Echoed.ToString(CultureInfo.InvariantCulture)),
            new Text(result.MessagesPerSecond.ToString("0.0", CultureInfo.InvariantCulture)),
            new Text(result.MegabytesPerSecond.ToString("0.000", CultureInfo.InvariantCulture)),
            new Text(Milliseconds(latency.Percentile(50))),
            new Text(Milliseconds(latency.Percentile(90))),
            new Text(Milliseconds(latency.Percentile(99))),
            new Text(Milliseconds(latency.Max)),
            new Text(result.ErrorCount.ToString(CultureInfo.InvariantCulture), errors));
        console.Write(table);
        console.WriteLine("p50, p90, p99 and max: latency in ms", grey);

        if (latency.Count > 0)
        {
            console.WriteLine();
            console.WriteLine("latency histogram (ms)", bold);
            var histogram = new Grid();
            histogram.AddColumn(new GridColumn().RightAligned().NoWrap().Padding(0, 0, 1, 0));                 // from
            histogram.AddColumn(new GridColumn().LeftAligned().NoWrap().Padding(0, 0, 2, 0));                  // - to
            histogram.AddColumn(new GridColumn().LeftAligned().NoWrap().Width(1 + BarWidth).Padding(0, 0, 2, 0)); // |bar
            histogram.AddColumn(new GridColumn().RightAligned().NoWrap().Padding(0, 0, 2, 0));                 // count
            histogram.AddColumn(new GridColumn().RightAligned().NoWrap().Padding(0, 0, 0, 0));                 // percent
            List<(double From, double To, long Count)> buckets = Buckets(latency);
            long most = buckets.Max(bucket => bucket.Count);
            foreach ((double from, double to, long count) in buckets)
            {
                int length = count == 0 ? 0 : Math.Max(1, (int)Math.Round((double)count / most * BarWidth));
                var bar = new Paragraph(styled ? "│" : "|", grey)
                    .Append(new string(styled ? '█' : '#', length), styled ? new Style(Color.Aqua) : Style.Plain);
                double percent = 100.0 * count / latency.Count;
                histogram.AddRow(
                    new Text(Edge(from)),
                    new Text("- " + Edge(to)),
                    bar,
                    new Text(count.ToString(CultureInfo.InvariantCulture)),
                    new Text(string.Create(CultureInfo.InvariantCulture, $"{percent:0.0}%")));
            }

            console.Write(histogram);
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
