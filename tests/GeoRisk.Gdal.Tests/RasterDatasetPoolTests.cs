using GeoRisk.Tests.Common;

namespace GeoRisk.Gdal.Tests;

/// <summary>The pool of open rasters behind site-risk reads: handles reused, never shared between concurrent users, renewed when a file changes, bounded.</summary>
public sealed class RasterDatasetPoolTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Raster(string name, byte value, int size = 4)
    {
        var path = _dir.File(name);
        using var ds = RasterDataset.CreateGeoTiff(path, size, size, 1, RasterDataType.Byte);
        ds.Write<byte>(1, 0, 0, size, size, Enumerable.Repeat(value, size * size).ToArray());
        return path;
    }

    [Fact]
    public void Use_ReusesAnIdleHandle_AndGivesAConcurrentUserItsOwn()
    {
        using var pool = new RasterDatasetPool();
        var path = Raster("a.tif", 7);
        var first = pool.Use(path, ds => ds);
        var again = pool.Use(path, ds => ds);
        Assert.Same(first, again);
        var (outer, inner) = pool.Use(path, o => (o, pool.Use(path, i => i)));
        Assert.NotSame(outer, inner);
        Assert.Equal(7, pool.ReadCell<byte>(path, 3, 3));
        Assert.Equal(Enumerable.Repeat((byte)7, 4), pool.ReadWindow<byte>(path, 1, 1, 2, 2));
    }

    [Fact]
    public void Use_FileRewrittenInPlace_ReadsTheNewContent()
    {
        using var pool = new RasterDatasetPool();
        var path = Raster("b.tif", 1);
        Assert.Equal(1, pool.ReadCell<byte>(path, 0, 0));
        File.Delete(path);
        Raster("b.tif", 2, size: 5); // another size, so the key differs even within one timestamp tick
        Assert.Equal(2, pool.ReadCell<byte>(path, 0, 0));
    }

    [Fact]
    public void Use_MoreFilesThanTheLimit_KeepsTheLimit()
    {
        using var pool = new RasterDatasetPool(maxFiles: 2);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(i, pool.ReadCell<byte>(Raster($"c{i}.tif", (byte)i), 0, 0));
        }

        Assert.Equal(2, pool.FileCount);
    }

    [Fact]
    public void Use_MissingFile_ThrowsGdalException()
    {
        using var pool = new RasterDatasetPool();
        Assert.Throws<GdalException>(() => pool.ReadCell<byte>(_dir.File("missing.tif"), 0, 0));
    }

    [Fact]
    public void Use_ManyThreads_EveryReadRight()
    {
        using var pool = new RasterDatasetPool(maxHandlesPerFile: 2);
        var paths = Enumerable.Range(0, 3).Select(i => Raster($"d{i}.tif", (byte)(10 + i))).ToArray();
        Parallel.For(0, 600, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>
        {
            var i = k % paths.Length;
            Assert.Equal(10 + i, pool.ReadCell<byte>(paths[i], k % 4, k / 4 % 4));
        });
    }
}
