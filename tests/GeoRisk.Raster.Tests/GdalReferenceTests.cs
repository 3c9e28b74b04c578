using System.Runtime.Intrinsics;
using System.Globalization;
using GeoRisk.Gdal;
using GeoRisk.Raster.Distance;
using GeoRisk.Raster.MapAlgebra;
using GeoRisk.Raster.Rasterize;
using GeoRisk.Raster.Terrain;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Raster.Tests;

/// <summary>Kernels against GDAL's own utilities (the independent implementation), with the stated tolerances.</summary>
public sealed class GdalReferenceTests : IDisposable
{
    private readonly TempDirectory _dir = new("georisk-raster-ref");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Calc_WeightedOverlay_MatchesGdalCalc_RelativeDiff1e6_SameNodata()
    {
        const int w = 517, h = 389;
        var files = Enumerable.Range(0, 4).Select(i => GdalTools.WriteRandom(_dir.File($"f{i}.tif"), w, h, 100 + i, nodataFraction: 0.02)).ToArray();
        var expression = Expression.Parse("0.4*a + 0.3*b + 0.2*c + 0.1*d");

        var ours = _dir.File("ours.tif");
        var sources = files.Select(f => new GdalRasterSource(f)).ToList();
        using (var sink = new GdalRasterSink(ours, sources[0].Grid))
        {
            RasterCalculator.Run(expression, sources.Cast<IRasterSource>().ToList(), sink, new RasterOptions { StripRows = 64 });
        }

        sources.ForEach(s => s.Dispose());
        var theirs = _dir.File("gdal.tif");
        GdalTools.Run("gdal_calc.py", "--quiet", "-A", files[0], "-B", files[1], "-C", files[2], "-D", files[3], "--outfile", theirs,
            "--calc", "0.4*A+0.3*B+0.2*C+0.1*D", "--type", "Float32", "--NoDataValue", "-9999");

        var a = GdalTools.Read(ours, out _);
        var b = GdalTools.Read(theirs, out _);
        var nodata = 0;
        for (var i = 0; i < a.Data.Length; i++)
        {
            Assert.Equal(float.IsNaN(b.Data[i]), float.IsNaN(a.Data[i]));
            if (float.IsNaN(a.Data[i]))
            {
                nodata++;
                continue;
            }

            Assert.True(Math.Abs(a.Data[i] - b.Data[i]) <= 1e-6 * Math.Max(1, Math.Abs(b.Data[i])), $"cell {i}: {a.Data[i]} vs {b.Data[i]}");
        }

        Assert.InRange(nodata, (int)(w * h * 0.05), (int)(w * h * 0.1)); // ≈ 1 − 0.98⁴ of the cells
    }

    [Fact]
    public void Proximity_IsExact_AgainstBruteForce()
    {
        const int w = 97, h = 61;
        var random = new Random(7);
        var mask = new RasterBuffer<byte>(w, h);
        var sources = new List<(int X, int Y)>();
        for (var i = 0; i < 23; i++)
        {
            var (x, y) = (random.Next(w), random.Next(h));
            mask[x, y] = 1;
            sources.Add((x, y));
        }

        // Non-square pixels exercise the anisotropic parabolas.
        const double pw = 30, ph = 20;
        var result = DistanceTransform.Compute(mask, pw, ph);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var best = sources.Select(s => Math.Sqrt(Math.Pow((s.X - x) * pw, 2) + Math.Pow((s.Y - y) * ph, 2))).Min();
                Assert.Equal((float)best, result.Distance[x, y]);
                var k = result.NearestIndex[x, y];
                var nearest = (X: k % w, Y: k / w);
                Assert.Contains(nearest, sources);
                Assert.Equal((float)best, (float)Math.Sqrt(Math.Pow((nearest.X - x) * pw, 2) + Math.Pow((nearest.Y - y) * ph, 2)));
            }
        }
    }

    [Fact]
    public void Proximity_MaxDistance_CutsToNaN()
    {
        var mask = new RasterBuffer<byte>(50, 1);
        mask[0, 0] = 1;
        var result = DistanceTransform.Compute(mask, 10, 10, maxDistance: 95);
        Assert.Equal(90f, result.Distance[9, 0]);
        Assert.True(float.IsNaN(result.Distance[10, 0]));
        Assert.Equal(-1, result.NearestIndex[10, 0]);
    }

    [Fact]
    public void Proximity_WithinGdalProximityTolerance()
    {
        const int w = 400, h = 300;
        var random = new Random(11);
        var source = new RasterBuffer<float>(w, h);
        source.Fill(0);
        var rasterizer = new Rasterizer(source, GdalTools.Grid(w, h).Transform, allTouched: true);
        for (var i = 0; i < 12; i++)
        {
            var line = new LineString([new(500_000 + (random.NextDouble() * w * 30), 4_980_000 - (random.NextDouble() * h * 30)), new(500_000 + (random.NextDouble() * w * 30), 4_980_000 - (random.NextDouble() * h * 30))]);
            rasterizer.Burn(line, 1);
        }

        var src = _dir.File("src.tif");
        GdalTools.Write(src, source);
        var mask = new RasterBuffer<byte>(w, h);
        for (var i = 0; i < mask.Data.Length; i++)
        {
            mask.Data[i] = (byte)(source.Data[i] != 0 ? 1 : 0);
        }

        var ours = DistanceTransform.Compute(mask, 30, 30).Distance;
        var theirs = _dir.File("prox.tif");
        GdalTools.Run("gdal_proximity.py", "-q", src, theirs, "-values", "1", "-distunits", "GEO", "-ot", "Float32");
        var gdal = GdalTools.Read(theirs, out _);
        var worst = 0.0;
        for (var i = 0; i < gdal.Data.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(gdal.Data[i] - ours.Data[i]));
            // GDAL's two-pass scan is approximate and never finds a closer source than the exact one.
            Assert.True(ours.Data[i] <= gdal.Data[i] + 1e-3, $"cell {i}: exact {ours.Data[i]} > gdal {gdal.Data[i]}");
        }

        Assert.True(worst <= 2.1 * 5, $"worst difference {worst} m"); // stated tolerance: a few metres at 30 m cells
    }

    [Fact]
    public void Slope_MatchesGdaldem_Within0003Degrees()
    {
        const int w = 300, h = 200;
        var dem = new RasterBuffer<float>(w, h);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                dem[x, y] = (float)((1500 * Math.Sin(x * 0.05) * Math.Cos(y * 0.07)) + (x * 3) + (y * 1.5));
            }
        }

        dem[150, 100] = float.NaN;
        var demPath = _dir.File("dem.tif");
        GdalTools.Write(demPath, dem);
        var ours = SlopeAspect.Slope(dem, 30, 30);
        var oursAspect = SlopeAspect.Aspect(dem);
        var slopePath = _dir.File("slope.tif");
        var aspectPath = _dir.File("aspect.tif");
        GdalTools.Run("gdaldem", "slope", "-q", demPath, slopePath);
        GdalTools.Run("gdaldem", "aspect", "-q", demPath, aspectPath);
        var gdal = GdalTools.Read(slopePath, out _);
        var gdalAspect = GdalTools.Read(aspectPath, out _);
        for (var i = 0; i < gdal.Data.Length; i++)
        {
            Assert.Equal(float.IsNaN(gdal.Data[i]), float.IsNaN(ours.Data[i]));
            if (!float.IsNaN(gdal.Data[i]))
            {
                Assert.True(Math.Abs(gdal.Data[i] - ours.Data[i]) <= 0.003, $"slope cell {i}: {ours.Data[i]} vs {gdal.Data[i]}");
                // gdaldem sums the 3x3 window in single precision before atan2, so its aspect carries
                // ~1e-4 relative error in the gradient; we sum in double. 0.02° covers that where slope ≥ 1°.
                var d = Math.Abs(gdalAspect.Data[i] - oursAspect.Data[i]);
                if (gdal.Data[i] >= 1)
                {
                    Assert.True(Math.Min(d, 360 - d) <= 0.02, $"aspect cell {i}: {oursAspect.Data[i]} vs {gdalAspect.Data[i]}");
                }
            }
        }
    }

    [Theory]
    [InlineData(30.0)]
    [InlineData(10.0)]
    public void Slope_SteepHighDem_MatchesGdaldemTo1e4Degrees(double cell)
    {
        // Mountains at 3,000–5,200 m with metre-scale roughness: float sums of the window carry ~0.002 m of
        // rounding here, which the kernel must round exactly as gdaldem does (a kernel summing in another
        // order differed by 0.0038° at 30 m). Every cell, including the steep ones, to 1e-4°.
        const int w = 257, h = 203;
        var random = new Random(7);
        var dem = new RasterBuffer<float>(w, h);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                dem[x, y] = (float)(4100 + (900 * Math.Sin(x * 0.043) * Math.Cos(y * 0.061)) + (300 * Math.Sin((x + (2 * y)) * 0.17)) + (3 * random.NextDouble()));
            }
        }

        var demPath = _dir.File("steep.tif");
        GdalTools.Write(demPath, dem, cell);
        var ours = SlopeAspect.Slope(dem, cell, cell);
        var slopePath = _dir.File("steep-slope.tif");
        GdalTools.Run("gdaldem", "slope", "-q", demPath, slopePath);
        var gdal = GdalTools.Read(slopePath, out _);
        var worst = 0.0;
        var steep = 0;
        for (var i = 0; i < gdal.Data.Length; i++)
        {
            Assert.Equal(float.IsNaN(gdal.Data[i]), float.IsNaN(ours.Data[i]));
            if (!float.IsNaN(gdal.Data[i]))
            {
                worst = Math.Max(worst, Math.Abs(gdal.Data[i] - ours.Data[i]));
                steep += gdal.Data[i] > 45 ? 1 : 0;
            }
        }

        Assert.True(worst <= 1e-4, $"max difference {worst}°");
        Assert.True(steep > 100, $"only {steep} cells steeper than 45°: the DEM does not test steep slopes");
    }

    [Fact]
    public void AtanPositive_WithinTwoUlpsOfMathAtan_AcrossItsRanges()
    {
        var worst = 0.0;
        for (var k = 0; k <= 200_000; k++)
        {
            // 0 to 1e4 on a log-like scale, through both range-reduction boundaries (tan π/8, tan 3π/8).
            var x = k < 100_000 ? k * 3e-5f : (float)Math.Pow(10, 0.5 + ((k - 100_000) * 3.5e-5));
            var ours = SlopeAspect.AtanPositive(Vector256.Create(x)).ToScalar();
            var exact = Math.Atan(x);
            worst = Math.Max(worst, Math.Abs(ours - exact) / Math.Max(exact, 1e-30));
        }

        Assert.True(worst < 2.5e-7, $"relative error {worst}");
        Assert.True(float.IsNaN(SlopeAspect.AtanPositive(Vector256.Create(float.NaN)).ToScalar()));
        Assert.Equal(0f, SlopeAspect.AtanPositive(Vector256.Create(0f)).ToScalar());
    }

    [Fact]
    public void Hillshade_MatchesGdaldem_WithinOneGreyLevel()
    {
        const int w = 160, h = 120;
        var dem = new RasterBuffer<float>(w, h);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                dem[x, y] = (float)((400 * Math.Sin(x * 0.09) * Math.Cos(y * 0.06)) + (x * 2) - (y * 4));
            }
        }

        dem[80, 60] = float.NaN;
        var demPath = _dir.File("dem-hs.tif");
        GdalTools.Write(demPath, dem);
        var ours = Hillshade.Compute(dem, 30, 30);
        var hsPath = _dir.File("hillshade.tif");
        GdalTools.Run("gdaldem", "hillshade", "-q", demPath, hsPath);
        var gdal = GdalTools.Read(hsPath, out _);
        var compared = 0;
        for (var i = 0; i < gdal.Data.Length; i++)
        {
            // gdaldem marks the border and cells around NaN as nodata (0, read back as NaN); we write 0 there.
            var expected = float.IsNaN(gdal.Data[i]) ? 0 : gdal.Data[i];
            Assert.True(Math.Abs(expected - ours.Data[i]) <= 1, $"cell {i % w},{i / w}: {ours.Data[i]} vs {expected}");
            compared += expected > 0 ? 1 : 0;
        }

        Assert.True(compared > (w - 2) * (h - 2) - 20);
    }

    public static TheoryData<bool> AllTouched => new() { false, true };

    [Theory]
    [MemberData(nameof(AllTouched))]
    public void Rasterize_Polygons_IdenticalToGdalRasterize(bool allTouched)
    {
        const int w = 240, h = 180;
        var grid = GdalTools.Grid(w, h);
        var random = new Random(allTouched ? 5 : 3);
        var factory = new GeometryFactory();
        var polygons = new List<(Geometry Geometry, int Value)>();
        for (var i = 0; i < 40; i++)
        {
            var cx = 500_000 + (random.NextDouble() * w * 30);
            var cy = 4_980_000 - (random.NextDouble() * h * 30);
            var r = 60 + (random.NextDouble() * 900);
            var n = random.Next(3, 9);
            var shell = Enumerable.Range(0, n).Select(k => new Coordinate(cx + (r * (0.6 + (0.4 * random.NextDouble())) * Math.Cos(2 * Math.PI * k / n)), cy + (r * (0.6 + (0.4 * random.NextDouble())) * Math.Sin(2 * Math.PI * k / n)))).ToList();
            shell.Add(shell[0]);
            LinearRing[] holes = [];
            if (i % 5 == 0 && r > 300)
            {
                var hole = Enumerable.Range(0, 4).Select(k => new Coordinate(cx + (r * 0.25 * Math.Cos((Math.PI * k / 2) + 0.3)), cy + (r * 0.25 * Math.Sin((Math.PI * k / 2) + 0.3)))).ToList();
                hole.Add(hole[0]);
                holes = [factory.CreateLinearRing(hole.ToArray())];
            }

            polygons.Add((factory.CreatePolygon(factory.CreateLinearRing(shell.ToArray()), holes), i + 1));
        }

        var vectorPath = _dir.File("polys.gpkg");
        using (var ds = VectorDataset.Create("GPKG", vectorPath))
        {
            using var crs = SpatialReference.FromEpsg(4536);
            var writer = ds.CreateLayer("polys", crs, VectorGeometryType.Polygon, [new("class", VectorFieldType.Integer)]);
            foreach (var (g, v) in polygons)
            {
                writer.Add(g, [v]);
            }
        }

        var template = _dir.File("template.tif");
        var empty = new RasterBuffer<float>(w, h);
        empty.Fill(float.NaN);
        GdalTools.Write(template, empty);

        var ours = new RasterBuffer<float>(w, h);
        ours.Fill(float.NaN);
        var rasterizer = new Rasterizer(ours, grid.Transform, allTouched);
        foreach (var (g, v) in polygons)
        {
            rasterizer.Burn(g, v);
        }

        string[] args = ["-q", "-a", "class", "-l", "polys", vectorPath, template];
        GdalTools.Run("gdal_rasterize", allTouched ? ["-at", .. args] : args);
        var gdal = GdalTools.Read(template, out _);
        var burnt = 0;
        for (var i = 0; i < gdal.Data.Length; i++)
        {
            Assert.True(gdal.Data[i].Equals(ours.Data[i]), $"cell ({i % w},{i / w}): ours {ours.Data[i]}, gdal {gdal.Data[i]}");
            burnt += float.IsNaN(gdal.Data[i]) ? 0 : 1;
        }

        Assert.True(burnt > w * h / 10, $"only {burnt} cells burnt");
    }
}
