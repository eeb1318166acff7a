using System.Runtime.InteropServices;

namespace Whatwg.WebSockets.Protocol.Compression;

/// <summary>
/// Owns one native <see cref="ZLibInterop.ZStream"/> and the zlib state behind it. Being a SafeHandle, it is freed by
/// the runtime's critical finalizer when an engine is dropped undisposed, Dispose may be called any number of
/// times, and a Dispose that races a compress or inflate call (the connection torn down from another thread)
/// frees the memory only once that call has released its reference.
/// </summary>
/// <remarks>
/// The struct itself is allocated at once (32 bytes); the zlib state behind it only on demand and it may be freed
/// and allocated again over the handle's life (<see cref="EndState"/>), which is how an idle engine holds no window.
/// </remarks>
internal sealed unsafe class ZStreamHandle : SafeHandle
{
    private readonly bool _forDeflate;

    public ZStreamHandle(bool forDeflate)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        _forDeflate = forDeflate;
        SetHandle((IntPtr)NativeMemory.AllocZeroed((nuint)sizeof(ZLibInterop.ZStream)));
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The stream; use it only while holding a reference (DangerousAddRef).</summary>
    public ZLibInterop.ZStream* Stream => (ZLibInterop.ZStream*)handle;

    /// <summary>True while zlib state is allocated: after an init (even a failed one), until <see cref="EndState"/>.</summary>
    public bool HasState => Stream->InternalState != null;

    /// <summary>Frees the zlib state (windows, hash tables) and keeps the struct for a later init.</summary>
    public void EndState()
    {
        ZLibInterop.ZStream* stream = Stream;
        if (stream->InternalState == null)
        {
            return;
        }

        // The result is not interesting: End also frees after a failed init or a stream left mid-message.
        _ = _forDeflate ? ZLibInterop.DeflateEnd(stream) : ZLibInterop.InflateEnd(stream);
        stream->NextIn = null;
        stream->NextOut = null;
    }

    protected override bool ReleaseHandle()
    {
        EndState();
        NativeMemory.Free((void*)handle);
        return true;
    }
}
