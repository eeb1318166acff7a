using System.Diagnostics.CodeAnalysis;

namespace Whatwg.WebSockets;

/// <summary>Throw sites kept out of hot methods so those stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowSendWhileConnecting() =>
        throw new InvalidStateErrorException("Send() was called while the socket is still CONNECTING; wait for the open event (or WhenOpen).");
}
