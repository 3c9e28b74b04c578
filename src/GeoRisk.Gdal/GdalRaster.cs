using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GeoRisk.Raster;
using GeoRisk.Raster.Distance;

namespace GeoRisk.Gdal;

/// <summary>Band 1 of a GeoTIFF/COG as an engine source: floats, nodata turned into NaN.</summary>
public sealed class GdalRasterSource : IBlockRasterSource, GeoRisk.Raster.Blocks.IRasterWindowSource, IDisposable
{
    private readonly RasterDataset _dataset;
    // One more handle per thread that reads blocks concurrently (a GDAL dataset handle is single-threaded).
    private readonly ThreadLocal<RasterDataset> _blockHandles;
    private readonly float? _noData;
    private readonly (int Width, int Height) _block;
    private readonly bool _blockReads;
    private float[] _tile = [];

    public GdalRasterSource(string path)
    {
        _dataset = RasterDataset.Open(path);
        Grid = new GridSpec(_dataset.Width, _dataset.Height, GeoTransform.FromGdal(_dataset.GeoTransform), _dataset.ProjectionWkt);
        _noData = _dataset.GetNoData(1) is { } nd ? (float)nd : null;
        _block = _dataset.GetBlockSize(1);
        _blockReads = _dataset.GetDataType(1) == RasterDataType.Float32 && (long)_block.Width * _block.Height <= 1 << 24;
        PreferredStripRows = Math.Max(1, _block.Height);
        _blockHandles = new ThreadLocal<RasterDataset>(() => RasterDataset.Open(_dataset.Path), trackAllValues: true);
    }

    public GridSpec Grid { get; }

    public int PreferredStripRows { get; }

    public (int Width, int Height)? BlockSize => _blockReads ? _block : null;

    public void ReadBlock(int blockX, int blockY, Span<float> block)
    {
        if (!_blockReads)
        {
            throw new NotSupportedException("Only float bands are read by blocks.");
        }

        block = block[..(_block.Width * _block.Height)];
        _blockHandles.Value!.ReadBlock(1, blockX, blockY, block);
        if (_noData is { } nd && !float.IsNaN(nd))
        {
            NoDataConversion.Replace(block, nd, float.NaN);
        }
    }

    public double? NoData => _noData;

    /// <summary>A window through this thread's own handle (GDAL's block cache serves the halos blocks share).</summary>
    public void ReadWindow(int x, int y, int width, int height, Span<float> destination)
    {
        var target = destination[..(width * height)];
        _blockHandles.Value!.Read(1, x, y, width, height, target);
        if (_noData is { } nd && !float.IsNaN(nd))
        {
            NoDataConversion.Replace(target, nd, float.NaN);
        }
    }

    public void ReadRows(int y, int rows, Span<float> destination)
    {
        var target = destination[..(rows * Grid.Width)];
        var bh = _block.Height;
        if (_blockReads && y % bh == 0 && (rows % bh == 0 || y + rows == Grid.Height))
        {
            ReadBlockRows(y, rows, target);
            return;
        }

        _dataset.Read(1, 0, y, Grid.Width, rows, target);
        if (_noData is { } nd && !float.IsNaN(nd))
        {
            NoDataConversion.Replace(target, nd, float.NaN);
        }
    }

    /// <summary>
    /// Whole block rows read block by block past GDAL's cache, each block scattered into the strip with
    /// nodata turned into NaN in the same pass: one copy of the data instead of three (cache, buffer,
    /// conversion), and no cache memory to fault in.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop of every streamed read; see Expression.Evaluate
    private void ReadBlockRows(int y, int rows, Span<float> destination)
    {
        var (bw, bh) = _block;
        if (_tile.Length < bw * bh)
        {
            _tile = new float[bw * bh];
        }

        var width = Grid.Width;
        var from = _noData ?? float.NaN;
        for (var by = y / bh; by * bh < y + rows; by++)
        {
            var blockRows = Math.Min(bh, y + rows - by * bh);
            for (var bx = 0; bx * bw < width; bx++)
            {
                _dataset.ReadBlock<float>(1, bx, by, _tile);
                var x0 = bx * bw;
                var w = Math.Min(bw, width - x0);
                for (var r = 0; r < blockRows; r++)
                {
                    NoDataConversion.CopyReplacing(_tile.AsSpan(r * bw, w), destination.Slice((by * bh - y + r) * width + x0, w), from, float.NaN);
                }
            }
        }
    }

    /// <summary>
    /// The source cells of the band for a distance transform: cells that are not nodata and are one of
    /// <paramref name="values"/> (any non-zero value when null). Read strip by strip into per-column
    /// source lists, so memory follows the number of sources, not the grid. Byte bands (the usual
    /// rasterized features) are read as bytes and mapped through a 256-entry table, never widened to floats.
    /// </summary>
    public ColumnSources ReadSources(IReadOnlySet<float>? values = null)
    {
        // The two halves are read at once through two GDAL handles (one handle is not thread-safe).
        var middle = Grid.Height > 4 * SourceChunkRows ? Grid.Height / 2 / SourceChunkRows * SourceChunkRows : Grid.Height;
        var top = new ColumnSources(Grid.Width, Grid.Height);
        if (middle == Grid.Height)
        {
            ReadSources(_dataset, 0, Grid.Height, values, top);
            return top;
        }

        var bottom = new ColumnSources(Grid.Width, Grid.Height);
        var lower = Task.Run(() =>
        {
            using var second = RasterDataset.Open(_dataset.Path);
            ReadSources(second, middle, Grid.Height, values, bottom);
        });
        ReadSources(_dataset, 0, middle, values, top);
        lower.GetAwaiter().GetResult();
        top.Append(bottom);
        return top;
    }

    /// <summary>Rows read at a time when collecting sources.</summary>
    private const int SourceChunkRows = 256;

    private void ReadSources(RasterDataset dataset, int fromRow, int toRow, IReadOnlySet<float>? values, ColumnSources sources)
    {
        // Each window is read once: GeoTIFF's direct path reads uncompressed strips straight into the
        // buffer instead of through the block cache (this thread only; other formats ignore it).
        Interop.Cpl.CPLSetThreadLocalConfigOption("GTIFF_DIRECT_IO", "YES");
        try
        {
            ReadSourceRows(dataset, fromRow, toRow, values, sources);
        }
        finally
        {
            Interop.Cpl.CPLSetThreadLocalConfigOption("GTIFF_DIRECT_IO", null);
        }
    }

    private void ReadSourceRows(RasterDataset dataset, int fromRow, int toRow, IReadOnlySet<float>? values, ColumnSources sources)
    {
        var width = Grid.Width;
        bool IsSource(float v) => !float.IsNaN(v) && (values is null ? v != 0 : values.Contains(v));
        const int chunkRows = SourceChunkRows;
        var mask = new byte[chunkRows * width];
        if (dataset.GetDataType(1) == RasterDataType.Byte)
        {
            var table = new byte[256];
            for (var v = 0; v < 256; v++)
            {
                table[v] = (byte)(_noData != v && IsSource(v) ? 1 : 0);
            }

            var identity = table[0] == 0 && table.AsSpan(1).IndexOfAnyExcept((byte)1) < 0; // any non-zero byte is a source
            for (var y = fromRow; y < toRow; y += chunkRows)
            {
                var rows = Math.Min(chunkRows, toRow - y);
                var span = mask.AsSpan(0, rows * width);
                dataset.Read(1, 0, y, width, rows, span);
                if (!identity)
                {
                    foreach (ref var b in span)
                    {
                        b = table[b];
                    }
                }

                sources.AddRows(y, rows, span);
            }

            return;
        }

        var strip = new float[chunkRows * width];
        for (var y = fromRow; y < toRow; y += chunkRows)
        {
            var rows = Math.Min(chunkRows, toRow - y);
            dataset.Read(1, 0, y, width, rows, strip.AsSpan(0, rows * width));
            for (var i = 0; i < rows * width; i++)
            {
                var v = strip[i];
                mask[i] = (byte)(!v.Equals(_noData ?? float.NaN) && IsSource(v) ? 1 : 0);
            }

            sources.AddRows(y, rows, mask.AsSpan(0, rows * width));
        }
    }

    /// <summary>Reads the whole band into memory.</summary>
    public RasterBuffer<float> ReadAll()
    {
        var buffer = new RasterBuffer<float>(Grid.Width, Grid.Height);
        ReadRows(0, Grid.Height, buffer.Span);
        return buffer;
    }

    public void Dispose()
    {
        foreach (var handle in _blockHandles.Values)
        {
            handle.Dispose();
        }

        _blockHandles.Dispose();
        _dataset.Dispose();
    }
}

/// <summary>A new single-band GeoTIFF as an engine sink: NaN written as <see cref="NoData"/>.</summary>
/// <remarks>
/// Rows written in order from the top go to the file block row by block row past GDAL's block cache
/// (nodata set while tiling); any other order falls back to windowed writes through the cache.
/// </remarks>
public sealed class GdalRasterSink : IBlockRasterSink, GeoRisk.Raster.Blocks.IRasterWindowSink, IDisposable
{
    private readonly RasterDataset _dataset;
    private readonly Lock _blockGate = new();
    private readonly bool _blocksWritable;
    private readonly RasterDataType _type;
    private readonly (int Width, int Height) _block;
    private bool _rowsByBlocks; // row writes still go block by block (false once they fell back to windows)
    private int _nextRow;
    private float[] _pending = [];
    private int _pendingRows;
    private float[] _tile = [];
    private float[] _scratch = [];

    public GdalRasterSink(
        string path, GridSpec grid, RasterDataType type = RasterDataType.Float32, double noData = -9999, IEnumerable<string>? creationOptions = null)
    {
        Grid = grid;
        _type = type;
        NoData = noData;
        _dataset = RasterDataset.CreateGeoTiff(path, grid.Width, grid.Height, 1, type, creationOptions ?? DefaultCreationOptions);
        _dataset.GeoTransform = grid.Transform.ToGdal();
        if (!string.IsNullOrEmpty(grid.CrsWkt))
        {
            _dataset.ProjectionWkt = grid.CrsWkt;
        }

        _dataset.SetNoData(1, noData);
        _block = _dataset.GetBlockSize(1);
        _blocksWritable = type == RasterDataType.Float32 && (long)_block.Width * _block.Height <= 1 << 24;
        _rowsByBlocks = _blocksWritable;
    }

    public GridSpec Grid { get; }

    public double NoData { get; }

    /// <summary>
    /// Uncompressed and tiled, like GDAL's utilities: compression costs more than the kernels on scratch
    /// outputs; stored layers are converted to compressed COGs at publish time.
    /// </summary>
    public static IReadOnlyList<string> DefaultCreationOptions { get; } = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "BIGTIFF=IF_SAFER"];

    /// <summary>The default creation options with <paramref name="overrides"/> (NAME=VALUE, as gdal_translate's -co) replacing or adding to them.</summary>
    /// <exception cref="ArgumentException">An option is not NAME=VALUE.</exception>
    public static IReadOnlyList<string> CreationOptionsWith(IEnumerable<string> overrides)
    {
        var merged = DefaultCreationOptions.Select(o => o.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.OrdinalIgnoreCase);
        foreach (var option in overrides)
        {
            var eq = option.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !option[..eq].All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new ArgumentException($"A creation option is NAME=VALUE (as gdal_translate -co), not '{option}'.");
            }

            merged[option[..eq]] = option[(eq + 1)..];
        }

        return merged.Select(kv => $"{kv.Key}={kv.Value}").ToList();
    }

    public void WriteRows(int y, int rows, ReadOnlySpan<float> source)
    {
        var width = Grid.Width;
        source = source[..(rows * width)];
        if (!_rowsByBlocks || y != _nextRow)
        {
            FallBackToWindowedWrites();
            WriteWindow(y, rows, source);
            return;
        }

        var bh = _block.Height;
        while (rows > 0)
        {
            var blockRows = Math.Min(bh, Grid.Height - (y - _pendingRows)); // rows of the block row being filled
            if (_pendingRows == 0 && rows >= blockRows)
            {
                WriteBlockRow(y / bh, source[..(blockRows * width)], blockRows);
                source = source[(blockRows * width)..];
                y += blockRows;
                rows -= blockRows;
                continue;
            }

            // A partial block row: keep it until the rest arrives.
            if (_pending.Length < bh * width)
            {
                _pending = new float[bh * width];
            }

            var take = Math.Min(rows, blockRows - _pendingRows);
            source[..(take * width)].CopyTo(_pending.AsSpan(_pendingRows * width));
            source = source[(take * width)..];
            _pendingRows += take;
            y += take;
            rows -= take;
            if (_pendingRows == blockRows)
            {
                WriteBlockRow((y - 1) / bh, _pending.AsSpan(0, blockRows * width), blockRows);
                _pendingRows = 0;
            }
        }

        _nextRow = y;
    }

    public void WriteAll(RasterBuffer<float> buffer) => WriteRows(0, Grid.Height, buffer.Span);

    public (int Width, int Height)? BlockSize => _blocksWritable ? _block : null;

    /// <summary>Writes one whole block straight to the file (for block-by-block producers; not to be mixed with row writes).</summary>
    public void WriteBlock(int blockX, int blockY, ReadOnlySpan<float> block)
    {
        if (BlockSize is null)
        {
            throw new NotSupportedException("Only float bands are written by blocks.");
        }

        var n = _block.Width * _block.Height;
        lock (_blockGate)
        {
            if (_tile.Length < n)
            {
                _tile = new float[n];
            }

            NoDataConversion.CopyReplacing(block[..n], _tile.AsSpan(0, n), float.NaN, (float)NoData);
            _dataset.WriteBlock<float>(1, blockX, blockY, _tile.AsSpan(0, n));
        }
    }

    public RasterDataType DataType => _type;

    /// <summary>
    /// A window from a block-by-block producer: windows on the file's tile grid go straight to the file tile
    /// by tile; others through GDAL's cache. One writer at a time (a GDAL handle is single-threaded).
    /// </summary>
    public void WriteWindow(int x, int y, int width, int height, ReadOnlySpan<float> source)
    {
        source = source[..(width * height)];
        var (bw, bh) = _block;
        var onTiles = _blocksWritable && x % bw == 0 && y % bh == 0 && (width % bw == 0 || x + width == Grid.Width) &&
            (height % bh == 0 || y + height == Grid.Height);
        var noData = (float)NoData;
        lock (_blockGate)
        {
            if (!onTiles)
            {
                if (_scratch.Length < source.Length)
                {
                    _scratch = new float[source.Length];
                }

                var converted = _scratch.AsSpan(0, source.Length);
                NoDataConversion.CopyReplacing(source, converted, float.NaN, noData);
                _dataset.Write<float>(1, x, y, width, height, converted);
                return;
            }

            if (_tile.Length < bw * bh)
            {
                _tile = new float[bw * bh];
            }

            for (var ty = y; ty < y + height; ty += bh)
            {
                for (var tx = x; tx < x + width; tx += bw)
                {
                    int w = Math.Min(bw, x + width - tx), h = Math.Min(bh, y + height - ty);
                    if (w < bw || h < bh)
                    {
                        _tile.AsSpan().Fill(noData); // padding of edge tiles
                    }

                    for (var r = 0; r < h; r++)
                    {
                        NoDataConversion.CopyReplacing(source.Slice(((ty - y + r) * width) + (tx - x), w), _tile.AsSpan(r * bw, w), float.NaN, noData);
                    }

                    _dataset.WriteBlock<float>(1, tx / bw, ty / bh, _tile.AsSpan(0, bw * bh));
                }
            }
        }
    }

    public void Dispose()
    {
        try
        {
            FallBackToWindowedWrites(); // rows of an unfinished block row
        }
        finally
        {
            _dataset.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteBlockRow(int blockRow, ReadOnlySpan<float> rows, int rowCount)
    {
        var (bw, bh) = _block;
        if (_tile.Length < bw * bh)
        {
            _tile = new float[bw * bh];
        }

        var width = Grid.Width;
        var noData = (float)NoData;
        for (var bx = 0; bx * bw < width; bx++)
        {
            var x0 = bx * bw;
            var w = Math.Min(bw, width - x0);
            if (w < bw || rowCount < bh)
            {
                _tile.AsSpan().Fill(noData); // padding of edge blocks
            }

            for (var r = 0; r < rowCount; r++)
            {
                NoDataConversion.CopyReplacing(rows.Slice(r * width + x0, w), _tile.AsSpan(r * bw, w), float.NaN, noData);
            }

            _dataset.WriteBlock<float>(1, bx, blockRow, _tile);
        }
    }

    private void FallBackToWindowedWrites()
    {
        if (_pendingRows > 0)
        {
            var rows = _pendingRows;
            _pendingRows = 0;
            WriteWindow(_nextRow - rows, rows, _pending.AsSpan(0, rows * Grid.Width));
        }

        _rowsByBlocks = false;
    }

    private void WriteWindow(int y, int rows, ReadOnlySpan<float> source)
    {
        var n = rows * Grid.Width;
        if (_scratch.Length < n)
        {
            _scratch = new float[n];
        }

        var d = _scratch.AsSpan(0, n);
        NoDataConversion.CopyReplacing(source[..n], d, float.NaN, (float)NoData);
        _dataset.Write<float>(1, 0, y, Grid.Width, rows, d);
    }
}

/// <summary>Swaps one marker value for another across a span, eight floats at a time.</summary>
internal static class NoDataConversion
{
    /// <summary>Replaces every <paramref name="from"/> (NaN matches NaN) with <paramref name="to"/>.</summary>
    public static void Replace(Span<float> values, float from, float to) => CopyReplacing(values, values, from, to);

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/>, <paramref name="from"/> (NaN matches NaN) becoming <paramref
    /// name="to"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per block: tier-0 code would dominate short commands
    public static void CopyReplacing(ReadOnlySpan<float> source, Span<float> destination, float from, float to)
    {
        if (from.Equals(to))
        {
            source.CopyTo(destination);
            return;
        }

        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var target = Vector256.Create(from);
            var replacement = Vector256.Create(to);
            var fromNaN = float.IsNaN(from);
            for (; i <= source.Length - 8; i += 8)
            {
                var v = Vector256.Create<float>(source.Slice(i, 8));
                var match = fromNaN ? ~Vector256.Equals(v, v) : Vector256.Equals(v, target);
                Vector256.ConditionalSelect(match, replacement, v).CopyTo(destination.Slice(i, 8));
            }
        }

        for (; i < source.Length; i++)
        {
            var v = source[i];
            destination[i] = (float.IsNaN(from) ? float.IsNaN(v) : v == from) ? to : v;
        }
    }
}
