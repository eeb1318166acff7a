using System.Buffers;
using System.Diagnostics;

namespace Whatwg.WebSockets.Protocol;

/// <summary>
/// A growable byte buffer rented from <see cref="ArrayPool{T}.Shared"/> that holds frames ready for the
/// network ("data to send" in sans-I/O terms). The I/O layer takes its whole content in one go,
/// which is how many queued frames become one write.
/// </summary>
/// <remarks>Not thread-safe; owned by the engine and used under the connection's send lock.</remarks>
internal sealed class OutputBuffer
{
    private const int InitialSize = 4096;

    /// <summary>Buffers larger than this are handed back to the pool after a write rather than kept.</summary>
    public const int RetainLimit = 1 << 20;

    private byte[] _buffer = [];
    private int _length;

    public int Length => _length;

    public bool IsEmpty => _length == 0;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>Returns a span of at least <paramref name="size"/> bytes at the end of the written data.</summary>
    public Span<byte> GetSpan(int size)
    {
        if (_buffer.Length - _length < size)
        {
            Grow(size);
        }

        return _buffer.AsSpan(_length, size);
    }

    public void Advance(int count)
    {
        Debug.Assert(count >= 0 && _length + count <= _buffer.Length, "advance within the buffer");
        _length += count;
    }

    /// <summary>Hands the written bytes to the caller and gives this buffer <paramref name="replacement"/> (empty) to fill next.</summary>
    public ArraySegment<byte> Swap(byte[] replacement)
    {
        var written = new ArraySegment<byte>(_buffer, 0, _length);
        _buffer = replacement;
        _length = 0;
        return written;
    }

    private void Grow(int size)
    {
        long needed = (long)_length + size;
        if (needed > Array.MaxLength)
        {
            throw new InsufficientMemoryException("The send queue cannot hold more than 2 GiB.");
        }

        int newSize = (int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(InitialSize, (long)_buffer.Length * 2)));
        byte[] bigger = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }
}
