using System.Numerics.Tensors;

namespace GeoRisk.Raster.Terrain;

public enum SlopeUnit
{
    Degrees,
    Percent,
}

/// <summary>
/// Slope and aspect with Horn's (1981) 3×3 weights, as gdaldem computes them: border cells and cells
/// with a nodata (NaN) neighbour get NaN; aspect is an azimuth (0 = north, clockwise), NaN where flat.
/// </summary>
public static class SlopeAspect
{
    /// <param name="pixelWidth">East-west cell size in the DEM's vertical units (metres).</param>
    /// <param name="pixelHeight">North-south cell size in metres (sign ignored).</param>
    public static RasterBuffer<float> Slope(RasterBuffer<float> dem, double pixelWidth, double pixelHeight, SlopeUnit unit = SlopeUnit.Degrees, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        int w = dem.Width, h = dem.Height;
        var output = RasterBuffer<float>.Uninitialized(w, h);
        var inverseEw = (float)(1 / (8 * Math.Abs(pixelWidth)));
        var inverseNs = (float)(1 / (8 * Math.Abs(pixelHeight)));
        // Whole-row span arithmetic on shifted views of the three rows (TensorPrimitives vectorises each
        // step, atan included), instead of a 3x3 loop per cell: the atan alone costs more than the sums
        // when done one cell at a time. Sums run in single precision, as gdaldem's do.
        ParallelRows.For(h, w, options, (y0, y1) =>
        {
            if (w < 3)
            {
                for (var y = y0; y < y1; y++)
                {
                    output.GetRow(y).Fill(float.NaN);
                }

                return;
            }

            var n = w - 2;
            var left = new float[n];
            var right = new float[n];
            var top = new float[n];
            var bottom = new float[n];
            for (var y = y0; y < y1; y++)
            {
                var o = output.GetRow(y);
                if (y == 0 || y == h - 1)
                {
                    o.Fill(float.NaN);
                    continue;
                }

                ReadOnlySpan<float> up = dem.GetRow(y - 1), mid = dem.GetRow(y), down = dem.GetRow(y + 1);
                // dz/dx: (c + 2f + i) − (a + 2d + g); dz/dy: (g + 2h + i) − (a + 2b + c).
                WeightedSum(up[2..], mid[2..], down[2..], right);
                WeightedSum(up[..n], mid[..n], down[..n], left);
                WeightedSum(down[..n], down[1..(n + 1)], down[2..], bottom);
                WeightedSum(up[..n], up[1..(n + 1)], up[2..], top);
                TensorPrimitives.Subtract(right, left, right);
                TensorPrimitives.Multiply(right, inverseEw, right);
                TensorPrimitives.Subtract(bottom, top, bottom);
                TensorPrimitives.Multiply(bottom, inverseNs, bottom);
                var cells = o[1..(n + 1)];
                TensorPrimitives.Hypot(right, bottom, cells);
                if (unit == SlopeUnit.Degrees)
                {
                    TensorPrimitives.Atan(cells, cells);
                    TensorPrimitives.Multiply(cells, (float)(180 / Math.PI), cells);
                }
                else
                {
                    TensorPrimitives.Multiply(cells, 100f, cells);
                }

                // Horn's weights skip the centre cell, but a nodata centre must still give nodata:
                // 0·x is 0 for finite x and NaN for NaN, so this adds nothing else.
                TensorPrimitives.MultiplyAdd(mid[1..(n + 1)], 0f, cells, cells);
                o[0] = float.NaN;
                o[w - 1] = float.NaN;
            }
        });
        return output;
    }

    /// <summary>destination = a + 2·b + c.</summary>
    private static void WeightedSum(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> destination)
    {
        TensorPrimitives.MultiplyAdd(b, 2f, a, destination);
        TensorPrimitives.Add(destination, c, destination);
    }

    public static RasterBuffer<float> Aspect(RasterBuffer<float> dem, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        var output = RasterBuffer<float>.Uninitialized(dem.Width, dem.Height);
        Horn(dem, output, options, (dzdx, dzdy) =>
        {
            if (dzdx == 0 && dzdy == 0)
            {
                return float.NaN;
            }

            // gdaldem's convention: dzdy runs southwards (row order), atan2 gives math angle, converted to azimuth.
            var angle = Math.Atan2(dzdy, -dzdx) * (180 / Math.PI);
            angle = angle > 90 ? 450 - angle : 90 - angle;
            return (float)(angle >= 360 ? angle - 360 : angle);
        });
        return output;
    }

    private static void Horn(RasterBuffer<float> dem, RasterBuffer<float> output, RasterOptions options, Func<double, double, float> finish)
    {
        int w = dem.Width, h = dem.Height;
        ParallelRows.For(h, w, options, (y0, y1) =>
        {
            for (var y = y0; y < y1; y++)
            {
                var o = output.GetRow(y);
                if (y == 0 || y == h - 1)
                {
                    o.Fill(float.NaN);
                    continue;
                }

                var up = dem.GetRow(y - 1);
                var mid = dem.GetRow(y);
                var down = dem.GetRow(y + 1);
                o[0] = float.NaN;
                o[w - 1] = float.NaN;
                for (var x = 1; x < w - 1; x++)
                {
                    double a = up[x - 1], b = up[x], c = up[x + 1];
                    double d = mid[x - 1], e = mid[x], f = mid[x + 1];
                    double g = down[x - 1], hh = down[x], i = down[x + 1];
                    // NaN in any neighbour makes the sum NaN; one test covers all nine.
                    if (double.IsNaN(a + b + c + d + e + f + g + hh + i))
                    {
                        o[x] = float.NaN;
                        continue;
                    }

                    var dzdx = (c + (2 * f) + i) - (a + (2 * d) + g);
                    var dzdy = (g + (2 * hh) + i) - (a + (2 * b) + c);
                    o[x] = finish(dzdx, dzdy);
                }
            }
        });
    }
}
