using System.Collections.Concurrent;
using System.Globalization;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Spatial;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Raster;
using GeoRisk.Raster.Rasterize;
using NetTopologySuite.Densify;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Distance;

namespace GeoRisk.Services;

/// <summary>
/// Answers "what is the risk here?" from the current zoning run and the stored layers: the grade and index with each
/// factor's contribution, the survey that answered, the faults around the site with the GB 50011 setback verdict, flood
/// scenarios, seismic zoning, nearby hazard points, whether the site may be a 危险地段, and the caveats a planner must
/// read. Distances are geodesic (a projection centred on the site), areas equal-area (docs/DOMAIN.md §10).
/// </summary>
public sealed class SiteRiskService(IGeoRiskStore store, SiteRiskOptions? options = null)
{
    public const double NearbyHazardRadiusM = 2000;
    private const double SearchDegrees = 0.5;

    /// <summary>Lines are densified to this spacing in lon/lat before projecting, so each edge keeps its lon/lat shape (≈ 0.5 km).</summary>
    private const double DensifyDegrees = 0.005;

    private static readonly string[] s_dangerousHazardTypes =
        ["滑坡", "崩塌", "泥石流", "地面塌陷", "地裂缝", "landslide", "rockfall", "collapse", "debris", "fissure", "sinkhole"];

    // Scenario lists (return periods) of flood layer versions: versions are immutable, so the key is the version.
    private static readonly ConcurrentDictionary<string, int[]> s_floodScenarios = new(StringComparer.Ordinal);

    private readonly SiteRiskOptions _options = options ?? new SiteRiskOptions();

    /// <summary>The layer kinds whose features a site answer reads (kept in memory between answers by <see cref="SiteDataCache"/>).</summary>
    internal static IReadOnlySet<LayerKind> LayerKindsRead { get; } = new HashSet<LayerKind>
    {
        LayerKind.AdminUnits, LayerKind.HazardZones, LayerKind.PgaZoning, LayerKind.ActiveFaults, LayerKind.HazardPoints, LayerKind.FloodZones,
    };

    /// <summary>Reads what the first answers on this store would read, ahead of them (at start-up, in the background).</summary>
    public static Task WarmUpAsync(IGeoRiskStore store, CancellationToken cancellationToken = default) =>
        SiteDataCache.For(store).WarmUpAsync(cancellationToken);

    /// <summary>
    /// The product whose zones carry the prevention zoning (docs/DOMAIN.md §5): risk, or susceptibility for runs without one.
    /// </summary>
    internal static ZoningProduct PreventionProduct(ZoningRunRecord record) =>
        record.Product(ZoningProduct.Risk) is null ? ZoningProduct.Susceptibility : ZoningProduct.Risk;

    /// <summary>The cache answers read through: the store's own, or one given (tests: a zero budget reads everything from the store).</summary>
    internal SiteDataCache? Cache { get; init; }

    public async Task<SiteRiskAnswer> AssessAsync(SiteQuery query, CancellationToken cancellationToken = default)
    {
        using var site = await SiteContext.CreateAsync(Cache ?? SiteDataCache.For(store), query, cancellationToken);
        var admin = await AdminAsync(site);
        var (zoning, record) = await ZoningAsync(site);
        var (survey, edges) = await SurveyAsync(site);
        var seismic = await SeismicAsync(site);
        var intensity = ResolveIntensity(query.Intensity, seismic, site.Caveats);
        var faults = await FaultsAsync(site, intensity);
        var points = await HazardPointsAsync(site);
        var flood = await FloodAsync(site);
        var dangerous = DangerousSection(faults, points);
        var constraints = Constraints(zoning, faults);
        var versions = record is null ? [] : record.Inputs.Select(i => new InputVersion(i.Layer, i.Version)).ToList();
        return new SiteRiskAnswer(site.Info, admin, zoning, survey, edges, faults, points, seismic, flood, dangerous, constraints, site.Caveats, versions);
    }

    private static async Task<AdminAnswer?> AdminAsync(SiteContext site)
    {
        var admin = (await site.NearAsync(LayerKind.AdminUnits, 0)).Where(a => PointInArea.Covers(a.Feature.Geometry, site.Point))
            .Select(a => new AdminAnswer(Text(a.Feature, "code") ?? "", Text(a.Feature, "name") ?? "", Text(a.Feature, "name_en"))).FirstOrDefault();
        if (admin is null)
        {
            site.Caveats.Add("The site lies outside every loaded admin unit.");
        }

        return admin;
    }

    private async Task<(ZoningAnswer?, ZoningRunRecord?)> ZoningAsync(SiteContext site)
    {
        var run = site.Catalog.Run;
        if (run is null)
        {
            site.Caveats.Add("No zoning run has been computed yet: no grade or index is available.");
            return (null, null);
        }

        var record = ZoningRunRecord.Parsed(run);
        var zoning = SiteZoningReader.Read(run, record, site.Geometry, site.Point, site.Caveats);
        if (zoning is null)
        {
            return (null, record);
        }

        if (site.Geometry is not Point &&
            await SiteZoningReader.ParcelExposureAsync(store, site.Layers, run, record, site.Geometry, site.CancellationToken) is { } exposure)
        {
            zoning = zoning with
            {
                ExposurePerGrade = exposure.GetValueOrDefault(SiteZoningReader.Product),
                Products =
                    zoning.Products.Select(p => ZoningRunRecord.TryParseProduct(p.Product, out var product) && exposure.TryGetValue(product, out var rows)
                    ? p with { ExposurePerGrade = rows } : p).ToList(),
            };
        }

        // Prevention zoning is an attribute of the zone polygons of the risk product (docs/DOMAIN.md §5), or of the
        // susceptibility zones for runs without one.
        var preventionProduct = PreventionProduct(record);
        var zone = (await site.Cache.ZonesAsync(run, preventionProduct, site.Point.EnvelopeInternal, site.CancellationToken))
            .FirstOrDefault(z => PointInArea.Covers(z.Geometry, site.Point));
        if (Grades.PreventionOf(Text(zone, "prevention")) is { } p)
        {
            zoning = zoning with { Prevention = new PreventionAnswer(
                p.Id, p.En, p.Zh, zone!.Attributes.GetValueOrDefault("zone_id") is { } id ? Convert.ToInt32(id, CultureInfo.InvariantCulture) : null) };
        }

        return (zoning, record);
    }

    /// <summary>
    /// The survey that answers (highest precedence whose coverage holds the site), and every coverage whose edge is within
    /// its positional uncertainty of the site, inside or outside: a site just outside a 1:10000 coverage may belong to it.
    /// </summary>
    private async Task<(SurveyAnswer?, IReadOnlyList<CoverageEdgeAnswer>)> SurveyAsync(SiteContext site)
    {
        var surveys = SurveyPrecedence.Rank(site.Surveys);
        var hazardZoneLayers = site.Layers.Where(l => l.Kind == LayerKind.HazardZones).ToList();
        SurveyAnswer? answer = null;
        var edges = new List<CoverageEdgeAnswer>();
        foreach (var s in surveys.Where(s => hazardZoneLayers.Any(l => l.SurveyId == s.Id)))
        {
            var coverage = await site.Cache.CoverageAsync(site.Catalog, s.Id, site.CancellationToken);
            if (coverage is null)
            {
                continue;
            }

            var inside = PointInArea.Covers(coverage, site.Point);
            var toEdge = site.DistanceM(coverage.Boundary);
            // ~0.5 mm at map scale (docs/DOMAIN.md §5): 25 m at 1:50000, 5 m at 1:10000.
            var tolerance = s.ScaleDenominator > 0 ? s.ScaleDenominator * 0.0005 : 0;
            var near = toEdge <= tolerance;
            if (near)
            {
                edges.Add(new CoverageEdgeAnswer(s.Id, s.ScaleDenominator, inside, Math.Round(toEdge, 1), tolerance, true));
                site.Caveats.Add(inside
                    ? $"The site is {toEdge:0.0} m inside the edge of {s.Id}'s coverage, within its positional uncertainty ({tolerance:0} m at 1:{s.ScaleDenominator})."
                    : $"The site is {toEdge:0.0} m outside {s.Id}'s coverage (1:{s.ScaleDenominator}), within its positional uncertainty ({tolerance:0} m): that survey may apply here.");
            }

            if (!inside || answer is not null)
            {
                continue;
            }

            answer = new SurveyAnswer(
                s.Id, s.Title, s.ScaleDenominator, s.AcceptedOn, await SurveyedGradeAsync(site, hazardZoneLayers, s.Id), near, Math.Round(toEdge, 1));
        }

        if (answer is null)
        {
            site.Caveats.Add("No geological hazard survey covers the site.");
        }
        else if (answer.ScaleDenominator > 10000)
        {
            site.Caveats.Add($"Only a 1:{answer.ScaleDenominator} survey covers the site; there is no 1:10000 fine survey here.");
        }

        return (answer, edges);
    }

    private static async Task<int?> SurveyedGradeAsync(SiteContext site, IEnumerable<LayerInfo> hazardZoneLayers, string surveyId)
    {
        int? grade = null;
        foreach (var l in hazardZoneLayers.Where(l => l.SurveyId == surveyId))
        {
            var hit = (await site.Cache.FeaturesAsync(l, site.Point.EnvelopeInternal, site.CancellationToken))
                .FirstOrDefault(f => PointInArea.Covers(f.Geometry, site.Point));
            if (hit?.Attributes.GetValueOrDefault("grade") is { } g)
            {
                grade = Convert.ToInt32(g, CultureInfo.InvariantCulture);
            }
        }

        return grade;
    }

    private static async Task<SeismicAnswer?> SeismicAsync(SiteContext site)
    {
        foreach (var (l, f) in await site.NearAsync(LayerKind.PgaZoning, 0))
        {
            if (PointInArea.Covers(f.Geometry, site.Point) && f.Attributes.GetValueOrDefault("pga_g") is { } pga)
            {
                var g = Convert.ToDouble(pga, CultureInfo.InvariantCulture);
                var intensity = DesignIntensity.FromPga(g);
                return new SeismicAnswer(g, intensity?.AccelerationG, intensity?.Degree, intensity?.Label, l.Id);
            }
        }

        return null;
    }

    /// <summary>The design intensity for the setback: as asked (with the zoning's acceleration when it agrees), from the PGA zoning, or assumed.</summary>
    internal static IntensityAnswer ResolveIntensity(DesignIntensity? asked, SeismicAnswer? seismic, List<string> caveats)
    {
        var zoned = seismic?.PgaClassG is { } cls ? DesignIntensity.FromPga(cls) : null;
        if (asked is not null)
        {
            if (asked.AccelerationG is null && zoned?.Degree == asked.Degree)
            {
                var withAcceleration = asked with { AccelerationG = zoned.AccelerationG };
                return new IntensityAnswer(
                    asked.Degree, zoned.AccelerationG, withAcceleration.Label, withAcceleration.LabelEn, $"request; acceleration from {seismic!.Layer}");
            }

            if (asked.AccelerationG is null)
            {
                caveats.Add($"Intensity {asked.Label} was given without its design basic acceleration (pass pga=, e.g. 0.20 or 0.30 for 8度).");
            }

            return new IntensityAnswer(asked.Degree, asked.AccelerationG, asked.Label, asked.LabelEn, "request");
        }

        if (zoned is not null)
        {
            caveats.Add($"Design intensity {zoned.Label} derived from the loaded PGA zoning ({seismic!.Layer}, {seismic.PgaG:0.00}g) by the GB 18306-2015 classes " +
                "(docs/DOMAIN.md §7); pass intensity= and pga= to override.");
            return new IntensityAnswer(zoned.Degree, zoned.AccelerationG, zoned.Label, zoned.LabelEn, $"PGA zoning {seismic.Layer}");
        }

        caveats.Add("No design intensity was given and no PGA zoning covers the site; 8度 was assumed for the setback.");
        var assumed = DesignIntensity.Create(8);
        return new IntensityAnswer(8, null, assumed.Label, assumed.LabelEn, "assumed");
    }

    /// <summary>
    /// Folds and other structures are left out; the setback is decided by the nearest fault that can govern it
    /// (Holocene-active or undated), even when an older fault is closer (GB 50011 §4.1.7 item 1(2)).
    /// </summary>
    private async Task<FaultsAnswer> FaultsAsync(SiteContext site, IntensityAnswer intensity)
    {
        var candidates = await site.NearAsync(LayerKind.ActiveFaults, SearchDegrees);
        if (!candidates.Any(c => FaultTrace.ClassifyStructure(Text(c.Feature, "structure"), Text(c.Feature, "sense")) == StructureKind.Fault))
        {
            candidates = await site.NearAsync(LayerKind.ActiveFaults, 5 * SearchDegrees);
        }

        var surveyScales = site.Surveys.ToDictionary(s => s.Id, s => s.ScaleDenominator, StringComparer.Ordinal);
        var traces =
            candidates.Select(c => new FaultCandidate(c.Layer, c.Feature, FaultTrace.FromAttributes(c.Feature.Attributes, $"{c.Layer.Id}#{c.Feature.Id}",
            surveyScales.GetValueOrDefault(c.Layer.SurveyId), _options.DefaultFaultUncertaintyM))).ToList();
        var excluded = traces.Where(t => !t.Trace.IsFault).ToList();
        var faults = NearestFirst(site, traces.Where(t => t.Trace.IsFault).ToList(), t => t.Trace.CanGovernSetback)
            .Select(t => (t.Candidate.Layer, t.Candidate.Trace, t.Measured)).ToList();
        var nearest = faults.Count > 0 ? Describe(faults[0]) : null;
        var governing = faults.Where(f => f.Trace.CanGovernSetback).Select(Describe).FirstOrDefault();
        if (faults.Count == 0)
        {
            site.Caveats.Add($"No active fault is loaded within {5 * SearchDegrees}° of the site.");
        }

        if (excluded.Count > 0)
        {
            site.Caveats.Add(excluded.Count == 1
                ? "1 fold axis or other structure in the fault layers was left out: it is not a fault (docs/DOMAIN.md §6.3)."
                : $"{excluded.Count} fold axes or other structures in the fault layers were left out: they are not faults (docs/DOMAIN.md §6.3).");
        }

        var setback = Setback(site, intensity, governing, faults.Count > 0);
        double? nearestExcluded = excluded.Count > 0
            ? Math.Round(NearestFirst(site, excluded, _ => false)[0].Measured.DistanceM, 1)
            : null;
        return new FaultsAnswer(governing, nearest, setback, excluded.Count, nearestExcluded);
    }

    /// <summary>
    /// The candidates that can be nearest, measured and sorted by distance: the nearest of all and the nearest for which
    /// <paramref name="wanted"/> holds. Features are measured in order of a lower bound on their distance (from their lon/lat
    /// envelope) and the rest skipped once the bound passes both: projecting every long trace in half a degree per query
    /// cost most of a site answer's time.
    /// </summary>
    private static List<(FaultCandidate Candidate, (double DistanceM, double Lon, double Lat) Measured)> NearestFirst(SiteContext site,
        IReadOnlyList<FaultCandidate> candidates, Func<FaultCandidate, bool> wanted)
    {
        var measured = new List<(FaultCandidate, (double DistanceM, double Lon, double Lat))>();
        double best = double.PositiveInfinity, bestWanted = double.PositiveInfinity;
        foreach (var (candidate, bound) in candidates.Select(c => (c, site.LowerBoundM(c.Feature.Geometry.EnvelopeInternal))).OrderBy(c => c.Item2))
        {
            if (bound > best && bound > bestWanted)
            {
                break;
            }

            var m = site.Measure(candidate.Feature.Geometry);
            measured.Add((candidate, m));
            best = Math.Min(best, m.DistanceM);
            if (wanted(candidate))
            {
                bestWanted = Math.Min(bestWanted, m.DistanceM);
            }
        }

        return measured.OrderBy(m => m.Item2.DistanceM).ThenBy(m => m.Item1.Trace.Id, StringComparer.Ordinal).ToList();
    }

    private sealed record FaultCandidate(LayerInfo Layer, GeoFeature Feature, FaultTrace Trace);

    private SetbackAnswer Setback(SiteContext site, IntensityAnswer intensity, FaultAnswer? governing, bool anyFault)
    {
        var category = site.Query.Category;
        var design = DesignIntensity.Create(Math.Clamp(intensity.Degree, 6, 9), intensity.AccelerationG);
        if (governing is null)
        {
            var why = anyFault
                ? "Every fault found near the site is recorded as not Holocene-active"
                : "No fault is loaded near the site";
            return new SetbackAnswer(
                category.ToString(),
                FaultSetback.Chinese(category),
                intensity,
                "pass",
                FaultSetback.VerdictZh(SetbackVerdict.Pass),
                null,
                null,
                FaultSetback.Standard, "§4.1.7 item 1", $"{why}: no setback applies ({FaultSetback.Standard} §4.1.7).",
                anyFault
                    ? "场地附近断裂均为非全新世活动断裂，可不考虑避让（第4.1.7条第1款）。"
                    : "场地附近无已加载的断裂。");
        }

        if (governing.Activity == nameof(FaultActivity.Unknown).ToLowerInvariant())
        {
            site.Caveats.Add($"Fault {governing.Id}'s latest activity is not recorded: it was treated as Holocene-active (conservative).");
        }

        var assessment = FaultSetback.Assess(new SetbackQuestion(governing.DistanceM, governing.PositionalUncertaintyM, design, category,
            FaultTrace.ClassifyActivity(governing.ActivityText), BuriedUnderM: null, _options.SpecialStudyRadiusM));
        if (assessment.Verdict == SetbackVerdict.Indeterminate)
        {
            site.Caveats.Add($"The trace of {governing.Id} is located to ±{governing.PositionalUncertaintyM:0} m ({governing.UncertaintyBasis}): " +
                "a setback verdict needs a surveyed trace (活动断层探测).");
        }

        return new SetbackAnswer(
            category.ToString(),
            FaultSetback.Chinese(category),
            intensity,
            assessment.VerdictId,
            FaultSetback.VerdictZh(assessment.Verdict),
            assessment.RequiredM, governing.PositionalUncertaintyM, FaultSetback.Standard, assessment.Clause, assessment.Basis, assessment.BasisZh);
    }

    private static FaultAnswer Describe((LayerInfo Layer, FaultTrace Trace, (double DistanceM, double Lon, double Lat) Measured) f) =>
        new(f.Trace.Id, f.Trace.Name, f.Trace.Source, f.Layer.Id, f.Trace.Structure.ToString().ToLowerInvariant(), f.Trace.Sense, f.Trace.SlipRateMmA,
            ActivityId(f.Trace.Activity), f.Trace.ActivityText, f.Trace.PositionalUncertaintyM, f.Trace.UncertaintyBasis, Math.Round(f.Measured.DistanceM, 1),
            [Math.Round(f.Measured.Lon, 7), Math.Round(f.Measured.Lat, 7)]);

    private static string ActivityId(FaultActivity a) => a switch
    {
        FaultActivity.Holocene => "holocene",
        FaultActivity.LatePleistocene => "late-pleistocene",
        FaultActivity.Older => "older",
        _ => "unknown",
    };

    private static async Task<List<HazardPointAnswer>> HazardPointsAsync(SiteContext site) =>
        (await site.NearAsync(LayerKind.HazardPoints, 0.05))
            .Select(h => (h.Layer, h.Feature, Distance: site.DistanceM(h.Feature.Geometry)))
            .Where(h => h.Distance <= NearbyHazardRadiusM).OrderBy(h => h.Distance).Take(10)
            .Select(h => new HazardPointAnswer(Text(h.Feature, "point_id"), Text(h.Feature, "hazard_type"), Math.Round(h.Distance, 1),
                h.Feature.Attributes.GetValueOrDefault("threatened_people") is { } tp
                    ? Convert.ToInt32(tp, CultureInfo.InvariantCulture)
                    : 0, h.Layer.Id)).ToList();

    /// <summary>One entry per scenario of every flood layer (each return period it holds), inside or not, wherever the site is.</summary>
    private static async Task<List<FloodAnswer>> FloodAsync(SiteContext site)
    {
        var answers = new List<FloodAnswer>();
        foreach (var layer in site.Layers.Where(l => l.Kind == LayerKind.FloodZones).OrderBy(l => l.Id, StringComparer.Ordinal))
        {
            var scenarios = await ScenariosAsync(site, layer);
            var here = (await site.Cache.FeaturesAsync(layer, site.Geometry.EnvelopeInternal, site.CancellationToken))
                .Where(f => f.Geometry.Intersects(site.Geometry)).ToList();
            foreach (var rp in scenarios)
            {
                // Nested extents may overlap: the deepest feature of the scenario at the site is reported.
                var inside = here.Where(f => ReturnPeriod(f) == rp).OrderByDescending(f => Number(f, "depth_m") ?? double.NegativeInfinity).FirstOrDefault();
                var depth = Number(inside, "depth_m");
                var depthClass = FloodDepth.ClassOf(depth);
                answers.Add(new FloodAnswer(rp, inside is not null, depth, depthClass?.Id, depthClass?.Zh, Number(inside, "velocity_m_s"), layer.Id));
            }
        }

        return answers;
    }

    private static async Task<int[]> ScenariosAsync(SiteContext site, LayerInfo layer)
    {
        var key = $"{layer.Id}@{layer.CurrentVersion}";
        if (s_floodScenarios.TryGetValue(key, out var known))
        {
            return known;
        }

        var all = await site.Cache.AllFeaturesAsync(layer, site.CancellationToken);
        return s_floodScenarios.GetOrAdd(key, all.Select(ReturnPeriod).Where(rp => rp > 0).Distinct().Order().ToArray());
    }

    private static int ReturnPeriod(GeoFeature f) =>
        f.Attributes.GetValueOrDefault("return_period_yr") is { } rp ? Convert.ToInt32(rp, CultureInfo.InvariantCulture) : 0;

    /// <summary>
    /// GB 50011-2010 (2016 ed.) Table 4.1.1 names as dangerous the places where landslides, rockfalls, ground collapse, ground
    /// fissures or debris flows may occur in an earthquake, and the parts of a seismogenic fault zone where surface rupture may occur.
    /// </summary>
    private DangerousSectionAnswer DangerousSection(FaultsAnswer faults, IReadOnlyList<HazardPointAnswer> points)
    {
        var reasons = new List<string>();
        var flag = "no";
        if (faults.Governing is { } g && g.DistanceM <= g.PositionalUncertaintyM)
        {
            flag = "possible";
            reasons.Add($"The trace of fault {g.Id} ({g.Activity} activity) may pass under the site: {g.DistanceM:0} m away, located to ±{g.PositionalUncertaintyM:0} m; " +
                "surface rupture is possible on a seismogenic fault zone.");
        }

        foreach (var p in points.Where(p => p.DistanceM <= _options.DangerousHazardPointRadiusM &&
            s_dangerousHazardTypes.Any(t => p.Type?.Contains(t, StringComparison.OrdinalIgnoreCase) == true)))
        {
            flag = "possible";
            reasons.Add($"Mapped {p.Type} {p.Id} is {p.DistanceM:0} m from the site (within {_options.DangerousHazardPointRadiusM:0} m).");
        }

        if (flag == "possible")
        {
            reasons.Add("A site investigation decides whether the site is a 危险地段; GB 50011 §3.3.1 and §4.1.1 restrict building there.");
        }

        return new DangerousSectionAnswer(flag, reasons, "GB 50011-2010 (2016 ed.) §4.1.1, Table 4.1.1");
    }

    private static List<string> Constraints(ZoningAnswer? zoning, FaultsAnswer faults)
    {
        var constraints = new List<string>();
        var worst = zoning?.WorstGrade ?? zoning?.Grade;
        if (worst >= 3)
        {
            constraints.Add($"Hazardous-chemical enterprises are not permitted in high or very-high {zoning!.Product} areas (bureau policy).");
        }

        switch (faults.Setback.Verdict)
        {
            case "fail":
                constraints.Add("Inside a fault setback: hazardous industry not permitted; " + faults.Setback.Basis);
                break;
            case "indeterminate":
                constraints.Add("Near a fault setback: no building permit for the category before a surveyed trace (活动断层探测) settles the distance.");
                break;
            case "special-study":
                constraints.Add("Category 甲: the avoidance distance is set by a special study (GB 50011 Table 4.1.7).");
                break;
        }

        return constraints;
    }

    private static string? Text(GeoFeature? f, string name) =>
        f?.Attributes.GetValueOrDefault(name) is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;

    private static double? Number(GeoFeature? f, string name) =>
        f?.Attributes.GetValueOrDefault(name) is { } v ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : null;

    /// <summary>Per-request state: the site, its projections, the store's layers and the caveats collected on the way.</summary>
    private sealed class SiteContext : IDisposable
    {
        private readonly LocalProjectionPool.Pair _local;
        private readonly Geometry _siteLocal;

        private SiteContext(SiteDataCache cache, SiteDataCache.Catalog catalog, SiteQuery query, CancellationToken cancellationToken)
        {
            Cache = cache;
            Catalog = catalog;
            Query = query;
            CancellationToken = cancellationToken;
            Point = query.Geometry is NetTopologySuite.Geometries.Point p ? p : query.Geometry.InteriorPoint;
            _local = LocalProjectionPool.Rent(Point.X, Point.Y);
            _siteLocal = Project(query.Geometry);
            double? area = null;
            if (query.Geometry is not NetTopologySuite.Geometries.Point)
            {
                using var toEqualArea = SiteProjection.ToEqualArea(Point.X, Point.Y);
                area = Math.Round(GeometryReprojector.Transform(Densifier.Densify(query.Geometry, DensifyDegrees), toEqualArea).Area, 1);
            }

            Info = new SiteQueryInfo(query.Geometry is NetTopologySuite.Geometries.Point ? "point" : "parcel", Point.X, Point.Y, query.Crs, area,
                "geodesic on the CGCS2000 ellipsoid (azimuthal equidistant projection centred within 0.005° of the site)");
        }

        public SiteQuery Query { get; }

        public Geometry Geometry => Query.Geometry;

        public Point Point { get; }

        /// <summary>The store's data as this answer reads it: the catalog once per answer, features and zones from memory when warm.</summary>
        public SiteDataCache Cache { get; }

        public SiteDataCache.Catalog Catalog { get; }

        public IReadOnlyList<LayerInfo> Layers => Catalog.Layers;

        /// <summary>The store's surveys (coverage precedence and fault trace scales).</summary>
        public IReadOnlyList<SurveyInfo> Surveys => Catalog.Surveys;

        public CancellationToken CancellationToken { get; }

        public SiteQueryInfo Info { get; }

        public List<string> Caveats { get; } = [];

        public static async Task<SiteContext> CreateAsync(SiteDataCache cache, SiteQuery query, CancellationToken cancellationToken) =>
            new(cache, await cache.CatalogAsync(cancellationToken), query, cancellationToken);

        /// <summary>Features of every layer of a kind whose envelope is within <paramref name="degrees"/> of the site.</summary>
        public async Task<List<(LayerInfo Layer, GeoFeature Feature)>> NearAsync(LayerKind kind, double degrees)
        {
            var env = new Envelope(Geometry.EnvelopeInternal);
            env.ExpandBy(degrees);
            var found = new List<(LayerInfo, GeoFeature)>();
            foreach (var l in Layers.Where(l => l.Kind == kind))
            {
                foreach (var f in await Cache.FeaturesAsync(l, env, CancellationToken))
                {
                    found.Add((l, f));
                }
            }

            return found;
        }

        /// <summary>
        /// A lower bound on the distance from the site to anything inside a lon/lat envelope: degrees to metres with the
        /// smallest lengths a degree has on the ellipsoid there (1 % margin), so it never exceeds the geodesic distance.
        /// </summary>
        public double LowerBoundM(Envelope env)
        {
            var dLon = Math.Max(0, Math.Max(env.MinX - Point.X, Point.X - env.MaxX));
            var dLat = Math.Max(0, Math.Max(env.MinY - Point.Y, Point.Y - env.MaxY));
            var maxAbsLat = Math.Min(89.9, Math.Max(Math.Abs(Point.Y), Math.Max(Math.Abs(env.MinY), Math.Abs(env.MaxY))));
            var x = dLon * 111_320 * Math.Cos(maxAbsLat * Math.PI / 180);
            var y = dLat * 110_574;
            return 0.99 * Math.Sqrt((x * x) + (y * y));
        }

        /// <summary>Geodesic distance in metres from the site to a lon/lat geometry (0 when they touch).</summary>
        public double DistanceM(Geometry g) => _siteLocal.Distance(Project(g));

        /// <summary>The distance and the lon/lat of the nearest point of a geometry.</summary>
        public (double DistanceM, double Lon, double Lat) Measure(Geometry g)
        {
            var local = Project(g);
            var nearest = DistanceOp.NearestPoints(_siteLocal, local)[1];
            var xs = new[] { nearest.X };
            var ys = new[] { nearest.Y };
            _local.FromLocal.Transform(xs, ys);
            return (_siteLocal.Distance(local), xs[0], ys[0]);
        }

        // Densified first, so an edge that is straight in lon/lat (a parallel, a digitised segment) keeps that shape. Of a long
        // line only the segments that can hold the nearest point are projected: projecting every vertex of a county outline or
        // a 300 km fault per query cost most of an answer's time.
        private Geometry Project(Geometry g) =>
            GeometryReprojector.Transform(g is NetTopologySuite.Geometries.Point ? g : Densifier.Densify(NearPart(g), DensifyDegrees), _local.ToLocal);

        /// <summary>
        /// The segments of a line whose distance, measured in a local equirectangular approximation (good to about 1 % within a
        /// few degrees), is within 10 % + 500 m of the nearest one's; other geometries unchanged.
        /// </summary>
        private Geometry NearPart(Geometry g)
        {
            if (g is not ILineal || g.NumPoints <= 2)
            {
                return g;
            }

            var kx = 111_320 * Math.Cos(Point.Y * Math.PI / 180);
            const double Ky = 110_574;
            double Approx(Coordinate a, Coordinate b)
            {
                double ax = (a.X - Point.X) * kx, ay = (a.Y - Point.Y) * Ky, bx = (b.X - Point.X) * kx, by = (b.Y - Point.Y) * Ky;
                double dx = bx - ax, dy = by - ay, len2 = (dx * dx) + (dy * dy);
                var t = len2 == 0 ? 0 : Math.Clamp(-((ax * dx) + (ay * dy)) / len2, 0, 1);
                double px = ax + (t * dx), py = ay + (t * dy);
                return Math.Sqrt((px * px) + (py * py));
            }

            var segments = new List<(Coordinate A, Coordinate B, double D)>();
            for (var i = 0; i < g.NumGeometries; i++)
            {
                var c = g.GetGeometryN(i).Coordinates;
                for (var k = 0; k + 1 < c.Length; k++)
                {
                    segments.Add((c[k], c[k + 1], Approx(c[k], c[k + 1])));
                }
            }

            // A parcel reaches its own extent beyond the interior point the approximation measures from.
            var env = Geometry.EnvelopeInternal;
            var reach = Math.Sqrt(Math.Pow(env.Width * kx, 2) + Math.Pow(env.Height * Ky, 2));
            var limit = (segments.Min(s => s.D) * 1.1) + 500 + reach;
            return g.Factory.CreateMultiLineString(segments.Where(s => s.D <= limit).Select(s => g.Factory.CreateLineString([s.A, s.B])).ToArray());
        }

        public void Dispose()
        {
            LocalProjectionPool.Return(_local);
        }
    }
}
