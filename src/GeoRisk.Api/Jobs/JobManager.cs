using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GeoRisk.Api.Jobs;

[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    [JsonStringEnumMemberName("queued")]
    Queued,
    [JsonStringEnumMemberName("running")]
    Running,
    [JsonStringEnumMemberName("succeeded")]
    Succeeded,
    [JsonStringEnumMemberName("failed")]
    Failed,
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}

public sealed record JobError(string Code, string Message);

/// <summary>A long-running request (an upload being validated and published, a zoning run) as clients see it.</summary>
public sealed record JobInfo
{
    public required string Id { get; init; }

    public required string Kind { get; init; }

    public JobState State { get; init; }

    public string Phase { get; init; } = "queued";

    public double Progress { get; init; }

    /// <summary>Block steps of the current phase done, per worker, when a zoning run's block steps run on the cluster.</summary>
    public Zoning.BlockStepProgress? Blocks { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public required string Owner { get; init; }

    /// <summary>The API key that started the job: only it and admins see or cancel the job (names are not unique).</summary>
    public string? OwnerKeyId { get; init; }

    /// <summary>What was asked (file name, kind, survey; or the model), for the history.</summary>
    public JsonElement? Request { get; init; }

    /// <summary>The validation report of an upload (also when it was rejected).</summary>
    public JsonElement? Report { get; init; }

    public JsonElement? Result { get; init; }

    public JobError? Error { get; init; }

    [JsonIgnore]
    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}

/// <summary>Reports progress and attaches the validation report from inside a job.</summary>
public sealed class JobContext(JobManager manager, string id, CancellationToken cancellationToken)
{
    public CancellationToken CancellationToken { get; } = cancellationToken;

    public void Report(string phase, double fraction, Zoning.BlockStepProgress? blocks = null) =>
        manager.Update(id, j => j with { Phase = phase, Progress = Math.Clamp(fraction, 0, 1), Blocks = blocks }, persist: false);

    public void AttachReport(object report) =>
        manager.Update(id, j => j with { Report = JsonSerializer.SerializeToElement(report, JobManager.Json) }, persist: true);
}

/// <summary>A job that ends in a client error (a rejected upload, an invalid model): state Failed with this code.</summary>
public sealed class JobFailedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Runs jobs in the background with bounded concurrency (zoning runs one at a time, uploads two), keeps
/// them in memory and in <c>jobs/&lt;id&gt;.json</c> beside the store so their outcome survives a restart; a job
/// that was queued or running when the process died is reported as failed ("interrupted").
/// </summary>
public sealed class JobManager : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly ConcurrentDictionary<string, JobInfo> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _cancellation = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SemaphoreSlim> _lanes = new(StringComparer.Ordinal) { ["zoning"] = new(1, 1), ["ingest"] = new(2, 2) };
    private readonly string _directory;
    private readonly ILogger<JobManager> _logger;
    private readonly ConcurrentDictionary<string, DateTime> _lastPersist = new(StringComparer.Ordinal);
    private readonly object _persistGate = new();

    public JobManager(GeoRiskServiceOptions options, ILogger<JobManager> logger)
    {
        _logger = logger;
        _directory = Path.Combine(Path.GetFullPath(options.StoreDirectory), "jobs");
        Directory.CreateDirectory(_directory);
        foreach (var file in Directory.EnumerateFiles(_directory, "*.json"))
        {
            try
            {
                var job = JsonSerializer.Deserialize<JobInfo>(File.ReadAllText(file), Json);
                if (job is null)
                {
                    continue;
                }

                if (!job.IsFinished)
                {
                    job = job with
                    {
                        State = JobState.Failed,
                        FinishedAt = DateTimeOffset.UtcNow,
                        Error = new JobError("interrupted", "The service stopped while this job was running; nothing it wrote was published. Start it again."),
                    };
                    Persist(job);
                }

                _jobs[job.Id] = job;
            }
            catch (JsonException ex)
            {
                _logger.LogWarning(ex, "Ignoring unreadable job file {File}", file);
            }
        }

        SweepUploads();
    }

    public string UploadDirectory(string jobId) => Path.Combine(_directory, "uploads", jobId);

    /// <summary>Jobs newest first, only <paramref name="ownerKeyId"/>'s unless null (admins), one page of them.</summary>
    public (IReadOnlyList<JobInfo> Page, int Total) List(string? ownerKeyId, int limit, int offset)
    {
        var visible = _jobs.Values.Where(
            j => ownerKeyId is null || j.OwnerKeyId == ownerKeyId).OrderByDescending(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal).ToList();
        return (visible.Skip(offset).Take(limit).ToList(), visible.Count);
    }

    public JobInfo? Get(string id) => _jobs.GetValueOrDefault(id);

    /// <summary>Queues work; <paramref name="work"/> returns the result object (serialised into the job).</summary>
    public JobInfo Start(string kind, string owner, string? ownerKeyId, object request, Func<JobContext, Task<object?>> work, string? id = null)
    {
        var job = new JobInfo
        {
            Id = id ?? NewId(),
            Kind = kind,
            CreatedAt = DateTimeOffset.UtcNow,
            Owner = owner,
            OwnerKeyId = ownerKeyId,
            Request = JsonSerializer.SerializeToElement(request, Json),
        };
        _jobs[job.Id] = job;
        Persist(job);
        var cts = new CancellationTokenSource();
        _cancellation[job.Id] = cts;
        _ = Task.Run(() => RunAsync(job.Id, kind, work, cts.Token));
        return job;
    }

    public static string NewId() => Guid.NewGuid().ToString("N")[..16];

    /// <returns>The job, or null when it does not exist.</returns>
    public JobInfo? Cancel(string id)
    {
        if (_cancellation.TryGetValue(id, out var cts))
        {
            cts.Cancel();
        }

        return Get(id);
    }

    internal void Update(string id, Func<JobInfo, JobInfo> change, bool persist)
    {
        var updated = _jobs.AddOrUpdate(id, _ => throw new KeyNotFoundException(id), (_, j) => change(j));
        var now = DateTime.UtcNow;
        if (persist || now - _lastPersist.GetValueOrDefault(id) > TimeSpan.FromSeconds(1))
        {
            _lastPersist[id] = now;
            Persist(updated);
        }
    }

    public void Dispose()
    {
        foreach (var cts in _cancellation.Values)
        {
            cts.Cancel();
            cts.Dispose();
        }

        foreach (var lane in _lanes.Values)
        {
            lane.Dispose();
        }
    }

    private async Task RunAsync(string id, string kind, Func<JobContext, Task<object?>> work, CancellationToken ct)
    {
        var lane = _lanes.GetValueOrDefault(kind) ?? _lanes["ingest"];
        try
        {
            await lane.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            Finish(id, JobState.Cancelled, null, new JobError("cancelled", "Cancelled before it started."));
            return;
        }

        try
        {
            Update(id, j => j with { State = JobState.Running, StartedAt = DateTimeOffset.UtcNow, Phase = "starting" }, persist: true);
            var result = await work(new JobContext(this, id, ct));
            Finish(id, JobState.Succeeded, result, null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Finish(id, JobState.Cancelled, null, new JobError("cancelled", "Cancelled; nothing was published."));
        }
        catch (JobFailedException ex)
        {
            Finish(id, JobState.Failed, null, new JobError(ex.Code, ex.Message));
        }
        catch (Core.InvalidInputException ex)
        {
            Finish(id, JobState.Failed, null, new JobError(ex.Code, ex.Message));
        }
        catch (Gdal.GdalException ex)
        {
            Finish(id, JobState.Failed, null, new JobError("gdal-error", ex.Message));
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Job {Id} failed", id);
            Finish(id, JobState.Failed, null, new JobError("internal-error", "The job failed unexpectedly; it has been logged."));
        }
        finally
        {
            lane.Release();
            if (_cancellation.TryRemove(id, out var cts))
            {
                cts.Dispose();
            }

            DeleteUploads(id);
        }
    }

    private void DeleteUploads(string id)
    {
        try
        {
            var uploads = UploadDirectory(id);
            if (Directory.Exists(uploads))
            {
                Directory.Delete(uploads, recursive: true);
            }
        }
        catch (IOException ex)
        {
            _logger.LogWarning(ex, "Cannot delete the upload folder of job {Id}", id);
        }
    }

    /// <summary>
    /// Uploads (up to the upload limit each) of jobs that are no longer running: left by a crash, or by a
    /// version that did not clean up cancelled queued jobs. At start-up no job of this instance runs.
    /// </summary>
    private void SweepUploads()
    {
        var root = Path.Combine(_directory, "uploads");
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            var id = Path.GetFileName(dir);
            if (_jobs.GetValueOrDefault(id) is not { IsFinished: false })
            {
                DeleteUploads(id);
            }
        }
    }

    private void Finish(string id, JobState state, object? result, JobError? error)
    {
        // A finished job has no upload folder: delete it before the state says finished.
        DeleteUploads(id);
        Update(id, j => j with
        {
            State = state,
            FinishedAt = DateTimeOffset.UtcNow,
            Progress = state == JobState.Succeeded ? 1 : j.Progress,
            Phase = state.ToString().ToLowerInvariant(),
            Result = result is null ? null : JsonSerializer.SerializeToElement(result, Json),
            Error = error,
        }, persist: true);
    }

    private void Persist(JobInfo job)
    {
        lock (_persistGate)
        {
            // Always the latest state: updates race, the dictionary holds the winner.
            var latest = _jobs.GetValueOrDefault(job.Id) ?? job;
            var path = Path.Combine(_directory, job.Id + ".json");
            var temp = path + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(latest, Json));
            File.Move(temp, path, overwrite: true);
        }
    }
}
