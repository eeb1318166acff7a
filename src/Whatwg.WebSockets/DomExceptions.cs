namespace Whatwg.WebSockets;

/// <summary>Implemented by the exceptions that stand for a WHATWG <c>DOMException</c>; <see cref="Name"/> is its name.</summary>
public interface IDomException
{
    /// <summary>The DOMException name, e.g. <c>"SyntaxError"</c>.</summary>
    string Name { get; }
}

/// <summary>
/// The DOMException <c>SyntaxError</c>: a URL, protocol or close reason the spec rejects.
/// Derives from <see cref="ArgumentException"/>, as the rejected value is always an argument.
/// </summary>
public sealed class SyntaxErrorException : ArgumentException, IDomException
{
    /// <summary>Creates the exception.</summary>
    public SyntaxErrorException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SyntaxErrorException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the argument's name.</summary>
    public SyntaxErrorException(string message, string? paramName)
        : base(message, paramName)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SyntaxErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public string Name => "SyntaxError";
}

/// <summary>
/// The DOMException <c>InvalidStateError</c>: e.g. <see cref="WebSocket.Send(string)"/> while CONNECTING.
/// Derives from <see cref="InvalidOperationException"/>.
/// </summary>
public sealed class InvalidStateErrorException : InvalidOperationException, IDomException
{
    /// <summary>Creates the exception.</summary>
    public InvalidStateErrorException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public InvalidStateErrorException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public InvalidStateErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public string Name => "InvalidStateError";
}

/// <summary>
/// The DOMException <c>InvalidAccessError</c>: a close code other than 1000 or 3000-4999.
/// Derives from <see cref="ArgumentOutOfRangeException"/>.
/// </summary>
public sealed class InvalidAccessErrorException : ArgumentOutOfRangeException, IDomException
{
    /// <summary>Creates the exception.</summary>
    public InvalidAccessErrorException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public InvalidAccessErrorException(string message)
        : base(null, message)
    {
    }

    /// <summary>Creates the exception with the argument's name, its value and a message.</summary>
    public InvalidAccessErrorException(string? paramName, object? actualValue, string message)
        : base(paramName, actualValue, message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public InvalidAccessErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public string Name => "InvalidAccessError";
}
