using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using GeoRisk.Zoning;
using NetTopologySuite.Geometries;

namespace GeoRisk.Services;

/// <summary>
/// One zoning product of a run as a map draws it (docs/DOMAIN.md §1, §4): which product, its grade raster and
/// zones, its grade count, census rows and the terms its title and legend use (易发性区划 / 高易发区 …).
/// </summary>
/// <param name="GradeRaster">Absolute path of the product's grade COG (values 1..<paramref name="GradeCount"/>, 0 nodata).</param>
/// <param name="Census">Area and hazard points per admin unit and grade of this product.</param>
/// <param name="Breaks">The class breaks of the product's index, for the legend (empty when not recorded).</param>
public sealed record ZoningMapProduct(
    ZoningProduct Product, int GradeCount, string GradeRaster, IReadOnlyList<CensusRow> Census, IReadOnlyList<double> Breaks, double? AucHeldOut)
{
    /// <summary>The API token: susceptibility, hazard or risk.</summary>
    public string Token => Product.ToString().ToLowerInvariant();

    public (string En, string Zh) Name => Grades.ProductName(Product);

    public (string En, string Zh) Term(int grade) => Grades.CensusTerm(grade, GradeCount, Product);

    /// <summary>Parses susceptibility|hazard|risk (null → susceptibility); false for anything else.</summary>
    public static bool TryParse(string? value, out ZoningProduct product) => ZoningRunRecord.TryParseProduct(value, out product);

    /// <summary>
    /// The products a run holds (docs/DOMAIN.md §1): susceptibility and hazard, and risk when exposure was loaded; runs
    /// before schema 3 hold only susceptibility.
    /// </summary>
    public static IReadOnlyList<ZoningMapProduct> Of(ZoningRunInfo run)
    {
        var record = ZoningRunRecord.Parsed(run);
        var products = new List<ZoningMapProduct>();
        foreach (var p in SiteZoningReader.ProductsOf(record))
        {
            if (run.Rasters.TryGetValue(ZoningRunRecord.GradeRaster(p.Product), out var grade))
            {
                products.Add(new ZoningMapProduct(p.Product, p.Grades.Count, grade, p.Census, p.Breaks, p.Validation?.AucHeldOut));
            }
        }

        return products;
    }
}

/// <summary>A map layer's feature with what the map labels it by.</summary>
public sealed record MapFeature(Geometry Geometry, string? Label, string? Kind);

/// <summary>
/// Everything a printable zoning map of one admin unit draws, loaded from a store: the product, the unit and its
/// neighbours, zones (grade and prevention class), faults (folds apart), rivers, lakes, hazard points, county
/// seats, and which of the drawn layers are synthetic samples (stated on the map).
/// </summary>
public sealed record ZoningMapData(
    ZoningRunInfo Run,
    ZoningRunRecord Record,
    ZoningMapProduct Product,
    string AdminCode,
    string AdminName,
    string? AdminNameEn,
    Geometry Unit,
    IReadOnlyList<MapFeature> Neighbours,
    IReadOnlyList<GeoFeature> Zones,
    IReadOnlyList<MapFeature> Faults,
    IReadOnlyList<MapFeature> Folds,
    IReadOnlyList<MapFeature> Rivers,
    IReadOnlyList<MapFeature> Lakes,
    IReadOnlyList<MapFeature> HazardPoints,
    IReadOnlyList<MapFeature> Places,
    IReadOnlyList<string> SyntheticLayers)
{
    /// <summary>How far around the unit's envelope features are loaded (degrees; the map frame adds a few per cent).</summary>
    private const double Margin = 0.25;

    /// <summary>Loads the map's data for one admin unit and product of a run.</summary>
    /// <exception cref="KeyNotFoundException">No admin unit with this code is loaded, or the run does not cover it.</exception>
    /// <exception cref="ProductNotInRunException">The run has no such product.</exception>
    public static async Task<ZoningMapData> LoadAsync(
        IGeoRiskStore store, ZoningRunInfo run, ZoningProduct product, string adminCode, CancellationToken ct = default)
    {
        var chosen = ZoningMapProduct.Of(run).FirstOrDefault(p => p.Product == product)
            ?? throw new ProductNotInRunException(run.Id, product, ZoningMapProduct.Of(run).Select(p => p.Token).ToList());
        var layers = await store.ListLayersAsync(ct);
        var surveys = (await store.ListSurveysAsync(ct)).ToDictionary(s => s.Id, StringComparer.Ordinal);
        var (unit, admins) = await AdminUnitsAsync(store, layers, adminCode, ct);
        if (!chosen.Census.Any(c => c.AdminCode == adminCode))
        {
            throw new KeyNotFoundException($"Zoning run {run.Id} does not cover admin unit {adminCode}.");
        }

        var env = unit.Geometry.EnvelopeInternal.Copy();
        env.ExpandBy(Margin);
        var (faults, folds) = FaultsAndFolds(await QueryAsync(store, layers, LayerKind.ActiveFaults, env, ct));
        var record = ZoningRunRecord.Parsed(run);
        var synthetic = await SyntheticLayersAsync(store, layers, surveys, record, ct);
        return new ZoningMapData(
            run,
            record,
            chosen,
            adminCode,
            Text(unit, "name") ?? adminCode,
            Text(unit, "name_en"),
            unit.Geometry,
            NeighbourFeatures(admins, unit, adminCode, env),
            await store.QueryZonesAsync(run.Id, env, int.MaxValue, 0, ct, product),
            faults,
            folds,
            (await QueryAsync(store, layers, LayerKind.Rivers, env, ct))
                .Select(f => new MapFeature(f.Geometry, MapGazetteer.Label(Text(f, "name")), null))
                .ToList(),
            (await QueryAsync(store, layers, LayerKind.Lakes, env, ct))
                .Select(f => new MapFeature(f.Geometry, MapGazetteer.Label(Text(f, "name")), null))
                .ToList(),
            (await QueryAsync(store, layers, LayerKind.HazardPoints, env, ct))
                .Select(f => new MapFeature(f.Geometry, null, Text(f, "hazard_type")))
                .ToList(),
            MapGazetteer.CountySeats.Where(p => env.Contains(p.Lon, p.Lat))
                .Select(p => new MapFeature(new Point(p.Lon, p.Lat), $"{p.NameZh} {p.NameEn}", "seat")).ToList(),
            synthetic);
    }

    /// <summary>The unit with this code (from the first admin layer that has it) and every admin unit loaded.</summary>
    private static async Task<(GeoFeature Unit, List<GeoFeature> Admins)> AdminUnitsAsync(
        IGeoRiskStore store, IReadOnlyList<LayerInfo> layers, string adminCode, CancellationToken ct)
    {
        GeoFeature? unit = null;
        var admins = new List<GeoFeature>();
        foreach (var layer in layers.Where(l => l.Kind == LayerKind.AdminUnits))
        {
            var features = await store.QueryFeaturesAsync(layer.SurveyId, layer.Name, null, 10_000, 0, ct);
            unit ??= features.FirstOrDefault(f => Text(f, "code") == adminCode);
            admins.AddRange(features);
        }

        return (unit ?? throw new KeyNotFoundException($"No admin unit {adminCode} is loaded."), admins);
    }

    /// <summary>The features of every layer of a kind within the envelope.</summary>
    private static async Task<List<GeoFeature>> QueryAsync(
        IGeoRiskStore store, IReadOnlyList<LayerInfo> layers, LayerKind kind, Envelope env, CancellationToken ct)
    {
        var all = new List<GeoFeature>();
        foreach (var layer in layers.Where(l => l.Kind == kind))
        {
            all.AddRange(await store.QueryFeaturesAsync(layer.SurveyId, layer.Name, env, 100_000, 0, ct));
        }

        return all;
    }

    /// <summary>Fold axes are stored with the faults but are not faults (docs/DOMAIN.md §6.3): drawn apart.</summary>
    private static (List<MapFeature> Faults, List<MapFeature> Folds) FaultsAndFolds(List<GeoFeature> traces)
    {
        var faults = new List<MapFeature>();
        var folds = new List<MapFeature>();
        foreach (var f in traces)
        {
            var trace = FaultTrace.FromAttributes(f.Attributes, "");
            (trace.IsFault ? faults : folds).Add(new MapFeature(f.Geometry, trace.Name, trace.Sense));
        }

        return (faults, folds);
    }

    /// <summary>
    /// Which drawn layers and run inputs are synthetic samples: the sample set says so in the survey title, the file
    /// name or a `synthetic` attribute of the features (surveys/README.md).
    /// </summary>
    private static async Task<List<string>> SyntheticLayersAsync(
        IGeoRiskStore store,
        IReadOnlyList<LayerInfo> layers,
        Dictionary<string, GeoRisk.Core.Surveys.SurveyInfo> surveys,
        ZoningRunRecord record,
        CancellationToken ct)
    {
        var synthetic = new SortedSet<string>(StringComparer.Ordinal);
        var drawn = new[] { LayerKind.AdminUnits, LayerKind.HazardPoints, LayerKind.Rivers, LayerKind.Lakes, LayerKind.ActiveFaults };
        foreach (var layer in layers.Where(l => drawn.Contains(l.Kind) || record.Inputs.Any(i => i.Layer == l.Id)))
        {
            var title = surveys.GetValueOrDefault(layer.SurveyId)?.Title ?? "";
            var versions = await store.ListVersionsAsync(layer.SurveyId, layer.Name, ct);
            var file = versions.FirstOrDefault(v => v.Version == layer.CurrentVersion)?.SourceFile ?? "";
            var marked = !layer.Kind.IsRaster()
                && (await store.QueryFeaturesAsync(layer.SurveyId, layer.Name, null, 1, 0, ct)).Any(f => f.Attributes.ContainsKey("synthetic"));
            if (marked || file.Contains("synthetic", StringComparison.OrdinalIgnoreCase) || (title.Contains("synthetic", StringComparison.OrdinalIgnoreCase)
                    && !title.Contains("public data", StringComparison.OrdinalIgnoreCase)))
            {
                synthetic.Add(SyntheticLabel(layer.Kind));
            }
        }

        return [.. synthetic];
    }

    /// <summary>The other admin units near the unit, named for the map.</summary>
    private static List<MapFeature> NeighbourFeatures(List<GeoFeature> admins, GeoFeature unit, string adminCode, Envelope env) =>
        admins.Where(a => a.Id != unit.Id || Text(a, "code") != adminCode).Where(a => a.Geometry.EnvelopeInternal.Intersects(env))
            .Select(a => new MapFeature(a.Geometry, Text(a, "name") ?? Text(a, "code"), Text(a, "name_en"))).ToList();

    private static string SyntheticLabel(LayerKind kind) => kind switch
    {
        LayerKind.AdminUnits => "county boundaries 县界",
        LayerKind.HazardZones => "survey zones 调查分区",
        LayerKind.HazardPoints => "hazard points 隐患点",
        LayerKind.Rivers => "river centreline 河流",
        LayerKind.Dem => "DEM 高程",
        LayerKind.FloodZones => "flood zones 洪水",
        LayerKind.PgaZoning => "PGA zoning 地震动",
        _ when kind.IsExposure() => "exposure 承灾体",
        _ => kind.ToToken(),
    };

    private static string? Text(GeoFeature f, string field) =>
        f.Attributes.GetValueOrDefault(field)?.ToString() is { Length: > 0 } s ? s : null;
}

/// <summary>The run lacks the requested product (answered 404 with the products it has).</summary>
public sealed class ProductNotInRunException(int run, ZoningProduct product, IReadOnlyList<string> available)
    : Exception(
        $"Zoning run {run} has no {product.ToString().ToLowerInvariant()} zoning ({Grades.ProductName(product).Zh}); "
        + $"it has: {string.Join(", ", available)}.")
{
    public IReadOnlyList<string> Available { get; } = available;
}

/// <summary>
/// Names a map labels that the data do not carry: Chinese names of Natural Earth features in the region and the
/// county seats' published locations (public facts, the same the sample exposure is built around).
/// </summary>
public static class MapGazetteer
{
    private static readonly Dictionary<string, string> s_chinese = new(StringComparer.Ordinal)
    {
        ["Ebinur Hu"] = "艾比湖 Ebinur Lake",
        ["Lake Balkhash"] = "巴尔喀什湖 Lake Balkhash",
        ["Alakol"] = "阿拉湖 Alakol",
        ["Ile"] = "伊犁河 Ili River",
        ["Künes"] = "巩乃斯河 Künes River",
        ["Sayram Hu"] = "赛里木湖 Sayram Lake",
    };

    public static readonly IReadOnlyList<(string NameZh, string NameEn, double Lon, double Lat)> CountySeats =
    [
        ("博乐市", "Bole", 82.07, 44.90),
        ("阿拉山口市", "Alashankou", 82.57, 45.17),
        ("精河县", "Jinghe", 82.89, 44.60),
        ("温泉县", "Wenquan", 81.03, 44.97),
    ];

    /// <summary>The label of a named feature: Chinese and English when known, the name without a trailing note in parentheses otherwise.</summary>
    public static string? Label(string? name)
    {
        if (name is null)
        {
            return null;
        }

        if (s_chinese.TryGetValue(name, out var known))
        {
            return known;
        }

        var paren = name.IndexOf(" (", StringComparison.Ordinal);
        return paren > 0 ? name[..paren] : name;
    }
}
