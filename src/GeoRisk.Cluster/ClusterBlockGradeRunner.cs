using GeoRisk.Gdal;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Vectorize;
using GeoRisk.Zoning;

namespace GeoRisk.Cluster;

/// <summary>
/// A zoning run's block steps (classify with the product's fixed breaks, minimum mapping unit, polygonize) on the cluster, a
/// coordinator grain running the grade job over the workers (docs/SCALE.md). A whole-grid run's index goes to the shared raster
/// folder as a GeoTIFF and the grades (read from the block files, so cell for cell what the workers wrote) and polygons come back.
/// A streamed run keeps its block storage in the shared raster folder (<see cref="BlockFolder"/>): the workers read its index blocks
/// there, and the grade blocks they write are moved into it.
/// </summary>
/// <param name="rasterDirectory">The shared raster folder, as the workers' <c>--raster-dir</c>.</param>
/// <param name="parallelism">Blocks in flight across the cluster.</param>
public sealed class ClusterBlockGradeRunner(IGrainFactory grains, string rasterDirectory, int parallelism, TimeSpan timeout) : IBlockGradeRunner
{
    private const string Scratch = "zoning-blocks";

    private string Root { get; } = Path.GetFullPath(rasterDirectory);

    public string? BlockFolder => Path.Combine(Root, Scratch);

    public (RasterBuffer<float> Graded, List<ClassPolygon> Polygons) Run(
        GradeJob job,
        GridSpec grid,
        RasterBuffer<float> index,
        IProgress<BlockStepProgress>? progress,
        CancellationToken cancellationToken)
    {
        var inputFolder = Path.Combine(Scratch, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(Root, inputFolder));
        job = job with { Index = Path.Combine(inputFolder, job.Index + ".tif") };
        var runId = ClusterRuns.RunIdOf(job, "zoning");
        try
        {
            using (var sink = new GdalRasterSink(
                Path.Combine(Root, job.Index), grid, noData: double.NaN, creationOptions: ["TILED=YES", "COMPRESS=DEFLATE", "ZLEVEL=1", "BIGTIFF=IF_SAFER"]))
            {
                sink.WriteRows(0, grid.Height, index.Data);
            }

            var folder = RunOnCluster(job, runId, progress, cancellationToken);
            var graded = new RasterBuffer<float>(grid.Width, grid.Height);
            using (var blocks = new BlockFilesRaster(Path.Combine(folder, job.Grade)))
            {
                blocks.ReadWindow(0, 0, grid.Width, grid.Height, graded.Data);
            }

            return (graded, ClusterRuns.ReadZones(Path.Combine(folder, "zones.bin")));
        }
        finally
        {
            DeleteQuietly(Path.Combine(Root, inputFolder));
            DeleteQuietly(Path.Combine(Root, WorkerContext.RunFolder(runId)));
        }
    }

    public GradeResult Run(GradeJob job, IBlockStorage storage, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken)
    {
        var (blocks, relative) = SharedFolderOf(storage);
        var grade = job.Grade;
        job = job with { Index = Path.Combine(relative, job.Index) };
        var runId = ClusterRuns.RunIdOf(job, "streamed");
        try
        {
            var folder = RunOnCluster(job, runId, progress, cancellationToken);
            // Both folders are in the shared raster folder: a rename, not a copy.
            Directory.Move(Path.Combine(folder, grade), Path.Combine(blocks, grade));
            return ClusterRuns.ReadResult(folder);
        }
        finally
        {
            DeleteQuietly(Path.Combine(Root, WorkerContext.RunFolder(runId)));
        }
    }

    /// <summary>
    /// The pass's job goes to a file in the run's block folder (it carries the run's features: written once, read once per silo), each
    /// block to a worker, which writes its rasters straight into the block folder and its partials into the cluster run's folder.
    /// </summary>
    public IReadOnlyList<byte[]> RunBlocks(ZoningBlockJob job, IBlockStorage storage, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken)
    {
        var (blocks, relative) = SharedFolderOf(storage);
        var jobFile = job.Step + ".job";
        File.WriteAllBytes(Path.Combine(blocks, jobFile), job.ToBytes());
        var task = new ZoningPassTask(relative, Path.Combine(relative, jobFile)).ToBytes();
        var runId = ClusterRuns.RunIdOf(task, "pass");
        try
        {
            var spec = new RunSpec { Job = task, Parallelism = Math.Max(1, parallelism), Pass = job.Step, PassBlocks = job.BlockCount };
            var folder = RunOnCluster(spec, runId, progress, cancellationToken);
            return Enumerable.Range(0, job.BlockCount).Select(b => File.ReadAllBytes(Path.Combine(folder, "results", job.Step, $"{b}.bin"))).ToList();
        }
        finally
        {
            DeleteQuietly(Path.Combine(Root, WorkerContext.RunFolder(runId)));
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
        return Path.Combine(Root, done.Folder);
    }

    private static void DeleteQuietly(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // A worker may still hold a block file open for a moment; the run has its result, the folder is only scratch left behind.
        }
    }
}
