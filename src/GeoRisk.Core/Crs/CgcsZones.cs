namespace GeoRisk.Core.Crs;

/// <summary>
/// CGCS2000 Gauss-Krüger zone arithmetic (docs/DOMAIN.md §10). EPSG codes follow the EPSG registry's contiguous
/// blocks: 3° zones without prefix CM 75E..135E = 4534..4554, with prefix zones 25..45 = 4513..4533;
/// 6° zones without prefix CM 75E..135E = 4502..4512, with prefix zones 13..23 = 4491..4501.
/// </summary>
public static class CgcsZones
{
    public const int Geographic = 4490;

    /// <summary>The 3° zone number whose central meridian is nearest <paramref name="longitude"/> (CM = 3 × zone).</summary>
    public static int ThreeDegreeZone(double longitude) => (int)Math.Floor((longitude + 1.5) / 3.0);

    public static double ThreeDegreeCentralMeridian(int zone) => zone * 3.0;

    /// <summary>EPSG code of the 3° zone containing <paramref name="longitude"/>, without zone prefix (e.g. 81.7E → 4536).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside the CGCS2000 zones (73.5E..136.5E).</exception>
    public static int ThreeDegreeEpsg(double longitude, bool withZonePrefix = false)
    {
        var zone = ThreeDegreeZone(longitude);
        if (zone is < 25 or > 45)
        {
            throw new ArgumentOutOfRangeException(nameof(longitude), longitude, "CGCS2000 3-degree zones cover 73.5E..136.5E.");
        }

        return withZonePrefix ? 4513 + (zone - 25) : 4534 + (zone - 25);
    }

    public static int SixDegreeZone(double longitude) => (int)Math.Floor(longitude / 6.0) + 1;

    /// <exception cref="ArgumentOutOfRangeException">Outside the CGCS2000 zones (72E..138E).</exception>
    public static int SixDegreeEpsg(double longitude, bool withZonePrefix = false)
    {
        var zone = SixDegreeZone(longitude);
        if (zone is < 13 or > 23)
        {
            throw new ArgumentOutOfRangeException(nameof(longitude), longitude, "CGCS2000 6-degree zones cover 72E..138E.");
        }

        return withZonePrefix ? 4491 + (zone - 13) : 4502 + (zone - 13);
    }
}
