namespace Whatwg.WebSockets.Cli;

/// <summary>What wsc says on stderr when the connection ends, and the exit code that goes with it.</summary>
internal readonly record struct CloseReport(int ExitCode, string Message)
{
    /// <summary>Reads the close event (and the failure it carries, the same one the error event had).</summary>
    public static CloseReport From(CloseEvent close)
    {
        ArgumentNullException.ThrowIfNull(close);
        string reason = close.Reason.Length > 0 ? ": " + close.Reason : string.Empty;
        if (close.WasClean)
        {
            return new(ExitCodes.CleanClose, $"wsc: closed {MessageFormatter.DescribeCloseCode(close.Code)}{reason}");
        }

        WebSocketFailureException? failure = close.Failure;
        switch (failure?.Failure)
        {
            case WebSocketFailure.ConnectFailed or WebSocketFailure.TlsFailed or WebSocketFailure.HandshakeFailed:
                // The library's messages already name the stage: "could not connect to ...", "handshake failed: ...".
                return new(ExitCodes.ConnectFailed, "wsc: " + failure.Message + Hint(failure));
            case WebSocketFailure.ConnectTimeout or WebSocketFailure.ConnectAborted:
                return new(ExitCodes.ConnectFailed, "wsc: could not connect: " + failure.Message);
            case WebSocketFailure.ProtocolViolation or WebSocketFailure.MessageTooBig:
                string sent = failure.CloseCodeSent is int code ? $" (wsc sent close {MessageFormatter.DescribeCloseCode(code)})" : string.Empty;
                return new(ExitCodes.ProtocolError, $"wsc: protocol error: {failure.Message}{sent}");
            case not null and not WebSocketFailure.None:
                return new(ExitCodes.AbnormalClose, $"wsc: connection closed abnormally ({close.Code}): {failure.Message}");
            default:
                string detail = close.Code == 1006
                    ? "the connection ended without a closing handshake"
                    : $"the closing handshake did not complete (close {MessageFormatter.DescribeCloseCode(close.Code)}{reason})";
                return new(ExitCodes.AbnormalClose, $"wsc: connection closed abnormally ({close.Code}): {detail}");
        }
    }

    /// <summary>What to try next, for the failures that have an obvious next step.</summary>
    private static string Hint(WebSocketFailureException failure) => (failure.Failure, failure.HandshakeStatusCode) switch
    {
        (WebSocketFailure.HandshakeFailed, 401) => " (try --auth user:password or -H 'Authorization: ...')",
        (WebSocketFailure.HandshakeFailed, 407) => " (the proxy wants credentials)",
        (WebSocketFailure.TlsFailed, _) => " (--ca FILE trusts a private CA; --insecure skips the check)",
        _ => string.Empty,
    };
}
