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
