using GeoRisk.Gdal;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Classify;
using GeoRisk.Tests.Common;

namespace GeoRisk.Raster.Tests;

/// <summary>
/// The block-wise sieve with stitched edges equals the whole-grid sieve (itself checked against gdal_sieve)
/// cell for cell, whatever the block size: many seams, one-row and one-column blocks, blocks that split
/// regions, loops and chains of small regions across seams.
/// </summary>
public sealed class BlockSieveTests
{
    internal static RasterBuffer<float> Run(RasterBuffer<float> input, int blockWidth, int blockHeight, int minimumCells, bool eight, int threads = 2)
    {
        var grid = BlockTestKit.Grid(input.Width, input.Height);
        var sink = new MemoryRaster(grid);
        BlockSieve.Run(new MemoryRaster(grid, input), sink, new BlockLayout(input.Width, input.Height, blockWidth, blockHeight), minimumCells, eight,
            new RasterOptions { MaxDegreeOfParallelism = threads });
        return sink.Buffer;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BlockSieve_NoisyGrids_EqualsWholeGridSieve(bool eight)
    {
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            int w = 5 + random.Next(60), h = 5 + random.Next(60);
            var input = BlockTestKit.Noise(w, h, seed, 2 + (seed % 3), seed % 4 == 0 ? 0.05 : 0);
            var min = 2 + random.Next(12);
            var expected = Sieve.Apply(input, min, eight);
            foreach (var (bw, bh) in new[] { (1, 1), (1, 7), (5, 1), (3, 4), (7, 7), (16, 9), (w, h) })
            {
                var actual = Run(input, bw, bh, min, eight);
                Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), $"seed {seed}, {w}x{h}, blocks {bw}x{bh}, mmu {min}, eight {eight}");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BlockSieve_SmoothGradeRasters_EqualsWholeGridSieve(bool eight)
    {
        // Blobby grades with noise at their edges, like a zoning grade raster: large regions crossing many seams.
        for (var seed = 0; seed < 6; seed++)
        {
            var input = PolygonizeTests.Classes(180 + (seed * 13), 140 + (seed * 7), seed, nodata: seed % 2 == 0 ? 0.01 : 0);
            foreach (var min in new[] { 4, 16, 60 })
            {
                var expected = Sieve.Apply(input, min, eight);
                Assert.NotEqual(input.Data, expected.Data); // the sieve changes something here
                foreach (var (bw, bh) in new[] { (8, 8), (17, 23), (64, 32), (256, 256) })
                {
                    var actual = Run(input, bw, bh, min, eight, threads: 1 + (seed % 2));
                    Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), $"seed {seed}, mmu {min}, blocks {bw}x{bh}, eight {eight}");
                }
            }
        }
    }

    [Fact]
    public void BlockSieve_HandComputed_SmallRegionsAcrossSeamTakeLargestNeighbour()
    {
        // A 2-cell region of 2 split by the seam between columns 1 and 2 (blocks 2 wide): across the seam it
        // touches 3 cells of 1 (region of 9) and 1 cell of 3 (region of 3); it takes 1 although every block
        // alone sees a different picture.
        // 1 1 1 3
        // 1 2 2 3
        // 1 1 1 3
        float[] cells = [1, 1, 1, 3, 1, 2, 2, 3, 1, 1, 1, 3];
        var input = new RasterBuffer<float>(4, 3, cells);
        var sieved = Run(input, 2, 2, 3, eight: false);
        Assert.Equal([1, 1, 1, 3, 1, 1, 1, 3, 1, 1, 1, 3], sieved.Data);
    }

    [Theory]
    [InlineData(256, 256)] // windows on the file's tile grid: written tile by tile
    [InlineData(100, 70)] // windows across tiles: written through GDAL's cache
    public void BlockSieve_GeoTiffToGeoTiff_EqualsWholeGridSieve(int bw, int bh)
    {
        using var dir = new TempDirectory("georisk-block-sieve");
        var input = PolygonizeTests.Classes(700, 530, 3, nodata: 0.01);
        var grid = GdalTools.Grid(700, 530);
        var inPath = dir.File("grades.tif");
        GdalTools.Write(inPath, input);
        var outPath = dir.File("sieved.tif");
        using (var source = new GdalRasterSource(inPath))
        using (var sink = new GdalRasterSink(outPath, grid))
        {
            BlockSieve.Run(source, sink, new BlockLayout(700, 530, bw, bh), 16, eightConnected: false, new RasterOptions { MaxDegreeOfParallelism = 2 });
        }

        var written = GdalTools.Read(outPath, out _);
        Assert.True(Sieve.Apply(input, 16).Data.AsSpan().SequenceEqual(written.Data));
    }

    [Fact]
    public void BlockMessages_RoundTripThroughBytes()
    {
        var input = BlockTestKit.Noise(20, 20, 7, 3, 0.05);
        var layout = new BlockLayout(20, 20, 6, 6);
        var source = new MemoryRaster(BlockTestKit.Grid(20, 20), input);
        var stitch = BlockTestKit.StitchViaBytes(source, layout, false);
        var n = stitch.Neighbourhood(7);
        var nCopy = BlockTestKit.RoundTrip(n.Write, BlockNeighbourhood.Read);
        Assert.Equal(n.Top, nCopy.Top);
        Assert.Equal(n.Sizes.OrderBy(kv => kv.Key), nCopy.Sizes.OrderBy(kv => kv.Key));
        var partials = BlockSieve.Neighbours(HaloWindow.Read(source, layout[7], 1), nCopy, 5, false, 20);
        var pCopy = BlockTestKit.RoundTrip(partials.Write, SievePartials.Read);
        Assert.Equal(partials.Exits, pCopy.Exits);
        Assert.Equal(partials.Keys, pCopy.Keys);
    }
}
