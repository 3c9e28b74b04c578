using System.Diagnostics;
using System.Globalization;
using System.Text;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Surveys;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Gdal.Tests;

/// <summary>
/// Hostile and faulty files of the docs/SECURITY.md matrix that reach the parsers: each is refused or defused, nothing is
/// stored, the process survives. Not run in parallel with other classes: the entity bomb measures this process's peak
/// resident set, which other tests' allocations would raise.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class HostileInputTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("georisk-hostile");
    private GeoPackageStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _dir.File("store") });
        await _store.InitializeAsync();
        await _store.UpsertSurveyAsync(new SurveyInfo("s1", "Test survey", 10000, SurveyType.FineSurvey, "test", null, true, new DateOnly(2024, 1, 1)), null);
    }

    public Task DisposeAsync() => _store.DisposeAsync().AsTask();

    public void Dispose() => _dir.Dispose();

    private async Task<IngestResult> Ingest(string path, LayerKind kind = LayerKind.HazardZones, string? crs = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // a hang guard, not a speed target
        return await new SurveyIngestor(_store).IngestAsync(new IngestRequest(path, kind, "s1", "zones", crs), null, timeout.Token);
    }

    private async Task AssertNothingStored() => Assert.Empty(await _store.ListLayersAsync());

    [Fact]
    public async Task Kml_ExternalEntity_FileContentNeverRead()
    {
        // The canary file the entity points at: its text must reach neither the stored features nor the report.
        var secret = _dir.File("secret.txt");
        await File.WriteAllTextAsync(secret, "GEORISK-XXE-CANARY");
        var path = _dir.File("xxe.kml");
        await File.WriteAllTextAsync(path, $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE kml [<!ENTITY xxe SYSTEM "file://{secret}">]>
            <kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&xxe;</name>
            <ExtendedData><Data name="grade"><value>2</value></Data></ExtendedData>
            <Polygon><outerBoundaryIs><LinearRing><coordinates>82,44.9 82.1,44.9 82.1,45 82,44.9</coordinates></LinearRing></outerBoundaryIs></Polygon>
            </Placemark></Document></kml>
            """);
        var result = await Ingest(path, crs: "EPSG:4326");

        // Whatever the outcome: what was stored (nothing, when refused) and what was reported never hold the file's text.
        var stored = (await _store.ListLayersAsync()).Count == 0 ? [] : await _store.QueryFeaturesAsync("s1", "zones", null, 10);
        Assert.Equal(result.Accepted, stored.Count > 0);
        Assert.DoesNotContain(stored.SelectMany(f => f.Attributes.Values), v => v?.ToString()?.Contains("GEORISK-XXE-CANARY", StringComparison.Ordinal) == true);
        Assert.DoesNotContain(result.Report.Findings, f => f.Message.Contains("GEORISK-XXE-CANARY", StringComparison.Ordinal));
    }

    /// <summary>
    /// A billion-laughs KML (<paramref name="levels"/> entities, each ten of the one before; none when 0) whose placemark
    /// is otherwise a valid hazard zone, with its grade: a refusal of the bomb is for its entities, nothing else.
    /// </summary>
    private static string EntityBombKml(int levels)
    {
        var sb = new StringBuilder("<?xml version=\"1.0\"?>\n");
        if (levels > 0)
        {
            sb.Append("<!DOCTYPE kml [\n<!ENTITY a0 \"aaaaaaaaaa\">\n"); // the first declaration is on line 3
            for (var i = 1; i <= levels; i++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<!ENTITY a{i} \"{string.Concat(Enumerable.Repeat($"&a{i - 1};", 10))}\">\n");
            }

            sb.Append("]>\n");
        }

        sb.Append("<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><Placemark><name>")
            .Append(levels > 0 ? $"&a{levels};" : "plain name")
            .Append("</name><ExtendedData><Data name=\"grade\"><value>2</value></Data></ExtendedData>")
            .Append("<Polygon><outerBoundaryIs><LinearRing><coordinates>82,44.9 82.1,44.9 82.1,45 82,44.9</coordinates></LinearRing></outerBoundaryIs></Polygon>")
            .Append("</Placemark></Document></kml>");
        return sb.ToString();
    }

    [Fact]
    public async Task Kml_SamePlacemarkWithoutEntities_Accepted()
    {
        // The control for the bomb below: without its DTD the file is a valid layer.
        var path = _dir.File("plain.kml");
        await File.WriteAllTextAsync(path, EntityBombKml(levels: 0));
        var result = await Ingest(path, crs: "EPSG:4326");
        Assert.True(result.Accepted, string.Join("; ", result.Report.Findings.Select(f => f.Message)));
    }

    [Fact]
    public async Task Kml_EntityExpansionBomb_RejectedForTheBomb_PeakMemoryBounded()
    {
        var path = _dir.File("bomb.kml");
        await File.WriteAllTextAsync(path, EntityBombKml(levels: 9)); // 10^10 characters expanded: tens of GB
        var baseline = PeakResidentSet.Reset();
        var result = await Ingest(path, crs: "EPSG:4326");
        var peak = PeakResidentSet.Read();

        Assert.False(result.Accepted);
        // Refused where the entity declarations begin (line 3), before any expansion, not later for a missing field: the
        // same placemark without the DTD is accepted (above).
        var messages = string.Join("; ", result.Report.Findings.Select(f => $"{f.Code}: {f.Message}"));
        Assert.Equal("unreadable-file", result.RejectionCode);
        Assert.Contains(result.Report.Findings, f => f.Message.Contains("parsing aborted on line 3", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Report.Findings, f => f.Message.Contains("grade", StringComparison.OrdinalIgnoreCase));
        // The peak resident set of this process while it parsed, from a fresh mark: the expansion never happened in memory.
        Assert.True(peak - baseline < 256L * 1024 * 1024, $"peak resident set rose by {(peak - baseline) / (1024 * 1024)} MiB; {messages}");
        await AssertNothingStored();
    }

    [Fact]
    public async Task GeoJson_TenThousandDeepGeometryCollection_RejectedWithoutStackOverflow()
    {
        var depth = 10_000;
        var geometry = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            geometry.Append("{\"type\":\"GeometryCollection\",\"geometries\":[");
        }

        geometry.Append("{\"type\":\"Point\",\"coordinates\":[82,44.9]}");
        for (var i = 0; i < depth; i++)
        {
            geometry.Append("]}");
        }

        var path = _dir.File("deep.geojson");
        await File.WriteAllTextAsync(path, $$"""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"grade":1},"geometry":{{geometry}}}]}""");
        var result = await Ingest(path);
        Assert.False(result.Accepted);
        Assert.NotNull(result.RejectionCode);
        await AssertNothingStored();
    }

    [Fact]
    public async Task Polygon_TenMillionVertices_RejectedByTheVertexBudget()
    {
        const int N = 10_000_000;
        var path = _dir.File("huge.gpkg");
        using (var ds = VectorDataset.Create("GPKG", path))
        {
            using var crs = SpatialReference.FromEpsg(4490);
            var writer = ds.CreateLayer("zones", crs, VectorGeometryType.Polygon, [new VectorField("grade", VectorFieldType.Integer)]);
            var ring = new Coordinate[N + 1];
            for (var i = 0; i < N; i++)
            {
                var a = 2 * Math.PI * i / N;
                ring[i] = new Coordinate(82 + (0.1 * Math.Cos(a)), 44.9 + (0.1 * Math.Sin(a)));
            }

            ring[N] = ring[0];
            writer.BeginTransaction();
            writer.Add(new GeometryFactory().CreatePolygon(ring), [1L]);
            writer.CommitTransaction();
        }

        var result = await Ingest(path);
        Assert.False(result.Accepted);
        Assert.Contains(result.Report.Findings, f => f.Message.Contains("vert", StringComparison.OrdinalIgnoreCase));
        await AssertNothingStored();
    }

    [Theory]
    [InlineData("CREATE TRIGGER evil AFTER INSERT ON zones BEGIN DELETE FROM zones; END")]
    [InlineData("CREATE VIEW zones_view AS SELECT * FROM zones")]
    // Issue #16 defect 7: triggers named like the standard ones passed by name alone.
    [InlineData("CREATE TRIGGER rtree_zones_evil AFTER INSERT ON zones BEGIN DELETE FROM zones; END")]
    [InlineData("CREATE TRIGGER gpkg_evil AFTER INSERT ON zones BEGIN DELETE FROM zones; END")]
    [InlineData("DROP TRIGGER rtree_zones_geom_insert; CREATE TRIGGER rtree_zones_geom_insert AFTER INSERT ON zones BEGIN DELETE FROM zones; END")]
    [InlineData("DROP TRIGGER trigger_insert_feature_count_zones; CREATE TRIGGER trigger_insert_feature_count_zones AFTER INSERT ON zones BEGIN UPDATE gpkg_ogr_contents SET feature_count = 0; END")]
    public async Task GeoPackage_WithTriggerOrView_Rejected(string ddl)
    {
        var path = _dir.File("active.gpkg");
        using (var ds = VectorDataset.Create("GPKG", path))
        {
            using var crs = SpatialReference.FromEpsg(4490);
            var writer = ds.CreateLayer("zones", crs, VectorGeometryType.Polygon, [new VectorField("grade", VectorFieldType.Integer)]);
            writer.Add(new GeometryFactory().CreatePolygon([new(82, 44.9), new(82.1, 44.9), new(82.1, 45), new(82, 44.9)]), [2L]);
        }

        // Add the active content with SQLite itself (python3's sqlite3), as a hostile sender would.
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", path, ddl]) { RedirectStandardError = true };
        using (var p = Process.Start(psi)!)
        {
            var err = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, err);
        }

        var result = await Ingest(path);
        Assert.False(result.Accepted);
        Assert.Equal("gpkg-active-content", result.RejectionCode);
        await AssertNothingStored();
    }

    [Fact]
    public async Task GeoPackage_Plain_StillAccepted()
    {
        var path = _dir.File("plain.gpkg");
        using (var ds = VectorDataset.Create("GPKG", path))
        {
            using var crs = SpatialReference.FromEpsg(4490);
            var writer = ds.CreateLayer("zones", crs, VectorGeometryType.Polygon, [new VectorField("grade", VectorFieldType.Integer)]);
            writer.Add(new GeometryFactory().CreatePolygon([new(82, 44.9), new(82.1, 44.9), new(82.1, 45), new(82, 44.9)]), [2L]);
        }

        var result = await Ingest(path);
        Assert.True(result.Accepted, string.Join("; ", result.Report.Findings.Select(f => f.Message)));
    }

    /// <summary>
    /// Issue #16 defect 1 (SSRF): every file or name that would make a parser reach the network points at a
    /// local canary, which must see no connection at all. The GeoJSON "crs" link was fetched by GDAL's
    /// GeoJSON driver through OSR before the fetch callback refused every request.
    /// </summary>
    [Fact]
    public async Task Upload_EveryNetworkPath_CanaryReceivesNoRequest()
    {
        using var canary = new HttpCanary();
        var u = canary.Url;
        const string Polygon = """{"type":"Feature","properties":{"grade":2},"geometry":{"type":"Polygon","coordinates":[[[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]]]}}""";
        const string Placemark = "<Placemark><ExtendedData><Data name=\"grade\"><value>2</value></Data></ExtendedData><Polygon><outerBoundaryIs><LinearRing><coordinates>82,44.9 82.1,44.9 82.1,45 82,44.9</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>";
        var files = new (string Name, string Content, string? Crs)[]
        {
            ("crs-link.geojson", Collection("""{"type":"link","properties":{"href":"URL/crs.wkt","type":"ogcwkt"}}""".Replace("URL", u, StringComparison.Ordinal)), null),
            ("crs-name-url.geojson", Collection("""{"type":"name","properties":{"name":"URL/def/crs/EPSG/0/4326"}}""".Replace("URL", u, StringComparison.Ordinal)), null),
            ("crs-urn.geojson", Collection("""{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4326"}}"""), null),
            ("networklink.kml", $"""<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><NetworkLink><Link><href>{u}/more.kml</href></Link></NetworkLink>{Placemark}</Document></kml>""", "EPSG:4326"),
            ("style-url.kml", $"""<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><styleUrl>{u}/style.kml#s</styleUrl><Point><coordinates>82,44.9</coordinates></Point></Placemark></Document></kml>""", "EPSG:4326"),
            ("xlink-gml.kml", $"""<?xml version="1.0"?><gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml" xmlns:xlink="http://www.w3.org/1999/xlink"><gml:featureMember xlink:href="{u}/feature.gml#f1"/></gml:FeatureCollection>""", "EPSG:4326"),
            ("vrt-vsicurl.tif", $"""<VRTDataset rasterXSize="10" rasterYSize="10"><VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename>/vsicurl/{u}/x.tif</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>""", null),
            ("ogr-vrt-wfs.geojson", $"""<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>WFS:{u}/wfs</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>""", null),
            ("wms.tif", $"""<GDAL_WMS><Service name="WMS"><ServerUrl>{u}/wms?</ServerUrl><Layers>x</Layers></Service><DataWindow><UpperLeftX>-180</UpperLeftX><UpperLeftY>90</UpperLeftY><LowerRightX>180</LowerRightX><LowerRightY>-90</LowerRightY><SizeX>1000</SizeX><SizeY>500</SizeY></DataWindow></GDAL_WMS>""", null),
            ("declared-crs.geojson", Collection(null), $"{u}/crs.prj"),
        };
        static string Collection(string? crs) => """{"type":"FeatureCollection",""" + (crs is null ? "" : "\"crs\":" + crs + ",") + "\"features\":[" + Polygon + "]}";
        var outcomes = new List<string>();
        foreach (var (name, content, crs) in files)
        {
            var path = _dir.File(name);
            await File.WriteAllTextAsync(path, content);
            var kind = name.EndsWith(".tif", StringComparison.Ordinal) ? LayerKind.RasterFactor : LayerKind.HazardZones;
            var result = await Ingest(path, kind, crs);
            outcomes.Add($"{name}: {(result.Accepted ? "accepted " + result.Report.SourceCrs : result.RejectionCode)}");
            Assert.True(canary.Connections == 0, $"{name} reached the network: {string.Join(" | ", canary.Requests)}");
        }

        // Names that are not local files never reach GDAL at all.
        foreach (var name in new[] { $"/vsicurl/{u}/x.geojson", $"WFS:{u}/wfs", $"WMS:{u}/wms", $"{u}/x.geojson" })
        {
            var result = await Ingest(name);
            Assert.Equal("bad-path", result.RejectionCode);
        }

        Assert.True(canary.Connections == 0, string.Join(" | ", canary.Requests));
        // The GeoJSON crs link really was followed as far as GDAL's fetch, which refused it.
        Assert.True(GdalRuntime.RefusedNetworkRequests > 0, string.Join("; ", outcomes));
        // Nothing published claims a CRS fetched from the canary, and a crs link is refused, not defaulted.
        Assert.DoesNotContain(outcomes, o => o.Contains("127.0.0.1", StringComparison.Ordinal));
        Assert.Contains("crs-link.geojson: network-reference", outcomes);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial: measures the process";
}

/// <summary>
/// The peak resident set (VmHWM) of this process, which Linux resets to the current resident set when "5" is written to
/// /proc/self/clear_refs: unlike <see cref="Process.PeakWorkingSet64"/>, a peak measured from a fresh mark, so native
/// allocations (GDAL, expat) count and an earlier peak hides nothing.
/// </summary>
internal static class PeakResidentSet
{
    /// <returns>The resident set at the mark, in bytes.</returns>
    public static long Reset()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        File.WriteAllText("/proc/self/clear_refs", "5");
        return Read();
    }

    public static long Read()
    {
        var line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
