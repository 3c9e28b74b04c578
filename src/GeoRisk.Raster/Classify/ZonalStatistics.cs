using GeoRisk.Raster.Rasterize;
using NetTopologySuite.Geometries;

namespace GeoRisk.Raster.Classify;

/// <summary>Statistics of a value band, and cell counts per class, inside one zone.</summary>
public sealed record ZoneStatistics(long Cells, double Min, double Max, double Mean, double Sum, IReadOnlyDictionary<float, long> CellsPerClass)
{
    /// <summary>Area of the zone's cells in map units² (cell count × cell area).</summary>
    public double Area(GeoTransform t) => Cells * Math.Abs(t.PixelWidth * t.PixelHeight);
}

/// <summary>Zonal statistics with GDAL's pixel-centre rule deciding which cells a zone polygon covers.</summary>
public static class ZonalStatistics
{
    /// <param name="values">Band summarised (NaN ignored); may be null when only class counts are wanted.</param>
    /// <param name="classes">Class band counted per class (NaN ignored); may be null.</param>
    public static IReadOnlyList<ZoneStatistics> Compute(
        IReadOnlyList<Geometry> zones, GeoTransform transform, int width, int height, RasterBuffer<float>? values, RasterBuffer<float>? classes)
    {
        var result = new List<ZoneStatistics>(zones.Count);
        foreach (var zone in zones)
        {
            long cells = 0;
            double min = double.NaN, max = double.NaN, sum = 0;
            long counted = 0;
            var perClass = new Dictionary<float, long>();
            var env = zone.EnvelopeInternal;
            var (c0, r0) = transform.ToPixel(env.MinX, env.MaxY);
            var (c1, r1) = transform.ToPixel(env.MaxX, env.MinY);
            int x0 = Math.Max(0, (int)Math.Floor(Math.Min(c0, c1))), x1 = Math.Min(width - 1, (int)Math.Ceiling(Math.Max(c0, c1)));
            int y0 = Math.Max(0, (int)Math.Floor(Math.Min(r0, r1))), y1 = Math.Min(height - 1, (int)Math.Ceiling(Math.Max(r0, r1)));
            if (x0 > x1 || y0 > y1)
            {
                result.Add(new ZoneStatistics(0, double.NaN, double.NaN, double.NaN, 0, perClass));
                continue;
            }

            // Burn the zone into a mask covering only its window, on the same cell lattice as the grid.
            var mask = new RasterBuffer<float>(x1 - x0 + 1, y1 - y0 + 1);
            mask.Fill(float.NaN);
            var window =
                transform with { OriginX = transform.OriginX + (x0 * transform.PixelWidth), OriginY = transform.OriginY + (y0 * transform.PixelHeight) };
            new Rasterizer(mask, window).Burn(zone, 1);
            for (var y = y0; y <= y1; y++)
            {
                for (var x = x0; x <= x1; x++)
                {
                    if (float.IsNaN(mask[x - x0, y - y0]))
                    {
                        continue;
                    }

                    cells++;
                    if (values is not null && !float.IsNaN(values[x, y]))
                    {
                        var v = values[x, y];
                        min = counted == 0 ? v : Math.Min(min, v);
                        max = counted == 0 ? v : Math.Max(max, v);
                        sum += v;
                        counted++;
                    }

                    if (classes is not null && !float.IsNaN(classes[x, y]))
                    {
                        perClass[classes[x, y]] = perClass.GetValueOrDefault(classes[x, y]) + 1;
                    }
                }
            }

            result.Add(new ZoneStatistics(cells, min, max, counted == 0 ? double.NaN : sum / counted, sum, perClass));
        }

        return result;
    }
}
