using System.Buffers;
using System.Diagnostics;
using Whatwg.WebSockets.Protocol.Compression;

namespace Whatwg.WebSockets.Protocol.Tests.Compression;

/// <summary>
/// The native zlib memory behind <see cref="Deflater"/> and <see cref="Inflater"/>: disposing twice is harmless,
/// use after dispose is an <see cref="ObjectDisposedException"/>, and engines that are dropped undisposed, or that
/// free their state between messages, do not make the process grow.
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public class CodecLifetimeTests
{
    private static readonly byte[] s_message = DeflateHarness.Compressible(4096, 1);

    [Fact]
    public void Dispose_Twice_DoesNotThrow()
    {
        var deflater = new Deflater(15, noContextTakeover: false);
        var inflater = new Inflater(15, noContextTakeover: false, 1024);
        DeflateHarness.Inflate(inflater, DeflateHarness.Compress(deflater, s_message.AsSpan(0, 100)));

        deflater.Dispose();
        deflater.Dispose();
        inflater.Dispose();
        inflater.Dispose();
    }

    [Fact]
    public void Dispose_Unused_DoesNotThrow()
    {
        new Deflater(9, noContextTakeover: true).Dispose();
        new Inflater(9, noContextTakeover: true, 1).Dispose();
    }

    [Fact]
    public void Compress_AfterDispose_Throws()
    {
        var deflater = new Deflater(15, noContextTakeover: false);
        DeflateHarness.Compress(deflater, s_message);
        deflater.Dispose();
        using var output = new PooledBufferWriter();

        Assert.Throws<ObjectDisposedException>(() => deflater.Compress(s_message, output));
        Assert.Throws<ObjectDisposedException>(() => deflater.Compress([], output));
    }

    [Fact]
    public void Inflate_AfterDispose_Throws()
    {
        var inflater = new Inflater(15, noContextTakeover: false, 1024);
        inflater.Dispose();
        using var output = new PooledBufferWriter();

        Assert.Throws<ObjectDisposedException>(() => inflater.Inflate([0x00], true, output, out _));
    }

    [Fact]
    public void Compress_OutputThrows_NextMessageStillInflates()
    {
        // The failed message is never sent; the deflater must not leave its part of it in the window.
        using var deflater = new Deflater(15, noContextTakeover: false);
        using var inflater = new Inflater(15, noContextTakeover: false, 1 << 20);
        DeflateHarness.Inflate(inflater, DeflateHarness.Compress(deflater, s_message));

        Assert.Throws<InvalidOperationException>(() => deflater.Compress(DeflateHarness.Compressible(100_000, 2), new FailingWriter(1000)));
        byte[] next = DeflateHarness.Compressible(5000, 3);

        Assert.Equal(next, DeflateHarness.Inflate(inflater, DeflateHarness.Compress(deflater, next)));
    }

    [Fact]
    public void Constructors_OutOfRangeArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Deflater(7, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Deflater(16, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Deflater(15, false, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Deflater(15, false, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Inflater(7, false, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Inflater(16, false, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Inflater(15, false, 0));
    }

    [Fact]
    public void UndisposedEngines_AreFreedByTheFinalizer()
    {
        // 3000 deflaters with a 32 KiB window hold well over 600 MiB of zlib state if nothing frees it.
        Warm();
        long before = NativeFootprint();
        for (int round = 0; round < 30; round++)
        {
            MakeAndDrop(100);
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        long growth = NativeFootprint() - before;
        Assert.True(growth < 150L * 1024 * 1024, $"the process grew by {growth / 1024} KiB");
    }

    [Fact]
    public void NoContextTakeover_FreesTheStateAfterEachMessage()
    {
        // 2000 live deflaters that free their state after each message hold only the handle in between.
        Warm();
        long before = NativeFootprint();
        var deflaters = new List<Deflater>();
        using var output = new PooledBufferWriter();
        for (int i = 0; i < 2000; i++)
        {
            var deflater = new Deflater(15, noContextTakeover: true);
            deflater.Compress(s_message, output);
            output.Clear();
            deflaters.Add(deflater);
        }

        long growth = NativeFootprint() - before;
        deflaters.ForEach(d => d.Dispose());
        Assert.True(growth < 100L * 1024 * 1024, $"the process grew by {growth / 1024} KiB");
    }

    [Fact]
    public void ContextTakeover_KeepsTheStateBetweenMessages()
    {
        // The counterpart of the test above, showing that the measurement sees zlib's state: about 270 KiB each.
        Warm();
        long before = NativeFootprint();
        var deflaters = new List<Deflater>();
        using var output = new PooledBufferWriter();
        for (int i = 0; i < 500; i++)
        {
            var deflater = new Deflater(15, noContextTakeover: false);
            deflater.Compress(s_message, output);
            output.Clear();
            deflaters.Add(deflater);
        }

        long growth = NativeFootprint() - before;
        deflaters.ForEach(d => d.Dispose());
        Assert.True(growth > 500L * 128 * 1024, $"the process grew by only {growth / 1024} KiB");
    }

    private static void Warm()
    {
        MakeAndDrop(10);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static void MakeAndDrop(int count)
    {
        using var output = new PooledBufferWriter();
        for (int i = 0; i < count; i++)
        {
            var deflater = new Deflater(15, noContextTakeover: false);
            deflater.Compress(s_message, output);
            var inflater = new Inflater(15, noContextTakeover: false, 1 << 20);
            inflater.Inflate(output.WrittenSpan, true, new ArrayBufferWriter<byte>(), out _);
            output.Clear();
        }
    }

    /// <summary>Resident memory that is not the managed heap: zlib's allocations show up here.</summary>
    private static long NativeFootprint()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64 - GC.GetTotalMemory(forceFullCollection: false);
    }

    /// <summary>An output that throws once more than <paramref name="limit"/> bytes are asked for in total.</summary>
    private sealed class FailingWriter(int limit) : IBufferWriter<byte>
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _written;

        public void Advance(int count) => _written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new NotSupportedException();

        public Span<byte> GetSpan(int sizeHint = 0) =>
            _written > limit ? throw new InvalidOperationException("the output is full") : _buffer.AsSpan(0, 512);
    }
}
