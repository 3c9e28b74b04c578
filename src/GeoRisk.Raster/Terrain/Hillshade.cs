namespace GeoRisk.Raster.Terrain;

/// <summary>
/// Hillshade with Horn's gradients and gdaldem's defaults (azimuth 315°, altitude 45°, z-factor 1): 1..255
/// for lit cells, 0 where the 3×3 window is incomplete (border or NaN), like <c>gdaldem hillshade</c>.
/// </summary>
public static class Hillshade
{
    /// <param name="pixelWidth">Cell width in the DEM's vertical units.</param>
    /// <param name="pixelHeight">Cell height (sign ignored).</param>
    public static RasterBuffer<byte> Compute(
        RasterBuffer<float> dem, double pixelWidth, double pixelHeight, double azimuth = 315, double altitude = 45, double zFactor = 1)
    {
        int w = dem.Width, h = dem.Height;
        var output = new RasterBuffer<byte>(w, h);
        var alt = altitude * Math.PI / 180;
        var az = azimuth * Math.PI / 180;
        var sinAlt = Math.Sin(alt);
        var cosAltZ = Math.Cos(alt) * zFactor;
        var cosAz = Math.Cos(az);
        var sinAz = Math.Sin(az);
        var zz = zFactor * zFactor;
        var ew = 1 / (8 * Math.Abs(pixelWidth));
        var ns = 1 / (8 * Math.Abs(pixelHeight));
        for (var y = 1; y < h - 1; y++)
        {
            for (var x = 1; x < w - 1; x++)
            {
                double a = dem[x - 1, y - 1], b = dem[x, y - 1], c = dem[x + 1, y - 1];
                double d = dem[x - 1, y], f = dem[x + 1, y];
                double g = dem[x - 1, y + 1], hh = dem[x, y + 1], i = dem[x + 1, y + 1];
                // gdaldem's sign convention: west minus east, and north (top row) minus south.
                var dx = (a + (2 * d) + g - (c + (2 * f) + i)) * ew;
                var dy = (a + (2 * b) + c - (g + (2 * hh) + i)) * ns;
                var value = (sinAlt - ((dy * cosAz * cosAltZ) - (dx * sinAz * cosAltZ))) / Math.Sqrt(1 + (zz * ((dx * dx) + (dy * dy))));
                if (double.IsNaN(value) || float.IsNaN(dem[x, y]))
                {
                    continue;
                }

                output[x, y] = value <= 0 ? (byte)1 : (byte)Math.Min(255, 1 + Math.Round(254 * value));
            }
        }

        return output;
    }
}
