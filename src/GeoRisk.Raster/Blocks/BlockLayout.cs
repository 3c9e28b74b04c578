namespace GeoRisk.Raster.Blocks;

/// <summary>One block of a <see cref="BlockLayout"/>: its number (row-major) and its cells in the grid.</summary>
public readonly record struct BlockRect(int Index, int Column, int Row, int X, int Y, int Width, int Height)
{
    public long Cells => (long)Width * Height;

    public int Right => X + Width;

    public int Bottom => Y + Height;
}

/// <summary>
/// A grid cut into equal blocks (the last column and row of blocks may be narrower), numbered row-major.
/// The unit of work of the block-wise global steps (docs/SCALE.md): every step reads a block plus the halo
/// it needs, and what it reports about a block depends only on the cells, never on which thread, process
/// or machine ran it.
/// </summary>
public sealed class BlockLayout
{
    public BlockLayout(int gridWidth, int gridHeight, int blockWidth, int blockHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gridWidth);
        ArgumentOutOfRangeException.ThrowIfNegative(gridHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockHeight);
        GridWidth = gridWidth;
        GridHeight = gridHeight;
        BlockWidth = blockWidth;
        BlockHeight = blockHeight;
        Columns = (gridWidth + blockWidth - 1) / blockWidth;
        Rows = (gridHeight + blockHeight - 1) / blockHeight;
    }

    public int GridWidth { get; }

    public int GridHeight { get; }

    public int BlockWidth { get; }

    public int BlockHeight { get; }

    public int Columns { get; }

    public int Rows { get; }

    public int Count => Columns * Rows;

    public BlockRect this[int index] => Block(index % Columns, index / Columns);

    public BlockRect Block(int column, int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, Columns);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        var x = column * BlockWidth;
        var y = row * BlockHeight;
        return new BlockRect((row * Columns) + column, column, row, x, y, Math.Min(BlockWidth, GridWidth - x), Math.Min(BlockHeight, GridHeight - y));
    }

    /// <summary>The block holding cell (x, y).</summary>
    public BlockRect BlockOf(int x, int y) => Block(x / BlockWidth, y / BlockHeight);

    /// <summary>The block holding a cell given by its row-major number in the grid (a long: grids may pass 2³¹ cells).</summary>
    public BlockRect BlockOfCell(long cell) => BlockOf((int)(cell % GridWidth), (int)(cell / GridWidth));

    public IEnumerable<BlockRect> All()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }
}

/// <summary>
/// A raster whose arbitrary windows can be read from several threads at once (the store's COGs through
/// GDAL, an in-memory grid). Values as float, nodata as NaN.
/// </summary>
public interface IRasterWindowSource
{
    GridSpec Grid { get; }

    /// <summary>Cells [x, x + width) × [y, y + height), which lie inside the grid, into <paramref name="destination"/> row by row. Thread-safe.</summary>
    void ReadWindow(int x, int y, int width, int height, Span<float> destination);
}

/// <summary>A raster written window by window from several threads at once (windows never overlap).</summary>
public interface IRasterWindowSink
{
    GridSpec Grid { get; }

    /// <summary>Cells [x, x + width) × [y, y + height) from <paramref name="source"/>; NaN is nodata. Thread-safe for disjoint windows.</summary>
    void WriteWindow(int x, int y, int width, int height, ReadOnlySpan<float> source);
}

/// <summary>A block's cells with a halo around them, cells outside the grid being NaN.</summary>
public sealed class HaloWindow
{
    private HaloWindow(BlockRect block, int halo, float[] data)
    {
        Block = block;
        Halo = halo;
        Data = data;
        Stride = block.Width + (2 * halo);
    }

    public BlockRect Block { get; }

    public int Halo { get; }

    /// <summary>(width + 2·halo) × (height + 2·halo) cells, row-major.</summary>
    public float[] Data { get; }

    public int Stride { get; }

    /// <summary>The cell at grid coordinates (x, y), which must lie within the block or its halo.</summary>
    public float this[int x, int y] => Data[((y - Block.Y + Halo) * Stride) + (x - Block.X + Halo)];

    /// <summary>Reads the block and its halo; the parts of the halo outside the grid are NaN.</summary>
    public static HaloWindow Read(IRasterWindowSource source, BlockRect block, int halo)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(halo);
        var grid = source.Grid;
        var stride = block.Width + (2 * halo);
        var rows = block.Height + (2 * halo);
        var data = GC.AllocateUninitializedArray<float>(stride * rows);
        int x0 = block.X - halo, y0 = block.Y - halo;
        int cx0 = Math.Max(0, x0), cy0 = Math.Max(0, y0);
        int cx1 = Math.Min(grid.Width, block.Right + halo), cy1 = Math.Min(grid.Height, block.Bottom + halo);
        if (cx0 > x0 || cy0 > y0 || cx1 < block.Right + halo || cy1 < block.Bottom + halo)
        {
            data.AsSpan().Fill(float.NaN);
        }

        int w = cx1 - cx0, h = cy1 - cy0;
        if (w > 0 && h > 0)
        {
            if (w == stride)
            {
                source.ReadWindow(cx0, cy0, w, h, data.AsSpan((cy0 - y0) * stride, h * stride));
            }
            else
            {
                var rowsBuffer = GC.AllocateUninitializedArray<float>(w * h);
                source.ReadWindow(cx0, cy0, w, h, rowsBuffer);
                for (var r = 0; r < h; r++)
                {
                    rowsBuffer.AsSpan(r * w, w).CopyTo(data.AsSpan(((cy0 - y0 + r) * stride) + (cx0 - x0), w));
                }
            }
        }

        return new HaloWindow(block, halo, data);
    }

    /// <summary>The block's own cells (no halo) as a buffer of their own.</summary>
    public RasterBuffer<float> Core()
    {
        var core = RasterBuffer<float>.Uninitialized(Block.Width, Block.Height);
        for (var r = 0; r < Block.Height; r++)
        {
            Data.AsSpan(((r + Halo) * Stride) + Halo, Block.Width).CopyTo(core.GetRow(r));
        }

        return core;
    }
}
