namespace GeoRisk.Raster.Classify;

/// <summary>
/// Class breaks for N grades. A value v gets grade k (1-based) where breaks[k-2] ≤ v &lt; breaks[k-1];
/// there are N-1 breaks. Methods: fixed, equal interval, quantile, and natural breaks (Fisher-Jenks, the
/// optimal variance partition, on a deterministic sample for big rasters).
/// </summary>
public static class Breaks
{
    /// <summary>
    /// Values from the grid without NaN (and, with <paramref name="positiveOnly"/>, without values ≤ 0): all of them when
    /// there are at most <paramref name="maxSample"/>, else the hashed "bottom-k" sample of the cells
    /// (<see cref="Blocks.CellSample"/>). Which cells are kept depends on their numbers alone, so the sample does not alias
    /// with the raster's rows or columns (as every k-th cell in scan order can when the stride divides the width), it
    /// is deterministic, and a block-wise run draws the same one.
    /// </summary>
    public static float[] Sample(ReadOnlySpan<float> values, int maxSample = 10_000, bool positiveOnly = false)
    {
        var sample = new Blocks.CellSample(Math.Max(1, maxSample));
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (positiveOnly ? v > 0 : !float.IsNaN(v))
            {
                sample.Add(i, v);
            }
        }

        return sample.Values();
    }

    public static double[] EqualInterval(ReadOnlySpan<float> sample, int classes)
    {
        var (min, max) = (double.MaxValue, double.MinValue);
        foreach (var v in sample)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return Enumerable.Range(1, classes - 1).Select(k => min + ((max - min) * k / classes)).ToArray();
    }

    public static double[] Quantile(ReadOnlySpan<float> sample, int classes)
    {
        var sorted = sample.ToArray();
        Array.Sort(sorted);
        return Enumerable.Range(1, classes - 1).Select(
            k => (double)sorted[Math.Min(sorted.Length - 1, (int)Math.Floor((double)k * sorted.Length / classes))]).ToArray();
    }

    /// <summary>
    /// Fisher-Jenks natural breaks: dynamic programming over the sorted sample minimising the within-class
    /// sum of squared deviations, O(k·n²). Returned breaks are the lower bounds of classes 2..k.
    /// </summary>
    public static double[] NaturalBreaks(ReadOnlySpan<float> sample, int classes)
    {
        var data = sample.ToArray().Select(v => (double)v).ToArray();
        Array.Sort(data);
        var n = data.Length;
        if (n == 0 || classes < 2)
        {
            return [];
        }

        classes = Math.Min(classes, n);
        // Prefix sums make the cost of any run data[i..j] O(1).
        var s1 = new double[n + 1];
        var s2 = new double[n + 1];
        for (var i = 0; i < n; i++)
        {
            s1[i + 1] = s1[i] + data[i];
            s2[i + 1] = s2[i] + (data[i] * data[i]);
        }

        double Cost(int i, int j) // inclusive indices
        {
            var count = j - i + 1;
            var sum = s1[j + 1] - s1[i];
            return s2[j + 1] - s2[i] - (sum * sum / count);
        }

        var best = new double[classes, n];
        var start = new int[classes, n];
        for (var j = 0; j < n; j++)
        {
            best[0, j] = Cost(0, j);
        }

        for (var k = 1; k < classes; k++)
        {
            for (var j = k; j < n; j++)
            {
                var bestCost = double.MaxValue;
                var bestStart = k;
                for (var i = k; i <= j; i++)
                {
                    var c = best[k - 1, i - 1] + Cost(i, j);
                    if (c < bestCost)
                    {
                        bestCost = c;
                        bestStart = i;
                    }
                }

                best[k, j] = bestCost;
                start[k, j] = bestStart;
            }
        }

        var breaks = new double[classes - 1];
        var end = n - 1;
        for (var k = classes - 1; k >= 1; k--)
        {
            var s = start[k, end];
            breaks[k - 1] = data[s];
            end = s - 1;
        }

        return breaks;
    }

    /// <summary>Grades 1..breaks.Length+1 per cell; NaN stays NaN.</summary>
    public static RasterBuffer<float> Classify(RasterBuffer<float> values, IReadOnlyList<double> breaks, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        var b = breaks.Select(x => (float)x).ToArray();
        var grades = Enumerable.Range(1, b.Length + 1).Select(g => (float)g).ToArray();
        var output = RasterBuffer<float>.Uninitialized(values.Width, values.Height);
        var w = values.Width;
        ParallelRows.For(values.Height, w, options, (y0, y1) =>
            MapAlgebra.Kernels.Reclass(values.Data.AsSpan(y0 * w, (y1 - y0) * w), b, grades, output.Data.AsSpan(y0 * w, (y1 - y0) * w), options.Vectorize));
        return output;
    }
}
