namespace Whatwg.WebSockets.Protocol;

/// <summary>What the receiver hands up: a whole data message, or one control frame.</summary>
internal enum ReceivedKind : byte
{
    None = 0,
    Text,
    Binary,
    Ping,
    Pong,
    Close,
}

/// <summary>One event out of <see cref="MessageReceiver"/>. Data messages own their payload; nothing else does.</summary>
internal readonly struct ReceivedFrame
{
    private ReceivedFrame(ReceivedKind kind, object? data, int closeCode)
    {
        Kind = kind;
        Data = data;
        CloseCode = closeCode;
    }

    public ReceivedKind Kind { get; }

    /// <summary>
    /// Text: the <see cref="string"/>. Binary, Ping, Pong: a <see cref="byte"/> array of exactly the payload.
    /// Close: the reason as a <see cref="string"/> ("" when absent).
    /// </summary>
    public object? Data { get; }

    /// <summary>For Close: the status code, or <see cref="CloseCodes.NoStatusReceived"/> when the body was empty.</summary>
    public int CloseCode { get; }

    public string Text => (string)Data!;

    public byte[] Bytes => (byte[])Data!;

    public static ReceivedFrame ForText(string text) => new(ReceivedKind.Text, text, 0);

    public static ReceivedFrame ForBinary(byte[] data) => new(ReceivedKind.Binary, data, 0);

    public static ReceivedFrame ForControl(ReceivedKind kind, byte[] payload) => new(kind, payload, 0);

    public static ReceivedFrame ForClose(int code, string reason) => new(ReceivedKind.Close, reason, code);
}
