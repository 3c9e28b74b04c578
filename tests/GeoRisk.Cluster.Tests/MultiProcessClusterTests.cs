using System.Diagnostics;
using GeoRisk.Services;
using GeoRisk.Tests.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace GeoRisk.Cluster.Tests;

/// <summary>
/// Three <c>georisk worker</c> processes on loopback with membership and run state in a real PostgreSQL, and a client connected to
/// them; shared by the tests of <see cref="MultiProcessClusterTests"/> so the cluster starts once. Tests kill workers and start
/// replacements (<see cref="StartWorkerAsync"/>); <see cref="EnsureWorkersAsync"/> tops the cluster up at a test's start.
/// </summary>
public sealed class WorkerProcesses : IAsyncLifetime
{
    private readonly TempDirectory _rasters = new("georisk-cluster-mp");
    private readonly List<Worker> _workers = [];
    private readonly Lock _gate = new();
    private string _postgres = "";
    private IHost _client = null!;
    private int _nextWorker;

    public sealed record Worker(string Name, Process Process, Task Ready)
    {
        public bool IsLive => Ready.IsCompletedSuccessfully && !Process.HasExited;
    }

    /// <summary>The shared raster folder (every worker's <c>--raster-dir</c>).</summary>
    public string RasterDirectory => _rasters.Path;

    public IClusterClient Grains => _client.Services.GetRequiredService<IClusterClient>();

    /// <summary>The cluster's PostgreSQL (membership and run state), as <c>--cluster</c> takes it.</summary>
    public string Postgres => _postgres;

    /// <summary>Workers that reported ready and have not exited.</summary>
    public IReadOnlyList<Worker> Live
    {
        get
        {
            lock (_gate)
            {
                return _workers.Where(w => w.IsLive).ToList();
            }
        }
    }

    public async Task InitializeAsync()
    {
        _postgres = PostgresCluster.CreateDatabase();
        await EnsureWorkersAsync(3);
        _client = await ClusterHosting.ConnectAsync(new ClusterClientOptions { Address = _postgres });
    }

    public async Task DisposeAsync()
    {
        await _client.StopAsync();
        _client.Dispose();
        lock (_gate)
        {
            foreach (var w in _workers)
            {
                Kill(w);
            }
        }

        _rasters.Dispose();
    }

    /// <summary>Starts workers until <paramref name="count"/> are live (an earlier test may have killed some).</summary>
    public async Task EnsureWorkersAsync(int count)
    {
        for (var live = Live.Count; live < count; live++)
        {
            await StartWorkerAsync();
        }
    }

    /// <summary>Starts a worker and waits until it reports ready.</summary>
    public async Task StartWorkerAsync()
    {
        string name;
        lock (_gate)
        {
            name = $"w{_nextWorker++}";
        }

        int siloPort = Ports.Free(), gatewayPort = Ports.Free();
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "georisk.dll"), "worker", "--postgres", _postgres, "--raster-dir", _rasters.Path,
            "--threads", "1", "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--name", name, "--failure-detection", "4", "--parent-pid", $"{Environment.ProcessId}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(psi)!;
        var ready = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith($"worker {name} ready", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith("error", StringComparison.Ordinal))
            {
                ready.TrySetException(new InvalidOperationException($"worker {name}: {line}"));
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_gate)
        {
            _workers.Add(new Worker(name, process, ready.Task));
        }

        var started = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(90)));
        if (started != ready.Task)
        {
            throw new TimeoutException($"worker {name} did not report ready within 90 s (exited: {process.HasExited}).");
        }

        await ready.Task;
    }

    public static void Kill(Worker w)
    {
        if (!w.Process.HasExited)
        {
            w.Process.Kill(); // SIGKILL: no shutdown, no goodbye to the cluster
            w.Process.WaitForExit(10_000);
        }
    }
}

/// <summary>
/// A real cluster (<see cref="WorkerProcesses"/>): runs equal the one-process result while workers are SIGKILLed at random
/// moments and replaced — five <c>raster zones</c> grade jobs with a worker killed in each, then one with the coordinator's own
/// worker killed (the run resumes elsewhere from its persisted state), and a streamed zoning run of the sample set with a worker
/// killed during each product's grade job and the coordinator's worker during the last.
/// </summary>
public sealed class MultiProcessClusterTests(WorkerProcesses cluster, ITestOutputHelper output) : IClassFixture<WorkerProcesses>
{
    /// <summary>The run's progress once at least <paramref name="share"/> of its block steps are done (or it ended).</summary>
    private static async Task<RunProgress> ProgressWhenAsync(IRunCoordinatorGrain coordinator, double share, string what)
    {
        RunProgress seen = null!;
        await Inputs.WaitUntilAsync(async () =>
        {
            try
            {
                seen = await coordinator.GetProgressAsync();
            }
            catch (Exception ex) when (ex is Orleans.Runtime.OrleansException or TimeoutException)
            {
                // The client may still try a gateway killed in an earlier round until membership drops it: ask again,
                // as ClusterRuns does (the wait bounds it).
                return false;
            }

            return seen.Status is RunStatus.Finished or RunStatus.Failed || (seen.BlocksTotal > 0 && seen.BlocksDone >= share * seen.BlocksTotal);
        }, TimeSpan.FromMinutes(3), what);
        return seen;
    }

    [Fact]
    public async Task ThreeWorkerProcesses_WorkersAndCoordinatorKilled_EveryRunEqualsWholeGridRun()
    {
        await cluster.EnsureWorkersAsync(3);
        var (job, index, grid) = Inputs.Write(cluster.RasterDirectory, 640, 480, seed: 11, blockSize: 64);
        var grains = cluster.Grains;
        var random = new Random(19);

        // Five runs, each with one worker SIGKILLed at a random moment and a new worker started in its place.
        for (var run = 0; run < 5; run++)
        {
            var at = random.Next(5, 60) / 100.0;
            // A worker that is not the coordinator's (that case comes last).
            var (progress, _, _) = await RunWithKillAsync($"kill-{run}", job, at,
                seen => cluster.Live.Where(w => w.Name != seen.CoordinatorSilo).OrderBy(_ => random.Next()).First());
            output.WriteLine($"kill-{run}: {progress.BlocksRetried} block steps retried; per worker {string.Join(", ", progress.BlocksPerSilo.Select(kv => $"{kv.Key} {kv.Value}"))}");
            Inputs.AssertEqualsWholeGrid(cluster.RasterDirectory, progress, job, index, grid);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(cluster.RasterDirectory, progress.Folder), "*.tmp*", SearchOption.AllDirectories));
            await cluster.StartWorkerAsync();
        }

        // The coordinator's own worker killed: the next progress call activates the coordinator on another
        // worker, which reads its state from PostgreSQL and resumes without redoing finished blocks.
        {
            var (progress, seen, host) = await RunWithKillAsync("kill-coordinator", job, 0.4, seen => cluster.Live.Single(w => w.Name == seen.CoordinatorSilo));
            Assert.True(progress.Resumes >= 1, "the coordinator did not resume from its persisted state");
            Assert.NotEqual(host.Name, progress.CoordinatorSilo);
            output.WriteLine($"resumed on {progress.CoordinatorSilo}; {progress.BlocksRetried} retried; per worker {string.Join(", ", progress.BlocksPerSilo.Select(kv => $"{kv.Key} {kv.Value}"))}");
            // Blocks recorded as done before the kill were not computed again: all computations together are
            // fewer than every block plus those done before the kill (only the last ~0.5 s were unrecorded).
            var computed = progress.BlocksPerSilo.Values.Sum();
            Assert.InRange(computed, progress.BlocksTotal, progress.BlocksTotal + seen.BlocksDone - 1);
            Inputs.AssertEqualsWholeGrid(cluster.RasterDirectory, progress, job, index, grid);
        }
    }

    /// <summary>
    /// Runs <paramref name="job"/> as <paramref name="runId"/> and SIGKILLs the worker <paramref name="victim"/> picks once
    /// <paramref name="share"/> of its block steps are done. The kill must land while the run is provably unfinished: when the
    /// progress poll came too late (the client can be held up by a gateway killed in an earlier round), that run still has to
    /// finish, and the round is tried again under a new id, at most three times.
    /// </summary>
    private async Task<(RunProgress Progress, RunProgress Seen, WorkerProcesses.Worker Victim)> RunWithKillAsync(
        string runId, Raster.Blocks.GradeJob job, double share, Func<RunProgress, WorkerProcesses.Worker> victim)
    {
        for (var attempt = 0; ; attempt++)
        {
            var id = attempt == 0 ? runId : $"{runId}-again{attempt}";
            var running = ClusterRuns.RunAsync(cluster.Grains, id, new RunSpec { Job = job.ToBytes(), Parallelism = 6 }, TimeSpan.FromMinutes(5));
            var seen = await ProgressWhenAsync(cluster.Grains.GetGrain<IRunCoordinatorGrain>(id), share, $"{id} at {share:P0}");
            // A margin below the end: the kill itself takes a moment, and the run must still have block steps left when it lands.
            if (seen.Status == RunStatus.Running && seen.BlocksDone < 0.8 * seen.BlocksTotal)
            {
                var worker = victim(seen);
                WorkerProcesses.Kill(worker);
                output.WriteLine($"{id}: killed {worker.Name}{(worker.Name == seen.CoordinatorSilo ? " (the coordinator's)" : "")} at {seen.BlocksDone}/{seen.BlocksTotal} ({seen.Step})");
                return (await running, seen, worker);
            }

            output.WriteLine($"{id}: the progress poll came at {seen.BlocksDone}/{seen.BlocksTotal} ({seen.Status}), too late to kill in the middle; waiting for it to end");
            await running;
            Assert.True(attempt < 2, $"{runId}: three attempts in a row, the progress poll came too late to kill a worker in the middle of the run");
        }
    }

    [Fact]
    public async Task StreamedZoningRun_WorkerKilledInEachGradeJob_CoordinatorToo_EqualsInProcessStreamedRun()
    {
        await cluster.EnsureWorkersAsync(3);
        var watch = Stopwatch.StartNew();
        using var samples = new SampleSetFixture();
        using var storeFolder = new TempDirectory("georisk-cluster-mp-store");
        await using (var store = await ZoningRuns.LoadedStoreAsync(storeFolder.Path, samples.Path))
        {
            // 500 m cells in 64-cell blocks: 50 blocks, so every grade job has 250 block steps to be killed in, and the test stays short.
            var model = ZoningRuns.Model(500);
            var request = new ZoningRunRequest { Force = true, FullRecompute = true, BlockSize = 64 };
            output.WriteLine($"sample set loaded: {watch.Elapsed.TotalSeconds:F1} s");
            watch.Restart();
            var here = await new ZoningRunService(store).RunAsync(model, request);
            output.WriteLine($"in-process streamed run: {watch.Elapsed.TotalSeconds:F1} s");

            // The same streamed run with its grade jobs (one per product) on the worker processes, SIGKILLing one in each.
            var runner = new ClusterBlockGradeRunner(cluster.Grains, cluster.RasterDirectory, parallelism: 6, TimeSpan.FromMinutes(5));
            // Each cluster run's coordinator forgets its state once finished: its last progress is kept here.
            var finishedRuns = new System.Collections.Concurrent.ConcurrentDictionary<string, RunProgress>();
            runner.RunFinished += (runId, last) => finishedRuns[runId] = last;
            watch.Restart();
            using var finished = new CancellationTokenSource();
            var killing = KillDuringGradeJobsAsync(new Random(19), finished.Token);
            ZoningRunOutcome clustered;
            try
            {
                clustered = await new ZoningRunService(store, runner).RunAsync(model, request);
            }
            finally
            {
                await finished.CancelAsync();
            }

            var kills = await killing;
            output.WriteLine($"cluster run: {watch.Elapsed.TotalSeconds:F1} s, {clustered.Record.Products.Count} products");

            Assert.Contains("factors", clustered.Record.Timings.Keys); // streamed
            await ZoningRuns.AssertSameRunAsync(store, here, clustered);
            ZoningRuns.AssertNoScratchLeft(cluster.RasterDirectory);
            await ZoningRuns.AssertNothingHalfPublishedAsync(store, storeFolder.Path, here, clustered);

            // A worker was killed in the middle of every product's grade job, the coordinator's own in the last one: it finished
            // all the same, the last one after resuming elsewhere from its persisted state.
            Assert.Equal(clustered.Record.Products.Count, kills.Count);
            foreach (var kill in kills)
            {
                Assert.True(finishedRuns.TryGetValue(kill.RunId, out var progress), $"{kill.RunId}: not among the finished cluster runs");
                output.WriteLine($"{kill.RunId}: killed {kill.Worker}{(kill.Coordinator ? " (the coordinator's)" : "")} at {kill.Seen.BlocksDone}/{kill.Seen.BlocksTotal} " +
                    $"({kill.Seen.Step}); {progress.BlocksRetried} block steps retried, {progress.Resumes} resumes; per worker " +
                    string.Join(", ", progress.BlocksPerSilo.Select(kv => $"{kv.Key} {kv.Value}")));
                Assert.True(kill.Seen.Status == RunStatus.Running && kill.Seen.BlocksDone < kill.Seen.BlocksTotal, $"{kill.RunId}: the kill came after its block steps");
                Assert.Equal(RunStatus.Finished, progress.Status);
                Assert.True(progress.Resumes >= (kill.Coordinator ? 1 : 0), $"{kill.RunId}: the coordinator did not resume from its persisted state");
            }
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task RasterZonesCommand_OnTheWorkers_EqualsWholeGrid_LeavesNoRunFolderNorState()
    {
        await cluster.EnsureWorkersAsync(3);
        var (job, index, grid) = Inputs.Write(cluster.RasterDirectory, 320, 240, seed: 23, blockSize: 64);
        using var outputs = new TempDirectory("georisk-cluster-cli");
        var gradePath = Path.Combine(outputs.Path, "grade.tif");
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "georisk.dll"), "raster", "zones",
            Path.Combine(cluster.RasterDirectory, job.Index), gradePath, Path.Combine(outputs.Path, "zones.gpkg"), "--sample", $"{job.SampleSize}",
            "--min-cells", $"{job.MinimumCells}", "--block-size", $"{job.BlockSize}", "--threads", "6", "--cluster", cluster.Postgres,
            "--raster-dir", cluster.RasterDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(process.ExitCode == 0, $"georisk raster zones --cluster exited {process.ExitCode}: {await stderr}");

        // The grade the command wrote and its zone count are the whole-grid run's.
        var (whole, grade) = Raster.Blocks.GradePipeline.RunWholeGrid(job, index, grid);
        Inputs.AssertGradeEquals(gradePath, grade, grid);

        Assert.Contains($"{whole.Zones.Count} zones in ", await stdout, StringComparison.Ordinal);

        // Its block files and outputs went with it, and so did its coordinator's persisted state: asked now, the coordinator knows
        // no run (a finished one it still remembered would report Finished).
        var runId = ClusterRuns.RunIdOf(job, "zones");
        Assert.False(Directory.Exists(Path.Combine(cluster.RasterDirectory, "cluster-runs", runId)), "the run's folder was left in the shared raster folder");
        Assert.Equal(RunStatus.Pending, (await cluster.Grains.GetGrain<IRunCoordinatorGrain>(runId).GetProgressAsync()).Status);
    }

    private sealed record Kill(string RunId, string Worker, bool Coordinator, RunProgress Seen);

    /// <summary>
    /// Watches the shared raster folder for a zoning run's grade jobs (each one's folder is <c>cluster-runs/streamed-*</c> while it
    /// runs) and in each, once a random share of its block steps is done, SIGKILLs a worker and starts a replacement: one that does
    /// not host the job's coordinator in the first two jobs, the coordinator's own in the third. Stops when
    /// <paramref name="finished"/> is cancelled.
    /// </summary>
    private async Task<List<Kill>> KillDuringGradeJobsAsync(Random random, CancellationToken finished)
    {
        var kills = new List<Kill>();
        var replacements = new List<Task>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        var runs = Path.Combine(cluster.RasterDirectory, "cluster-runs");
        try
        {
            while (kills.Count < 3)
            {
                string? runId = null;
                while (runId is null)
                {
                    await Task.Delay(50, finished);
                    runId = (Directory.Exists(runs) ? Directory.GetDirectories(runs, "streamed-*") : []).Select(Path.GetFileName).FirstOrDefault(id => known.Add(id!));
                }

                var share = random.Next(10, 60) / 100.0;
                var seen = await ProgressWhenAsync(cluster.Grains.GetGrain<IRunCoordinatorGrain>(runId), share, $"grade job {runId} at {share:P0}");
                var toCoordinator = kills.Count == 2;
                var candidates = cluster.Live.Where(w => (w.Name == seen.CoordinatorSilo) == toCoordinator).ToList();
                if (candidates.Count == 0)
                {
                    await Task.WhenAll(replacements);
                    candidates = cluster.Live.Where(w => (w.Name == seen.CoordinatorSilo) == toCoordinator).ToList();
                }

                var victim = candidates[random.Next(candidates.Count)];
                WorkerProcesses.Kill(victim);
                kills.Add(new Kill(runId, victim.Name, toCoordinator, seen));
                replacements.Add(cluster.StartWorkerAsync());
            }
        }
        catch (OperationCanceledException) when (finished.IsCancellationRequested)
        {
            // the zoning run ended: the test counts the kills made
        }

        await Task.WhenAll(replacements);
        return kills;
    }
}
