using System.IO.Compression;
using System.Text;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Gdal.Tests;

public sealed class IngestionTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("georisk-ingest");
    private GeoPackageStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _dir.File("store") });
        await _store.InitializeAsync();
        await _store.UpsertSurveyAsync(new SurveyInfo("s1", "Test survey", 10000, SurveyType.FineSurvey, "test", null, true, new DateOnly(2024, 1, 1)), null);
    }

    public Task DisposeAsync() => _store.DisposeAsync().AsTask();

    public void Dispose() => _dir.Dispose();

    private Task<IngestResult> Ingest(string path, LayerKind kind, string? crs = null, string layer = "zones") =>
        new SurveyIngestor(_store).IngestAsync(new IngestRequest(path, kind, "s1", layer, crs));

    private string GeoJson(string name, string features)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, $$"""{"type":"FeatureCollection","features":[{{features}}]}""");
        return path;
    }

    private static string Polygon(string coords, string props) =>
        "{\"type\":\"Feature\",\"properties\":{" + props + "},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[" + coords + "]]}}";

    [Fact]
    public async Task Ingest_ValidGeoJson_PublishesVersion1WithReport()
    {
        var path = GeoJson("ok.geojson", Polygon("[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]", "\"grade\": 3"));
        var result = await Ingest(path, LayerKind.HazardZones);

        Assert.True(result.Accepted, string.Join("; ", result.Report.Findings.Select(f => f.Message)));
        Assert.Equal(1, result.Version!.Version);
        var stored = await _store.QueryFeaturesAsync("s1", "zones", null, 10);
        Assert.Equal(3L, Assert.Single(stored).Attributes["grade"]);
    }

    [Fact]
    public async Task Ingest_SecondUpload_KeepsHistory()
    {
        var path = GeoJson("ok.geojson", Polygon("[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]", "\"grade\": 3"));
        await Ingest(path, LayerKind.HazardZones);
        var path2 = GeoJson("ok2.geojson", Polygon("[82,44.9],[82.2,44.9],[82.2,45],[82,44.9]", "\"grade\": 4"));
        var second = await Ingest(path2, LayerKind.HazardZones);

        Assert.Equal(2, second.Version!.Version);
        var versions = await _store.ListVersionsAsync("s1", "zones");
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.Equal(4L, (await _store.QueryFeaturesAsync("s1", "zones", null, 10)).Single().Attributes["grade"]);
    }

    [Fact]
    public async Task Ingest_HugeCoordinate_RejectedAndNothingStored()
    {
        var path = GeoJson("huge.geojson", Polygon("[82,44.9],[1e308,44.9],[82.1,45],[82,44.9]", "\"grade\": 3"));
        var result = await Ingest(path, LayerKind.HazardZones);

        Assert.False(result.Accepted);
        Assert.True(result.Report.HasErrors);
        Assert.Empty(await _store.ListLayersAsync());
    }

    [Theory]
    [InlineData("[82,44.9],[NaN,44.9],[82.1,45],[82,44.9]")]
    [InlineData("[82,44.9],[82.1,Infinity],[82.1,45],[82,44.9]")]
    [InlineData("[82,44.9],[-1e308,44.9],[82.1,45],[82,44.9]")]
    public async Task Ingest_NonFiniteCoordinates_RejectedAndNothingStored(string ring)
    {
        var result = await Ingest(GeoJson("nan.geojson", Polygon(ring, "\"grade\": 3")), LayerKind.HazardZones);

        Assert.False(result.Accepted);
        Assert.NotNull(result.RejectionCode);
        Assert.Empty(await _store.ListLayersAsync());
    }

    [Fact]
    public async Task Ingest_MissingRequiredField_RejectedWithHint()
    {
        var path = GeoJson("nofield.geojson", Polygon("[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]", "\"colour\": \"red\""));
        var result = await Ingest(path, LayerKind.HazardZones);

        Assert.False(result.Accepted);
        Assert.Equal("missing-field", result.RejectionCode);
        Assert.Empty(await _store.ListLayersAsync());
    }

    [Fact]
    public async Task Ingest_FailedUpload_LeavesPreviousVersionCurrent()
    {
        await Ingest(GeoJson("ok.geojson", Polygon("[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]", "\"grade\": 2")), LayerKind.HazardZones);
        var bad = await Ingest(GeoJson("bad.geojson", Polygon("[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]", "\"grade\": 9")), LayerKind.HazardZones);

        Assert.False(bad.Accepted);
        var layer = Assert.Single(await _store.ListLayersAsync());
        Assert.Equal(1, layer.CurrentVersion);
        Assert.Equal(2L, (await _store.QueryFeaturesAsync("s1", "zones", null, 10)).Single().Attributes["grade"]);
    }

    /// <summary>Issue #16 defect 8: another kind under an existing layer name failed at publish (a worker crash); now a rejection.</summary>
    [Fact]
    public async Task Ingest_OtherKindUnderExistingLayerName_RejectedAsConflict()
    {
        var path = GeoJson("zones.geojson", Polygon("[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]", "\"grade\": 2"));
        Assert.True((await Ingest(path, LayerKind.HazardZones)).Accepted);
        var lakes = await new SurveyIngestor(_store).IngestAsync(new IngestRequest(path, LayerKind.Lakes, "s1", "zones"));
        Assert.False(lakes.Accepted);
        Assert.Equal("layer-kind-conflict", lakes.RejectionCode);
        Assert.Equal(1, Assert.Single(await _store.ListLayersAsync()).CurrentVersion);
    }

    /// <summary>Issue #16 defect 7: a Shapefile with 3 shapes and a 1-record .dbf was published as 1 feature with no finding.</summary>
    [Fact]
    public async Task Ingest_ShapefileRecordCountMismatch_Rejected()
    {
        var folder = _dir.File("mismatch");
        var single = _dir.File("single");
        Directory.CreateDirectory(folder);
        Directory.CreateDirectory(single);
        void Write(string path, int count)
        {
            using var ds = VectorDataset.Create("ESRI Shapefile", path);
            using var crs = SpatialReference.FromEpsg(4490);
            var w = ds.CreateLayer("zones", crs, VectorGeometryType.Polygon, [new("YFXDJ", VectorFieldType.Integer)]);
            for (var i = 0; i < count; i++)
            {
                var x = 82 + (i * 0.2);
                w.Add(new GeometryFactory().CreatePolygon([new(x, 44.9), new(x + 0.1, 44.9), new(x + 0.1, 45), new(x, 44.9)]), [2]);
            }
        }

        Write(Path.Combine(folder, "zones.shp"), 3);
        Write(Path.Combine(single, "zones.shp"), 1);
        File.Copy(Path.Combine(single, "zones.dbf"), Path.Combine(folder, "zones.dbf"), overwrite: true);
        var zip = _dir.File("mismatch.zip");
        ZipFile.CreateFromDirectory(folder, zip);

        var result = await Ingest(zip, LayerKind.HazardZones);
        Assert.False(result.Accepted);
        Assert.Equal("shapefile-record-mismatch", result.RejectionCode);
        Assert.Empty(await _store.ListLayersAsync());
    }

    /// <summary>Issue #16 defect 7: a NUL in an attribute value silently cut the value short.</summary>
    [Fact]
    public async Task Ingest_NulInsideAttributeValue_RejectedNotTruncated()
    {
        var json = await Ingest(GeoJson("nul.geojson", Polygon("[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]", "\"grade\": 2, \"name\": \"Bole\\u0000; hidden\"")), LayerKind.HazardZones);
        Assert.Equal("nul-in-attribute", json.RejectionCode);

        var folder = _dir.File("nuldbf");
        Directory.CreateDirectory(folder);
        using (var ds = VectorDataset.Create("ESRI Shapefile", Path.Combine(folder, "zones.shp")))
        {
            using var crs = SpatialReference.FromEpsg(4490);
            var w = ds.CreateLayer("zones", crs, VectorGeometryType.Polygon, [new("YFXDJ", VectorFieldType.Integer), new("NOTE", VectorFieldType.String, 20)]);
            w.Add(new GeometryFactory().CreatePolygon([new(82, 44.9), new(82.1, 44.9), new(82.1, 45), new(82, 44.9)]), [2, "ABCDEFGH"]);
        }

        var dbf = await File.ReadAllBytesAsync(Path.Combine(folder, "zones.dbf"));
        var at = dbf.AsSpan().IndexOf("ABCDEFGH"u8);
        Assert.True(at > 0);
        dbf[at + 4] = 0; // "ABCD\0FGH": GDAL would return "ABCD"
        await File.WriteAllBytesAsync(Path.Combine(folder, "zones.dbf"), dbf);
        var zip = _dir.File("nuldbf.zip");
        ZipFile.CreateFromDirectory(folder, zip);
        var shp = await Ingest(zip, LayerKind.HazardZones);
        Assert.Equal("nul-in-attribute", shp.RejectionCode);
        Assert.Empty(await _store.ListLayersAsync());
    }

    private string ShapefileZip(string name, bool withPrj, bool withCpg, string crsEpsg = "EPSG:4515", Func<double, double, (double, double)>? project = null)
    {
        var folder = _dir.File(name);
        Directory.CreateDirectory(folder);
        using (var ds = VectorDataset.Create("ESRI Shapefile", Path.Combine(folder, name + ".shp")))
        {
            using var crs = SpatialReference.Parse(crsEpsg);
            var w = ds.CreateLayer(name, crs, VectorGeometryType.Polygon, [new("YFXDJ", VectorFieldType.Integer), new("DJMC", VectorFieldType.String, 20)], ["ENCODING=CP936"]);
            using var geo = SpatialReference.FromEpsg(4490);
            using var t = CoordinateTransformation.Create(geo, crs);
            double[] xs = [82.0, 82.1, 82.1, 82.0], ys = [44.9, 44.9, 45.0, 44.9];
            t.Transform(xs, ys);
            if (project is not null)
            {
                for (var i = 0; i < xs.Length; i++)
                {
                    (xs[i], ys[i]) = project(xs[i], ys[i]);
                }
            }

            w.Add(new GeometryFactory().CreatePolygon(xs.Zip(ys, (x, y) => new Coordinate(x, y)).ToArray()), [4, "极高易发区"]);
        }

        if (!withPrj)
        {
            File.Delete(Path.Combine(folder, name + ".prj"));
        }

        if (!withCpg)
        {
            File.Delete(Path.Combine(folder, name + ".cpg"));
        }

        var zip = _dir.File(name + ".zip");
        ZipFile.CreateFromDirectory(folder, zip);
        return zip;
    }

    [Fact]
    public async Task Ingest_GbkShapefileWithoutCpg_DecodedToUtf8()
    {
        var result = await Ingest(ShapefileZip("gbk", withPrj: true, withCpg: false), LayerKind.HazardZones);

        Assert.True(result.Accepted, string.Join("; ", result.Report.Findings.Select(f => f.Message)));
        Assert.Contains(result.Report.Findings, f => f.Code == "encoding-detected");
        var feature = (await _store.QueryFeaturesAsync("s1", "zones", null, 10)).Single();
        Assert.Equal("极高易发区", feature.Attributes["grade_name"]);
        Assert.Equal("EPSG:4515 (CGCS2000 / 3-degree Gauss-Kruger zone 27)", result.Version!.SourceCrs);
        // Back in lon/lat within 1e-8 degrees (~1 mm) of where the polygon was drawn.
        Assert.Contains(feature.Geometry.Coordinates, c => Math.Abs(c.X - 82.1) < 1e-8 && Math.Abs(c.Y - 45.0) < 1e-8);
    }

    [Fact]
    public async Task Ingest_ShapefileWithoutPrj_RejectedAsMissingCrs()
    {
        var result = await Ingest(ShapefileZip("noprj", withPrj: false, withCpg: true), LayerKind.HazardZones);

        Assert.False(result.Accepted);
        Assert.Equal("missing-crs", result.RejectionCode);
        Assert.Empty(await _store.ListLayersAsync());
    }

    [Fact]
    public async Task Ingest_ShapefileWithoutPrj_AcceptedWhenCrsDeclared()
    {
        var result = await Ingest(ShapefileZip("noprj2", withPrj: false, withCpg: true), LayerKind.HazardZones, crs: "EPSG:4515");
        Assert.True(result.Accepted);
        // With a .cpg GDAL recodes from the declared code page itself; no detection is needed.
        Assert.DoesNotContain(result.Report.Findings, f => f.Code == "encoding-detected");
        Assert.Equal("极高易发区", (await _store.QueryFeaturesAsync("s1", "zones", null, 1)).Single().Attributes["grade_name"]);
    }

    [Fact]
    public async Task Ingest_ZonePrefixMissing_ExplainedAndRejected()
    {
        // Eastings written without the 27 prefix while the .prj says zone 27 with prefix.
        var zip = ShapefileZip("noprefix", withPrj: true, withCpg: true, project: (x, y) => (x - 27_000_000, y));
        var result = await Ingest(zip, LayerKind.HazardZones);

        Assert.False(result.Accepted);
        Assert.Equal("crs-zone-prefix-missing", result.RejectionCode);
        Assert.Contains("EPSG:4536", result.Report.Findings.First(f => f.Severity == Severity.Error).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_RasterDeclaringTrillionPixels_RejectedBeforeReading()
    {
        var path = _dir.File("huge.tif");
        File.WriteAllBytes(path, TinyTiffDeclaring(1_000_000, 1_000_000));
        var result = await Ingest(path, LayerKind.Dem, layer: "dem");

        Assert.False(result.Accepted);
        Assert.Equal("raster-too-large", result.RejectionCode);
        Assert.Empty(await _store.ListLayersAsync());
    }

    [Theory]
    [InlineData("/vsicurl/http://127.0.0.1:1/x.tif")]
    [InlineData("PG:dbname=georisk")]
    [InlineData("MEM:::DATAPOINTER=0x0,PIXELS=1,LINES=1")]
    [InlineData("/nonexistent/zones.gpkg")]
    public async Task Ingest_NonLocalOrMissingPath_RejectedWithoutOpening(string path)
    {
        var result = await Ingest(path, LayerKind.HazardZones);
        Assert.Equal("bad-path", result.RejectionCode);
        Assert.Empty(await _store.ListLayersAsync());
    }

    [Fact]
    public async Task Ingest_VrtRenamedTif_Rejected()
    {
        var path = _dir.File("sneaky.tif");
        File.WriteAllText(path, """<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename>/etc/passwd</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>""");
        var result = await Ingest(path, LayerKind.Dem, layer: "dem");

        Assert.False(result.Accepted);
        Assert.Equal("unreadable-file", result.RejectionCode);
    }

    [Fact]
    public async Task Ingest_RasterForVectorKind_Rejected()
    {
        var path = _dir.File("small.tif");
        using (var ds = RasterDataset.CreateGeoTiff(path, 4, 4, 1, RasterDataType.Byte))
        {
            ds.GeoTransform = [82, 0.01, 0, 45, 0, -0.01];
        }

        var result = await Ingest(path, LayerKind.HazardZones);
        Assert.Equal("kind-format-mismatch", result.RejectionCode);
    }

    /// <summary>A valid little-endian TIFF header whose only IFD declares a huge 8-bit image with one strip.</summary>
    private static byte[] TinyTiffDeclaring(uint width, uint height)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms, Encoding.ASCII);
        w.Write("II"u8.ToArray());
        w.Write((ushort)42);
        w.Write(8u); // IFD offset
        var tags = new (ushort Tag, ushort Type, uint Value)[]
        {
            (256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 200), (277, 3, 1), (278, 4, height), (279, 4, 1),
        };
        w.Write((ushort)tags.Length);
        foreach (var (tag, type, value) in tags)
        {
            w.Write(tag);
            w.Write(type);
            w.Write(1u);
            if (type == 3)
            {
                w.Write((ushort)value);
                w.Write((ushort)0);
            }
            else
            {
                w.Write(value);
            }
        }

        w.Write(0u);
        while (ms.Length < 201)
        {
            w.Write((byte)0);
        }

        return ms.ToArray();
    }
}

public sealed class OtherFormatIngestionTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("georisk-formats");
    private GeoPackageStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _dir.File("store") });
        await _store.InitializeAsync();
        await _store.UpsertSurveyAsync(new SurveyInfo("field", "Field check", 10000, SurveyType.FineSurvey, "test", null, false, null), null);
    }

    public Task DisposeAsync() => _store.DisposeAsync().AsTask();

    public void Dispose() => _dir.Dispose();

    private void WritePoints(string driver, string path, IEnumerable<string>? options = null)
    {
        using var ds = VectorDataset.Create(driver, path, options);
        using var wgs = SpatialReference.FromEpsg(4326);
        var w = ds.CreateLayer("points", wgs, VectorGeometryType.Point, [new("ZHLX", VectorFieldType.String), new("WXRK", VectorFieldType.Integer)]);
        w.Add(new Point(81.02, 44.97), ["滑坡", 12]);
        w.Add(new Point(81.10, 45.05), ["泥石流", 40]);
    }

    [Fact]
    public async Task Ingest_HandheldGpsKml_Accepted()
    {
        // As GPS field software exports it: attributes in ExtendedData/SchemaData.
        var path = _dir.File("field.kml");
        File.WriteAllText(path, """
            <?xml version="1.0" encoding="utf-8"?>
            <kml xmlns="http://www.opengis.net/kml/2.2"><Document>
            <Schema name="points" id="points"><SimpleField name="ZHLX" type="string"/><SimpleField name="WXRK" type="int"/></Schema>
            <Folder><name>points</name>
            <Placemark><name>WQ-001</name><ExtendedData><SchemaData schemaUrl="#points"><SimpleData name="ZHLX">滑坡</SimpleData><SimpleData name="WXRK">12</SimpleData></SchemaData></ExtendedData><Point><coordinates>81.02,44.97</coordinates></Point></Placemark>
            <Placemark><name>WQ-002</name><ExtendedData><SchemaData schemaUrl="#points"><SimpleData name="ZHLX">泥石流</SimpleData><SimpleData name="WXRK">40</SimpleData></SchemaData></ExtendedData><Point><coordinates>81.10,45.05</coordinates></Point></Placemark>
            </Folder></Document></kml>
            """);
        var result = await new SurveyIngestor(_store).IngestAsync(new IngestRequest(path, LayerKind.HazardPoints, "field", "kml-points"));

        Assert.True(result.Accepted, string.Join("; ", result.Report.Findings.Select(f => f.Message)));
        var stored = await _store.QueryFeaturesAsync("field", "kml-points", null, 10);
        Assert.Equal(["滑坡", "泥石流"], stored.Select(f => (string)f.Attributes["hazard_type"]!));
        Assert.Equal(40L, stored[1].Attributes["threatened_people"]);
    }

    [Fact]
    public async Task Ingest_DeclaredGcj02_ConvertedToWgs84()
    {
        // A published GCJ-02 → WGS 84 pair (Beijing, from the test table of github.com/googollee/eviltransform,
        // python/test.py), so the expected point does not come from the code under test.
        var path = _dir.File("gcj.geojson");
        File.WriteAllText(path, "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"ZHLX\":\"滑坡\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":"
            + "[116.38404722455657,39.91334545536069]}}]}");

        var result = await new SurveyIngestor(_store).IngestAsync(new IngestRequest(path, LayerKind.HazardPoints, "field", "gcj", Crs: "GCJ-02"));

        Assert.True(result.Accepted);
        Assert.Contains(result.Report.Findings, f => f.Code == "gcj02-converted");
        var p = (Point)(await _store.QueryFeaturesAsync("field", "gcj", null, 1)).Single().Geometry;
        Assert.Equal(116.377817, p.X, 1e-8);
        Assert.Equal(39.911954, p.Y, 1e-8);
    }

    [Fact]
    public async Task Ingest_ZippedFileGeodatabase_Accepted()
    {
        var gdb = _dir.File("field.gdb");
        WritePoints("OpenFileGDB", gdb);
        var zip = _dir.File("field.gdb.zip");
        ZipFile.CreateFromDirectory(gdb, zip, CompressionLevel.Fastest, includeBaseDirectory: true);

        var result = await new SurveyIngestor(_store).IngestAsync(new IngestRequest(zip, LayerKind.HazardPoints, "field", "gdb-points"));

        Assert.True(result.Accepted, string.Join("; ", result.Report.Findings.Select(f => f.Message)));
        Assert.Equal(2, (await _store.QueryFeaturesAsync("field", "gdb-points", null, 10)).Count);
    }
}
