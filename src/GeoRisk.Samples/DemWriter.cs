using GeoRisk.Gdal;

namespace GeoRisk.Samples;

/// <summary>A synthetic DEM's grid: its north-west corner, pixel size (degrees) and size in pixels, CGCS2000 lon/lat.</summary>
internal sealed record DemGrid(double MinX, double MaxY, double Step, int Width, int Height);

/// <summary>Writes the generators' synthetic DEMs: an Int16 GeoTIFF in CGCS2000, elevations sampled at pixel centres.</summary>
internal static class DemWriter
{
    /// <summary>
    /// Creates the GeoTIFF (tiled, deflate with predictor, NoData −32768) and fills it strip by strip: the rows of a
    /// 256-row strip are evaluated in parallel into one buffer, then written in order, so the file is the same on every run.
    /// </summary>
    /// <param name="elevation">Metres at (lon, lat), rounded to the nearest metre.</param>
    /// <param name="progress">Called after each strip with the rows written so far and the height.</param>
    public static void WriteDemStrips(string path, DemGrid grid, Func<double, double, double> elevation, Action<int, int>? progress = null)
    {
        var (minX, maxY, step, width, height) = (grid.MinX, grid.MaxY, grid.Step, grid.Width, grid.Height);
        string[] options = ["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=2", "BIGTIFF=IF_SAFER"];
        using var ds = RasterDataset.CreateGeoTiff(path, width, height, 1, RasterDataType.Int16, options);
        ds.GeoTransform = [minX, step, 0, maxY, 0, -step];
        using (var cgcs = SpatialReference.FromEpsg(4490))
        {
            ds.ProjectionWkt = cgcs.Wkt;
        }

        ds.SetNoData(1, -32768);
        const int strip = 256;
        var buffer = new short[width * strip];
        for (var y0 = 0; y0 < height; y0 += strip)
        {
            var rows = Math.Min(strip, height - y0);
            Parallel.For(0, rows, r =>
            {
                var lat = maxY - ((y0 + r + 0.5) * step);
                var row = buffer.AsSpan(r * width, width);
                for (var x = 0; x < width; x++)
                {
                    row[x] = (short)Math.Round(elevation(minX + ((x + 0.5) * step), lat));
                }
            });
            ds.Write<short>(1, 0, y0, width, rows, buffer.AsSpan(0, width * rows));
            progress?.Invoke(y0 + rows, height);
        }
    }
}
