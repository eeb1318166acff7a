using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Whatwg.WebSockets.Protocol.Framing;

/// <summary>Where masking keys come from; tests pin them, the engine uses <see cref="RandomMaskKeySource"/>.</summary>
internal interface IMaskKeySource
{
    uint NextKey();
}

/// <summary>
/// RFC 6455 §5.3: "The masking key needs to be unpredictable; thus, the masking key MUST be derived
/// from a strong source of entropy". Keys are drawn from the OS CSPRNG a block of 256 at a time, so a
/// burst of small messages costs one system call per 256 frames instead of one per frame.
/// </summary>
/// <remarks>Not thread-safe: one instance per connection, used under the connection's send lock.</remarks>
internal sealed class RandomMaskKeySource : IMaskKeySource
{
    private const int KeysPerBlock = 256;
    // Allocated on the first send, so a connection that only listens holds no key block.
    private byte[]? _block;
    private int _next = KeysPerBlock;

    public uint NextKey()
    {
        if (_next == KeysPerBlock)
        {
            _block ??= new byte[KeysPerBlock * sizeof(uint)];
            RandomNumberGenerator.Fill(_block);
            _next = 0;
        }

        uint key = BinaryPrimitives.ReadUInt32LittleEndian(_block.AsSpan(_next++ * sizeof(uint)));
        return key;
    }
}
