using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Vectorize;

namespace GeoRisk.Raster.Tests;

/// <summary>The block-wise grade job (breaks, grades, minimum mapping unit, polygons, histogram, cells per grade) equals the same job on whole grids.</summary>
public sealed class GradePipelineTests
{
    /// <summary>A smooth index with noise and a nodata outside, like a zoning run's index.</summary>
    internal static RasterBuffer<float> Index(int w, int h, int seed)
    {
        var random = new Random(seed);
        var index = new RasterBuffer<float>(w, h);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var inside = Math.Pow((x - (w / 2.0)) / (w / 2.0), 2) + Math.Pow((y - (h / 2.0)) / (h / 2.0), 2) < 1;
                index[x, y] = inside ? (float)(Math.Sin(x * 0.07) + Math.Cos(y * 0.05) + (0.4 * Math.Sin((x + y) * 0.21)) + (0.3 * random.NextDouble())) : float.NaN;
            }
        }

        return index;
    }

    internal static void AssertEqual(GradeResult expected, GradeResult actual)
    {
        Assert.Equal(expected.Breaks, actual.Breaks);
        Assert.Equal(expected.CellsPerGrade, actual.CellsPerGrade);
        Assert.Equal(expected.Histogram!.Cells, actual.Histogram!.Cells);
        Assert.Equal(expected.Zones.Count, actual.Zones.Count);
        for (var i = 0; i < expected.Zones.Count; i++)
        {
            Assert.True(expected.Zones[i].Value == actual.Zones[i].Value && expected.Zones[i].Polygon.EqualsExact(actual.Zones[i].Polygon), $"zone {i}");
        }
    }

    [Theory]
    [InlineData(BreakMethod.NaturalBreaks, false, 16, 64)]
    [InlineData(BreakMethod.Quantile, true, 9, 37)]
    [InlineData(BreakMethod.EqualInterval, false, 1, 50)]
    public async Task GradeJob_Blocked_EqualsWholeGrid(BreakMethod method, bool eight, int mmu, int blockSize)
    {
        const int w = 301, h = 227;
        var grid = new GridSpec(w, h, new GeoTransform(500_000, 30, 4_980_000, -30), "");
        var index = Index(w, h, 3);
        var job = new GradeJob { Index = "index", Method = method, EightConnected = eight, MinimumCells = mmu, BlockSize = blockSize, SampleSize = 2000 };
        var storage = new MemoryBlockStorage();
        storage.Add("index", new MemoryRaster(grid, index));
        var blocked = await GradePipeline.RunAsync(job, new InProcessBlockExecutor(job, storage, 2), storage);
        var (whole, grade) = GradePipeline.RunWholeGrid(job, index, grid);
        AssertEqual(whole, blocked);
        Assert.True(grade.Data.AsSpan().SequenceEqual(storage.Get(job.Grade).Buffer.Data));
        Assert.True(blocked.EdgeComponents > 0);
        Assert.True(whole.Zones.Count > 4);
    }
}

/// <summary>The grade job over block files in a folder (as cluster workers share it) equals the whole-grid job, and its grade exports as one COG.</summary>
public sealed class GradePipelineFileTests
{
    [Fact]
    public async Task GradeJob_BlockFiles_EqualsWholeGrid_AndExportsCog()
    {
        using var dir = new GeoRisk.Tests.Common.TempDirectory("georisk-grade-files");
        const int w = 600, h = 410;
        var grid = GdalTools.Grid(w, h);
        var index = GradePipelineTests.Index(w, h, 8);
        GdalTools.Write(dir.File("index.tif"), index);
        var job = new GradeJob { Index = "index.tif", BlockSize = 256, MinimumCells = 16 };
        using var storage = new GeoRisk.Gdal.BlockFileStorage(dir.Path);
        var blocked = await GradePipeline.RunAsync(job, new InProcessBlockExecutor(job, storage, 2), storage);
        var (whole, grade) = GradePipeline.RunWholeGrid(job, index, grid);
        GradePipelineTests.AssertEqual(whole, blocked);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(dir.Path, "grade"), "*_*.tif").Length);
        storage.ExportCog("grade", dir.File("grade-cog.tif"), categorical: true);
        var exported = GdalTools.Read(dir.File("grade-cog.tif"), out _);
        Assert.True(grade.Data.AsSpan().SequenceEqual(exported.Data));
    }

    [Fact]
    public async Task GradeJob_IndexAsBlockFilesOfAnotherFolder_EqualsWholeGrid()
    {
        // A streamed zoning run's index (block files in its own folder under the shared folder), graded by a job in another folder.
        using var dir = new GeoRisk.Tests.Common.TempDirectory("georisk-grade-files");
        const int w = 300, h = 210;
        var grid = GdalTools.Grid(w, h);
        var index = GradePipelineTests.Index(w, h, 5);
        var layout = new BlockLayout(w, h, 128, 128);
        using (var run = new GeoRisk.Gdal.BlockFileStorage(dir.File("run")))
        {
            foreach (var block in layout.All())
            {
                var cells = new float[block.Width * block.Height];
                for (var r = 0; r < block.Height; r++)
                {
                    index.Data.AsSpan(((block.Y + r) * w) + block.X, block.Width).CopyTo(cells.AsSpan(r * block.Width));
                }

                run.Write("index", grid, block, cells);
            }
        }

        var job = new GradeJob { Index = Path.Combine("run", "index"), BlockSize = 128, MinimumCells = 16 };
        using var storage = new GeoRisk.Gdal.BlockFileStorage(dir.File("job"), dir.Path);
        var blocked = await GradePipeline.RunAsync(job, new InProcessBlockExecutor(job, storage, 2), storage);
        GradePipelineTests.AssertEqual(GradePipeline.RunWholeGrid(job, index, grid).Result, blocked);
        Assert.True(File.Exists(Path.Combine(dir.File("job"), "grade", "grid.txt")));
    }
}
