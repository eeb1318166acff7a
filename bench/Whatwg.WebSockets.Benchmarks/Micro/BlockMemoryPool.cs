using System.Buffers;
using System.Collections.Concurrent;

namespace Whatwg.WebSockets.Benchmarks.Micro;

/// <summary>
/// A memory pool for the in-memory pipes that keeps every block it ever handed out, so the end-to-end numbers
/// count what the client allocates, not what <see cref="ArrayPool{T}.Shared"/> drops when a megabyte is in flight.
/// </summary>
internal sealed class BlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 16 * 1024;

    private readonly ConcurrentQueue<Block> _free = new();

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        return _free.TryDequeue(out Block? block) ? block : new Block(this);
    }

    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Block(BlockMemoryPool pool) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = new byte[BlockSize];

        public void Dispose() => pool._free.Enqueue(this);
    }
}
