using System.Runtime.CompilerServices;

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
/// Exact Euclidean distance transform (Felzenszwalb &amp; Huttenlocher 2012, "Distance Transforms of Sampled
/// Functions"): a column pass gives each cell the squared distance to the nearest source in its column,
/// then a row pass takes the lower envelope of the parabolas (x − q)²·dx² + g(q). Both passes are linear
/// in the cell count and exact for any pixel aspect ratio. Written here because neither GDAL's nor
/// GRASS's proximity is exact, and no .NET library offers an exact anisotropic EDT with nearest-source indices.
/// </summary>
public static class DistanceTransform
{
    /// <param name="isSource">True for source cells (distance 0).</param>
    /// <param name="pixelWidth">Cell width in map units (positive).</param>
    /// <param name="pixelHeight">Cell height in map units (positive).</param>
    /// <param name="maxDistance">Cells farther than this get NaN and index -1; infinity for no limit.</param>
    public static DistanceResult Compute(RasterBuffer<byte> isSource, double pixelWidth, double pixelHeight, double maxDistance = double.PositiveInfinity, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        int w = isSource.Width, h = isSource.Height;
        var nearestRow = ColumnPass(isSource, options);
        var distance = RasterBuffer<float>.Uninitialized(w, h);
        var index = RasterBuffer<int>.Uninitialized(w, h);
        var rows = new RowPass(nearestRow, pixelWidth, pixelHeight, maxDistance);
        ParallelRows.For(h, w, options, (y0, y1) => rows.Run(y0, y1, distance.Data.AsSpan(y0 * w, (y1 - y0) * w), index.Data.AsSpan(y0 * w, (y1 - y0) * w)));
        return new DistanceResult(distance, index);
    }

    /// <summary>Distances only (no nearest-source index: a quarter less memory and work).</summary>
    public static RasterBuffer<float> Distance(RasterBuffer<byte> isSource, double pixelWidth, double pixelHeight, double maxDistance = double.PositiveInfinity, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        int w = isSource.Width, h = isSource.Height;
        var rows = new RowPass(ColumnPass(isSource, options), pixelWidth, pixelHeight, maxDistance);
        var distance = RasterBuffer<float>.Uninitialized(w, h);
        ParallelRows.For(h, w, options, (y0, y1) => rows.Run(y0, y1, distance.Data.AsSpan(y0 * w, (y1 - y0) * w), []));
        return distance;
    }

    /// <summary>
    /// Distances written to a sink strip by strip: the row pass of one strip runs on all threads while the
    /// previous strip is written, and no whole distance grid is ever held.
    /// </summary>
    public static void Distance(RasterBuffer<byte> isSource, IRasterSink sink, double pixelWidth, double pixelHeight, double maxDistance = double.PositiveInfinity, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        int w = isSource.Width, h = isSource.Height;
        if (sink.Grid.Width != w || sink.Grid.Height != h)
        {
            throw new ArgumentException($"The sink is {sink.Grid.Width}x{sink.Grid.Height}, the sources {w}x{h}.", nameof(sink));
        }

        var rows = new RowPass(ColumnPass(isSource, options), pixelWidth, pixelHeight, maxDistance);
        var stripRows = options.StripRows > 0 ? options.StripRows : Math.Clamp((2 << 20) / Math.Max(1, w) / 256 * 256, 256, Math.Max(256, h));
        float[][] outputs = [new float[Math.Min(stripRows, h) * w], new float[Math.Min(stripRows, h) * w]];
        var writing = Task.CompletedTask;
        try
        {
            for (int y = 0, k = 0; y < h; y += stripRows, k++)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                var (y0, n, output) = (y, Math.Min(stripRows, h - y), outputs[k % 2]);
                ParallelRows.For(n, w, options, (r0, r1) => rows.Run(y0 + r0, y0 + r1, output.AsSpan(r0 * w, (r1 - r0) * w), []));
                writing.GetAwaiter().GetResult();
                writing = Task.Run(() => sink.WriteRows(y0, n, output.AsSpan(0, n * w)));
                options.Progress?.Report((double)(y0 + n) / h);
            }

            writing.GetAwaiter().GetResult();
        }
        finally
        {
            try
            {
                writing.Wait();
            }
            catch (AggregateException)
            {
                // surfaced above, or superseded by the exception in flight
            }
        }
    }

    /// <summary>Per cell, the row of the nearest source cell in its column (−1 if none): rows since the nearest source above, then below, per column band.</summary>
    private static RasterBuffer<int> ColumnPass(RasterBuffer<byte> isSource, RasterOptions options)
    {
        int w = isSource.Width, h = isSource.Height;
        var nearestRow = RasterBuffer<int>.Uninitialized(w, h);
        var columnBands = Math.Max(1, Math.Min(options.MaxDegreeOfParallelism, w / 256));
        var bandWidth = (w + columnBands - 1) / columnBands;
        Parallel.For(0, columnBands, new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = options.CancellationToken }, band =>
        {
            var x0 = band * bandWidth;
            var x1 = Math.Min(w, x0 + bandWidth);
            if (x0 < x1)
            {
                ColumnBand(isSource, nearestRow, x0, x1);
            }
        });
        return nearestRow;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one call per band: tier-0 code would run the whole pass
    private static void ColumnBand(RasterBuffer<byte> isSource, RasterBuffer<int> nearestRow, int x0, int x1)
    {
        var h = isSource.Height;
        var last = new int[x1 - x0];
        Array.Fill(last, -1);
        for (var y = 0; y < h; y++)
        {
            var src = isSource.GetRow(y)[x0..x1];
            var dst = nearestRow.GetRow(y)[x0..x1];
            for (var x = 0; x < src.Length; x++)
            {
                if (src[x] != 0)
                {
                    last[x] = y;
                }

                dst[x] = last[x];
            }
        }

        Array.Fill(last, -1);
        for (var y = h - 1; y >= 0; y--)
        {
            var src = isSource.GetRow(y)[x0..x1];
            var dst = nearestRow.GetRow(y)[x0..x1];
            for (var x = 0; x < src.Length; x++)
            {
                if (src[x] != 0)
                {
                    last[x] = y;
                }

                var below = last[x];
                if (below >= 0 && (dst[x] < 0 || below - y < y - dst[x]))
                {
                    dst[x] = below;
                }
            }
        }
    }

    /// <summary>
    /// The row pass over rows [y0, y1): per row the lower envelope of the parabolas (x − q)² + g(q), in
    /// cell units with g scaled by (dy/dx)², so that for square cells every quantity is an integer held
    /// exactly in a double. The envelope is built and scanned by comparing parabolas with
    /// cross-multiplied intersections instead of F&amp;H's divided ones: no division per cell, and exact.
    /// </summary>
    private sealed class RowPass(RasterBuffer<int> nearestRow, double pixelWidth, double pixelHeight, double maxDistance)
    {
        private readonly double _dx2 = pixelWidth * pixelWidth;
        private readonly double _ratio = (pixelHeight * pixelHeight) / (pixelWidth * pixelWidth);
        private readonly double _max2 = maxDistance * maxDistance;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int y0, int y1, Span<float> distance, Span<int> index)
        {
            var w = nearestRow.Width;
            var g = new double[w];
            var v = new int[w];
            var fv = new double[w];
            for (var y = y0; y < y1; y++)
            {
                var offset = (y - y0) * w;
                Row(nearestRow.GetRow(y), y, g, v, fv, distance.Slice(offset, w), index.IsEmpty ? [] : index.Slice(offset, w));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Row(ReadOnlySpan<int> nearest, int y, double[] g, int[] v, double[] fv, Span<float> distance, Span<int> index)
        {
            var n = nearest.Length;
            var k = -1; // v[0..k]: roots of the parabolas on the envelope, left to right; fv their g + q²
            for (var q = 0; q < n; q++)
            {
                if (nearest[q] < 0)
                {
                    continue; // no source in this column
                }

                double dr = nearest[q] - y;
                var gq = dr * dr * _ratio;
                g[q] = gq;
                var fq = gq + ((double)q * q);
                // Drop v[k] while the new parabola overtakes it no later than v[k] overtook v[k − 1]:
                // (fq − fp) / 2(q − p) ≤ (fp − fr) / 2(p − r), both denominators positive.
                while (k >= 1 && (fq - fv[k]) * (v[k] - v[k - 1]) <= (fv[k] - fv[k - 1]) * (q - v[k]))
                {
                    k--;
                }

                k++;
                v[k] = q;
                fv[k] = fq;
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
            // floor is exact. Filling whole runs keeps data-dependent branches out of the per-cell loop.
            var x = 0;
            for (var j = 0; j <= k && x < n; j++)
            {
                var q = v[j];
                var last = n - 1;
                if (j < k)
                {
                    var split = Math.Floor((fv[j + 1] - fv[j]) / (2.0 * (v[j + 1] - q)));
                    last = split < last ? (int)Math.Max(split, x - 1) : last;
                }

                if (last < x)
                {
                    continue;
                }

                FillRun(distance[x..(last + 1)], x - q, g[q]);
                if (!index.IsEmpty)
                {
                    index[x..(last + 1)].Fill((nearest[q] * n) + q);
                }

                x = last + 1;
            }

            if (!index.IsEmpty && _max2 < double.PositiveInfinity)
            {
                for (var i = 0; i < n; i++)
                {
                    if (float.IsNaN(distance[i]))
                    {
                        index[i] = -1;
                    }
                }
            }
        }

        /// <summary>distance[i] = dx·√((offset + i)² + g), NaN beyond the maximum distance.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void FillRun(Span<float> distance, int offset, double g)
        {
            for (var i = 0; i < distance.Length; i++)
            {
                double d = offset + i;
                var d2 = ((d * d) + g) * _dx2;
                distance[i] = d2 > _max2 ? float.NaN : (float)Math.Sqrt(d2);
            }
        }
    }

}
