using System.Globalization;
using System.Text;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>
/// One test document for the compression cases: generated on first use, deterministic (integer arithmetic and a
/// fixed-seed generator only, so every machine gets the same bytes), and sent in consecutive slices.
/// </summary>
/// <param name="name">A short name for descriptions.</param>
/// <param name="binary">Sent as binary messages (else text: the document is then ASCII, so any slice is valid UTF-8).</param>
/// <param name="generate">Makes the document.</param>
public sealed class CompressionPayload(string name, bool binary, Func<byte[]> generate)
{
    private readonly Lazy<byte[]> _data = new(generate);

    public string Name { get; } = name;

    public bool Binary { get; } = binary;

    public byte[] Data => _data.Value;

    /// <summary>
    /// The next <paramref name="length"/> bytes from <paramref name="cursor"/>, wrapping around at the end of the
    /// document, and the cursor moved past them.
    /// </summary>
    public byte[] Slice(ref int cursor, int length)
    {
        byte[] data = Data;
        byte[] slice = new byte[length];
        for (int filled = 0; filled < length;)
        {
            int take = Math.Min(length - filled, data.Length - cursor);
            data.AsSpan(cursor, take).CopyTo(slice.AsSpan(filled));
            filled += take;
            cursor = (cursor + take) % data.Length;
        }

        return slice;
    }
}

/// <summary>
/// The five documents of group 12, in the kinds the original suite uses (its own files are not used): a large
/// JSON document, a black-and-white bitmap, prose, a large HTML page, and a binary document that mixes
/// compressible structure with incompressible streams. Group 13 uses the JSON document.
/// </summary>
public static class CompressionPayloads
{
    public static CompressionPayload Json { get; } = new("a large JSON document", binary: false, MakeJson);

    public static CompressionPayload Bitmap { get; } = new("a 1-bit black-and-white BMP image, 2048 x 1024, dithered", binary: true, MakeBitmap);

    public static CompressionPayload Prose { get; } = new("human-readable prose, a play in German-like verse (UTF-8)", binary: true, MakeProse);

    public static CompressionPayload Html { get; } = new("a large HTML page", binary: false, MakeHtml);

    public static CompressionPayload Document { get; } = new("a PDF-like binary document, text and tables mixed with incompressible streams", binary: true, MakeDocument);

    /// <summary>In the order of 12.1 to 12.5.</summary>
    public static IReadOnlyList<CompressionPayload> Group12 { get; } = [Json, Bitmap, Prose, Html, Document];

    private static readonly string[] s_englishWords =
    [
        "the", "of", "and", "a", "to", "in", "is", "that", "for", "it", "as", "with", "was", "on", "be", "by", "at", "this", "from", "or",
        "an", "which", "are", "not", "but", "all", "were", "when", "we", "there", "can", "more", "if", "no", "out", "so", "said", "what",
        "up", "its", "about", "into", "than", "them", "only", "other", "new", "some", "could", "time", "these", "two", "may", "then",
        "first", "any", "like", "now", "over", "such", "our", "man", "me", "even", "most", "made", "after", "also", "did", "many",
        "before", "must", "through", "back", "years", "where", "much", "your", "way", "well", "down", "should", "because", "each",
        "just", "those", "people", "how", "too", "little", "state", "good", "very", "make", "world", "still", "own", "see", "work",
        "long", "get", "here", "between", "both", "life", "being", "under", "never", "day", "same", "another", "know", "while", "last",
        "might", "us", "great", "old", "year", "off", "come", "since", "against", "go", "came", "right", "used", "take", "three",
        "harbour", "lantern", "river", "meadow", "engine", "signal", "archive", "window", "protocol", "message", "compression",
        "weather", "station", "market", "bridge", "garden", "letter", "number", "record", "measure", "quiet", "bright", "narrow",
    ];

    private static readonly string[] s_germanWords =
    [
        "und", "der", "die", "das", "nicht", "ich", "du", "ein", "eine", "zu", "mit", "sich", "auf", "ist", "dem", "den", "des", "mir",
        "mich", "wie", "so", "was", "wir", "ihr", "noch", "nur", "doch", "schon", "wenn", "aus", "bei", "nach", "um", "vom", "zum",
        "Herz", "Nacht", "Geist", "Welt", "Zeit", "Licht", "Himmel", "Erde", "Glück", "Träume", "Stunde", "Seele", "Wort", "Tag",
        "schön", "über", "für", "müde", "weiß", "groß", "süß", "kühl", "früh", "spät", "wüst", "fröhlich", "ewig", "still", "hell",
        "Blüte", "Mühe", "Gefühl", "Wärme", "Größe", "Frühling", "Bäume", "Flüsse", "Mädchen", "Bücher", "Grüße", "Hände", "Füße",
        "sprechen", "gehen", "sehen", "träumen", "fühlen", "wissen", "können", "müssen", "dürfen", "möchten", "hören", "glänzen",
        "Wanderer", "Brunnen", "Kammer", "Pforte", "Garten", "Schatten", "Feuer", "Wasser", "Kreis", "Zeichen", "Spiegel", "Pfad",
    ];

    private static readonly string[] s_speakers = ["DER WANDERER", "DIE ALTE", "CHOR", "EINE STIMME", "DER GELEHRTE", "DER SCHÜLER", "DIE WIRTIN", "BEIDE"];

    private static readonly string[] s_firstNames = ["Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kaya", "Liam", "Mara", "Noor", "Otto", "Priya"];

    private static readonly string[] s_lastNames = ["Abara", "Brandt", "Costa", "Dahl", "Eriksen", "Fontaine", "Gupta", "Horvat", "Ishikawa", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov"];

    private static readonly string[] s_cities = ["Lisbon", "Tampere", "Osaka", "Valparaiso", "Graz", "Accra", "Hobart", "Tallinn", "Cusco", "Leipzig", "Nagpur", "Bergen"];

    private static readonly string[] s_tags = ["alpha", "beta", "gamma", "delta", "sigma", "omega", "ionic", "doric", "amber", "cobalt", "slate", "ochre"];

    private static byte[] MakeJson()
    {
        var random = new SplitMix(0x12_01);
        var text = new StringBuilder("[\n");
        for (int id = 1; text.Length < 194_000; id++)
        {
            string first = random.Pick(s_firstNames);
            string last = random.Pick(s_lastNames);
            text.Append(id == 1 ? "" : ",\n");
            text.Append("  {\n");
            text.Append(CultureInfo.InvariantCulture, $"    \"id\": {id},\n");
            text.Append(CultureInfo.InvariantCulture, $"    \"uid\": \"{random.Next():x16}-{random.Next() & 0xFFFFFFFF:x8}\",\n");
            text.Append(CultureInfo.InvariantCulture, $"    \"active\": {(random.Below(3) == 0 ? "false" : "true")},\n");
            text.Append(CultureInfo.InvariantCulture, $"    \"score\": {random.Below(100_000) / 1000}.{random.Below(1000):000},\n");
            text.Append(CultureInfo.InvariantCulture, $"    \"name\": {{ \"first\": \"{first}\", \"last\": \"{last}\" }},\n");
            text.Append(CultureInfo.InvariantCulture, $"    \"email\": \"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}{random.Below(100)}@example.org\",\n");
            text.Append(CultureInfo.InvariantCulture, $"    \"city\": \"{random.Pick(s_cities)}\",\n");
            text.Append(CultureInfo.InvariantCulture, $"    \"location\": {{ \"lat\": {random.Below(180) - 90}.{random.Below(10_000):0000}, \"lon\": {random.Below(360) - 180}.{random.Below(10_000):0000} }},\n");
            text.Append("    \"tags\": [");
            int tagCount = 1 + random.Below(4);
            for (int t = 0; t < tagCount; t++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{(t == 0 ? "" : ", ")}\"{random.Pick(s_tags)}\"");
            }

            text.Append("],\n");
            text.Append(CultureInfo.InvariantCulture, $"    \"joined\": \"20{10 + random.Below(14)}-{1 + random.Below(12):00}-{1 + random.Below(28):00}T{random.Below(24):00}:{random.Below(60):00}:{random.Below(60):00}Z\",\n");
            text.Append("    \"friends\": [");
            int friends = random.Below(4);
            for (int f = 0; f < friends; f++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{(f == 0 ? "\n" : ",\n")}      {{ \"id\": {1 + random.Below(5000)}, \"name\": \"{random.Pick(s_firstNames)} {random.Pick(s_lastNames)}\" }}");
            }

            text.Append(friends == 0 ? "],\n" : "\n    ],\n");
            text.Append("    \"about\": \"").Append(Sentence(ref random, s_englishWords, 8 + random.Below(16))).Append("\"\n");
            text.Append("  }");
        }

        text.Append("\n]\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>
    /// A dithered scene (sky gradient, sun, two ranges of hills, a row of buildings with lit windows, textured
    /// ground) as a bottom-up 1-bit BMP with a black-and-white palette. Floyd-Steinberg error diffusion in
    /// integers gives the mix of noise and regular runs a real dithered picture has.
    /// </summary>
    private static byte[] MakeBitmap()
    {
        const int Width = 2048;
        const int Height = 1024;
        const int RowBytes = Width / 8;
        const int PixelOffset = 14 + 40 + 8;
        var random = new SplitMix(0x12_02);

        int[] farHills = RandomWalk(ref random, Width, 520, 60, 3);
        int[] nearHills = RandomWalk(ref random, Width, 700, 90, 5);
        var buildings = new List<(int Left, int Right, int Top)>();
        for (int x = 40; x < Width - 200; x += 120 + random.Below(180))
        {
            buildings.Add((x, x + 60 + random.Below(90), 560 + random.Below(160)));
        }

        int[,] gray = new int[Height, Width];
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                int value;
                int dx = x - 1560;
                int dy = y - 230;
                if ((dx * dx) + (dy * dy) < 120 * 120)
                {
                    value = 250;
                }
                else if (y < farHills[x])
                {
                    value = 235 - (y * 150 / 520);
                }
                else if (y < nearHills[x])
                {
                    value = 120 + ((x * 7 + y * 3) % 23);
                }
                else
                {
                    value = 40 + (int)(random.Next() % 70);
                }

                foreach ((int left, int right, int top) in buildings)
                {
                    if (x >= left && x < right && y >= top && y < Height - 40)
                    {
                        bool window = (x - left) % 14 is > 3 and < 10 && (y - top) % 22 is > 5 and < 15;
                        value = window ? ((x / 14) + (y / 22)) % 3 == 0 ? 230 : 70 : 25;
                    }
                }

                gray[y, x] = value;
            }
        }

        byte[] file = new byte[PixelOffset + (RowBytes * Height)];
        WriteBitmapHeaders(file, Width, Height, PixelOffset);
        for (int y = 0; y < Height; y++)
        {
            int row = PixelOffset + ((Height - 1 - y) * RowBytes);
            for (int x = 0; x < Width; x++)
            {
                int old = Math.Clamp(gray[y, x], 0, 255);
                int white = old >= 128 ? 255 : 0;
                if (white != 0)
                {
                    file[row + (x >> 3)] |= (byte)(0x80 >> (x & 7));
                }

                int error = old - white;
                if (x + 1 < Width)
                {
                    gray[y, x + 1] += error * 7 / 16;
                }

                if (y + 1 < Height)
                {
                    if (x > 0)
                    {
                        gray[y + 1, x - 1] += error * 3 / 16;
                    }

                    gray[y + 1, x] += error * 5 / 16;
                    if (x + 1 < Width)
                    {
                        gray[y + 1, x + 1] += error / 16;
                    }
                }
            }
        }

        return file;
    }

    private static void WriteBitmapHeaders(byte[] file, int width, int height, int pixelOffset)
    {
        var header = new BinaryWriter(new MemoryStream(file));
        header.Write((byte)'B');
        header.Write((byte)'M');
        header.Write(file.Length);
        header.Write(0);
        header.Write(pixelOffset);
        header.Write(40);                    // BITMAPINFOHEADER
        header.Write(width);
        header.Write(height);                // positive: rows bottom-up
        header.Write((short)1);              // planes
        header.Write((short)1);              // bits per pixel
        header.Write(0);                     // no compression
        header.Write(file.Length - pixelOffset);
        header.Write(2835);                  // 72 dpi
        header.Write(2835);
        header.Write(2);                     // palette entries
        header.Write(2);
        header.Write(0x00000000);            // black
        header.Write(0x00FFFFFF);            // white
        header.Flush();
    }

    /// <summary>A smooth ridge line: a random walk around <paramref name="level"/>, within ± <paramref name="spread"/>.</summary>
    private static int[] RandomWalk(ref SplitMix random, int width, int level, int spread, int step)
    {
        int[] line = new int[width];
        int height = level;
        int slope = 0;
        for (int x = 0; x < width; x++)
        {
            slope = Math.Clamp(slope + random.Below((2 * step) + 1) - step, -step, step);
            height = Math.Clamp(height + (slope / 2), level - spread, level + spread);
            line[x] = height;
        }

        return line;
    }

    private static byte[] MakeProse()
    {
        var random = new SplitMix(0x12_03);
        var text = new StringBuilder();
        text.Append("DER BRUNNEN IM NEBEL\nEin Spiel in Versen\n\n");
        for (int act = 1; text.Length < 222_000; act++)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n\nSZENE {act}\n\n");
            text.Append('(').Append(Sentence(ref random, s_germanWords, 6 + random.Below(10))).Append(".)\n\n");
            int turns = 8 + random.Below(12);
            for (int turn = 0; turn < turns; turn++)
            {
                text.Append(random.Pick(s_speakers)).Append(":\n");
                int lines = 2 + random.Below(7);
                for (int line = 0; line < lines; line++)
                {
                    text.Append(Sentence(ref random, s_germanWords, 5 + random.Below(5)));
                    text.Append(random.Below(6) switch { 0 => "!", 1 => "?", 2 => ";", 3 => ".", _ => "," });
                    text.Append('\n');
                }

                text.Append('\n');
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] MakeHtml()
    {
        var random = new SplitMix(0x12_04);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <title>Harbour Station Weekly Report</title>\n");
        html.Append("  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n  <style>\n");
        foreach (string selector in new[] { "body", "header", "nav", "main", "section", "article", "aside", "footer", "table", "th", "td", ".note", ".figure", ".lead", "a:hover" })
        {
            html.Append(CultureInfo.InvariantCulture, $"    {selector} {{ margin: {random.Below(4)}em {random.Below(3)}em; padding: {random.Below(12)}px; color: #{random.Below(0x1000000):x6}; font-size: {90 + random.Below(30)}%; }}\n");
        }

        html.Append("  </style>\n</head>\n<body>\n<header class=\"site\">\n  <h1>Harbour Station Weekly Report</h1>\n  <nav>\n    <ul>\n");
        for (int i = 0; i < 24; i++)
        {
            string word = random.Pick(s_englishWords);
            html.Append(CultureInfo.InvariantCulture, $"      <li><a href=\"/sections/{word}-{i}.html\" title=\"{word}\">{Capitalize(word)} {i}</a></li>\n");
        }

        html.Append("    </ul>\n  </nav>\n</header>\n<main>\n");
        for (int section = 1; html.Length < 189_000; section++)
        {
            html.Append(CultureInfo.InvariantCulture, $"<section id=\"s{section}\">\n  <h2>{Capitalize(Sentence(ref random, s_englishWords, 3 + random.Below(4)))}</h2>\n");
            int paragraphs = 2 + random.Below(4);
            for (int p = 0; p < paragraphs; p++)
            {
                html.Append("  <p class=\"").Append(p == 0 ? "lead" : "body").Append("\">");
                int sentences = 3 + random.Below(5);
                for (int i = 0; i < sentences; i++)
                {
                    string sentence = Capitalize(Sentence(ref random, s_englishWords, 6 + random.Below(14)));
                    html.Append(random.Below(5) == 0 ? $"<a href=\"#s{1 + random.Below(section)}\">{sentence}</a>. " : sentence + ". ");
                }

                html.Append("</p>\n");
            }

            if (section % 3 == 0)
            {
                html.Append("  <table class=\"data\">\n    <thead><tr><th>Station</th><th>Date</th><th>Level (cm)</th><th>Temp (C)</th><th>Status</th></tr></thead>\n    <tbody>\n");
                int rows = 6 + random.Below(14);
                for (int r = 0; r < rows; r++)
                {
                    html.Append(CultureInfo.InvariantCulture, $"      <tr><td>{random.Pick(s_cities)}</td><td>2024-{1 + random.Below(12):00}-{1 + random.Below(28):00}</td><td>{random.Below(900)}</td><td>{random.Below(35)}.{random.Below(10)}</td><td class=\"{(random.Below(4) == 0 ? "warn" : "ok")}\">{(random.Below(4) == 0 ? "check" : "normal")}</td></tr>\n");
                }

                html.Append("    </tbody>\n  </table>\n");
            }

            html.Append("</section>\n");
        }

        html.Append("</main>\n<footer>\n  <p>Generated for compression tests. No rights reserved.</p>\n</footer>\n");
        html.Append("<script>\n  document.querySelectorAll('a').forEach(function (a) { a.addEventListener('click', function () { a.classList.add('seen'); }); });\n</script>\n</body>\n</html>\n");
        return Encoding.ASCII.GetBytes(html.ToString());
    }

    /// <summary>
    /// A document in the shape of a PDF: page objects and uncompressed content streams of text operators
    /// (compressible), embedded "image" and "font" streams of random bytes (as incompressible as the already
    /// compressed streams of a real file), and a cross-reference table. About 1 MB.
    /// </summary>
    private static byte[] MakeDocument()
    {
        var random = new SplitMix(0x12_05);
        var output = new MemoryStream();
        var offsets = new List<long>();
        Write(output, "%PDF-1.5\n");
        output.Write([0x25, 0xE2, 0xE3, 0xCF, 0xD3, 0x0A]);
        int number = 1;
        while (output.Length < 1_040_000)
        {
            int page = number;
            offsets.Add(output.Length);
            Write(output, $"{page} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page + 1} 0 R /Resources << /Font << /F1 3 0 R /F2 4 0 R >> /XObject << /Im{page} {page + 2} 0 R >> >> >>\nendobj\n");

            var content = new StringBuilder("BT\n/F1 10 Tf\n12 TL\n72 720 Td\n");
            int lines = 30 + random.Below(25);
            for (int i = 0; i < lines; i++)
            {
                content.Append('(').Append(Capitalize(Sentence(ref random, s_englishWords, 7 + random.Below(8)))).Append(".) Tj T*\n");
            }

            content.Append("ET\nq 0.5 w 72 80 m 540 80 l S Q\n");
            offsets.Add(output.Length);
            Write(output, $"{page + 1} 0 obj\n<< /Length {content.Length} >>\nstream\n{content}endstream\nendobj\n");

            int imageLength = 2000 + random.Below(12_000);
            offsets.Add(output.Length);
            Write(output, $"{page + 2} 0 obj\n<< /Type /XObject /Subtype /Image /Width {40 + random.Below(400)} /Height {40 + random.Below(300)} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length {imageLength} >>\nstream\n");
            byte[] noise = new byte[imageLength];
            random.Fill(noise);
            output.Write(noise);
            Write(output, "\nendstream\nendobj\n");
            number += 3;
        }

        long xref = output.Length;
        Write(output, $"xref\n0 {offsets.Count + 1}\n0000000000 65535 f \n");
        foreach (long offset in offsets)
        {
            Write(output, $"{offset:0000000000} 00000 n \n");
        }

        Write(output, $"trailer\n<< /Size {offsets.Count + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return output.ToArray();

        static void Write(MemoryStream stream, string text) => stream.Write(Encoding.ASCII.GetBytes(text));
    }

    private static string Sentence(ref SplitMix random, string[] words, int count)
    {
        var sentence = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            if (i > 0)
            {
                sentence.Append(random.Below(9) == 0 ? ", " : " ");
            }

            sentence.Append(random.Pick(words));
        }

        return sentence.ToString();
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    /// <summary>SplitMix64: a small, fixed pseudo-random sequence (the same on every platform and runtime).</summary>
    private struct SplitMix(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }

        public int Below(int bound) => (int)(Next() % (ulong)bound);

        public T Pick<T>(T[] items) => items[Below(items.Length)];

        public void Fill(Span<byte> bytes)
        {
            for (int i = 0; i < bytes.Length; i += 8)
            {
                ulong value = Next();
                for (int j = 0; j < 8 && i + j < bytes.Length; j++)
                {
                    bytes[i + j] = (byte)(value >> (8 * j));
                }
            }
        }
    }
}
