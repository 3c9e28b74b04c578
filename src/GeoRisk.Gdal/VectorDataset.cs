using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using GeoRisk.Gdal.Interop;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Gdal;

public enum VectorFieldType
{
    Integer = Ogr.OFTInteger,
    Integer64 = Ogr.OFTInteger64,
    Real = Ogr.OFTReal,
    String = Ogr.OFTString,
    Date = Ogr.OFTDate,
}

/// <summary>OGRwkbGeometryType values for the 2D types GeoRisk writes.</summary>
public enum VectorGeometryType
{
    Unknown = 0,
    Point = 1,
    LineString = 2,
    Polygon = 3,
    MultiPoint = 4,
    MultiLineString = 5,
    MultiPolygon = 6,
}

public sealed record VectorField(string Name, VectorFieldType Type, int Width = 0);

/// <summary>A layer as found in a source file.</summary>
public sealed record VectorLayerInfo(
    int Index, string Name, int GeometryType, long FeatureCount, string? CrsWkt, int? CrsEpsg, IReadOnlyList<VectorField> Fields);

/// <summary>A feature read from a source: its id in the source, geometry (null if absent) and attributes by field name.</summary>
public sealed record VectorFeature(long Fid, Geometry? Geometry, IReadOnlyDictionary<string, object?> Attributes);

/// <summary>An OGR vector data source, opened for reading with an allowed-driver list or created for writing.</summary>
public sealed class VectorDataset : IDisposable
{
    private readonly SafeGdalDatasetHandle _handle;

    private VectorDataset(SafeGdalDatasetHandle handle) => _handle = handle;

    public string DriverName => Marshal.PtrToStringUTF8(GdalApi.GDALGetDriverShortName(GdalApi.GDALGetDatasetDriver(_handle))) ?? "";

    /// <summary>Opens a vector source read-only. Only <paramref name="allowedDrivers"/> may claim the file.</summary>
    /// <exception cref="GdalException">No allowed driver recognises the file, or it is corrupt.</exception>
    public static VectorDataset OpenRead(string path, IReadOnlyList<string> allowedDrivers, IEnumerable<string>? openOptions = null)
    {
        GdalRuntime.EnsureInitialized();
        using var drivers = new Utf8StringList(allowedDrivers);
        using var options = new Utf8StringList(openOptions);
        var handle = GdalApi.GDALOpenEx(path, GdalApi.GDAL_OF_VECTOR | GdalApi.GDAL_OF_READONLY | GdalApi.GDAL_OF_VERBOSE_ERROR,
            drivers.Pointer, options.PointerOrNull, IntPtr.Zero);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            GdalThrow.LastError($"Cannot open '{Path.GetFileName(path)}' as a vector file of an accepted format ({string.Join(", ", allowedDrivers)})");
        }

        return new VectorDataset(handle);
    }

    /// <summary>Creates a new vector file with the named OGR driver (e.g. "GPKG", "GeoJSON", "ESRI Shapefile", "KML").</summary>
    /// <exception cref="GdalException">The file cannot be created.</exception>
    public static VectorDataset Create(string driverName, string path, IEnumerable<string>? creationOptions = null)
    {
        var driver = GdalRuntime.Driver(driverName);
        using var options = new Utf8StringList(creationOptions);
        var handle = GdalApi.GDALCreate(driver, path, 0, 0, 0, 0, options.PointerOrNull);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            GdalThrow.LastError($"Cannot create {driverName} '{path}'");
        }

        return new VectorDataset(handle);
    }

    public IReadOnlyList<VectorLayerInfo> Layers
    {
        get
        {
            var count = Ogr.GDALDatasetGetLayerCount(_handle);
            var result = new List<VectorLayerInfo>(count);
            for (var i = 0; i < count; i++)
            {
                var layer = Ogr.GDALDatasetGetLayer(_handle, i);
                using var srs = SpatialReference.CloneOf(Ogr.OGR_L_GetSpatialRef(layer));
                result.Add(new VectorLayerInfo(
                    i,
                    Marshal.PtrToStringUTF8(Ogr.OGR_L_GetName(layer)) ?? $"layer{i}",
                    Ogr.OGR_L_GetGeomType(layer),
                    Ogr.OGR_L_GetFeatureCount(layer, 1),
                    srs?.Wkt,
                    srs?.EpsgCode,
                    ReadFields(Ogr.OGR_L_GetLayerDefn(layer))));
            }

            return result;
        }
    }

    /// <summary>The CRS of a layer, or null when the source declares none.</summary>
    public SpatialReference? GetLayerCrs(int layerIndex) => SpatialReference.CloneOf(Ogr.OGR_L_GetSpatialRef(Layer(layerIndex)));

    /// <summary>
    /// Streams the features of a layer. Geometries are transformed by <paramref name="transform"/> when given.
    /// Strings are decoded by <paramref name="stringDecoder"/> from GDAL's raw bytes (UTF-8 unless the source
    /// was opened without recoding).
    /// </summary>
    /// <exception cref="GdalException">A geometry cannot be transformed or exported.</exception>
    public IEnumerable<VectorFeature> ReadFeatures(
        int layerIndex, CoordinateTransformation? transform = null, Func<ReadOnlySpan<byte>, string>? stringDecoder = null)
    {
        var layer = Layer(layerIndex);
        var fields = ReadFields(Ogr.OGR_L_GetLayerDefn(layer));
        var reader = new WKBReader();
        stringDecoder ??= static bytes => Encoding.UTF8.GetString(bytes);
        Ogr.OGR_L_ResetReading(layer);
        while (true)
        {
            using var feature = Ogr.OGR_L_GetNextFeature(layer);
            if (feature.IsInvalid)
            {
                yield break;
            }

            var attributes = new Dictionary<string, object?>(fields.Count, StringComparer.Ordinal);
            for (var i = 0; i < fields.Count; i++)
            {
                attributes[fields[i].Name] = Ogr.OGR_F_IsFieldSetAndNotNull(feature, i) == 0 ? null : fields[i].Type switch
                {
                    VectorFieldType.Integer or VectorFieldType.Integer64 => Ogr.OGR_F_GetFieldAsInteger64(feature, i),
                    VectorFieldType.Real => Ogr.OGR_F_GetFieldAsDouble(feature, i),
                    _ => DecodeString(Ogr.OGR_F_GetFieldAsString(feature, i), stringDecoder),
                };
            }

            yield return new VectorFeature(Ogr.OGR_F_GetFID(feature), ExportGeometry(Ogr.OGR_F_GetGeometryRef(feature), transform, reader), attributes);
        }
    }

    /// <summary>
    /// Runs a read-only query the caller wrote (never one built from input) and returns the first column of
    /// every row as text. Used to inspect a GeoPackage's schema before reading it.
    /// </summary>
    /// <exception cref="GdalException">The query fails.</exception>
    public IReadOnlyList<string?> QueryStrings(string sql)
    {
        Interop.Cpl.CPLErrorReset();
        var result = Ogr.GDALDatasetExecuteSQL(_handle, sql, IntPtr.Zero, null);
        if (result == IntPtr.Zero)
        {
            GdalThrow.LastError("Query failed");
            return [];
        }

        try
        {
            var values = new List<string?>();
            while (true)
            {
                using var feature = Ogr.OGR_L_GetNextFeature(result);
                if (feature.IsInvalid)
                {
                    return values;
                }

                values.Add(Ogr.OGR_F_IsFieldSetAndNotNull(feature, 0) == 0 ? null : Marshal.PtrToStringUTF8(Ogr.OGR_F_GetFieldAsString(feature, 0)));
            }
        }
        finally
        {
            Ogr.GDALDatasetReleaseResultSet(_handle, result);
        }
    }

    /// <summary>Creates a layer and returns a writer for its features.</summary>
    /// <exception cref="GdalException">The layer or a field cannot be created.</exception>
    public VectorLayerWriter CreateLayer(
        string name, SpatialReference? crs, VectorGeometryType geometryType, IReadOnlyList<VectorField> fields, IEnumerable<string>? creationOptions = null)
    {
        using var options = new Utf8StringList(creationOptions);
        var layer = Ogr.GDALDatasetCreateLayer(_handle, name, crs?.Handle ?? new SafeOsrHandle(), (int)geometryType, options.PointerOrNull);
        if (layer == IntPtr.Zero)
        {
            GdalThrow.LastError($"Cannot create layer '{name}'");
        }

        foreach (var field in fields)
        {
            var defn = Ogr.OGR_Fld_Create(field.Name, (int)field.Type);
            try
            {
                if (field.Width > 0)
                {
                    Ogr.OGR_Fld_SetWidth(defn, field.Width);
                }

                GdalThrow.IfOgrFailed(Ogr.OGR_L_CreateField(layer, defn, 1), $"Cannot create field '{field.Name}'");
            }
            finally
            {
                Ogr.OGR_Fld_Destroy(defn);
            }
        }

        return new VectorLayerWriter(_handle, layer, fields.Count);
    }

    public void Dispose() => _handle.Dispose();

    private IntPtr Layer(int index)
    {
        var layer = Ogr.GDALDatasetGetLayer(_handle, index);
        if (layer == IntPtr.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "No such layer.");
        }

        return layer;
    }

    private static List<VectorField> ReadFields(IntPtr defn)
    {
        var count = Ogr.OGR_FD_GetFieldCount(defn);
        var fields = new List<VectorField>(count);
        for (var i = 0; i < count; i++)
        {
            var fd = Ogr.OGR_FD_GetFieldDefn(defn, i);
            var type = Ogr.OGR_Fld_GetType(fd) switch
            {
                Ogr.OFTInteger => VectorFieldType.Integer,
                Ogr.OFTInteger64 => VectorFieldType.Integer64,
                Ogr.OFTReal => VectorFieldType.Real,
                Ogr.OFTDate => VectorFieldType.Date,
                _ => VectorFieldType.String,
            };
            fields.Add(new VectorField(Marshal.PtrToStringUTF8(Ogr.OGR_Fld_GetNameRef(fd)) ?? $"field{i}", type));
        }

        return fields;
    }

    private static unsafe string DecodeString(IntPtr ptr, Func<ReadOnlySpan<byte>, string> decoder)
    {
        if (ptr == IntPtr.Zero)
        {
            return "";
        }

        var span = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)ptr);
        return decoder(span);
    }

    private static unsafe Geometry? ExportGeometry(IntPtr borrowed, CoordinateTransformation? transform, WKBReader reader)
    {
        if (borrowed == IntPtr.Zero)
        {
            return null;
        }

        if (transform is not null)
        {
            GdalThrow.IfOgrFailed(Ogr.OGR_G_Transform(borrowed, transform.Handle), "Cannot transform geometry to the storage CRS");
        }

        var size = Ogr.OGR_G_WkbSize(borrowed);
        var wkb = new byte[size];
        fixed (byte* p = wkb)
        {
            GdalThrow.IfOgrFailed(Ogr.OGR_G_ExportToIsoWkb(borrowed, 1, p), "Cannot export geometry");
        }

        return reader.Read(wkb);
    }
}

/// <summary>Writes features into a layer created by <see cref="VectorDataset.CreateLayer"/>.</summary>
public sealed class VectorLayerWriter
{
    // Keeps the dataset alive for as long as the writer is used: layers are owned by their dataset.
    private readonly SafeGdalDatasetHandle _owner;
    private readonly IntPtr _layer;
    private readonly int _fieldCount;
    private readonly WkbEncoder _wkb = new();

    internal VectorLayerWriter(SafeGdalDatasetHandle owner, IntPtr layer, int fieldCount)
    {
        _owner = owner;
        _layer = layer;
        _fieldCount = fieldCount;
    }

    /// <summary>Groups the following writes into one transaction (much faster for GeoPackage); end with <see cref="CommitTransaction"/>.</summary>
    public void BeginTransaction() => GdalThrow.IfOgrFailed(Ogr.OGR_L_StartTransaction(_layer), "Cannot start a transaction");

    public void CommitTransaction() => GdalThrow.IfOgrFailed(Ogr.OGR_L_CommitTransaction(_layer), "Cannot commit the transaction");

    /// <summary>Adds one feature; <paramref name="values"/> are in field order (string, long/int, double, DateOnly or null).</summary>
    /// <exception cref="GdalException">GDAL rejects the feature.</exception>
    public unsafe void Add(Geometry? geometry, IReadOnlyList<object?> values)
    {
        if (values.Count != _fieldCount)
        {
            throw new ArgumentException($"Expected {_fieldCount} values, got {values.Count}.", nameof(values));
        }

        ObjectDisposedException.ThrowIf(_owner.IsClosed, this);
        using var feature = Ogr.OGR_F_Create(Ogr.OGR_L_GetLayerDefn(_layer));
        for (var i = 0; i < values.Count; i++)
        {
            switch (values[i])
            {
                case null:
                    break;
                case string s:
                    Ogr.OGR_F_SetFieldString(feature, i, s);
                    break;
                case int n:
                    Ogr.OGR_F_SetFieldInteger64(feature, i, n);
                    break;
                case long n:
                    Ogr.OGR_F_SetFieldInteger64(feature, i, n);
                    break;
                case double d:
                    Ogr.OGR_F_SetFieldDouble(feature, i, d);
                    break;
                case DateOnly date:
                    Ogr.OGR_F_SetFieldString(feature, i, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                    break;
                default:
                    throw new ArgumentException($"Unsupported value type {values[i]!.GetType().Name} for field {i}.", nameof(values));
            }
        }

        if (geometry is not null)
        {
            var wkb = _wkb.Encode(geometry);
            IntPtr ogrGeometry;
            fixed (byte* p = wkb)
            {
                GdalThrow.IfOgrFailed(Ogr.OGR_G_CreateFromWkb(p, IntPtr.Zero, &ogrGeometry, wkb.Length), "Cannot build OGR geometry");
            }

            GdalThrow.IfOgrFailed(Ogr.OGR_F_SetGeometryDirectly(feature, ogrGeometry), "Cannot set geometry");
        }

        GdalThrow.IfOgrFailed(Ogr.OGR_L_CreateFeature(_layer, feature), "Cannot write feature");
    }
}
