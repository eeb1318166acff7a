namespace Whatwg.WebSockets;

/// <summary>How binary messages are exposed in <see cref="MessageEvent.Data"/> (the <c>binaryType</c> attribute).</summary>
public enum BinaryType
{
    /// <summary>As a <see cref="Whatwg.WebSockets.Blob"/> (the spec's default, <c>"blob"</c>).</summary>
    Blob = 0,

    /// <summary>As a <see cref="byte"/> array (<c>"arraybuffer"</c>).</summary>
    ArrayBuffer = 1,
}
