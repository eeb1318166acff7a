using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Whatwg.WebSockets.Cli.Bench;

/// <summary>The Spectre.Console consoles that <c>wsc bench</c> draws on.</summary>
internal static class Screens
{
    /// <summary>The width of the plain form, whatever the environment says.</summary>
    public const int PlainWidth = 80;

    /// <summary>
    /// A console over <paramref name="writer"/>. Styled, for a terminal: escape codes, as many colours as the
    /// terminal has (none with NO_COLOR) and the terminal's width. Plain, for pipes and logs: no escape codes, no
    /// colour, ASCII only and 80 columns, taking nothing from the environment.
    /// </summary>
    public static IAnsiConsole Create(TextWriter writer, bool styled)
    {
        if (styled)
        {
            return AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.Yes,
                ColorSystem = ColorSystemSupport.Detect,
                Out = new AnsiConsoleOutput(writer),
            });
        }

        IAnsiConsole plain = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Enrichment = new ProfileEnrichment { UseDefaultEnrichers = false },
            Out = new AnsiConsoleOutput(writer),
        });
        plain.Profile.Width = PlainWidth;
        plain.Profile.Capabilities.Unicode = false;
        return plain;
    }

    /// <summary>
    /// The console for the live progress display on stderr, or null when stderr is not a terminal or the terminal
    /// does not take escape codes (then there is no progress display: it would only add lines to a log).
    /// </summary>
    public static IAnsiConsole? Live(TextWriter error)
    {
        if (Console.IsErrorRedirected)
        {
            return null;
        }

        // Interactive even when stdin or stdout is redirected: the display only needs stderr.
        IAnsiConsole live = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(error),
        });
        return live.Profile.Capabilities.Ansi ? live : null;
    }
}

/// <summary>
/// A light table border: a rule under each column's header and nothing else; with one space of padding on the
/// left of every column but the first, columns stand two spaces apart. A box costs three columns of width per
/// column; this costs two, so bench's nine columns fit in 80 even with large numbers, where a box would make
/// Spectre wrap cells and a script could no longer read the row.
/// </summary>
internal sealed class HeaderRuleBorder : TableBorder
{
    private readonly char _rule;

    private HeaderRuleBorder(char rule) => _rule = rule;

    /// <summary>The rule drawn with '-'.</summary>
    public static HeaderRuleBorder Plain { get; } = new('-');

    /// <summary>The rule drawn with '─'.</summary>
    public static HeaderRuleBorder Styled { get; } = new('─');

    /// <inheritdoc />
    public override bool SupportsRowSeparator => false;

    /// <inheritdoc />
    public override string GetPart(TableBorderPart part) => part switch
    {
        TableBorderPart.HeaderLeft or TableBorderPart.HeaderRight or TableBorderPart.CellLeft or TableBorderPart.CellRight => string.Empty,
        _ => " ",
    };

    /// <summary>Only the rule under the header, under each column's text and not its padding; no other rows.</summary>
    public override string GetColumnRow(TablePart part, IReadOnlyList<int> widths, IReadOnlyList<IColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(widths);
        ArgumentNullException.ThrowIfNull(columns);
        if (part != TablePart.HeaderSeparator)
        {
            return string.Empty;
        }

        var rule = new StringBuilder();
        for (int i = 0; i < widths.Count; i++)
        {
            rule.Append(' ', (i > 0 ? 1 : 0) + columns[i].Padding.GetLeftSafe())
                .Append(_rule, widths[i])
                .Append(' ', columns[i].Padding.GetRightSafe());
        }

        return rule.ToString().TrimEnd();
    }
}
