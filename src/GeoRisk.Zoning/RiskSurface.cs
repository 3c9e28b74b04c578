using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Rasterize;
using NetTopologySuite.Geometries;

namespace GeoRisk.Zoning;

/// <summary>
/// The exposure and vulnerability surfaces of the risk product (docs/DOMAIN.md §11, docs/MODEL.md "risk"): per cell the people
/// (census units spread evenly over the cells whose centres they hold, as the exposure census does), the floor area of the
/// buildings whose representative point falls in the cell weighted by their geohazard vulnerability, and from both the
/// vulnerability-weighted exposure E·V = people × V̄ × peopleWeight + Σ floor area × V × floorAreaWeight, where V̄ is the
/// floor-area-weighted vulnerability of the cell's buildings (people are mostly indoors) or
/// <see cref="VulnerabilityModel.PeopleWithoutBuildings"/> where the cell has none.
/// </summary>
public static class RiskSurface
{
    /// <summary>E·V per cell (0 where nothing is exposed; NaN outside the extent mask).</summary>
    public static RasterBuffer<float> ExposedValue(
        GridSpec grid, RasterBuffer<byte> mask, ExposureInputs exposure, VulnerabilityModel vulnerability, RiskWeights weights)
    {
        var n = grid.Width * grid.Height;
        var people = new double[n];
        var floor = new double[n];
        var vulnerableFloor = new double[n];
        foreach (var unit in exposure.Population)
        {
            PopulationSpread.ForEachCell(grid, unit.Area, (col, row, share) =>
            {
                if (col >= 0 && row >= 0 && col < grid.Width && row < grid.Height)
                {
                    people[(row * grid.Width) + col] += unit.Population * share;
                }
            });
        }

        foreach (var b in exposure.Buildings)
        {
            var p = b.Geometry as Point ?? b.Geometry.InteriorPoint;
            var cell = CellOf(grid, p.X, p.Y);
            if (cell < 0)
            {
                continue;
            }

            floor[cell] += b.FloorAreaM2;
            vulnerableFloor[cell] += b.FloorAreaM2 * vulnerability.GeohazardOf(StructureType.Classify(b.Structure));
        }

        var result = new RasterBuffer<float>(grid.Width, grid.Height);
        for (var i = 0; i < n; i++)
        {
            if (mask.Data[i] == 0)
            {
                result.Data[i] = float.NaN;
                continue;
            }

            var meanV = floor[i] > 0 ? vulnerableFloor[i] / floor[i] : vulnerability.PeopleWithoutBuildings;
            result.Data[i] = (float)((people[i] * meanV * weights.PeopleWeight) + (vulnerableFloor[i] * weights.FloorAreaWeight));
        }

        return result;
    }

    /// <summary>
    /// Risk per cell: the hazard index scaled to 0–1 over the extent (so the product does not depend on the scale of the
    /// scores) times E·V; NaN outside the extent.
    /// </summary>
    public static RasterBuffer<float> Risk(RasterBuffer<float> hazard, RasterBuffer<float> exposedValue)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in hazard.Data)
        {
            if (!float.IsNaN(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        var range = max > min ? max - min : 1f;
        var risk = new RasterBuffer<float>(hazard.Width, hazard.Height);
        for (var i = 0; i < risk.Data.Length; i++)
        {
            var h = hazard.Data[i];
            risk.Data[i] = float.IsNaN(h) || float.IsNaN(exposedValue.Data[i]) ? float.NaN : (h - min) / range * exposedValue.Data[i];
        }

        return risk;
    }

    private static long CellOf(GridSpec grid, double x, double y) => ZoningEngine.CellOf(grid, x, y);
}

/// <summary>
/// How a census unit's people are placed on the grid (docs/DOMAIN.md §11): evenly over the cells whose centres the unit
/// holds, or all in the cell under its interior point when it holds no centre. Cells beyond the grid are reported too
/// (with their out-of-grid column/row), so callers can count them as outside rather than lose them.
/// </summary>
public static class PopulationSpread
{
    public static void ForEachCell(GridSpec grid, Geometry area, Action<int, int, double> add)
    {
        var t = grid.Transform;
        var env = area.EnvelopeInternal;
        var (c0, r0) = t.ToPixel(t.PixelWidth > 0 ? env.MinX : env.MaxX, t.PixelHeight < 0 ? env.MaxY : env.MinY);
        var (c1, r1) = t.ToPixel(t.PixelWidth > 0 ? env.MaxX : env.MinX, t.PixelHeight < 0 ? env.MinY : env.MaxY);
        int x0 = (int)Math.Floor(c0), y0 = (int)Math.Floor(r0), x1 = (int)Math.Ceiling(c1), y1 = (int)Math.Ceiling(r1);
        int w = Math.Max(1, x1 - x0), h = Math.Max(1, y1 - y0);
        var mask = new RasterBuffer<float>(w, h);
        new Rasterizer(mask, t with { OriginX = t.OriginX + (x0 * t.PixelWidth), OriginY = t.OriginY + (y0 * t.PixelHeight) }).Burn(area, 1);
        var n = mask.Data.Count(v => v != 0);
        if (n == 0)
        {
            var p = area.InteriorPoint;
            var (c, r) = t.ToPixel(p.X, p.Y);
            add((int)Math.Floor(c), (int)Math.Floor(r), 1);
            return;
        }

        for (var row = 0; row < h; row++)
        {
            for (var col = 0; col < w; col++)
            {
                if (mask.Data[(row * w) + col] != 0)
                {
                    add(x0 + col, y0 + row, 1.0 / n);
                }
            }
        }
    }
}
