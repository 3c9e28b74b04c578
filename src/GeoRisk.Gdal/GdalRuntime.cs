using System.Runtime.InteropServices;
using GeoRisk.Gdal.Interop;

namespace GeoRisk.Gdal;

/// <summary>Process-wide GDAL set-up: driver registration and hardened configuration, done once.</summary>
public static class GdalRuntime
{
    private static readonly Lock s_gate = new();
    private static bool s_initialized;

    /// <summary>Registers the drivers and applies GeoRisk's configuration. Safe to call many times.</summary>
    /// <exception cref="DllNotFoundException">libgdal is not installed.</exception>
    public static void EnsureInitialized()
    {
        if (Volatile.Read(ref s_initialized))
        {
            return;
        }

        lock (s_gate)
        {
            if (s_initialized)
            {
                return;
            }

            // Uploaded files are untrusted: no network access of any kind from GDAL or PROJ, and no
            // sibling-file probing beyond what a driver needs.
            Cpl.CPLSetConfigOption("PROJ_NETWORK", "OFF");
            Cpl.CPLSetConfigOption("GDAL_HTTP_TIMEOUT", "1");
            Cpl.CPLSetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", "none-allowed");
            Cpl.CPLSetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR");
            Cpl.CPLSetConfigOption("OGR_GEOJSON_MAX_OBJ_SIZE", "500");
            Cpl.CPLSetConfigOption("GDAL_CACHEMAX", "256");
            // The quiet handler still records the thread-local last error that GdalThrow reads, but keeps
            // GDAL from writing to our stderr.
            var quiet = NativeLibrary.GetExport(Libraries.Handle, "CPLQuietErrorHandler");
            Cpl.CPLSetErrorHandler(quiet);
            GdalApi.GDALAllRegister();
            Volatile.Write(ref s_initialized, true);
        }
    }

    /// <summary>GDAL's release name, e.g. "3.6.2".</summary>
    public static string Version
    {
        get
        {
            EnsureInitialized();
            return Marshal.PtrToStringUTF8(GdalApi.GDALVersionInfo("RELEASE_NAME")) ?? "unknown";
        }
    }

    /// <summary>The number of registered raster and vector drivers.</summary>
    public static int DriverCount
    {
        get
        {
            EnsureInitialized();
            return GdalApi.GDALGetDriverCount();
        }
    }

    internal static IntPtr Driver(string shortName)
    {
        EnsureInitialized();
        var driver = GdalApi.GDALGetDriverByName(shortName);
        if (driver == IntPtr.Zero)
        {
            throw new GdalException($"GDAL driver '{shortName}' is not available in this libgdal build.");
        }

        return driver;
    }
}

/// <summary>GDAL configuration options that callers may set (process-wide).</summary>
public static class GdalConfig
{
    /// <summary>Sets a GDAL configuration option such as OGR_CURRENT_DATE; null clears it.</summary>
    public static void Set(string key, string? value)
    {
        GdalRuntime.EnsureInitialized();
        Interop.Cpl.CPLSetConfigOption(key, value);
    }
}
