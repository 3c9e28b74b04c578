namespace GeoRisk.Raster;

/// <summary>
/// A raster the engine can read strip by strip. Values arrive as float with nodata already turned into
/// NaN. Implemented by the GDAL adapter (GeoTIFF/COG) and by in-memory grids.
/// </summary>
public interface IRasterSource
{
    GridSpec Grid { get; }

    /// <summary>Rows per strip that match the file's block layout.</summary>
    int PreferredStripRows { get; }

    /// <summary>Reads rows [y, y + rows) of band 1 into <paramref name="destination"/> (rows × width floats).</summary>
    void ReadRows(int y, int rows, Span<float> destination);
}

/// <summary>A raster the engine writes strip by strip; NaN is written as the sink's nodata value.</summary>
public interface IRasterSink
{
    GridSpec Grid { get; }

    void WriteRows(int y, int rows, ReadOnlySpan<float> source);
}

/// <summary>
/// A source that can also hand out whole blocks of its file layout (tiles), from several threads at once.
/// Element-wise operations run tile by tile on these, so no strip buffer is ever filled.
/// </summary>
public interface IBlockRasterSource : IRasterSource
{
    /// <summary>The block size, or null when this source cannot read blocks (e.g. not a float band).</summary>
    (int Width, int Height)? BlockSize { get; }

    /// <summary>Block (bx, by) into <paramref name="block"/> (width × height of the block; edge blocks padded), nodata as NaN. Thread-safe.</summary>
    void ReadBlock(int blockX, int blockY, Span<float> block);
}

/// <summary>A sink that takes whole blocks, from several threads at once.</summary>
public interface IBlockRasterSink : IRasterSink
{
    /// <summary>The block size, or null when this sink cannot write blocks.</summary>
    (int Width, int Height)? BlockSize { get; }

    /// <summary>Writes block (bx, by) (edge blocks padded); NaN becomes the sink's nodata. Thread-safe.</summary>
    void WriteBlock(int blockX, int blockY, ReadOnlySpan<float> block);
}

/// <summary>An in-memory float grid as a source and sink.</summary>
public sealed class MemoryRaster(GridSpec grid, RasterBuffer<float> buffer) : IRasterSource, IRasterSink, Blocks.IRasterWindowSource, Blocks.IRasterWindowSink
{
    public MemoryRaster(GridSpec grid) : this(grid, new RasterBuffer<float>(grid.Width, grid.Height)) { }

    public GridSpec Grid { get; } = grid;

    public RasterBuffer<float> Buffer { get; } = buffer;

    public int PreferredStripRows => 256;

    public void ReadRows(int y, int rows, Span<float> destination) => Buffer.Data.AsSpan(y * Grid.Width, rows * Grid.Width).CopyTo(destination);

    public void WriteRows(int y, int rows, ReadOnlySpan<float> source) => source[..(rows * Grid.Width)].CopyTo(Buffer.Data.AsSpan(y * Grid.Width));

    public void ReadWindow(int x, int y, int width, int height, Span<float> destination)
    {
        CheckWindow(x, y, width, height);
        for (var r = 0; r < height; r++)
        {
            Buffer.Data.AsSpan(((y + r) * Grid.Width) + x, width).CopyTo(destination.Slice(r * width, width));
        }
    }

    public void WriteWindow(int x, int y, int width, int height, ReadOnlySpan<float> source)
    {
        CheckWindow(x, y, width, height);
        for (var r = 0; r < height; r++)
        {
            source.Slice(r * width, width).CopyTo(Buffer.Data.AsSpan(((y + r) * Grid.Width) + x, width));
        }
    }

    private void CheckWindow(int x, int y, int width, int height)
    {
        if (x < 0 || y < 0 || width < 0 || height < 0 || x + width > Grid.Width || y + height > Grid.Height)
        {
            throw new ArgumentOutOfRangeException(nameof(x), $"Window {x},{y} {width}x{height} is outside the {Grid.Width}x{Grid.Height} grid.");
        }
    }
}

/// <summary>Settings of a raster operation; no statics, so tests and benchmarks choose per call.</summary>
public sealed record RasterOptions
{
    /// <summary>Threads to use; default all cores.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Smallest piece of work handed to a thread (ImageSharp's ParallelRowIterator uses 4096).</summary>
    public int MinimumPixelsPerTask { get; init; } = 4096;

    /// <summary>Use Vector256 kernels where the machine has them (false forces the scalar forms).</summary>
    public bool Vectorize { get; init; } = true;

    /// <summary>Rows per strip when streaming; 0 picks from the source's block layout.</summary>
    public int StripRows { get; init; }

    /// <summary>
    /// Rows per strip of a streamed pass over a grid: <see cref="StripRows"/> when set; otherwise whole
    /// blocks of <paramref name="blockRows"/> holding at least ~2 Mi cells, so every thread has work;
    /// never more rows than the grid.
    /// </summary>
    public int StripRowsFor(int width, int height, int blockRows = 256)
    {
        blockRows = Math.Max(1, blockRows);
        var rows = StripRows > 0 ? StripRows : Math.Max(blockRows, (2 << 20) / Math.Max(1, width) / blockRows * blockRows);
        return Math.Max(1, Math.Min(height, rows));
    }

    /// <summary>
    /// Block side in cells for the block-wise global steps (sieve, polygonize; docs/SCALE.md); 0 runs them on
    /// the whole grid at once. The results are the same either way.
    /// </summary>
    public int BlockSize { get; init; }

    public IProgress<double>? Progress { get; init; }

    public CancellationToken CancellationToken { get; init; }
}

/// <summary>Splits rows into bands of at least <see cref="RasterOptions.MinimumPixelsPerTask"/> pixels and runs them in parallel.</summary>
public static class ParallelRows
{
    public static void For(int height, int width, RasterOptions options, Action<int, int> body)
    {
        if (height <= 0)
        {
            return;
        }

        var rowsPerTask = Math.Max(1, (options.MinimumPixelsPerTask + Math.Max(1, width) - 1) / Math.Max(1, width));
        var tasks = Math.Min(options.MaxDegreeOfParallelism, (height + rowsPerTask - 1) / rowsPerTask);
        if (tasks <= 1)
        {
            body(0, height); // one band runs inline: no scheduling overhead for small grids
            return;
        }

        var rowsPerBand = (height + tasks - 1) / tasks;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = options.CancellationToken };
        Parallel.For(0, tasks, parallel, t =>
        {
            var y0 = t * rowsPerBand;
            var y1 = Math.Min(height, y0 + rowsPerBand);
            if (y0 < y1)
            {
                body(y0, y1);
            }
        });
    }
}
