using GeoRisk.Gdal;
using GeoRisk.Raster.Blocks;
using GeoRisk.Tests.Common;

namespace GeoRisk.Cluster.Tests;

/// <summary>
/// A streamed run's block storage must be files under the shared raster folder (<see cref="IBlockStorage.Folder"/>), or the workers
/// could not read its index blocks: anything else is refused before a job reaches the cluster; and a worker reads a zoning pass's
/// files only inside its raster folder.
/// </summary>
public sealed class ClusterBlockGradeRunnerTests : IDisposable
{
    private readonly TempDirectory _rasters = new("georisk-cluster-runner");
    private readonly TempDirectory _elsewhere = new("georisk-cluster-elsewhere");

    public void Dispose()
    {
        _rasters.Dispose();
        _elsewhere.Dispose();
    }

    [Fact]
    public void Run_StorageInMemory_Refused()
    {
        var runner = new ClusterBlockGradeRunner(null!, _rasters.Path, parallelism: 1, TimeSpan.FromSeconds(1));
        var ex = Assert.Throws<ArgumentException>(() => runner.Run(new GradeJob { Index = "index" }, new MemoryBlockStorage(), null, default));
        Assert.Contains("files", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_BlockFolderOutsideRasterFolder_Refused()
    {
        var runner = new ClusterBlockGradeRunner(null!, _rasters.Path, parallelism: 1, TimeSpan.FromSeconds(1));
        using var storage = new BlockFileStorage(_elsewhere.Path);
        var ex = Assert.Throws<ArgumentException>(() => runner.Run(new GradeJob { Index = "index" }, storage, null, default));
        Assert.Contains("not under the shared raster folder", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../elsewhere", "../elsewhere/zoning.factors.job")]
    [InlineData("/etc", "/etc/passwd")]
    public void ZoningPass_PathsOutsideRasterFolder_RefusedByTheWorker(string folder, string jobFile)
    {
        // A worker reads a pass's job and block folder only inside its raster folder, whatever a client names.
        using var context = new WorkerContext(_rasters.Path, threads: 1);
        var ex = Assert.Throws<ArgumentException>(() => context.ZoningPass(new ZoningPassTask(folder, jobFile).ToBytes()));
        Assert.Contains("outside the raster folder", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZoningPass_JobThatFailedToLoad_NotKept_LaterPassesRun()
    {
        using var context = new WorkerContext(_rasters.Path, threads: 1);
        var folder = Path.Combine("zoning-blocks", "run.blocks");
        Directory.CreateDirectory(Path.Combine(_rasters.Path, folder));
        var jobFile = Path.Combine(folder, "zoning.combine.0123456789abcdef.job");
        var task = new ZoningPassTask(folder, jobFile).ToBytes();

        // A task naming a path outside the folder, then a job file not fully there yet (a shared folder still syncing): both refused.
        Assert.Throws<ArgumentException>(() => context.ZoningPass(new ZoningPassTask("../elsewhere", "../elsewhere/x.job").ToBytes()));
        File.WriteAllBytes(Path.Combine(_rasters.Path, jobFile), [2, 0, 0]);
        Assert.ThrowsAny<Exception>(() => context.ZoningPass(task));

        // Neither is kept: once the file is whole, the same task loads it.
        File.WriteAllBytes(Path.Combine(_rasters.Path, jobFile), CombineJob());
        var (job, _) = context.ZoningPass(task);
        Assert.Equal(Zoning.ZoningBlockJob.CombineStep, job.Step);
    }

    /// <summary>A combine pass's job as ZoningBlockJob.ToBytes writes it: a 10×10 grid in 8-cell blocks, one factor raster.</summary>
    private static byte[] CombineJob()
    {
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes))
        {
            w.Write(2);
            w.Write(Zoning.ZoningBlockJob.CombineStep);
            w.Write(10);
            w.Write(10);
            foreach (var v in new[] { 0.0, 30.0, 300.0, -30.0 })
            {
                w.Write(v);
            }

            w.Write("EPSG:4547");
            w.Write(8);
            w.Write(0); // no hazard-point cells
            w.Write(1);
            w.Write("factor-slope");
            w.Write(1); // one score table of two classes
            w.Write(2);
            w.Write(0f);
            w.Write(1f);
            w.Write(0); // no susceptibility subset
            w.Write(false);
            w.Write(1000); // sample size
        }

        return bytes.ToArray();
    }
}
