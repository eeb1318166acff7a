using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Whatwg.WebSockets.Protocol.Framing;

/// <summary>
/// RFC 6455 §5.3: octet i of the transformed data is octet i of the original XOR octet (i MOD 4) of the key.
/// The key is held as a <see cref="uint"/> read little-endian from its four wire bytes, so on a
/// little-endian machine XOR-ing a 32-bit word at a 4-aligned offset applies all four key bytes at once.
/// </summary>
internal static class Masking
{
    /// <summary>
    /// Masks (or unmasks) <paramref name="data"/> in place, starting at key byte <paramref name="keyOffset"/> (0-3),
    /// and returns the key offset at which the next byte of the same payload continues.
    /// </summary>
    public static int Apply(Span<byte> data, uint maskKey, int keyOffset)
    {
        if (data.IsEmpty)
        {
            return keyOffset;
        }

        // Rotate the key so that data[0] lines up with key byte 0 of the rotated key.
        uint tailKey = BitOperations.RotateRight(maskKey, keyOffset * 8);
        uint key = BitConverter.IsLittleEndian ? tailKey : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(tailKey);

        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;

        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<byte>.Count)
        {
            Vector512<byte> mask = Vector512.Create(key).AsByte();
            nuint last = length - (nuint)Vector512<byte>.Count;
            for (; i <= last; i += (nuint)Vector512<byte>.Count)
            {
                (Vector512.LoadUnsafe(ref start, i) ^ mask).StoreUnsafe(ref start, i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            Vector256<byte> mask = Vector256.Create(key).AsByte();
            nuint last = length - (nuint)Vector256<byte>.Count;
            for (; i <= last; i += (nuint)Vector256<byte>.Count)
            {
                (Vector256.LoadUnsafe(ref start, i) ^ mask).StoreUnsafe(ref start, i);
            }
        }
        else if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<byte>.Count)
        {
            Vector128<byte> mask = Vector128.Create(key).AsByte();
            nuint last = length - (nuint)Vector128<byte>.Count;
            for (; i <= last; i += (nuint)Vector128<byte>.Count)
            {
                (Vector128.LoadUnsafe(ref start, i) ^ mask).StoreUnsafe(ref start, i);
            }
        }

        // Vector widths are multiples of 4, so i is still 4-aligned relative to the key here.
        for (; i + 4 <= length; i += 4)
        {
            ref byte p = ref Unsafe.Add(ref start, i);
            Unsafe.WriteUnaligned(ref p, Unsafe.ReadUnaligned<uint>(ref p) ^ key);
        }

        for (int k = 0; i < length; i++, k++)
        {
            Unsafe.Add(ref start, i) ^= (byte)(tailKey >> (k * 8));
        }

        return (int)((keyOffset + data.Length) & 3);
    }

    /// <summary>
    /// Masks <paramref name="source"/> into <paramref name="destination"/> (at least as long) from key byte 0,
    /// in one pass: each block is loaded from the source, XOR-ed and stored, so the payload is read once.
    /// </summary>
    public static void CopyMasked(ReadOnlySpan<byte> source, Span<byte> destination, uint maskKey)
    {
        Debug.Assert(destination.Length >= source.Length, "the destination holds the source");
        uint key = BitConverter.IsLittleEndian ? maskKey : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(maskKey);
        ref byte from = ref MemoryMarshal.GetReference(source);
        ref byte to = ref MemoryMarshal.GetReference(destination);
        nuint length = (nuint)source.Length;
        nuint i = 0;

        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<byte>.Count)
        {
            Vector512<byte> mask = Vector512.Create(key).AsByte();
            for (nuint last = length - (nuint)Vector512<byte>.Count; i <= last; i += (nuint)Vector512<byte>.Count)
            {
                (Vector512.LoadUnsafe(ref from, i) ^ mask).StoreUnsafe(ref to, i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            Vector256<byte> mask = Vector256.Create(key).AsByte();
            for (nuint last = length - (nuint)Vector256<byte>.Count; i <= last; i += (nuint)Vector256<byte>.Count)
            {
                (Vector256.LoadUnsafe(ref from, i) ^ mask).StoreUnsafe(ref to, i);
            }
        }
        else if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<byte>.Count)
        {
            Vector128<byte> mask = Vector128.Create(key).AsByte();
            for (nuint last = length - (nuint)Vector128<byte>.Count; i <= last; i += (nuint)Vector128<byte>.Count)
            {
                (Vector128.LoadUnsafe(ref from, i) ^ mask).StoreUnsafe(ref to, i);
            }
        }

        for (; i + 4 <= length; i += 4)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, i), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref from, i)) ^ key);
        }

        for (int k = 0; i < length; i++, k++)
        {
            Unsafe.Add(ref to, i) = (byte)(Unsafe.Add(ref from, i) ^ (byte)(maskKey >> (k * 8)));
        }
    }
}
