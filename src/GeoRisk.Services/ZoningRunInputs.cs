using System.Globalization;
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

/// <summary>The analysis grid's CRS and the transformations between it and the store's CGCS2000 lon/lat.</summary>
internal sealed class RunCrs : IDisposable
{
    private const int StorageEpsg = 4490;

    private RunCrs(SpatialReference grid, SpatialReference storage)
    {
        Grid = grid;
        Storage = storage;
        ToGrid = CoordinateTransformation.Create(storage, grid);
        ToStorage = CoordinateTransformation.Create(grid, storage);
    }

    public SpatialReference Grid { get; }

    public SpatialReference Storage { get; }

    public CoordinateTransformation ToGrid { get; }

    public CoordinateTransformation ToStorage { get; }

    public static RunCrs Of(string crs)
    {
        var code = int.Parse(crs.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture);
        var srs = SpatialReference.FromEpsg(code);
        if (!srs.IsProjected || Math.Abs(srs.LinearUnitInMetres - 1) > 1e-9)
        {
            srs.Dispose();
            throw new InvalidInputException("invalid-model", $"grid.crs {crs} must be a projected CRS in metres (e.g. EPSG:4503, 6° Gauss-Krüger CM 81°E).");
        }

        return new RunCrs(srs, SpatialReference.FromEpsg(StorageEpsg));
    }

    public void Dispose()
    {
        ToStorage.Dispose();
        ToGrid.Dispose();
        Storage.Dispose();
        Grid.Dispose();
    }
}

/// <summary>Which stored layer versions a run reads and in which roles (the run's key and its incremental plan compare them).</summary>
internal sealed class InputTracker(IGeoRiskStore store, CancellationToken cancellationToken)
{
    private readonly Dictionary<string, InputRecord> _inputs = new(StringComparer.Ordinal);

    public List<InputRecord> Records => _inputs.Values.OrderBy(i => i.Layer, StringComparer.Ordinal).ToList();

    public async Task<IReadOnlyList<GeoFeature>> FeaturesAsync(LayerInfo l, string role)
    {
        await TrackAsync(l, role);
        return await store.QueryFeaturesAsync(l.SurveyId, l.Name, null, int.MaxValue, 0, cancellationToken);
    }

    public async Task TrackAsync(LayerInfo l, string role)
    {
        if (_inputs.TryGetValue(l.Id, out var existing))
        {
            if (!existing.Roles.Contains(role))
            {
                _inputs[l.Id] = existing with { Roles = [.. existing.Roles, role] };
            }

            return;
        }

        var version = (await store.ListVersionsAsync(l.SurveyId, l.Name, cancellationToken)).Single(v => v.Version == l.CurrentVersion);
        var b = l.Bounds;
        _inputs[l.Id] = new InputRecord(
            l.Id, l.Kind.ToToken(), l.CurrentVersion, version.SourceSha256, b is null ? null : [b.MinX, b.MinY, b.MaxX, b.MaxY], [role]);
    }
}

/// <summary>
/// The run's first step: surveys by precedence, the extent and grid, the census units, which layers each factor reads,
/// the hazard points and survey coverages on the grid, and the record of every layer version read.
/// </summary>
internal sealed class ZoningRunInputs
{
    public required IReadOnlyList<LayerInfo> Layers { get; init; }

    public required IReadOnlyDictionary<string, int> Ranks { get; init; }

    public required Geometry ExtentLonLat { get; init; }

    public required Geometry Extent { get; init; }

    public required GridSpec Grid { get; init; }

    public required GridRecord GridRecord { get; init; }

    public required List<AdminUnitInput> AdminUnits { get; init; }

    public required List<AdminUnitInput> Townships { get; init; }

    public required Dictionary<string, List<LayerInfo>> FactorSources { get; init; }

    public required List<HazardPointInput> HazardPoints { get; init; }

    public required List<SurveyCoverageInput> Coverages { get; init; }

    public required List<InputRecord> Records { get; init; }

    public static async Task<ZoningRunInputs> LoadAsync(IGeoRiskStore store, RiskModel model, RunCrs crs, long maxCells, CancellationToken ct)
    {
        var ranked = SurveyPrecedence.Rank(await store.ListSurveysAsync(ct));
        var ranks = ranked.Select((s, i) => (s.Id, Rank: ranked.Count - i)).ToDictionary(x => x.Id, x => x.Rank, StringComparer.Ordinal);
        var layers = await store.ListLayersAsync(ct);
        var tracker = new InputTracker(store, ct);
        var (extentLonLat, adminFeatures) = await ExtentAsync(model, layers, ranks, tracker);
        var extent = GeometryReprojector.Transform(extentLonLat, crs.ToGrid);
        var grid = SnapGrid(extent.EnvelopeInternal, model.Grid.CellSize, crs.Grid.Wkt);
        if (grid.CellCount > maxCells)
        {
            var hint = maxCells < ZoningRunService.MaxStreamedCells
                ? string.Create(CultureInfo.InvariantCulture, $", or give a block size (georisk compute --block-size; the service streams when it has a cluster): a streamed run takes up to {ZoningRunService.MaxStreamedCells:N0} cells")
                : "";
            throw new InvalidInputException("grid-too-large", string.Create(CultureInfo.InvariantCulture,
                $"The grid would have {grid.Width}×{grid.Height} = {grid.CellCount:N0} cells (limit {maxCells:N0}); use a larger cell " +
                $"size or a smaller extent{hint}."));
        }

        var (adminUnits, townships) = Units(adminFeatures, extentLonLat, extent, crs.ToGrid);
        var (factorSources, coverageSurveys) = await FactorSourcesAsync(model, layers, ranks, tracker);
        var hazardPoints = await HazardPointsAsync(model, layers, ranks, tracker, crs.ToGrid);
        var coverages = new List<SurveyCoverageInput>();
        foreach (var s in ranked.Where(s => coverageSurveys.Contains(s.Id)))
        {
            if (await store.GetSurveyCoverageAsync(s.Id, ct) is { } cov)
            {
                coverages.Add(new SurveyCoverageInput(s.Id, s.ScaleDenominator, ranks[s.Id], GeometryReprojector.Transform(cov, crs.ToGrid)));
            }
        }

        // Exposure and flood scenarios feed the census tables: their versions belong to the run's key.
        foreach (var l in layers.Where(l => l.Kind.IsExposure() || l.Kind == LayerKind.FloodZones))
        {
            await tracker.TrackAsync(l, l.Kind == LayerKind.FloodZones ? "flood-scenarios" : "exposure");
        }

        var ext = model.Grid.Extent;
        return new ZoningRunInputs
        {
            Layers = layers, Ranks = ranks, ExtentLonLat = extentLonLat, Extent = extent, Grid = grid,
            GridRecord = new GridRecord(model.Grid.Crs, model.Grid.CellSize, grid.Width, grid.Height, grid.Transform.ToGdal(), ext.Admin, ext.Bbox),
            AdminUnits = adminUnits, Townships = townships, FactorSources = factorSources, HazardPoints = hazardPoints, Coverages = coverages,
            Records = tracker.Records,
        };
    }

    /// <summary>Layers of a kind (or the listed ids), least authoritative first so the best survey burns last.</summary>
    public static List<LayerInfo> LayersOf(
        IReadOnlyList<LayerInfo> layers, string kindToken, IReadOnlyList<string>? listed, IReadOnlyDictionary<string, int> ranks)
    {
        LayerKindExtensions.TryParse(kindToken, out var kind);
        var selected = layers.Where(l => l.Kind == kind && (listed is null || listed.Contains(l.Id))).ToList();
        if (listed is not null && listed.FirstOrDefault(id => selected.All(l => l.Id != id)) is { } missing)
        {
            throw new InvalidInputException("missing-input", $"Layer '{missing}' named by the model is not loaded (or is not {kindToken}).");
        }

        return selected.OrderBy(l => ranks.GetValueOrDefault(l.SurveyId)).ThenBy(l => l.Id, StringComparer.Ordinal).ToList();
    }

    public static Geometry Densify(Geometry g, double step) => NetTopologySuite.Densify.Densifier.Densify(g, step);

    private static async Task<(Geometry ExtentLonLat, List<GeoFeature> AdminFeatures)> ExtentAsync(RiskModel model, IReadOnlyList<LayerInfo> layers,
        IReadOnlyDictionary<string, int> ranks, InputTracker tracker)
    {
        var adminLayers = LayersOf(layers, model.AdminLayerKind, null, ranks);
        var adminFeatures = new List<GeoFeature>();
        foreach (var l in adminLayers)
        {
            adminFeatures.AddRange(await tracker.FeaturesAsync(l, "admin"));
        }

        var ext = model.Grid.Extent;
        if (ext.Admin is not { } code)
        {
            var b = ext.Bbox!;
            return (Densify(new GeometryFactory().ToGeometry(new Envelope(b[0], b[2], b[1], b[3])), 0.01), adminFeatures);
        }

        var prefix = code.EndsWith("00", StringComparison.Ordinal) ? code[..4] : code;
        var matches = adminFeatures.Where(
            f => f.Attributes.GetValueOrDefault("code") is string c && c.StartsWith(prefix, StringComparison.Ordinal)).Select(f => f.Geometry).ToList();
        if (matches.Count == 0)
        {
            throw new InvalidInputException(
                "unknown-admin", $"No admin unit with code {code} is loaded (admin layers: {string.Join(", ", adminLayers.Select(l => l.Id))}).");
        }

        return (CascadedPolygonUnion.Union(matches), adminFeatures);
    }

    /// <summary>
    /// GB/T 2260 county codes have 6 digits; township codes (乡镇, 9 or 12 digits) nest inside them. With both levels loaded,
    /// each gets its own tables (one level's units never overlap, so nothing is counted twice).
    /// </summary>
    private static (List<AdminUnitInput> Units, List<AdminUnitInput> Townships) Units(List<GeoFeature> adminFeatures, Geometry extentLonLat, Geometry extent,
        CoordinateTransformation toGrid)
    {
        var allUnits = adminFeatures.Where(f => f.Geometry.EnvelopeInternal.Intersects(extentLonLat.EnvelopeInternal))
            .Select(f => new AdminUnitInput(f.Attributes.GetValueOrDefault("code")?.ToString() ?? "", f.Attributes.GetValueOrDefault("name")?.ToString() ?? "",
                f.Attributes.GetValueOrDefault("name_en")?.ToString(), GeometryReprojector.Transform(f.Geometry, toGrid)))
            .Where(u => u.Geometry.Intersects(extent)).OrderBy(u => u.Code, StringComparer.Ordinal).ToList();
        var townships = allUnits.Where(u => u.Code.Length > 6).ToList();
        return townships.Count == allUnits.Count ? (townships, []) : (allUnits.Where(u => u.Code.Length <= 6).ToList(), townships);
    }

    /// <summary>Which layer versions each factor reads (only the top raster of a raster kind); an incremental run loads just what changed.</summary>
    private static async Task<(Dictionary<string, List<LayerInfo>>, HashSet<string> CoverageSurveys)> FactorSourcesAsync(
        RiskModel model,
        IReadOnlyList<LayerInfo> layers,
        IReadOnlyDictionary<string, int> ranks, InputTracker tracker)
    {
        var factorSources = new Dictionary<string, List<LayerInfo>>(StringComparer.Ordinal);
        var coverageSurveys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var factor in model.Factors)
        {
            var sources = LayersOf(layers, factor.Source.Kind, factor.Source.Layers, ranks);
            if (factor.Source.LayerKind.IsRaster())
            {
                var top = sources.LastOrDefault() ?? throw new InvalidInputException(
                    "missing-input", $"Factor '{factor.Id}' needs a {factor.Source.Kind} layer; none is loaded.");
                sources = [top];
            }

            foreach (var l in sources)
            {
                await tracker.TrackAsync(l, factor.Id);
                if (factor.Source.LayerKind == LayerKind.HazardZones)
                {
                    coverageSurveys.Add(l.SurveyId);
                }
            }

            factorSources[factor.Id] = sources;
        }

        return (factorSources, coverageSurveys);
    }

    private static async Task<List<HazardPointInput>> HazardPointsAsync(
        RiskModel model,
        IReadOnlyList<LayerInfo> layers,
        IReadOnlyDictionary<string, int> ranks,
        InputTracker tracker, CoordinateTransformation toGrid)
    {
        var hazardPoints = new List<HazardPointInput>();
        foreach (var l in LayersOf(layers, model.HazardPointKind, null, ranks))
        {
            foreach (var f in await tracker.FeaturesAsync(l, "hazard-points"))
            {
                var p = f.Geometry is Point pt ? pt : f.Geometry.InteriorPoint;
                var g = (Point)GeometryReprojector.Transform(p, toGrid);
                var id = f.Attributes.GetValueOrDefault("point_id")?.ToString() is { Length: > 0 } pid ? $"{l.SurveyId}/{pid}" : $"{l.Id}#{f.Id}";
                var people = f.Attributes.GetValueOrDefault("threatened_people") is { } tp ? Convert.ToInt32(tp, CultureInfo.InvariantCulture) : 0;
                hazardPoints.Add(new HazardPointInput(id, g.X, g.Y, people));
            }
        }

        return hazardPoints;
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
}
