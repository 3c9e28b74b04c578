using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GeoRisk.Core;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Zoning;
using NetTopologySuite.Geometries;

namespace GeoRisk.Services;

/// <summary>What a run request asks for beyond the model.</summary>
public sealed record ZoningRunRequest
{
    /// <summary>Run even when the current run already used this model and these inputs.</summary>
    public bool Force { get; init; }

    /// <summary>Recompute everything instead of only what the changed layers touch.</summary>
    public bool FullRecompute { get; init; }

    public int? Threads { get; init; }

    /// <summary>Block side in cells for the block-wise sieve and polygonize (docs/SCALE.md); 0 or null: whole grids. Same results either way.</summary>
    public int? BlockSize { get; init; }
}

/// <param name="Reused">True when the current run already matched the model and inputs, so nothing was computed.</param>
public sealed record ZoningRunOutcome(ZoningRunInfo Run, ZoningRunRecord Record, bool Reused);

/// <summary>
/// Runs a zoning model against the store: loads the current layer versions, reprojects them onto the
/// analysis grid (GDAL/PROJ), runs the engine, writes COGs and publishes the run atomically. When only
/// vector layers changed since the current run of the same model, only the cells they can reach are
/// recomputed, which gives the same cells as a full run. With a block runner (a cluster) the block-wise
/// steps of a run with a block size run there, the run's block folder in the runner's shared folder; everything else is the
/// same (docs/SCALE.md).
/// </summary>
public sealed class ZoningRunService(IGeoRiskStore store, IBlockGradeRunner? blocks = null)
{
    /// <summary>
    /// Largest grid a whole-grid run (no block size) accepts, in cells: it holds about 55 bytes per cell
    /// (30 m over the whole prefecture is about 55 million cells, 10 m about 490 million).
    /// </summary>
    public const long MaxCells = 600_000_000;

    /// <summary>
    /// Largest grid a streamed run (a block size) accepts: its memory does not grow with the grid, its scratch disk does (a few
    /// bytes per cell, docs/SCALE.md); Xinjiang at 10 m is about 17 billion cells.
    /// </summary>
    public const long MaxStreamedCells = 20_000_000_000;

    /// <summary>The grid limit of a run with this block size (0 or none: whole grid).</summary>
    public static long CellLimit(int? blockSize) => blockSize > 0 ? MaxStreamedCells : MaxCells;

    public async Task<ZoningRunOutcome> RunAsync(
        RiskModel model, ZoningRunRequest? request = null, IProgress<ZoningProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        request ??= new ZoningRunRequest();
        progress?.Report(new ZoningProgress("loading inputs", 0));
        var inputsWatch = System.Diagnostics.Stopwatch.StartNew();
        model.ResolveWeights(); // rejects an inconsistent AHP matrix before any work

        using var crs = RunCrs.Of(model.Grid.Crs);
        var run = await ZoningRunInputs.LoadAsync(store, model, crs, CellLimit(request.BlockSize), cancellationToken);
        var runKey = RunKey(model.Hash, run.GridRecord, run.Records, run.Ranks);
        var current = await store.GetZoningRunAsync(null, cancellationToken);
        if (!request.Force && current is not null && current.RunKey == runKey)
        {
            return new ZoningRunOutcome(current, ZoningRunRecord.FromJson(current.RecordJson), Reused: true);
        }

        using var rasters = new StagedRunRasters(store, run.Grid, model.Classification.Grades, blocks?.BlockFolder, cancellationToken);
        // A streamed run (a block size: docs/SCALE.md) reads its warped rasters and, when incremental, the previous run's factor
        // classes by windows from files.
        var streamed = request.BlockSize > 0;
        var plan = request.FullRecompute ? null : IncrementalPlanFrom(model, current, run, crs.ToGrid, streamed ? rasters : null);
        var factorInputs = await LoadFactorsAsync(model, run, plan, crs.ToGrid, streamed ? rasters : null, progress, cancellationToken);
        var inputsSeconds = inputsWatch.Elapsed.TotalSeconds;
        progress?.Report(new ZoningProgress("loading exposure", 0));
        var exposureWatch = System.Diagnostics.Stopwatch.StartNew();
        var exposure = await ExposureStep.LoadAsync(store, run.Layers, crs.ToGrid, cancellationToken);
        var exposureLoad = exposureWatch.Elapsed.TotalSeconds;
        var zoningInputs = new ZoningInputs
        {
            Grid = run.Grid,
            Extent = run.Extent,
            Factors = factorInputs,
            HazardPoints = run.HazardPoints,
            AdminUnits = run.AdminUnits,
            Townships = run.Townships,
            SurveyCoverages = run.Coverages,
            Exposure = exposure,
        };
        var options = new RasterOptions
        {
            MaxDegreeOfParallelism = request.Threads ?? Environment.ProcessorCount,
            BlockSize = request.BlockSize ?? 0,
            CancellationToken = cancellationToken,
        };
        var ports = new ZoningPorts { Sink = rasters, Blocks = blocks };
        var result = await Task.Run(() => ZoningEngine.Run(model, zoningInputs, options, progress, plan, ports), cancellationToken);

        progress?.Report(new ZoningProgress("exposure census", 0.95));
        exposureWatch.Restart();
        var products = await Task.Run(() => result.Products.Select(p => ProductRecord.Of(p,
            ExposureStep.Tally(run.Grid, p, model.Classification.Grades, run.AdminUnits, exposure, options),
            run.Townships.Count == 0
                ? []
                : ExposureStep.Tally(run.Grid, p, model.Classification.Grades, run.Townships, exposure, options))).ToList(), cancellationToken);
        var floodRows = FloodScenarioCensus.Compute(
            await ExposureStep.FloodScenariosAsync(store, run.Layers, crs.ToGrid, cancellationToken), exposure, model.Vulnerability);
        var timings = new Dictionary<string, double>(result.Timings, StringComparer.Ordinal)
        {
            ["inputs"] = Math.Round(inputsSeconds, 3),
            ["exposure"] = Math.Round(exposureLoad + exposureWatch.Elapsed.TotalSeconds, 3),
        };

        progress?.Report(new ZoningProgress("writing", 0.97));
        var cellsSha256 = await FinishRastersAsync(rasters, result, timings, cancellationToken);
        var record = ZoningRunRecord.Of(model, run.GridRecord, run.Records, run.Ranks, result, products) with
        {
            FloodScenarios = floodRows,
            Timings = timings,
            CellsSha256 = cellsSha256,
        };
        var zones = result.Products.SelectMany(p => p.Zones).Select(z => ZoneFeature(z, model.Classification.Grades, crs.ToStorage)).ToList();
        var info = await store.PublishZoningRunAsync(
            new ZoningRunPublication(runKey, model.Name, model.Hash, record.ToJson(), rasters.Staged), zones, cancellationToken);
        progress?.Report(new ZoningProgress("published", 1));
        return new ZoningRunOutcome(info, record, Reused: false);
    }

    /// <summary>
    /// The factor classes of a whole-grid run written (a streamed run handed them over after its factor pass), every COG still
    /// being written in the background waited for; returns the cells hash and times the writing into <paramref name="timings"/>.
    /// </summary>
    private static async Task<string> FinishRastersAsync(
        StagedRunRasters rasters, ZoningResult result, Dictionary<string, double> timings, CancellationToken cancellationToken)
    {
        if (result.FactorClasses.Count > 0)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await Task.Run(() => rasters.FactorClasses(result.FactorClasses), cancellationToken);
            timings["factors.write"] = Math.Round(watch.Elapsed.TotalSeconds, 3);
        }

        var cellsSha256 = await Task.Run(rasters.CellsSha256, cancellationToken);
        if (rasters.BackgroundWriteSeconds > 0)
        {
            timings["write.background"] = Math.Round(rasters.BackgroundWriteSeconds, 3);
        }

        return cellsSha256;
    }

    /// <summary>The stored zone: its polygon in CGCS2000 lon/lat and its attributes as the tiles, OGC API and clients read them.</summary>
    private static GeoFeature ZoneFeature(ZonePolygon z, int grades, CoordinateTransformation toStorage) =>
        new(z.Id, GeometryReprojector.Transform(z.Polygon, toStorage), new Dictionary<string, object?>
        {
            ["zone_id"] = z.Id,
            ["product"] = ZoningRunRecord.ProductToken(z.Product),
            ["grade"] = z.Grade,
            ["grade_label"] = Grades.English(z.Grade, grades),
            ["grade_label_zh"] = Grades.Chinese(z.Grade, grades),
            ["grade_term"] = Grades.CensusTerm(z.Grade, grades, z.Product).En,
            ["grade_term_zh"] = Grades.CensusTerm(z.Grade, grades, z.Product).Zh,
            ["prevention"] = z.Prevention,
            ["prevention_zh"] = Grades.PreventionOf(z.Prevention)?.Zh,
            ["area_km2"] = z.AreaKm2,
            ["hazard_points"] = z.HazardPoints,
            ["threatened_people"] = z.ThreatenedPeople,
            ["exposed_people"] = z.ExposedPeople,
            ["exposed_buildings"] = z.ExposedBuildings,
            ["surveys"] = string.Join(",", z.Surveys),
        });

    /// <summary>Each factor's input on the grid: the top raster warped once per layer, or the features to burn with their survey rank.</summary>
    /// <param name="scratch">Where a streamed run's warped rasters go as files (read by windows); null: warped into memory.</param>
    private async Task<Dictionary<string, FactorInput>> LoadFactorsAsync(
        RiskModel model,
        ZoningRunInputs run,
        IncrementalPlan? plan,
        CoordinateTransformation toGrid,
        StagedRunRasters? scratch, IProgress<ZoningProgress>? progress, CancellationToken cancellationToken)
    {
        var factorInputs = new Dictionary<string, FactorInput>(StringComparer.Ordinal);
        var rasterCache = new Dictionary<string, FactorInput>(StringComparer.Ordinal);
        foreach (var factor in model.Factors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (plan is not null && plan.Reuses(factor.Id) && !plan.DirtyAreas.ContainsKey(factor.Id))
            {
                factorInputs[factor.Id] = new VectorFactorInput([]); // unchanged: the previous run's classes are reused
                continue;
            }

            progress?.Report(new ZoningProgress($"loading {factor.Id}", 0));
            var sources = run.FactorSources[factor.Id];
            if (factor.Source.LayerKind.IsRaster())
            {
                var top = sources[0];
                if (!rasterCache.TryGetValue(top.Id, out var warped))
                {
                    var path = await store.GetRasterPathAsync(top.SurveyId, top.Name, cancellationToken);
                    if (scratch is null)
                    {
                        warped = new RasterFactorInput(await Task.Run(() => RasterWarp.ToGrid(path, run.Grid), cancellationToken));
                    }
                    else
                    {
                        var name = $"warped-{rasterCache.Count}.tif";
                        var file = scratch.ScratchPath(name);
                        await Task.Run(() => RasterWarp.ToFile(path, run.Grid, file), cancellationToken);
                        warped = new WindowedRasterFactorInput(scratch.Own(new GdalRasterSource(file)), StorageName: name);
                    }

                    rasterCache[top.Id] = warped;
                }

                factorInputs[factor.Id] = warped;
                continue;
            }

            factorInputs[factor.Id] = new VectorFactorInput(await BurnFeaturesAsync(factor, sources, run, toGrid, cancellationToken));
        }

        return factorInputs;
    }

    private async Task<List<BurnFeature>> BurnFeaturesAsync(
        FactorDefinition factor,
        List<LayerInfo> sources,
        ZoningRunInputs run,
        CoordinateTransformation toGrid,
        CancellationToken cancellationToken)
    {
        var burn = new List<BurnFeature>();
        foreach (var l in sources)
        {
            var rank = run.Ranks.GetValueOrDefault(l.SurveyId);
            foreach (var f in await store.QueryFeaturesAsync(l.SurveyId, l.Name, null, int.MaxValue, 0, cancellationToken))
            {
                if (!f.Geometry.EnvelopeInternal.Intersects(run.ExtentLonLat.EnvelopeInternal) && factor.Reach <= 0)
                {
                    continue;
                }

                // Fold axes and other structures in a fault compilation are not faults (docs/DOMAIN.md §6.3).
                if (factor.Source.LayerKind == LayerKind.ActiveFaults && !FaultTrace.FromAttributes(f.Attributes, "").IsFault)
                {
                    continue;
                }

                var value = factor.Source.Field is { } field ? f.Attributes.GetValueOrDefault(field) : null;
                burn.Add(new BurnFeature(GeometryReprojector.Transform(f.Geometry, toGrid), rank, KeyOf(value), NumberOf(value)));
            }
        }

        if (burn.Count == 0 && factor.Transform.Type == TransformType.Distance)
        {
            throw new InvalidInputException(
                "missing-input", $"Factor '{factor.Id}' measures distance to {factor.Source.Kind}, but no such features are loaded.");
        }

        return burn;
    }

    private static string? KeyOf(object? value) => value switch
    {
        null => null,
        double d when Math.Abs(d - Math.Round(d)) < 1e-9 => ((long)Math.Round(d)).ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static double NumberOf(object? value) => value switch
    {
        null => double.NaN,
        string s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN,
        IConvertible c => c.ToDouble(CultureInfo.InvariantCulture),
        _ => double.NaN,
    };

    private static string RunKey(string modelHash, GridRecord grid, IReadOnlyList<InputRecord> inputs, IReadOnlyDictionary<string, int> ranks)
    {
        var text = JsonSerializer.Serialize(
            new { schema = ZoningRunRecord.CurrentSchema, modelHash, grid, inputs = inputs.Select(
                i => new { i.Layer, i.Version, i.Sha256 }), ranks = ranks.OrderBy(r => r.Key, StringComparer.Ordinal) });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>
    /// Burns compare ranks only, so a run can be patched when the surveys both runs know keep their relative
    /// order; a new survey's own features are in the changed area anyway.
    /// </summary>
    private static bool SameRelativeOrder(IReadOnlyDictionary<string, int> before, IReadOnlyDictionary<string, int> after)
    {
        var common = before.Keys.Where(after.ContainsKey).ToList();
        return common.OrderBy(k => before[k]).ThenBy(k => k, StringComparer.Ordinal)
            .SequenceEqual(common.OrderBy(k => after[k]).ThenBy(k => k, StringComparer.Ordinal));
    }

    /// <summary>
    /// The incremental plan against the current run, or null when a full run is needed: the model, grid or
    /// survey precedence changed, a raster or admin layer changed, or the method fits on every cell.
    /// </summary>
    /// <param name="windows">For a streamed run: the previous factor classes are opened there to be read by windows, not loaded whole.</param>
    private static IncrementalPlan? IncrementalPlanFrom(
        RiskModel model, ZoningRunInfo? current, ZoningRunInputs run, CoordinateTransformation toGrid, StagedRunRasters? windows)
    {
        var (grid, inputs, ranks, gridSpec) = (run.GridRecord, run.Records, run.Ranks, run.Grid);
        if (current is null || current.ModelHash != model.Hash || model.Combination.Method == CombinationMethod.InformationValue)
        {
            return null;
        }

        var previous = ZoningRunRecord.FromJson(current.RecordJson);
        if (previous.Schema != ZoningRunRecord.CurrentSchema ||
            previous.Grid.Width != grid.Width || previous.Grid.Height != grid.Height || !previous.Grid.GeoTransform.SequenceEqual(grid.GeoTransform) ||
            previous.Grid.Crs != grid.Crs || !SameRelativeOrder(previous.SurveyRanks, ranks))
        {
            return null;
        }

        var before = previous.Inputs.ToDictionary(i => i.Layer, StringComparer.Ordinal);
        var after = inputs.ToDictionary(i => i.Layer, StringComparer.Ordinal);
        var changed = before.Keys.Union(after.Keys)
            .Where(id => !before.TryGetValue(id, out var b) || !after.TryGetValue(id, out var a) || b.Version != a.Version || b.Sha256 != a.Sha256)
            .Select(id => (Before: before.GetValueOrDefault(id), After: after.GetValueOrDefault(id))).ToList();
        var dirty = DirtyAreas(model, changed, toGrid);
        var previousRasters = model.Factors.Select(f => current.Rasters.GetValueOrDefault("factor-" + f.Id)).ToList();
        if (dirty is null || previousRasters.Any(path => path is null || !File.Exists(path)))
        {
            return null;
        }

        var ids = model.Factors.Select(f => f.Id).ToList();
        return windows is null
            ? new IncrementalPlan
            {
                DirtyAreas = dirty,
                PreviousClasses = ids.Zip(previousRasters).ToDictionary(
                    p => p.First, p => CogWriter.Read<byte>(p.Second!, gridSpec.Width, gridSpec.Height), StringComparer.Ordinal),
            }
            : new IncrementalPlan
            {
                DirtyAreas = dirty,
                PreviousClassWindows = ids.Zip(previousRasters).ToDictionary(
                    p => p.First, p => (IRasterWindowSource)windows.Own(new GdalRasterSource(p.Second!)), StringComparer.Ordinal),
            };
    }

    /// <summary>
    /// Per factor, the bounds (grid CRS) of the changed layers that feed it, before and after the change; null when a change
    /// needs a full run (an admin layer, or a DEM or raster factor).
    /// </summary>
    private static Dictionary<string, IReadOnlyList<Envelope>>? DirtyAreas(
        RiskModel model, List<(InputRecord? Before, InputRecord? After)> changed, CoordinateTransformation toGrid)
    {
        var dirty = new Dictionary<string, List<Envelope>>(StringComparer.Ordinal);
        foreach (var (b, a) in changed)
        {
            var roles = (b?.Roles ?? []).Union(a?.Roles ?? []).ToList();
            if (roles.Contains("admin") || (b ?? a)!.Kind is "dem" or "raster-factor")
            {
                return null;
            }

            foreach (var factor in roles.Where(r => model.Factors.Any(f => f.Id == r)))
            {
                var list = dirty.TryGetValue(factor, out var l) ? l : dirty[factor] = [];
                foreach (var bounds in new[] { b?.Bounds, a?.Bounds })
                {
                    if (bounds is { Count: 4 })
                    {
                        var box = ZoningRunInputs.Densify(new GeometryFactory().ToGeometry(new Envelope(bounds[0], bounds[2], bounds[1], bounds[3])), 0.01);
                        list.Add(GeometryReprojector.Transform(box, toGrid).EnvelopeInternal);
                    }
                }
            }
        }

        return dirty.ToDictionary(d => d.Key, d => (IReadOnlyList<Envelope>)d.Value, StringComparer.Ordinal);
    }
}

/// <summary>
/// The run's rasters as COGs in the store's staging area, written as the engine hands them over (so it can let go of each
/// product's float index), and the SHA-256 of their cells. A streamed run (a block size, docs/SCALE.md) writes its block rasters
/// to <see cref="Blocks"/>, a folder under the staging area, and hands each over as a window source once its blocks are final:
/// each COG is then written strip by strip, never as a whole grid, one after another in the background, so the COGs are written
/// while the next passes run (on a cluster the client is otherwise idle then); <see cref="Staged"/> and <see cref="CellsSha256"/>
/// wait for them and rethrow the first write that failed. Staged files not published and the block folder are deleted on
/// dispose, after the writes still running.
/// </summary>
/// <param name="blockRoot">Where the block folder goes instead (a cluster's shared raster folder, where its workers read and write blocks).</param>
/// <param name="cancellationToken">The run's: a background write stops at its next strip, so a cancelled run is not kept waiting; so
/// does one still queued when the sink is disposed (the run failed elsewhere) or after a write failed.</param>
internal sealed class StagedRunRasters(
    IGeoRiskStore store, GridSpec grid, int grades, string? blockRoot = null, CancellationToken cancellationToken = default) : IZoningBlockSink, IDisposable
{
    /// <summary>Rows per strip when a COG is written from block storage.</summary>
    private const int StripRows = 256;

    private const string ExposedValueRaster = "exposed-value";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _staged = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _digests = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _owned = [];
    private string? _blockFolder;
    private BlockFileStorage? _blocks;
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    private Task _writes = Task.CompletedTask;

    /// <summary>Seconds spent writing COGs in the background (a streamed run's), read after <see cref="CellsSha256"/>.</summary>
    public double BackgroundWriteSeconds { get; private set; }

    public IReadOnlyDictionary<string, string> Staged
    {
        get
        {
            _writes.GetAwaiter().GetResult();
            return _staged;
        }
    }

    public IBlockStorage Blocks
    {
        get
        {
            if (_blocks is null)
            {
                _blockFolder = blockRoot is null ? store.CreateStagingPath(".blocks") : Path.Combine(blockRoot, Guid.NewGuid().ToString("N") + ".blocks");
                Directory.CreateDirectory(_blockFolder);
                _blocks = new BlockFileStorage(_blockFolder);
            }

            return _blocks;
        }
    }

    /// <summary>A path for a scratch file of the run in its block folder (deleted with it).</summary>
    public string ScratchPath(string name)
    {
        _ = Blocks;
        return Path.Combine(_blockFolder!, name);
    }

    /// <summary>Disposes <paramref name="disposable"/> with the sink, before its block folder is deleted.</summary>
    public T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Product(ZoningProduct product, RasterBuffer<float> index, RasterBuffer<byte> grade)
    {
        Stage(ZoningRunRecord.IndexRaster(product), p =>
        {
            CogWriter.Write(p, grid, index, double.NaN, categorical: false);
            return SHA256.HashData(MemoryMarshal.AsBytes(index.Data.AsSpan()));
        });
        // The stored grade COG carries the legend colours and census terms, so GDAL and QGIS show it as the export does.
        Stage(ZoningRunRecord.GradeRaster(product), p =>
        {
            CogWriter.Write(p, grid, grade, 0, categorical: true, ZoningExport.GradeCategories(grades, product));
            return SHA256.HashData(grade.Data);
        });
    }

    public void Product(ZoningProduct product, IRasterWindowSource index, IRasterWindowSource grade) => InBackground(() =>
    {
        Stage(ZoningRunRecord.IndexRaster(product), p => WriteFloats(p, index));
        Stage(ZoningRunRecord.GradeRaster(product), p => WriteBytes(p, grade, 0, ZoningExport.GradeCategories(grades, product), nanAs: 0));
    });

    public void ExposedValue(RasterBuffer<float> exposedValue) => Stage(ExposedValueRaster, p =>
    {
        CogWriter.Write(p, grid, exposedValue, double.NaN, categorical: false);
        return SHA256.HashData(MemoryMarshal.AsBytes(exposedValue.Data.AsSpan()));
    });

    public void ExposedValue(IRasterWindowSource exposedValue) => InBackground(() => Stage(ExposedValueRaster, p => WriteFloats(p, exposedValue)));

    public void FactorClasses(IReadOnlyDictionary<string, RasterBuffer<byte>> factorClasses)
    {
        foreach (var (id, classes) in factorClasses)
        {
            Stage("factor-" + id, p =>
            {
                CogWriter.Write(p, grid, classes, ZoningEngine.OutsideExtent, categorical: true);
                return SHA256.HashData(classes.Data);
            });
        }
    }

    public void FactorClasses(IReadOnlyDictionary<string, IRasterWindowSource> classes) => InBackground(() =>
    {
        foreach (var (id, source) in classes)
        {
            Stage("factor-" + id, p => WriteBytes(p, source, ZoningEngine.OutsideExtent, null, nanAs: ZoningEngine.OutsideExtent));
        }
    });

    /// <summary>
    /// For determinism checks, once every write is done: the SHA-256 over the SHA-256s of each output raster's cells (row order;
    /// indexes and E·V as 32-bit floats, grades and classes as bytes), in a fixed order whatever order they were written in:
    /// each product's index and grade in product order, E·V, then the factor classes by id.
    /// </summary>
    public string CellsSha256()
    {
        _writes.GetAwaiter().GetResult();
        var order = Enum.GetValues<ZoningProduct>().SelectMany(p => new[] { ZoningRunRecord.IndexRaster(p), ZoningRunRecord.GradeRaster(p) })
            .Append(ExposedValueRaster)
            .Concat(_digests.Keys.Where(k => k.StartsWith("factor-", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in order.Where(_digests.ContainsKey))
        {
            all.AppendData(_digests[name]);
        }

        return Convert.ToHexStringLower(all.GetHashAndReset());
    }

    public void Dispose()
    {
        _stop.Cancel(); // a published run's writes are all done; a failed run's are not wanted
        try
        {
            _writes.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // The run failed: with this write's error where it waited for the writes, or with its own; here only the files go.
        }

        _stop.Dispose();

        foreach (var file in _staged.Values.SelectMany(f => new[] { f, f + RasterSidecars.Pam }).Where(File.Exists))
        {
            File.Delete(file);
        }

        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _blocks?.Dispose();
        if (_blockFolder is not null && Directory.Exists(_blockFolder))
        {
            Directory.Delete(_blockFolder, recursive: true);
        }
    }

    /// <summary>A float raster from block storage as a COG, strip by strip; returns the SHA-256 of its cells in row order (as the whole grid's are hashed).</summary>
    private byte[] WriteFloats(string path, IRasterWindowSource source)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        CogWriter.WriteStrips<float>(path, grid, StripRows, (y, rows, cells) =>
        {
            _stop.Token.ThrowIfCancellationRequested();
            source.ReadWindow(0, y, grid.Width, rows, cells);
            hash.AppendData(MemoryMarshal.AsBytes(cells));
        }, double.NaN, categorical: false);
        return hash.GetHashAndReset();
    }

    /// <summary>A class raster (stored as floats, NaN where nothing was written) as a Byte COG, strip by strip; returns the SHA-256 of its bytes.</summary>
    private byte[] WriteBytes(string path, IRasterWindowSource source, double noData, RasterCategories? categories, byte nanAs)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var floats = new float[(long)grid.Width * Math.Min(StripRows, grid.Height)];
        CogWriter.WriteStrips<byte>(path, grid, StripRows, (y, rows, cells) =>
        {
            _stop.Token.ThrowIfCancellationRequested();
            var values = floats.AsSpan(0, cells.Length);
            source.ReadWindow(0, y, grid.Width, rows, values);
            for (var i = 0; i < cells.Length; i++)
            {
                cells[i] = float.IsNaN(values[i]) ? nanAs : (byte)values[i];
            }

            hash.AppendData(cells);
        }, noData, categorical: true, categories);
        return hash.GetHashAndReset();
    }

    /// <summary>Queues a write after the ones handed over before; a failed write fails every later one.</summary>
    private void InBackground(Action write)
    {
        if (_writes is { IsCompleted: true, IsCompletedSuccessfully: false })
        {
            _writes.GetAwaiter().GetResult(); // fail the run now rather than after its remaining passes
        }

        var before = _writes;
        _writes = Task.Run(async () =>
        {
            try
            {
                await before;
                var watch = System.Diagnostics.Stopwatch.StartNew();
                write();
                BackgroundWriteSeconds += watch.Elapsed.TotalSeconds;
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                await _stop.CancelAsync(); // the writes queued behind this one stop at their first strip
                throw;
            }
        });
    }

    /// <summary>Writes one raster to a new staging path; <paramref name="write"/> returns the SHA-256 of its cells.</summary>
    private void Stage(string name, Func<string, byte[]> write)
    {
        var path = store.CreateStagingPath(".tif");
        lock (_gate)
        {
            _staged[name] = path; // before the write: a half-written file is deleted on dispose too
        }

        var digest = write(path);
        lock (_gate)
        {
            _digests[name] = digest;
        }
    }
}
