using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GeoRisk.Core;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Raster;
using GeoRisk.Zoning;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;

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
/// recomputed, which gives the same cells as a full run.
/// </summary>
public sealed class ZoningRunService(IGeoRiskStore store)
{
    /// <summary>Largest grid a run accepts (cells); 30 m over the whole prefecture is about 53 million.</summary>
    public const long MaxCells = 600_000_000;

    private const int StorageEpsg = 4490;

    public async Task<ZoningRunOutcome> RunAsync(RiskModel model, ZoningRunRequest? request = null, IProgress<ZoningProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        request ??= new ZoningRunRequest();
        progress?.Report(new ZoningProgress("loading inputs", 0));
        model.ResolveWeights(); // rejects an inconsistent AHP matrix before any work

        using var gridSrs = GridCrs(model.Grid.Crs);
        using var storageSrs = SpatialReference.FromEpsg(StorageEpsg);
        using var toGrid = CoordinateTransformation.Create(storageSrs, gridSrs);
        using var toStorage = CoordinateTransformation.Create(gridSrs, storageSrs);

        var surveys = await store.ListSurveysAsync(cancellationToken);
        var ranked = SurveyPrecedence.Rank(surveys);
        var ranks = ranked.Select((s, i) => (s.Id, Rank: ranked.Count - i)).ToDictionary(x => x.Id, x => x.Rank, StringComparer.Ordinal);
        var layers = await store.ListLayersAsync(cancellationToken);
        var inputs = new Dictionary<string, InputRecord>(StringComparer.Ordinal);
        async Task<IReadOnlyList<GeoFeature>> Features(LayerInfo l, string role)
        {
            await Track(l, role);
            return await store.QueryFeaturesAsync(l.SurveyId, l.Name, null, int.MaxValue, 0, cancellationToken);
        }

        async Task Track(LayerInfo l, string role)
        {
            if (inputs.TryGetValue(l.Id, out var existing))
            {
                if (!existing.Roles.Contains(role))
                {
                    inputs[l.Id] = existing with { Roles = [.. existing.Roles, role] };
                }

                return;
            }

            var version = (await store.ListVersionsAsync(l.SurveyId, l.Name, cancellationToken)).Single(v => v.Version == l.CurrentVersion);
            var b = l.Bounds;
            inputs[l.Id] = new InputRecord(l.Id, l.Kind.ToToken(), l.CurrentVersion, version.SourceSha256, b is null ? null : [b.MinX, b.MinY, b.MaxX, b.MaxY], [role]);
        }

        // Extent and grid.
        var adminLayers = LayersOf(layers, model.AdminLayerKind, null, ranks);
        var adminFeatures = new List<GeoFeature>();
        foreach (var l in adminLayers)
        {
            adminFeatures.AddRange(await Features(l, "admin"));
        }

        Geometry extentLonLat;
        var ext = model.Grid.Extent;
        if (ext.Admin is { } code)
        {
            var prefix = code.EndsWith("00", StringComparison.Ordinal) ? code[..4] : code;
            var matches = adminFeatures.Where(f => f.Attributes.GetValueOrDefault("code") is string c && c.StartsWith(prefix, StringComparison.Ordinal)).Select(f => f.Geometry).ToList();
            if (matches.Count == 0)
            {
                throw new InvalidInputException("unknown-admin", $"No admin unit with code {code} is loaded (admin layers: {string.Join(", ", adminLayers.Select(l => l.Id))}).");
            }

            extentLonLat = CascadedPolygonUnion.Union(matches);
        }
        else
        {
            var b = ext.Bbox!;
            extentLonLat = Densify(new GeometryFactory().ToGeometry(new Envelope(b[0], b[2], b[1], b[3])), 0.01);
        }

        var extent = GeometryReprojector.Transform(extentLonLat, toGrid);
        var grid = SnapGrid(extent.EnvelopeInternal, model.Grid.CellSize, gridSrs.Wkt);
        if (grid.CellCount > MaxCells)
        {
            throw new InvalidInputException("grid-too-large", string.Create(CultureInfo.InvariantCulture,
                $"The grid would have {grid.Width}×{grid.Height} = {grid.CellCount:N0} cells (limit {MaxCells:N0}); use a larger cell size or a smaller extent."));
        }

        var allUnits = adminFeatures.Where(f => f.Geometry.EnvelopeInternal.Intersects(extentLonLat.EnvelopeInternal))
            .Select(f => new AdminUnitInput(f.Attributes.GetValueOrDefault("code")?.ToString() ?? "", f.Attributes.GetValueOrDefault("name")?.ToString() ?? "",
                f.Attributes.GetValueOrDefault("name_en")?.ToString(), GeometryReprojector.Transform(f.Geometry, toGrid)))
            .Where(u => u.Geometry.Intersects(extent)).OrderBy(u => u.Code, StringComparer.Ordinal).ToList();
        // GB/T 2260 county codes have 6 digits; township codes (乡镇, 9 or 12 digits) nest inside them. With both levels
        // loaded, each gets its own tables (one level's units never overlap, so nothing is counted twice).
        var townships = allUnits.Where(u => u.Code.Length > 6).ToList();
        var adminUnits = townships.Count == allUnits.Count ? townships : allUnits.Where(u => u.Code.Length <= 6).ToList();
        if (townships.Count == allUnits.Count)
        {
            townships = [];
        }

        // Factors, first only which layer versions they read: an incremental run loads just what changed.
        var factorSources = new Dictionary<string, List<LayerInfo>>(StringComparer.Ordinal);
        var coverageSurveys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var factor in model.Factors)
        {
            var sources = LayersOf(layers, factor.Source.Kind, factor.Source.Layers, ranks);
            if (factor.Source.LayerKind.IsRaster())
            {
                var top = sources.LastOrDefault() ?? throw new InvalidInputException("missing-input", $"Factor '{factor.Id}' needs a {factor.Source.Kind} layer; none is loaded.");
                sources = [top];
            }

            foreach (var l in sources)
            {
                await Track(l, factor.Id);
                if (factor.Source.LayerKind == LayerKind.HazardZones)
                {
                    coverageSurveys.Add(l.SurveyId);
                }
            }

            factorSources[factor.Id] = sources;
        }

        var hazardPoints = new List<HazardPointInput>();
        foreach (var l in LayersOf(layers, model.HazardPointKind, null, ranks))
        {
            foreach (var f in await Features(l, "hazard-points"))
            {
                var p = f.Geometry is Point pt ? pt : f.Geometry.InteriorPoint;
                var g = (Point)GeometryReprojector.Transform(p, toGrid);
                var id = f.Attributes.GetValueOrDefault("point_id")?.ToString() is { Length: > 0 } pid ? $"{l.SurveyId}/{pid}" : $"{l.Id}#{f.Id}";
                var people = f.Attributes.GetValueOrDefault("threatened_people") is { } tp ? Convert.ToInt32(tp, CultureInfo.InvariantCulture) : 0;
                hazardPoints.Add(new HazardPointInput(id, g.X, g.Y, people));
            }
        }

        var coverages = new List<SurveyCoverageInput>();
        foreach (var s in ranked.Where(s => coverageSurveys.Contains(s.Id)))
        {
            if (await store.GetSurveyCoverageAsync(s.Id, cancellationToken) is { } cov)
            {
                coverages.Add(new SurveyCoverageInput(s.Id, s.ScaleDenominator, ranks[s.Id], GeometryReprojector.Transform(cov, toGrid)));
            }
        }

        // Exposure and flood scenarios feed the census tables: their versions belong to the run's key.
        foreach (var l in layers.Where(l => l.Kind.IsExposure() || l.Kind == LayerKind.FloodZones))
        {
            await Track(l, l.Kind == LayerKind.FloodZones ? "flood-scenarios" : "exposure");
        }

        var modelJson = model.ToJson();
        var inputList = inputs.Values.OrderBy(i => i.Layer, StringComparer.Ordinal).ToList();
        var gridRecord = new GridRecord(model.Grid.Crs, model.Grid.CellSize, grid.Width, grid.Height, grid.Transform.ToGdal(), ext.Admin, ext.Bbox);
        var runKey = RunKey(model.Hash, gridRecord, inputList, ranks);

        var current = await store.GetZoningRunAsync(null, cancellationToken);
        if (!request.Force && current is not null && current.RunKey == runKey)
        {
            return new ZoningRunOutcome(current, ZoningRunRecord.FromJson(current.RecordJson), Reused: true);
        }

        var plan = request.FullRecompute ? null : IncrementalPlanFrom(model, current, gridRecord, inputList, ranks, grid, toGrid);
        var factorInputs = new Dictionary<string, FactorInput>(StringComparer.Ordinal);
        var rasterCache = new Dictionary<string, RasterBuffer<float>>(StringComparer.Ordinal);
        foreach (var factor in model.Factors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (plan is not null && plan.PreviousClasses.ContainsKey(factor.Id) && !plan.DirtyAreas.ContainsKey(factor.Id))
            {
                factorInputs[factor.Id] = new VectorFactorInput([]); // unchanged: the previous run's classes are reused
                continue;
            }

            progress?.Report(new ZoningProgress($"loading {factor.Id}", 0));
            var sources = factorSources[factor.Id];
            if (factor.Source.LayerKind.IsRaster())
            {
                var top = sources[0];
                if (!rasterCache.TryGetValue(top.Id, out var warped))
                {
                    var path = await store.GetRasterPathAsync(top.SurveyId, top.Name, cancellationToken);
                    warped = await Task.Run(() => RasterWarp.ToGrid(path, grid), cancellationToken);
                    rasterCache[top.Id] = warped;
                }

                factorInputs[factor.Id] = new RasterFactorInput(warped);
                continue;
            }

            var burn = new List<BurnFeature>();
            foreach (var l in sources)
            {
                var rank = ranks.GetValueOrDefault(l.SurveyId);
                foreach (var f in await store.QueryFeaturesAsync(l.SurveyId, l.Name, null, int.MaxValue, 0, cancellationToken))
                {
                    if (!f.Geometry.EnvelopeInternal.Intersects(extentLonLat.EnvelopeInternal) && factor.Reach <= 0)
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
                throw new InvalidInputException("missing-input", $"Factor '{factor.Id}' measures distance to {factor.Source.Kind}, but no such features are loaded.");
            }

            factorInputs[factor.Id] = new VectorFactorInput(burn);
        }

        var options = new RasterOptions
        {
            MaxDegreeOfParallelism = request.Threads ?? Environment.ProcessorCount,
            BlockSize = request.BlockSize ?? 0,
            CancellationToken = cancellationToken,
        };
        progress?.Report(new ZoningProgress("loading exposure", 0));
        var exposureWatch = System.Diagnostics.Stopwatch.StartNew();
        var exposure = await ExposureStep.LoadAsync(store, layers, toGrid, cancellationToken);
        var exposureLoad = exposureWatch.Elapsed.TotalSeconds;
        var zoningInputs = new ZoningInputs
        {
            Grid = grid,
            Extent = extent,
            Factors = factorInputs,
            HazardPoints = hazardPoints,
            AdminUnits = adminUnits,
            Townships = townships,
            SurveyCoverages = coverages,
            Exposure = exposure,
        };
        var result = await Task.Run(() => ZoningEngine.Run(model, zoningInputs, options, progress, plan), cancellationToken);

        progress?.Report(new ZoningProgress("exposure census", 0.95));
        exposureWatch.Restart();
        var exposureRows = await Task.Run(() => result.Products.ToDictionary(p => p.Product,
            p => ExposureStep.Tally(grid, p.Grade, model.Classification.Grades, adminUnits, exposure, p.Product)), cancellationToken);
        var townshipExposure = townships.Count == 0 ? [] : await Task.Run(() => result.Products.ToDictionary(p => p.Product,
            p => ExposureStep.Tally(grid, p.Grade, model.Classification.Grades, townships, exposure, p.Product)), cancellationToken);
        var floodRows = FloodScenarioCensus.Compute(await ExposureStep.FloodScenariosAsync(store, layers, toGrid, cancellationToken), exposure, model.Vulnerability);
        var timings = new Dictionary<string, double>(result.Timings, StringComparer.Ordinal) { ["exposure"] = Math.Round(exposureLoad + exposureWatch.Elapsed.TotalSeconds, 3) };

        progress?.Report(new ZoningProgress("writing", 0.97));
        var staged = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            await Task.Run(() =>
            {
                foreach (var product in result.Products)
                {
                    staged[ZoningRunRecord.IndexRaster(product.Product)] = Stage(p => CogWriter.Write(p, grid, product.Index, double.NaN, categorical: false));
                    // The stored grade COG carries the legend colours and census terms, so GDAL and QGIS show it as the export does.
                    staged[ZoningRunRecord.GradeRaster(product.Product)] = Stage(p => CogWriter.Write(p, grid, product.Grade, 0, categorical: true,
                        ZoningExport.GradeCategories(model.Classification.Grades, product.Product)));
                }

                if (result.ExposedValue is { } exposedValue)
                {
                    staged["exposed-value"] = Stage(p => CogWriter.Write(p, grid, exposedValue, double.NaN, categorical: false));
                }
                foreach (var (id, classes) in result.FactorClasses)
                {
                    staged["factor-" + id] = Stage(p => CogWriter.Write(p, grid, classes, ZoningEngine.OutsideExtent, categorical: true));
                }
            }, cancellationToken);

            var zones = result.Products.SelectMany(p => p.Zones).Select(z => new GeoFeature(z.Id, GeometryReprojector.Transform(z.Polygon, toStorage), new Dictionary<string, object?>
            {
                ["zone_id"] = z.Id,
                ["product"] = ZoningRunRecord.ProductToken(z.Product),
                ["grade"] = z.Grade,
                ["grade_label"] = Grades.English(z.Grade, model.Classification.Grades),
                ["grade_label_zh"] = Grades.Chinese(z.Grade, model.Classification.Grades),
                ["grade_term"] = Grades.CensusTerm(z.Grade, model.Classification.Grades, z.Product).En,
                ["grade_term_zh"] = Grades.CensusTerm(z.Grade, model.Classification.Grades, z.Product).Zh,
                ["prevention"] = z.Prevention,
                ["prevention_zh"] = Grades.PreventionOf(z.Prevention)?.Zh,
                ["area_km2"] = z.AreaKm2,
                ["hazard_points"] = z.HazardPoints,
                ["threatened_people"] = z.ThreatenedPeople,
                ["exposed_people"] = z.ExposedPeople,
                ["exposed_buildings"] = z.ExposedBuildings,
                ["surveys"] = string.Join(",", z.Surveys),
            })).ToList();
            var products = result.Products.Select(p => new ProductRecord(p.Product, Grades.ProductName(p.Product).En, Grades.ProductName(p.Product).Zh, p.Breaks, p.Grades,
                p.Census, exposureRows[p.Product], p.Validation, p.Zones.GroupBy(z => z.Prevention).ToDictionary(g => g.Key, g => g.Count()), p.Zones.Count)
            {
                TownshipCensus = p.TownshipCensus,
                TownshipExposure = townshipExposure.GetValueOrDefault(p.Product) ?? [],
            }).ToList();

            var record = new ZoningRunRecord
            {
                ModelName = model.Name,
                ModelHash = model.Hash,
                Model = JsonDocument.Parse(modelJson).RootElement.Clone(),
                Grid = gridRecord,
                Inputs = inputList,
                SurveyRanks = ranks,
                ConsistencyRatio = result.Ahp?.ConsistencyRatio,
                LambdaMax = result.Ahp?.LambdaMax,
                Breaks = result.Breaks,
                Factors = result.Factors,
                Grades = result.Grades,
                Validation = result.Validation,
                Census = result.Census,
                Exposure = exposureRows[ZoningProduct.Susceptibility],
                FloodScenarios = floodRows,
                Products = products,
                // Prevention zoning is the risk product's (docs/DOMAIN.md §5) when there is one.
                PreventionZones = products.Last().PreventionZones,
                Timings = timings,
                Incremental = result.Incremental,
                CellsSha256 = CellsHash(result),
            };
            var info = await store.PublishZoningRunAsync(new ZoningRunPublication(runKey, model.Name, model.Hash, record.ToJson(), staged), zones, cancellationToken);
            progress?.Report(new ZoningProgress("published", 1));
            return new ZoningRunOutcome(info, record, Reused: false);
        }
        finally
        {
            foreach (var file in staged.Values.SelectMany(f => new[] { f, f + RasterSidecars.Pam }).Where(File.Exists))
            {
                File.Delete(file);
            }
        }

        string Stage(Action<string> write)
        {
            var path = store.CreateStagingPath(".tif");
            write(path);
            return path;
        }
    }

    /// <summary>SHA-256 over the cells of every output raster, in a fixed order.</summary>
    public static string CellsHash(ZoningResult result)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var product in result.Products)
        {
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(product.Index.Data.AsSpan()));
            sha.AppendData(product.Grade.Data);
        }

        if (result.ExposedValue is { } exposedValue)
        {
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(exposedValue.Data.AsSpan()));
        }

        foreach (var (_, classes) in result.FactorClasses.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            sha.AppendData(classes.Data);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static SpatialReference GridCrs(string crs)
    {
        var code = int.Parse(crs.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture);
        var srs = SpatialReference.FromEpsg(code);
        if (!srs.IsProjected || Math.Abs(srs.LinearUnitInMetres - 1) > 1e-9)
        {
            srs.Dispose();
            throw new InvalidInputException("invalid-model", $"grid.crs {crs} must be a projected CRS in metres (e.g. EPSG:4503, 6° Gauss-Krüger CM 81°E).");
        }

        return srs;
    }

    /// <summary>Cell edges on multiples of the cell size, so runs over different extents share a lattice.</summary>
    private static GridSpec SnapGrid(Envelope env, double cell, string wkt)
    {
        var minX = Math.Floor(env.MinX / cell) * cell;
        var maxX = Math.Ceiling(env.MaxX / cell) * cell;
        var minY = Math.Floor(env.MinY / cell) * cell;
        var maxY = Math.Ceiling(env.MaxY / cell) * cell;
        var width = (int)Math.Max(1, Math.Round((maxX - minX) / cell));
        var height = (int)Math.Max(1, Math.Round((maxY - minY) / cell));
        return new GridSpec(width, height, new GeoTransform(minX, cell, maxY, -cell), wkt);
    }

    private static Geometry Densify(Geometry g, double step) => NetTopologySuite.Densify.Densifier.Densify(g, step);

    /// <summary>Layers of a kind (or the listed ids), least authoritative first so the best survey burns last.</summary>
    private static List<LayerInfo> LayersOf(IReadOnlyList<LayerInfo> layers, string kindToken, IReadOnlyList<string>? listed, IReadOnlyDictionary<string, int> ranks)
    {
        LayerKindExtensions.TryParse(kindToken, out var kind);
        var selected = layers.Where(l => l.Kind == kind && (listed is null || listed.Contains(l.Id))).ToList();
        if (listed is not null && listed.FirstOrDefault(id => selected.All(l => l.Id != id)) is { } missing)
        {
            throw new InvalidInputException("missing-input", $"Layer '{missing}' named by the model is not loaded (or is not {kindToken}).");
        }

        return selected.OrderBy(l => ranks.GetValueOrDefault(l.SurveyId)).ThenBy(l => l.Id, StringComparer.Ordinal).ToList();
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
        var text = JsonSerializer.Serialize(new { schema = ZoningRunRecord.CurrentSchema, modelHash, grid, inputs = inputs.Select(i => new { i.Layer, i.Version, i.Sha256 }), ranks = ranks.OrderBy(r => r.Key, StringComparer.Ordinal) });
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
    private static IncrementalPlan? IncrementalPlanFrom(RiskModel model, ZoningRunInfo? current, GridRecord grid, IReadOnlyList<InputRecord> inputs,
        IReadOnlyDictionary<string, int> ranks, GridSpec gridSpec, CoordinateTransformation toGrid)
    {
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
                        var box = Densify(new GeometryFactory().ToGeometry(new Envelope(bounds[0], bounds[2], bounds[1], bounds[3])), 0.01);
                        list.Add(GeometryReprojector.Transform(box, toGrid).EnvelopeInternal);
                    }
                }
            }
        }

        var classes = new Dictionary<string, RasterBuffer<byte>>(StringComparer.Ordinal);
        foreach (var f in model.Factors)
        {
            if (!current.Rasters.TryGetValue("factor-" + f.Id, out var path) || !File.Exists(path))
            {
                return null;
            }

            classes[f.Id] = CogWriter.Read<byte>(path, gridSpec.Width, gridSpec.Height);
        }

        return new IncrementalPlan { PreviousClasses = classes, DirtyAreas = dirty.ToDictionary(d => d.Key, d => (IReadOnlyList<Envelope>)d.Value, StringComparer.Ordinal) };
    }
}
