using GeoRisk.Gdal.Ingestion;
using Spectre.Console;

namespace GeoRisk.Cli;

/// <summary>Progress bars on a terminal; one line per phase when output is redirected (CI logs, pipes).</summary>
internal static class ConsoleProgress
{
    public static Task<T> RunAsync<T>(string title, Func<Action<IngestProgress>, Task<T>> work) =>
        RunAsync<T>(title, (Func<Action<string, double>, Task<T>>)(report => work(p => report(p.Phase, p.Fraction))));

    public static async Task<T> RunAsync<T>(string title, Func<Action<string, double>, Task<T>> work)
    {
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            T result = default!;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                    result = await work((phase, fraction) =>
                    {
                        task.Description = Markup.Escape($"{title}: {phase}");
                        task.Value = fraction;
                    });
                    task.Value = 1.0;
                });
            return result;
        }

        var lastPhase = "";
        return await work((phase, fraction) =>
        {
            if (phase != lastPhase)
            {
                lastPhase = phase;
                Console.WriteLine($"  {title}: {phase} ({fraction:P0})");
            }
        });
    }
}
