namespace GeoRisk.Core.Layers;

/// <summary>What a layer holds; decides its schema and how the risk model uses it.</summary>
public enum LayerKind
{
    /// <summary>Susceptibility/hazard polygons with a grade 1-4.</summary>
    HazardZones,

    /// <summary>Hidden-hazard points (隐患点): type, volume, threatened people.</summary>
    HazardPoints,

    ActiveFaults,

    /// <summary>Flood extents per return period with depth.</summary>
    FloodZones,

    /// <summary>Seismic ground-motion zoning (PGA classes).</summary>
    PgaZoning,

    AdminUnits,

    /// <summary>Extent of a survey (one or more polygons).</summary>
    SurveyCoverage,

    Rivers,

    Lakes,

    Dem,

    RasterFactor,

    /// <summary>Exposure (承灾体): building footprints or points with structure type, floors, use and occupants.</summary>
    Buildings,

    /// <summary>Exposure: census-unit polygons with resident (and day/night) population counts.</summary>
    Population,

    /// <summary>Exposure: roads and lifelines (lines with a class).</summary>
    Roads,

    /// <summary>Exposure: key facilities (schools, hospitals, reservoirs, government sites) with type and capacity.</summary>
    Facilities,
}

public static class LayerKindExtensions
{
    public static bool IsRaster(this LayerKind kind) => kind is LayerKind.Dem or LayerKind.RasterFactor;

    /// <summary>Exposure kinds (承灾体): what a risk census counts per grade.</summary>
    public static bool IsExposure(this LayerKind kind) => kind is LayerKind.Buildings or LayerKind.Population or LayerKind.Roads or LayerKind.Facilities;

    /// <summary>The kebab-case name used on the command line and in the API ("hazard-zones").</summary>
    public static string ToToken(this LayerKind kind) => kind switch
    {
        LayerKind.HazardZones => "hazard-zones",
        LayerKind.HazardPoints => "hazard-points",
        LayerKind.ActiveFaults => "active-faults",
        LayerKind.FloodZones => "flood-zones",
        LayerKind.PgaZoning => "pga-zoning",
        LayerKind.AdminUnits => "admin-units",
        LayerKind.SurveyCoverage => "survey-coverage",
        LayerKind.Rivers => "rivers",
        LayerKind.Lakes => "lakes",
        LayerKind.Dem => "dem",
        LayerKind.RasterFactor => "raster-factor",
        LayerKind.Buildings => "buildings",
        LayerKind.Population => "population",
        LayerKind.Roads => "roads",
        LayerKind.Facilities => "facilities",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string? token, out LayerKind kind)
    {
        foreach (var candidate in Enum.GetValues<LayerKind>())
        {
            if (string.Equals(candidate.ToToken(), token, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(candidate.ToString(), token, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    public static string AllTokens => string.Join(", ", Enum.GetValues<LayerKind>().Select(k => k.ToToken()));
}
