using GeoRisk.Gdal;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Tests.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace GeoRisk.Cluster.Tests;

/// <summary>
/// Three silos in this process (Orleans' TestingHost), run state in a real PostgreSQL through Orleans' ADO.NET
/// storage: a run partitioned over them equals the same job computed on whole grids in one process, also
/// when a silo is killed in the middle.
/// </summary>
public sealed class InProcessClusterTests : IAsyncLifetime
{
    private readonly TempDirectory _rasters = new("georisk-cluster");
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await StartThreeSilosAsync(_rasters.Path);

    /// <summary>Three in-process silos sharing <paramref name="rasterDirectory"/>, run state in a fresh PostgreSQL database.</summary>
    internal static Task<TestCluster> StartThreeSilosAsync(string rasterDirectory) => StartThreeSilosAsync(rasterDirectory, PostgresCluster.CreateDatabase());

    /// <summary>Three in-process silos sharing <paramref name="rasterDirectory"/>, run state in the PostgreSQL database <paramref name="postgres"/>.</summary>
    internal static async Task<TestCluster> StartThreeSilosAsync(string rasterDirectory, string postgres)
    {
        await ClusterSchema.EnsureAsync(postgres);
        var builder = new TestClusterBuilder(3);
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GeoRisk:RasterDirectory"] = rasterDirectory,
            ["GeoRisk:Postgres"] = postgres,
        }));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        _rasters.Dispose();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            var directory = silo.Configuration["GeoRisk:RasterDirectory"] ?? throw new InvalidOperationException("no raster folder configured");
            silo.Services.AddSingleton(new WorkerContext(directory, threads: 2));
            silo.AddAdoNetGrainStorage(ClusterHosting.StateStorage, o =>
            {
                o.Invariant = ClusterSchema.Invariant;
                o.ConnectionString = silo.Configuration["GeoRisk:Postgres"];
                o.DeleteStateOnClear = true; // as ClusterHosting configures it
            });
        }
    }

    [Fact]
    public async Task PartitionedRun_ThreeSilos_EqualsWholeGridRun()
    {
        var (job, index, grid) = Inputs.Write(_rasters.Path, 420, 310, seed: 5, blockSize: 48);
        var progress = await ClusterRuns.RunAsync(_cluster.Client, "three-silos", new RunSpec { Job = job.ToBytes(), Parallelism = 6 }, TimeSpan.FromMinutes(5));

        Inputs.AssertEqualsWholeGrid(_rasters.Path, progress, job, index, grid);
        Assert.True(progress.BlocksPerSilo.Count >= 2, $"blocks ran on {progress.BlocksPerSilo.Count} silo(s): work was not spread");
        Assert.Equal(progress.BlocksTotal, progress.BlocksDone);

        // The same job for a zoning run (RunSpec.SkipGradeCog): no grade COG, the same grade blocks, zones and summary.
        progress = await ClusterRuns.RunAsync(_cluster.Client, "three-silos-no-cog", new RunSpec { Job = job.ToBytes(), Parallelism = 6, SkipGradeCog = true },
            TimeSpan.FromMinutes(5));
        var folder = Path.Combine(_rasters.Path, progress.Folder);
        Assert.False(File.Exists(Path.Combine(folder, "grade.tif")), "a run that skips the grade COG exported it");
        var (whole, grade) = GradePipeline.RunWholeGrid(job, index, grid);
        var cells = new float[grid.Width * grid.Height];
        using (var blocks = new BlockFilesRaster(Path.Combine(folder, job.Grade)))
        {
            blocks.ReadWindow(0, 0, grid.Width, grid.Height, cells);
        }

        Assert.Equal(grade.Data, cells);
        var result = ClusterRuns.ReadResult(folder);
        Assert.Equal(whole.Breaks, result.Breaks);
        Assert.Equal(whole.CellsPerGrade.Skip(1), result.CellsPerGrade.Skip(1));
        Assert.Equal(whole.Zones.Count, result.Zones.Count);
        Assert.All(whole.Zones.Zip(result.Zones), z => Assert.True(z.First.Value == z.Second.Value && z.First.Polygon.EqualsExact(z.Second.Polygon)));
    }

    [Fact]
    public async Task PartitionedRun_SiloKilledMidRun_SameResult_LostBlocksRecomputed()
    {
        var (job, index, grid) = Inputs.Write(_rasters.Path, 520, 400, seed: 6, blockSize: 40);
        var spec = new RunSpec { Job = job.ToBytes(), Parallelism = 6 };
        var run = ClusterRuns.RunAsync(_cluster.Client, "kill-one", spec, TimeSpan.FromMinutes(5));
        // Kill a secondary silo (the primary holds the test cluster's membership) once blocks are being computed;
        // it may hold the coordinator, which then resumes from its state in PostgreSQL.
        var coordinator = _cluster.Client.GetGrain<IRunCoordinatorGrain>("kill-one");
        await Inputs.WaitUntilAsync(async () => (await coordinator.GetProgressAsync()).BlocksDone >= 10, TimeSpan.FromMinutes(2), "10 block steps done");
        await _cluster.KillSiloAsync(_cluster.SecondarySilos[0]);

        var progress = await run;
        Inputs.AssertEqualsWholeGrid(_rasters.Path, progress, job, index, grid);
    }

    [Fact]
    public async Task PartitionedRun_CancelledByItsClient_StopsOnTheSilos_StartedAgainRunsAnew()
    {
        var (job, index, grid) = Inputs.Write(_rasters.Path, 520, 400, seed: 7, blockSize: 40);
        var spec = new RunSpec { Job = job.ToBytes(), Parallelism = 6 };
        var coordinator = _cluster.Client.GetGrain<IRunCoordinatorGrain>("cancel-one");
        using var cancel = new CancellationTokenSource();
        var run = ClusterRuns.RunAsync(_cluster.Client, "cancel-one", spec, TimeSpan.FromMinutes(5), cancellationToken: cancel.Token);
        await Inputs.WaitUntilAsync(async () => (await coordinator.GetProgressAsync()).BlocksDone >= 10, TimeSpan.FromMinutes(2), "10 block steps done");
        await cancel.CancelAsync();

        // The client's wait ends only once the coordinator has stopped: cancelled, part of the blocks done, none handed out since.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var stopped = await coordinator.GetProgressAsync();
        Assert.Equal(RunStatus.Cancelled, stopped.Status);
        Assert.InRange(stopped.BlocksDone, 10, stopped.BlocksTotal - 1);
        var folder = Path.Combine(_rasters.Path, stopped.Folder);
        Directory.Delete(folder, recursive: true);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(Directory.Exists(folder), "a silo wrote into the cancelled run's folder after its client deleted it");
        Assert.Equal(stopped.BlocksDone, (await coordinator.GetProgressAsync()).BlocksDone);

        // The same run asked for again begins anew (a run id is its job's hash) and equals the whole-grid run.
        var progress = await ClusterRuns.RunAsync(_cluster.Client, "cancel-one", spec, TimeSpan.FromMinutes(5));
        Assert.Equal(progress.BlocksTotal, progress.BlocksDone);
        Inputs.AssertEqualsWholeGrid(_rasters.Path, progress, job, index, grid);
    }

    [Fact]
    public async Task PartitionedRun_ItsClientGivesUp_StopsOnTheSilos()
    {
        var (job, _, _) = Inputs.Write(_rasters.Path, 1000, 800, seed: 8, blockSize: 32);
        var spec = new RunSpec { Job = job.ToBytes(), Parallelism = 2 };
        var coordinator = _cluster.Client.GetGrain<IRunCoordinatorGrain>("give-up");

        // The client's time runs out mid-run: the run is cancelled on the silos before the call throws, so the caller may delete
        // its files.
        await Assert.ThrowsAsync<TimeoutException>(() => ClusterRuns.RunAsync(_cluster.Client, "give-up", spec, TimeSpan.FromSeconds(1.5)));
        var stopped = await coordinator.GetProgressAsync();
        Assert.Equal(RunStatus.Cancelled, stopped.Status);
        Assert.InRange(stopped.BlocksDone, 0, stopped.BlocksTotal - 1);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(stopped.BlocksDone, (await coordinator.GetProgressAsync()).BlocksDone);
    }

    [Fact]
    public async Task FinishedRun_ItsFolderGone_AskedForAgain_RunsAnew()
    {
        var (job, index, grid) = Inputs.Write(_rasters.Path, 200, 160, seed: 9, blockSize: 40);
        var spec = new RunSpec { Job = job.ToBytes(), Parallelism = 6 };
        var first = await ClusterRuns.RunAsync(_cluster.Client, "remembered", spec, TimeSpan.FromMinutes(5));

        // A client read the results and deleted the folder but could not make the coordinator forget the run: the same job asked
        // for again must not be answered "finished" with no outputs.
        Directory.Delete(Path.Combine(_rasters.Path, first.Folder), recursive: true);
        var again = await ClusterRuns.RunAsync(_cluster.Client, "remembered", spec, TimeSpan.FromMinutes(5));
        Inputs.AssertEqualsWholeGrid(_rasters.Path, again, job, index, grid);
    }
}

internal static class Inputs
{
    /// <summary>A smooth index raster with noise and nodata around it, in the raster folder as index-SEED.tif.</summary>
    public static (GradeJob Job, RasterBuffer<float> Index, GridSpec Grid) Write(string rasterDirectory, int w, int h, int seed, int blockSize)
    {
        var random = new Random(seed);
        var index = new RasterBuffer<float>(w, h);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var inside = Math.Pow((x - (w / 2.0)) / (w / 2.0), 2) + Math.Pow((y - (h / 2.0)) / (h / 2.0), 2) < 1;
                index[x, y] = inside ? (float)(Math.Sin(x * 0.07) + Math.Cos(y * 0.05) + (0.4 * Math.Sin((x + y) * 0.21)) + (0.3 * random.NextDouble())) : float.NaN;
            }
        }

        var grid = new GridSpec(w, h, new GeoTransform(500_000, 30, 4_980_000, -30), "");
        var name = $"index-{seed}.tif";
        using (var sink = new GdalRasterSink(Path.Combine(rasterDirectory, name), grid))
        {
            sink.WriteAll(index);
        }

        return (new GradeJob { Index = name, BlockSize = blockSize, MinimumCells = 16, SampleSize = 3000 }, index, grid);
    }

    public static void AssertEqualsWholeGrid(string rasterDirectory, RunProgress progress, GradeJob job, RasterBuffer<float> index, GridSpec grid)
    {
        Assert.Equal(RunStatus.Finished, progress.Status);
        var (whole, grade) = GradePipeline.RunWholeGrid(job, index, grid);
        var folder = Path.Combine(rasterDirectory, progress.Folder);
        AssertGradeEquals(Path.Combine(folder, "grade.tif"), grade, grid);

        var zones = ClusterRuns.ReadZones(Path.Combine(folder, "zones.bin"));
        Assert.Equal(whole.Zones.Count, zones.Count);
        for (var i = 0; i < zones.Count; i++)
        {
            Assert.True(whole.Zones[i].Value == zones[i].Value && whole.Zones[i].Polygon.EqualsExact(zones[i].Polygon), $"zone {i}");
        }

        var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json"))).RootElement;
        Assert.Equal(whole.Breaks, summary.GetProperty("breaks").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(whole.CellsPerGrade.Skip(1), summary.GetProperty("cellsPerGrade").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(whole.Histogram!.Cells, File.ReadAllLines(Path.Combine(folder, "histogram.txt")).Select(long.Parse));
    }

    /// <summary>The grade raster at <paramref name="path"/> (its nodata read as NaN) equals <paramref name="grade"/> cell for cell.</summary>
    public static void AssertGradeEquals(string path, RasterBuffer<float> grade, GridSpec grid)
    {
        using var ds = RasterDataset.Open(path);
        var cells = new float[grid.Width * grid.Height];
        ds.Read<float>(1, 0, 0, grid.Width, grid.Height, cells);
        var noData = (float)(ds.GetNoData(1) ?? double.NaN);
        for (var i = 0; i < cells.Length; i++)
        {
            var expected = grade.Data[i];
            var actual = cells[i] == noData ? float.NaN : cells[i];
            Assert.True(expected.Equals(actual), $"cell {i % grid.Width},{i / grid.Width}: cluster {actual}, one process {expected}");
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout} for: {what}.");
            }

            await Task.Delay(50);
        }
    }
}
