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
}
