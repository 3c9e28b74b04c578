using GeoRisk.Raster.Classify;
using NetTopologySuite.Geometries;

namespace GeoRisk.Raster.Tests;

public class ClassifyTests
{
    [Fact]
    public void NaturalBreaks_HandComputed_SeparatesObviousClusters()
    {
        float[] data = [1, 2, 3, 10, 11, 12, 30, 31, 32, 33];
        Assert.Equal([10.0, 30.0], Breaks.NaturalBreaks(data, 3));
    }

    [Fact]
    public void NaturalBreaks_MinimisesWithinClassVariance_AgainstExhaustiveSearch()
    {
        var random = new Random(3);
        var data = Enumerable.Range(0, 40).Select(_ => (float)Math.Round(random.NextDouble() * 100, 1)).ToArray();
        var sorted = data.Order().Select(v => (double)v).ToArray();
        double Ssd(IEnumerable<double> xs)
        {
            var list = xs.ToList();
            var mean = list.Average();
            return list.Sum(x => (x - mean) * (x - mean));
        }

        var bestExhaustive = double.MaxValue;
        for (var i = 1; i < sorted.Length - 1; i++)
        {
            for (var j = i + 1; j < sorted.Length; j++)
            {
                bestExhaustive = Math.Min(bestExhaustive, Ssd(sorted[..i]) + Ssd(sorted[i..j]) + Ssd(sorted[j..]));
            }
        }

        var breaks = Breaks.NaturalBreaks(data, 3);
        var ours = Ssd(sorted.Where(v => v < breaks[0])) + Ssd(sorted.Where(v => v >= breaks[0] && v < breaks[1])) + Ssd(sorted.Where(v => v >= breaks[1]));
        Assert.Equal(bestExhaustive, ours, 6);
    }

    [Fact]
    public void QuantileAndEqualInterval_HandComputed()
    {
        float[] data = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        Assert.Equal([3.0, 6.0, 9.0], Breaks.Quantile(data, 4));
        Assert.Equal([2.75, 5.5, 8.25], Breaks.EqualInterval(data, 4));
    }

    [Fact]
    public void Classify_GradesAndNodata()
    {
        var values = new RasterBuffer<float>(5, 1, [0.1f, 0.5f, 0.9f, float.NaN, 2f]);
        var grades = Breaks.Classify(values, [0.4, 0.8, 1.5]);
        Assert.Equal([1f, 2f, 3f, float.NaN, 4f], grades.Data);
    }

    [Fact]
    public void Zonal_CountsCellsPerClassAndStatistics()
    {
        var t = new GeoTransform(0, 1, 4, -1);
        var classes = new RasterBuffer<float>(4, 4, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, float.NaN]);
        var values = new RasterBuffer<float>(4, 4, Enumerable.Range(1, 16).Select(i => (float)i).ToArray());
        var zone = new GeometryFactory().ToGeometry(new Envelope(0, 2.6, 0, 4)); // centres x = 0.5, 1.5, 2.5 inside
        var stats = ZonalStatistics.Compute([zone], t, 4, 4, values, classes).Single();

        Assert.Equal(12, stats.Cells);
        Assert.Equal(new Dictionary<float, long> { [1] = 4, [2] = 2, [3] = 4, [4] = 2 }, stats.CellsPerClass);
        Assert.Equal(1, stats.Min);
        Assert.Equal(15, stats.Max);
        Assert.Equal(1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15, stats.Sum);
        Assert.Equal(12, stats.Area(t));
    }
}

public class FocalMajorityTests
{
    [Fact]
    public void Majority3x3_HandComputed()
    {
        // 1 1 2
        // 1 2 2     centre: window has four 1s, five 2s → 2; corner (0,0): 1,1,1,2 → 1
        // 1 2 2
        var grid = new RasterBuffer<float>(3, 3, [1, 1, 2, 1, 2, 2, 1, 2, 2]);
        var result = Classify.FocalMajority.Apply(grid);
        Assert.Equal(2f, result[1, 1]);
        Assert.Equal(1f, result[0, 0]);
        Assert.Equal(2f, result[2, 2]);
        // (1,0): window 1,1,2 / 1,2,2 → 3 vs 3, own class 1 is among the most frequent → keeps 1
        Assert.Equal(1f, result[1, 0]);
    }

    [Fact]
    public void Majority_NodataStaysAndIsNotCounted()
    {
        var grid = new RasterBuffer<float>(3, 1, [float.NaN, 3, 3]);
        var result = Classify.FocalMajority.Apply(grid);
        Assert.True(float.IsNaN(result[0, 0]));
        Assert.Equal(3f, result[1, 0]);
    }
}

public class RasterizeMergeTests
{
    private static readonly GeometryFactory s_factory = new();

    [Fact]
    public void Priority_KeyAreaSurveyOverridesPrefectureSurvey_InEitherBurnOrder()
    {
        var t = new GeoTransform(0, 1, 10, -1);
        var prefecture = s_factory.ToGeometry(new Envelope(0, 10, 0, 10)); // 1:50000, grade 2 everywhere
        var keyArea = s_factory.ToGeometry(new Envelope(2, 5, 2, 5));     // 1:10000, grade 4 inside
        foreach (var keyFirst in new[] { false, true })
        {
            var grades = new RasterBuffer<float>(10, 10);
            grades.Fill(float.NaN);
            var priority = new RasterBuffer<float>(10, 10);
            priority.Fill(float.NaN);
            var rasterizer = new Rasterize.Rasterizer(grades, t) { Priority = priority };
            // Priority = 1 / scale denominator: larger scale wins wherever both cover a cell.
            var burns = new (Geometry Geometry, float Grade, float Priority)[] { (prefecture, 2, 1f / 50000), (keyArea, 4, 1f / 10000) };
            foreach (var (g, grade, p) in keyFirst ? burns.Reverse() : burns)
            {
                rasterizer.Burn(g, grade, p);
            }

            Assert.Equal(9, grades.Data.Count(v => v == 4)); // the 3×3 key area
            Assert.Equal(91, grades.Data.Count(v => v == 2));
        }
    }

    [Fact]
    public void Maximum_KeepsTheLargerBurn()
    {
        var grades = new RasterBuffer<float>(4, 1);
        grades.Fill(float.NaN);
        var rasterizer = new Rasterize.Rasterizer(grades, new GeoTransform(0, 1, 1, -1), rule: Rasterize.MergeRule.Maximum);
        rasterizer.Burn(s_factory.ToGeometry(new Envelope(0, 3, 0, 1)), 3);
        rasterizer.Burn(s_factory.ToGeometry(new Envelope(1, 4, 0, 1)), 2);
        Assert.Equal([3f, 3f, 3f, 2f], grades.Data);
    }
}
