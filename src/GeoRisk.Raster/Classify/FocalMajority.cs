namespace GeoRisk.Raster.Classify;

/// <summary>
/// Majority filter over a square window (radius 1 = 3×3): each cell takes the most frequent class among
/// the valid cells of its window; ties keep the cell's own class if it is among the most frequent, else
/// the smallest class value. Nodata cells stay nodata.
/// </summary>
public static class FocalMajority
{
    public static RasterBuffer<float> Apply(RasterBuffer<float> classes, int radius = 1, RasterOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(radius);
        options ??= new RasterOptions();
        int w = classes.Width, h = classes.Height;
        var output = RasterBuffer<float>.Uninitialized(w, h);
        ParallelRows.For(h, w, options, (y0, y1) =>
        {
            // Few classes per window: a small list of (class, count) beats a dictionary here.
            var counts = new List<(float Value, int Count)>(8);
            for (var y = y0; y < y1; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var own = classes[x, y];
                    if (float.IsNaN(own))
                    {
                        output[x, y] = float.NaN;
                        continue;
                    }

                    counts.Clear();
                    for (var yy = Math.Max(0, y - radius); yy <= Math.Min(h - 1, y + radius); yy++)
                    {
                        for (var xx = Math.Max(0, x - radius); xx <= Math.Min(w - 1, x + radius); xx++)
                        {
                            var v = classes[xx, yy];
                            if (float.IsNaN(v))
                            {
                                continue;
                            }

                            var i = counts.FindIndex(c => c.Value == v);
                            if (i < 0)
                            {
                                counts.Add((v, 1));
                            }
                            else
                            {
                                counts[i] = (v, counts[i].Count + 1);
                            }
                        }
                    }

                    var best = counts.Max(c => c.Count);
                    output[x, y] = counts.Any(c => c.Value == own && c.Count == best) ? own : counts.Where(c => c.Count == best).Min(c => c.Value);
                }
            }
        });
        return output;
    }
}
