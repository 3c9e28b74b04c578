using GeoRisk.Gdal;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Vectorize;
using GeoRisk.Zoning;

namespace GeoRisk.Cluster;

/// <summary>
/// A streamed zoning run's block passes on the cluster (docs/SCALE.md), each a coordinator grain handing the blocks to the workers:
/// the factor, combine, risk and census passes (<see cref="RunBlocks"/>) and each product's grade job (classify with the product's
/// fixed breaks, minimum mapping unit, polygonize). The run keeps its block storage in the shared raster folder (<see cref="BlockFolder"/>):
/// the workers read their inputs there and write the factor, index and E·V blocks into it; the grade blocks they write are moved into it.
/// </summary>
/// <param name="rasterDirectory">The shared raster folder, as the workers' <c>--raster-dir</c>.</param>
/// <param name="parallelism">Blocks in flight across the cluster.</param>
public sealed class ClusterBlockGradeRunner(IGrainFactory grains, string rasterDirectory, int parallelism, TimeSpan timeout) : IBlockGradeRunner
{
    private const string Scratch = "zoning-blocks";

    private string Root { get; } = Path.GetFullPath(rasterDirectory);

    public string? BlockFolder => Path.Combine(Root, Scratch);

    /// <summary>
    /// Raised with a cluster run's id and its last progress (blocks per silo, retries, resumes) when it has finished: its coordinator's
    /// state is forgotten right after, so this is the last place those figures can be read.
    /// </summary>
    public event Action<string, RunProgress>? RunFinished;

    public GradeResult Run(GradeJob job, IBlockStorage storage, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken)
    {
        var (blocks, relative) = SharedFolderOf(storage);
        var grade = job.Grade;
        job = job with { Index = Path.Combine(relative, job.Index) };
        var runId = ClusterRuns.RunIdOf(job, "streamed");
        var finished = false;
        try
        {
            var folder = RunOnCluster(job, runId, progress, cancellationToken);
            // Both folders are in the shared raster folder: a rename, not a copy.
            Directory.Move(Path.Combine(folder, grade), Path.Combine(blocks, grade));
            var result = ClusterRuns.ReadResult(folder);
            finished = true;
            return result;
        }
        finally
        {
            CleanUp(runId, finished);
        }
    }

    /// <summary>
    /// The pass's job goes to a file in the run's block folder (it carries the run's features: written once, read once per silo), each
    /// block to a worker, which writes its rasters straight into the block folder and its partials into the cluster run's folder.
    /// </summary>
    public IReadOnlyList<byte[]> RunBlocks(ZoningBlockJob job, IBlockStorage storage, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken)
    {
        var (blocks, relative) = SharedFolderOf(storage);
        var bytes = job.ToBytes();
        // Named by its content: a worker keeps a job by its file's name while the file exists, and a run has several census passes.
        var jobFile = $"{job.Step}.{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16]}.job";
        File.WriteAllBytes(Path.Combine(blocks, jobFile), bytes);
        var task = new ZoningPassTask(relative, Path.Combine(relative, jobFile)).ToBytes();
        var runId = ClusterRuns.RunIdOf(task, "pass");
        var finished = false;
        try
        {
            var spec = new RunSpec { Job = task, Parallelism = Math.Max(1, parallelism), Pass = job.Step, PassBlocks = job.BlockCount };
            var folder = RunOnCluster(spec, runId, progress, cancellationToken);
            var results = Enumerable.Range(0, job.BlockCount).Select(b => File.ReadAllBytes(Path.Combine(folder, "results", job.Step, $"{b}.bin"))).ToList();
            finished = true;
            return results;
        }
        finally
        {
            CleanUp(runId, finished);
            File.Delete(Path.Combine(blocks, jobFile));
        }
    }

    /// <summary>The storage's folder and its path relative to the shared raster folder, which it must be under for the workers to see it.</summary>
    private (string Folder, string Relative) SharedFolderOf(IBlockStorage storage)
    {
        var blocks = storage.Folder
            ?? throw new ArgumentException("A streamed run on the cluster needs its block rasters in files the workers can read.", nameof(storage));
        var relative = Path.GetRelativePath(Root, Path.GetFullPath(blocks));
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new ArgumentException($"The run's block storage {blocks} is not under the shared raster folder {Root}.", nameof(storage));
        }

        return (blocks, relative);
    }

    /// <returns>The finished run's folder.</returns>
    private string RunOnCluster(GradeJob job, string runId, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken) =>
        // Both paths read the grades from the block files the workers wrote, never the run's grade COG: it is not exported.
        RunOnCluster(new RunSpec { Job = job.ToBytes(), Parallelism = Math.Max(1, parallelism), SkipGradeCog = true }, runId, progress, cancellationToken);

    private string RunOnCluster(RunSpec spec, string runId, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken)
    {
        // The engine's steps are synchronous and run on a pool thread of their own, so waiting here blocks no caller.
        var done = ClusterRuns.RunAsync(grains, runId, spec, timeout,
            progress is null
                ? null
                : new Core.SyncProgress<RunProgress>(p => progress.Report(new BlockStepProgress(p.Step, p.BlocksDone, p.BlocksTotal, p.BlocksPerSilo))),
            cancellationToken).GetAwaiter().GetResult();
        RunFinished?.Invoke(runId, done);
        return Path.Combine(Root, done.Folder);
    }

    private void CleanUp(string runId, bool finished) => ClusterRuns.CleanUp(grains, Root, runId, finished);
}
