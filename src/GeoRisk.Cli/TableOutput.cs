using System.Text;
using Spectre.Console;

namespace GeoRisk.Cli;

/// <summary>
/// A table drawn with box characters on a terminal, and as plain space-aligned columns when output is
/// redirected, so scripts and logs get one line per row with nothing wrapped.
/// </summary>
internal sealed class TableOutput(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void AddRow(params string[] cells) => _rows.Add(cells);

    public void Write()
    {
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            var table = new Table().AddColumns(headers.Select(Markup.Escape).ToArray());
            foreach (var row in _rows)
            {
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }

            AnsiConsole.Write(table);
            return;
        }

        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var sb = new StringBuilder();
        void Line(string[] cells) => sb.AppendLine(string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
        Line(headers);
        foreach (var row in _rows)
        {
            Line(row);
        }

        Console.Write(sb.ToString());
    }
}
