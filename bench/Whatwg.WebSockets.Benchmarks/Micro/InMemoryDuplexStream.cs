using System.IO.Pipelines;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// One end of an in-memory connection: reads what the other end wrote to <c>incoming</c>, writes to <c>outgoing</c>.
/// Disposing it completes both pipes, as closing a socket ends both directions.
/// </summary>
internal sealed class InMemoryDuplexStream : Stream
{
    private readonly Stream _reader;
    private readonly Stream _writer;

    public InMemoryDuplexStream(Pipe incoming, Pipe outgoing)
    {
        _reader = incoming.Reader.AsStream();
        _writer = outgoing.Writer.AsStream();
    }

    /// <summary>A pipe that never makes the writer wait (the benchmark's peer drains it as fast as it can).</summary>
    public static Pipe CreatePipe() => new(new PipeOptions(
        pool: new BlockMemoryPool(),
        pauseWriterThreshold: 0,
        resumeWriterThreshold: 0,
        minimumSegmentSize: BlockMemoryPool.BlockSize,
        useSynchronizationContext: false));

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _reader.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _reader.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _reader.Read(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _writer.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _writer.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _writer.Write(buffer, offset, count);

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _reader.Dispose();
            _writer.Dispose();
        }

        base.Dispose(disposing);
    }
}
