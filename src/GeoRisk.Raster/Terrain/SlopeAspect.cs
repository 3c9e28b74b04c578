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
        var output = RasterBuffer<float>.Uninitialized(dem.Width, dem.Height);
        var ew = 8 * Math.Abs(pixelWidth);
        var ns = 8 * Math.Abs(pixelHeight);
        Horn(dem, output, options, (dzdx, dzdy) =>
        {
            var rise = Math.Sqrt((dzdx / ew * (dzdx / ew)) + (dzdy / ns * (dzdy / ns)));
            return (float)(unit == SlopeUnit.Degrees ? Math.Atan(rise) * (180 / Math.PI) : rise * 100);
        });
        return output;
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
