using System.Globalization;
using System.Runtime.InteropServices;
using GeoRisk.Gdal.Interop;

namespace GeoRisk.Gdal;

/// <summary>A CRS's area of use in degrees (west &gt; east when it crosses the antimeridian).</summary>
public sealed record AreaOfUse(double West, double South, double East, double North, string Name)
{
    /// <summary>Whether a lon/lat lies inside, with a margin in degrees.</summary>
    public bool Contains(double lon, double lat, double marginDegrees = 0)
    {
        if (lat < South - marginDegrees || lat > North + marginDegrees)
        {
            return false;
        }

        return West <= East
            ? lon >= West - marginDegrees && lon <= East + marginDegrees
            : lon >= West - marginDegrees || lon <= East + marginDegrees;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name} ({West:0.##}–{East:0.##}° E, {South:0.##}–{North:0.##}° N)");
}

/// <summary>
/// Projections centred on a site, on the CGCS2000 ellipsoid (GRS80): azimuthal equidistant for distances, whose
/// distance from the centre is the geodesic distance (PROJ computes it with Karney's algorithm), and Lambert azimuthal
/// equal-area for areas. They replace a fixed Gauss–Krüger zone, which is only good near its central meridian and
/// only in one region (docs/DOMAIN.md §10).
/// </summary>
public static class SiteProjection
{
    /// <summary>Azimuthal equidistant centred at the site: |(x, y)| is the geodesic distance to the centre in metres.</summary>
    public static SpatialReference Equidistant(double lon, double lat) => Centred(lon, lat, equalArea: false);

    /// <summary>Lambert azimuthal equal-area centred at the site: areas in square metres without scale error.</summary>
    public static SpatialReference EqualArea(double lon, double lat) => Centred(lon, lat, equalArea: true);

    /// <summary>
    /// Lon/lat (EPSG:4490) to <see cref="Equidistant"/> and back, built from the projection's own PROJ pipeline: the same
    /// operation PROJ finds for the pair (CGCS2000 is its own datum, so nothing but the projection applies), without the
    /// database search that made building a pair cost more than the rest of a site answer.
    /// </summary>
    public static (CoordinateTransformation ToLocal, CoordinateTransformation FromLocal) EquidistantPair(double lon, double lat) =>
        Pair(lon, lat, equalArea: false);

    /// <summary>Lon/lat (EPSG:4490) to <see cref="EqualArea"/>, built as <see cref="EquidistantPair"/> is.</summary>
    public static CoordinateTransformation ToEqualArea(double lon, double lat)
    {
        var (to, from) = Pair(lon, lat, equalArea: true);
        from.Dispose();
        return to;
    }

    private static (CoordinateTransformation ToLocal, CoordinateTransformation FromLocal) Pair(double lon, double lat, bool equalArea)
    {
        using var lonLat = SpatialReference.FromEpsg(4490);
        using var local = Centred(lon, lat, equalArea);
        // EPSG:4490's axes are latitude, longitude in degrees; the projected CRS's easting, northing in metres.
        var pipeline = string.Create(CultureInfo.InvariantCulture,
            $"+proj=pipeline +step +proj=axisswap +order=2,1 +step +proj=unitconvert +xy_in=deg +xy_out=rad " +
            $"+step +proj={(equalArea ? "laea" : "aeqd")} +lat_0={lat:R} +lon_0={lon:R} +x_0=0 +y_0=0 +ellps=GRS80");
        var toLocal = CoordinateTransformation.Create(lonLat, local, pipeline, reverse: false);
        try
        {
            return (toLocal, CoordinateTransformation.Create(local, lonLat, pipeline, reverse: true));
        }
        catch
        {
            toLocal.Dispose();
            throw;
        }
    }

    private static SpatialReference Centred(double lon, double lat, bool equalArea)
    {
        if (!double.IsFinite(lon) || !double.IsFinite(lat) || lat is < -90 or > 90)
        {
            throw new ArgumentOutOfRangeException(nameof(lat), $"({lon}, {lat}) is not a longitude/latitude.");
        }

        var srs = SpatialReference.FromEpsg(4490);
        var h = srs.Handle;
        if (Osr.OSRSetProjCS(h, equalArea ? "CGCS2000 / site LAEA" : "CGCS2000 / site AEQD") != Ogr.OGRERR_NONE ||
            (equalArea ? Osr.OSRSetLAEA(h, lat, lon, 0, 0) : Osr.OSRSetAE(h, lat, lon, 0, 0)) != Ogr.OGRERR_NONE ||
            Osr.OSRSetLinearUnits(h, "metre", 1.0) != Ogr.OGRERR_NONE)
        {
            srs.Dispose();
            GdalThrow.LastError("Cannot build a site-centred projection");
        }

        return srs;
    }

    /// <summary>The CRS's area of use from the PROJ database, or null when it records none (e.g. WKT without an id).</summary>
    public static AreaOfUse? AreaOfUseOf(SpatialReference srs)
    {
        if (Osr.OSRGetAreaOfUse(srs.Handle, out var w, out var s, out var e, out var n, out var name) == 0 || w < -1000)
        {
            return null;
        }

        return new AreaOfUse(w, s, e, n, Marshal.PtrToStringUTF8(name) ?? "");
    }
}
