using GeoRisk.Core.Layers;
using GeoRisk.Core.Surveys;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Services;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;
using GeoRisk.Zoning;
using NetTopologySuite.Geometries;
using Orleans.TestingHost;

namespace GeoRisk.Cluster.Tests;

/// <summary>
/// A zoning run with a block size whose factor and combine passes and grade steps run on three in-process silos (state in a real PostgreSQL) streams like the
/// run in one process and equals it and the whole-grid run: the whole record (breaks, grades, census, exposure, validation, cells
/// hash), every zone's polygon and attributes, every published raster cell for cell. An incremental run with a block size streams
/// too (the previous run's factor classes read by windows) and equals the full run (docs/SCALE.md).
/// </summary>
public sealed class ClusterZoningRunTests : IAsyncLifetime
{
    private readonly TempDirectory _rasters = new("georisk-cluster-zoning");
    private readonly TempDirectory _store = new("georisk-cluster-store");
    private readonly SampleSetFixture _samples = new();
    private readonly string _postgres = PostgresCluster.CreateDatabase();
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessClusterTests.StartThreeSilosAsync(_rasters.Path, _postgres);

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
        var model = ZoningRuns.Model(250);
        var request = new ZoningRunRequest { Force = true, FullRecompute = true, BlockSize = 96 };

        var whole = await new ZoningRunService(store).RunAsync(model, request with { BlockSize = null });
        var here = await new ZoningRunService(store).RunAsync(model, request);
        var blockSteps = new List<BlockStepProgress>();
        var clustered = await new ZoningRunService(store, Runner()).RunAsync(model, request, ZoningRuns.Recording(blockSteps));

        // The cluster run streamed: it timed the streamed run's stages ("factors" for mask and factors together).
        Assert.Contains("factors", clustered.Record.Timings.Keys);
        Assert.Contains("factors", here.Record.Timings.Keys);
        Assert.NotEmpty(whole.Record.Products[0].Exposure);
        await ZoningRuns.AssertSameRunAsync(store, here, clustered);
        await ZoningRuns.AssertSameRunAsync(store, whole, clustered);
        // The progress showed the cluster's block steps, and more than one silo computed them.
        Assert.NotEmpty(blockSteps);
        var last = blockSteps[^1];
        Assert.Equal(last.Total, last.Done);
        Assert.True(blockSteps.SelectMany(b => b.PerWorker.Keys).Distinct().Count() >= 2, "the block steps ran on one silo only");
        // The factor, combine, risk and census passes ran on the silos too, not only the grade jobs.
        Assert.Contains(blockSteps, b => b.Step == ZoningBlockJob.FactorsStep);
        Assert.Contains(blockSteps, b => b.Step == ZoningBlockJob.CombineStep);
        Assert.Contains(blockSteps, b => b.Step == ZoningBlockJob.RiskStep);
        Assert.Contains(blockSteps, b => b.Step == ZoningBlockJob.CensusStep);
        // The run's block storage was in the shared raster folder and went with the run; so did the grade jobs' folders, and the
        // coordinators' persisted state of every pass and grade job.
        ZoningRuns.AssertNoScratchLeft(_rasters.Path);
        Assert.Equal(0L, await RunStatesLeftAsync());
        await ZoningRuns.AssertNothingHalfPublishedAsync(store, _store.Path, whole, here, clustered);
    }

    [Fact]
    public async Task ZoningRun_IncrementalOnThreeSilos_Streamed_EqualsFullRun()
    {
        await using var store = await LoadedStoreAsync();
        var model = ZoningRuns.Model(500);
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
        var incremental = await new ZoningRunService(store, Runner()).RunAsync(model, new ZoningRunRequest { BlockSize = 96 }, ZoningRuns.Recording(blockSteps));
        var full = await new ZoningRunService(store).RunAsync(model, new ZoningRunRequest { Force = true, FullRecompute = true });

        Assert.True(incremental.Record.Incremental.Incremental);
        Assert.Contains("factors", incremental.Record.Timings.Keys);
        Assert.NotEmpty(blockSteps);
        // The reused factors' previous classes are read in this process, so the factor pass stays here; the combine pass went to the silos.
        Assert.DoesNotContain(blockSteps, b => b.Step == ZoningBlockJob.FactorsStep);
        Assert.Contains(blockSteps, b => b.Step == ZoningBlockJob.CombineStep);
        await ZoningRuns.AssertSameRunAsync(store, full, incremental);
    }

    [Fact]
    public async Task ZoningRun_SiloKilledInTheFactorPass_EqualsInProcessStreamedRun()
    {
        await using var store = await LoadedStoreAsync();
        var model = ZoningRuns.Model(250);
        // 32-cell blocks: 800 blocks, so the factor pass lasts long enough to lose a silo in.
        var request = new ZoningRunRequest { Force = true, FullRecompute = true, BlockSize = 32 };
        var here = await new ZoningRunService(store).RunAsync(model, request);

        var killing = new KillingRunner(Runner(), _cluster, ZoningBlockJob.FactorsStep, atBlocks: 60);
        var clustered = await new ZoningRunService(store, killing).RunAsync(model, request);
        await killing.Kill!;

        Assert.NotNull(killing.Seen);
        Assert.True(killing.Seen.Done < killing.Seen.Total, "the silo was killed after the factor pass");
        Assert.Single(_cluster.SecondarySilos);
        await ZoningRuns.AssertSameRunAsync(store, here, clustered);
        ZoningRuns.AssertNoScratchLeft(_rasters.Path);
    }

    [Fact]
    public async Task ZoningRun_CancelledInTheFactorPass_SilosStop_NothingLeftOrPublished()
    {
        await using var store = await LoadedStoreAsync();
        var model = ZoningRuns.Model(250);
        var request = new ZoningRunRequest { Force = true, FullRecompute = true, BlockSize = 32 };
        var before = await new ZoningRunService(store).RunAsync(model, request with { BlockSize = null });

        // Cancelled as DELETE /api/v1/jobs/{id} does, once the factor pass (800 blocks) has done 60 on the silos.
        using var cancel = new CancellationTokenSource();
        string? pass = null;
        BlockStepProgress? seen = null;
        var progress = new Core.SyncProgress<ZoningProgress>(p =>
        {
            if (p.Blocks is { Step: ZoningBlockJob.FactorsStep, Done: >= 60 } blocks && seen is null)
            {
                seen = blocks;
                pass = Directory.GetDirectories(Path.Combine(_rasters.Path, "cluster-runs"), "pass-*").Select(Path.GetFileName).Single();
                cancel.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ZoningRunService(store, Runner()).RunAsync(model, request, progress, cancel.Token));

        // The pass stopped on the silos before the run gave up: no block handed out since, nothing written after the run's clean-up.
        Assert.NotNull(seen);
        var stopped = await _cluster.Client.GetGrain<IRunCoordinatorGrain>(pass!).GetProgressAsync();
        Assert.Equal(RunStatus.Cancelled, stopped.Status);
        Assert.InRange(stopped.BlocksDone, seen.Done, seen.Total - 1);
        await Task.Delay(TimeSpan.FromSeconds(2));
        ZoningRuns.AssertNoScratchLeft(_rasters.Path);
        Assert.Equal(stopped.BlocksDone, (await _cluster.Client.GetGrain<IRunCoordinatorGrain>(pass!).GetProgressAsync()).BlocksDone);
        await ZoningRuns.AssertNothingHalfPublishedAsync(store, _store.Path, before);
    }

    /// <summary>The cluster runner, killing a secondary silo once a pass has done a number of blocks.</summary>
    private sealed class KillingRunner(ClusterBlockGradeRunner inner, TestCluster cluster, string step, int atBlocks) : IBlockGradeRunner
    {
        public Task? Kill { get; private set; }

        public BlockStepProgress? Seen { get; private set; }

        public string? BlockFolder => inner.BlockFolder;

        public Raster.Blocks.GradeResult Run(
            Raster.Blocks.GradeJob job, Raster.Blocks.IBlockStorage storage, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken) =>
            inner.Run(job, storage, progress, cancellationToken);

        public IReadOnlyList<byte[]> RunBlocks(ZoningBlockJob job, Raster.Blocks.IBlockStorage storage, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken)
        {
            var watch = job.Step != step ? progress : new Core.SyncProgress<BlockStepProgress>(p =>
            {
                if (Kill is null && p.Done >= atBlocks)
                {
                    Seen = p;
                    Kill = cluster.KillSiloAsync(cluster.SecondarySilos[0]);
                }

                progress?.Report(p);
            });
            return inner.RunBlocks(job, storage, watch, cancellationToken);
        }
    }

    /// <summary>Rows of run coordinators' state in the cluster's PostgreSQL.</summary>
    private async Task<long> RunStatesLeftAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(_postgres);
        await connection.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM georisk_grain_state", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private Task<GeoPackageStore> LoadedStoreAsync() => ZoningRuns.LoadedStoreAsync(_store.Path, _samples.Path);

    private ClusterBlockGradeRunner Runner() => new(_cluster.Client, _rasters.Path, parallelism: 6, TimeSpan.FromMinutes(10));
}
