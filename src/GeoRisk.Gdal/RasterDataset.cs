using System.Runtime.InteropServices;
using GeoRisk.Gdal.Interop;

namespace GeoRisk.Gdal;

/// <summary>GDAL pixel types GeoRisk uses (values are GDALDataType).</summary>
public enum RasterDataType
{
    Byte = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Float64 = 7,
}

/// <summary>An open GDAL raster dataset (GeoTIFF/COG), read and written by windows.</summary>
public sealed class RasterDataset : IDisposable
{
    private readonly SafeGdalDatasetHandle _handle;
    private readonly bool _writable;

    private RasterDataset(SafeGdalDatasetHandle handle, string path, bool writable)
    {
        _handle = handle;
        Path = path;
        _writable = writable;
    }

    public string Path { get; }

    internal SafeGdalDatasetHandle Handle => _handle;

    public int Width => GdalApi.GDALGetRasterXSize(_handle);

    public int Height => GdalApi.GDALGetRasterYSize(_handle);

    public int BandCount => GdalApi.GDALGetRasterCount(_handle);

    public string DriverName => Marshal.PtrToStringUTF8(GdalApi.GDALGetDriverShortName(GdalApi.GDALGetDatasetDriver(_handle))) ?? "";

    /// <summary>Creates a GeoTIFF (tiled and DEFLATE-compressed unless options say otherwise).</summary>
    /// <exception cref="GdalException">GDAL cannot create the file.</exception>
    public static RasterDataset CreateGeoTiff(string path, int width, int height, int bands, RasterDataType type, IEnumerable<string>? creationOptions = null)
    {
        var driver = GdalRuntime.Driver("GTiff");
        using var options = new Utf8StringList(creationOptions ?? ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]);
        var handle = GdalApi.GDALCreate(driver, path, width, height, bands, (int)type, options.PointerOrNull);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            GdalThrow.LastError($"Cannot create GeoTIFF '{path}'");
        }

        return new RasterDataset(handle, path, writable: true);
    }

    /// <summary>Opens a raster with only the given drivers allowed (GTiff by default: no VRT, no network).</summary>
    /// <exception cref="GdalException">The file is missing, corrupt or not of an allowed format.</exception>
    public static RasterDataset Open(string path, bool update = false, IReadOnlyList<string>? allowedDrivers = null)
    {
        GdalRuntime.EnsureInitialized();
        using var drivers = new Utf8StringList(allowedDrivers ?? ["GTiff"]);
        var flags = GdalApi.GDAL_OF_RASTER | GdalApi.GDAL_OF_VERBOSE_ERROR | (update ? GdalApi.GDAL_OF_UPDATE : GdalApi.GDAL_OF_READONLY);
        var handle = GdalApi.GDALOpenEx(path, flags, drivers.Pointer, IntPtr.Zero, IntPtr.Zero);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            GdalThrow.LastError($"Cannot open raster '{System.IO.Path.GetFileName(path)}'");
        }

        return new RasterDataset(handle, path, update);
    }

    /// <summary>The affine geotransform: origin x, pixel width, row rotation, origin y, column rotation, pixel height (negative for north-up).</summary>
    public unsafe double[] GeoTransform
    {
        get
        {
            var gt = new double[6];
            fixed (double* p = gt)
            {
                GdalThrow.IfFailed(GdalApi.GDALGetGeoTransform(_handle, p), "Raster has no geotransform");
            }

            return gt;
        }

        set
        {
            if (value.Length != 6)
            {
                throw new ArgumentException("A geotransform has six coefficients.", nameof(value));
            }

            fixed (double* p = value)
            {
                GdalThrow.IfFailed(GdalApi.GDALSetGeoTransform(_handle, p), "Cannot set geotransform");
            }
        }
    }

    public string ProjectionWkt
    {
        get => Marshal.PtrToStringUTF8(GdalApi.GDALGetProjectionRef(_handle)) ?? "";
        set => GdalThrow.IfFailed(GdalApi.GDALSetProjection(_handle, value), "Cannot set projection");
    }

    public RasterDataType GetDataType(int band) => (RasterDataType)GdalApi.GDALGetRasterDataType(Band(band));

    public unsafe (int Width, int Height) GetBlockSize(int band)
    {
        int bx, by;
        GdalApi.GDALGetBlockSize(Band(band), &bx, &by);
        return (bx, by);
    }

    public unsafe double? GetNoData(int band)
    {
        int ok;
        var value = GdalApi.GDALGetRasterNoDataValue(Band(band), &ok);
        return ok != 0 ? value : null;
    }

    public void SetNoData(int band, double value) =>
        GdalThrow.IfFailed(GdalApi.GDALSetRasterNoDataValue(Band(band), value), "Cannot set nodata");

    /// <summary>Reads a window into <paramref name="buffer"/> (row-major, <paramref name="width"/> × <paramref name="height"/>), converting to T.</summary>
    /// <exception cref="GdalException">The read fails (corrupt data, window outside the raster).</exception>
    public unsafe void Read<T>(int band, int x, int y, int width, int height, Span<T> buffer) where T : unmanaged
    {
        CheckWindow(width, height, buffer.Length);
        fixed (T* p = buffer)
        {
            GdalThrow.IfFailed(
                GdalApi.GDALRasterIO(Band(band), GdalApi.GF_Read, x, y, width, height, p, width, height, (int)TypeOf<T>(), 0, 0),
                $"Cannot read window ({x},{y},{width}x{height}) of band {band}");
        }
    }

    /// <summary>Writes a window from <paramref name="buffer"/> (row-major), converting from T to the band type.</summary>
    /// <exception cref="GdalException">The write fails.</exception>
    public unsafe void Write<T>(int band, int x, int y, int width, int height, ReadOnlySpan<T> buffer) where T : unmanaged
    {
        CheckWindow(width, height, buffer.Length);
        fixed (T* p = buffer)
        {
            GdalThrow.IfFailed(
                GdalApi.GDALRasterIO(Band(band), GdalApi.GF_Write, x, y, width, height, p, width, height, (int)TypeOf<T>(), 0, 0),
                $"Cannot write window ({x},{y},{width}x{height}) of band {band}");
        }
    }

    /// <summary>
    /// Reads one whole block in the band's own type straight into <paramref name="buffer"/> (block width ×
    /// height, edge blocks padded), bypassing GDAL's block cache: no cache allocation and one copy fewer
    /// than <see cref="Read{T}"/> for streamed passes that read each block once.
    /// </summary>
    /// <exception cref="GdalException">The read fails.</exception>
    public unsafe void ReadBlock<T>(int band, int xBlock, int yBlock, Span<T> buffer) where T : unmanaged
    {
        var handle = Band(band);
        CheckBlock(handle, buffer.Length, TypeOf<T>());
        fixed (T* p = buffer)
        {
            GdalThrow.IfFailed(GdalApi.GDALReadBlock(handle, xBlock, yBlock, p), $"Cannot read block ({xBlock},{yBlock}) of band {band}");
        }
    }

    /// <summary>Writes one whole block in the band's own type straight to the file, bypassing the block cache.</summary>
    /// <exception cref="GdalException">The write fails.</exception>
    public unsafe void WriteBlock<T>(int band, int xBlock, int yBlock, ReadOnlySpan<T> buffer) where T : unmanaged
    {
        var handle = Band(band);
        CheckBlock(handle, buffer.Length, TypeOf<T>());
        fixed (T* p = buffer)
        {
            GdalThrow.IfFailed(GdalApi.GDALWriteBlock(handle, xBlock, yBlock, p), $"Cannot write block ({xBlock},{yBlock}) of band {band}");
        }
    }

    private static unsafe void CheckBlock(IntPtr band, int length, RasterDataType type)
    {
        int bx, by;
        GdalApi.GDALGetBlockSize(band, &bx, &by);
        if ((RasterDataType)GdalApi.GDALGetRasterDataType(band) != type || (long)bx * by > length)
        {
            throw new ArgumentException(
                $"Block I/O needs a {bx}x{by} buffer of the band's own type {(RasterDataType)GdalApi.GDALGetRasterDataType(band)}, not {length} × {type}.");
        }
    }

    /// <summary>Min, max, mean and standard deviation of a band, computed exactly by GDAL.</summary>
    public unsafe (double Min, double Max, double Mean, double StdDev) ComputeStatistics(int band)
    {
        double min, max, mean, std;
        GdalThrow.IfFailed(GdalApi.GDALComputeRasterStatistics(Band(band), 0, &min, &max, &mean, &std, IntPtr.Zero, IntPtr.Zero), "Cannot compute statistics");
        return (min, max, mean, std);
    }

    /// <summary>
    /// Gives a band a colour table (palette interpretation) and category names, so GDAL and QGIS show classes in
    /// their colours with their names. GeoTIFF keeps the table in the file and the names in the PAM sidecar
    /// (<c>.aux.xml</c>), which a COG copy of the dataset carries over.
    /// </summary>
    /// <exception cref="GdalException">The driver refuses a colour table (e.g. a Float32 band).</exception>
    public unsafe void SetCategories(int band, RasterCategories categories)
    {
        var b = Band(band);
        var table = GdalApi.GDALCreateColorTable(1); // GPI_RGB
        try
        {
            var entry = stackalloc short[4];
            for (var v = 0; v <= categories.MaxValue; v++)
            {
                var c = categories.Classes.FirstOrDefault(k => k.Value == v);
                (entry[0], entry[1], entry[2], entry[3]) = c.Name is null ? ((short)0, (short)0, (short)0, (short)0) : (c.R, c.G, c.B, (short)255);
                GdalApi.GDALSetColorEntry(table, v, entry);
            }

            GdalThrow.IfFailed(GdalApi.GDALSetRasterColorTable(b, table), "Cannot set the colour table");
        }
        finally
        {
            GdalApi.GDALDestroyColorTable(table);
        }

        GdalThrow.IfFailed(GdalApi.GDALSetRasterColorInterpretation(b, 2), "Cannot set the palette interpretation"); // GCI_PaletteIndex
        using var names = new Utf8StringList(
            Enumerable.Range(0, categories.MaxValue + 1).Select(v => categories.Classes.FirstOrDefault(k => k.Value == v).Name ?? ""));
        GdalThrow.IfFailed(GdalApi.GDALSetRasterCategoryNames(b, names.Pointer), "Cannot set category names");
    }

    /// <summary>The band's colour table entries (value → RGBA), empty when it has none.</summary>
    public unsafe IReadOnlyList<(short R, short G, short B, short A)> GetColourTable(int band)
    {
        var table = GdalApi.GDALGetRasterColorTable(Band(band));
        if (table == IntPtr.Zero)
        {
            return [];
        }

        var list = new List<(short, short, short, short)>();
        for (var i = 0; i < GdalApi.GDALGetColorEntryCount(table); i++)
        {
            var e = (short*)GdalApi.GDALGetColorEntry(table, i);
            list.Add((e[0], e[1], e[2], e[3]));
        }

        return list;
    }

    /// <summary>The band's category names by value, empty when it has none.</summary>
    public IReadOnlyList<string> GetCategoryNames(int band)
    {
        var list = new List<string>();
        var names = GdalApi.GDALGetRasterCategoryNames(Band(band));
        for (var i = 0; names != IntPtr.Zero && Marshal.ReadIntPtr(names, i * IntPtr.Size) is var p && p != IntPtr.Zero; i++)
        {
            list.Add(Marshal.PtrToStringUTF8(p) ?? "");
        }

        return list;
    }

    /// <summary>Writes a Cloud-Optimized GeoTIFF copy of this dataset (with overviews).</summary>
    /// <exception cref="GdalException">The copy fails.</exception>
    public void CopyToCog(string path, IEnumerable<string>? creationOptions = null)
    {
        var driver = GdalRuntime.Driver("COG");
        using var options = new Utf8StringList(creationOptions ?? ["COMPRESS=DEFLATE", "PREDICTOR=YES", "OVERVIEWS=AUTO", "BIGTIFF=IF_SAFER"]);
        var copy = GdalApi.GDALCreateCopy(driver, path, _handle, 0, options.PointerOrNull, IntPtr.Zero, IntPtr.Zero);
        if (copy.IsInvalid)
        {
            copy.Dispose();
            GdalThrow.LastError($"Cannot write COG '{path}'");
        }

        copy.Dispose();
        if (copy.CloseError is { } failed)
        {
            throw failed;
        }
    }

    public void Flush() => GdalThrow.IfFailed(GdalApi.GDALFlushCache(_handle), "Cannot flush raster");

    /// <summary>Closes the dataset; for a written one, blocks still cached are written now.</summary>
    /// <exception cref="GdalException">Writing the last blocks failed (e.g. the disk is full): the file is incomplete.</exception>
    public void Dispose()
    {
        if (_handle.IsClosed)
        {
            return;
        }

        _handle.Dispose();
        if (_writable && _handle.CloseError is { } failed)
        {
            throw failed;
        }
    }

    private IntPtr Band(int index)
    {
        var band = GdalApi.GDALGetRasterBand(_handle, index);
        if (band == IntPtr.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Band {index} does not exist (the raster has {BandCount}).");
        }

        return band;
    }

    private static void CheckWindow(int width, int height, int length)
    {
        if (width <= 0 || height <= 0 || (long)width * height > length)
        {
            throw new ArgumentException($"Buffer of {length} elements cannot hold a {width}x{height} window.");
        }
    }

    internal static RasterDataType TypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(byte) ? RasterDataType.Byte :
        typeof(T) == typeof(ushort) ? RasterDataType.UInt16 :
        typeof(T) == typeof(short) ? RasterDataType.Int16 :
        typeof(T) == typeof(uint) ? RasterDataType.UInt32 :
        typeof(T) == typeof(int) ? RasterDataType.Int32 :
        typeof(T) == typeof(float) ? RasterDataType.Float32 :
        typeof(T) == typeof(double) ? RasterDataType.Float64 :
        throw new NotSupportedException($"{typeof(T).Name} is not a GDAL pixel type.");
}

/// <summary>Classes of a categorical raster: value, colour and name (a grade raster's 1..N with legend colours and census terms).</summary>
public sealed record RasterCategories(IReadOnlyList<(int Value, short R, short G, short B, string Name)> Classes)
{
    public int MaxValue => Classes.Count == 0 ? 0 : Classes.Max(c => c.Value);

    /// <summary>From "#rrggbb" colours.</summary>
    public static RasterCategories FromHex(IEnumerable<(int Value, string Colour, string Name)> classes) => new(classes.Select(c =>
    {
        var hex = c.Colour.TrimStart('#');
        short Part(int i) => short.Parse(hex.AsSpan(i, 2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        return (c.Value, Part(0), Part(2), Part(4), c.Name);
    }).ToList());
}
