using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
    public static RasterBuffer<float> Slope(
        RasterBuffer<float> dem, double pixelWidth, double pixelHeight, SlopeUnit unit = SlopeUnit.Degrees, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        int w = dem.Width, h = dem.Height;
        var output = RasterBuffer<float>.Uninitialized(w, h);
        var kernel = new SlopeKernel(pixelWidth, pixelHeight, unit, options.Vectorize);
        ParallelRows.For(h, w, options, (y0, y1) =>
        {
            for (var y = y0; y < y1; y++)
            {
                kernel.Row(y > 0 ? dem.GetRow(y - 1) : [], dem.GetRow(y), y < h - 1 ? dem.GetRow(y + 1) : [], output.GetRow(y));
            }
        });
        return output;
    }

    /// <summary>Slope streamed from a DEM source to a sink strip by strip (bounded memory, I/O overlapped with the kernel).</summary>
    public static void Slope(
        IRasterSource dem, IRasterSink output, double pixelWidth, double pixelHeight, SlopeUnit unit = SlopeUnit.Degrees, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        var kernel = new SlopeKernel(pixelWidth, pixelHeight, unit, options.Vectorize);
        var width = dem.Grid.Width;
        StripPipeline.Run([dem], output, options, (window, y0, y1, o) =>
        {
            for (var y = y0; y < y1; y++)
            {
                kernel.Row(window.Row(0, y - 1), window.Row(0, y), window.Row(0, y + 1), o.Slice((y - y0) * width, width));
            }
        }, halo: 1);
    }

    /// <summary>One output row of Horn slope from the rows above, at and below (empty above the first and below the last row).</summary>
    /// <remarks>
    /// The window is summed in single precision in gdaldem's own order, (a + d + d + g) − (c + f + f + i),
    /// and only then widened to double for the scaling and the gradient's length, as gdaldem does: the sums
    /// carry float rounding of the elevations (up to ~0.002 m at 4,000 m), and a kernel that rounded them
    /// differently (fused multiply-adds, another order) differed from gdaldem by up to 0.0038° on a steep
    /// 30 m DEM. Rounded the same way, the gradients are gdaldem's exactly; the arc tangent is a vectorised
    /// single-precision polynomial (<see cref="AtanPositive(Vector256{float})"/>), a few 1e-6° from gdaldem's
    /// double atan. One fused pass over eight cells at a time.
    /// </remarks>
    private sealed class SlopeKernel(double pixelWidth, double pixelHeight, SlopeUnit unit, bool vectorize = true)
    {
        private readonly double _inverseEw = 1 / Math.Abs(pixelWidth);
        private readonly double _inverseNs = 1 / Math.Abs(pixelHeight);
        private readonly double _outputScale = unit == SlopeUnit.Degrees ? 1.0 / 8 : 100.0 / 8;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Row(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> down, Span<float> o)
        {
            var w = mid.Length;
            if (w < 3 || up.IsEmpty || down.IsEmpty)
            {
                o.Fill(float.NaN); // border rows and columns have no full neighbourhood
                return;
            }

            var degrees = unit == SlopeUnit.Degrees;
            var x = 1;
            if (vectorize && Vector256.IsHardwareAccelerated)
            {
                var inverseEw = Vector256.Create(_inverseEw);
                var inverseNs = Vector256.Create(_inverseNs);
                var scale = Vector256.Create(_outputScale);
                var toDegrees = Vector256.Create((float)(180 / Math.PI));
                for (; x + 8 <= w - 1; x += 8)
                {
                    // a b c / d e f / g h i around each of the eight cells x .. x + 7.
                    var a = Vector256.Create(up.Slice(x - 1, 8));
                    var b = Vector256.Create(up.Slice(x, 8));
                    var c = Vector256.Create(up.Slice(x + 1, 8));
                    var d = Vector256.Create(mid.Slice(x - 1, 8));
                    var e = Vector256.Create(mid.Slice(x, 8));
                    var f = Vector256.Create(mid.Slice(x + 1, 8));
                    var g = Vector256.Create(down.Slice(x - 1, 8));
                    var h = Vector256.Create(down.Slice(x, 8));
                    var i = Vector256.Create(down.Slice(x + 1, 8));
                    var dx = (((a + d) + d) + g) - (((c + f) + f) + i);
                    var dy = (((g + h) + h) + i) - (((a + b) + b) + c);
                    var (dxLow, dxHigh) = Vector256.Widen(dx);
                    var (dyLow, dyHigh) = Vector256.Widen(dy);
                    dxLow *= inverseEw;
                    dxHigh *= inverseEw;
                    dyLow *= inverseNs;
                    dyHigh *= inverseNs;
                    var length = Vector256.Narrow(
                        Vector256.Sqrt((dxLow * dxLow) + (dyLow * dyLow)) * scale,
                        Vector256.Sqrt((dxHigh * dxHigh) + (dyHigh * dyHigh)) * scale);
                    // Horn's weights skip the centre cell, but a nodata centre must still give nodata:
                    // 0·x is 0 for finite x and NaN for NaN, so this adds nothing else.
                    length += e * Vector256<float>.Zero;
                    (degrees ? AtanPositive(length) * toDegrees : length).CopyTo(o.Slice(x, 8));
                }
            }

            for (; x < w - 1; x++)
            {
                var dx = (((up[x - 1] + mid[x - 1]) + mid[x - 1]) + down[x - 1]) - (((up[x + 1] + mid[x + 1]) + mid[x + 1]) + down[x + 1]);
                var dy = (((down[x - 1] + down[x]) + down[x]) + down[x + 1]) - (((up[x - 1] + up[x]) + up[x]) + up[x + 1]);
                double gx = dx * _inverseEw, gy = dy * _inverseNs;
                var length = (float)(Math.Sqrt((gx * gx) + (gy * gy)) * _outputScale) + (mid[x] * 0f);
                o[x] = degrees ? AtanPositive(Vector256.Create(length)).ToScalar() * (float)(180 / Math.PI) : length;
            }

            o[0] = float.NaN;
            o[w - 1] = float.NaN;
        }
    }

    /// <summary>
    /// atan(x) for x ≥ 0 (NaN stays NaN), eight at a time: the argument is reduced to |t| ≤ tan(π/8) by
    /// atan(x) = π/2 + atan(−1/x) above tan(3π/8) and π/4 + atan((x − 1)/(x + 1)) above tan(π/8), then a
    /// degree-9 odd minimax polynomial (Cephes' single-precision coefficients): a relative error of about
    /// 2e-7, i.e. under 1e-5° on a slope, where TensorPrimitives.Atan computes one element at a time.
    /// </summary>
    internal static Vector256<float> AtanPositive(Vector256<float> x)
    {
        var big = Vector256.GreaterThan(x, Vector256.Create(2.414213562373095f));
        var middle = Vector256.GreaterThan(x, Vector256.Create(0.4142135623730950f)) & ~big;
        var one = Vector256<float>.One;
        var numerator = Vector256.ConditionalSelect(big, -one, Vector256.ConditionalSelect(middle, x - one, x));
        var denominator = Vector256.ConditionalSelect(big, x, Vector256.ConditionalSelect(middle, x + one, one));
        var t = numerator / denominator;
        var offset = Vector256.ConditionalSelect(
            big, Vector256.Create(MathF.PI / 2), Vector256.ConditionalSelect(middle, Vector256.Create(MathF.PI / 4), Vector256<float>.Zero));
        var z = t * t;
        var p = (Vector256.Create(8.05374449538e-2f) * z) - Vector256.Create(1.38776856032e-1f);
        p = (p * z) + Vector256.Create(1.99777106478e-1f);
        p = (p * z) - Vector256.Create(3.33329491539e-1f);
        return offset + ((p * z * t) + t);
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
