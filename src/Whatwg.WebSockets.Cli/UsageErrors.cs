namespace Whatwg.WebSockets.Cli;

/// <summary>Turns bad connection settings into wsc's one-line usage errors, for connect mode and bench alike.</summary>
internal static class UsageErrors
{
    /// <summary>Parses 'Name: value' headers into the options; returns the error line, or null when all were taken.</summary>
    public static string? AddHeaders(WebSocketOptions options, IEnumerable<string> headerTexts, KeyValuePair<string, string>? extra = null)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (string text in headerTexts)
        {
            if (!ClientSettings.TryParseHeader(text, out KeyValuePair<string, string> header))
            {
                return $"wsc: invalid header '{text}': expected 'Name: value'";
            }

            headers.Add(header);
        }

        if (extra is KeyValuePair<string, string> added)
        {
            headers.Add(added);
        }

        foreach (KeyValuePair<string, string> header in headers)
        {
            try
            {
                options.RequestHeaders[header.Key] = header.Value;
            }
            catch (ArgumentException ex)
            {
                return $"wsc: invalid header '{header.Key}': {ex.Message}";
            }
        }

        return null;
    }

    /// <summary>
    /// The error line for what the WebSocket constructor refused (URL, subprotocol or header), or null when the
    /// exception is none of those.
    /// </summary>
    public static string? FromConstructor(Exception exception, string url) => exception switch
    {
        SyntaxErrorException { ParamName: "url" } ex => "wsc: invalid URL: " + (url.Contains(':', StringComparison.Ordinal)
            ? WithoutParameterName(ex)
            : $"'{url}' is not an absolute URL; expected ws://, wss://, http:// or https://"),
        SyntaxErrorException ex => "wsc: invalid subprotocol: " + WithoutParameterName(ex),
        ArgumentException ex => "wsc: invalid header: " + WithoutParameterName(ex),
        _ => null,
    };

    /// <summary>The exception's own sentence, without the " (Parameter 'x')" that ArgumentException appends.</summary>
    private static string WithoutParameterName(ArgumentException exception)
    {
        string message = exception.Message;
        string suffix = $" (Parameter '{exception.ParamName}')";
        return exception.ParamName is not null && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }
}
