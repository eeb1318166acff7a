namespace Whatwg.WebSockets.Conformance.Fuzzing;

/// <summary>Something the server saw the client do (or a wait that ran out while the connection was still open).</summary>
public abstract record Observed
{
    /// <summary>A whole message from the client (normally the echo of one we sent).</summary>
    public static Observed Message(byte[] payload, bool binary) => new ObservedMessage(payload, binary);

    /// <summary>A text message, given as its UTF-8 bytes.</summary>
    public static Observed Text(byte[] utf8) => new ObservedMessage(utf8, false);

    /// <summary>A text message.</summary>
    public static Observed Text(string text) => new ObservedMessage(System.Text.Encoding.UTF8.GetBytes(text), false);

    /// <summary>A binary message.</summary>
    public static Observed Binary(byte[] payload) => new ObservedMessage(payload, true);

    /// <summary>A Pong frame from the client.</summary>
    public static Observed Pong(byte[] payload) => new ObservedPong(payload);

    /// <summary>A named wait that ended with the connection still open.</summary>
    public static Observed Timeout(string tag) => new ObservedTimeout(tag);
}

/// <summary>A message from the client.</summary>
public sealed record ObservedMessage(byte[] Payload, bool IsBinary) : Observed
{
    /// <inheritdoc />
    public bool Equals(ObservedMessage? other) => other is not null && IsBinary == other.IsBinary && Payload.AsSpan().SequenceEqual(other.Payload);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(IsBinary, Payload.Length);

    /// <inheritdoc />
    public override string ToString() => $"message({(IsBinary ? "binary" : "text")}, {Payload.Length} bytes)";
}

/// <summary>A pong from the client.</summary>
public sealed record ObservedPong(byte[] Payload) : Observed
{
    /// <inheritdoc />
    public bool Equals(ObservedPong? other) => other is not null && Payload.AsSpan().SequenceEqual(other.Payload);

    /// <inheritdoc />
    public override int GetHashCode() => Payload.Length;

    /// <inheritdoc />
    public override string ToString() => $"pong({Payload.Length} bytes)";
}

/// <summary>A wait that ran out while the connection was open.</summary>
public sealed record ObservedTimeout(string Tag) : Observed
{
    /// <inheritdoc />
    public override string ToString() => $"timeout({Tag})";
}
