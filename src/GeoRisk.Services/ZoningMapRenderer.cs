using System.Globalization;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Raster;
using NetTopologySuite.Geometries;
using SkiaSharp;

// SkiaSharp 4 marks in-place SKPath editing obsolete in favour of SKPathBuilder; the in-place API is
// still supported and keeps the outline code short.
#pragma warning disable CS0618

namespace GeoRisk.Services;

/// <summary>
/// A printable zoning map of one admin unit: the grade raster in the legend colours, the unit's outline,
/// title, legend with the area per grade, scale bar, north arrow and data sources, drawn with SkiaSharp
/// (GDAL renders rasters, not cartography). Chinese labels need a CJK font on the machine
/// (fonts-wqy-microhei or Noto CJK); without one, the English labels still print.
/// </summary>
public static class ZoningMapRenderer
{
    private const int Header = 96;
    private const int Footer = 64;
    private const int LegendWidth = 340;
    private const int Margin = 24;

    /// <exception cref="KeyNotFoundException">The run has no census row for the unit (outside the run's extent).</exception>
    public static byte[] Render(ZoningRunInfo run, string adminCode, string adminName, string? adminNameEn, Geometry adminLonLat, int mapWidth = 1400)
    {
        var record = ZoningRunRecord.FromJson(run.RecordJson);
        var census = record.Census.Where(c => c.AdminCode == adminCode).OrderBy(c => c.Grade).ToList();
        if (census.Count == 0)
        {
            throw new KeyNotFoundException($"Zoning run {run.Id} does not cover admin unit {adminCode}.");
        }

        using var lonLat = SpatialReference.FromEpsg(4490);
        using var gridSrs = SpatialReference.Parse(record.Grid.Crs);
        using var toGrid = CoordinateTransformation.Create(lonLat, gridSrs);
        var unit = GeometryReprojector.Transform(adminLonLat, toGrid);
        var env = unit.EnvelopeInternal.Copy();
        env.ExpandBy(Math.Max(env.Width, env.Height) * 0.04);
        var scale = env.Width / mapWidth; // metres per pixel
        var mapHeight = (int)Math.Ceiling(env.Height / scale);
        var grid = new GridSpec(mapWidth, mapHeight, new GeoTransform(env.MinX, scale, env.MaxY, -scale), gridSrs.Wkt);
        var grades = RasterWarp.ToGrid(run.Rasters["grade"], grid, "near");
        var rgba = new byte[mapWidth * mapHeight * 4];
        RasterTileService.Colour("grade", grades.Data, record, rgba);

        var width = Margin + mapWidth + Margin + LegendWidth + Margin;
        var height = Header + mapHeight + Footer;
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        var typeface = Typeface();
        using var title = new SKFont(typeface, 26);
        using var text = new SKFont(typeface, 16);
        using var small = new SKFont(typeface, 12);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grey = new SKPaint { Color = new SKColor(90, 90, 90), IsAntialias = true };

        // Title.
        canvas.DrawText($"{adminName}地质灾害风险区划图  Geohazard risk zoning — {adminNameEn ?? adminCode}", Margin, 40, SKTextAlign.Left, title, ink);
        canvas.DrawText(string.Create(CultureInfo.InvariantCulture,
            $"{record.ModelName} · zoning run {run.Id} · {run.CreatedAt:yyyy-MM-dd} · {record.Grid.CellSize} m cells · {record.Grid.Crs}"), Margin, 72, SKTextAlign.Left, text, grey);

        // Map: the grade raster, the world outside the unit washed out, the unit's outline.
        var mapRect = SKRect.Create(Margin, Header, mapWidth, mapHeight);
        using (var bitmap = new SKBitmap(new SKImageInfo(mapWidth, mapHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
        {
            System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
            canvas.DrawBitmap(bitmap, mapRect);
        }

        using var outline = Path(unit, env, scale, mapRect);
        using (var outside = new SKPath { FillType = SKPathFillType.EvenOdd })
        {
            outside.AddRect(mapRect);
            outside.AddPath(outline);
            using var wash = new SKPaint { Color = new SKColor(255, 255, 255, 200), Style = SKPaintStyle.Fill };
            canvas.DrawPath(outside, wash);
        }

        using (var stroke = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true })
        {
            canvas.DrawPath(outline, stroke);
            stroke.StrokeWidth = 1;
            canvas.DrawRect(mapRect, stroke);
        }

        NorthArrow(canvas, mapRect.Right - 40, mapRect.Top + 20, text, ink);
        ScaleBar(canvas, mapRect.Left + 20, mapRect.Bottom - 30, scale, mapWidth, small, ink);

        // Legend: colour, label, area and share per grade in this unit.
        var x = mapRect.Right + Margin;
        var y = Header + 10f;
        canvas.DrawText("风险等级 Risk grade", x, y + 16, SKTextAlign.Left, text, ink);
        y += 36;
        var n = record.Grades.Count;
        foreach (var row in census)
        {
            using var swatch = new SKPaint { Color = SKColor.Parse(Grades.Colour(row.Grade, n)), Style = SKPaintStyle.Fill };
            canvas.DrawRect(x, y, 28, 20, swatch);
            canvas.DrawRect(x, y, 28, 20, new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke });
            canvas.DrawText($"{row.Grade} {Grades.Chinese(row.Grade, n)} {Grades.English(row.Grade, n)}", x + 38, y + 15, SKTextAlign.Left, text, ink);
            canvas.DrawText(string.Create(CultureInfo.InvariantCulture, $"{row.AreaKm2:0.0} km² ({row.Share:P1}), {row.HazardPoints} hazard points"), x + 38, y + 34, SKTextAlign.Left, small, grey);
            y += 48;
        }

        y += 10;
        canvas.DrawText("Class breaks (index):", x, y, SKTextAlign.Left, small, grey);
        canvas.DrawText(string.Join(" | ", record.Breaks.Select(b => b.ToString("0.###", CultureInfo.InvariantCulture))), x, y + 16, SKTextAlign.Left, small, grey);
        canvas.DrawText(string.Create(CultureInfo.InvariantCulture, $"ROC-AUC (held out): {record.Validation.AucHeldOut?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-"}"), x, y + 32, SKTextAlign.Left, small, grey);

        // Sources.
        var layers = record.Inputs.Where(i => i.Roles.Any(r => r != "admin" && r != "hazard-points")).Select(i => $"{i.Layer} v{i.Version}").ToList();
        var data = "Data: " + string.Join(", ", layers);
        while (small.MeasureText(data) > width - (2 * Margin) && layers.Count > 1)
        {
            layers.RemoveAt(layers.Count - 1);
            data = $"Data: {string.Join(", ", layers)} … ({record.Inputs.Count} layer versions in the run record)";
        }

        canvas.DrawText(data, Margin, height - 38, SKTextAlign.Left, small, grey);
        canvas.DrawText("Faults: GEM Global Active Faults (CC BY 4.0), HimaTibetMap v2 (CC BY 4.0); hydrography: Natural Earth; survey layers: synthetic samples. GeoRisk.", Margin, height - 18, small, grey);

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static SKTypeface Typeface()
    {
        // A CJK-capable font when the machine has one, so the Chinese labels print.
        foreach (var family in new[] { "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "DejaVu Sans" })
        {
            var face = SKTypeface.FromFamilyName(family);
            if (face is not null && face.FamilyName == family)
            {
                return face;
            }
        }

        return SKTypeface.Default;
    }

    private static SKPath Path(Geometry geometry, Envelope env, double scale, SKRect rect)
    {
        var path = new SKPath();
        SKPoint P(Coordinate c) => new(rect.Left + (float)((c.X - env.MinX) / scale), rect.Top + (float)((env.MaxY - c.Y) / scale));
        for (var i = 0; i < geometry.NumGeometries; i++)
        {
            if (geometry.GetGeometryN(i) is not Polygon polygon)
            {
                continue;
            }

            foreach (var ring in new[] { polygon.ExteriorRing }.Concat(polygon.InteriorRings))
            {
                var coords = ring.Coordinates;
                path.MoveTo(P(coords[0]));
                for (var k = 1; k < coords.Length; k++)
                {
                    path.LineTo(P(coords[k]));
                }

                path.Close();
            }
        }

        return path;
    }

    private static void NorthArrow(SKCanvas canvas, float x, float y, SKFont font, SKPaint ink)
    {
        using var arrow = new SKPath();
        arrow.MoveTo(x, y);
        arrow.LineTo(x - 10, y + 34);
        arrow.LineTo(x, y + 26);
        arrow.LineTo(x + 10, y + 34);
        arrow.Close();
        canvas.DrawPath(arrow, ink);
        canvas.DrawText("N", x - 6, y + 54, SKTextAlign.Left, font, ink);
    }

    /// <summary>A bar of 1, 2 or 5 × 10^k km near a fifth of the map's width.</summary>
    private static void ScaleBar(SKCanvas canvas, float x, float y, double metresPerPixel, int mapWidth, SKFont font, SKPaint ink)
    {
        var target = mapWidth / 5.0 * metresPerPixel;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(target)));
        var length = new[] { 1, 2, 5, 10 }.Select(m => m * magnitude).Last(l => l <= target);
        var pixels = (float)(length / metresPerPixel);
        using var white = new SKPaint { Color = new SKColor(255, 255, 255, 220) };
        canvas.DrawRect(x - 6, y - 18, pixels + 60, 30, white);
        canvas.DrawRect(x, y, pixels / 2, 6, ink);
        canvas.DrawRect(x + (pixels / 2), y, pixels / 2, 6, new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke });
        var label = length >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{length / 1000:0.#} km") : string.Create(CultureInfo.InvariantCulture, $"{length:0} m");
        canvas.DrawText("0", x - 3, y - 4, SKTextAlign.Left, font, ink);
        canvas.DrawText(label, x + pixels - 10, y - 4, SKTextAlign.Left, font, ink);
    }
}
