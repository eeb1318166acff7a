using System.Text;

namespace Whatwg.WebSockets.Tests.Support;

/// <summary>Deterministic message bodies for echo tests: compressible or random, text of exactly N UTF-8 bytes.</summary>
internal static class Payloads
{
    /// <summary><paramref name="size"/> bytes: random, or a repeating record with a changing digit (compresses well).</summary>
    public static byte[] Bytes(int size, bool random, int seed)
    {
        byte[] data = new byte[size];
        if (random)
        {
            new Random(seed).NextBytes(data);
            return data;
        }

        byte[] record = Encoding.ASCII.GetBytes($"{{\"seed\":{seed},\"event\":\"tick\",\"value\":");
        for (int i = 0; i < size; i++)
        {
            data[i] = i % 64 < record.Length ? record[i % 64] : (byte)('0' + (i / 64 % 10));
        }

        return data;
    }

    /// <summary>
    /// Text of exactly <paramref name="size"/> UTF-8 bytes: random printable ASCII, or words with 1- to 4-byte
    /// characters (padded with 'a' where a word would not fit).
    /// </summary>
    public static string Text(int size, bool random, int seed)
    {
        var text = new StringBuilder(size);
        var rng = new Random(seed);
        string[] words = ["alpha ", "béta ", "γάμμα ", "€uro ", "𝄞 clef ", "{\"value\":true} "];
        int bytes = 0;
        while (bytes < size)
        {
            string piece = random ? ((char)rng.Next(0x21, 0x7E)).ToString() : words[rng.Next(words.Length)];
            int length = Encoding.UTF8.GetByteCount(piece);
            if (bytes + length > size)
            {
                piece = "a";
                length = 1;
            }

            text.Append(piece);
            bytes += length;
        }

        return text.ToString();
    }
}

/// <summary>What the deflate interop tests share: our side's named compression settings, and the three-kind echo check.</summary>
internal static class DeflateEcho
{
    /// <summary>Our client's <see cref="DeflateOptions"/> by name (the names the theory data use).</summary>
    public static DeflateOptions Options(string name) => name switch
    {
        "default" => new DeflateOptions(),
        "client-no-context" => new DeflateOptions { ClientContextTakeover = false, Threshold = 0 },
        "server-no-context" => new DeflateOptions { ServerContextTakeover = false, Threshold = 0 },
        "windows-9" => new DeflateOptions { ClientMaxWindowBits = 9, ServerMaxWindowBits = 9, Threshold = 0 },
        "windows-10" => new DeflateOptions { ClientMaxWindowBits = 10, ServerMaxWindowBits = 10, Threshold = 0 },
        "windows-12" => new DeflateOptions { ClientMaxWindowBits = 12, ServerMaxWindowBits = 12, Threshold = 0 },
        "threshold-0" => new DeflateOptions { Threshold = 0 },
        "threshold-4096" => new DeflateOptions { Threshold = 4096 },
        _ => throw new ArgumentException($"no deflate settings named '{name}'", nameof(name)),
    };

    /// <summary>Sends a compressible and a random binary message and a text message of <paramref name="size"/> bytes; asserts the echoes are exact.</summary>
    public static async Task AssertThreeKindsEchoAsync(WebSocket socket, EventLog log, int size)
    {
        byte[] compressible = Payloads.Bytes(size, random: false, seed: size);
        byte[] random = Payloads.Bytes(size, random: true, seed: size);
        string text = Payloads.Text(size, random: false, seed: size);
        socket.Send(compressible);
        socket.Send(random);
        socket.Send(text);
        await log.MessagesAsync(3);
        Assert.True(compressible.AsSpan().SequenceEqual(log.Messages[0].Bytes), $"compressible {size} bytes differ");
        Assert.True(random.AsSpan().SequenceEqual(log.Messages[1].Bytes), $"random {size} bytes differ");
        Assert.Equal(text, log.Messages[2].Text);
    }
}
