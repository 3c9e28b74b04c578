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
}

public static class LayerKindExtensions
{
    public static bool IsRaster(this LayerKind kind) => kind is LayerKind.Dem or LayerKind.RasterFactor;

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
