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
    public static DistanceResult Compute(
        RasterBuffer<byte> isSource, double pixelWidth, double pixelHeight, double maxDistance = double.PositiveInfinity, RasterOptions? options = null) =>
        Compute(ColumnSources.FromMask(isSource), pixelWidth, pixelHeight, maxDistance, options);

    public static DistanceResult Compute(
        ColumnSources sources, double pixelWidth, double pixelHeight, double maxDistance = double.PositiveInfinity, RasterOptions? options = null)
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
    public static RasterBuffer<float> Distance(
        RasterBuffer<byte> isSource, double pixelWidth, double pixelHeight, double maxDistance = double.PositiveInfinity, RasterOptions? options = null)
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
    public static void Distance(
        ColumnSources sources,
        IRasterSink sink,
        double pixelWidth,
        double pixelHeight,
        double maxDistance = double.PositiveInfinity,
        RasterOptions? options = null)
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
    private sealed class RowPass
    {
        /// <summary>A row no grid reaches: the nearest "source" when a column has none above or below.</summary>
        private const int Far = 1 << 30;

        private readonly double _dx2;
        private readonly double _ratio;
        private readonly double _max2;
        private readonly int[] _start;
        private readonly int[] _rows;
        private readonly int _width;

        /// <summary>The columns that have at least one source, ascending: the only parabolas there are.</summary>
        private readonly int[] _columns;

        /// <summary>q² per entry of <see cref="_columns"/>.</summary>
        private readonly double[] _columnSquares;

        private readonly System.Collections.Concurrent.ConcurrentBag<ColumnState> _states = [];

        public RowPass(ColumnSources sources, double pixelWidth, double pixelHeight, double maxDistance)
        {
            _dx2 = pixelWidth * pixelWidth;
            _ratio = (pixelHeight * pixelHeight) / (pixelWidth * pixelWidth);
            _max2 = maxDistance * maxDistance;
            _start = sources.Start;
            _rows = sources.Rows;
            _width = sources.Width;
            _columns = Enumerable.Range(0, _width).Where(q => _start[q + 1] > _start[q]).ToArray();
            _columnSquares = _columns.Select(q => (double)q * q).ToArray();
        }

        /// <summary>Per sourced column (compact index c): the nearest source rows above and at-or-below the current row, as doubles for the vector step, and
        /// the index in _rows of the one after.</summary>
        private sealed class ColumnState(int m)
        {
            /// <summary>The row the cursors were last positioned for; -1 before the first.</summary>
            public int Row = -1;

            public readonly double[] Above = new double[m];
            public readonly double[] Below = new double[m];
            public readonly int[] Next = new int[m];
            public readonly double[] G = new double[m];
            public readonly double[] F = new double[m];
            public readonly int[] StackC = new int[m];
            public readonly int[] StackQ = new int[m];
            public readonly double[] StackF = new double[m];
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int y0, int y1, Span<float> distance, Span<int> index)
        {
            var w = _width;
            var m = _columns.Length;
            if (m == 0)
            {
                distance[..((y1 - y0) * w)].Fill(float.NaN);
                index.Fill(-1);
                return;
            }

            // A thread's next band usually starts a little below its last one: step its columns' cursors on
            // from there instead of searching every column again, and keep the arrays (LOH-sized for wide grids).
            if (!_states.TryTake(out var state))
            {
                state = new ColumnState(m);
            }

            MoveTo(state, y0);
            for (var y = y0; y < y1; y++)
            {
                var offset = (y - y0) * w;
                Columns(y, state);
                var k = Envelope(state);
                Fill(state, k, y, distance.Slice(offset, w), index.IsEmpty ? [] : index.Slice(offset, w));
            }

            state.Row = y1 - 1;
            _states.Add(state);
        }

        /// <summary>Positions every column's cursor for row y: the nearest source row above y and the one at or below it.</summary>
        private void MoveTo(ColumnState state, int y)
        {
            var stepOn = state.Row >= 0 && state.Row < y; // else searched again: a fresh state, or one already past y
            for (var c = 0; c < _columns.Length; c++)
            {
                if (stepOn)
                {
                    while (state.Below[c] < y)
                    {
                        Advance(c, y, state);
                    }

                    continue;
                }

                var q = _columns[c];
                var at = Array.BinarySearch(_rows, _start[q], _start[q + 1] - _start[q], y);
                at = at >= 0 ? at : ~at;
                state.Above[c] = at > _start[q] ? _rows[at - 1] : -Far;
                state.Below[c] = at < _start[q + 1] ? _rows[at] : Far;
                state.Next[c] = at < _start[q + 1] ? at + 1 : at;
            }
        }

        /// <summary>
        /// Steps every sourced column to row y: g = squared distance (in cell heights, times the aspect
        /// ratio) to the nearest source above or below, and f = g + q², the parabola's value at x = 0
        /// shifted to its root. Four columns per step; a column passes one of its sources about once in
        /// a few dozen rows, and only then leaves the vector path.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Columns(int y, ColumnState state)
        {
            var (above, below, g, f) = (state.Above, state.Below, state.G, state.F);
            var m = above.Length;
            var c = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var yv = Vector256.Create((double)y);
                var ratio = Vector256.Create(_ratio);
                for (; c + 4 <= m; c += 4)
                {
                    var b = Vector256.Create(below.AsSpan(c, 4));
                    if (Vector256.LessThanAny(b, yv))
                    {
                        for (var i = c; i < c + 4; i++)
                        {
                            Advance(i, y, state);
                        }

                        b = Vector256.Create(below.AsSpan(c, 4));
                    }

                    var d = Vector256.Min(yv - Vector256.Create(above.AsSpan(c, 4)), b - yv);
                    var gc = d * d * ratio;
                    gc.CopyTo(g.AsSpan(c, 4));
                    (gc + Vector256.Create(_columnSquares.AsSpan(c, 4))).CopyTo(f.AsSpan(c, 4));
                }
            }

            for (; c < m; c++)
            {
                Advance(c, y, state);
                var d = Math.Min(y - above[c], below[c] - y);
                g[c] = d * d * _ratio;
                f[c] = g[c] + _columnSquares[c];
            }
        }

        /// <summary>Moves column c's source pair on when row y has passed the source below.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Advance(int c, int y, ColumnState state)
        {
            if (state.Below[c] < y)
            {
                state.Above[c] = state.Below[c];
                var at = state.Next[c];
                var has = at < _start[_columns[c] + 1];
                state.Below[c] = has ? _rows[at] : Far;
                state.Next[c] = has ? at + 1 : at;
            }
        }

        /// <summary>
        /// The lower envelope of the row's parabolas, left to right, into the state's stack; returns the
        /// index of its top. Drop the top (p) while the new parabola overtakes it no later than p overtook
        /// the one below it (r): (fq − fp) / 2(q − p) ≤ (fp − fr) / 2(p − r), both denominators positive.
        /// The top two stay in registers, so the usual no-drop case loads nothing.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int Envelope(ColumnState state)
        {
            var (f, stackC, stackQ, stackF, columns) = (state.F, state.StackC, state.StackQ, state.StackF, _columns);
            var k = -1;
            int pTop = 0, pBelow = 0;
            double fTop = 0, fBelow = 0;
            for (var c = 0; c < columns.Length; c++)
            {
                var q = columns[c];
                var fq = f[c];
                while (k >= 1 && (fq - fTop) * (pTop - pBelow) <= (fTop - fBelow) * (q - pTop))
                {
                    k--;
                    (pTop, fTop) = (pBelow, fBelow);
                    if (k >= 1)
                    {
                        (pBelow, fBelow) = (stackQ[k - 1], stackF[k - 1]);
                    }
                }

                (pBelow, fBelow) = (pTop, fTop);
                k++;
                stackC[k] = c;
                stackQ[k] = q;
                stackF[k] = fq;
                (pTop, fTop) = (q, fq);
            }

            return k;
        }

        /// <summary>
        /// Each parabola on the envelope owns the cells up to where the next one becomes strictly lower
        /// (ties stay left): floor((f_b − f_a) / 2(b − a)). For square cells the quotient is a ratio of
        /// integers whose distance to any integer is at least 1/2(b − a), far above double rounding, so
        /// the floor is exact. One division per parabola, none per cell; each owned run is filled in one go.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Fill(ColumnState state, int k, int y, Span<float> distance, Span<int> index)
        {
            var (stackC, stackQ, stackF) = (state.StackC, state.StackQ, state.StackF);
            var n = distance.Length;
            var x = 0;
            for (var j = 0; j <= k && x < n; j++)
            {
                var owner = stackQ[j];
                var last = j < k ? Math.Min(Math.Floor((stackF[j + 1] - stackF[j]) / (2.0 * (stackQ[j + 1] - owner))), n - 1) : n - 1;
                if (last < x)
                {
                    continue; // a parabola that owns no whole cell
                }

                var x1 = (int)last;
                var c = stackC[j];
                Segment(x, x1, owner, state.G[c], distance);
                if (!index.IsEmpty)
                {
                    // The nearest source of the owning column: the one above on a tie, as in the column step.
                    var (above, below) = ((int)state.Above[c], (int)state.Below[c]);
                    var row = below - y < y - above ? below : above;
                    var cells = index.Slice(x, x1 - x + 1);
                    cells.Fill((row * n) + owner);
                    if (!double.IsPositiveInfinity(_max2))
                    {
                        for (var i = 0; i < cells.Length; i++)
                        {
                            cells[i] = float.IsNaN(distance[x + i]) ? -1 : cells[i];
                        }
                    }
                }

                x = x1 + 1;
            }
        }

        /// <summary>
        /// distance[x] = √(((x − owner)² + g)·dx²) for x in [x0, x1], NaN beyond the maximum, eight cells per
        /// step. A step may run past x1 (never past the row): the next run, which starts at x1 + 1,
        /// overwrites those cells. Vector and scalar square roots are both correctly rounded, and so is the
        /// narrowing to float, so both paths give the same bits.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Segment(int x0, int x1, int owner, double g, Span<float> distance)
        {
            var x = x0;
            if (Vector256.IsHardwareAccelerated)
            {
                var gv = Vector256.Create(g);
                var dx2 = Vector256.Create(_dx2);
                var limit = Vector256.Create(_max2);
                var nan = Vector256.Create(double.NaN);
                var four = Vector256.Create(4.0);
                var d = Vector256.Create((double)(x - owner)) + Vector256.Create(0.0, 1, 2, 3);
                for (; x <= x1 && x + 8 <= distance.Length; x += 8)
                {
                    var lo = ((d * d) + gv) * dx2;
                    d += four;
                    var hi = ((d * d) + gv) * dx2;
                    d += four;
                    lo = Vector256.ConditionalSelect(Vector256.GreaterThan(lo, limit), nan, Vector256.Sqrt(lo));
                    hi = Vector256.ConditionalSelect(Vector256.GreaterThan(hi, limit), nan, Vector256.Sqrt(hi));
                    Vector256.Narrow(lo, hi).CopyTo(distance.Slice(x, 8));
                }
            }

            for (; x <= x1; x++)
            {
                double d = x - owner;
                var d2 = ((d * d) + g) * _dx2;
                distance[x] = d2 > _max2 ? float.NaN : (float)Math.Sqrt(d2);
            }
        }
    }
}
