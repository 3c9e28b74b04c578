using System.Numerics.Tensors;
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
    public static RasterBuffer<float> Slope(RasterBuffer<float> dem, double pixelWidth, double pixelHeight, SlopeUnit unit = SlopeUnit.Degrees, RasterOptions? options = null)
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
    public static void Slope(IRasterSource dem, IRasterSink output, double pixelWidth, double pixelHeight, SlopeUnit unit = SlopeUnit.Degrees, RasterOptions? options = null)
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
    private sealed class SlopeKernel(double pixelWidth, double pixelHeight, SlopeUnit unit, bool vectorize = true)
    {
        private readonly float _inverseEw = (float)(1 / (8 * Math.Abs(pixelWidth)));
        private readonly float _inverseNs = (float)(1 / (8 * Math.Abs(pixelHeight)));

        // One fused pass computes the gradient and its length per cell (eight at a time), then the atan
        // runs as one vectorised TensorPrimitives pass over the row: a dozen whole-row passes before made
        // this kernel memory-bound. Sums run in single precision, as gdaldem's do; the scalar path
        // rounds exactly like the vector one (same fused multiply-adds, correctly rounded square roots).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Row(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> down, Span<float> o)
        {
            var w = mid.Length;
            if (w < 3 || up.IsEmpty || down.IsEmpty)
            {
                o.Fill(float.NaN); // border rows and columns have no full neighbourhood
                return;
            }

            var x = 1;
            if (vectorize && Vector256.IsHardwareAccelerated)
            {
                var two = Vector256.Create(2f);
                var zero = Vector256<float>.Zero;
                var inverseEw = Vector256.Create(_inverseEw);
                var inverseNs = Vector256.Create(_inverseNs);
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
                    var dzdx = (Vector256.FusedMultiplyAdd(f, two, c) + i - (Vector256.FusedMultiplyAdd(d, two, a) + g)) * inverseEw;
                    var dzdy = (Vector256.FusedMultiplyAdd(h, two, g) + i - (Vector256.FusedMultiplyAdd(b, two, a) + c)) * inverseNs;
                    var length = Vector256.Sqrt(Vector256.FusedMultiplyAdd(dzdx, dzdx, dzdy * dzdy));
                    // Horn's weights skip the centre cell, but a nodata centre must still give nodata:
                    // 0·x is 0 for finite x and NaN for NaN, so this adds nothing else.
                    Vector256.FusedMultiplyAdd(e, zero, length).CopyTo(o.Slice(x, 8));
                }
            }

            for (; x < w - 1; x++)
            {
                var dzdx = (MathF.FusedMultiplyAdd(mid[x + 1], 2f, up[x + 1]) + down[x + 1] - (MathF.FusedMultiplyAdd(mid[x - 1], 2f, up[x - 1]) + down[x - 1])) * _inverseEw;
                var dzdy = (MathF.FusedMultiplyAdd(down[x], 2f, down[x - 1]) + down[x + 1] - (MathF.FusedMultiplyAdd(up[x], 2f, up[x - 1]) + up[x + 1])) * _inverseNs;
                o[x] = MathF.FusedMultiplyAdd(mid[x], 0f, MathF.Sqrt(MathF.FusedMultiplyAdd(dzdx, dzdx, dzdy * dzdy)));
            }

            var cells = o[1..(w - 1)];
            if (unit == SlopeUnit.Degrees)
            {
                TensorPrimitives.Atan(cells, cells);
                TensorPrimitives.Multiply(cells, (float)(180 / Math.PI), cells);
            }
            else
            {
                TensorPrimitives.Multiply(cells, 100f, cells);
            }

            o[0] = float.NaN;
            o[w - 1] = float.NaN;
        }
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
