using System.Text.Unicode;

namespace Whatwg.WebSockets.Protocol.Tests.Support;

/// <summary>
/// A brute-force reference for "where does this byte string stop being a prefix of valid UTF-8", built on
/// <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/> alone: a prefix is still good when some completion of at most
/// three continuation bytes makes it valid. The candidates 80, 90, A0 and BF hit every second-byte range RFC 3629
/// allows (80-BF, A0-BF, 80-9F, 90-BF, 80-8F), so trying them is exhaustive.
/// </summary>
internal static class Utf8Reference
{
    private static readonly byte[] s_continuations = [0x80, 0x90, 0xA0, 0xBF];

    /// <summary>The index of the first byte after which no completion is valid, or -1 when there is none.</summary>
    public static int FirstBadIndex(ReadOnlySpan<byte> data)
    {
        for (int i = 1; i <= data.Length; i++)
        {
            if (!IsCompletable(data.Slice(0, i)))
            {
                return i - 1;
            }
        }

        return -1;
    }

    public static bool IsCompletable(ReadOnlySpan<byte> prefix)
    {
        if (Utf8.IsValid(prefix))
        {
            return true;
        }

        byte[] buffer = new byte[prefix.Length + 3];
        prefix.CopyTo(buffer);
        foreach (byte a in s_continuations)
        {
            buffer[prefix.Length] = a;
            if (Utf8.IsValid(buffer.AsSpan(0, prefix.Length + 1)))
            {
                return true;
            }

            foreach (byte b in s_continuations)
            {
                buffer[prefix.Length + 1] = b;
                if (Utf8.IsValid(buffer.AsSpan(0, prefix.Length + 2)))
                {
                    return true;
                }

                foreach (byte c in s_continuations)
                {
                    buffer[prefix.Length + 2] = c;
                    if (Utf8.IsValid(buffer))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }
}
