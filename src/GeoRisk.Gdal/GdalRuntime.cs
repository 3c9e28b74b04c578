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
            // sibling-file probing beyond what a driver needs. Every HTTP request GDAL makes through its
            // fetch API (a GeoJSON "crs" link, OSR importFromUrl, WMS/WFS, GML schemas and xlinks) is
            // answered by RefuseFetch without touching the network; /vsicurl/ (curl directly) is closed by
            // the allowed-extension list and by never opening a name that is not a local file.
            unsafe
            {
                Cpl.CPLHTTPSetFetchCallback(
                    (IntPtr)(delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr, IntPtr, IntPtr, IntPtr, IntPtr>)&RefuseFetch, IntPtr.Zero);
            }

            Cpl.CPLSetConfigOption("PROJ_NETWORK", "OFF");
            Cpl.CPLSetConfigOption("GDAL_HTTP_TIMEOUT", "1");
            Cpl.CPLSetConfigOption("GDAL_HTTP_MAX_RETRY", "0");
            Cpl.CPLSetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", "none-allowed");
            Cpl.CPLSetConfigOption("GML_SKIP_RESOLVE_ELEMS", "ALL");
            Cpl.CPLSetConfigOption("GML_DOWNLOAD_WFS_SCHEMA", "NO");
            Cpl.CPLSetConfigOption("GML_SKIP_CORRUPTED_FEATURES", "YES");
            Cpl.CPLSetConfigOption("LIBKML_RESOLVE_STYLE", "NO");
            Cpl.CPLSetConfigOption("GDAL_ENABLE_DEPRECATED_DRIVER_DODS", "NO");
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

    private static long s_refusedFetches;

    [ThreadStatic]
    private static long t_refusedFetches;

    /// <summary>HTTP requests GDAL tried to make and was refused (they never reached the network).</summary>
    public static long RefusedNetworkRequests => Interlocked.Read(ref s_refusedFetches);

    /// <summary>The same, counted on the calling thread only: GDAL calls the fetch callback on the thread that made the GDAL call.</summary>
    public static long RefusedNetworkRequestsOnThisThread => t_refusedFetches;

    /// <summary>The CPLHTTPFetchCallbackFunc: a failed CPLHTTPResult (allocated by GDAL's allocator, as CPLHTTPDestroyResult frees it), no request.</summary>
    [UnmanagedCallersOnly]
    private static IntPtr RefuseFetch(IntPtr url, IntPtr options, IntPtr progress, IntPtr progressArg, IntPtr write, IntPtr writeArg, IntPtr userData)
    {
        Interlocked.Increment(ref s_refusedFetches);
        t_refusedFetches++;
        // CPLHTTPResult is 72 bytes on 64-bit; zeroed but nStatus (its first field) means "failed, no data".
        var result = Cpl.VSICalloc(1, 128);
        if (result != IntPtr.Zero)
        {
            Marshal.WriteInt32(result, 1);
        }

        return result;
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

    /// <summary>
    /// The most GDAL's raster block cache holds, in bytes, for the whole process: 256 MB, set at start-up over any GDAL_CACHEMAX in
    /// the environment (GDAL's own default would be 5 % of physical memory, 1.2 GB on a 24 GB machine).
    /// </summary>
    public static long BlockCacheBytes
    {
        get
        {
            EnsureInitialized();
            return GdalApi.GDALGetCacheMax64();
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
