using System.Buffers.Binary;
using Whatwg.WebSockets.Protocol.Framing;

namespace Whatwg.WebSockets.Protocol.Tests.Support;

/// <summary>
/// A mask source that hands out pinned keys, given as their four wire bytes in hex, in turn
/// (cycling), so the frames an engine writes can be compared byte for byte.
/// </summary>
internal sealed class FixedMaskKeySource : IMaskKeySource
{
    private readonly uint[] _keys;

    public FixedMaskKeySource(params string[] wireKeys)
    {
        _keys = Array.ConvertAll(wireKeys, static k => BinaryPrimitives.ReadUInt32LittleEndian(Hex.Bytes(k)));
    }

    /// <summary>How many keys were taken so far.</summary>
    public int Taken { get; private set; }

    public uint NextKey() => _keys[Taken++ % _keys.Length];
}
