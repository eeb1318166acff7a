using System.Buffers;

namespace Whatwg.WebSockets.Transport;

/// <summary>
/// The upgraded stream when the server sent WebSocket bytes in the same packet as its 101 response (a
/// server may send its first frame right behind the blank line): reads first yield those bytes, held in
/// the pooled buffer the response head was read into, then go straight to the socket (or TLS) stream.
/// Once drained, the buffer goes back to the pool, so an idle connection holds nothing but this object.
/// Disposing it disposes the inner stream, which closes the socket.
/// </summary>
internal sealed class LeftoverStream : Stream
{
    private readonly Stream _inner;
    private byte[]? _leftover;
    private int _offset;
    private readonly int _end;

    /// <param name="inner">The socket's stream, or the TLS stream over it; owned.</param>
    /// <param name="leftover">A buffer rented from <see cref="ArrayPool{T}.Shared"/>; owned, returned once drained.</param>
    /// <param name="offset">Where the WebSocket bytes start in <paramref name="leftover"/>.</param>
    /// <param name="end">Where they end.</param>
    public LeftoverStream(Stream inner, byte[] leftover, int offset, int end)
    {
        _inner = inner;
        _leftover = leftover;
        _offset = offset;
        _end = end;
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer) => _leftover is not null ? ReadLeftover(buffer) : _inner.Read(buffer);

    /// <remarks>
    /// A zero-byte read with leftover bytes pending completes at once with 0 ("data is available"), as a
    /// socket's does; without them it goes to the inner stream, which waits for data without consuming it.
    /// </remarks>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_leftover is not null)
        {
            return cancellationToken.IsCancellationRequested
                ? ValueTask.FromCanceled<int>(cancellationToken)
                : new ValueTask<int>(ReadLeftover(buffer.Span));
        }

        return _inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // A read may still be copying from the buffer on another thread: drop it for the collector
            // rather than hand it back to the pool under that read's feet.
            Volatile.Write(ref _leftover, null);
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int ReadLeftover(Span<byte> destination)
    {
        // Null only when disposed while the caller was on its way here.
        byte[]? leftover = _leftover;
        ObjectDisposedException.ThrowIf(leftover is null, this);

        int count = Math.Min(destination.Length, _end - _offset);
        leftover.AsSpan(_offset, count).CopyTo(destination);
        _offset += count;
        if (_offset == _end && Interlocked.Exchange(ref _leftover, null) is byte[] drained)
        {
            ArrayPool<byte>.Shared.Return(drained);
        }

        return count;
    }
}
