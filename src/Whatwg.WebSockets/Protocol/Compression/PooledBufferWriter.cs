using System.Buffers;
using System.Diagnostics;

namespace Whatwg.WebSockets.Protocol.Compression;

/// <summary>
/// A growable byte buffer on <see cref="ArrayPool{T}.Shared"/> for the output of <see cref="Deflater"/> and
/// <see cref="Inflater"/>: one contiguous array, doubled when full, so a message ends up as one span.
/// </summary>
/// <remarks>
/// <see cref="Clear"/> keeps the array for the next message; <see cref="Dispose"/> gives it back (the writer can
/// still be used afterwards and rents again). Not thread-safe.
/// </remarks>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int MinimumSize = 256;

    private byte[] _buffer = [];
    private int _written;

    public int WrittenCount => _written;

    /// <summary>The size of the array held (0 when none is).</summary>
    public int Capacity => _buffer.Length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>Forgets what was written, keeping the array.</summary>
    public void Clear() => _written = 0;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void EnsureFree(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        int wanted = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= wanted)
        {
            return;
        }

        long needed = (long)_written + wanted;
        if (needed > Array.MaxLength)
        {
            throw new InsufficientMemoryException("The buffer cannot grow beyond the largest array.");
        }

        long doubled = Math.Max(MinimumSize, (long)_buffer.Length * 2);
        byte[] bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, doubled)));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        byte[] old = _buffer;
        _buffer = bigger;
        if (old.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(old);
        }

        Debug.Assert(_buffer.Length - _written >= wanted, "grown enough");
    }
}
