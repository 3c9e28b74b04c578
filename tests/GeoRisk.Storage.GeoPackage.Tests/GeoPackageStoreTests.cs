using GeoRisk.Core.Layers;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using GeoRisk.Gdal;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Storage.GeoPackage.Tests;

/// <summary>What only the embedded store does (the shared behaviour is in GeoRisk.Storage.Tests, run on both stores).</summary>
public sealed class GeoPackageStoreTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("georisk-store");
    private GeoPackageStore _store = null!;
    private static readonly GeometryFactory s_factory = new();

    public async Task InitializeAsync()
    {
        _store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _dir.Path });
        await _store.InitializeAsync();
        await _store.UpsertSurveyAsync(new SurveyInfo("s1", "Survey 1", 50000, SurveyType.Susceptibility, "org", null, true, new DateOnly(2023, 1, 1)), null);
    }

    public Task DisposeAsync() => _store.DisposeAsync().AsTask();

    public void Dispose() => _dir.Dispose();

    private static LayerPublication Publication(string name = "zones", LayerKind kind = LayerKind.HazardZones) =>
        new("s1", name, kind, "tester", "file.gpkg", new string('a', 64), "EPSG:4490", new FieldMapping(new Dictionary<string, string> { ["grade"] = "YFXDJ" }), new ValidationReport());

    private static GeoFeature Zone(long id, double x, int grade, string name = "x") =>
        new(id, s_factory.CreatePolygon([new(x, 44), new(x + 0.1, 44), new(x + 0.1, 44.1), new(x, 44)]),
            new Dictionary<string, object?> { ["grade"] = (long)grade, ["grade_name"] = name, ["zone_id"] = null, ["note"] = "kept" });

    [Fact]
    public async Task Publish_CancelledMidway_PreviousVersionStaysCurrentAndNoTableIsLeft()
    {
        await _store.PublishVectorLayerAsync(Publication(), [Zone(1, 82, 2)]);
        using var cts = new CancellationTokenSource();
        var features = Enumerable.Range(0, 5000).Select(i => Zone(i, 80 + (i * 1e-4), 3)).ToList();
        // The store reads the list once for its bounds, then again while inserting: cancel in the middle of that.
        var list = new CancellingList(features, cancelOnPass: 2, atIndex: 2500, cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.PublishVectorLayerAsync(Publication(), list, cts.Token));
        Assert.True(list.Cancelled);

        var layer = Assert.Single(await _store.ListLayersAsync());
        Assert.Equal(1, layer.CurrentVersion);
        Assert.Equal(2L, (await _store.QueryFeaturesAsync("s1", "zones", null, 10)).Single().Attributes["grade"]);
        using var gpkg = VectorDataset.OpenRead(Path.Combine(_dir.Path, "catalog.gpkg"), ["GPKG"]);
        Assert.DoesNotContain(gpkg.Layers, l => l.Name == "fv_1_2");
    }

    [Fact]
    public async Task Catalog_IsAGeoPackageThatGdalReads()
    {
        await _store.PublishVectorLayerAsync(Publication(), [Zone(1, 82, 3)]);
        using var gpkg = VectorDataset.OpenRead(Path.Combine(_dir.Path, "catalog.gpkg"), ["GPKG"]);
        var layer = gpkg.Layers.Single(l => l.Name == "fv_1_1");
        Assert.Equal(4490, layer.CrsEpsg);
        Assert.Equal(1, layer.FeatureCount);
        Assert.Equal(3L, gpkg.ReadFeatures(layer.Index).Single().Attributes["grade"]);
    }

    [Fact]
    public async Task PublishRaster_MovesStagedFileAndReinitialiseRemovesOrphans()
    {
        var staged = _store.CreateStagingPath(".tif");
        await File.WriteAllBytesAsync(staged, [1, 2, 3]);
        var raster = new RasterDescription(2, 2, [80, 1, 0, 45, 0, -1], "wkt", "Byte", null);
        var v = await _store.PublishRasterLayerAsync(Publication("dem", LayerKind.Dem), raster, staged);

        var path = await _store.GetRasterPathAsync("s1", "dem");
        Assert.True(File.Exists(path));
        Assert.False(File.Exists(staged));
        Assert.Equal(1, v.Version);

        // A raster file nobody references (a crash between move and commit) disappears at start-up,
        // and so does anything left in staging.
        var orphan = Path.Combine(_dir.Path, "rasters", "999", "v1.tif");
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllBytesAsync(orphan, [0]);
        var leftover = _store.CreateStagingPath(".tif");
        await File.WriteAllBytesAsync(leftover, [0]);
        await _store.InitializeAsync();

        Assert.False(File.Exists(orphan));
        Assert.False(File.Exists(leftover));
        Assert.True(File.Exists(path));
    }

    /// <summary>Issue #16 defect 8: a single feature is found through an index on source_fid (also for tables written before it existed).</summary>
    [Fact]
    public async Task GetFeature_UsesTheSourceIdIndex_AddedToOlderTablesAtStart()
    {
        await _store.PublishVectorLayerAsync(Publication(), [Zone(10, 82, 3), Zone(11, 83, 1)]);
        var catalog = Path.Combine(_dir.Path, "catalog.gpkg");
        string Plan()
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={catalog};Pooling=False");
            connection.Open();
            using var find = connection.CreateCommand();
            find.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'fv\\_%' ESCAPE '\\'";
            var table = (string)find.ExecuteScalar()!;
            using var plan = connection.CreateCommand();
            plan.CommandText = $"EXPLAIN QUERY PLAN SELECT * FROM \"{table}\" WHERE source_fid = 10";
            using var reader = plan.ExecuteReader();
            var details = new List<string>();
            while (reader.Read())
            {
                details.Add(reader.GetString(3));
            }

            return string.Join(" | ", details);
        }

        Assert.StartsWith("SEARCH", Plan(), StringComparison.Ordinal); // a full table walk is "SCAN"
        Assert.Contains("USING INDEX", Plan(), StringComparison.Ordinal);
        Assert.Equal(1L, (await _store.GetFeatureAsync("s1", "zones", 11))!.Attributes["grade"]);

        // A store written before the index: dropped here, recreated when the service starts.
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={catalog};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var drop = connection.CreateCommand();
            drop.CommandText = "SELECT 'DROP INDEX \"' || name || '\"' FROM sqlite_master WHERE type = 'index' AND name LIKE '%\\_source\\_fid' ESCAPE '\\'";
            var statement = (string)(await drop.ExecuteScalarAsync())!;
            drop.CommandText = statement;
            await drop.ExecuteNonQueryAsync();
        }

        Assert.StartsWith("SCAN", Plan(), StringComparison.Ordinal);
        await using (var restarted = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _dir.Path }))
        {
            await restarted.InitializeAsync();
        }

        Assert.Contains("USING INDEX", Plan(), StringComparison.Ordinal);
    }
}
