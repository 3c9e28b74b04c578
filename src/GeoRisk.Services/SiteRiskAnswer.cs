using GeoRisk.Core.Risk;
using NetTopologySuite.Geometries;

namespace GeoRisk.Services;

public sealed record SiteQueryInfo(string Type, double Lon, double Lat, string Crs, double? AreaM2, string DistanceMethod);

public sealed record AdminAnswer(string Code, string Name, string? NameEn);

/// <summary>
/// A factor at the site: its class and score, its contribution to the susceptibility index (weights rescaled among the
/// susceptibility factors; 0 for a trigger) and to the hazard index (docs/DOMAIN.md §1).
/// </summary>
public sealed record FactorContribution(
    string Id,
    string? Title,
    string? TitleZh,
    int Class,
    string ClassLabel,
    double Score,
    double? Weight,
    double Contribution,
    string Role, double HazardContribution);

public sealed record GradeArea(int Grade, string Label, string Term, string TermZh, double AreaM2, double Share);

/// <summary>What a parcel holds in one grade: buildings (by representative point) and people (by area share of each census unit).</summary>
public sealed record GradeExposure(int Grade, string Term, string TermZh, long Buildings, double FloorAreaM2, long BuildingOccupantsNight, double People);

public sealed record PreventionAnswer(string Id, string Label, string LabelZh, int? ZoneId);

/// <summary>The zoning product's grade at the site, named with the census terms (docs/DOMAIN.md §1, §4).</summary>
public sealed record ZoningAnswer(int RunId, string Model, string ModelHash, DateTimeOffset RunCreatedAt, string Product, string ProductZh, string Method,
    int Grade, string Label, string LabelZh, string Term, string TermZh, string Colour, double Index, IReadOnlyList<double> Breaks,
    IReadOnlyList<FactorContribution> Factors, PreventionAnswer? Prevention, IReadOnlyList<GradeArea>? AreaPerGrade, int? WorstGrade)
{
    /// <summary>For a parcel: the exposure inside it per grade (null for a point or when no exposure layer is loaded).</summary>
    public IReadOnlyList<GradeExposure>? ExposurePerGrade { get; init; }

    /// <summary>
    /// Every census product of the run at the site (docs/DOMAIN.md §1): susceptibility (the grade above), hazard and, when
    /// exposure was loaded, risk — each its own grade, so exposure and risk are never mixed with susceptibility.
    /// </summary>
    public IReadOnlyList<ProductAnswer> Products { get; init; } = [];

    /// <summary>Vulnerability-weighted exposure E·V of the cell under the site (docs/MODEL.md "risk"); null without exposure.</summary>
    public double? ExposedValue { get; init; }
}

/// <summary>One product's grade at the site (for a parcel also its area and exposure per grade of that product).</summary>
public sealed record ProductAnswer(
    string Product,
    string Title,
    string TitleZh,
    int Grade,
    string Label,
    string LabelZh,
    string Term,
    string TermZh,
    string Colour,
    double Index, IReadOnlyList<double> Breaks, IReadOnlyList<GradeArea>? AreaPerGrade, int? WorstGrade)
{
    public IReadOnlyList<GradeExposure>? ExposurePerGrade { get; init; }
}

public sealed record SurveyAnswer(
    string SurveyId, string Title, int ScaleDenominator, DateOnly? AcceptedOn, int? SurveyedGrade, bool NearCoverageBoundary, double DistanceToBoundaryM);

/// <summary>A survey coverage whose edge is near the site: inside or outside, and whether within its positional uncertainty.</summary>
public sealed record CoverageEdgeAnswer(string SurveyId, int ScaleDenominator, bool Inside, double DistanceM, double UncertaintyM, bool WithinUncertainty);

public sealed record IntensityAnswer(int Degree, double? AccelerationG, string Label, string LabelEn, string Source);

public sealed record SetbackAnswer(string Category, string CategoryZh, IntensityAnswer Intensity, string Verdict, string VerdictZh, double? RequiredM,
    double? UncertaintyM, string Standard, string Clause, string Basis, string BasisZh);

/// <summary>A fault trace with its identity and the distance from the site to its nearest point.</summary>
public sealed record FaultAnswer(string Id, string? Name, string? Source, string Layer, string Structure, string? Sense, double? SlipRateMmA,
    string Activity, string? ActivityText, double PositionalUncertaintyM, string UncertaintyBasis, double DistanceM, IReadOnlyList<double> NearestPoint);

/// <summary>
/// The faults around the site: the one that decides the setback (the nearest fault that is Holocene-active or of unknown
/// age), the nearest fault of any age, and how many fold axes or other structures were left out.
/// </summary>
public sealed record FaultsAnswer(FaultAnswer? Governing, FaultAnswer? Nearest, SetbackAnswer Setback, int ExcludedStructures, double? NearestExcludedM);

public sealed record HazardPointAnswer(string? Id, string? Type, double DistanceM, int ThreatenedPeople, string Layer);

public sealed record SeismicAnswer(double PgaG, double? PgaClassG, int? Intensity, string? IntensityLabel, string Layer);

/// <summary>One flood scenario (a return period of a flood layer): inside its extent or not, with depth and depth class.</summary>
public sealed record FloodAnswer(int ReturnPeriodYr, bool Inside, double? DepthM, string? DepthClass, string? DepthClassZh, double? VelocityMS, string Layer);

/// <summary>Whether the site may be a 危险地段 (dangerous section) of GB 50011-2010 (2016 ed.) Table 4.1.1, and why.</summary>
public sealed record DangerousSectionAnswer(string Flag, IReadOnlyList<string> Reasons, string Clause);

public sealed record InputVersion(string Layer, int Version);

/// <summary>The site-risk answer (docs/DOMAIN.md §9).</summary>
public sealed record SiteRiskAnswer(
    SiteQueryInfo Query,
    AdminAnswer? Admin,
    ZoningAnswer? Zoning,
    SurveyAnswer? Survey,
    IReadOnlyList<CoverageEdgeAnswer> CoverageEdges,
    FaultsAnswer Faults, IReadOnlyList<HazardPointAnswer> NearbyHazardPoints, SeismicAnswer? Seismic, IReadOnlyList<FloodAnswer> Flood,
    DangerousSectionAnswer DangerousSection, IReadOnlyList<string> Constraints, IReadOnlyList<string> Caveats, IReadOnlyList<InputVersion> DataVersions);

/// <summary>A site query: a point or a parcel polygon in CGCS2000 lon/lat (already transformed from the client's CRS).</summary>
/// <param name="Intensity">The design intensity asked for, or null to take it from the loaded PGA zoning.</param>
public sealed record SiteQuery(Geometry Geometry, BuildingCategory Category, DesignIntensity? Intensity, string Crs);

/// <summary>The bureau's choices for site answers (docs/DOMAIN.md §6.4–6.5).</summary>
public sealed record SiteRiskOptions
{
    /// <summary>Positional uncertainty of fault traces that state neither accuracy nor scale.</summary>
    public double DefaultFaultUncertaintyM { get; init; } = FaultTrace.DefaultUncertaintyM;

    /// <summary>Within this distance of a fault that cannot be ignored, a category 甲 building needs a special study.</summary>
    public double SpecialStudyRadiusM { get; init; } = FaultSetback.DefaultSpecialStudyRadiusM;

    /// <summary>A mapped landslide, rockfall, debris flow, ground collapse or fissure this close makes the site a possible 危险地段.</summary>
    public double DangerousHazardPointRadiusM { get; init; } = 100;
}
