using System.Runtime.InteropServices;
using GeoRisk.Gdal.Interop;

namespace GeoRisk.Gdal;

/// <summary>A coordinate reference system as PROJ understands it, always in x = easting/longitude order.</summary>
public sealed class SpatialReference : IDisposable
{
    internal SpatialReference(SafeOsrHandle handle)
    {
        Handle = handle;
        Osr.OSRSetAxisMappingStrategy(handle, Osr.OAMS_TRADITIONAL_GIS_ORDER);
    }

    internal SafeOsrHandle Handle { get; }

    /// <exception cref="GdalException">The code is unknown to the PROJ database.</exception>
    public static SpatialReference FromEpsg(int code)
    {
        GdalRuntime.EnsureInitialized();
        var handle = Osr.OSRNewSpatialReference(null);
        var err = Osr.OSRImportFromEPSG(handle, code);
        if (err != Ogr.OGRERR_NONE)
        {
            handle.Dispose();
            GdalThrow.LastError($"EPSG:{code} is not a known coordinate reference system");
        }

        return new SpatialReference(handle);
    }

    /// <summary>
    /// Parses WKT (OGC or ESRI .prj) or an "EPSG:n" code, and nothing else: OSRSetFromUserInput would also
    /// take file names (a relative path is read from the working directory), URLs and PROJ strings with
    /// grids, so it is never called; URLs and grids are refused even inside WKT.
    /// </summary>
    /// <exception cref="ArgumentException">The definition is empty or not one of the accepted forms.</exception>
    /// <exception cref="GdalException">GDAL cannot parse it.</exception>
    public static SpatialReference Parse(string definition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(definition);
        var trimmed = definition.Trim();
        if (trimmed.Contains("://", StringComparison.Ordinal) || trimmed.Contains("nadgrids", StringComparison.OrdinalIgnoreCase) ||
            trimmed.Contains("geoidgrids", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith('/') || trimmed.StartsWith('+') ||
            trimmed.Contains("/vsi", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                $"CRS definitions with URLs, file paths or PROJ strings are not accepted: '{Truncate(trimmed)}'. Give an EPSG code or WKT.",
                nameof(definition));
        }

        if (trimmed.StartsWith("EPSG:", StringComparison.OrdinalIgnoreCase))
        {
            return int.TryParse(trimmed.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code)
                ? FromEpsg(code)
                : throw new ArgumentException($"'{Truncate(trimmed)}' is not EPSG:<number>.", nameof(definition));
        }

        if (!LooksLikeWkt(trimmed))
        {
            throw new ArgumentException(
                $"'{Truncate(trimmed)}' is neither EPSG:<code> nor WKT; names, file paths and PROJ strings are not accepted.", nameof(definition));
        }

        GdalRuntime.EnsureInitialized();
        var handle = Osr.OSRNewSpatialReference(null);
        var err = ImportFromWkt(handle, trimmed);
        if (err != Ogr.OGRERR_NONE)
        {
            handle.Dispose();
            GdalThrow.LastError($"Cannot parse the coordinate reference system '{Truncate(trimmed)}'");
        }

        return new SpatialReference(handle);
    }

    /// <summary>A WKT1 or WKT2 keyword (letters, digits, '_') followed by '[' or '('.</summary>
    private static bool LooksLikeWkt(string text)
    {
        var i = 0;
        while (i < text.Length && (char.IsAsciiLetterUpper(text[i]) || char.IsAsciiDigit(text[i]) || text[i] == '_'))
        {
            i++;
        }

        return i >= 4 && i < text.Length && text[i] is '[' or '(';
    }

    private static unsafe int ImportFromWkt(SafeOsrHandle handle, string wkt)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(wkt + "\0");
        fixed (byte* p = bytes)
        {
            var cursor = p;
            return Osr.OSRImportFromWkt(handle, &cursor);
        }
    }

    internal static SpatialReference? CloneOf(IntPtr borrowed)
    {
        if (borrowed == IntPtr.Zero)
        {
            return null;
        }

        var clone = Osr.OSRClone(borrowed);
        return clone.IsInvalid ? null : new SpatialReference(clone);
    }

    /// <summary>WKT1 as GDAL exports it.</summary>
    public string Wkt
    {
        get
        {
            var err = Osr.OSRExportToWkt(Handle, out var ptr);
            try
            {
                GdalThrow.IfOgrFailed(err, "Cannot export CRS to WKT");
                return Marshal.PtrToStringUTF8(ptr) ?? "";
            }
            finally
            {
                Cpl.VSIFree(ptr);
            }
        }
    }

    public string Name => Marshal.PtrToStringUTF8(Osr.OSRGetName(Handle)) ?? "";

    public bool IsGeographic => Osr.OSRIsGeographic(Handle) != 0;

    public bool IsProjected => Osr.OSRIsProjected(Handle) != 0;

    /// <summary>The EPSG code of the CRS, identified from its definition when no authority is attached; null if none matches.</summary>
    public int? EpsgCode
    {
        get
        {
            var key = IsProjected ? "PROJCS" : IsGeographic ? "GEOGCS" : null;
            if (Marshal.PtrToStringUTF8(Osr.OSRGetAuthorityName(Handle, key)) is not "EPSG")
            {
                Osr.OSRAutoIdentifyEPSG(Handle);
                Cpl.CPLErrorReset();
            }

            if (Marshal.PtrToStringUTF8(Osr.OSRGetAuthorityName(Handle, key)) == "EPSG" &&
                int.TryParse(Marshal.PtrToStringUTF8(Osr.OSRGetAuthorityCode(Handle, key)), System.Globalization.CultureInfo.InvariantCulture, out var code))
            {
                return code;
            }

            return null;
        }
    }

    /// <summary>A projection parameter such as "central_meridian" or "false_easting"; null when absent.</summary>
    public double? GetProjectionParameter(string name)
    {
        var value = OsrParameters.OSRGetProjParm(Handle, name, double.NaN, out var err);
        return err == Ogr.OGRERR_NONE && !double.IsNaN(value) ? value : null;
    }

    /// <summary>Metres per linear unit of a projected CRS (1 for metre).</summary>
    public double LinearUnitInMetres => OsrParameters.OSRGetLinearUnits(Handle, out _);

    public void Dispose() => Handle.Dispose();

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}

/// <summary>A PROJ coordinate operation between two CRSs (x = easting/longitude on both sides).</summary>
public sealed class CoordinateTransformation : IDisposable
{
    internal CoordinateTransformation(SafeOctHandle handle) => Handle = handle;

    internal SafeOctHandle Handle { get; }

    /// <exception cref="GdalException">PROJ finds no operation between the two CRSs.</exception>
    public static CoordinateTransformation Create(SpatialReference source, SpatialReference target)
    {
        var handle = Osr.OCTNewCoordinateTransformation(source.Handle, target.Handle);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            GdalThrow.LastError($"No coordinate operation from '{source.Name}' to '{target.Name}'");
        }

        return new CoordinateTransformation(handle);
    }

    /// <summary>
    /// The transformation that runs exactly <paramref name="operation"/> (a PROJ pipeline in the CRSs' own axis order), or its
    /// inverse: PROJ does not search its database for candidate operations, which costs milliseconds per transformation.
    /// </summary>
    /// <exception cref="GdalException">PROJ cannot build the operation.</exception>
    public static CoordinateTransformation Create(SpatialReference source, SpatialReference target, string operation, bool reverse)
    {
        var options = Osr.OCTNewCoordinateTransformationOptions();
        try
        {
            if (Osr.OCTCoordinateTransformationOptionsSetOperation(options, operation, reverse ? 1 : 0) == 0)
            {
                GdalThrow.LastError($"Invalid coordinate operation '{operation}'");
            }

            var handle = Osr.OCTNewCoordinateTransformationEx(source.Handle, target.Handle, options);
            if (handle.IsInvalid)
            {
                handle.Dispose();
                GdalThrow.LastError($"Cannot build the coordinate operation '{operation}'");
            }

            return new CoordinateTransformation(handle);
        }
        finally
        {
            Osr.OCTDestroyCoordinateTransformationOptions(options);
        }
    }

    /// <summary>Transforms the points in place.</summary>
    /// <exception cref="GdalException">A point cannot be transformed.</exception>
    public unsafe void Transform(Span<double> xs, Span<double> ys)
    {
        if (xs.Length != ys.Length)
        {
            throw new ArgumentException("xs and ys must have the same length.", nameof(ys));
        }

        fixed (double* px = xs)
        fixed (double* py = ys)
        {
            if (Osr.OCTTransform(Handle, xs.Length, px, py, null) == 0)
            {
                GdalThrow.LastError("Coordinate transformation failed");
            }
        }
    }

    public void Dispose() => Handle.Dispose();
}
