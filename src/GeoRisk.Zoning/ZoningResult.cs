using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using NetTopologySuite.Geometries;

namespace GeoRisk.Zoning;

/// <summary>How a factor entered the index: its weight (AHP/explicit) or fitted information values, per class.</summary>
/// <param name="ClassScores">Score per class, index 0 = no source (outside score).</param>
/// <param name="CellsPerClass">Cells of the extent in each class (index 0 = no source).</param>
public sealed record FactorSummary(
    string Id,
    string? Title,
    string? TitleZh,
    double? Weight,
    IReadOnlyList<double> ClassScores,
    IReadOnlyList<long> CellsPerClass,
    IReadOnlyList<string> ClassLabels);

public sealed record GradeSummary(int Grade, string Label, string LabelZh, string Colour, long Cells, double AreaKm2, int HazardPoints, double PointsPerKm2);

public sealed record CensusRow(
    string AdminCode,
    string AdminName,
    string? AdminNameEn,
    int Grade,
    string GradeLabel,
    double AreaKm2,
    double Share,
    int HazardPoints,
    int ThreatenedPeople,
    string? GradeTerm = null, string? GradeTermZh = null);

/// <param name="AucHeldOut">ROC-AUC of the index at held-out hazard points against all cells (null if none held out).</param>
/// <param name="AucAll">ROC-AUC with every hazard point.</param>
/// <param name="DensityRises">Hazard-point density strictly rises from the lowest grade to the highest.</param>
public sealed record ValidationMetrics(int TrainingPoints, int HeldOutPoints, double? AucHeldOut, double? AucAll, bool DensityRises)
{
    /// <summary>
    /// The success-rate curve: for the top 5 %, 10 %, … 100 % of the extent's area by index, the share of all hazard points
    /// inside it (empty without points). A curve well above the diagonal means the index puts the hazards in little area.
    /// </summary>
    public IReadOnlyList<SuccessRatePoint> SuccessRate { get; init; } = [];
}

/// <summary>One point of the success-rate curve.</summary>
public sealed record SuccessRatePoint(double AreaShare, double PointShare);

/// <param name="ExposedPeople">Occupants (the larger of day and night) of the buildings whose representative point is in the zone.</param>
public sealed record ZonePolygon(
    int Id,
    int Grade,
    Polygon Polygon,
    double AreaKm2,
    string Prevention,
    int HazardPoints,
    int ThreatenedPeople,
    IReadOnlyList<string> Surveys,
    ZoningProduct Product = ZoningProduct.Susceptibility, long ExposedPeople = 0, long ExposedBuildings = 0);

/// <summary>
/// One census product of a run (docs/DOMAIN.md §1): its index (susceptibility or hazard index, or risk = H × E·V), grades after the
/// minimum mapping unit, breaks, zones, grade summary and census per admin unit; validation against hazard points for
/// susceptibility and hazard.
/// </summary>
public sealed class ProductResult
{
    public required ZoningProduct Product { get; init; }

    private RasterBuffer<float>? _index;

    /// <summary>Index per cell; NaN outside the extent. Not kept when the run had a raster sink (it was written there).</summary>
    public required RasterBuffer<float> Index
    {
        get => _index ?? throw new InvalidOperationException($"The {Product} index went to the run's raster sink and was not kept.");
        init => _index = value;
    }

    private RasterBuffer<byte>? _grade;

    /// <summary>
    /// Grade 1..N per cell after the minimum mapping unit; 0 outside the extent. A streamed run (docs/SCALE.md) does not hold it
    /// as one grid: its grades went to the raster sink block by block.
    /// </summary>
    public RasterBuffer<byte> Grade
    {
        get => _grade ?? throw new InvalidOperationException($"The {Product} grades were streamed to the run's raster sink and not kept as one grid.");
        init => _grade = value;
    }

    /// <summary>False when the run streamed the grades to its sink block by block instead of keeping them.</summary>
    public bool HasGrade => _grade is not null;

    /// <summary>A streamed run's grades in the sink's block storage (valid while the sink is), read by windows; null otherwise.</summary>
    public Raster.Blocks.IRasterWindowSource? GradeBlocks { get; init; }

    public required IReadOnlyList<double> Breaks { get; init; }

    public required IReadOnlyList<GradeSummary> Grades { get; init; }

    public required IReadOnlyList<CensusRow> Census { get; init; }

    public required IReadOnlyList<ZonePolygon> Zones { get; init; }

    public ValidationMetrics? Validation { get; init; }

    /// <summary>The census per township and grade (empty without a township layer).</summary>
    public IReadOnlyList<CensusRow> TownshipCensus { get; init; } = [];

    /// <summary>Lets go of the float index once the sink has it (a 30 m run held three of them at once, docs/SCALE.md).</summary>
    internal void ReleaseIndex() => _index = null;
}

public sealed record IncrementalStats(bool Incremental, long CellsRecomputed, long CellsTotal, IReadOnlyList<string> FactorsRecomputed);

/// <summary>The products of a zoning run, in the analysis grid's CRS.</summary>
public sealed class ZoningResult
{
    public required GridSpec Grid { get; init; }

    /// <summary>Susceptibility and hazard always; risk when exposure was given (docs/DOMAIN.md §1).</summary>
    public required IReadOnlyList<ProductResult> Products { get; init; }

    /// <summary>Vulnerability-weighted exposure E·V per cell (docs/MODEL.md "risk"); null without exposure or when it went to the run's raster sink.</summary>
    public RasterBuffer<float>? ExposedValue { get; init; }

    public ProductResult Product(ZoningProduct product) => Products.First(p => p.Product == product);

    public ProductResult Susceptibility => Product(ZoningProduct.Susceptibility);

    /// <summary>The susceptibility index per cell; NaN outside the extent.</summary>
    public RasterBuffer<float> Index => Susceptibility.Index;

    /// <summary>The susceptibility grade per cell; 0 outside the extent.</summary>
    public RasterBuffer<byte> Grade => Susceptibility.Grade;

    /// <summary>Each factor's class per cell (0 = no source, 1..k, 255 outside the extent).</summary>
    public required IReadOnlyDictionary<string, RasterBuffer<byte>> FactorClasses { get; init; }

    public IReadOnlyList<double> Breaks => Susceptibility.Breaks;

    public AhpResult? Ahp { get; init; }

    public required IReadOnlyList<FactorSummary> Factors { get; init; }

    public IReadOnlyList<GradeSummary> Grades => Susceptibility.Grades;

    public IReadOnlyList<CensusRow> Census => Susceptibility.Census;

    public ValidationMetrics Validation => Susceptibility.Validation!;

    public IReadOnlyList<ZonePolygon> Zones => Susceptibility.Zones;

    /// <summary>Seconds per stage.</summary>
    public required IReadOnlyDictionary<string, double> Timings { get; init; }

    public required IncrementalStats Incremental { get; init; }
}

/// <summary>Progress of a run: the stage and the overall fraction done (0..1).</summary>
public readonly record struct ZoningProgress(string Stage, double Fraction)
{
    /// <summary>Block steps done in the current stage when it runs block by block elsewhere (per worker).</summary>
    public BlockStepProgress? Blocks { get; init; }
}
