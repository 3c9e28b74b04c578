using GeoRisk.Core.Layers;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Storage.Tests;

/// <summary>The behaviour every store must have; run against the embedded GeoPackage store and against PostGIS.</summary>
public abstract class StoreContractTests : IAsyncLifetime, IDisposable
{
    private static readonly GeometryFactory s_factory = new();
    private readonly TempDirectory _dir = new("georisk-store-contract");

    protected IGeoRiskStore Store { get; private set; } = null!;

    protected string Directory => _dir.Path;

    protected abstract bool PostGis { get; }

    public async Task InitializeAsync()
    {
        Store = TestStores.Create(_dir.Path, PostGis).Store;
        await Store.InitializeAsync();
        await Store.UpsertSurveyAsync(new SurveyInfo("s1", "Survey 1", 50000, SurveyType.Susceptibility, "org", null, true, new DateOnly(2023, 1, 1)), null);
    }

    public Task DisposeAsync() => Store.DisposeAsync().AsTask();

    public void Dispose() => _dir.Dispose();

    protected static LayerPublication Publication(string name = "zones", LayerKind kind = LayerKind.HazardZones) =>
        new("s1", name, kind, "tester", "file.gpkg", new string('a', 64), "EPSG:4490", new FieldMapping(new Dictionary<string, string> { ["grade"] = "YFXDJ" }), new ValidationReport());

    protected static GeoFeature Zone(long id, double x, int grade, string name = "x") =>
        new(id, s_factory.CreatePolygon([new(x, 44), new(x + 0.1, 44), new(x + 0.1, 44.1), new(x, 44)]),
            new Dictionary<string, object?> { ["grade"] = (long)grade, ["grade_name"] = name, ["zone_id"] = null, ["note"] = "kept", ["area"] = 1.5 });

    /// <summary>Issue #16 defect 8: single-item lookups (OGC items/{id}) read the whole layer; now one indexed lookup per store.</summary>
    [Fact]
    public async Task GetFeature_ById_TheCurrentVersionsFeatureOrNull()
    {
        await Store.PublishVectorLayerAsync(Publication(), [Zone(10, 82, 3, "old")]);
        await Store.PublishVectorLayerAsync(Publication(), [Zone(10, 82, 2, "new"), Zone(11, 83, 1)]);
        var found = await Store.GetFeatureAsync("s1", "zones", 10);
        Assert.NotNull(found);
        Assert.Equal("new", found.Attributes["grade_name"]);
        Assert.Equal(2L, found.Attributes["grade"]);
        Assert.Null(await Store.GetFeatureAsync("s1", "zones", 12));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.GetFeatureAsync("s1", "nope", 10));
    }

    [Fact]
    public async Task Publish_ThenQuery_ReturnsFeaturesWithSchemaAndExtraAttributes()
    {
        var v = await Store.PublishVectorLayerAsync(Publication(), [Zone(10, 82, 3, "高"), Zone(11, 83, 1)]);

        Assert.Equal(1, v.Version);
        var features = await Store.QueryFeaturesAsync("s1", "zones", null, 100);
        Assert.Equal([10L, 11L], features.Select(f => f.Id));
        Assert.Equal(3L, features[0].Attributes["grade"]);
        Assert.Equal("高", features[0].Attributes["grade_name"]);
        Assert.Equal("kept", features[0].Attributes["note"]);
        Assert.Equal(1.5, features[0].Attributes["area"]);
        Assert.Null(features[0].Attributes["zone_id"]);
        Assert.True(features[0].Geometry.EqualsExact(Zone(10, 82, 3).Geometry));
    }

    [Fact]
    public async Task Query_Bbox_ExactAndPaged()
    {
        await Store.PublishVectorLayerAsync(Publication(), [Zone(1, 80, 1), Zone(2, 82, 2), Zone(3, 83.5, 3)]);
        var hits = await Store.QueryFeaturesAsync("s1", "zones", new Envelope(81.9, 82.05, 43.9, 44.05), 100);
        Assert.Equal(2L, Assert.Single(hits).Id);

        await Store.PublishVectorLayerAsync(Publication(), Enumerable.Range(0, 25).Select(i => Zone(i, 80 + (i * 0.1), 1)).ToList());
        var page = await Store.QueryFeaturesAsync("s1", "zones", null, 10, 20);
        Assert.Equal([20L, 21, 22, 23, 24], page.Select(f => f.Id));
    }

    [Fact]
    public async Task Publish_NewVersion_KeepsOldOne()
    {
        await Store.PublishVectorLayerAsync(Publication(), [Zone(1, 82, 1)]);
        await Store.PublishVectorLayerAsync(Publication(), [Zone(1, 82, 4), Zone(2, 83, 4)]);

        var layer = Assert.Single(await Store.ListLayersAsync());
        Assert.Equal((2, 2L), (layer.CurrentVersion, layer.FeatureCount));
        var versions = await Store.ListVersionsAsync("s1", "zones");
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.Equal("tester", versions[0].Uploader);
        Assert.Contains("YFXDJ", versions[0].FieldMappingJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_ConcurrentUploadsOfOneLayer_SerialisedAndBothKept()
    {
        await Store.PublishVectorLayerAsync(Publication(), [Zone(1, 82, 1)]);
        var uploads = Enumerable.Range(0, 4).Select(i => Task.Run(() => Store.PublishVectorLayerAsync(Publication(), Enumerable.Range(0, 200).Select(k => Zone(k, 80 + (k * 1e-3), (i % 4) + 1)).ToList())));
        var versions = await Task.WhenAll(uploads);
        Assert.Equal([2, 3, 4, 5], versions.Select(v => v.Version).Order());
        Assert.Equal(5, (await Store.ListVersionsAsync("s1", "zones")).Count);
        Assert.Equal(5, Assert.Single(await Store.ListLayersAsync()).CurrentVersion);
        Assert.Empty(await Store.CheckConsistencyAsync());
    }

    [Fact]
    public async Task Publish_CancelledMidway_PreviousVersionStaysCurrent()
    {
        await Store.PublishVectorLayerAsync(Publication(), [Zone(1, 82, 2)]);
        using var cts = new CancellationTokenSource();
        var features = Enumerable.Range(0, 5000).Select(i => Zone(i, 80 + (i * 1e-4), 3)).ToList();
        var list = new CancellingList(features, cancelOnPass: 2, atIndex: 2500, cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.PublishVectorLayerAsync(Publication(), list, cts.Token));
        Assert.True(list.Cancelled);
        var layer = Assert.Single(await Store.ListLayersAsync());
        Assert.Equal(1, layer.CurrentVersion);
        Assert.Equal(2L, (await Store.QueryFeaturesAsync("s1", "zones", null, 10)).Single().Attributes["grade"]);
        Assert.Single(await Store.ListVersionsAsync("s1", "zones"));
        Assert.Empty(await Store.CheckConsistencyAsync());
    }

    /// <summary>
    /// A failed publish is rolled back whole, the layer row it created included: after a cancelled first upload the name is
    /// free for any kind and the next upload is version 1 (a store keeping the partial write would refuse the other kind).
    /// </summary>
    [Fact]
    public async Task Publish_FirstUploadCancelledMidway_LeavesNoLayer()
    {
        using var cts = new CancellationTokenSource();
        var features = Enumerable.Range(0, 5000).Select(i => Zone(i, 80 + (i * 1e-4), 3)).ToList();
        var list = new CancellingList(features, cancelOnPass: 2, atIndex: 2500, cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.PublishVectorLayerAsync(Publication(), list, cts.Token));
        Assert.True(list.Cancelled);
        Assert.Empty(await Store.ListLayersAsync());
        Assert.Empty(await Store.ListVersionsAsync("s1", "zones"));
        var lakes = await Store.PublishVectorLayerAsync(Publication(kind: LayerKind.Lakes), [Zone(1, 82, 1)]);
        Assert.Equal(1, lakes.Version);
        Assert.Equal(LayerKind.Lakes, Assert.Single(await Store.ListLayersAsync()).Kind);
        Assert.Empty(await Store.CheckConsistencyAsync());
    }

    [Fact]
    public async Task Publish_UnknownSurvey_Throws()
    {
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.PublishVectorLayerAsync(Publication() with { SurveyId = "nope" }, [Zone(1, 82, 1)]));
        Assert.Empty(await Store.ListLayersAsync());
    }

    [Theory]
    [InlineData("zones\"; DROP TABLE georisk_layers; --")]
    [InlineData("zones'; DROP TABLE georisk_layers; --")]
    [InlineData("../../etc/passwd")]
    [InlineData("")]
    public async Task Publish_HostileLayerName_Refused(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PublishVectorLayerAsync(Publication(name), [Zone(1, 82, 1)]));
        Assert.Empty(await Store.ListLayersAsync());
    }

    [Fact]
    public async Task Publish_QuoteBearingNamesAndValues_StoredVerbatim()
    {
        var evil = "O'Brien\"; DROP TABLE georisk_surveys; --";
        var feature = new GeoFeature(1, Zone(1, 82, 1).Geometry, new Dictionary<string, object?>
        {
            ["grade"] = 1L, ["grade_name"] = evil, ["it's \"odd\"; DROP TABLE x; --"] = evil,
        });
        await Store.PublishVectorLayerAsync(Publication(), [feature]);
        var stored = (await Store.QueryFeaturesAsync("s1", "zones", null, 1)).Single();
        Assert.Equal(evil, stored.Attributes["grade_name"]);
        Assert.Equal(evil, stored.Attributes["it's \"odd\"; DROP TABLE x; --"]);
        Assert.Single(await Store.ListSurveysAsync());
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.QueryFeaturesAsync("s1", "zones' OR '1'='1", null, 10));
    }

    [Fact]
    public async Task Publish_KindChange_Refused()
    {
        await Store.PublishVectorLayerAsync(Publication(), [Zone(1, 82, 1)]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.PublishVectorLayerAsync(Publication(kind: LayerKind.Lakes), [Zone(1, 82, 1)]));
    }

    [Fact]
    public async Task Surveys_UpsertWithCoverage()
    {
        var coverage = s_factory.ToGeometry(new Envelope(81.9, 82.3, 44.8, 45.0));
        await Store.UpsertSurveyAsync(new SurveyInfo("s2", "Fine", 10000, SurveyType.FineSurvey, "org", new DateOnly(2024, 8, 31), true, new DateOnly(2024, 10, 20), "DZ/T 0448"), coverage);
        var s2 = (await Store.ListSurveysAsync()).Single(s => s.Id == "s2");
        Assert.Equal((10000, new DateOnly(2024, 10, 20), "DZ/T 0448"), (s2.ScaleDenominator, s2.AcceptedOn!.Value, s2.StandardReference));
        Assert.True(coverage.EqualsExact((await Store.GetSurveyCoverageAsync("s2"))!));
        Assert.Null(await Store.GetSurveyCoverageAsync("s1"));
    }

    [Fact]
    public async Task PublishRaster_MovesStagedFile()
    {
        var staged = Store.CreateStagingPath(".tif");
        await File.WriteAllBytesAsync(staged, [1, 2, 3]);
        var raster = new RasterDescription(2, 2, [80, 1, 0, 45, 0, -1], "wkt", "Byte", null);
        var v = await Store.PublishRasterLayerAsync(Publication("dem", LayerKind.Dem), raster, staged);

        var path = await Store.GetRasterPathAsync("s1", "dem");
        Assert.True(File.Exists(path));
        Assert.False(File.Exists(staged));
        Assert.Equal(1, v.Version);
        Assert.Empty(await Store.CheckConsistencyAsync());
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.QueryFeaturesAsync("s1", "dem", null, 10));
    }

    [Fact]
    public async Task ZoningRuns_PublishedAtomicallyListedAndQueried()
    {
        Assert.Null(await Store.GetZoningRunAsync());
        var staged = Store.CreateStagingPath(".tif");
        await File.WriteAllBytesAsync(staged, [9, 9]);
        // A class raster's category names are in GDAL's PAM sidecar (CogWriter): it moves with the COG and belongs to it.
        await File.WriteAllTextAsync(staged + RasterSidecars.Pam, "<PAMDataset/>");
        var zones = new[] { Zone(1, 82, 4), Zone(2, 83, 1) }.Select(z => new GeoFeature(z.Id, z.Geometry, new Dictionary<string, object?>
        {
            ["zone_id"] = z.Id, ["grade"] = (long)z.Id, ["grade_label"] = "x", ["grade_label_zh"] = "高", ["prevention"] = "key", ["area_km2"] = 1.25,
            ["hazard_points"] = 2L, ["threatened_people"] = 7L, ["surveys"] = "s1",
        })).ToList();
        var run = await Store.PublishZoningRunAsync(new ZoningRunPublication("key1", "model", "hash", "{\"a\":1}", new Dictionary<string, string> { ["grade"] = staged }), zones);
        Assert.Equal(1, run.Id);
        Assert.True(File.Exists(run.Rasters["grade"]));
        Assert.False(File.Exists(staged));
        Assert.Equal("<PAMDataset/>", await File.ReadAllTextAsync(run.Rasters["grade"] + RasterSidecars.Pam));
        Assert.False(File.Exists(staged + RasterSidecars.Pam));

        var current = await Store.GetZoningRunAsync();
        Assert.Equal((1, "key1", "{\"a\":1}", 2L), (current!.Id, current.RunKey, current.RecordJson, current.ZoneCount));
        var hits = await Store.QueryZonesAsync(1, new Envelope(81.9, 82.05, 43.9, 44.05), 10);
        var zone = Assert.Single(hits);
        Assert.Equal((1L, 1.25, 7L, "高"), ((long)zone.Attributes["grade"]!, (double)zone.Attributes["area_km2"]!, (long)zone.Attributes["threatened_people"]!, (string)zone.Attributes["grade_label_zh"]!));

        // A publish whose staged raster is missing stores nothing.
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.PublishZoningRunAsync(new ZoningRunPublication("key2", "model", "hash", "{}", new Dictionary<string, string> { ["grade"] = "/nonexistent.tif" }), zones));
        Assert.Single(await Store.ListZoningRunsAsync());
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.QueryZonesAsync(99, null, 10));
        Assert.Empty(await Store.CheckConsistencyAsync());
    }

    /// <summary>The current run is the latest published one; earlier runs stay listed and readable by id, and a failed publish changes neither.</summary>
    [Fact]
    public async Task ZoningRuns_SecondPublish_BecomesCurrent()
    {
        async Task<ZoningRunInfo> PublishRunAsync(string key)
        {
            var staged = Store.CreateStagingPath(".tif");
            await File.WriteAllBytesAsync(staged, [9]);
            return await Store.PublishZoningRunAsync(
                new ZoningRunPublication(key, "model", "hash", "{}", new Dictionary<string, string> { ["grade"] = staged }), [Zone(1, 82, 1)]);
        }

        var first = await PublishRunAsync("first");
        var second = await PublishRunAsync("second");
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.PublishZoningRunAsync(
            new ZoningRunPublication("failed", "model", "hash", "{}", new Dictionary<string, string> { ["grade"] = "/nonexistent.tif" }), [Zone(1, 82, 1)]));

        Assert.Equal((2, "second"), (second.Id, second.RunKey));
        var current = await Store.GetZoningRunAsync();
        Assert.Equal((second.Id, "second"), (current!.Id, current.RunKey));
        Assert.Equal(["first", "second"], (await Store.ListZoningRunsAsync()).Select(r => r.RunKey));
        Assert.Equal("first", (await Store.GetZoningRunAsync(first.Id))!.RunKey);
    }

    /// <summary>Issue #20: the version and the run a publish returns are the ones the catalog then lists (one row mapping, one timestamp).</summary>
    [Fact]
    public async Task Publish_ReturnedVersionAndRun_EqualWhatIsListed()
    {
        var published = await Store.PublishVectorLayerAsync(Publication(), [Zone(1, 82, 1), Zone(2, 83, 4)]);
        var listed = Assert.Single(await Store.ListVersionsAsync("s1", "zones"));
        Assert.Equal(
            (published.Version, published.CreatedAt, published.FeatureCount, published.Bounds, published.FieldMappingJson, published.ReportJson),
            (listed.Version, listed.CreatedAt, listed.FeatureCount, listed.Bounds, listed.FieldMappingJson, listed.ReportJson));
        var layer = Assert.Single(await Store.ListLayersAsync());
        Assert.Equal((published.CreatedAt, published.Bounds), (layer.UpdatedAt, layer.Bounds));

        var staged = Store.CreateStagingPath(".tif");
        await File.WriteAllBytesAsync(staged, [9]);
        var run = await Store.PublishZoningRunAsync(
            new ZoningRunPublication("key", "model", "hash", "{}", new Dictionary<string, string> { ["grade"] = staged }), [Zone(1, 82, 1)]);
        var current = await Store.GetZoningRunAsync();
        Assert.Equal((run.Id, run.CreatedAt, run.ZoneCount, run.Bounds), (current!.Id, current.CreatedAt, current.ZoneCount, current.Bounds));
        Assert.Equal(Path.GetFullPath(run.Rasters["grade"]), current.Rasters["grade"]);
    }

    /// <summary>The consistency check finds what is missing, not only that nothing is (both stores, one check).</summary>
    [Fact]
    public async Task CheckConsistency_MissingRasters_Reported()
    {
        var staged = Store.CreateStagingPath(".tif");
        await File.WriteAllBytesAsync(staged, [1, 2, 3]);
        await Store.PublishRasterLayerAsync(Publication("dem", LayerKind.Dem), new RasterDescription(2, 2, [80, 1, 0, 45, 0, -1], "wkt", "Byte", null), staged);
        var grade = Store.CreateStagingPath(".tif");
        await File.WriteAllBytesAsync(grade, [9]);
        var run = await Store.PublishZoningRunAsync(
            new ZoningRunPublication("key", "model", "hash", "{}", new Dictionary<string, string> { ["grade"] = grade }), [Zone(1, 82, 1)]);
        Assert.Empty(await Store.CheckConsistencyAsync());

        File.Delete(await Store.GetRasterPathAsync("s1", "dem"));
        File.Delete(run.Rasters["grade"]);
        var problems = await Store.CheckConsistencyAsync();

        Assert.Contains(problems, p => p.StartsWith("s1/dem v1: raster file ", StringComparison.Ordinal) && p.EndsWith(" is missing.", StringComparison.Ordinal));
        Assert.Contains($"Zoning run {run.Id}: raster grade is missing.", problems);
        Assert.Equal(2, problems.Count);
    }

    [Fact]
    public async Task Initialize_Twice_IsIdempotent()
    {
        await Store.PublishVectorLayerAsync(Publication(), [Zone(1, 82, 1)]);
        await Store.InitializeAsync();
        await Store.InitializeAsync();
        Assert.Single(await Store.ListLayersAsync());
        Assert.Empty(await Store.CheckConsistencyAsync());
    }
}

public sealed class GeoPackageStoreContractTests : StoreContractTests
{
    protected override bool PostGis => false;
}

public sealed class PostGisStoreContractTests : StoreContractTests
{
    protected override bool PostGis => true;
}
