using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Vectorize;

namespace GeoRisk.Raster.Tests;

/// <summary>
/// Block-wise polygonize with stitched ring pieces equals the whole-grid polygonizer polygon for polygon: the
/// same polygons in the same order, each with exactly the same vertices (start, direction, holes), under 4-
/// and 8-connectivity, with seams everywhere.
/// </summary>
public sealed class BlockPolygonizeTests
{
    private static List<ClassPolygon> Run(RasterBuffer<float> input, int bw, int bh, bool eight, int threads = 2, bool viaBytes = false)
    {
        var grid = BlockTestKit.Grid(input.Width, input.Height);
        var layout = new BlockLayout(input.Width, input.Height, bw, bh);
        var source = new MemoryRaster(grid, input);
        if (!viaBytes)
        {
            return BlockPolygonizer.Run(source, layout, eight, new RasterOptions { MaxDegreeOfParallelism = threads });
        }

        // As a cluster runs it: every message through bytes.
        var stitch = BlockTestKit.StitchViaBytes(source, layout, eight);
        var blocks = layout.All().Select(b =>
        {
            var n = BlockTestKit.RoundTrip(stitch.Neighbourhood(b.Index).Write, BlockNeighbourhood.Read);
            var polygons = BlockPolygonizer.Trace(HaloWindow.Read(source, b, 1), n, grid, eight);
            return BlockTestKit.RoundTrip(polygons.Write, r => BlockPolygons.Read(r));
        }).ToList();
        Assert.Contains(blocks, b => b.Chains.Count > 0); // rings really were stitched across seams
        Assert.Contains(blocks, b => b.Polygons.Count > 0); // and some finished inside a block
        return BlockPolygonizer.Finish(blocks, grid, eight);
    }

    private static void AssertSame(List<ClassPolygon> expected, List<ClassPolygon> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} polygons, whole grid {expected.Count}");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Value == actual[i].Value && expected[i].Polygon.EqualsExact(actual[i].Polygon),
                $"{what}: polygon {i}: {actual[i].Value} {actual[i].Polygon.AsText()} vs whole grid {expected[i].Value} {expected[i].Polygon.AsText()}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BlockPolygonize_NoisyGrids_EqualsWholeGrid(bool eight)
    {
        // Salt and pepper with nodata: pinches, holes in holes, junctions on every seam.
        for (var seed = 0; seed < 30; seed++)
        {
            var random = new Random(seed);
            int w = 3 + random.Next(40), h = 3 + random.Next(40);
            var input = BlockTestKit.Noise(w, h, seed, 2 + (seed % 3), seed % 3 == 0 ? 0.08 : 0);
            var expected = Polygonizer.Polygonize(input, BlockTestKit.Transform, eight);
            foreach (var (bw, bh) in new[] { (1, 1), (2, 3), (5, 1), (1, 6), (7, 7), (w, h), (w - 1, h - 1) })
            {
                AssertSame(expected, Run(input, Math.Max(1, bw), Math.Max(1, bh), eight), $"seed {seed} {w}x{h} blocks {bw}x{bh} eight {eight}");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BlockPolygonize_SmoothGradeRasters_EqualsWholeGrid(bool eight)
    {
        for (var seed = 0; seed < 4; seed++)
        {
            var input = PolygonizeTests.Classes(170 + (seed * 11), 130 + (seed * 5), seed, nodata: seed % 2 == 0 ? 0.01 : 0);
            var expected = Polygonizer.Polygonize(input, BlockTestKit.Transform, eight);
            Assert.Contains(expected, p => p.Polygon.NumInteriorRings > 0);
            foreach (var (bw, bh) in new[] { (8, 8), (13, 29), (64, 64), (512, 512) })
            {
                AssertSame(expected, Run(input, bw, bh, eight, threads: 1 + (seed % 2)), $"seed {seed} blocks {bw}x{bh} eight {eight}");
            }
        }
    }

    [Fact]
    public void BlockPolygonize_ViaBytes_EqualsWholeGrid()
    {
        var input = PolygonizeTests.Classes(90, 70, 5, nodata: 0.02);
        foreach (var eight in new[] { false, true })
        {
            AssertSame(Polygonizer.Polygonize(input, BlockTestKit.Transform, eight), Run(input, 16, 16, eight, viaBytes: true), $"eight {eight}");
        }
    }

    [Fact]
    public void BlockPolygonize_Every4x4BinaryPattern_On2x2Blocks_EqualsWholeGrid()
    {
        foreach (var eight in new[] { false, true })
        {
            for (var bits = 0; bits < 1 << 16; bits += 7)
            {
                var cells = new float[16];
                for (var i = 0; i < 16; i++)
                {
                    cells[i] = (bits >> i) & 1;
                }

                var grid = new RasterBuffer<float>(4, 4, cells);
                AssertSame(Polygonizer.Polygonize(grid, BlockTestKit.Transform, eight), Run(grid, 2, 2, eight, threads: 1), $"pattern {bits:X4} eight {eight}");
            }
        }
    }
}
