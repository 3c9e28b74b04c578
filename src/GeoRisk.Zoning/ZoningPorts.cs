using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Vectorize;

namespace GeoRisk.Zoning;

/// <summary>
/// Receives a run's rasters as soon as each is final, so the run can drop its float indexes one product at a time
/// instead of holding all of them until the end (docs/SCALE.md "Memory"). Called in this order: each product's index
/// and grade in product order, then E·V.
/// </summary>
public interface IZoningRasterSink
{
    void Product(ZoningProduct product, RasterBuffer<float> index, RasterBuffer<byte> grade);

    void ExposedValue(RasterBuffer<float> exposedValue);
}

/// <summary>
/// A raster sink that also gives the run block storage (on disk, outside the engine: the service's staging folder, or the
/// <see cref="IBlockGradeRunner.BlockFolder"/> of a cluster), so a run with a block size streams (docs/SCALE.md "streamed
/// run"): the extent mask, factor classes and indexes are computed per block and written to <see cref="Blocks"/>, never held
/// as whole grids, and each raster is handed over as a window source once its blocks are final (the factor classes after the
/// factor pass, E·V after the risk pass, a product's index and grade after its census), to be written block by block while
/// the run goes on; the sources stay readable until the sink is disposed.
/// </summary>
public interface IZoningBlockSink : IZoningRasterSink
{
    /// <summary>Scratch storage of the run's block rasters; valid until the sink is disposed.</summary>
    IBlockStorage Blocks { get; }

    void Product(ZoningProduct product, IRasterWindowSource index, IRasterWindowSource grade);

    void ExposedValue(IRasterWindowSource exposedValue);

    /// <summary>Each factor's classes (0 = no source, 1..k, 255 outside the extent) by factor id.</summary>
    void FactorClasses(IReadOnlyDictionary<string, IRasterWindowSource> classes);
}

/// <summary>
/// Runs a product's block-wise classify, minimum mapping unit and polygonize somewhere else than this process (a
/// cluster, GeoRisk.Cluster): the job carries the product's breaks as fixed breaks, so the cells and polygons are
/// those of the in-process steps (docs/SCALE.md).
/// </summary>
public interface IBlockGradeRunner
{
    /// <summary>Where a streamed run's block storage must be (a folder the runner's workers see); null: anywhere.</summary>
    string? BlockFolder { get; }

    /// <summary>
    /// A streamed run's grade job on the index in <paramref name="storage"/> (block files whose <see cref="IBlockStorage.Folder"/> is under
    /// <see cref="BlockFolder"/>): the result is the in-process <see cref="GradePipeline"/>'s, and the grade raster
    /// (<see cref="GradeJob.Grade"/>) is left in <paramref name="storage"/>.
    /// </summary>
    GradeResult Run(GradeJob job, IBlockStorage storage, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// A streamed run's factor or combine pass (<see cref="ZoningBlockJob"/>) on every block: the rasters it writes go to
    /// <paramref name="storage"/> (as for <see cref="Run(GradeJob, IBlockStorage, IProgress{BlockStepProgress}?, CancellationToken)"/>),
    /// each block's partials (<see cref="ZoningBlockJob.Execute"/>) come back in block order.
    /// </summary>
    IReadOnlyList<byte[]> RunBlocks(ZoningBlockJob job, IBlockStorage storage, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>Where a run's pluggable steps go; the defaults keep everything in this process and in the result.</summary>
public sealed class ZoningPorts
{
    public static ZoningPorts InProcess { get; } = new();

    /// <summary>The product rasters' destination; null keeps every raster in the <see cref="ZoningResult"/>.</summary>
    public IZoningRasterSink? Sink { get; init; }

    /// <summary>With a block size, the block passes (factors and combine of a streamed run, then each product's classify, minimum mapping unit and
    /// polygonize) run here; null runs them in this process.</summary>
    public IBlockGradeRunner? Blocks { get; init; }
}

/// <summary>Block steps done of a block-wise step, and by which worker (one entry in process).</summary>
public sealed record BlockStepProgress(string Step, int Done, int Total, IReadOnlyDictionary<string, int> PerWorker)
{
    /// <summary>One line for a console or a job's phase: "sieve: 40/120 block steps; silo-1 21, silo-2 19".</summary>
    public string Describe() => $"{Step}: {Done}/{Total} block steps" +
        (PerWorker.Count == 0 ? "" : "; " + string.Join(", ", PerWorker.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}")));
}
