using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Samples;
using GeoRisk.Services;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;
using GeoRisk.Zoning;
using Orleans.TestingHost;

namespace GeoRisk.Cluster.Tests;

/// <summary>
/// A zoning run whose block steps run on three in-process silos (state in a real PostgreSQL) equals the same run in one
/// process: every product's breaks, grades, census and validation, every raster cell (the record's cells hash), every zone's
/// polygon and attributes (docs/SCALE.md).
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
    public async Task ZoningRun_SampleSet_SmallBlocksOnThreeSilos_EqualsInProcessRun()
    {
        await using var store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _store.Path });
        await store.InitializeAsync();
        await new SampleSetLoader(store).LoadAsync(_samples.Path);
        var model = RiskModel.Parse(File.ReadAllText(Path.Combine(RepoPaths.Surveys, "models", "bortala-default.json")));
        model = model.WithGrid(model.Grid with { CellSize = 250 });
        var request = new ZoningRunRequest { Force = true, FullRecompute = true, BlockSize = 96 };

        var here = await new ZoningRunService(store).RunAsync(model, request);
        var blockSteps = new List<BlockStepProgress>();
        var runner = new ClusterBlockGradeRunner(_cluster.Client, _rasters.Path, parallelism: 6, TimeSpan.FromMinutes(10));
        var clustered = await new ZoningRunService(store, runner).RunAsync(model, request,
            new Core.SyncProgress<ZoningProgress>(p =>
            {
                if (p.Blocks is { } b)
                {
                    lock (blockSteps)
                    {
                        blockSteps.Add(b);
                    }
                }
            }));

        Assert.Equal(here.Record.Products.Select(p => p.Product), clustered.Record.Products.Select(p => p.Product));
        foreach (var (a, b) in here.Record.Products.Zip(clustered.Record.Products))
        {
            Assert.Equal(a.Breaks, b.Breaks);
            Assert.Equal(a.Zones, b.Zones);
            Assert.Equal(Json(a.Grades), Json(b.Grades));
            Assert.Equal(Json(a.Census), Json(b.Census));
            Assert.Equal(Json(a.TownshipCensus), Json(b.TownshipCensus));
            Assert.Equal(Json(a.Exposure), Json(b.Exposure));
            Assert.Equal(Json(a.Validation), Json(b.Validation));
            await AssertSameZonesAsync(store, here.Run.Id, clustered.Run.Id, a.Product);
        }

        Assert.Equal(here.Record.CellsSha256, clustered.Record.CellsSha256);
        // The progress showed the cluster's block steps, and more than one silo computed them.
        Assert.NotEmpty(blockSteps);
        var last = blockSteps[^1];
        Assert.Equal(last.Total, last.Done);
        Assert.True(blockSteps.SelectMany(b => b.PerWorker.Keys).Distinct().Count() >= 2, "the block steps ran on one silo only");
        Assert.False(Directory.Exists(Path.Combine(_rasters.Path, "zoning-blocks")) && Directory.EnumerateFileSystemEntries(Path.Combine(_rasters.Path, "zoning-blocks")).Any(),
            "the indexes handed to the cluster were left in the raster folder");
    }

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value);

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
