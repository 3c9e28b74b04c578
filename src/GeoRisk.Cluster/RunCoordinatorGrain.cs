using System.Globalization;
using System.Text.Json;
using GeoRisk.Raster.Blocks;
using Microsoft.Extensions.Logging;
using NetTopologySuite.IO;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace GeoRisk.Cluster;

/// <summary>A run's persisted progress: which blocks of which step are done (their results are files in the run folder) and by whom.</summary>
[GenerateSerializer]
[Alias("georisk.run-state")]
public sealed class RunState
{
    [Id(0)]
    public RunSpec? Spec { get; set; }

    [Id(1)]
    public RunStatus Status { get; set; }

    [Id(2)]
    public string Step { get; set; } = "";

    [Id(3)]
    public Dictionary<string, List<int>> Done { get; set; } = [];

    [Id(4)]
    public Dictionary<string, int> BlocksPerSilo { get; set; } = [];

    [Id(5)]
    public int BlocksRetried { get; set; }

    [Id(6)]
    public int Resumes { get; set; }

    [Id(7)]
    public string? Error { get; set; }

    [Id(8)]
    public Dictionary<string, double> BlockSeconds { get; set; } = [];

    [Id(9)]
    public int BlocksTotal { get; set; }

    /// <summary>The client cancelled the run (persisted, so a coordinator activated after its silo was lost does not resume it).</summary>
    [Id(10)]
    public bool CancelRequested { get; set; }
}

/// <summary>
/// Coordinates a run (docs/SCALE.md §cluster): runs the grade job's steps, handing each block to a
/// <see cref="IBlockTaskGrain"/> (one attempt, on the least loaded silo) and merging the small block results
/// itself. Progress is grain state in the configured storage (PostgreSQL in production): when a worker silo
/// dies its blocks are handed out again; when this grain's own silo dies the next call activates it
/// elsewhere, it reads its state and resumes, skipping the blocks already done. Outputs are published
/// (renamed into place) before the state says finished. Reentrant, so progress can be read while it runs.
/// </summary>
[Reentrant]
internal sealed class RunCoordinatorGrain(
    [PersistentState("run", ClusterHosting.StateStorage)] IPersistentState<RunState> runState,
    WorkerContext workerContext,
    ILocalSiloDetails silo,
    ILogger<RunCoordinatorGrain> runLogger) : Grain, IRunCoordinatorGrain
{
    private readonly IPersistentState<RunState> _state = runState;
    private readonly WorkerContext _context = workerContext;
    private readonly ILogger<RunCoordinatorGrain> _logger = runLogger;
    private readonly SemaphoreSlim _writeGate = new(1);
    private Task? _loop;
    private CancellationTokenSource _stop = new();
    private DateTime _lastWrite = DateTime.MinValue;

    private string RunId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_state.State is { Status: RunStatus.Running, CancelRequested: true })
        {
            // Cancelled, then this grain's silo was lost before the run stopped: nothing to resume.
            MarkCancelled();
        }
        else if (_state.State.Status == RunStatus.Running)
        {
            _state.State.Resumes++;
            _logger.LogWarning("Run {Run} resumes from its persisted state ({Done} block steps done).", RunId, _state.State.Done.Values.Sum(d => d.Count));
            StartLoop();
        }

        return Task.CompletedTask;
    }

    public async Task<RunProgress> StartAsync(RunSpec spec)
    {
        // A failed or cancelled run begins anew: a run id is its job's hash, and the same job may be asked for again once its input
        // files are mended or its client wants it after all.
        if (_state.State.Spec is null || (_loop is null && (_state.State.Status is RunStatus.Failed or RunStatus.Cancelled || OutputsGone())))
        {
            if (spec.Pass is null)
            {
                GradeJob.FromBytes(spec.Job); // a job that does not parse is refused here, not on the workers
            }
            else if (!Zoning.ZoningBlockJob.IsStep(spec.Pass) || spec.PassBlocks <= 0)
            {
                throw new ArgumentException($"'{spec.Pass}' with {spec.PassBlocks} blocks is not a zoning pass.", nameof(spec));
            }

            _state.State = new RunState { Spec = spec, Status = RunStatus.Running, Step = "starting" };
            await WriteStateAsync(force: true);
            StartLoop();
        }

        return Progress();
    }

    public Task<RunProgress> GetProgressAsync() => Task.FromResult(Progress());

    /// <summary>
    /// A finished run whose folder a client has deleted (it read the results, then could not make this grain forget the run): its
    /// outputs are gone, so the same job asked for again must run again rather than be answered "finished".
    /// </summary>
    private bool OutputsGone() => _state.State.Status == RunStatus.Finished && !Directory.Exists(_context.RunPath(RunId));

    public async Task<RunProgress> CancelAsync()
    {
        // The grain is reentrant: nothing is awaited between the checks and the changes, so a loop ending meanwhile cannot have its
        // Finished or Failed overwritten. The token goes first, so the run stops handing out blocks even if the write below fails.
        if (_state.State.Status == RunStatus.Running && !_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            _state.State.CancelRequested = true;
            if (_loop is null)
            {
                // Not running here (cannot happen after activation resumed it, but a state must not stay Running with no loop).
                MarkCancelled();
            }

            await WriteStateAsync(force: true);
        }

        return Progress();
    }

    private void MarkCancelled()
    {
        _state.State.Status = RunStatus.Cancelled;
        _state.State.Step = "cancelled";
    }

    public async Task ForgetAsync()
    {
        if (_state.State.Status == RunStatus.Running)
        {
            return;
        }

        if (_loop is { } ending)
        {
            await ending; // its status is final, its last state write may still be under way
        }

        await _state.ClearStateAsync();
        DeactivateOnIdle();
    }

    private RunProgress Progress() => new()
    {
        Status = _state.State.Status,
        Step = _state.State.Step,
        BlocksDone = _state.State.Done.Values.Sum(d => d.Count),
        BlocksTotal = _state.State.BlocksTotal,
        BlocksPerSilo = new Dictionary<string, int>(_state.State.BlocksPerSilo),
        BlocksRetried = _state.State.BlocksRetried,
        Resumes = _state.State.Resumes,
        Error = _state.State.Error,
        Folder = WorkerContext.RunFolder(RunId),
        BlockSeconds = new Dictionary<string, double>(_state.State.BlockSeconds),
        CoordinatorSilo = silo.Name,
    };

    private void StartLoop()
    {
        if (_loop is not null)
        {
            return;
        }

        // The run outlives the call that started it; keep the activation while it runs.
        DelayDeactivation(TimeSpan.FromDays(7));
        if (_stop.IsCancellationRequested)
        {
            _stop.Dispose();
            _stop = new CancellationTokenSource();
        }

        _loop = RunAsync();
    }

    private async Task RunAsync()
    {
        var spec = _state.State.Spec!;
        try
        {
            if (spec.Pass is { } pass)
            {
                // A zoning pass: the blocks' partials stay in the run folder for the client, which merges them.
                _state.State.BlocksTotal = spec.PassBlocks;
                _state.State.Step = pass;
                await new Executor(this, spec, spec.PassBlocks).RunBlocksAsync(pass, _ => [], _stop.Token);
                _state.State.Status = RunStatus.Finished;
                _state.State.Step = "finished";
                return;
            }

            var job = GradeJob.FromBytes(spec.Job);
            var storage = _context.StorageFor(RunId);
            var layout = GradePipeline.Layout(job, storage.Open(job.Index).Grid);
            _state.State.BlocksTotal = layout.Count * (GradePipeline.Steps.Count - (job.MinimumCells > 1 ? 0 : 1));
            var executor = new Executor(this, spec, layout.Count);
            var result = await GradePipeline.RunAsync(job, executor, storage, new SyncStep(step => _state.State.Step = step));
            _stop.Token.ThrowIfCancellationRequested();
            _state.State.Step = "publishing";
            await WriteStateAsync(force: true);
            Publish(spec, job, storage, result);
            _state.State.Status = RunStatus.Finished;
            _state.State.Step = "finished";
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Every block handed out before the request has returned (the executor waits for them): the client may delete the files.
            _logger.LogInformation("Run {Run} cancelled ({Done} block steps done).", RunId, _state.State.Done.Values.Sum(d => d.Count));
            MarkCancelled();
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Run {Run} failed.", RunId);
            _state.State.Status = RunStatus.Failed;
            _state.State.Error = ex.Message;
        }
        finally
        {
            await WriteStateAsync(force: true);
            _loop = null;
            // Kept while it ran (StartLoop); now it may be collected once idle like any grain, its state being persisted.
            DelayDeactivation(TimeSpan.Zero);
        }
    }

    /// <summary>Grade COG (unless the spec skips it), zones and summary into the run folder, each renamed into place.</summary>
    private void Publish(RunSpec spec, GradeJob job, Gdal.BlockFileStorage storage, GradeResult result)
    {
        var folder = _context.RunPath(RunId);
        if (!spec.SkipGradeCog)
        {
            storage.ExportCog(job.Grade, Path.Combine(folder, "grade.tif"), categorical: true);
        }

        var zonesPath = Path.Combine(folder, "zones.bin");
        var temporary = $"{zonesPath}.{Guid.NewGuid():N}.tmp";
        using (var stream = File.Create(temporary))
        using (var w = new BinaryWriter(stream))
        {
            WriteZones(w, result);
        }

        File.Move(temporary, zonesPath, overwrite: true);
        var summary = JsonSerializer.Serialize(new
        {
            breaks = result.Breaks,
            cellsPerGrade = result.CellsPerGrade.Skip(1),
            zones = result.Zones.Count,
            edgeComponents = result.EdgeComponents,
            histogramBins = result.Histogram?.Bins,
            histogramMin = result.Histogram?.Min,
            histogramMax = result.Histogram?.Max,
        });
        Gdal.BlockFileStorage.AtomicWrite(Path.Combine(folder, "summary.json"), summary);
        Gdal.BlockFileStorage.AtomicWrite(Path.Combine(folder, "histogram.txt"),
            string.Join('\n', result.Histogram!.Cells.Select(c => c.ToString(CultureInfo.InvariantCulture))));

        // Temporary files of writes that a lost worker never finished (never under a published name).
        foreach (var leftover in Directory.EnumerateFiles(folder, "*.tmp*", SearchOption.AllDirectories).ToList())
        {
            File.Delete(leftover);
        }
    }

    /// <summary>Zones as (count, then value and WKB per zone).</summary>
    internal static void WriteZones(BinaryWriter w, GradeResult result)
    {
        var wkb = new WKBWriter();
        w.Write(result.Zones.Count);
        foreach (var z in result.Zones)
        {
            var bytes = wkb.Write(z.Polygon);
            w.Write(z.Value);
            w.Write(bytes.Length);
            w.Write(bytes);
        }
    }

    private async Task WriteStateAsync(bool force)
    {
        if (!force && DateTime.UtcNow - _lastWrite < TimeSpan.FromMilliseconds(500))
        {
            return;
        }

        await _writeGate.WaitAsync();
        try
        {
            await _state.WriteStateAsync();
            _lastWrite = DateTime.UtcNow;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private sealed class SyncStep(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    /// <summary>Hands a step's blocks to block-task grains, at most <see cref="RunSpec.Parallelism"/> at once; blocks done before a resume are
    /// skipped.</summary>
    private sealed class Executor(RunCoordinatorGrain grain, RunSpec spec, int blocks) : IBlockExecutor
    {
        public async Task<IReadOnlyList<byte[]>> RunAsync(string step, Func<int, byte[]> argumentsOf, CancellationToken cancellationToken)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, grain._stop.Token);
            await RunBlocksAsync(step, argumentsOf, stop.Token);
            return Enumerable.Range(0, blocks).Select(b => File.ReadAllBytes(grain._context.ResultPath(grain.RunId, step, b))).ToList();
        }

        /// <summary>
        /// Every block of the step done, its result a file in the run folder. Once <paramref name="cancellationToken"/> is cancelled no
        /// block is handed out or retried, and this returns (cancelled) only after the blocks in flight have.
        /// </summary>
        public async Task RunBlocksAsync(string step, Func<int, byte[]> argumentsOf, CancellationToken cancellationToken)
        {
            var s = grain._state.State;
            if (!s.Done.TryGetValue(step, out var done))
            {
                s.Done[step] = done = [];
            }

            var finished = done.ToHashSet();
            // A result file can be missing only if the folder was tampered with: compute it again.
            var todo = Enumerable.Range(0, blocks).Where(b => !finished.Contains(b) || !File.Exists(grain._context.ResultPath(grain.RunId, step, b))).ToList();
            using var gate = new SemaphoreSlim(Math.Max(1, spec.Parallelism));
            var tasks = todo.Select(async b =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    await RunBlockAsync(step, b, argumentsOf(b), cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }).ToList();
            await Task.WhenAll(tasks);
            await grain.WriteStateAsync(force: true);
        }

        private async Task RunBlockAsync(string step, int block, byte[] arguments, CancellationToken cancellationToken)
        {
            var s = grain._state.State;
            var task = new BlockTask(grain.RunId, spec.Job, step, block, arguments);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    var key = string.Create(CultureInfo.InvariantCulture, $"{grain.RunId}/{s.Resumes}/{step}/{block}/{attempt}");
                    var done = await grain.GrainFactory.GetGrain<IBlockTaskGrain>(key).ExecuteAsync(task);
                    if (!s.Done[step].Contains(block))
                    {
                        s.Done[step].Add(block);
                    }

                    s.BlocksPerSilo[done.Silo] = s.BlocksPerSilo.GetValueOrDefault(done.Silo) + 1;
                    s.BlockSeconds[step] = s.BlockSeconds.GetValueOrDefault(step) + done.Seconds;
                    await grain.WriteStateAsync(force: false);
                    return;
                }
                catch (Exception ex) when (ClusterRuns.IsLostSilo(ex) && cancellationToken.IsCancellationRequested)
                {
                    // Cancelled meanwhile: the block is not handed out again, and the run ends cancelled, not failed.
                    throw new OperationCanceledException($"Block {block} of step {step} lost after the run was cancelled.", ex, cancellationToken);
                }
                catch (Exception ex) when (ClusterRuns.IsLostSilo(ex) && attempt + 1 < spec.MaxAttempts)
                {
                    s.BlocksRetried++;
                    grain._logger.LogWarning("Block {Block} of step {Step} lost ({Error}); handing it out again.", block, step, ex.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 * (attempt + 1))), cancellationToken);
                }
            }
        }
    }
}
