using System.Diagnostics;
using System.Text;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Surveys;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Gdal.Tests;

/// <summary>Hostile and faulty files of the docs/SECURITY.md matrix that reach the parsers: each is refused or defused, nothing is stored, the process survives.</summary>
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
        var path = _dir.File("xxe.kml");
        await File.WriteAllTextAsync(path, """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&xxe;</name>
            <ExtendedData><Data name="grade"><value>2</value></Data></ExtendedData>
            <Polygon><outerBoundaryIs><LinearRing><coordinates>82,44.9 82.1,44.9 82.1,45 82,44.9</coordinates></LinearRing></outerBoundaryIs></Polygon>
            </Placemark></Document></kml>
            """);
        var result = await Ingest(path, crs: "EPSG:4326");
        if (result.Accepted)
        {
            var stored = await _store.QueryFeaturesAsync("s1", "zones", null, 10);
            Assert.DoesNotContain(stored.SelectMany(f => f.Attributes.Values), v => v?.ToString()?.Contains("root:", StringComparison.Ordinal) == true);
        }

        Assert.DoesNotContain(result.Report.Findings, f => f.Message.Contains("root:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kml_EntityExpansionBomb_RejectedOrBounded()
    {
        var sb = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE kml [\n<!ENTITY a0 \"aaaaaaaaaa\">\n");
        for (var i = 1; i <= 9; i++)
        {
            sb.Append($"<!ENTITY a{i} \"{string.Concat(Enumerable.Repeat($"&a{i - 1};", 10))}\">\n");
        }

        sb.Append("]>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><Placemark><name>&a9;</name>" +
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>82,44.9 82.1,44.9 82.1,45 82,44.9</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>");
        var path = _dir.File("bomb.kml");
        await File.WriteAllTextAsync(path, sb.ToString());
        var before = Process.GetCurrentProcess().PeakWorkingSet64;
        var result = await Ingest(path, crs: "EPSG:4326");
        Assert.False(result.Accepted); // no grade: a hazard-zones layer without its required field
        // 10^10 characters would need tens of GB; expat refuses the expansion, so memory stays flat.
        Assert.True(Process.GetCurrentProcess().PeakWorkingSet64 - before < 2L * 1024 * 1024 * 1024);
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
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", path, ddl]) { RedirectStandardError = true };
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
}
