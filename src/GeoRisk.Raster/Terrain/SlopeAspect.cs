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
        var kernel = new SlopeKernel(pixelWidth, pixelHeight, unit);
        ParallelRows.For(h, w, options, (y0, y1) =>
        {
            var scratch = kernel.Scratch(w);
            for (var y = y0; y < y1; y++)
            {
                kernel.Row(y > 0 ? dem.GetRow(y - 1) : [], dem.GetRow(y), y < h - 1 ? dem.GetRow(y + 1) : [], output.GetRow(y), scratch);
            }
        });
        return output;
    }

    /// <summary>Slope streamed from a DEM source to a sink strip by strip (bounded memory, I/O overlapped with the kernel).</summary>
    public static void Slope(IRasterSource dem, IRasterSink output, double pixelWidth, double pixelHeight, SlopeUnit unit = SlopeUnit.Degrees, RasterOptions? options = null)
    {
        var kernel = new SlopeKernel(pixelWidth, pixelHeight, unit);
        var width = dem.Grid.Width;
        StripPipeline.Run([dem], output, options ?? new RasterOptions(), (window, y0, y1, o) =>
        {
            var scratch = kernel.Scratch(width);
            for (var y = y0; y < y1; y++)
            {
                kernel.Row(window.Row(0, y - 1), window.Row(0, y), window.Row(0, y + 1), o.Slice((y - y0) * width, width), scratch);
            }
        }, halo: 1);
    }

    /// <summary>One output row of Horn slope from the rows above, at and below (empty above the first and below the last row).</summary>
    private sealed class SlopeKernel(double pixelWidth, double pixelHeight, SlopeUnit unit)
    {
        private readonly float _inverseEw = (float)(1 / (8 * Math.Abs(pixelWidth)));
        private readonly float _inverseNs = (float)(1 / (8 * Math.Abs(pixelHeight)));

        public float[][] Scratch(int width) => [.. Enumerable.Range(0, 4).Select(_ => new float[Math.Max(0, width - 2)])];

        // Whole-row span arithmetic on shifted views of the three rows (TensorPrimitives vectorises each
        // step, atan included), instead of a 3x3 loop per cell: the atan alone costs more than the sums
        // when done one cell at a time. Sums run in single precision, as gdaldem's do.
        public void Row(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> down, Span<float> o, float[][] scratch)
        {
            var w = mid.Length;
            if (w < 3 || up.IsEmpty || down.IsEmpty)
            {
                o.Fill(float.NaN); // border rows and columns have no full neighbourhood
                return;
            }

            var n = w - 2;
            Span<float> left = scratch[0], right = scratch[1], top = scratch[2], bottom = scratch[3];
            // dz/dx: (c + 2f + i) − (a + 2d + g); dz/dy: (g + 2h + i) − (a + 2b + c).
            WeightedSum(up[2..], mid[2..], down[2..], right);
            WeightedSum(up[..n], mid[..n], down[..n], left);
            WeightedSum(down[..n], down[1..(n + 1)], down[2..], bottom);
            WeightedSum(up[..n], up[1..(n + 1)], up[2..], top);
            TensorPrimitives.Subtract(right, left, right);
            TensorPrimitives.Multiply(right, _inverseEw, right);
            TensorPrimitives.Subtract(bottom, top, bottom);
            TensorPrimitives.Multiply(bottom, _inverseNs, bottom);
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
