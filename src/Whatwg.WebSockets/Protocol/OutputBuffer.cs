using System.Buffers;
using System.Diagnostics;

namespace Whatwg.WebSockets.Protocol;

/// <summary>
/// Frames ready for the network ("data to send" in sans-I/O terms), held as a chain of pooled segments so
/// that queueing never copies what is already queued: small frames share 64 KiB segments, a large frame gets
/// a segment of its own. The I/O layer takes all segments in one go and writes them in order, which is how
/// many queued frames become one write.
/// </summary>
/// <remarks>Not thread-safe; owned by the engine and used under the connection's send lock.</remarks>
internal sealed class OutputBuffer
{
    /// <summary>The size of a shared segment; larger frames get a segment of their own size.</summary>
    public const int SegmentSize = 64 * 1024;

    /// <summary>The first segment of a batch is smaller: most batches are a few small frames.</summary>
    public const int FirstSegmentSize = 16 * 1024;

    private readonly List<ArraySegment<byte>> _full = [];
    private byte[] _current = [];
    private int _length;

    /// <summary>Bytes written and not yet taken.</summary>
    public long Length
    {
        get
        {
            long total = _length;
            foreach (ArraySegment<byte> segment in _full)
            {
                total += segment.Count;
            }

            return total;
        }
    }

    public bool IsEmpty => _length == 0 && _full.Count == 0;

    /// <summary>Everything written and not yet taken, as one span (a copy when it spans segments; for tests).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _full.Count == 0 ? _current.AsSpan(0, _length) : Concatenate();

    /// <summary>Returns a span of at least <paramref name="size"/> bytes at the end of the written data.</summary>
    public Span<byte> GetSpan(int size)
    {
        if (_current.Length - _length < size)
        {
            StartSegment(size);
        }

        return _current.AsSpan(_length, size);
    }

    public void Advance(int count)
    {
        Debug.Assert(count >= 0 && _length + count <= _current.Length, "advance within the segment");
        _length += count;
    }

    /// <summary>Moves every written segment, in order, to <paramref name="into"/>; give each array back through <see cref="Recycle"/>.</summary>
    public void TakeAll(List<ArraySegment<byte>> into)
    {
        into.AddRange(_full);
        _full.Clear();
        if (_length > 0)
        {
            into.Add(new ArraySegment<byte>(_current, 0, _length));
            _current = [];
            _length = 0;
        }
    }

    /// <summary>
    /// Takes back a written segment's array. It goes straight back to the pool: keeping one per connection would
    /// cost every idle connection that ever sent a segment's worth of memory.
    /// </summary>
    public static void Recycle(byte[] array)
    {
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>Takes everything written as one array segment (copied together when it spans segments).</summary>
    public ArraySegment<byte> TakeContiguous()
    {
        if (_full.Count == 0)
        {
            var only = new ArraySegment<byte>(_current, 0, _length);
            _current = [];
            _length = 0;
            return only;
        }

        byte[] all = Concatenate();
        var segments = new List<ArraySegment<byte>>();
        TakeAll(segments);
        foreach (ArraySegment<byte> segment in segments)
        {
            Recycle(segment.Array!);
        }

        return all;
    }

    private byte[] Concatenate()
    {
        byte[] all = new byte[Length];
        int offset = 0;
        foreach (ArraySegment<byte> segment in _full)
        {
            segment.AsSpan().CopyTo(all.AsSpan(offset));
            offset += segment.Count;
        }

        _current.AsSpan(0, _length).CopyTo(all.AsSpan(offset));
        return all;
    }

    private void StartSegment(int size)
    {
        if (_length > 0)
        {
            _full.Add(new ArraySegment<byte>(_current, 0, _length));
        }
        else if (_current.Length > 0)
        {
            Recycle(_current);
        }

        _current = ArrayPool<byte>.Shared.Rent(Math.Max(size, _full.Count == 0 ? FirstSegmentSize : SegmentSize));

        _length = 0;
    }
}
