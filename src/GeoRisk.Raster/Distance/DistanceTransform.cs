using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GeoRisk.Raster.Distance;

/// <summary>Result of an exact distance transform: distance in map units and the nearest source cell.</summary>
public sealed class DistanceResult(RasterBuffer<float> distance, RasterBuffer<int> nearestIndex)
{
    /// <summary>Euclidean distance from each cell centre to the nearest source cell centre, in map units; NaN beyond the maximum distance.</summary>
    public RasterBuffer<float> Distance { get; } = distance;

    /// <summary>Row-major index (row × width + col) of the nearest source cell; -1 where there is none within range.</summary>
    public RasterBuffer<int> NearestIndex { get; } = nearestIndex;
}

/// <summary>
/// The source cells of a grid as, per column, the ascending list of source rows (compressed sparse
/// columns). Built row by row as strips arrive, so a source raster is never held whole; it is what the
/// distance transform's column pass needs, in memory proportional to the number of sources.
/// </summary>
public sealed class ColumnSources
{
    private readonly List<long> _cells = []; // (column << 32) | row, in scan order while building
    private int[]? _start;
    private int[]? _rows;

    public ColumnSources(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        Width = width;
        Height = height;
    }

    public int Width { get; }

    public int Height { get; }

    public long Count => _rows?.Length ?? _cells.Count;

    /// <summary>Adds rows [y, y + rows) of a 0/1 mask (rows × width bytes, non-zero = source); rows must come top to bottom.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per strip over every cell
    public void AddRows(int y, int rows, ReadOnlySpan<byte> mask)
    {
        if (_rows is not null)
        {
            throw new InvalidOperationException("The source list is already in use.");
        }

        for (var r = 0; r < rows; r++)
        {
            var row = mask.Slice(r * Width, Width);
            // Sources are sparse (rasterized lines): skip runs of zeros with a vectorised search.
            for (var x = row.IndexOfAnyExcept((byte)0); x >= 0;)
            {
                _cells.Add(((long)x << 32) | (uint)(y + r));
                var next = row[(x + 1)..].IndexOfAnyExcept((byte)0);
                x = next < 0 ? -1 : x + 1 + next;
            }
        }
    }

    /// <summary>Appends the sources of <paramref name="lower"/>, a part read separately whose rows all lie below this one's.</summary>
    public void Append(ColumnSources lower)
    {
        if (lower.Width != Width || _rows is not null || lower._rows is not null)
        {
            throw new InvalidOperationException("Only unbuilt source lists of the same width can be joined.");
        }

        _cells.AddRange(lower._cells);
    }

    public static ColumnSources FromMask(RasterBuffer<byte> mask)
    {
        var sources = new ColumnSources(mask.Width, mask.Height);
        sources.AddRows(0, mask.Height, mask.Data);
        return sources;
    }

    /// <summary>Index range in <see cref="Rows"/> of column x's sources.</summary>
    internal int[] Start => Build().Start;

    internal int[] Rows => Build().Rows;

    private (int[] Start, int[] Rows) Build()
    {
        if (_start is not null && _rows is not null)
        {
            return (_start, _rows);
        }

        // Counting sort by column; rows stay ascending within a column because cells arrived in scan order.
        var start = new int[Width + 1];
        foreach (var cell in _cells)
        {
            start[(int)(cell >> 32) + 1]++;
        }

        for (var x = 0; x < Width; x++)
        {
            start[x + 1] += start[x];
        }

        var rows = new int[_cells.Count];
        var next = (int[])start.Clone();
        foreach (var cell in _cells)
        {
            rows[next[(int)(cell >> 32)]++] = (int)cell;
        }

        _cells.Clear();
        _cells.TrimExcess();
        (_start, _rows) = (start, rows);
        return (start, rows);
    }
}

/// <summary>
/// Exact Euclidean distance transform (Felzenszwalb &amp; Huttenlocher 2012, "Distance Transforms of Sampled
/// Functions"): per cell the squared distance to the nearest source in its column (from each column's
/// sorted source rows, tracked row by row), then per row the lower envelope of the parabolas
/// (x − q)²·dx² + g(q). Linear in the cell count, exact for any pixel aspect ratio, and with no grid-sized
/// intermediate. Written here because neither GDAL's nor GRASS's proximity is exact, and no .NET library
/// offers an exact anisotropic EDT with nearest-source indices.
/// </summary>
public static class DistanceTransform
{
    /// <param name="isSource">True for source cells (distance 0).</param>
    /// <param name="pixelWidth">Cell width in map units (positive).</param>
    /// <param name="pixelHeight">Cell height in map units (positive).</param>
    /// <param name="maxDistance">Cells farther than this get NaN and index -1; infinity for no limit.</param>
    public static DistanceResult Compute(RasterBuffer<byte> isSource, double pixelWidth, double pixelHeight, double maxDistance = double.PositiveInfinity, RasterOptions? options = null) =>
        Compute(ColumnSources.FromMask(isSource), pixelWidth, pixelHeight, maxDistance, options);

    public static DistanceResult Compute(ColumnSources sources, double pixelWidth, double pixelHeight, double maxDistance = double.PositiveInfinity, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        int w = sources.Width, h = sources.Height;
        var distance = RasterBuffer<float>.Uninitialized(w, h);
        var index = RasterBuffer<int>.Uninitialized(w, h);
        var rows = new RowPass(sources, pixelWidth, pixelHeight, maxDistance);
        ParallelRows.For(h, w, options, (y0, y1) => rows.Run(y0, y1, distance.Data.AsSpan(y0 * w, (y1 - y0) * w), index.Data.AsSpan(y0 * w, (y1 - y0) * w)));
        return new DistanceResult(distance, index);
    }

    /// <summary>Distances only (no nearest-source index: less memory and work).</summary>
    public static RasterBuffer<float> Distance(RasterBuffer<byte> isSource, double pixelWidth, double pixelHeight, double maxDistance = double.PositiveInfinity, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        int w = isSource.Width, h = isSource.Height;
        var rows = new RowPass(ColumnSources.FromMask(isSource), pixelWidth, pixelHeight, maxDistance);
        var distance = RasterBuffer<float>.Uninitialized(w, h);
        ParallelRows.For(h, w, options, (y0, y1) => rows.Run(y0, y1, distance.Data.AsSpan(y0 * w, (y1 - y0) * w), []));
        return distance;
    }

    /// <summary>
    /// Distances written to a sink strip by strip: the row pass of one strip runs on all threads while the
    /// previous strip is written, and no grid-sized buffer is ever held.
    /// </summary>
    public static void Distance(ColumnSources sources, IRasterSink sink, double pixelWidth, double pixelHeight, double maxDistance = double.PositiveInfinity, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        int w = sources.Width, h = sources.Height;
        if (sink.Grid.Width != w || sink.Grid.Height != h)
        {
            throw new ArgumentException($"The sink is {sink.Grid.Width}x{sink.Grid.Height}, the sources {w}x{h}.", nameof(sink));
        }

        var rows = new RowPass(sources, pixelWidth, pixelHeight, maxDistance);
        var stripRows = options.StripRowsFor(w, h);
        float[][] outputs = [new float[stripRows * w], new float[stripRows * w]];
        using var writer = new BackgroundStripWriter(sink);
        for (int y = 0, k = 0; y < h; y += stripRows, k++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            var (y0, n, output) = (y, Math.Min(stripRows, h - y), outputs[k % 2]);
            ParallelRows.For(n, w, options, (r0, r1) => rows.Run(y0 + r0, y0 + r1, output.AsSpan(r0 * w, (r1 - r0) * w), []));
            writer.Write(y0, n, output);
            options.Progress?.Report((double)(y0 + n) / h);
        }

        writer.Complete();
    }

    /// <summary>
    /// The row pass over rows [y0, y1): per row the lower envelope of the parabolas (x − q)² + g(q), in
    /// cell units with g scaled by (dy/dx)², so that for square cells every quantity is an integer held
    /// exactly in a double. The envelope is built by comparing cross-multiplied intersections instead of
    /// F&amp;H's divided ones: no division per cell, and exact.
    /// </summary>
    private sealed class RowPass(ColumnSources sources, double pixelWidth, double pixelHeight, double maxDistance)
    {
        private readonly double _dx2 = pixelWidth * pixelWidth;
        private readonly double _ratio = (pixelHeight * pixelHeight) / (pixelWidth * pixelWidth);
        private readonly double _max2 = maxDistance * maxDistance;
        private readonly int[] _start = sources.Start;
        private readonly int[] _rows = sources.Rows;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int y0, int y1, Span<float> distance, Span<int> index)
        {
            var w = sources.Width;
            var g = new double[w];
            var v = new int[w];
            var fv = new double[w];
            var nearest = new int[w];
            var squared = new double[w];
            // Per column, the nearest source row above and at-or-below the current row (far-away
            // sentinels when there is none) and the index in _rows of the one after, found once by
            // binary search and then advanced as rows go by.
            var above = new int[w];
            var below = new int[w];
            var next = new int[w];
            for (var x = 0; x < w; x++)
            {
                var at = Array.BinarySearch(_rows, _start[x], _start[x + 1] - _start[x], y0);
                at = at >= 0 ? at : ~at;
                above[x] = at > _start[x] ? _rows[at - 1] : -Far;
                below[x] = at < _start[x + 1] ? _rows[at] : Far;
                next[x] = at < _start[x + 1] ? at + 1 : at;
            }

            for (var y = y0; y < y1; y++)
            {
                var offset = (y - y0) * w;
                Row(y, (above, below, next), nearest, g, v, fv, squared, distance.Slice(offset, w), index.IsEmpty ? [] : index.Slice(offset, w));
            }
        }

        /// <summary>A row no grid reaches: the nearest "source" when a column has none above or below.</summary>
        private const int Far = 1 << 30;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Row(int y, (int[] Above, int[] Below, int[] Next) columns, int[] nearest, double[] g, int[] v, double[] fv, double[] squared, Span<float> distance, Span<int> index)
        {
            var n = nearest.Length;
            var (above, below, next) = columns;
            var rows = _rows;
            var start = _start;
            var k = -1; // v[0..k]: roots of the parabolas on the envelope, left to right; fv their g + q²
            int pTop = 0, pBelow = 0;
            double fTop = 0, fBelow = 0;
            for (var q = 0; q < n; q++)
            {
                // The nearest source in column q, above or below row y (the one above on a tie); the
                // step past a source is the only branch that is not (nearly) always taken the same way.
                var b = below[q];
                if (b < y)
                {
                    above[q] = b;
                    var at = next[q];
                    var has = at < start[q + 1];
                    below[q] = b = has ? rows[at] : Far;
                    next[q] = has ? at + 1 : at;
                }

                var a = above[q];
                int up = y - a, down = b - y;
                var d = Math.Min(up, down);
                if (d >= Far / 2)
                {
                    nearest[q] = -1;
                    continue; // no source in this column
                }

                nearest[q] = down < up ? b : a;
                var gq = (double)d * d * _ratio;
                g[q] = gq;
                var fq = gq + ((double)q * q);
                // Drop the top (p) while the new parabola overtakes it no later than p overtook the one
                // below it (r): (fq − fp) / 2(q − p) ≤ (fp − fr) / 2(p − r), both denominators positive.
                // The top two stay in registers, so the usual no-drop case loads nothing.
                while (k >= 1 && (fq - fTop) * (pTop - pBelow) <= (fTop - fBelow) * (q - pTop))
                {
                    k--;
                    (pTop, fTop) = (pBelow, fBelow);
                    if (k >= 1)
                    {
                        (pBelow, fBelow) = (v[k - 1], fv[k - 1]);
                    }
                }

                (pBelow, fBelow) = (pTop, fTop);
                k++;
                v[k] = q;
                fv[k] = fq;
                (pTop, fTop) = (q, fq);
            }

            if (k < 0)
            {
                distance.Fill(float.NaN);
                index.Fill(-1);
                return;
            }

            // Each parabola owns the cells up to where the next one becomes strictly lower (ties stay
            // left): floor((f_b − f_a) / 2(b − a)). For square cells the quotient is a ratio of integers
            // whose distance to any integer is at least 1/2(b − a), far above double rounding, so the
            // floor is exact. One division per parabola, none per cell.
            var withIndex = !index.IsEmpty;
            var j = 0;
            var owner = v[0];
            var gOwner = g[owner];
            var last = k > 0 ? Math.Floor((fv[1] - fv[0]) / (2.0 * (v[1] - v[0]))) : double.PositiveInfinity;
            for (var x = 0; x < n; x++)
            {
                while (x > last)
                {
                    j++;
                    owner = v[j];
                    gOwner = g[owner];
                    last = j < k ? Math.Floor((fv[j + 1] - fv[j]) / (2.0 * (v[j + 1] - owner))) : double.PositiveInfinity;
                }

                double d = x - owner;
                var d2 = ((d * d) + gOwner) * _dx2;
                squared[x] = d2;
                if (withIndex)
                {
                    index[x] = d2 > _max2 ? -1 : (nearest[owner] * n) + owner;
                }
            }

            SquareRoots(squared.AsSpan(0, n), distance, _max2);
        }

        /// <summary>
        /// distance = √squared, NaN beyond the maximum, four doubles per square root instruction: the
        /// square roots were a third of the row pass done one at a time. Vector and scalar roots are both
        /// correctly rounded, and so is the narrowing to float, so both paths give the same bits.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void SquareRoots(ReadOnlySpan<double> squared, Span<float> distance, double max2)
        {
            var i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var limit = Vector256.Create(max2);
                var nan = Vector256.Create(double.NaN);
                for (; i + 8 <= squared.Length; i += 8)
                {
                    var lo = Vector256.Create(squared.Slice(i, 4));
                    var hi = Vector256.Create(squared.Slice(i + 4, 4));
                    lo = Vector256.ConditionalSelect(Vector256.GreaterThan(lo, limit), nan, Vector256.Sqrt(lo));
                    hi = Vector256.ConditionalSelect(Vector256.GreaterThan(hi, limit), nan, Vector256.Sqrt(hi));
                    Vector256.Narrow(lo, hi).CopyTo(distance.Slice(i, 8));
                }
            }

            for (; i < squared.Length; i++)
            {
                distance[i] = squared[i] > max2 ? float.NaN : (float)Math.Sqrt(squared[i]);
            }
        }
    }

}
