using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Classify;

namespace GeoRisk.Raster.Tests;

/// <summary>Class-break samples, histograms and cross tabulations merged from blocks equal the whole grid's, whatever the blocks and the order of merging.</summary>
public sealed class BlockPartialsTests
{
    private static RasterBuffer<float> Index(int w, int h, int seed) => GdalTools.RandomBuffer(w, h, seed, 0.1, scale: 3);

    private static IEnumerable<(int W, int H)> Layouts(int w, int h) => [(1, 1), (7, 5), (64, 64), (w, 1), (1, h), (w, h)];

    [Fact]
    public void CellSample_MergedFromBlocksInAnyOrder_EqualsWholeGridSample()
    {
        const int w = 173, h = 91;
        var index = Index(w, h, 4);
        var source = new MemoryRaster(new GridSpec(w, h, new GeoTransform(0, 1, 0, -1), ""), index);
        foreach (var capacity in new[] { 1, 100, 5000, w * h })
        {
            var whole = CellSample.Of(index, capacity).ToArrays();
            Assert.Equal(Math.Min(capacity, index.Data.Count(v => !float.IsNaN(v))), whole.Cells.Length);
            foreach (var (bw, bh) in Layouts(w, h))
            {
                var layout = new BlockLayout(w, h, bw, bh);
                var parts = layout.All().Select(b =>
                {
                    var s = new CellSample(capacity);
                    s.AddWindow(HaloWindow.Read(source, b, 0).Data, b.X, b.Y, b.Width, w);
                    return s;
                }).ToList();
                var merged = new CellSample(capacity);
                foreach (var p in parts.OrderBy(p => CellSample.KeyOf(p.Count)).Reverse())
                {
                    var copy = p.ToArrays();
                    merged.Merge(CellSample.FromArrays(capacity, copy.Cells, copy.Values));
                }

                var blocked = merged.ToArrays();
                Assert.Equal(whole.Cells, blocked.Cells);
                Assert.Equal(whole.Values, blocked.Values);
            }
        }
    }

    [Fact]
    public void BreaksSample_DoesNotAliasWithTheRasterWidth_AndIsTheBlockSample()
    {
        // Every 100th cell of a 100-wide grid is one column: a stride sample of this grid would hold only column 0's value.
        const int w = 100, h = 1000;
        var grid = new RasterBuffer<float>(w, h);
        for (var i = 0; i < grid.Data.Length; i++)
        {
            grid.Data[i] = i % w; // the value is the column
        }

        var sample = Breaks.Sample(grid.Data, maxSample: 1000);
        Assert.Equal(1000, sample.Length);
        Assert.True(sample.Distinct().Count() > 95, $"{sample.Distinct().Count()} distinct columns sampled");
        Assert.InRange(sample.Average(), 44.5, 54.5);
        var quartiles = Breaks.Quantile(sample, 4);
        Assert.InRange(quartiles[1], 44, 55);
        // The whole-grid engine and the block-wise pipeline draw the same cells (docs/SCALE.md).
        Assert.Equal(CellSample.Of(grid, 1000).Values(), sample);
        // Fewer valid cells than the sample size: all of them, and risk's positive-only sample drops the rest.
        Assert.Equal(w * h, Breaks.Sample(grid.Data, maxSample: w * h * 2).Length);
        Assert.Equal(w * h - h, Breaks.Sample(grid.Data, maxSample: w * h * 2, positiveOnly: true).Length);
    }

    [Fact]
    public void CellSample_NaturalBreaks_CloseToBreaksOfEveryCell()
    {
        // A 5,000-cell hashed sample of a 100,000-cell grid gives natural breaks near the exact ones (a sample, not the grid).
        var index = GdalTools.RandomBuffer(400, 250, 11, 0, scale: 1);
        var sample = CellSample.Of(index, 5000).Values();
        var fromSample = Breaks.NaturalBreaks(sample, 4);
        var quantiles = Breaks.Quantile(index.Data, 4);
        var fromSampleQ = Breaks.Quantile(sample, 4);
        for (var i = 0; i < 3; i++)
        {
            Assert.InRange(fromSampleQ[i], quantiles[i] - 0.03, quantiles[i] + 0.03);
        }

        Assert.Equal(3, fromSample.Length);
        Assert.True(fromSample[0] < fromSample[1] && fromSample[1] < fromSample[2]);
    }

    [Fact]
    public void Histogram_SummedFromBlocks_EqualsWholeGrid()
    {
        const int w = 120, h = 77;
        var index = Index(w, h, 9);
        var source = new MemoryRaster(new GridSpec(w, h, new GeoTransform(0, 1, 0, -1), ""), index);
        var range = new ValueRange();
        range.Add(index.Data);
        var whole = new ValueHistogram(range.Min, range.Max);
        whole.Add(index.Data);
        foreach (var (bw, bh) in Layouts(w, h))
        {
            var layout = new BlockLayout(w, h, bw, bh);
            var ranges = layout.All().Select(b =>
            {
                var r = new ValueRange();
                r.Add(HaloWindow.Read(source, b, 0).Data);
                return r;
            }).ToList();
            var merged = new ValueRange();
            ranges.ForEach(merged.Merge);
            Assert.Equal((range.Min, range.Max, range.Count), (merged.Min, merged.Max, merged.Count));
            var histogram = new ValueHistogram(merged.Min, merged.Max);
            foreach (var b in layout.All())
            {
                var part = new ValueHistogram(merged.Min, merged.Max);
                part.Add(HaloWindow.Read(source, b, 0).Data);
                histogram.Merge(ValueHistogram.FromCounts(part.Min, part.Max, part.Cells));
            }

            Assert.Equal(whole.Cells, histogram.Cells);
            Assert.Equal(whole.Total, histogram.Total);
        }
    }

    [Fact]
    public void CrossTabulation_SummedFromBlocks_EqualsWholeGrid()
    {
        const int w = 64, h = 50;
        var random = new Random(3);
        var units = new RasterBuffer<float>(w, h);
        var grades = new RasterBuffer<float>(w, h);
        for (var i = 0; i < units.Data.Length; i++)
        {
            units.Data[i] = random.Next(5);
            grades.Data[i] = random.NextDouble() < 0.1 ? float.NaN : random.Next(5);
        }

        var grid = new GridSpec(w, h, new GeoTransform(0, 1, 0, -1), "");
        var whole = new CrossTabulation(5, 5);
        whole.Add(units.Data, grades.Data);
        Assert.Equal(grades.Data.Count(v => !float.IsNaN(v)), whole.Counts.Sum());
        var layout = new BlockLayout(w, h, 9, 13);
        var merged = new CrossTabulation(5, 5);
        foreach (var b in layout.All())
        {
            var part = new CrossTabulation(5, 5);
            part.Add(HaloWindow.Read(new MemoryRaster(grid, units), b, 0).Data, HaloWindow.Read(new MemoryRaster(grid, grades), b, 0).Data);
            merged.Merge(part);
        }

        Assert.Equal(whole.Counts, merged.Counts);
    }

    [Fact]
    public void HaloWindow_OutsideTheGridIsNaN_InsideIsTheGrid()
    {
        var values = new RasterBuffer<float>(5, 4, Enumerable.Range(0, 20).Select(i => (float)i).ToArray());
        var source = new MemoryRaster(new GridSpec(5, 4, new GeoTransform(0, 1, 0, -1), ""), values);
        var layout = new BlockLayout(5, 4, 3, 3);
        var corner = HaloWindow.Read(source, layout.Block(1, 1), 2); // cells 3..4 × 3..3, halo 2
        Assert.Equal(2, corner.Block.Width);
        Assert.Equal(1, corner.Block.Height);
        Assert.Equal(18, corner[3, 3]);
        Assert.Equal(6, corner[1, 1]);
        Assert.True(float.IsNaN(corner[5, 3]));
        Assert.True(float.IsNaN(corner[4, 4]));
    }
}
