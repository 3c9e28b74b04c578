namespace GeoRisk.Core.Crs;

/// <summary>
/// GCJ-02, the obfuscated datum of Chinese web maps, to and from WGS 84. No EPSG/PROJ definition exists
/// (the offset is a published closed-form formula, not a datum), so it is implemented here from the
/// formula: Krasovsky ellipsoid constants and trigonometric offset series. The inverse is solved by fixed-point
/// iteration to better than 1e-9° (≈0.1 mm). Outside the formula's rough China bounding box the offset is zero;
/// inside it (which includes border strips of neighbouring countries) it always applies, as in the web maps.
/// </summary>
public static class Gcj02
{
    private const double A = 6378245.0;
    private const double Ee = 0.00669342162296594323;

    public static bool IsInChina(double lon, double lat) => lon is >= 72.004 and <= 137.8347 && lat is >= 0.8293 and <= 55.8271;

    public static (double Lon, double Lat) FromWgs84(double lon, double lat)
    {
        if (!IsInChina(lon, lat))
        {
            return (lon, lat);
        }

        var (dLon, dLat) = Offset(lon, lat);
        return (lon + dLon, lat + dLat);
    }

    public static (double Lon, double Lat) ToWgs84(double lon, double lat)
    {
        if (!IsInChina(lon, lat))
        {
            return (lon, lat);
        }

        // The offset varies slowly, so w = g − offset(w) converges in a handful of steps.
        var (wLon, wLat) = (lon, lat);
        for (var i = 0; i < 30; i++)
        {
            var (dLon, dLat) = Offset(wLon, wLat);
            var (nLon, nLat) = (lon - dLon, lat - dLat);
            var converged = Math.Abs(nLon - wLon) < 1e-12 && Math.Abs(nLat - wLat) < 1e-12;
            (wLon, wLat) = (nLon, nLat);
            if (converged)
            {
                break;
            }
        }

        return (wLon, wLat);
    }

    private static (double DLon, double DLat) Offset(double lon, double lat)
    {
        var x = lon - 105.0;
        var y = lat - 35.0;
        var dLat = -100.0 + (2.0 * x) + (3.0 * y) + (0.2 * y * y) + (0.1 * x * y) + (0.2 * Math.Sqrt(Math.Abs(x)))
            + (((20.0 * Math.Sin(6.0 * x * Math.PI)) + (20.0 * Math.Sin(2.0 * x * Math.PI))) * 2.0 / 3.0)
            + (((20.0 * Math.Sin(y * Math.PI)) + (40.0 * Math.Sin(y / 3.0 * Math.PI))) * 2.0 / 3.0)
            + (((160.0 * Math.Sin(y / 12.0 * Math.PI)) + (320.0 * Math.Sin(y * Math.PI / 30.0))) * 2.0 / 3.0);
        var dLon = 300.0 + x + (2.0 * y) + (0.1 * x * x) + (0.1 * x * y) + (0.1 * Math.Sqrt(Math.Abs(x)))
            + (((20.0 * Math.Sin(6.0 * x * Math.PI)) + (20.0 * Math.Sin(2.0 * x * Math.PI))) * 2.0 / 3.0)
            + (((20.0 * Math.Sin(x * Math.PI)) + (40.0 * Math.Sin(x / 3.0 * Math.PI))) * 2.0 / 3.0)
            + (((150.0 * Math.Sin(x / 12.0 * Math.PI)) + (300.0 * Math.Sin(x / 30.0 * Math.PI))) * 2.0 / 3.0);
        var radLat = lat / 180.0 * Math.PI;
        var magic = Math.Sin(radLat);
        magic = 1 - (Ee * magic * magic);
        var sqrtMagic = Math.Sqrt(magic);
        dLat = dLat * 180.0 / (A * (1 - Ee) / (magic * sqrtMagic) * Math.PI);
        dLon = dLon * 180.0 / (A / sqrtMagic * Math.Cos(radLat) * Math.PI);
        return (dLon, dLat);
    }
}
