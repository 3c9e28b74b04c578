using GeoRisk.Gdal;
using GeoRisk.Raster.Vectorize;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;

namespace GeoRisk.Raster.Tests;

public sealed class PolygonizeTests : IDisposable
{
    private readonly TempDirectory _dir = new("georisk-polygonize");

    public void Dispose() => _dir.Dispose();

    /// <summary>Blobby classes 1..4 with some nodata, like a zoning grade raster.</summary>
    internal static RasterBuffer<float> Classes(int w, int h, int seed, double nodata = 0.0)
    {
        var random = new Random(seed);
        var phases = Enumerable.Range(0, 6).Select(_ => random.NextDouble() * 10).ToArray();
        var buffer = new RasterBuffer<float>(w, h);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var v = Math.Sin((x * 0.11) + phases[0]) + Math.Cos((y * 0.13) + phases[1]) + (0.7 * Math.Sin(((x + y) * 0.31) + phases[2])) + (0.5 * (random.NextDouble() - 0.5));
                buffer[x, y] = random.NextDouble() < nodata ? float.NaN : v < -0.8 ? 1 : v < 0.2 ? 2 : v < 1.0 ? 3 : 4;
            }
        }

        return buffer;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Polygonize_NoisyGrids_ValidCoverage_AreaPerClassEqualsCellCount(bool eight)
    {
        // Salt-and-pepper classes with nodata: many pinches, holes, holes in holes and junctions.
        for (var seed = 0; seed < 20; seed++)
        {
            var random = new Random(seed);
            int w = 10 + random.Next(50), h = 10 + random.Next(50);
            var grid = new RasterBuffer<float>(w, h);
            for (var i = 0; i < grid.Data.Length; i++)
            {
                grid.Data[i] = random.NextDouble() < 0.05 ? float.NaN : random.Next(3);
            }

            var t = new GeoTransform(500_000, 30, 4_980_000, -30);
            var polygons = Polygonizer.Polygonize(grid, t, eight);
            Assert.All(polygons, p => Assert.True(p.Polygon.IsValid, $"seed {seed}: {p.Polygon.AsText()}"));
            Assert.True(CoverageSimplification.IsValidCoverage(polygons), $"seed {seed}: not a valid coverage");
            foreach (var value in new float[] { 0, 1, 2 })
            {
                Assert.Equal(grid.Data.Count(v => v == value) * 900.0, polygons.Where(p => p.Value == value).Sum(p => p.Polygon.Area), 6);
            }

            if (!eight)
            {
                Assert.Equal(Classify.ConnectedComponents.Label(grid).Count, polygons.Count);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Polygonize_BandsTracedInParallel_SamePolygonsInTheSameOrderAsOneThread(bool eight)
    {
        // Tall grids cut into bands: rings that cross band boundaries, holes whose top edges lie in a later
        // band than their shell, pinches and nodata. The bands' output must be the one-thread output exactly.
        // (8-connected outlines are checked for validity and repaired, which is slow on large grids.)
        for (var seed = 0; seed < (eight ? 1 : 4); seed++)
        {
            var grid = eight ? Classes(50, 400, seed, nodata: 0.01) : Classes(120 + (seed * 37), 700 + (seed * 101), seed, nodata: 0.01);
            var t = new GeoTransform(500_000, 30, 4_980_000, -30);
            var one = Polygonizer.Polygonize(grid, t, eight, options: new RasterOptions { MaxDegreeOfParallelism = 1 });
            foreach (var threads in new[] { 2, 3, 7 })
            {
                var many = Polygonizer.Polygonize(grid, t, eight, options: new RasterOptions { MaxDegreeOfParallelism = threads });
                Assert.Equal(one.Count, many.Count);
                for (var i = 0; i < one.Count; i++)
                {
                    Assert.Equal(one[i].Value, many[i].Value);
                    Assert.True(one[i].Polygon.EqualsExact(many[i].Polygon), $"seed {seed}, {threads} threads, polygon {i}: {many[i].Polygon.AsText()} vs {one[i].Polygon.AsText()}");
                }
            }
        }
    }

    [Theory]
    [InlineData(300, 255)] // more classes than a byte indexes
    [InlineData(2_000_000, 65_535)] // more than 16 bits
    public void Polygonize_ManyDistinctValues_OnePolygonPerComponent_AreasExact(int drawnFrom, int atLeast)
    {
        // Runs of two cells with values drawn from `drawnFrom` (as a continuous raster would have).
        const int w = 520, h = 300;
        var random = new Random(drawnFrom);
        var grid = new RasterBuffer<float>(w, h);
        for (var i = 0; i < grid.Data.Length; i++)
        {
            grid.Data[i] = i % 2 == 0 ? random.Next(drawnFrom) * 0.5f : grid.Data[i - 1];
        }

        var polygons = Polygonizer.Polygonize(grid, new GeoTransform(0, 1, h, -1));
        Assert.True(polygons.Select(p => p.Value).Distinct().Count() > atLeast, "the grid has too few distinct values for this case");
        Assert.Equal(Classify.ConnectedComponents.Label(grid).Count, polygons.Count);
        Assert.Equal((double)w * h, polygons.Sum(p => p.Polygon.Area), 6);
        foreach (var group in polygons.GroupBy(p => p.Value).Take(50))
        {
            Assert.Equal(grid.Data.Count(v => v == group.Key), group.Sum(p => p.Polygon.Area), 6);
        }
    }

    [Fact]
    public void Polygonize_HandComputed_RingWithHoleAndDiagonalPinch()
    {
        // 1 1 1 1
        // 1 2 2 1
        // 1 1 1 1
        // 3 4 3 3   ← the two 3-regions touch no edge: separate polygons under 4-connectivity
        float[] cells = [1, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 3, 4, 3, 3];
        var grid = new RasterBuffer<float>(4, 4, cells);
        var polygons = Polygonizer.Polygonize(grid, new GeoTransform(0, 1, 4, -1));

        var ones = Assert.Single(polygons, p => p.Value == 1);
        Assert.Equal(1, ones.Polygon.NumInteriorRings);
        Assert.Equal(10, ones.Polygon.Area);
        Assert.Equal(2, Assert.Single(polygons, p => p.Value == 2).Polygon.Area);
        Assert.Equal([1.0, 2.0], polygons.Where(p => p.Value == 3).Select(p => p.Polygon.Area).Order());
        Assert.All(polygons, p => Assert.True(p.Polygon.IsValid));
    }

    [Fact]
    public void Polygonize_EightConnectivity_JoinsDiagonalCells()
    {
        float[] cells = [5, 0, 0, 5];
        var grid = new RasterBuffer<float>(2, 2, cells);
        Assert.Equal(2, Polygonizer.Polygonize(grid, new GeoTransform(0, 1, 2, -1)).Count(p => p.Value == 5));
        var joined = Polygonizer.Polygonize(grid, new GeoTransform(0, 1, 2, -1), eightConnected: true).Where(p => p.Value == 5).ToList();
        Assert.Equal(2.0, joined.Sum(p => p.Polygon.Area));
        Assert.All(joined, p => Assert.True(p.Polygon.IsValid));
    }

    [Fact]
    public void Polygonize_MatchesGdalPolygonize_SamePolygonsPerClass_AreasTo1e9_AllValid_TilesTheGrid()
    {
        const int w = 300, h = 220;
        var classes = Classes(w, h, 42, nodata: 0.01);
        var path = _dir.File("classes.tif");
        GdalTools.Write(path, classes);
        var grid = GdalTools.Grid(w, h);

        var ours = Polygonizer.Polygonize(classes, grid.Transform);
        Assert.All(ours, p => Assert.True(p.Polygon.IsValid, new NetTopologySuite.Operation.Valid.IsValidOp(p.Polygon).ValidationError?.ToString() + " " + p.Polygon.AsText()));
        var gpkg = _dir.File("gdal.gpkg");
        GdalTools.Run("gdal_polygonize.py", "-q", path, "-f", "GPKG", gpkg, "zones", "class");
        using var ds = VectorDataset.OpenRead(gpkg, ["GPKG"]);
        var theirs = ds.ReadFeatures(0).Select(f => (Value: Convert.ToSingle(f.Attributes["class"]), Area: f.Geometry!.Area)).Where(f => f.Value != -9999).ToList();

        foreach (var value in new float[] { 1, 2, 3, 4 })
        {
            var a = ours.Where(p => p.Value == value).Select(p => p.Polygon.Area).Order().ToList();
            var b = theirs.Where(p => p.Value == value).Select(p => p.Area).Order().ToList();
            Assert.True(a.Count == b.Count, $"class {value}: {a.Count} polygons vs GDAL's {b.Count}");
            for (var i = 0; i < a.Count; i++)
            {
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-9 * b[i], $"class {value} polygon {i}: area {a[i]} vs {b[i]}");
            }
        }

        Assert.All(ours, p => Assert.True(p.Polygon.IsValid, p.Polygon.AsText()));
        var valid = classes.Data.Count(v => !float.IsNaN(v));
        Assert.Equal(valid * 900.0, ours.Sum(p => p.Polygon.Area), 3);
        var union = CascadedPolygonUnion.Union(ours.Select(p => (Geometry)p.Polygon).ToList());
        Assert.Equal(valid * 900.0, union.Area, 3); // no overlaps: the union loses nothing
    }
}

public sealed class SieveTests : IDisposable
{
    private readonly TempDirectory _dir = new("georisk-sieve");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false, 16)]
    [InlineData(true, 16)]
    [InlineData(false, 3)]
    public void Sieve_IdenticalToGdalSieve(bool eight, int threshold)
    {
        const int w = 257, h = 203;
        var classes = PolygonizeTests.Classes(w, h, 9, nodata: 0.005);
        var src = _dir.File("c.tif");
        GdalTools.Write(src, classes);
        var ours = Classify.Sieve.Apply(classes, threshold, eight);
        var theirs = _dir.File("s.tif");
        GdalTools.Run("gdal_sieve.py", ["-q", "-st", threshold.ToString(System.Globalization.CultureInfo.InvariantCulture), eight ? "-8" : "-4", src, theirs]);
        var gdal = GdalTools.Read(theirs, out _);
        var changed = 0;
        for (var i = 0; i < gdal.Data.Length; i++)
        {
            Assert.True(gdal.Data[i].Equals(ours.Data[i]), $"cell ({i % w},{i / w}): ours {ours.Data[i]}, gdal {gdal.Data[i]}, input {classes.Data[i]}");
            changed += classes.Data[i].Equals(ours.Data[i]) ? 0 : 1;
        }

        Assert.True(changed > 0, "the sieve changed nothing; the test data has no small regions");
    }
}

public class PolygonizeExhaustiveTests
{
    /// <summary>Every 4×4 two-value pattern (65,536): polygons valid, areas equal cell counts, one polygon per 4-connected component.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Polygonize_Every4x4BinaryPattern_ValidAndExact(bool eight)
    {
        for (var bits = 0; bits < 1 << 16; bits++)
        {
            var cells = new float[16];
            for (var i = 0; i < 16; i++)
            {
                cells[i] = (bits >> i) & 1;
            }

            var grid = new RasterBuffer<float>(4, 4, cells);
            var polygons = Vectorize.Polygonizer.Polygonize(grid, new GeoTransform(0, 1, 4, -1), eight);
            foreach (var p in polygons)
            {
                Assert.True(p.Polygon.IsValid, $"pattern {bits:X4} ({(eight ? 8 : 4)}-conn): {new NetTopologySuite.Operation.Valid.IsValidOp(p.Polygon).ValidationError} {p.Polygon.AsText()}");
            }

            var components = Classify.ConnectedComponents.Label(grid, eight);
            if (eight)
            {
                // A region pinched at a corner is one 8-connected component but one polygon per lobe.
                Assert.True(polygons.Count >= components.Count, $"pattern {bits:X4}");
            }
            else
            {
                Assert.Equal(components.Count, polygons.Count);
            }
            Assert.Equal(16.0, polygons.Sum(p => p.Polygon.Area));
        }
    }
}

public class CoverageSimplificationTests
{
    [Fact]
    public void Simplify_KeepsCoverageWithoutGapsOrOverlaps_AndRemovesStaircaseVertices()
    {
        var classes = PolygonizeTests.Classes(180, 140, 21);
        var t = new GeoTransform(500_000, 30, 4_980_000, -30);
        var zones = Vectorize.Polygonizer.Polygonize(classes, t);
        Assert.True(Vectorize.CoverageSimplification.IsValidCoverage(zones));

        // A one-cell stair step is a 450 m² triangle (√450 ≈ 21 m): a 30 m tolerance removes them.
        var simplified = Vectorize.CoverageSimplification.Simplify(zones, tolerance: 30);

        Assert.Equal(zones.Count, simplified.Count);
        Assert.True(Vectorize.CoverageSimplification.IsValidCoverage(simplified));
        Assert.All(simplified, z => Assert.True(z.Polygon.IsValid));
        Assert.True(simplified.Sum(z => z.Polygon.NumPoints) < 0.8 * zones.Sum(z => z.Polygon.NumPoints));
        // Shared edges are simplified once for both sides, so the total area is exactly the grid's.
        Assert.Equal(180 * 140 * 900.0, simplified.Sum(z => z.Polygon.Area), 3);
    }
}
