using System.Text.Json;
using System.Text.Json.Serialization;
using GeoRisk.Zoning;

namespace GeoRisk.Services;

/// <summary>The analysis grid as run: CRS, cell size, size and geotransform (GDAL order).</summary>
public sealed record GridRecord(string Crs, double CellSize, int Width, int Height, IReadOnlyList<double> GeoTransform, string? Admin, IReadOnlyList<double>? Bbox);

/// <summary>One stored layer version a run read, and what for (a factor id, "hazard-points" or "admin").</summary>
public sealed record InputRecord(string Layer, string Kind, int Version, string Sha256, IReadOnlyList<double>? Bounds, IReadOnlyList<string> Roles);

/// <summary>Everything recorded with a zoning run: what went in, the parameters, breaks, metrics and timings.</summary>
public sealed record ZoningRunRecord
{
    /// <summary>
    /// Bumped when what a run computes from the same inputs changes (2: fold axes no longer count as faults), so an
    /// older run is neither reused nor patched incrementally.
    /// </summary>
    public const int CurrentSchema = 2;

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

    /// <summary>Zones per prevention class (key, secondary, general).</summary>
    public required IReadOnlyDictionary<string, int> PreventionZones { get; init; }

    public required IReadOnlyDictionary<string, double> Timings { get; init; }

    public required IncrementalStats Incremental { get; init; }

    /// <summary>SHA-256 of the index, grade and factor rasters' cells (not the files), for determinism checks.</summary>
    public required string CellsSha256 { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ZoningRunRecord FromJson(string json) => JsonSerializer.Deserialize<ZoningRunRecord>(json, Json)!;
}
