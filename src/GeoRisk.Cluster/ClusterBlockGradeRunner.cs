using GeoRisk.Gdal;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Vectorize;
using GeoRisk.Zoning;

namespace GeoRisk.Cluster;

/// <summary>
/// A zoning run's block steps (classify with the product's fixed breaks, minimum mapping unit, polygonize) on the cluster:
/// the index goes to the shared raster folder as a GeoTIFF, a coordinator grain runs the grade job over the workers, and
/// the grades (read from the block files, so cell for cell what the workers wrote) and polygons come back (docs/SCALE.md).
/// </summary>
/// <param name="rasterDirectory">The shared raster folder, as the workers' <c>--raster-dir</c>.</param>
/// <param name="parallelism">Blocks in flight across the cluster.</param>
public sealed class ClusterBlockGradeRunner(IGrainFactory grains, string rasterDirectory, int parallelism, TimeSpan timeout) : IBlockGradeRunner
{
    public (RasterBuffer<float> Graded, List<ClassPolygon> Polygons) Run(
        GradeJob job,
        GridSpec grid,
        RasterBuffer<float> index,
        IProgress<BlockStepProgress>? progress,
        CancellationToken cancellationToken)
    {
        var inputFolder = Path.Combine("zoning-blocks", Guid.NewGuid().ToString("N"));
        var root = Path.GetFullPath(rasterDirectory);
        Directory.CreateDirectory(Path.Combine(root, inputFolder));
        job = job with { Index = Path.Combine(inputFolder, job.Index + ".tif") };
        var runId = ClusterRuns.RunIdOf(job, "zoning");
        try
        {
            using (var sink = new GdalRasterSink(
                Path.Combine(root, job.Index), grid, noData: double.NaN, creationOptions: ["TILED=YES", "COMPRESS=DEFLATE", "ZLEVEL=1", "BIGTIFF=IF_SAFER"]))
            {
                sink.WriteRows(0, grid.Height, index.Data);
            }

            // The engine's steps are synchronous and run on a pool thread of their own, so waiting here blocks no caller.
            var done = ClusterRuns.RunAsync(grains, runId, new RunSpec { Job = job.ToBytes(), Parallelism = Math.Max(1, parallelism) }, timeout,
                progress is null
                    ? null
                    : new Core.SyncProgress<RunProgress>(p => progress.Report(new BlockStepProgress(p.Step, p.BlocksDone, p.BlocksTotal, p.BlocksPerSilo))),
                cancellationToken).GetAwaiter().GetResult();
            var folder = Path.Combine(root, done.Folder);
            var graded = new RasterBuffer<float>(grid.Width, grid.Height);
            using (var blocks = new BlockFilesRaster(Path.Combine(folder, job.Grade)))
            {
                blocks.ReadWindow(0, 0, grid.Width, grid.Height, graded.Data);
            }

            return (graded, ClusterRuns.ReadZones(Path.Combine(folder, "zones.bin")));
        }
        finally
        {
            DeleteQuietly(Path.Combine(root, inputFolder));
            DeleteQuietly(Path.Combine(root, WorkerContext.RunFolder(runId)));
        }
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
