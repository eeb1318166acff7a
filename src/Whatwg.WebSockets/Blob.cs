using System.Text;

namespace Whatwg.WebSockets;

/// <summary>
/// An immutable chunk of bytes with a MIME type, like the File API's <c>Blob</c>: what binary
/// messages are when <see cref="WebSocket.BinaryType"/> is <see cref="BinaryType.Blob"/>, and what
/// <see cref="WebSocket.Send(Blob)"/> takes. The content is held in memory.
/// </summary>
public sealed class Blob
{
    private readonly byte[] _data;
    private readonly int _offset;

    /// <summary>Creates a blob holding a copy of <paramref name="data"/>.</summary>
    /// <param name="data">The content (copied).</param>
    /// <param name="type">The MIME type, lower-cased as the File API does; <c>""</c> when unknown.</param>
    public Blob(ReadOnlySpan<byte> data, string type = "")
        : this(data.ToArray(), 0, data.Length, type)
    {
    }

    /// <summary>Creates a blob from parts, concatenated in order: strings as UTF-8, byte arrays and blobs as they are.</summary>
    /// <param name="parts">Strings, <see cref="byte"/> arrays, <see cref="ReadOnlyMemory{T}"/> of bytes or blobs.</param>
    /// <param name="type">The MIME type; <c>""</c> when unknown.</param>
    public Blob(IEnumerable<object> parts, string type = "")
        : this(Concat(parts), type)
    {
    }

    private Blob(byte[] data, int offset, int length, string type)
    {
        _data = data;
        _offset = offset;
        Size = length;
        Type = NormalizeType(type);
    }

    /// <summary>The number of bytes (the File API's <c>size</c>).</summary>
    public long Size { get; }

    /// <summary>The MIME type, or <c>""</c> (the File API's <c>type</c>).</summary>
    public string Type { get; }

    internal ReadOnlyMemory<byte> Memory => _data.AsMemory(_offset, (int)Size);

    /// <summary>The content as a new array (the File API's <c>arrayBuffer()</c>).</summary>
    /// <returns>A completed task holding a copy of the content.</returns>
    public Task<byte[]> ArrayBufferAsync() => Task.FromResult(Memory.ToArray());

    /// <summary>The content decoded as UTF-8, with U+FFFD for invalid bytes (the File API's <c>text()</c>).</summary>
    /// <returns>A completed task holding the text.</returns>
    public Task<string> TextAsync() => Task.FromResult(Encoding.UTF8.GetString(Memory.Span));

    /// <summary>A read-only stream over the content (the File API's <c>stream()</c>).</summary>
    /// <returns>A seekable, read-only <see cref="Stream"/>.</returns>
    public Stream OpenRead() => new MemoryStream(_data, _offset, (int)Size, writable: false);

    /// <summary>A blob over part of this one, with the File API's index rules: negative indexes count from the end, and both clamp to the size.</summary>
    /// <param name="start">The first byte (default 0).</param>
    /// <param name="end">One past the last byte (default: the size).</param>
    /// <param name="contentType">The new blob's type (default <c>""</c>).</param>
    /// <returns>A blob sharing this one's memory.</returns>
    public Blob Slice(long start = 0, long? end = null, string contentType = "")
    {
        long relativeStart = start < 0 ? Math.Max(Size + start, 0) : Math.Min(start, Size);
        long e = end ?? Size;
        long relativeEnd = e < 0 ? Math.Max(Size + e, 0) : Math.Min(e, Size);
        long span = Math.Max(relativeEnd - relativeStart, 0);
        return new Blob(_data, _offset + (int)relativeStart, (int)span, contentType);
    }

    /// <inheritdoc />
    public override string ToString() => $"Blob({Size} bytes{(Type.Length > 0 ? ", " + Type : string.Empty)})";

    /// <summary>Wraps an array the caller hands over (no copy); used for received messages.</summary>
    internal static Blob Wrap(byte[] data, string type) => new(data, 0, data.Length, type);

    /// <summary>The content without a copy when the blob covers a whole array; a copy otherwise.</summary>
    internal byte[] GetBytesUnsafe() => _offset == 0 && Size == _data.Length ? _data : Memory.ToArray();

    private static string NormalizeType(string? type)
    {
        // File API: a type with characters outside U+0020..U+007E becomes ""; otherwise it is lower-cased.
        if (string.IsNullOrEmpty(type))
        {
            return string.Empty;
        }

        foreach (char c in type)
        {
            if (c is < ' ' or > '~')
            {
                return string.Empty;
            }
        }

        return type.ToLowerInvariant();
    }

    private static byte[] Concat(IEnumerable<object> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        using var buffer = new MemoryStream();
        foreach (object part in parts)
        {
            switch (part)
            {
                case string s:
                    byte[] utf8 = Encoding.UTF8.GetBytes(s);
                    buffer.Write(utf8);
                    break;
                case byte[] bytes:
                    buffer.Write(bytes);
                    break;
                case ReadOnlyMemory<byte> memory:
                    buffer.Write(memory.Span);
                    break;
                case Blob blob:
                    buffer.Write(blob.Memory.Span);
                    break;
                default:
                    throw new ArgumentException($"A blob part must be a string, byte[], ReadOnlyMemory<byte> or Blob, not {part?.GetType().Name ?? "null"}.", nameof(parts));
            }
        }

        return buffer.ToArray();
    }
}
