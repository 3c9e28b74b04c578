using System.Diagnostics;
using GeoRisk.Tests.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace GeoRisk.Cluster.Tests;

/// <summary>
/// A real cluster: three <c>georisk worker</c> processes on loopback with membership and run state in a real
/// PostgreSQL. Runs equal the one-process whole-grid result while workers are SIGKILLed at random moments
/// (five runs, a worker killed in each and replaced), and when the coordinator's own worker is killed the run
/// resumes elsewhere from its persisted state.
/// </summary>
public sealed class MultiProcessClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory _rasters = new("georisk-cluster-mp");
    private readonly List<Worker> _workers = [];
    private string _postgres = "";
    private IHost _client = null!;
    private int _nextWorker;

    private sealed record Worker(string Name, Process Process, int SiloPort, int GatewayPort);

    public async Task InitializeAsync()
    {
        _postgres = PostgresCluster.CreateDatabase();
        for (var i = 0; i < 3; i++)
        {
            await StartWorkerAsync();
        }

        _client = await ClusterHosting.ConnectAsync(new ClusterClientOptions { Address = _postgres });
    }

    public async Task DisposeAsync()
    {
        await _client.StopAsync();
        _client.Dispose();
        foreach (var w in _workers)
        {
            Kill(w);
        }

        _rasters.Dispose();
    }

    private async Task StartWorkerAsync()
    {
        var name = $"w{_nextWorker++}";
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
        _workers.Add(new Worker(name, process, siloPort, gatewayPort));
        var started = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(90)));
        if (started != ready.Task)
        {
            throw new TimeoutException($"worker {name} did not report ready within 90 s (exited: {process.HasExited}).");
        }

        await ready.Task;
    }

    private static void Kill(Worker w)
    {
        if (!w.Process.HasExited)
        {
            w.Process.Kill(); // SIGKILL: no shutdown, no goodbye to the cluster
            w.Process.WaitForExit(10_000);
        }
    }

    /// <summary>The run's progress once at least <paramref name="share"/> of its block steps are done.</summary>
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

            return seen.BlocksTotal > 0 && seen.BlocksDone >= share * seen.BlocksTotal;
        }, TimeSpan.FromMinutes(3), what);
        return seen;
    }

    [Fact]
    public async Task ThreeWorkerProcesses_WorkersAndCoordinatorKilled_EveryRunEqualsWholeGridRun()
    {
        var (job, index, grid) = Inputs.Write(_rasters.Path, 640, 480, seed: 11, blockSize: 64);
        var grains = _client.Services.GetRequiredService<IClusterClient>();
        var random = new Random(19);

        // Five runs, each with one worker SIGKILLed at a random moment and a new worker started in its place.
        for (var run = 0; run < 5; run++)
        {
            var runId = $"kill-{run}";
            var spec = new RunSpec { Job = job.ToBytes(), Parallelism = 6 };
            var running = ClusterRuns.RunAsync(grains, runId, spec, TimeSpan.FromMinutes(5));
            var coordinator = grains.GetGrain<IRunCoordinatorGrain>(runId);
            var at = random.Next(5, 60) / 100.0;
            var seen = await ProgressWhenAsync(coordinator, at, $"run {run} at {at:P0}");
            // A worker that is not the coordinator's (that case comes last).
            var victim = _workers.Where(w => !w.Process.HasExited && w.Name != seen.CoordinatorSilo).OrderBy(_ => random.Next()).First();
            Kill(victim);
            output.WriteLine($"run {run}: killed {victim.Name} at {seen.BlocksDone}/{seen.BlocksTotal} ({seen.Step})");
            var progress = await running;
            output.WriteLine($"run {run}: {progress.BlocksRetried} block steps retried; per worker {string.Join(", ", progress.BlocksPerSilo.Select(kv => $"{kv.Key} {kv.Value}"))}");
            Inputs.AssertEqualsWholeGrid(_rasters.Path, progress, job, index, grid);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(_rasters.Path, progress.Folder), "*.tmp*", SearchOption.AllDirectories));
            await StartWorkerAsync();
        }

        // The coordinator's own worker killed: the next progress call activates the coordinator on another
        // worker, which reads its state from PostgreSQL and resumes without redoing finished blocks.
        {
            var runId = "kill-coordinator";
            var running = ClusterRuns.RunAsync(grains, runId, new RunSpec { Job = job.ToBytes(), Parallelism = 6 }, TimeSpan.FromMinutes(5));
            var coordinator = grains.GetGrain<IRunCoordinatorGrain>(runId);
            var seen = await ProgressWhenAsync(coordinator, 0.4, "coordinator run at 40 %");
            var host = _workers.Single(w => w.Name == seen.CoordinatorSilo);
            Kill(host);
            output.WriteLine($"killed the coordinator's worker {host.Name} at {seen.BlocksDone}/{seen.BlocksTotal}");
            var progress = await running;
            Assert.True(progress.Resumes >= 1, "the coordinator did not resume from its persisted state");
            Assert.NotEqual(host.Name, progress.CoordinatorSilo);
            output.WriteLine($"resumed on {progress.CoordinatorSilo}; {progress.BlocksRetried} retried; per worker {string.Join(", ", progress.BlocksPerSilo.Select(kv => $"{kv.Key} {kv.Value}"))}");
            // Blocks recorded as done before the kill were not computed again: all computations together are
            // fewer than every block plus those done before the kill (only the last ~0.5 s were unrecorded).
            var computed = progress.BlocksPerSilo.Values.Sum();
            Assert.InRange(computed, progress.BlocksTotal, progress.BlocksTotal + seen.BlocksDone - 1);
            Inputs.AssertEqualsWholeGrid(_rasters.Path, progress, job, index, grid);
        }
    }
}
