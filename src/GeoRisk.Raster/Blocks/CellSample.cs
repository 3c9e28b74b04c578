namespace GeoRisk.Raster.Blocks;

/// <summary>
/// A deterministic, mergeable sample of a grid's valid cells for class breaks: the <see cref="Capacity"/>
/// cells with the smallest hash of their cell number (row · width + column), a "bottom-k" sample. Which
/// cells are kept is a function of the cells alone, so the samples of any set of blocks, merged in any
/// order, equal the sample of the whole grid taken at once (docs/SCALE.md §global steps). Unlike every
/// k-th cell in scan order, a hashed sample does not alias with rows or columns of the grid.
/// </summary>
public sealed class CellSample
{
    // A max-heap on (key, cell): the root is the entry the next better cell replaces.
    private readonly PriorityQueue<(long Cell, float Value), ulong> _heap;

    public CellSample(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _heap = new PriorityQueue<(long, float), ulong>(Comparer<ulong>.Create((a, b) => b.CompareTo(a)));
    }

    public int Capacity { get; }

    public int Count => _heap.Count;

    /// <summary>The sampling key of a cell: SplitMix64's finaliser of its number, a bijection, so keys never tie.</summary>
    public static ulong KeyOf(long cell)
    {
        var z = (ulong)cell + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Offers one valid cell.</summary>
    public void Add(long cell, float value)
    {
        var key = KeyOf(cell);
        if (_heap.Count < Capacity)
        {
            _heap.Enqueue((cell, value), key);
            return;
        }

        _heap.TryPeek(out _, out var worst);
        if (key < worst)
        {
            _heap.DequeueEnqueue((cell, value), key);
        }
    }

    /// <summary>Offers the valid (non-NaN) cells of rows of a window whose top-left cell is (x, y) in a grid <paramref name="gridWidth"/> wide.</summary>
    public void AddWindow(ReadOnlySpan<float> values, int x, int y, int width, int gridWidth)
    {
        if (width == 0)
        {
            return;
        }

        for (var r = 0; r < values.Length / width; r++)
        {
            var row = values.Slice(r * width, width);
            var first = ((long)(y + r) * gridWidth) + x;
            for (var c = 0; c < row.Length; c++)
            {
                if (!float.IsNaN(row[c]))
                {
                    Add(first + c, row[c]);
                }
            }
        }
    }

    /// <summary>Folds another sample (of other cells) into this one.</summary>
    public void Merge(CellSample other)
    {
        foreach (var ((cell, value), _) in other._heap.UnorderedItems)
        {
            Add(cell, value);
        }
    }

    /// <summary>The kept cells and values, ordered by cell number (to carry between processes).</summary>
    public (long[] Cells, float[] Values) ToArrays()
    {
        var items = _heap.UnorderedItems.Select(i => i.Element).OrderBy(e => e.Cell).ToArray();
        return (items.Select(i => i.Cell).ToArray(), items.Select(i => i.Value).ToArray());
    }

    public static CellSample FromArrays(int capacity, IReadOnlyList<long> cells, IReadOnlyList<float> values)
    {
        if (cells.Count != values.Count)
        {
            throw new ArgumentException("Cells and values differ in length.", nameof(values));
        }

        var sample = new CellSample(capacity);
        for (var i = 0; i < cells.Count; i++)
        {
            sample.Add(cells[i], values[i]);
        }

        return sample;
    }

    /// <summary>The sampled values in the order of their cells (the order never changes a break, which sorts them).</summary>
    public float[] Values() => ToArrays().Values;

    /// <summary>The sample of a whole in-memory grid.</summary>
    public static CellSample Of(RasterBuffer<float> grid, int capacity)
    {
        var sample = new CellSample(capacity);
        sample.AddWindow(grid.Data, 0, 0, grid.Width, grid.Width);
        return sample;
    }
}
