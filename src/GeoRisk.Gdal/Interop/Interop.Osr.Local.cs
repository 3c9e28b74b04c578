using System.Runtime.InteropServices;

namespace GeoRisk.Gdal.Interop;

/// <summary>Site-centred projections and a CRS's area of use (see SiteProjection).</summary>
internal static partial class Osr
{
    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OSRSetProjCS(SafeOsrHandle srs, string name);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OSRSetAE(SafeOsrHandle srs, double centerLat, double centerLong, double falseEasting, double falseNorthing);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OSRSetLAEA(SafeOsrHandle srs, double centerLat, double centerLong, double falseEasting, double falseNorthing);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OSRSetLinearUnits(SafeOsrHandle srs, string name, double metres);

    /// <summary>TRUE when the CRS has an area of use; west &gt; east when it crosses the antimeridian.</summary>
    [LibraryImport(Libraries.Gdal)]
    internal static partial int OSRGetAreaOfUse(SafeOsrHandle srs, out double west, out double south, out double east, out double north, out IntPtr areaName);
}
