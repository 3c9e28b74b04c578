namespace GeoRisk.Cluster;

/// <summary>One block of one step of a run, as handed to a worker (docs/SCALE.md §what moves over the network).</summary>
[GenerateSerializer]
[Alias("georisk.block-task")]
public sealed record BlockTask(
    [property: Id(0)] string RunId,
    [property: Id(1)] byte[] Job,
    [property: Id(2)] string Step,
    [property: Id(3)] int Block,
    [property: Id(4)] byte[] Arguments);

/// <summary>Which silo computed a block and how long it took; the result itself is a file in the run folder.</summary>
[GenerateSerializer]
[Alias("georisk.block-done")]
public sealed record BlockDone([property: Id(0)] string Silo, [property: Id(1)] double Seconds, [property: Id(2)] long ResultBytes);

/// <summary>What a run is asked to do: a grade job over an index raster in the shared raster folder.</summary>
[GenerateSerializer]
[Alias("georisk.run-spec")]
public sealed record RunSpec
{
    /// <summary>The job (<see cref="Raster.Blocks.GradeJob.ToBytes"/>); its index raster is a path relative to the raster folder.</summary>
    [Id(0)]
    public required byte[] Job { get; init; }

    /// <summary>Blocks in flight at once (all silos together).</summary>
    [Id(1)]
    public int Parallelism { get; init; } = 4;

    /// <summary>Attempts per block before the run fails (a block is retried only after its silo was lost).</summary>
    [Id(2)]
    public int MaxAttempts { get; init; } = 20;

    /// <summary>
    /// Publishes no grade COG (<c>grade.tif</c>): a zoning run reads the grade block files the workers wrote instead, so the export
    /// would be one COG write per product for nothing. The zones, summary and histogram are published either way. False (the default,
    /// and what a state persisted before this field reads as) exports it, as <c>georisk raster zones --cluster</c> needs.
    /// </summary>
    [Id(3)]
    public bool SkipGradeCog { get; init; }

    /// <summary>
    /// A streamed zoning run's factor or combine pass (<see cref="Zoning.ZoningBlockJob.Step"/>) instead of a grade job: <see cref="Job"/> is
    /// then a <see cref="ZoningPassTask"/>, the coordinator hands out <see cref="PassBlocks"/> blocks of that one step, merges nothing and
    /// publishes nothing; the client reads each block's partials from the run folder. Null (the default, and what a state persisted before
    /// this field reads as): a grade job.
    /// </summary>
    [Id(4)]
    public string? Pass { get; init; }

    [Id(5)]
    public int PassBlocks { get; init; }
}

/// <summary>Where a zoning pass's job and block storage are, relative to the shared raster folder (what a <see cref="BlockTask"/> of a pass carries).</summary>
public sealed record ZoningPassTask(string BlockFolder, string JobFile)
{
    public byte[] ToBytes()
    {
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes))
        {
            w.Write(BlockFolder);
            w.Write(JobFile);
        }

        return bytes.ToArray();
    }

    public static ZoningPassTask FromBytes(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        return new ZoningPassTask(r.ReadString(), r.ReadString());
    }
}

public enum RunStatus
{
    Pending = 0,
    Running = 1,
    Finished = 2,
    Failed = 3,

    /// <summary>Cancelled by its client: no block was handed out after the request, and those in flight then had returned.</summary>
    Cancelled = 4,
}

/// <summary>A run's progress as its coordinator reports it.</summary>
[GenerateSerializer]
[Alias("georisk.run-progress")]
public sealed record RunProgress
{
    [Id(0)]
    public RunStatus Status { get; init; }

    [Id(1)]
    public string Step { get; init; } = "";

    [Id(2)]
    public int BlocksDone { get; init; }

    /// <summary>Blocks of all steps (steps × blocks).</summary>
    [Id(3)]
    public int BlocksTotal { get; init; }

    /// <summary>Block steps computed per silo, over the whole run.</summary>
    [Id(4)]
    public IReadOnlyDictionary<string, int> BlocksPerSilo { get; init; } = new Dictionary<string, int>();

    /// <summary>Block steps computed again because their silo was lost.</summary>
    [Id(5)]
    public int BlocksRetried { get; init; }

    /// <summary>Times the coordinator resumed the run from its persisted state (after its own silo was lost).</summary>
    [Id(6)]
    public int Resumes { get; init; }

    [Id(7)]
    public string? Error { get; init; }

    /// <summary>The run folder, relative to the raster folder (outputs: zones.bin, summary.json, histogram.txt, grade.tif unless
    /// <see cref="RunSpec.SkipGradeCog"/>; the grade block files under the job's grade raster name).</summary>
    [Id(8)]
    public string Folder { get; init; } = "";

    /// <summary>Seconds spent in block steps per step, summed over blocks (the cost model's measurements).</summary>
    [Id(9)]
    public IReadOnlyDictionary<string, double> BlockSeconds { get; init; } = new Dictionary<string, double>();

    /// <summary>The silo the coordinator runs on now.</summary>
    [Id(10)]
    public string CoordinatorSilo { get; init; } = "";
}

/// <summary>A run: hands blocks to workers, merges, publishes; keeps its progress in persisted grain state.</summary>
[Alias("georisk.IRunCoordinatorGrain")]
public interface IRunCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>Starts the run (again: no effect while it runs or after it finished).</summary>
    [Alias("Start")]
    Task<RunProgress> StartAsync(RunSpec spec);

    /// <summary>The progress; activating the grain resumes a run its lost silo left unfinished.</summary>
    [Alias("Progress")]
    Task<RunProgress> GetProgressAsync();

    /// <summary>
    /// Stops a running run: no more blocks are handed out, and it reports <see cref="RunStatus.Cancelled"/> once the blocks in flight
    /// have returned, so that the client may then delete the run's files with no worker writing into them. No effect on a run that
    /// is not running. Starting it again (<see cref="StartAsync"/>) begins it anew.
    /// </summary>
    [Alias("Cancel")]
    Task<RunProgress> CancelAsync();

    /// <summary>
    /// Deletes the run's persisted state, once its client has read and removed its outputs (a zoning run's passes and grade jobs:
    /// otherwise every run would leave a row per pass in the state table for good). No effect on a run that is running.
    /// </summary>
    [Alias("Forget")]
    Task ForgetAsync();
}

/// <summary>One attempt at one block, placed on the least loaded silo; computes there through the silo's local workers.</summary>
[Alias("georisk.IBlockTaskGrain")]
public interface IBlockTaskGrain : IGrainWithStringKey
{
    [Alias("Execute")]
    Task<BlockDone> ExecuteAsync(BlockTask task);
}

/// <summary>The silo-local worker that reads and writes block rasters in the shared folder ([StatelessWorker]).</summary>
[Alias("georisk.IBlockWorkerGrain")]
public interface IBlockWorkerGrain : IGrainWithIntegerKey
{
    [Alias("Execute")]
    Task<BlockDone> ExecuteAsync(BlockTask task);
}
