using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GeoRisk.Gdal.Interop;

internal static partial class Libraries
{
    /// <summary>Logical library name used by every import; resolved to the system soname below.</summary>
    internal const string Gdal = "gdal";

    // Debian 12 ships libgdal.so.32 (GDAL 3.6); newer Debian releases bump the soname. The unversioned
    // name only exists with libgdal-dev, so it is the last resort.
    private static readonly string[] s_candidates =
    [
        "libgdal.so.32", "libgdal.so.33", "libgdal.so.34", "libgdal.so.35", "libgdal.so.36", "libgdal.so.37", "libgdal.so", "libgdal.dylib", "gdal.dll",
    ];

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage(
        "Usage", "CA2255", Justification = "The resolver must be in place before any P/Invoke in this assembly runs.")]
    internal static void RegisterResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(Libraries).Assembly, Resolve);

    private static readonly Lazy<IntPtr> s_handle = new(LoadGdal);

    /// <summary>The loaded libgdal, for looking up exports such as CPLQuietErrorHandler.</summary>
    internal static IntPtr Handle => s_handle.Value;

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Gdal ? s_handle.Value : IntPtr.Zero;

    private static IntPtr LoadGdal()
    {
        var overridePath = Environment.GetEnvironmentVariable("GEORISK_LIBGDAL");
        if (!string.IsNullOrEmpty(overridePath))
        {
            return NativeLibrary.Load(overridePath);
        }

        foreach (var candidate in s_candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }

        throw new DllNotFoundException(
            "The system GDAL library was not found (tried " + string.Join(", ", s_candidates) +
            "). On Debian install it with: apt-get install libgdal32");
    }
}
