using System.Globalization;
using GeoRisk.Core;
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
using NetTopologySuite.Geometries;

namespace GeoRisk.Services;

public sealed record SiteQueryInfo(string Type, double Lon, double Lat, string Crs, double? AreaM2);

public sealed record AdminAnswer(string Code, string Name, string? NameEn);

public sealed record FactorContribution(string Id, string? Title, string? TitleZh, int Class, string ClassLabel, double Score, double? Weight, double Contribution);

public sealed record GradeArea(int Grade, string Label, double AreaM2, double Share);

public sealed record ZoningAnswer(int RunId, string Model, string ModelHash, DateTimeOffset RunCreatedAt, string Method, int Grade, string Label, string LabelZh, string Colour,
    double Index, IReadOnlyList<double> Breaks, IReadOnlyList<FactorContribution> Factors, IReadOnlyList<GradeArea>? AreaPerGrade, int? WorstGrade);

public sealed record SurveyAnswer(string SurveyId, string Title, int ScaleDenominator, DateOnly? AcceptedOn, int? SurveyedGrade, bool NearCoverageBoundary, double DistanceToBoundaryM);

public sealed record SetbackAnswer(string Category, string CategoryZh, int Intensity, string IntensitySource, string Verdict, double? RequiredM, string Basis);

public sealed record FaultAnswer(string? Name, string Layer, string? LatestActivity, double DistanceM, SetbackAnswer Setback);

public sealed record HazardPointAnswer(string? Id, string? Type, double DistanceM, int ThreatenedPeople, string Layer);

public sealed record SeismicAnswer(double PgaG, int? Intensity, string Layer);

public sealed record FloodAnswer(int ReturnPeriodYr, bool Inside, double? DepthM, double? VelocityMS, string Layer);

public sealed record InputVersion(string Layer, int Version);

/// <summary>The site-risk answer (DOMAIN §9).</summary>
public sealed record SiteRiskAnswer(SiteQueryInfo Query, AdminAnswer? Admin, ZoningAnswer? Zoning, SurveyAnswer? Survey, FaultAnswer? NearestFault,
    IReadOnlyList<HazardPointAnswer> NearbyHazardPoints, SeismicAnswer? Seismic, IReadOnlyList<FloodAnswer> Flood, IReadOnlyList<string> Constraints,
    IReadOnlyList<string> Caveats, IReadOnlyList<InputVersion> DataVersions);

/// <summary>A site query: a point or a parcel polygon in CGCS2000 lon/lat (already transformed from the client's CRS).</summary>
public sealed record SiteQuery(Geometry Geometry, BuildingCategory Category, int? Intensity, string Crs);

/// <summary>
/// Answers "what is the risk here?" from the current zoning run and the stored layers: grade and index with
/// each factor's contribution, the survey that answered, the nearest active fault with the GB 50011 setback
/// verdict, flood extents, seismic zoning, nearby hazard points and the caveats a planner must read.
/// Distances are measured in the 3° Gauss-Krüger zone of the site (DOMAIN §10).
/// </summary>
public sealed class SiteRiskService(IGeoRiskStore store)
{
    public const double NearbyHazardRadiusM = 2000;
    private const double SearchDegrees = 0.5;

    public async Task<SiteRiskAnswer> AssessAsync(SiteQuery query, CancellationToken cancellationToken = default)
    {
        var site = query.Geometry;
        var point = site is Point p ? p : site.InteriorPoint;
        var caveats = new List<string>();
        var layers = await store.ListLayersAsync(cancellationToken);
        using var lonLat = SpatialReference.FromEpsg(4490);
        using var metric = SpatialReference.FromEpsg(point.X < 82.5 ? 4536 : 4537);
        using var toMetric = CoordinateTransformation.Create(lonLat, metric);
        var siteM = GeometryReprojector.Transform(site, toMetric);
        double? area = site is Point ? null : Math.Round(siteM.Area, 1);
        var queryInfo = new SiteQueryInfo(site is Point ? "point" : "parcel", point.X, point.Y, query.Crs, area);

        async Task<List<(LayerInfo Layer, GeoFeature Feature)>> Near(LayerKind kind, double degrees)
        {
            var env = new Envelope(site.EnvelopeInternal);
            env.ExpandBy(degrees);
            var found = new List<(LayerInfo, GeoFeature)>();
            foreach (var l in layers.Where(l => l.Kind == kind))
            {
                foreach (var f in await store.QueryFeaturesAsync(l.SurveyId, l.Name, env, 100_000, 0, cancellationToken))
                {
                    found.Add((l, f));
                }
            }

            return found;
        }

        double DistanceM(Geometry g) => siteM.Distance(GeometryReprojector.Transform(g, toMetric));

        // Admin unit.
        var admin = (await Near(LayerKind.AdminUnits, 0)).Where(a => PointInArea.Covers(a.Feature.Geometry, point))
            .Select(a => new AdminAnswer(Text(a.Feature, "code") ?? "", Text(a.Feature, "name") ?? "", Text(a.Feature, "name_en"))).FirstOrDefault();
        if (admin is null)
        {
            caveats.Add("The site lies outside every loaded admin unit.");
        }

        // Zoning.
        var run = await store.GetZoningRunAsync(null, cancellationToken);
        var record = run is null ? null : ZoningRunRecord.FromJson(run.RecordJson);
        ZoningAnswer? zoning = null;
        if (run is null)
        {
            caveats.Add("No zoning run has been computed yet: no grade or index is available.");
        }
        else
        {
            zoning = ReadZoning(run, record!, site, point, caveats);
        }

        // The survey that answers (highest precedence whose coverage holds the site).
        var surveys = SurveyPrecedence.Rank(await store.ListSurveysAsync(cancellationToken));
        var hazardZoneLayers = layers.Where(l => l.Kind == LayerKind.HazardZones).ToList();
        SurveyAnswer? survey = null;
        foreach (var s in surveys.Where(s => hazardZoneLayers.Any(l => l.SurveyId == s.Id)))
        {
            var coverage = await store.GetSurveyCoverageAsync(s.Id, cancellationToken);
            if (coverage is null || !PointInArea.Covers(coverage, point))
            {
                continue;
            }

            int? grade = null;
            foreach (var l in hazardZoneLayers.Where(l => l.SurveyId == s.Id))
            {
                var hit = (await store.QueryFeaturesAsync(l.SurveyId, l.Name, point.EnvelopeInternal, 10, 0, cancellationToken)).FirstOrDefault(f => PointInArea.Covers(f.Geometry, point));
                if (hit?.Attributes.GetValueOrDefault("grade") is { } g)
                {
                    grade = Convert.ToInt32(g, CultureInfo.InvariantCulture);
                }
            }

            var toBoundary = DistanceM(coverage.Boundary);
            // ~0.5 mm at map scale (DOMAIN §5): 25 m at 1:50000, 5 m at 1:10000.
            var tolerance = s.ScaleDenominator > 0 ? s.ScaleDenominator * 0.0005 : 0;
            survey = new SurveyAnswer(s.Id, s.Title, s.ScaleDenominator, s.AcceptedOn, grade, toBoundary <= tolerance, Math.Round(toBoundary, 1));
            if (survey.NearCoverageBoundary)
            {
                caveats.Add($"The site is {toBoundary:0} m from the edge of {s.Id}'s coverage, within its positional uncertainty ({tolerance:0} m at 1:{s.ScaleDenominator}).");
            }

            break;
        }

        if (survey is null)
        {
            caveats.Add("No geological hazard survey covers the site.");
        }
        else if (survey.ScaleDenominator > 10000)
        {
            caveats.Add($"Only a 1:{survey.ScaleDenominator} survey covers the site; there is no 1:10000 fine survey here.");
        }

        // Seismic zoning and design intensity.
        SeismicAnswer? seismic = null;
        foreach (var (l, f) in await Near(LayerKind.PgaZoning, 0))
        {
            if (PointInArea.Covers(f.Geometry, point) && f.Attributes.GetValueOrDefault("pga_g") is { } pga)
            {
                var g = Convert.ToDouble(pga, CultureInfo.InvariantCulture);
                seismic = new SeismicAnswer(g, FaultSetback.IntensityFromPga(g), l.Id);
                break;
            }
        }

        int intensity;
        string intensitySource;
        if (query.Intensity is { } asked)
        {
            (intensity, intensitySource) = (asked, "request");
        }
        else if (seismic?.Intensity is { } fromPga)
        {
            (intensity, intensitySource) = (fromPga, $"PGA {seismic.PgaG:0.00}g from {seismic.Layer}");
            caveats.Add("Design intensity derived from the loaded PGA zoning with the GB 18306 bands of DOMAIN §7 (marked 'confirm'); pass intensity= to override.");
        }
        else
        {
            (intensity, intensitySource) = (8, "assumed");
            caveats.Add("No design intensity was given and no PGA zoning covers the site; intensity 8 was assumed for the setback.");
        }

        // Nearest active fault.
        FaultAnswer? fault = null;
        var faults = await Near(LayerKind.ActiveFaults, SearchDegrees);
        if (faults.Count == 0)
        {
            faults = await Near(LayerKind.ActiveFaults, 5 * SearchDegrees);
        }

        if (faults.Count > 0)
        {
            var nearest = faults.Select(f => (f.Layer, f.Feature, Distance: DistanceM(f.Feature.Geometry))).OrderBy(f => f.Distance).ThenBy(f => f.Layer.Id, StringComparer.Ordinal).First();
            var activity = Text(nearest.Feature, "latest_activity");
            var holocene = HoloceneActive(activity);
            if (holocene is null)
            {
                caveats.Add("The nearest fault's latest activity is not recorded; it was treated as Holocene-active (conservative).");
            }

            var assessment = FaultSetback.Assess(nearest.Distance, intensity, query.Category, holocene);
            fault = new FaultAnswer(Text(nearest.Feature, "name") is { Length: > 0 } n ? n : null, nearest.Layer.Id, activity, Math.Round(nearest.Distance, 1),
                new SetbackAnswer(query.Category.ToString(), FaultSetback.Chinese(query.Category), intensity, intensitySource,
                    assessment.Verdict switch { SetbackVerdict.Pass => "pass", SetbackVerdict.Fail => "fail", _ => "special-study" }, assessment.RequiredMetres, assessment.Basis));
        }
        else
        {
            caveats.Add($"No active fault is loaded within {5 * SearchDegrees}° of the site.");
        }

        // Hazard points nearby.
        var points = (await Near(LayerKind.HazardPoints, 0.05))
            .Select(h => (h.Layer, h.Feature, Distance: DistanceM(h.Feature.Geometry)))
            .Where(h => h.Distance <= NearbyHazardRadiusM).OrderBy(h => h.Distance).Take(10)
            .Select(h => new HazardPointAnswer(Text(h.Feature, "point_id"), Text(h.Feature, "hazard_type"), Math.Round(h.Distance, 1),
                h.Feature.Attributes.GetValueOrDefault("threatened_people") is { } tp ? Convert.ToInt32(tp, CultureInfo.InvariantCulture) : 0, h.Layer.Id)).ToList();

        // Flood scenarios: every return period loaded, inside or not.
        var flood = new List<FloodAnswer>();
        foreach (var group in (await Near(LayerKind.FloodZones, 0.5)).GroupBy(f => f.Feature.Attributes.GetValueOrDefault("return_period_yr") is { } rp ? Convert.ToInt32(rp, CultureInfo.InvariantCulture) : 0).OrderBy(g => g.Key))
        {
            var inside = group.FirstOrDefault(f => f.Feature.Geometry.Intersects(site));
            flood.Add(new FloodAnswer(group.Key, inside.Feature is not null, Number(inside.Feature, "depth_m"), Number(inside.Feature, "velocity_m_s"), group.First().Layer.Id));
        }

        var constraints = new List<string>();
        var worst = zoning?.WorstGrade ?? zoning?.Grade;
        if (worst >= 3)
        {
            constraints.Add("Hazardous-chemical enterprises are not permitted in high or very-high risk zones (bureau policy).");
        }

        if (fault?.Setback.Verdict is "fail" or "special-study")
        {
            constraints.Add("Inside a fault setback: hazardous industry not permitted; buildings need the GB 50011 §4.1.7 measures or a special study.");
        }

        var versions = record is null ? [] : record.Inputs.Select(i => new InputVersion(i.Layer, i.Version)).ToList();
        return new SiteRiskAnswer(queryInfo, admin, zoning, survey, fault, points, seismic, flood, constraints, caveats, versions);
    }

    private static ZoningAnswer? ReadZoning(ZoningRunInfo run, ZoningRunRecord record, Geometry site, Point point, List<string> caveats)
    {
        var grid = new GridSpec(record.Grid.Width, record.Grid.Height, GeoTransform.FromGdal(record.Grid.GeoTransform.ToArray()), "");
        using var lonLat = SpatialReference.FromEpsg(4490);
        using var gridSrs = SpatialReference.Parse(record.Grid.Crs);
        using var toGrid = CoordinateTransformation.Create(lonLat, gridSrs);
        var pt = (Point)GeometryReprojector.Transform(point, toGrid);
        var (c, r) = grid.Transform.ToPixel(pt.X, pt.Y);
        int col = (int)Math.Floor(c), row = (int)Math.Floor(r);
        if (col < 0 || row < 0 || col >= grid.Width || row >= grid.Height)
        {
            caveats.Add($"The site lies outside zoning run {run.Id}'s grid.");
            return null;
        }

        // The run's COGs stay open between queries (GDAL keeps their decoded tiles): opening them per query
        // decompressed whole tiles for every cell read, half of a query's CPU.
        var rasters = RasterDatasetPool.Shared;
        var grade = rasters.ReadCell<byte>(run.Rasters["grade"], col, row);
        var index = rasters.ReadCell<float>(run.Rasters["index"], col, row);
        if (grade == 0)
        {
            caveats.Add($"The site lies outside zoning run {run.Id}'s extent.");
            return null;
        }

        var method = record.Model.GetProperty("combination").GetProperty("method").GetString() ?? "";
        var factors = new List<FactorContribution>();
        foreach (var f in record.Factors)
        {
            var cls = rasters.ReadCell<byte>(run.Rasters["factor-" + f.Id], col, row);
            var score = cls < f.ClassScores.Count ? f.ClassScores[cls] : double.NaN;
            factors.Add(new FactorContribution(f.Id, f.Title, f.TitleZh, cls, cls < f.ClassLabels.Count ? f.ClassLabels[cls] : "", score, f.Weight, Math.Round(score * (f.Weight ?? 1), 6)));
        }

        var grades = record.Grades.Count;
        List<GradeArea>? areas = null;
        int? worst = null;
        if (site is not Point)
        {
            var polygon = GeometryReprojector.Transform(site, toGrid);
            var window = Zoning.CellWindow.Of(polygon.EnvelopeInternal, grid);
            if (!window.IsEmpty)
            {
                var mask = new RasterBuffer<float>(window.Width, window.Height);
                new Rasterizer(mask, window.TransformIn(grid), allTouched: false).Burn(polygon, 1);
                var cells = rasters.ReadWindow<byte>(run.Rasters["grade"], window.X, window.Y, window.Width, window.Height);
                var counts = new long[grades + 1];
                for (var i = 0; i < cells.Length; i++)
                {
                    if (mask.Data[i] != 0 && cells[i] is > 0 and var g && g <= grades)
                    {
                        counts[g]++;
                    }
                }

                var total = counts.Sum();
                if (total == 0)
                {
                    // A parcel smaller than a cell covers no cell centre: it takes the grade of the cell under its interior point.
                    counts[grade]++;
                    total = 1;
                    caveats.Add($"The parcel is smaller than a {record.Grid.CellSize} m cell; its grade is that of the cell under it.");
                }

                var cellArea = Math.Abs(grid.Transform.PixelWidth * grid.Transform.PixelHeight);
                areas = Enumerable.Range(1, grades).Select(g => new GradeArea(g, Grades.English(g, grades), Math.Round(counts[g] * cellArea, 1), Math.Round(counts[g] / (double)total, 6))).ToList();
                worst = Enumerable.Range(1, grades).Where(g => counts[g] > 0).Max();
            }
        }

        return new ZoningAnswer(run.Id, run.ModelName, run.ModelHash, run.CreatedAt, method, grade, Grades.English(grade, grades), Grades.Chinese(grade, grades),
            Grades.Colour(grade, grades), Math.Round(index, 6), record.Breaks, factors, areas, worst);
    }

    /// <summary>Holocene activity from the recorded age text: true, false, or null when unknown.</summary>
    internal static bool? HoloceneActive(string? latestActivity)
    {
        if (string.IsNullOrWhiteSpace(latestActivity))
        {
            return null;
        }

        var t = latestActivity.ToLowerInvariant();
        if (t.Contains("holocene", StringComparison.Ordinal) || t.Contains("全新世", StringComparison.Ordinal) || t.Contains("historic", StringComparison.Ordinal))
        {
            return true;
        }

        return t.Contains("pleistocene", StringComparison.Ordinal) || t.Contains("更新世", StringComparison.Ordinal) || t.Contains("pre-", StringComparison.Ordinal) || t.Contains("前第四纪", StringComparison.Ordinal)
            ? false : null;
    }

    private static string? Text(GeoFeature? f, string name) => f?.Attributes.GetValueOrDefault(name) is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;

    private static double? Number(GeoFeature? f, string name) => f?.Attributes.GetValueOrDefault(name) is { } v ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : null;
}
