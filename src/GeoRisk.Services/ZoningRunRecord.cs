using System.Text.Json;
using System.Text.Json.Serialization;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Zoning;

namespace GeoRisk.Services;

/// <summary>The analysis grid as run: CRS, cell size, size and geotransform (GDAL order).</summary>
public sealed record GridRecord(
    string Crs, double CellSize, int Width, int Height, IReadOnlyList<double> GeoTransform, string? Admin, IReadOnlyList<double>? Bbox);

/// <summary>One stored layer version a run read, and what for (a factor id, "hazard-points" or "admin").</summary>
public sealed record InputRecord(string Layer, string Kind, int Version, string Sha256, IReadOnlyList<double>? Bounds, IReadOnlyList<string> Roles);

/// <summary>
/// One census product as run (docs/DOMAIN.md §1): its breaks, grades, census per admin unit, exposure per admin unit and grade,
/// validation (susceptibility and hazard) and zones per prevention class; its rasters are <see cref="ZoningRunRecord.IndexRaster"/>
/// and <see cref="ZoningRunRecord.GradeRaster"/>.
/// </summary>
public sealed record ProductRecord(ZoningProduct Product, string Title, string TitleZh, IReadOnlyList<double> Breaks, IReadOnlyList<GradeSummary> Grades,
    IReadOnlyList<CensusRow> Census, IReadOnlyList<ExposureRow> Exposure, ValidationMetrics? Validation, IReadOnlyDictionary<string, int> PreventionZones, int Zones)
{
    /// <summary>Area and hazard points per township (乡镇) and grade; empty when no township layer is loaded.</summary>
    public IReadOnlyList<CensusRow> TownshipCensus { get; init; } = [];

    /// <summary>Exposure per township and grade; empty when no township layer is loaded.</summary>
    public IReadOnlyList<ExposureRow> TownshipExposure { get; init; } = [];

    /// <summary>The census table of a level ("county", the default, or "township").</summary>
    public IReadOnlyList<CensusRow> CensusAt(bool township) => township ? TownshipCensus : Census;

    public IReadOnlyList<ExposureRow> ExposureAt(bool township) => township ? TownshipExposure : Exposure;

    /// <summary>The record of a product as the engine computed it, with the exposure tallied on its grades.</summary>
    public static ProductRecord Of(ProductResult p, IReadOnlyList<ExposureRow> exposure, IReadOnlyList<ExposureRow> townshipExposure) =>
        new(
            p.Product,
            Core.Risk.Grades.ProductName(p.Product).En,
            Core.Risk.Grades.ProductName(p.Product).Zh,
            p.Breaks,
            p.Grades,
            p.Census,
            exposure,
            p.Validation,
            p.Zones.GroupBy(z => z.Prevention).ToDictionary(g => g.Key, g => g.Count()), p.Zones.Count)
        {
            TownshipCensus = p.TownshipCensus,
            TownshipExposure = townshipExposure,
        };
}

/// <summary>Everything recorded with a zoning run: what went in, the parameters, breaks, metrics and timings.</summary>
public sealed record ZoningRunRecord
{
    /// <summary>
    /// Bumped when what a run computes from the same inputs changes (2: fold axes no longer count as faults; 3: three
    /// products, susceptibility without the triggers), so an older run is neither reused nor patched incrementally.
    /// </summary>
    public const int CurrentSchema = 3;

    public int Schema { get; init; } = CurrentSchema;

    public required string ModelName { get; init; }

    public required string ModelHash { get; init; }

    public required JsonElement Model { get; init; }

    public required GridRecord Grid { get; init; }

    public required IReadOnlyList<InputRecord> Inputs { get; init; }

    /// <summary>Survey id → precedence rank used when rasterizing (higher wins).</summary>
    public required IReadOnlyDictionary<string, int> SurveyRanks { get; init; }

    public double? ConsistencyRatio { get; init; }

    public double? LambdaMax { get; init; }

    public required IReadOnlyList<double> Breaks { get; init; }

    public required IReadOnlyList<FactorSummary> Factors { get; init; }

    public required IReadOnlyList<GradeSummary> Grades { get; init; }

    public required ValidationMetrics Validation { get; init; }

    public required IReadOnlyList<CensusRow> Census { get; init; }

    /// <summary>What is exposed per admin unit and grade (docs/DOMAIN.md §11); empty when no exposure layer is loaded.</summary>
    public IReadOnlyList<ExposureRow> Exposure { get; init; } = [];

    /// <summary>What each flood scenario reaches (people, buildings, roads, facilities).</summary>
    public IReadOnlyList<FloodScenarioRow> FloodScenarios { get; init; } = [];

    /// <summary>
    /// The census products of the run: susceptibility and hazard, and risk when exposure was loaded (empty for runs
    /// before schema 3, whose top-level grades are the only product).
    /// </summary>
    public IReadOnlyList<ProductRecord> Products { get; init; } = [];

    /// <summary>The product's record; for runs before schema 3 the susceptibility product is rebuilt from the top-level fields.</summary>
    public ProductRecord? Product(ZoningProduct product) =>
        Products.FirstOrDefault(p => p.Product == product) ?? (Products.Count == 0 && product == ZoningProduct.Susceptibility
            ? new ProductRecord(
                product,
                Core.Risk.Grades.ProductName(product).En,
                Core.Risk.Grades.ProductName(product).Zh,
                Breaks,
                Grades,
                Census,
                Exposure,
                Validation,
                PreventionZones,
                0)
            : null);

    /// <summary>The product's index raster name in the run's raster set ("index" for susceptibility, as before schema 3).</summary>
    public static string IndexRaster(ZoningProduct product) => product == ZoningProduct.Susceptibility ? "index" : $"{ProductToken(product)}-index";

    /// <summary>The product's grade raster name ("grade" for susceptibility).</summary>
    public static string GradeRaster(ZoningProduct product) => product == ZoningProduct.Susceptibility ? "grade" : $"{ProductToken(product)}-grade";

    /// <summary>The product as written in URLs and files: susceptibility, hazard, risk.</summary>
    public static string ProductToken(ZoningProduct product) => product.ToString().ToLowerInvariant();

    /// <summary>Parses a product token (English or Chinese name); false for anything else.</summary>
    public static bool TryParseProduct(string? text, out ZoningProduct product)
    {
        product = ZoningProduct.Susceptibility;
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "" or "susceptibility" or "易发性" or "易发性区划":
                return true;
            case "hazard" or "危险性" or "危险性区划":
                product = ZoningProduct.Hazard;
                return true;
            case "risk" or "风险" or "风险区划":
                product = ZoningProduct.Risk;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Zones per prevention class (key, secondary, general).</summary>
    public required IReadOnlyDictionary<string, int> PreventionZones { get; init; }

    public required IReadOnlyDictionary<string, double> Timings { get; init; }

    public required IncrementalStats Incremental { get; init; }

    /// <summary>
    /// For determinism checks: SHA-256 over the SHA-256s of the cells (not the files) of each index, grade, E·V and factor-class
    /// raster in a fixed order (builds before 107fa08 hashed the cells themselves in that order, so their values differ).
    /// </summary>
    public required string CellsSha256 { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// A run's record: what went in, the model, and the products. The top-level breaks, grades, validation, census and
    /// exposure are the susceptibility product's (they were the only product before schema 3); prevention zoning is the
    /// risk product's when there is one (docs/DOMAIN.md §5). Flood scenarios, timings and the cells' hash are the caller's.
    /// </summary>
    public static ZoningRunRecord Of(
        RiskModel model,
        GridRecord grid,
        IReadOnlyList<InputRecord> inputs,
        IReadOnlyDictionary<string, int> ranks,
        ZoningResult result,
        IReadOnlyList<ProductRecord> products)
    {
        var susceptibility = products[0];
        return new ZoningRunRecord
        {
            ModelName = model.Name,
            ModelHash = model.Hash,
            Model = JsonDocument.Parse(model.ToJson()).RootElement.Clone(),
            Grid = grid,
            Inputs = inputs,
            SurveyRanks = ranks,
            ConsistencyRatio = result.Ahp?.ConsistencyRatio,
            LambdaMax = result.Ahp?.LambdaMax,
            Factors = result.Factors,
            Breaks = susceptibility.Breaks,
            Grades = susceptibility.Grades,
            Validation = susceptibility.Validation!,
            Census = susceptibility.Census,
            Exposure = susceptibility.Exposure,
            Products = products,
            PreventionZones = products[^1].PreventionZones,
            Timings = new Dictionary<string, double>(),
            Incremental = result.Incremental,
            CellsSha256 = "",
        };
    }

    public static ZoningRunRecord FromJson(string json) => JsonSerializer.Deserialize<ZoningRunRecord>(json, Json)!;

    private static readonly Lock s_parsedLock = new();
    private static readonly LinkedList<(string Json, ZoningRunRecord Record)> s_parsed = [];

    /// <summary>
    /// The run's record, parsed once and shared by the read paths (site risk, tiles, maps ask for it on every request;
    /// a prefecture run's record is tens of kilobytes of JSON). Keyed by the JSON itself, so runs of different stores
    /// in one process never mix; the few most recent are kept. The record is immutable: callers must not change it.
    /// </summary>
    public static ZoningRunRecord Parsed(ZoningRunInfo run)
    {
        var json = run.RecordJson;
        lock (s_parsedLock)
        {
            for (var node = s_parsed.First; node is not null; node = node.Next)
            {
                if (ReferenceEquals(node.Value.Json, json) || node.Value.Json == json)
                {
                    s_parsed.Remove(node);
                    s_parsed.AddFirst(node);
                    return node.Value.Record;
                }
            }
        }

        var record = FromJson(json);
        lock (s_parsedLock)
        {
            s_parsed.AddFirst((json, record));
            while (s_parsed.Count > 8)
            {
                s_parsed.RemoveLast();
            }
        }

        return record;
    }
}
