using System.Diagnostics;

namespace GeoRisk.Tests.Common;

/// <summary>Runs a third-party program (gdalinfo, ogrinfo, …) the way a user would, failing loudly on timeout.</summary>
public static class ExternalTool
{
    /// <summary>Runs <paramref name="file"/> and returns its exit code, standard output and standard error.</summary>
    /// <exception cref="TimeoutException">The program did not finish within <paramref name="timeout"/> (default five minutes); it is killed.</exception>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IReadOnlyDictionary<string, string>? environment,
        TimeSpan? timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout ?? TimeSpan.FromMinutes(5)}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs <paramref name="file"/> and returns its standard output, throwing with its standard error on a non-zero exit.</summary>
    /// <exception cref="InvalidOperationException">The program exited with a non-zero code.</exception>
    public static async Task<string> OutputAsync(string file, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(file, null, null, args);
        return code == 0 ? stdout : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
    }
}
