using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Vectorize;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Cluster;

/// <summary>Submitting a run to the cluster and waiting for it, as a client does.</summary>
public static class ClusterRuns
{
    /// <summary>
    /// Starts the run and polls its coordinator until it finishes. A call that fails because the
    /// coordinator's silo was lost is simply made again (that activates the coordinator elsewhere, which
    /// resumes the run). Fails loudly when the run fails or does not finish within <paramref name="timeout"/>.
    /// When <paramref name="cancellationToken"/> is cancelled the run is cancelled on the cluster too, and this throws only once the
    /// coordinator has stopped it (its blocks in flight returned), so the caller may delete the run's files: no worker writes into
    /// them afterwards.
    /// </summary>
    public static async Task<RunProgress> RunAsync(
        IGrainFactory grains,
        string runId,
        RunSpec spec,
        TimeSpan timeout,
        IProgress<RunProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var coordinator = grains.GetGrain<IRunCoordinatorGrain>(runId);
        try
        {
            return await PollAsync(coordinator, runId, spec, timeout, progress, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // Cancelled by the client, or given up on: either way the run must stop before the caller deletes its files.
            await CancelAsync(coordinator, runId);
            throw;
        }
    }

    private static async Task<RunProgress> PollAsync(
        IRunCoordinatorGrain coordinator, string runId, RunSpec spec, TimeSpan timeout, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        RunProgress? last = null;
        var started = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException(
                    $"Run {runId} did not finish within {timeout} (last: {last?.Step}, {last?.BlocksDone}/{last?.BlocksTotal} block steps).");
            }

            try
            {
                last = started ? await coordinator.GetProgressAsync() : await coordinator.StartAsync(spec);
                started = true;
            }
            catch (Exception ex) when (IsLostSilo(ex))
            {
                // The coordinator's silo is gone (refused, or no answer within the client's call timeout);
                // the next call activates it on another one.
                await Task.Delay(500, cancellationToken);
                continue;
            }

            progress?.Report(last);
            switch (last.Status)
            {
                case RunStatus.Pending:
                    started = false; // the coordinator lost its state (memory storage on a lost silo): start again
                    break;
                case RunStatus.Finished:
                    return last;
                case RunStatus.Failed:
                    throw new InvalidOperationException($"Run {runId} failed: {last.Error}");
                case RunStatus.Cancelled:
                    throw new OperationCanceledException($"Run {runId} was cancelled by another client.");
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    private static readonly TimeSpan CancelWait = TimeSpan.FromMinutes(5);

    /// <summary>A grain call that failed because the silo holding the grain was lost or did not answer in time: made again, it activates
    /// the grain elsewhere.</summary>
    internal static bool IsLostSilo(Exception ex) => ex is OrleansException or TimeoutException;

    /// <summary>Cancels the run and waits until its coordinator has stopped it (a lost coordinator silo is retried, as in a run).</summary>
    private static async Task CancelAsync(IRunCoordinatorGrain coordinator, string runId)
    {
        // Blocks in flight finish first: a block takes seconds, a very large one minutes; longer means the cluster itself is failing.
        var watch = Stopwatch.StartNew();
        var asked = false;
        while (watch.Elapsed < CancelWait)
        {
            try
            {
                var state = asked ? await coordinator.GetProgressAsync() : await coordinator.CancelAsync();
                asked = true;
                if (state.Status != RunStatus.Running)
                {
                    return;
                }
            }
            catch (Exception ex) when (IsLostSilo(ex))
            {
                asked = false; // the coordinator's silo was lost: ask its next activation, which holds the persisted request or none
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Run {runId} was cancelled but its coordinator did not stop it within {CancelWait}; its files may still be written to.");
    }

    /// <summary>
    /// Deletes a finished run's persisted state once its outputs are read and removed. Best effort: when the cluster does not
    /// answer, the state stays behind (a row; the same job asked for again runs anew, its coordinator seeing its folder gone).
    /// </summary>
    private static async Task ForgetAsync(IGrainFactory grains, string runId)
    {
        try
        {
            await grains.GetGrain<IRunCoordinatorGrain>(runId).ForgetAsync();
        }
        catch (Exception ex) when (IsLostSilo(ex))
        {
            // left behind; see the summary
        }
    }

    /// <summary>
    /// Once a client has read what it needs of a run (or given up on it): the run's folder in the shared raster folder
    /// <paramref name="rasterDirectory"/> goes, and so does its coordinator's persisted state if the run finished. A failed or
    /// cancelled run's state stays, for whoever looks into it (the same job started again begins anew).
    /// </summary>
    public static void CleanUp(IGrainFactory grains, string rasterDirectory, string runId, bool finished)
    {
        var folder = Path.Combine(Path.GetFullPath(rasterDirectory), WorkerContext.RunFolder(runId));
        if (!finished && !StoppedAsync(grains, runId).GetAwaiter().GetResult())
        {
            return; // still running as far as anyone can tell (its cancellation was not confirmed): workers may write into the folder
        }

        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // A worker may still hold a block file open for a moment; the client has its result, the folder is only scratch left behind.
        }

        if (finished)
        {
            ForgetAsync(grains, runId).GetAwaiter().GetResult();
        }
    }

    /// <summary>Whether the run's coordinator says it is not running (false when it does not answer).</summary>
    private static async Task<bool> StoppedAsync(IGrainFactory grains, string runId)
    {
        try
        {
            return (await grains.GetGrain<IRunCoordinatorGrain>(runId).GetProgressAsync()).Status != RunStatus.Running;
        }
        catch (Exception ex) when (IsLostSilo(ex))
        {
            return false;
        }
    }

    /// <summary>Reads the zones a finished run published.</summary>
    public static List<ClassPolygon> ReadZones(string path, GeometryFactory? factory = null)
    {
        var reader = new WKBReader(new NetTopologySuite.NtsGeometryServices(factory?.PrecisionModel ?? new PrecisionModel(), factory?.SRID ?? 0));
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream);
        var count = r.ReadInt32();
        var zones = new List<ClassPolygon>(count);
        for (var i = 0; i < count; i++)
        {
            var value = r.ReadSingle();
            zones.Add(new ClassPolygon(value, (Polygon)reader.Read(r.ReadBytes(r.ReadInt32()))));
        }

        return zones;
    }

    /// <summary>The grade result a finished run published (summary, histogram cells, zones), as <see cref="GradePipeline.RunAsync"/> returned it.</summary>
    public static GradeResult ReadResult(string folder)
    {
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        var root = summary.RootElement;
        var breaks = root.GetProperty("breaks").EnumerateArray().Select(b => b.GetDouble()).ToArray();
        // The summary leaves out the cells of grade 0 (outside the extent), which no step reads.
        long[] cellsPerGrade = [0, .. root.GetProperty("cellsPerGrade").EnumerateArray().Select(c => c.GetInt64())];
        var cells = File.ReadAllLines(Path.Combine(folder, "histogram.txt")).Select(l => long.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        var histogram = ValueHistogram.FromCounts(root.GetProperty("histogramMin").GetSingle(), root.GetProperty("histogramMax").GetSingle(), cells);
        return new GradeResult(breaks, cellsPerGrade, histogram, ClusterRuns.ReadZones(Path.Combine(folder, "zones.bin")),
            root.GetProperty("edgeComponents").GetInt32());
    }

    /// <summary>A run id from the job's bytes and a caller's tag (the same job twice is the same run, and is not run again).</summary>
    public static string RunIdOf(GradeJob job, string tag) => RunIdOf(job.ToBytes(), tag);

    /// <summary>A run id from a job's bytes and a caller's tag.</summary>
    public static string RunIdOf(byte[] job, string tag) => $"{tag}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(job))[..16]}";
}
