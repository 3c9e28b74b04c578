using System.Globalization;
using GeoRisk.Core.Validation;
using NetTopologySuite.Geometries;

namespace GeoRisk.Core.Crs;

/// <summary>What an adapter knows about a declared CRS, without depending on how it parsed it.</summary>
public sealed record CrsFacts(string Name, bool IsGeographic, bool IsProjected, int? Epsg, double? CentralMeridian = null, double? FalseEasting = null);

/// <summary>
/// Catches the usual CRS mistakes in survey deliveries by comparing the declared CRS with the raw
/// coordinates (docs/DOMAIN.md §10): lon/lat swapped, projected metres declared as degrees and the reverse,
/// Gauss-Krüger zone prefix missing, unexpected or of the wrong zone, and data outside the declared zone.
/// </summary>
public static class CrsDiagnostics
{
    /// <summary>China's extent with a margin, lon/lat.</summary>
    public static readonly Envelope ChinaBounds = new(72, 137, 2, 56);

    /// <summary>Checks raw source coordinates against the declared CRS; adds errors and warnings to the report.</summary>
    public static void CheckSource(Envelope raw, CrsFacts crs, ValidationReport report)
    {
        if (raw.IsNull)
        {
            return;
        }

        var looksLikeDegrees = Math.Abs(raw.MinX) <= 180 && Math.Abs(raw.MaxX) <= 180 && Math.Abs(raw.MinY) <= 90 && Math.Abs(raw.MaxY) <= 90;
        if (crs.IsGeographic)
        {
            if (!looksLikeDegrees)
            {
                // Swapped axes stay within ±180 for both; metres go far beyond.
                var swapped = Math.Abs(raw.MinY) <= 180 && Math.Abs(raw.MaxY) <= 180 && Math.Abs(raw.MinX) <= 90 && Math.Abs(raw.MaxX) <= 90;
                report.Error(swapped ? "crs-axis-swapped" : "crs-metres-declared-as-degrees", swapped
                    ? $"Coordinates look like latitude/longitude in swapped order (x {Range(raw.MinX, raw.MaxX)}, y {Range(raw.MinY, raw.MaxY)}); "
                        + "export them as longitude, latitude."
                    : $"The CRS '{crs.Name}' is geographic (degrees) but the coordinates (x {Range(raw.MinX, raw.MaxX)}, y {Range(raw.MinY, raw.MaxY)}) "
                        + "are projected metres; declare the projected CRS (e.g. a CGCS2000 Gauss-Krüger zone).");
                return;
            }

            // Inside China x is longitude 73..135 and y latitude 3..54; the reverse is a swap.
            if (raw.MinX >= ChinaBounds.MinY && raw.MaxX <= ChinaBounds.MaxY && raw.MinY >= ChinaBounds.MinX && raw.MaxY <= ChinaBounds.MaxX &&
                !(raw.MinX >= ChinaBounds.MinX && raw.MinY <= ChinaBounds.MaxY))
            {
                report.Error(
                    "crs-axis-swapped",
                    $"Coordinates look like latitude, longitude in swapped order (x {Range(raw.MinX, raw.MaxX)}, y {Range(raw.MinY, raw.MaxY)}); export " +
                    "them as longitude, latitude.");
            }

            return;
        }

        if (!crs.IsProjected)
        {
            return;
        }

        if (looksLikeDegrees)
        {
            report.Error(
                "crs-degrees-declared-as-metres",
                $"The CRS '{crs.Name}' is projected (metres) but the coordinates (x {Range(raw.MinX, raw.MaxX)}, y {Range(raw.MinY, raw.MaxY)}) are degrees; " +
                "declare EPSG:4490 (CGCS2000) or EPSG:4326.");
            return;
        }

        if (crs.FalseEasting is not { } fe || crs.CentralMeridian is null)
        {
            return;
        }

        var declaredPrefix = (int)Math.Floor(fe / 1_000_000);
        var dataPrefixMin = (int)Math.Floor(raw.MinX / 1_000_000);
        var dataPrefixMax = (int)Math.Floor(raw.MaxX / 1_000_000);
        if (declaredPrefix == 0 && dataPrefixMin >= 13)
        {
            report.Error(
                "crs-zone-prefix-unexpected",
                $"Eastings {Range(raw.MinX, raw.MaxX)} carry a zone prefix ({dataPrefixMin}) but the CRS '{crs.Name}' has none; declare the zone-prefixed " +
                $"CRS (e.g. EPSG:{ZonePrefixedEpsg(dataPrefixMin)}).");
        }
        else if (declaredPrefix >= 13 && dataPrefixMax < 1)
        {
            report.Error(
                "crs-zone-prefix-missing",
                $"The CRS '{crs.Name}' expects eastings with zone prefix {declaredPrefix} (about {declaredPrefix},500,000 m) but they are " +
                $"{Range(raw.MinX, raw.MaxX)}; declare the CRS without prefix (e.g. EPSG:{UnprefixedEpsg(crs.CentralMeridian.Value, crs.Name)}).");
        }
        else if (declaredPrefix >= 13 && (dataPrefixMin != declaredPrefix || dataPrefixMax != declaredPrefix))
        {
            report.Error(
                "crs-wrong-zone", $"Eastings {Range(raw.MinX, raw.MaxX)} are in zone {dataPrefixMin} but the CRS '{crs.Name}' is zone {declaredPrefix}.");
        }
    }

    /// <summary>Checks converted lon/lat bounds: outside China, or outside the declared Gauss-Krüger zone.</summary>
    public static void CheckConverted(Envelope lonLat, CrsFacts crs, ValidationReport report)
    {
        if (lonLat.IsNull)
        {
            return;
        }

        if (!ChinaBounds.Contains(lonLat))
        {
            report.Warning(
                "outside-china",
                $"Data extends outside China (lon {Range(lonLat.MinX, lonLat.MaxX)}, lat {Range(lonLat.MinY, lonLat.MaxY)}); check the declared CRS.");
        }

        if (crs.IsProjected && crs.CentralMeridian is { } cm && crs.Name.Contains("Gauss", StringComparison.OrdinalIgnoreCase))
        {
            var halfWidth = crs.Name.Contains("3-degree", StringComparison.OrdinalIgnoreCase) ? 1.5 : 3.0;
            // A little slack: deliveries near a zone edge legitimately spill over by a few kilometres.
            if (lonLat.MinX < cm - halfWidth - 0.1 || lonLat.MaxX > cm + halfWidth + 0.1)
            {
                report.Warning(
                    "outside-zone",
                    $"Data spans lon {Range(lonLat.MinX, lonLat.MaxX)}, beyond the zone of central meridian {cm.ToString(CultureInfo.InvariantCulture)}E " +
                    $"(±{halfWidth.ToString(CultureInfo.InvariantCulture)}°); distortion grows outside the zone.");
            }
        }
    }

    private static int ZonePrefixedEpsg(int zone) => zone is >= 25 and <= 45 ? 4513 + zone - 25 : zone is >= 13 and <= 23 ? 4491 + zone - 13 : 0;

    private static int UnprefixedEpsg(double cm, string name) =>
        name.Contains("6-degree", StringComparison.OrdinalIgnoreCase) ? 4502 + (int)((cm - 75) / 6) : 4534 + (int)((cm - 75) / 3);

    private static string Range(double a, double b) =>
        a.ToString("0.###", CultureInfo.InvariantCulture) + ".." + b.ToString("0.###", CultureInfo.InvariantCulture);
}
