using GeoRisk.Gdal.Ingestion;
using Spectre.Console;

namespace GeoRisk.Cli;

/// <summary>Progress bars on a terminal; one line per phase when output is redirected (CI logs, pipes).</summary>
internal static class ConsoleProgress
{
    public static async Task<T> RunAsync<T>(string title, Func<Action<IngestProgress>, Task<T>> work)
    {
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            T result = default!;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                    result = await work(p =>
                    {
                        task.Description = Markup.Escape($"{title}: {p.Phase}");
                        task.Value = p.Fraction;
                    });
                    task.Value = 1.0;
                });
            return result;
        }

        var lastPhase = "";
        return await work(p =>
        {
            if (p.Phase != lastPhase)
            {
                lastPhase = p.Phase;
                Console.WriteLine($"  {title}: {p.Phase} ({p.Fraction:P0})");
            }
        });
    }
}
