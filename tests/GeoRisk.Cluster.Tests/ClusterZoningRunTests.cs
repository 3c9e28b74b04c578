using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Samples;
using GeoRisk.Services;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;
using GeoRisk.Zoning;
using NetTopologySuite.Geometries;
using Orleans.TestingHost;

namespace GeoRisk.Cluster.Tests;

/// <summary>
/// A zoning run with a block size whose grade steps run on three in-process silos (state in a real PostgreSQL) streams like the
/// run in one process and equals it and the whole-grid run: the whole record (breaks, grades, census, exposure, validation, cells
/// hash), every zone's polygon and attributes, every published raster cell for cell. An incremental run with a block size streams
/// too (the previous run's factor classes read by windows) and equals the full run (docs/SCALE.md).
/// </summary>
public sealed class ClusterZoningRunTests : IAsyncLifetime
{
    private readonly TempDirectory _rasters = new("georisk-cluster-zoning");
    private readonly TempDirectory _store = new("georisk-cluster-store");
    private readonly SampleSetFixture _samples = new();
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessClusterTests.StartThreeSilosAsync(_rasters.Path);

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        _samples.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _store.Dispose();
        _rasters.Dispose();
    }

    [Fact]
    public async Task ZoningRun_SampleSet_StreamedOnThreeSilos_EqualsInProcessStreamedAndWholeGridRuns()
    {
        await using var store = await LoadedStoreAsync();
        var model = Model(250);
        var request = new ZoningRunRequest { Force = true, FullRecompute = true, BlockSize = 96 };

        var whole = await new ZoningRunService(store).RunAsync(model, request with { BlockSize = null });
        var here = await new ZoningRunService(store).RunAsync(model, request);
        var blockSteps = new List<BlockStepProgress>();
        var clustered = await new ZoningRunService(store, Runner()).RunAsync(model, request, Recording(blockSteps));

        // The cluster run streamed: it timed the streamed run's stages ("factors" for mask and factors together).
        Assert.Contains("factors", clustered.Record.Timings.Keys);
        Assert.Contains("factors", here.Record.Timings.Keys);
        Assert.NotEmpty(whole.Record.Products[0].Exposure);
        await AssertSameRunAsync(store, here, clustered);
        await AssertSameRunAsync(store, whole, clustered);
        // The progress showed the cluster's block steps, and more than one silo computed them.
        Assert.NotEmpty(blockSteps);
        var last = blockSteps[^1];
        Assert.Equal(last.Total, last.Done);
        Assert.True(blockSteps.SelectMany(b => b.PerWorker.Keys).Distinct().Count() >= 2, "the block steps ran on one silo only");
        // The run's block storage was in the shared raster folder and went with the run; so did the cluster runs' folders.
        Assert.False(Directory.Exists(Path.Combine(_rasters.Path, "zoning-blocks")) && Directory.EnumerateFileSystemEntries(Path.Combine(_rasters.Path, "zoning-blocks")).Any(),
            "the run's block rasters were left in the raster folder");
        Assert.False(Directory.Exists(Path.Combine(_rasters.Path, "cluster-runs")) && Directory.EnumerateFileSystemEntries(Path.Combine(_rasters.Path, "cluster-runs")).Any(),
            "the cluster runs' folders were left in the raster folder");
    }

    [Fact]
    public async Task ZoningRun_IncrementalOnThreeSilos_Streamed_EqualsFullRun()
    {
        await using var store = await LoadedStoreAsync();
        var model = Model(500);
        await new ZoningRunService(store).RunAsync(model);
        // A newer 1:10000 hazard-zone survey over part of Bole: only the susceptibility factor's cells there change.
        var survey = new SurveyInfo("bole-10k-2025", "Bole key area 1:10000 update", 10000, SurveyType.FineSurvey, "test", new DateOnly(2025, 5, 1), true, new DateOnly(2025, 6, 1));
        await store.UpsertSurveyAsync(survey, new GeometryFactory().ToGeometry(new Envelope(82.0, 82.06, 44.86, 44.95)));
        var file = Path.Combine(_store.Path, "update.geojson");
        await File.WriteAllTextAsync(file, """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"yfxdj":4},"geometry":{"type":"Polygon","coordinates":[[[82.0,44.86],[82.06,44.86],[82.06,44.95],[82.0,44.95],[82.0,44.86]]]}}
            ]}
            """);
        Assert.True((await new SurveyIngestor(store).IngestAsync(new IngestRequest(file, LayerKind.HazardZones, survey.Id, "hazard-zones"))).Accepted);

        // Incremental and streamed: the previous run's factor classes read by windows, each block's dirty cells recomputed, the grade
        // jobs on the silos over the index blocks.
        var blockSteps = new List<BlockStepProgress>();
        var incremental = await new ZoningRunService(store, Runner()).RunAsync(model, new ZoningRunRequest { BlockSize = 96 }, Recording(blockSteps));
        var full = await new ZoningRunService(store).RunAsync(model, new ZoningRunRequest { Force = true, FullRecompute = true });

        Assert.True(incremental.Record.Incremental.Incremental);
        Assert.Contains("factors", incremental.Record.Timings.Keys);
        Assert.NotEmpty(blockSteps);
        await AssertSameRunAsync(store, full, incremental);
    }

    private async Task<GeoPackageStore> LoadedStoreAsync()
    {
        var store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _store.Path });
        await store.InitializeAsync();
        await new SampleSetLoader(store).LoadAsync(_samples.Path);
        return store;
    }

    private static RiskModel Model(double cellSize)
    {
        var model = RiskModel.Parse(File.ReadAllText(Path.Combine(RepoPaths.Surveys, "models", "bortala-default.json")));
        return model.WithGrid(model.Grid with { CellSize = cellSize });
    }

    private ClusterBlockGradeRunner Runner() => new(_cluster.Client, _rasters.Path, parallelism: 6, TimeSpan.FromMinutes(10));

    /// <summary>Collects the block steps the run reports.</summary>
    private static Core.SyncProgress<ZoningProgress> Recording(List<BlockStepProgress> blockSteps) => new(p =>
    {
        if (p.Blocks is { } b)
        {
            lock (blockSteps)
            {
                blockSteps.Add(b);
            }
        }
    });

    /// <summary>
    /// The same record but the stage timings and the recompute counts (an incremental run against a full one), the same zones and
    /// the same published rasters cell for cell.
    /// </summary>
    private static async Task AssertSameRunAsync(IGeoRiskStore store, ZoningRunOutcome expected, ZoningRunOutcome actual)
    {
        var (a, b) = (expected.Record, actual.Record);
        Assert.Equal(
            (a with { Timings = new Dictionary<string, double>(), Incremental = b.Incremental }).ToJson(),
            (b with { Timings = new Dictionary<string, double>() }).ToJson());
        Assert.Equal(expected.Run.ZoneCount, actual.Run.ZoneCount);
        foreach (var p in a.Products)
        {
            await AssertSameZonesAsync(store, expected.Run.Id, actual.Run.Id, p.Product);
        }

        Assert.Equal(expected.Run.Rasters.Keys.Order(), actual.Run.Rasters.Keys.Order());
        foreach (var (name, path) in expected.Run.Rasters)
        {
            using var ra = Gdal.RasterDataset.Open(path);
            using var rb = Gdal.RasterDataset.Open(actual.Run.Rasters[name]);
            Assert.Equal((ra.Width, ra.Height, ra.GetNoData(1), ra.GetDataType(1)), (rb.Width, rb.Height, rb.GetNoData(1), rb.GetDataType(1)));
            var (ca, cb) = (new float[ra.Width * ra.Height], new float[rb.Width * rb.Height]);
            ra.Read(1, 0, 0, ra.Width, ra.Height, ca.AsSpan());
            rb.Read(1, 0, 0, rb.Width, rb.Height, cb.AsSpan());
            Assert.True(ca.AsSpan().SequenceEqual(cb), name);
        }
    }

    private static async Task AssertSameZonesAsync(IGeoRiskStore store, int runA, int runB, ZoningProduct product)
    {
        var za = await store.QueryZonesAsync(runA, null, 1_000_000, product: product);
        var zb = await store.QueryZonesAsync(runB, null, 1_000_000, product: product);
        Assert.Equal(za.Count, zb.Count);
        Assert.NotEmpty(za);
        for (var z = 0; z < za.Count; z++)
        {
            Assert.True(za[z].Geometry.EqualsExact(zb[z].Geometry), $"{product} zone {z}");
            Assert.Equal(za[z].Attributes.Where(kv => kv.Key != "run").OrderBy(kv => kv.Key), zb[z].Attributes.Where(kv => kv.Key != "run").OrderBy(kv => kv.Key));
        }
    }
}
