using System.Runtime.InteropServices;

namespace GeoRisk.Gdal.Interop;

internal static partial class Osr
{
    /// <summary>OAMS_TRADITIONAL_GIS_ORDER: x = longitude/easting, whatever the authority says.</summary>
    internal const int OAMS_TRADITIONAL_GIS_ORDER = 0;

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeOsrHandle OSRNewSpatialReference(string? wkt);

    [LibraryImport(Libraries.Gdal)]
    internal static partial SafeOsrHandle OSRClone(IntPtr srs);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OSRRelease(IntPtr srs);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OSRImportFromEPSG(SafeOsrHandle srs, int code);

    /// <summary>Parses WKT only (OSRSetFromUserInput also takes file names and URLs, and GDAL 3.6 lacks its Ex form that can forbid them).</summary>
    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int OSRImportFromWkt(SafeOsrHandle srs, byte** wkt);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OSRSetAxisMappingStrategy(SafeOsrHandle srs, int strategy);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OSRExportToWkt(SafeOsrHandle srs, out IntPtr wkt);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OSRAutoIdentifyEPSG(SafeOsrHandle srs);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr OSRGetAuthorityCode(SafeOsrHandle srs, string? targetKey);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr OSRGetAuthorityName(SafeOsrHandle srs, string? targetKey);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr OSRGetName(SafeOsrHandle srs);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OSRIsGeographic(SafeOsrHandle srs);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OSRIsProjected(SafeOsrHandle srs);

    [LibraryImport(Libraries.Gdal)]
    internal static partial SafeOctHandle OCTNewCoordinateTransformation(SafeOsrHandle source, SafeOsrHandle target);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OCTDestroyCoordinateTransformation(IntPtr transformation);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr OCTNewCoordinateTransformationOptions();

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OCTCoordinateTransformationOptionsSetOperation(IntPtr options, string operation, int reverse);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OCTDestroyCoordinateTransformationOptions(IntPtr options);

    [LibraryImport(Libraries.Gdal)]
    internal static partial SafeOctHandle OCTNewCoordinateTransformationEx(SafeOsrHandle source, SafeOsrHandle target, IntPtr options);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int OCTTransform(SafeOctHandle transformation, int count, double* x, double* y, double* z);
}

internal static partial class OsrParameters
{
    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial double OSRGetProjParm(SafeOsrHandle srs, string name, double defaultValue, out int error);

    [LibraryImport(Libraries.Gdal)]
    internal static partial double OSRGetLinearUnits(SafeOsrHandle srs, out IntPtr name);
}
