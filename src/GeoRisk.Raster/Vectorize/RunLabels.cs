using System.Numerics;
using System.Runtime.CompilerServices;
using GeoRisk.Raster.Classify;

namespace GeoRisk.Raster.Vectorize;

/// <summary>
/// Connected regions of a <see cref="ClassGrid{T}"/> kept as runs of equal cells with a union-find over
/// them: the polygonizer only asks which region a handful of cells belong to (to give each hole its
/// shell), so no label per cell is ever written (at 8192² that grid alone was 256 MB to fault in and fill).
/// </summary>
internal sealed class RunLabels
{
    private readonly int[] _rowFirst;
    private readonly int[] _end;
    private readonly int[] _id;
    private readonly int[] _parent;

    private RunLabels(int[] rowFirst, int[] end, int[] id, int[] parent)
    {
        _rowFirst = rowFirst;
        _end = end;
        _id = id;
        _parent = parent;
    }

    /// <summary>Number of union-find ids handed out (an upper bound on the number of regions).</summary>
    public int IdCount => _parent.Length;

    /// <summary>The region of cell (x, y): the same number for every cell of one connected region; -1 for nodata.</summary>
    public int RegionOf(int x, int y)
    {
        int lo = _rowFirst[y], hi = _rowFirst[y + 1] - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_end[mid] <= x)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        var id = _id[lo];
        return id < 0 ? -1 : ConnectedComponents.Find(_parent, id);
    }

    public static RunLabels Build<T>(ClassGrid<T> grid, bool eightConnected, CancellationToken cancellationToken)
        where T : unmanaged, IBinaryInteger<T>
    {
        int w = grid.Width, h = grid.Height, stride = grid.Stride;
        var cells = grid.Cells;
        var rowFirst = new int[h + 1];
        // Runs are stored as their end column and union-find id (a run starts where the previous one ended,
        // and its value is in the grid); the array is sized from a sample of rows so it is rarely regrown.
        var capacity = EstimateRuns(grid) + 1024;
        var end = GC.AllocateUninitializedArray<int>(capacity);
        var ids = GC.AllocateUninitializedArray<int>(capacity);
        var parent = new int[1024];
        var count = 0;
        var next = 0;
        var reach = eightConnected ? 1 : 0; // runs touch across rows when they overlap, or (8-connected) meet at a corner
        int previousFirst = 0, previousEnd = 0;
        for (var y = 0; y < h; y++)
        {
            if ((y & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            rowFirst[y] = count;
            var rowOffset = ((y + 1) * stride) + 1;
            ReadOnlySpan<T> row = cells.AsSpan(rowOffset, w);
            var j = previousFirst;
            for (var x0 = 0; x0 < w;)
            {
                var v = row[x0];
                var run = row[x0..].IndexOfAnyExcept(v); // vectorised search for the end of the run
                var x1 = run < 0 ? w : x0 + run;
                var id = -1;
                if (v != T.Zero)
                {
                    id = TouchingAbove(cells, v, rowOffset - stride, x0, x1, reach, end, ids, parent, ref j, previousFirst, previousEnd);
                    if (id < 0)
                    {
                        id = NewId(ref parent, ref next);
                    }
                }

                Append(ref end, ref ids, ref count, x1, id);
                x0 = x1;
            }

            (previousFirst, previousEnd) = (rowFirst[y], count);
        }

        rowFirst[h] = count;
        Array.Resize(ref parent, next);
        return new RunLabels(rowFirst, end, ids, parent);
    }

    /// <summary>
    /// The union of the ids of the runs of the row above (starting at <paramref name="rowAbove"/> in the cells) that hold
    /// <paramref name="v"/> and touch [x0, x1): those ending after x0 − reach and starting before x1 + reach; −1 when none.
    /// <paramref name="j"/> is the first run above that can still touch, kept across the runs of a row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TouchingAbove<T>(
        T[] cells, T v, int rowAbove, int x0, int x1, int reach, int[] end, int[] ids, int[] parent, ref int j, int previousFirst, int previousEnd)
        where T : unmanaged, IBinaryInteger<T>
    {
        while (j < previousEnd && end[j] + reach <= x0)
        {
            j++;
        }

        var id = -1;
        for (var k = j; k < previousEnd; k++)
        {
            var kStart = k == previousFirst ? 0 : end[k - 1];
            if (kStart >= x1 + reach)
            {
                break;
            }

            if (ids[k] >= 0 && cells[rowAbove + kStart] == v)
            {
                id = id < 0 ? ids[k] : ConnectedComponents.Union(parent, id, ids[k]);
            }
        }

        return id;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NewId(ref int[] parent, ref int next)
    {
        if (next == parent.Length)
        {
            Array.Resize(ref parent, next * 2);
        }

        parent[next] = next;
        return next++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Append(ref int[] end, ref int[] ids, ref int count, int x1, int id)
    {
        if (count == end.Length)
        {
            Array.Resize(ref end, count * 2);
            Array.Resize(ref ids, count * 2);
        }

        (end[count], ids[count]) = (x1, id);
        count++;
    }

    /// <summary>Runs in every 32nd row, scaled to the grid.</summary>
    private static int EstimateRuns<T>(ClassGrid<T> grid)
        where T : unmanaged, IBinaryInteger<T>
    {
        long runs = 0;
        var sampled = 0;
        for (var y = 0; y < grid.Height; y += 32, sampled++)
        {
            ReadOnlySpan<T> row = grid.Cells.AsSpan(((y + 1) * grid.Stride) + 1, grid.Width);
            for (var x = 0; x < row.Length; runs++)
            {
                var run = row[x..].IndexOfAnyExcept(row[x]);
                x = run < 0 ? row.Length : x + run;
            }
        }

        return (int)Math.Min(Array.MaxLength, runs * grid.Height / Math.Max(1, sampled) * 5 / 4);
    }
}
