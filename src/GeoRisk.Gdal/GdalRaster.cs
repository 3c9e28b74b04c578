using System.Runtime.Intrinsics;
using GeoRisk.Raster;

namespace GeoRisk.Gdal;

/// <summary>Band 1 of a GeoTIFF/COG as an engine source: floats, nodata turned into NaN.</summary>
public sealed class GdalRasterSource : IRasterSource, IDisposable
{
    private readonly RasterDataset _dataset;
    private readonly float? _noData;

    public GdalRasterSource(string path)
    {
        _dataset = RasterDataset.Open(path);
        Grid = new GridSpec(_dataset.Width, _dataset.Height, GeoTransform.FromGdal(_dataset.GeoTransform), _dataset.ProjectionWkt);
        _noData = _dataset.GetNoData(1) is { } nd ? (float)nd : null;
        PreferredStripRows = Math.Max(1, _dataset.GetBlockSize(1).Height);
    }

    public GridSpec Grid { get; }

    public int PreferredStripRows { get; }

    public double? NoData => _noData;

    public void ReadRows(int y, int rows, Span<float> destination)
    {
        _dataset.Read(1, 0, y, Grid.Width, rows, destination[..(rows * Grid.Width)]);
        if (_noData is { } nd && !float.IsNaN(nd))
        {
            NoDataConversion.Replace(destination[..(rows * Grid.Width)], nd, float.NaN);
        }
    }

    /// <summary>Reads the whole band into memory.</summary>
    public RasterBuffer<float> ReadAll()
    {
        var buffer = new RasterBuffer<float>(Grid.Width, Grid.Height);
        ReadRows(0, Grid.Height, buffer.Span);
        return buffer;
    }

    public void Dispose() => _dataset.Dispose();
}

/// <summary>A new single-band GeoTIFF as an engine sink: NaN written as <see cref="NoData"/>.</summary>
public sealed class GdalRasterSink : IRasterSink, IDisposable
{
    private readonly RasterDataset _dataset;
    private readonly RasterDataType _type;
    private float[] _scratch = [];

    public GdalRasterSink(string path, GridSpec grid, RasterDataType type = RasterDataType.Float32, double noData = -9999, IEnumerable<string>? creationOptions = null)
    {
        Grid = grid;
        _type = type;
        NoData = noData;
        _dataset = RasterDataset.CreateGeoTiff(path, grid.Width, grid.Height, 1, type,
            // Uncompressed and tiled, like GDAL's utilities: compression costs more than the kernels on
            // scratch outputs; stored layers are converted to compressed COGs at publish time.
            creationOptions ?? ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "BIGTIFF=IF_SAFER"]);
        _dataset.GeoTransform = grid.Transform.ToGdal();
        if (!string.IsNullOrEmpty(grid.CrsWkt))
        {
            _dataset.ProjectionWkt = grid.CrsWkt;
        }

        _dataset.SetNoData(1, noData);
    }

    public GridSpec Grid { get; }

    public double NoData { get; }

    public void WriteRows(int y, int rows, ReadOnlySpan<float> source)
    {
        var n = rows * Grid.Width;
        if (_scratch.Length < n)
        {
            _scratch = new float[n];
        }

        var d = _scratch.AsSpan(0, n);
        source[..n].CopyTo(d);
        NoDataConversion.Replace(d, float.NaN, (float)NoData);
        _dataset.Write<float>(1, 0, y, Grid.Width, rows, d);
    }

    public void WriteAll(RasterBuffer<float> buffer) => WriteRows(0, Grid.Height, buffer.Span);

    public RasterDataType DataType => _type;

    public void Dispose() => _dataset.Dispose();
}

/// <summary>Swaps one marker value for another across a span, eight floats at a time.</summary>
internal static class NoDataConversion
{
    /// <summary>Replaces every <paramref name="from"/> (NaN matches NaN) with <paramref name="to"/>.</summary>
    public static void Replace(Span<float> values, float from, float to)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var target = Vector256.Create(from);
            var replacement = Vector256.Create(to);
            for (; i <= values.Length - 8; i += 8)
            {
                var v = Vector256.Create<float>(values.Slice(i, 8));
                var match = float.IsNaN(from) ? ~Vector256.Equals(v, v) : Vector256.Equals(v, target);
                Vector256.ConditionalSelect(match, replacement, v).CopyTo(values.Slice(i, 8));
            }
        }

        for (; i < values.Length; i++)
        {
            if (float.IsNaN(from) ? float.IsNaN(values[i]) : values[i] == from)
            {
                values[i] = to;
            }
        }
    }
}
