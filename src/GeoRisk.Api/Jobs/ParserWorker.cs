using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GeoRisk.Api.Jobs;

/// <summary>What an upload job asks the worker to do (the fields of `georisk ingest`), sent as JSON on the worker's standard input.</summary>
public sealed record WorkerIngest(
    string FilePath, string Kind, string SurveyId, string? Layer, string? Crs, string? SourceLayer, string? Map, string Uploader, string OriginalName)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Where the worker writes its outcome.</summary>
    public string? ResultJson { get; init; }

    /// <summary>The store folder.</summary>
    public string? Store { get; init; }
}

/// <summary>
/// Parses untrusted uploads in a child process (`georisk ingest`), so a native crash, a stack overflow or
/// runaway memory in GDAL or a parser ends that process, never the service. The worker runs with a managed
/// heap limit and a time limit, validates and publishes through the same store (publishing is atomic, so
/// a worker that dies leaves the previous version current) and writes its outcome as JSON.
/// </summary>
public sealed partial class ParserWorker(GeoRiskServiceOptions options, ILogger<ParserWorker> logger)
{
    /// <summary>The georisk.dll to run: configured, or the running executable when the service is `georisk serve`.</summary>
    public string? Command => options.WorkerCommand
        ?? (Assembly.GetEntryAssembly()?.Location is { } entry && Path.GetFileName(entry) == "georisk.dll" ? entry : null);

    public bool Enabled => options.IsolateParsers && Command is not null;

    [GeneratedRegex(@"^\s+.+: (?<phase>.+) \((?<pct>\d+)\s?%\)$")]
    private static partial Regex ProgressLine();

    /// <summary>Runs one upload in a worker process: start it, hand it the job, wait within the time limit, read its outcome.</summary>
    public async Task<object?> IngestAsync(WorkerIngest request, JobContext context)
    {
        var outcome = Path.Combine(Path.GetDirectoryName(request.FilePath)!, "outcome.json");
        // Everything the uploader chose travels as JSON on standard input: as arguments, System.CommandLine
        // would expand "@file" tokens (reading files into the job) and a name could pose as an option.
        var job = request with { ResultJson = outcome, Store = Path.GetFullPath(options.StoreDirectory) };
        using var process = Process.Start(StartInfo()) ?? throw new InvalidOperationException("Cannot start the parser worker.");
        var stderr = new List<string>();
        Observe(process, stderr, context);
        try
        {
            await process.StandardInput.WriteAsync(JsonSerializer.Serialize(job, WorkerIngest.Json));
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The worker died before reading its job; its exit code below says so.
        }

        await WaitWithinLimitAsync(process, context);
        JsonElement? result = File.Exists(outcome) ? JsonDocument.Parse(await File.ReadAllTextAsync(outcome)).RootElement.Clone() : null;
        if (result is { } r && r.TryGetProperty("report", out var report))
        {
            context.AttachReport(report);
        }

        return Outcome(request, process.ExitCode, result, stderr);
    }

    /// <summary>`dotnet exec georisk.dll ingest-job` with the heap limit, the store settings of this service and no cleanup of its own.</summary>
    private ProcessStartInfo StartInfo()
    {
        var psi = new ProcessStartInfo("dotnet", ["exec", Command!, "ingest-job"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["DOTNET_GCHeapHardLimit"] = "0x" + ((long)options.WorkerMemoryMB * 1024 * 1024).ToString("X", CultureInfo.InvariantCulture);
        psi.Environment.Remove("GEORISK_POSTGRES");
        psi.Environment.Remove("GEORISK_STORE");
        psi.Environment["GEORISK_STORE_CLEANUP"] = "0";
        if (options.PostgresConnectionString is { Length: > 0 } cs)
        {
            psi.Environment["GEORISK_POSTGRES"] = cs;
            psi.Environment["GeoRisk__RasterDirectory"] = options.RasterDirectory ?? Path.Combine(options.StoreDirectory, "rasters");
        }

        return psi;
    }

    /// <summary>Collects the worker's standard error and turns its progress lines into job progress.</summary>
    private static void Observe(Process process, List<string> stderr, JobContext context)
    {
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.Add(e.Data);
                }
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && ProgressLine().Match(e.Data) is { Success: true } m)
            {
                context.Report(m.Groups["phase"].Value, int.Parse(m.Groups["pct"].Value, CultureInfo.InvariantCulture) / 100.0);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Waits for the worker; past the time limit or on cancellation it is killed with its children.</summary>
    private async Task WaitWithinLimitAsync(Process process, JobContext context)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(options.WorkerTimeoutSeconds));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            context.CancellationToken.ThrowIfCancellationRequested();
            throw new JobFailedException(
                "parser-timeout", $"Parsing took longer than {options.WorkerTimeoutSeconds} s and was stopped; nothing was stored.");
        }
    }

    /// <summary>The published version (exit 0), the rejection (exit 3), or a failure for any other end of the worker.</summary>
    private object Outcome(WorkerIngest request, int exitCode, JsonElement? result, List<string> stderr)
    {
        switch (exitCode)
        {
            case 0 when result is { } ok:
                return new
                {
                    layer = ok.GetProperty("layer").GetString(),
                    version = ok.GetProperty("version").GetInt32(),
                    features = ok.GetProperty("features").GetInt64(),
                    sourceCrs = ok.GetProperty("sourceCrs").GetString(),
                };
            case 3 when result is { } rejected:
                throw new JobFailedException(
                    rejected.GetProperty("rejectionCode").GetString() ?? "rejected", "The upload was rejected; nothing was stored. See the report.");
            default:
                string tail;
                lock (stderr)
                {
                    tail = string.Join(" | ", stderr.TakeLast(5));
                }

                logger.LogWarning("Parser worker for {File} ended with exit code {Code}: {Stderr}", request.OriginalName, exitCode, tail);
                throw new JobFailedException(
                    "parser-failed",
                    $"The file could not be parsed safely: the parser process ended abnormally (exit code {exitCode}), for example by crashing "
                    + $"or exceeding its {options.WorkerMemoryMB} MB memory limit. Nothing was stored; the service is unaffected.");
        }
    }
}
