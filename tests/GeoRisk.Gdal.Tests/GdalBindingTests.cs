using System.Diagnostics;
using System.Globalization;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Gdal.Tests;

public class GdalBindingTests
{
    [Fact]
    public void Runtime_LoadsSystemLibgdal()
    {
        Assert.Matches(@"^3\.\d+\.\d+", GdalRuntime.Version);
        Assert.True(GdalRuntime.DriverCount > 100, $"only {GdalRuntime.DriverCount} drivers");
    }

    [Fact]
    public void Runtime_BlockCacheBoundedAt256MB()
    {
        // What docs/SCALE.md's memory figures count on: GDAL's cache does not grow to its default 5 % of physical memory.
        Assert.Equal(256L << 20, GdalRuntime.BlockCacheBytes);
    }

    [Fact]
    public void Raster_RoundTripsWindowGeotransformCrsAndNodata()
    {
        using var dir = new TempDirectory();
        var path = dir.File("r.tif");
        var values = Enumerable.Range(0, 37 * 23).Select(i => (float)(i * 0.25 - 7)).ToArray();
        using (var ds = RasterDataset.CreateGeoTiff(path, 37, 23, 1, RasterDataType.Float32))
        {
            ds.GeoTransform = [81.5, 0.001, 0, 45.1, 0, -0.001];
            using var crs = SpatialReference.FromEpsg(4490);
            ds.ProjectionWkt = crs.Wkt;
            ds.SetNoData(1, -9999);
            ds.Write<float>(1, 0, 0, 37, 23, values);
        }

        using var read = RasterDataset.Open(path);
        var back = new float[37 * 23];
        read.Read<float>(1, 0, 0, 37, 23, back);
        Assert.Equal(values, back);
        Assert.Equal([81.5, 0.001, 0, 45.1, 0, -0.001], read.GeoTransform);
        Assert.Equal(-9999, read.GetNoData(1));
        Assert.Equal(RasterDataType.Float32, read.GetDataType(1));
        using var srs = SpatialReference.Parse(read.ProjectionWkt);
        Assert.Equal(4490, srs.EpsgCode);
    }

    [Fact]
    public void Raster_OpenMissingFile_ThrowsGdalExceptionWithGdalMessage()
    {
        var ex = Assert.Throws<GdalException>(() => RasterDataset.Open("/nonexistent/file.tif"));
        Assert.Contains("file.tif", ex.Message, StringComparison.Ordinal);
        Assert.NotEqual(0, ex.ErrorClass);
    }

    [Fact]
    public void Vector_RoundTripsGeometryAndChineseAttributes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("v.gpkg");
        var polygon = new GeometryFactory().CreatePolygon([new(82, 44.9), new(82.1, 44.9), new(82.1, 45), new(82, 44.9)]);
        using (var ds = VectorDataset.Create("GPKG", path))
        {
            using var crs = SpatialReference.FromEpsg(4490);
            var w = ds.CreateLayer("zones", crs, VectorGeometryType.Polygon, [new("DJMC", VectorFieldType.String), new("YFXDJ", VectorFieldType.Integer), new("MJ", VectorFieldType.Real)]);
            w.Add(polygon, ["极高易发区", 4, 1.25]);
        }

        using var read = VectorDataset.OpenRead(path, ["GPKG"]);
        var layer = Assert.Single(read.Layers);
        Assert.Equal(4490, layer.CrsEpsg);
        var feature = Assert.Single(read.ReadFeatures(0));
        Assert.True(feature.Geometry!.EqualsExact(polygon));
        Assert.Equal("极高易发区", feature.Attributes["DJMC"]);
        Assert.Equal(4L, feature.Attributes["YFXDJ"]);
        Assert.Equal(1.25, feature.Attributes["MJ"]);
    }

    [Fact]
    public void Vector_DriverNotAllowed_IsRefused()
    {
        using var dir = new TempDirectory();
        var path = dir.File("v.geojson");
        File.WriteAllText(path, """{"type":"FeatureCollection","features":[]}""");
        Assert.Throws<GdalException>(() => VectorDataset.OpenRead(path, ["GPKG"]));
    }

    [Theory]
    [InlineData("http://example.com/crs.prj")]
    [InlineData("+proj=longlat +nadgrids=@foo.gsb")]
    [InlineData("/etc/passwd")]
    public void SpatialReference_RefusesDefinitionsReachingFilesOrNetwork(string definition) =>
        Assert.Throws<ArgumentException>(() => SpatialReference.Parse(definition));

    /// <summary>Issue #16 defect 2: a relative file name reached OSRSetFromUserInput, which read the file as a CRS.</summary>
    [Fact]
    public void SpatialReference_RelativeFileName_NeverRead()
    {
        var name = $"georisk-crs-{Guid.NewGuid():N}.wkt";
        using (var srs = SpatialReference.FromEpsg(4490))
        {
            File.WriteAllText(name, srs.Wkt);
        }

        try
        {
            Assert.Throws<ArgumentException>(() => SpatialReference.Parse(name));
            Assert.Throws<ArgumentException>(() => SpatialReference.Parse("@" + name));
            Assert.Throws<ArgumentException>(() => SpatialReference.Parse("WGS84"));
            using var wkt = SpatialReference.Parse(File.ReadAllText(name));
            Assert.Equal(4490, wkt.EpsgCode);
        }
        finally
        {
            File.Delete(name);
        }
    }

    /// <summary>
    /// Hand-computed reference: on the central meridian the Gauss-Krüger easting is the false easting and
    /// the northing is the meridian arc length; for the CGCS2000 ellipsoid (a = 6378137, 1/f = 298.257222101)
    /// at 45°N that is 4,984,944.378 m. Tolerance 1 cm.
    /// </summary>
    [Fact]
    public void Transform_OnCentralMeridian_MatchesMeridianArc()
    {
        using var geo = SpatialReference.FromEpsg(4490);
        using var gk = SpatialReference.FromEpsg(4515);
        using var t = CoordinateTransformation.Create(geo, gk);
        double[] x = [81.0], y = [45.0];
        t.Transform(x, y);
        Assert.Equal(27_500_000, x[0], 0.01);
        Assert.Equal(4_984_944.378, y[0], 0.01);
    }

    public static TheoryData<int> GaussKrugerCodes => new() { 4515, 4516, 4536, 4537, 4503, 4492, 3857, 32644 };

    /// <summary>Our binding against GDAL's own gdaltransform on Bortala points, within 1 cm.</summary>
    [Theory]
    [MemberData(nameof(GaussKrugerCodes))]
    public void Transform_AgreesWithGdaltransform(int epsg)
    {
        var points = new (double Lon, double Lat)[] { (79.9, 44.01), (81.0, 45.0), (82.07, 44.90), (82.49, 45.3), (82.89, 44.27), (83.79, 45.38) };
        using var geo = SpatialReference.FromEpsg(4490);
        using var target = SpatialReference.FromEpsg(epsg);
        using var t = CoordinateTransformation.Create(geo, target);
        var xs = points.Select(p => p.Lon).ToArray();
        var ys = points.Select(p => p.Lat).ToArray();
        t.Transform(xs, ys);

        var reference = Gdaltransform("EPSG:4490", $"EPSG:{epsg}", points);
        for (var i = 0; i < points.Length; i++)
        {
            Assert.Equal(reference[i].X, xs[i], 0.01);
            Assert.Equal(reference[i].Y, ys[i], 0.01);
        }
    }

    /// <summary>
    /// The site-centred equidistant pair built from its PROJ pipeline gives what the operation PROJ finds for the two CRSs
    /// gives (to 1 mm and back to 1e-9°), from the centre out to 300 km, and the distance from the centre is the geodesic
    /// one (gdaltransform to the same projection as an independent reference, 1 cm).
    /// </summary>
    [Theory]
    [InlineData(82.07, 44.9)]
    [InlineData(80.0, 45.35)]
    [InlineData(-70.5, -33.4)]
    public void EquidistantPair_FromItsPipeline_SameAsTheSearchedOperation(double lon, double lat)
    {
        using var geo = SpatialReference.FromEpsg(4490);
        using var local = SiteProjection.Equidistant(lon, lat);
        using var searched = CoordinateTransformation.Create(geo, local);
        var (toLocal, fromLocal) = SiteProjection.EquidistantPair(lon, lat);
        using var _ = toLocal;
        using var __ = fromLocal;
        var points = new (double Lon, double Lat)[] { (lon, lat), (lon + 0.003, lat - 0.002), (lon - 0.4, lat + 0.3), (lon + 2.5, lat - 1.7), (lon - 3.1, lat + 2.2) };
        double[] xs = points.Select(p => p.Lon).ToArray(), ys = points.Select(p => p.Lat).ToArray();
        double[] xr = (double[])xs.Clone(), yr = (double[])ys.Clone();
        toLocal.Transform(xs, ys);
        searched.Transform(xr, yr);
        var reference = Gdaltransform("EPSG:4490",
            string.Create(CultureInfo.InvariantCulture, $"+proj=aeqd +lat_0={lat:R} +lon_0={lon:R} +x_0=0 +y_0=0 +ellps=GRS80 +units=m"), points);
        for (var i = 0; i < points.Length; i++)
        {
            Assert.Equal(xr[i], xs[i], 0.001);
            Assert.Equal(yr[i], ys[i], 0.001);
            Assert.Equal(reference[i].X, xs[i], 0.01);
            Assert.Equal(reference[i].Y, ys[i], 0.01);
        }

        fromLocal.Transform(xs, ys);
        for (var i = 0; i < points.Length; i++)
        {
            Assert.Equal(points[i].Lon, xs[i], 1e-9);
            Assert.Equal(points[i].Lat, ys[i], 1e-9);
        }
    }

    /// <summary>The site-centred equal-area transformation built from its pipeline against the searched operation (1 mm).</summary>
    [Fact]
    public void EqualArea_FromItsPipeline_SameAsTheSearchedOperation()
    {
        using var geo = SpatialReference.FromEpsg(4490);
        using var local = SiteProjection.EqualArea(82.07, 44.9);
        using var searched = CoordinateTransformation.Create(geo, local);
        using var built = SiteProjection.ToEqualArea(82.07, 44.9);
        double[] xs = [82.07, 82.5, 80.1, 83.8], ys = [44.9, 44.2, 45.3, 45.38];
        double[] xr = (double[])xs.Clone(), yr = (double[])ys.Clone();
        built.Transform(xs, ys);
        searched.Transform(xr, yr);
        for (var i = 0; i < xs.Length; i++)
        {
            Assert.Equal(xr[i], xs[i], 0.001);
            Assert.Equal(yr[i], ys[i], 0.001);
        }
    }

    internal static List<(double X, double Y)> Gdaltransform(string from, string to, IEnumerable<(double Lon, double Lat)> points)
    {
        var psi = new ProcessStartInfo("gdaltransform", ["-s_srs", from, "-t_srs", to, "-output_xy"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // gdaltransform follows the CRS's authority axis order for EPSG:4490 (lat, lon) unless told otherwise.
        psi.Environment["OSR_DEFAULT_AXIS_MAPPING_STRATEGY"] = "TRADITIONAL_GIS_ORDER";
        using var process = Process.Start(psi)!;
        foreach (var (lon, lat) in points)
        {
            process.StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{lon:R} {lat:R}"));
        }

        process.StandardInput.Close();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        return lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => (double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
    }
}
