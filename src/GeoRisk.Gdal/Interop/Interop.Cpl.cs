using System.Runtime.InteropServices;

namespace GeoRisk.Gdal.Interop;

internal static partial class Cpl
{
    internal const int CE_None = 0;
    internal const int CE_Debug = 1;
    internal const int CE_Warning = 2;
    internal const int CE_Failure = 3;
    internal const int CE_Fatal = 4;

    [LibraryImport(Libraries.Gdal)]
    internal static partial void CPLErrorReset();

    [LibraryImport(Libraries.Gdal)]
    internal static partial int CPLGetLastErrorType();

    [LibraryImport(Libraries.Gdal)]
    internal static partial int CPLGetLastErrorNo();

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr CPLGetLastErrorMsg();

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void CPLSetConfigOption(string key, string? value);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void CPLSetThreadLocalConfigOption(string key, string? value);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr CPLGetConfigOption(string key, string? defaultValue);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr CPLSetErrorHandler(IntPtr handler);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void VSIFree(IntPtr p);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr VSICalloc(nuint count, nuint size);

    /// <summary>Replaces CPLHTTPFetchEx process-wide (GDAL 3.2+): every HTTP request a driver or OSR makes goes to <paramref name="callback"/>.</summary>
    [LibraryImport(Libraries.Gdal)]
    internal static partial int CPLHTTPSetFetchCallback(IntPtr callback, IntPtr userData);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial IntPtr VSIGetMemFileBuffer(string path, ulong* length, int unlinkAndSeize);
}
