namespace Whatwg.WebSockets.Cli;

/// <summary>The process exit codes of wsc; each is documented in <c>--help</c>.</summary>
internal static class ExitCodes
{
    /// <summary>The connection closed cleanly: the closing handshake completed, whatever the close code.</summary>
    public const int CleanClose = 0;

    /// <summary>Bad arguments: unknown option, invalid URL, subprotocol, header or certificate file.</summary>
    public const int UsageError = 1;

    /// <summary>The connection could not be established: connect, TLS, timeout or a refused opening handshake.</summary>
    public const int ConnectFailed = 2;

    /// <summary>The server broke the protocol (bad frame, bad UTF-8, message too big).</summary>
    public const int ProtocolError = 3;

    /// <summary>The connection ended without a clean closing handshake (dropped, close timeout, keep-alive timeout).</summary>
    public const int AbnormalClose = 4;

    /// <summary><c>wsc bench</c> only: the run finished, but echoes were wrong or missing, or the server closed a connection early.</summary>
    public const int BenchErrors = 5;

    /// <summary>The text shown in <c>--help</c>.</summary>
    public const string HelpText = """
        Exit codes:
          0  the connection closed cleanly (the closing handshake completed, whatever the close code);
             the close code and reason are written to stderr
          1  usage error: unknown option or bad value (URL, subprotocol, header, certificate file, ...)
          2  could not connect or the handshake failed: refused or unreachable, TLS failure, timeout, or
             the server refused the opening handshake ("handshake failed: server answered 403 Forbidden")
          3  protocol error: the server broke RFC 6455 (bad frame, invalid UTF-8, message too big)
          4  the connection closed abnormally: dropped without a closing handshake (1006), close or
             keep-alive timeout
        """;
}
