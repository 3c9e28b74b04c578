using System.Collections.Concurrent;
using System.Diagnostics;
using GeoRisk.Gdal;
using GeoRisk.Raster.Blocks;
using GeoRisk.Zoning;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Runtime;

namespace GeoRisk.Cluster;

/// <summary>What every silo knows: the shared raster folder and how many blocks it computes at once.</summary>
public sealed class WorkerContext : IDisposable
{
    private readonly ConcurrentDictionary<string, BlockFileStorage> _storage = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<(ZoningBlockJob, BlockFileStorage)>> _passes = new(StringComparer.Ordinal);

    public WorkerContext(string rasterDirectory, int threads)
    {
        RasterDirectory = Path.GetFullPath(rasterDirectory);
        Threads = Math.Max(1, threads);
        Slots = new SemaphoreSlim(Threads);
    }

    public string RasterDirectory { get; }

    public int Threads { get; }

    /// <summary>Blocks this silo computes at once.</summary>
    public SemaphoreSlim Slots { get; }

    /// <summary>A run's folder relative to the raster folder.</summary>
    public static string RunFolder(string runId) => Path.Combine("cluster-runs", runId);

    public string RunPath(string runId) => Path.Combine(RasterDirectory, RunFolder(runId));

    /// <summary>The run's rasters (its folder; inputs from the raster folder).</summary>
    public BlockFileStorage StorageFor(string runId) => _storage.GetOrAdd(runId, id =>
    {
        // Keep a few runs' open rasters; older ones are closed.
        if (_storage.Count > 8)
        {
            foreach (var old in _storage.Keys.Take(_storage.Count - 8).ToList())
            {
                if (_storage.TryRemove(old, out var s))
                {
                    s.Dispose();
                }
            }
        }

        Directory.CreateDirectory(RunPath(id));
        return new BlockFileStorage(RunPath(id), RasterDirectory);
    });

    /// <summary>
    /// A zoning pass's job (read once per silo from its file in the shared folder; it carries the run's features) and the run's block
    /// storage it reads and writes. Kept while the job file exists: the client deletes it once the pass is over, and the pass is let
    /// go of at the next pass this silo gets (never one still running, as a cache of a fixed size might). The paths are checked
    /// before anything is kept, and a job that failed to load is not kept, so one bad task never spoils later passes.
    /// </summary>
    public (ZoningBlockJob Job, BlockFileStorage Storage) ZoningPass(byte[] task)
    {
        var pass = ZoningPassTask.FromBytes(task);
        var (jobFile, blockFolder) = (Inside(pass.JobFile), Inside(pass.BlockFolder));
        foreach (var over in _passes.Keys.Where(k => k != pass.JobFile && !File.Exists(Path.Combine(RasterDirectory, k))).ToList())
        {
            if (_passes.TryRemove(over, out var done) && done.IsValueCreated)
            {
                done.Value.Item2.Dispose();
            }
        }

        var entry = _passes.GetOrAdd(pass.JobFile, _ => new Lazy<(ZoningBlockJob, BlockFileStorage)>(
            () => (ZoningBlockJob.FromBytes(File.ReadAllBytes(jobFile)), new BlockFileStorage(blockFolder))));
        try
        {
            return entry.Value;
        }
        catch (Exception)
        {
            _passes.TryRemove(new KeyValuePair<string, Lazy<(ZoningBlockJob, BlockFileStorage)>>(pass.JobFile, entry));
            throw;
        }
    }

    /// <summary>A path the client named relative to the raster folder, refused when it leads outside it.</summary>
    private string Inside(string relative)
    {
        var path = Path.GetFullPath(Path.Combine(RasterDirectory, relative));
        return path.StartsWith(RasterDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException($"'{relative}' is outside the raster folder.", nameof(relative));
    }

    public string ResultPath(string runId, string step, int block) => Path.Combine(RunPath(runId), "results", step, $"{block}.bin");

    /// <summary>A block's result, written whole or not at all (a temporary name, then a rename).</summary>
    public void WriteResult(string runId, string step, int block, byte[] bytes)
    {
        var path = ResultPath(runId, step, block);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    public void Dispose()
    {
        foreach (var s in _storage.Values)
        {
            s.Dispose();
        }

        foreach (var p in _passes.Values.Where(p => p.IsValueCreated))
        {
            p.Value.Item2.Dispose();
        }

        Slots.Dispose();
    }
}

/// <summary>Computes blocks on this silo, at most <see cref="WorkerContext.Threads"/> at once, reading and writing block rasters in the shared
/// folder.</summary>
[StatelessWorker]
internal sealed class BlockWorkerGrain(WorkerContext context, ILocalSiloDetails silo) : Grain, IBlockWorkerGrain
{
    public async Task<BlockDone> ExecuteAsync(BlockTask task)
    {
        await context.Slots.WaitAsync();
        try
        {
            // CPU-bound: on the thread pool, not on the grain's scheduler.
            return await Task.Run(() =>
            {
                var watch = Stopwatch.StartNew();
                byte[] bytes;
                if (ZoningBlockJob.IsStep(task.Step))
                {
                    var (pass, storage) = context.ZoningPass(task.Job);
                    bytes = pass.Execute(task.Block, storage);
                }
                else
                {
                    bytes = GradePipeline.ExecuteBlock(GradeJob.FromBytes(task.Job), task.Step, task.Block, task.Arguments, context.StorageFor(task.RunId));
                }

                context.WriteResult(task.RunId, task.Step, task.Block, bytes);
                return new BlockDone(silo.Name, watch.Elapsed.TotalSeconds, bytes.Length);
            });
        }
        finally
        {
            context.Slots.Release();
        }
    }
}

/// <summary>One attempt at one block: placed on the silo with the fewest activations, computed by that silo's local workers.</summary>
[ActivationCountBasedPlacement]
internal sealed class BlockTaskGrain : Grain, IBlockTaskGrain
{
    public async Task<BlockDone> ExecuteAsync(BlockTask task)
    {
        try
        {
            return await GrainFactory.GetGrain<IBlockWorkerGrain>(0).ExecuteAsync(task);
        }
        finally
        {
            DeactivateOnIdle();
        }
    }
}
