using System.Globalization;
using System.Text;

namespace Whatwg.WebSockets.Cli;

/// <summary>
/// The interactive mode's screen: a prompt line with editing (left/right, Home/End, Backspace/Delete, Ctrl+U)
/// and history (up/down), and lines printed above it (messages, status) without disturbing what is being typed.
/// </summary>
internal sealed class InteractiveTerminal
{
    private const string Prompt = "> ";

    private readonly TextWriter _screen;
    private readonly bool _colour;
    private readonly bool _timestamps;
    private readonly Lock _lock = new();
    private readonly StringBuilder _line = new();
    private readonly List<string> _history = [];
    private int _cursor;
    private bool _reading;

    public InteractiveTerminal(TextWriter screen, bool colour, bool timestamps)
    {
        _screen = screen;
        _colour = colour;
        _timestamps = timestamps;
    }

    /// <summary>The kinds of line printed above the prompt.</summary>
    public enum Kind
    {
        Incoming,
        Outgoing,
        Status,
        Error,
    }

    /// <summary>Prints lines above the prompt, marked and coloured by kind.</summary>
    public void Print(Kind kind, string text)
    {
        string mark = kind switch
        {
            Kind.Incoming => "< ",
            Kind.Outgoing => "> ",
            _ => "* ",
        };
        string colour = kind switch
        {
            Kind.Incoming => "\e[32m",
            Kind.Outgoing => "\e[36m",
            Kind.Error => "\e[31m",
            _ => "\e[33m",
        };
        string stamp = _timestamps ? DateTime.Now.ToString("HH:mm:ss.fff ", CultureInfo.InvariantCulture) : string.Empty;
        var block = new StringBuilder();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string prefix = i == 0 ? stamp + mark : new string(' ', stamp.Length + mark.Length);
            block.Append(_colour ? colour : string.Empty).Append(prefix).Append(lines[i]).Append(_colour ? "\e[0m" : string.Empty).Append('\n');
        }

        lock (_lock)
        {
            _screen.Write(_reading ? "\r\e[2K" + block : block.ToString());
            if (_reading)
            {
                Redraw();
            }
        }
    }

    /// <summary>Clears the prompt line (before wsc prints its closing status and exits).</summary>
    public void Stop()
    {
        lock (_lock)
        {
            if (_reading)
            {
                _screen.Write("\r\e[2K");
                _reading = false;
            }
        }
    }

    /// <summary>Reads one edited line; null at Ctrl+D on an empty line or when the terminal is gone.</summary>
    public string? ReadLine()
    {
        lock (_lock)
        {
            _line.Clear();
            _cursor = 0;
            _reading = true;
            Redraw();
        }

        int historyIndex = _history.Count;
        while (true)
        {
            ConsoleKeyInfo key;
            try
            {
                key = Console.ReadKey(intercept: true);
            }
            catch (InvalidOperationException)
            {
                return null;
            }

            lock (_lock)
            {
                if (!_reading)
                {
                    return null;
                }

                switch (key.Key)
                {
                    case ConsoleKey.Enter:
                        string line = _line.ToString();
                        _screen.Write("\r\e[2K");
                        _reading = false;
                        if (line.Length > 0 && (_history.Count == 0 || _history[^1] != line))
                        {
                            _history.Add(line);
                        }

                        return line;
                    case ConsoleKey.Backspace when _cursor > 0:
                        _line.Remove(--_cursor, 1);
                        break;
                    case ConsoleKey.Delete when _cursor < _line.Length:
                        _line.Remove(_cursor, 1);
                        break;
                    case ConsoleKey.LeftArrow when _cursor > 0:
                        _cursor--;
                        break;
                    case ConsoleKey.RightArrow when _cursor < _line.Length:
                        _cursor++;
                        break;
                    case ConsoleKey.Home:
                        _cursor = 0;
                        break;
                    case ConsoleKey.End:
                        _cursor = _line.Length;
                        break;
                    case ConsoleKey.UpArrow when historyIndex > 0:
                        Replace(_history[--historyIndex]);
                        break;
                    case ConsoleKey.DownArrow when historyIndex < _history.Count:
                        historyIndex++;
                        Replace(historyIndex < _history.Count ? _history[historyIndex] : string.Empty);
                        break;
                    case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && _line.Length == 0:
                        _screen.Write("\r\e[2K");
                        _reading = false;
                        return null;
                    case ConsoleKey.U when key.Modifiers.HasFlag(ConsoleModifiers.Control):
                        _line.Remove(0, _cursor);
                        _cursor = 0;
                        break;
                    default:
                        if (key.KeyChar == '\n' || key.KeyChar == '\r')
                        {
                            goto case ConsoleKey.Enter;
                        }

                        if (!char.IsControl(key.KeyChar))
                        {
                            _line.Insert(_cursor++, key.KeyChar);
                        }

                        break;
                }

                Redraw();
            }
        }
    }

    private void Replace(string text)
    {
        _line.Clear().Append(text);
        _cursor = _line.Length;
    }

    /// <summary>Rewrites the prompt line and puts the cursor where it belongs. Caller holds the lock.</summary>
    private void Redraw()
    {
        var text = new StringBuilder("\r\e[2K").Append(_colour ? "\e[1m" + Prompt + "\e[0m" : Prompt).Append(_line);
        int back = _line.Length - _cursor;
        if (back > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\e[{back}D");
        }

        _screen.Write(text.ToString());
    }
}
