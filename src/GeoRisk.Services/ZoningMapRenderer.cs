using System.Globalization;
using GeoRisk.Core.Risk;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Raster;
using NetTopologySuite.Geometries;
using SkiaSharp;

// SkiaSharp 4 marks in-place SKPath editing obsolete in favour of SKPathBuilder; the in-place API is
// still supported and keeps the outline code short.
#pragma warning disable CS0618

namespace GeoRisk.Services;

/// <summary>Paper sizes of the printable PDF map (ISO 216, in PostScript points).</summary>
public enum PaperSize
{
    A4,
    A3,
}

/// <summary>
/// A printable zoning map of one admin unit, drawn with SkiaSharp (GDAL renders rasters, not cartography): the
/// product's grades, prevention zoning (hatched), lakes as water, rivers, active faults and fold axes (drawn
/// apart), hazard points, county boundaries with the neighbouring counties named, county seats, a coordinate frame
/// with graticule ticks and labels, north arrow, scale bar, title, legend with the area per grade, which layers
/// are synthetic samples, and sources with their attributions. Text and line widths scale with the map's size.
/// As PNG (the grades as the raster's cells) or as a PDF page, A4/A3 portrait/landscape (vector: zones, lines,
/// text; the grades fall back to an image only when the product has no zones). Chinese text needs a CJK font on
/// the machine (fonts-wqy-microhei, installed by build.sh, or Noto CJK).
/// </summary>
public static class ZoningMapRenderer
{
    private static readonly SKColor s_water = SKColor.Parse("#a6cee3");
    private static readonly SKColor s_waterInk = SKColor.Parse("#1f5fa8");
    private static readonly SKColor s_fault = SKColor.Parse("#5c0000"); // dark: it must show on the red of the highest grade
    private static readonly SKColor s_fold = SKColor.Parse("#7a7a7a");
    private static readonly SKColor s_point = SKColor.Parse("#6a3d9a");
    private static readonly SKColor s_grey = new(90, 90, 90);
    private static readonly SKColor s_synthetic = SKColor.Parse("#a00000");

    /// <summary>The map as a PNG whose map frame is <paramref name="mapWidth"/> pixels wide (legend beside it).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mapWidth"/> is outside 400–4000.</exception>
    public static byte[] RenderPng(ZoningMapData data, int mapWidth = 1400)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mapWidth, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mapWidth, 4000);
        using var scene = Scene.Prepare(data);
        var u = Math.Max(mapWidth / 1400f, 0.6f);
        var env = scene.Frame(1, 1, fill: false);
        var mapHeight = (float)Math.Ceiling(mapWidth * env.Height / env.Width);
        using var fonts = new Fonts(u);
        var m = Metrics.Of(u);
        var legend = Legend(scene, fonts, u);
        var width = m.Margin + m.Gutter + mapWidth + m.Gutter + m.Margin + m.LegendWidth + m.Margin;
        var footer = Footer(scene, fonts, width - (2 * m.Margin));
        var legendHeight = legend.Sum(i => i.Height);
        var height = m.Header + Math.Max((2 * m.Gutter) + mapHeight, legendHeight + m.Gutter) + FooterHeight(footer, fonts);
        var map = SKRect.Create(m.Margin + m.Gutter, m.Header + m.Gutter, mapWidth, mapHeight);
        using var surface = SKSurface.Create(new SKImageInfo((int)Math.Ceiling(width), (int)Math.Ceiling(height), SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        Draw(canvas, scene, fonts, u, m, map, scene.Frame(mapWidth, mapHeight, fill: false), vectorGrades: false, width);
        DrawLegendColumns(canvas, legend, SKRect.Create(map.Right + m.Gutter + m.Margin, m.Header, m.LegendWidth, height), m.LegendWidth);
        DrawFooter(canvas, footer, fonts, m.Margin, height);
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>The map as a one-page PDF: vector zones, lines and text (fonts embedded), the page filled by the map and legend.</summary>
    public static byte[] RenderPdf(ZoningMapData data, PaperSize paper = PaperSize.A3, bool landscape = true)
    {
        using var scene = Scene.Prepare(data);
        var (shortSide, longSide) = paper == PaperSize.A3 ? (841.89f, 1190.55f) : (595.28f, 841.89f);
        var (width, height) = landscape ? (longSide, shortSide) : (shortSide, longSide);
        var u = longSide / 1600f;
        using var fonts = new Fonts(u);
        var m = Metrics.Of(u);
        var legend = Legend(scene, fonts, u);
        var footer = Footer(scene, fonts, width - (2 * m.Margin));
        var footerHeight = FooterHeight(footer, fonts);
        SKRect map, legendRect;
        if (landscape)
        {
            map = new SKRect(
                m.Margin + m.Gutter, m.Header + m.Gutter, width - m.Margin - m.LegendWidth - m.Margin - m.Gutter, height - footerHeight - m.Gutter);
            legendRect = new SKRect(map.Right + m.Gutter + m.Margin, m.Header, width - m.Margin, height - footerHeight);
        }
        else
        {
            var panelWidth = width - (2 * m.Margin);
            var columns = Math.Max(1, (int)(panelWidth / m.LegendWidth));
            var legendHeight = ColumnsHeight(legend, columns) + m.Gutter;
            map = new SKRect(m.Margin + m.Gutter, m.Header + m.Gutter, width - m.Margin - m.Gutter, height - footerHeight - legendHeight - m.Gutter);
            legendRect = new SKRect(m.Margin, map.Bottom + m.Gutter + (m.Gutter / 2), width - m.Margin, height - footerHeight);
        }

        using var stream = new MemoryStream();
        var metadata = new SKDocumentPdfMetadata
        {
            Title = Title(data).Zh + " " + Title(data).En,
            Author = "GeoRisk",
            Subject = string.Create(CultureInfo.InvariantCulture, $"zoning run {data.Run.Id}, {data.Product.Token}, admin {data.AdminCode}"),
            Creator = "GeoRisk",
            Producer = "GeoRisk (SkiaSharp PDF)",
            Creation = data.Run.CreatedAt.UtcDateTime,
            Modified = data.Run.CreatedAt.UtcDateTime,
            RasterDpi = 150,
        };
        using (var document = SKDocument.CreatePdf(stream, metadata))
        {
            var canvas = document.BeginPage(width, height);
            Draw(canvas, scene, fonts, u, m, map, scene.Frame(map.Width, map.Height, fill: true), vectorGrades: scene.Zones.Count > 0, width);
            DrawLegendColumns(canvas, legend, legendRect, m.LegendWidth);
            DrawFooter(canvas, footer, fonts, m.Margin, height);
            document.EndPage();
            document.Close();
        }

        return stream.ToArray();
    }

    private static (string Zh, string En) Title(ZoningMapData data) =>
        ($"{data.AdminName}地质灾害{data.Product.Name.Zh}图", $"Geohazard {data.Product.Name.En} — {data.AdminNameEn ?? data.AdminCode}");

    /// <summary>Sizes in output units (pixels or points) for a size factor u.</summary>
    private readonly record struct Metrics(float Margin, float Header, float Gutter, float LegendWidth)
    {
        public static Metrics Of(float u) => new(24 * u, 96 * u, 30 * u, 360 * u);
    }

    private sealed class Fonts : IDisposable
    {
        public Fonts(float u)
        {
            var face = CjkTypeface();
            Title = new SKFont(face, 26 * u);
            Text = new SKFont(face, 16 * u);
            Small = new SKFont(face, 12 * u);
            Label = new SKFont(face, 14 * u);
        }

        public SKFont Title { get; }

        public SKFont Text { get; }

        public SKFont Small { get; }

        public SKFont Label { get; }

        public void Dispose()
        {
            Title.Dispose();
            Text.Dispose();
            Small.Dispose();
            Label.Dispose();
        }
    }

    /// <summary>Maps grid coordinates (metres) into the map frame on the page; <see cref="Scale"/> is metres per output unit.</summary>
    private readonly record struct MapView(SKRect Map, Envelope Env)
    {
        public double Scale => Env.Width / Map.Width;

        public SKPoint Point(Coordinate c) =>
            new(Map.Left + (float)((c.X - Env.MinX) / Scale), Map.Top + (float)((Env.MaxY - c.Y) / Scale));
    }

    /// <summary>
    /// The page's map: title, then inside the frame the grades, prevention hatching, wash outside the unit, water,
    /// lines, boundary, points and labels, then the graticule, frame, north arrow and scale bar.
    /// </summary>
    private static void Draw(
        SKCanvas canvas, Scene scene, Fonts fonts, float u, Metrics m, SKRect map, Envelope env, bool vectorGrades, float pageWidth)
    {
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        DrawTitle(canvas, scene.Data, fonts, u, m, pageWidth, ink);
        var view = new MapView(map, env);

        canvas.Save();
        canvas.ClipRect(map);
        if (vectorGrades)
        {
            DrawGradeZones(canvas, scene, view, u);
        }
        else
        {
            DrawGradeRaster(canvas, scene, map, env);
        }

        DrawPrevention(canvas, scene, view, u);
        using var unitPath = Path(scene.Unit, view.Point);
        DrawOutsideAndWater(canvas, scene, view, unitPath, u);
        DrawBoundariesAndStructures(canvas, scene, view, u);
        using (var outline = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 2.4f * u, IsAntialias = true })
        {
            canvas.DrawPath(unitPath, outline);
        }

        DrawHazardPoints(canvas, scene, view, u);
        DrawLabels(canvas, scene, fonts, view, u, ink);
        canvas.Restore();

        Graticule(canvas, scene, map, env, fonts.Small, u);
        using (var frame = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 1.2f * u, IsAntialias = true })
        {
            canvas.DrawRect(map, frame);
        }

        NorthArrow(canvas, map.Right - (34 * u), map.Top + (16 * u), u, fonts.Text, ink);
        ScaleBar(canvas, map.Left + (16 * u), map.Bottom - (22 * u), view.Scale, map.Width, u, fonts.Small, ink);
    }

    private static void DrawTitle(SKCanvas canvas, ZoningMapData data, Fonts fonts, float u, Metrics m, float pageWidth, SKPaint ink)
    {
        using var grey = new SKPaint { Color = s_grey, IsAntialias = true };
        var (zh, en) = Title(data);
        canvas.DrawText($"{zh}  {en}", m.Margin, 40 * u, SKTextAlign.Left, Fit(fonts.Title, $"{zh}  {en}", pageWidth - (2 * m.Margin)), ink);
        var subtitle = string.Create(
            CultureInfo.InvariantCulture,
            $"{data.Record.ModelName} · zoning run {data.Run.Id} · {data.Run.CreatedAt:yyyy-MM-dd} · {data.Record.Grid.CellSize} m cells · "
            + $"map grid {data.Record.Grid.Crs}, graticule CGCS2000 (EPSG:4490)");
        canvas.DrawText(subtitle, m.Margin, 72 * u, SKTextAlign.Left, Fit(fonts.Text, subtitle, pageWidth - (2 * m.Margin)), grey);
    }

    /// <summary>The grades as vector zones (PDF).</summary>
    private static void DrawGradeZones(SKCanvas canvas, Scene scene, MapView view, float u)
    {
        var n = scene.Data.Product.GradeCount;
        foreach (var (zone, grade, _, _) in scene.Zones)
        {
            using var fill = new SKPaint { Color = SKColor.Parse(Grades.Colour(grade, n)), Style = SKPaintStyle.Fill, IsAntialias = true };
            using var path = Path(zone, view.Point);
            canvas.DrawPath(path, fill);
            // A hairline of the fill colour closes the anti-aliasing seams between neighbouring zones.
            fill.Style = SKPaintStyle.Stroke;
            fill.StrokeWidth = 0.3f * u;
            canvas.DrawPath(path, fill);
        }
    }

    /// <summary>Prevention zoning hatched over the grades (key dense, secondary sparse; general areas plain).</summary>
    private static void DrawPrevention(SKCanvas canvas, Scene scene, MapView view, float u)
    {
        foreach (var (zone, _, prevention, _) in scene.Zones)
        {
            if (Hatch(prevention, u) is { } hatch)
            {
                using (hatch)
                using (var path = Path(zone, view.Point))
                {
                    canvas.Save();
                    canvas.ClipPath(path, antialias: true);
                    canvas.DrawPath(path, hatch);
                    canvas.Restore();
                }
            }
        }
    }

    /// <summary>Outside the unit the map is washed out; lakes are water, not land of some grade; rivers over them.</summary>
    private static void DrawOutsideAndWater(SKCanvas canvas, Scene scene, MapView view, SKPath unitPath, float u)
    {
        using (var outside = new SKPath { FillType = SKPathFillType.EvenOdd })
        {
            outside.AddRect(view.Map);
            outside.AddPath(unitPath);
            using var wash = new SKPaint { Color = new SKColor(255, 255, 255, 190), Style = SKPaintStyle.Fill };
            canvas.DrawPath(outside, wash);
        }

        using (var water = new SKPaint { Color = s_water, Style = SKPaintStyle.Fill, IsAntialias = true })
        using (var shore = new SKPaint { Color = s_waterInk, Style = SKPaintStyle.Stroke, StrokeWidth = 0.8f * u, IsAntialias = true })
        {
            foreach (var lake in scene.Lakes)
            {
                using var path = Path(lake.Geometry, view.Point);
                canvas.DrawPath(path, water);
                canvas.DrawPath(path, shore);
            }
        }

        using var river = new SKPaint
        {
            Color = s_waterInk,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 1.6f * u,
            IsAntialias = true,
            StrokeCap = SKStrokeCap.Round,
            StrokeJoin = SKStrokeJoin.Round,
        };
        foreach (var r in scene.Rivers)
        {
            using var path = Path(r.Geometry, view.Point);
            canvas.DrawPath(path, river);
        }
    }

    /// <summary>Neighbouring county boundaries (dashed), fold axes (grey, dashed) and active faults (dark, on a white casing).</summary>
    private static void DrawBoundariesAndStructures(SKCanvas canvas, Scene scene, MapView view, float u)
    {
        using (var neighbour = new SKPaint
        {
            Color = new SKColor(60, 60, 60),
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 1.2f * u,
            IsAntialias = true,
            PathEffect = SKPathEffect.CreateDash([8 * u, 4 * u], 0),
        })
        {
            foreach (var a in scene.Neighbours)
            {
                using var path = Path(a.Geometry, view.Point);
                canvas.DrawPath(path, neighbour);
            }
        }

        using var fold = new SKPaint
        {
            Color = s_fold,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 1.3f * u,
            IsAntialias = true,
            PathEffect = SKPathEffect.CreateDash([5 * u, 3 * u], 0),
        };
        using var fault = new SKPaint
        {
            Color = s_fault,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 2.2f * u,
            IsAntialias = true,
            StrokeCap = SKStrokeCap.Round,
        };
        foreach (var f in scene.Folds)
        {
            using var path = Path(f.Geometry, view.Point);
            canvas.DrawPath(path, fold);
        }

        using var casing = new SKPaint
        {
            Color = new SKColor(255, 255, 255, 200),
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 4f * u,
            IsAntialias = true,
            StrokeCap = SKStrokeCap.Round,
        };
        foreach (var f in scene.Faults)
        {
            using var path = Path(f.Geometry, view.Point);
            canvas.DrawPath(path, casing);
            canvas.DrawPath(path, fault);
        }
    }

    private static void DrawHazardPoints(SKCanvas canvas, Scene scene, MapView view, float u)
    {
        using var dot = new SKPaint { Color = s_point, Style = SKPaintStyle.Fill, IsAntialias = true };
        using var ring = new SKPaint { Color = SKColors.White, Style = SKPaintStyle.Stroke, StrokeWidth = 0.8f * u, IsAntialias = true };
        foreach (var p in scene.HazardPoints)
        {
            var c = view.Point(p.Geometry.Coordinate);
            canvas.DrawCircle(c, 3.2f * u, dot);
            canvas.DrawCircle(c, 3.2f * u, ring);
        }
    }

    /// <summary>Labels, most important first (county seats, neighbours, lakes, rivers, faults); one that would overlap a placed label is left out.</summary>
    private static void DrawLabels(SKCanvas canvas, Scene scene, Fonts fonts, MapView view, float u, SKPaint ink)
    {
        var map = view.Map;
        var labels = new List<SKRect>();
        foreach (var seat in scene.Places)
        {
            var c = view.Point(seat.Geometry.Coordinate);
            if (!map.Contains(c))
            {
                continue;
            }

            using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
            canvas.DrawCircle(c, 5 * u, ink);
            canvas.DrawCircle(c, 2.4f * u, white);
            Label(canvas, seat.Label!, c.X + (7 * u), c.Y - (5 * u), fonts.Label, SKColors.Black, u, labels, map);
        }

        void Anchored(IEnumerable<MapFeature> features, Func<MapFeature, string> text, float dy, SKFont font, SKColor colour)
        {
            foreach (var f in features.Where(f => f.Label is not null))
            {
                if (Anchor(f.Geometry, view.Env) is { } at)
                {
                    var c = view.Point(at);
                    Label(canvas, text(f), c.X, c.Y - dy, font, colour, u, labels, map, centred: true);
                }
            }
        }

        Anchored(scene.Neighbours, a => a.Kind is { } aEn ? $"{a.Label} {aEn}" : a.Label!, 0, fonts.Text, new SKColor(70, 70, 70));
        Anchored(scene.Lakes, l => l.Label!, 0, fonts.Label, s_waterInk);
        Anchored(scene.Rivers, r => r.Label!, 4 * u, fonts.Small, s_waterInk);
        Anchored(scene.Faults, f => f.Label!, 4 * u, fonts.Small, s_fault);
    }

    private static void DrawGradeRaster(SKCanvas canvas, Scene scene, SKRect map, Envelope env)
    {
        // One cell per output pixel in the PNG; about 150 dpi where a PDF falls back to the raster.
        var width = Math.Max(1, (int)Math.Round(map.Width));
        var height = Math.Max(1, (int)Math.Round(map.Height));
        var grid = new GridSpec(width, height, new GeoTransform(env.MinX, env.Width / width, env.MaxY, -env.Height / height), scene.GridWkt);
        var grades = RasterWarp.ToGrid(scene.Data.Product.GradeRaster, grid, "near");
        var n = scene.Data.Product.GradeCount;
        var colours = Enumerable.Range(1, n).Select(g => SKColor.Parse(Grades.Colour(g, n))).ToArray();
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var rgba = new byte[width * height * 4];
        for (var i = 0; i < grades.Data.Length; i++)
        {
            var v = grades.Data[i];
            if (float.IsNaN(v) || v < 1 || v > n)
            {
                continue;
            }

            var c = colours[(int)v - 1];
            (rgba[i * 4], rgba[(i * 4) + 1], rgba[(i * 4) + 2], rgba[(i * 4) + 3]) = (c.Red, c.Green, c.Blue, 255);
        }

        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        canvas.DrawBitmap(bitmap, map);
    }

    /// <summary>The hatch of a prevention class (key: dense, secondary: sparse), or null for general areas.</summary>
    private static SKPaint? Hatch(string? prevention, float u)
    {
        if (prevention is not ("key" or "secondary") || Grades.PreventionOf(prevention) is not { } p)
        {
            return null;
        }

        var spacing = (prevention == "key" ? 6f : 10f) * u;
        var matrix = SKMatrix.CreateScale(spacing, spacing).PostConcat(SKMatrix.CreateRotationDegrees(prevention == "key" ? 45 : -45));
        return new SKPaint
        {
            Color = SKColor.Parse(p.Colour),
            Style = SKPaintStyle.Fill,
            IsAntialias = true,
            PathEffect = SKPathEffect.Create2DLine(1.1f * u, matrix),
        };
    }

    private static SKFont Fit(SKFont font, string text, float width)
    {
        var measured = font.MeasureText(text);
        if (measured <= width)
        {
            return font;
        }

        return new SKFont(font.Typeface, font.Size * width / measured);
    }

    private static void Label(
        SKCanvas canvas, string text, float x, float y, SKFont font, SKColor colour, float u, List<SKRect> placed, SKRect bounds, bool centred = false)
    {
        var w = font.MeasureText(text);
        var left = centred ? x - (w / 2) : x;
        var rect = new SKRect(left - (2 * u), y - (font.Size * 0.9f), left + w + (2 * u), y + (font.Size * 0.25f));
        if (!bounds.Contains(rect) || placed.Any(r => r.IntersectsWith(rect)))
        {
            return;
        }

        placed.Add(rect);
        using var halo = new SKPaint { Color = new SKColor(
            255, 255, 255, 230), Style = SKPaintStyle.Stroke, StrokeWidth = 3 * u, StrokeJoin = SKStrokeJoin.Round, IsAntialias = true };
        using var fill = new SKPaint { Color = colour, IsAntialias = true };
        // The halo is the text's outline as a path, so a PDF holds each label once as text (searchable, one font).
        using (var outline = font.GetTextPath(text, new SKPoint(left, y)))
        {
            canvas.DrawPath(outline, halo);
        }

        canvas.DrawText(text, left, y, SKTextAlign.Left, font, fill);
    }

    /// <summary>Where a feature's label goes: a point inside the part of it within the map (the middle of its longest piece for lines).</summary>
    private static Coordinate? Anchor(Geometry geometry, Envelope env)
    {
        var box = geometry.Factory.ToGeometry(env);
        Geometry inside;
        try
        {
            inside = geometry.Intersection(box);
        }
        catch (TopologyException)
        {
            inside = geometry.Buffer(0).Intersection(box);
        }

        if (inside.IsEmpty)
        {
            return null;
        }

        if (inside.Dimension == Dimension.Curve)
        {
            var longest = Enumerable.Range(0, inside.NumGeometries).Select(inside.GetGeometryN).OfType<LineString>().MaxBy(l => l.Length);
            return longest is null ? null : new NetTopologySuite.LinearReferencing.LengthIndexedLine(longest).ExtractPoint(longest.Length / 2);
        }

        if (inside.Dimension == Dimension.Surface)
        {
            var largest = Enumerable.Range(0, inside.NumGeometries).Select(inside.GetGeometryN).MaxBy(g => g.Area)!;
            return largest.InteriorPoint.Coordinate;
        }

        return inside.Coordinate;
    }

    private static SKPath Path(Geometry geometry, Func<Coordinate, SKPoint> p)
    {
        var path = new SKPath { FillType = SKPathFillType.EvenOdd };
        void Ring(Coordinate[] coords, bool close)
        {
            if (coords.Length == 0)
            {
                return;
            }

            path.MoveTo(p(coords[0]));
            for (var k = 1; k < coords.Length; k++)
            {
                path.LineTo(p(coords[k]));
            }

            if (close)
            {
                path.Close();
            }
        }

        for (var i = 0; i < geometry.NumGeometries; i++)
        {
            switch (geometry.GetGeometryN(i))
            {
                case Polygon polygon:
                    Ring(polygon.ExteriorRing.Coordinates, close: true);
                    foreach (var hole in polygon.InteriorRings)
                    {
                        Ring(hole.Coordinates, close: true);
                    }

                    break;
                case LineString line:
                    Ring(line.Coordinates, close: false);
                    break;
            }
        }

        return path;
    }

    /// <summary>
    /// Graticule lines (faint, across the map) and ticks with degree-minute labels where meridians cross the top and
    /// bottom edges and parallels the left and right edges; the map grid is projected, so they are found by transforming
    /// points along each edge to CGCS2000 longitude/latitude.
    /// </summary>
    private static void Graticule(SKCanvas canvas, Scene scene, SKRect map, Envelope env, SKFont font, float u)
    {
        var edges = FrameEdges.Sample(scene, env);
        var lonSpan = Math.Max(edges.Top.Lon.Max(), edges.Bottom.Lon.Max()) - Math.Min(edges.Top.Lon.Min(), edges.Bottom.Lon.Min());
        var latSpan = Math.Max(edges.Left.Lat.Max(), edges.Right.Lat.Max()) - Math.Min(edges.Left.Lat.Min(), edges.Right.Lat.Min());
        var minutes = new[] { 1, 2, 5, 10, 15, 20, 30, 60, 120, 300 };
        var targetLines = Math.Clamp(map.Width / (160 * u), 3, 10);
        var lonStep = minutes.FirstOrDefault(s => lonSpan * 60 / s <= targetLines, 600) / 60.0;
        var latStep = minutes.FirstOrDefault(s => latSpan * 60 / s <= Math.Clamp(map.Height / (160 * u), 2, 10), 600) / 60.0;
        GraticuleTicks(canvas, edges, map, lonStep, latStep, font, u);
        GraticuleLines(canvas, scene, edges, new MapView(map, env), lonStep, latStep, u);
    }

    /// <summary>The four edges of the map frame, each sampled at 401 points and transformed to CGCS2000 longitude/latitude.</summary>
    private sealed record FrameEdges(
        (double[] Lon, double[] Lat) Top,
        (double[] Lon, double[] Lat) Bottom,
        (double[] Lon, double[] Lat) Left,
        (double[] Lon, double[] Lat) Right)
    {
        public static FrameEdges Sample(Scene scene, Envelope env)
        {
            const int Samples = 400;
            (double[] Lon, double[] Lat) Edge(Func<double, (double X, double Y)> along)
            {
                var xs = new double[Samples + 1];
                var ys = new double[Samples + 1];
                for (var i = 0; i <= Samples; i++)
                {
                    (xs[i], ys[i]) = along(i / (double)Samples);
                }

                scene.ToLonLat.Transform(xs, ys);
                return (xs, ys);
            }

            return new FrameEdges(
                Edge(t => (env.MinX + (t * env.Width), env.MaxY)),
                Edge(t => (env.MinX + (t * env.Width), env.MinY)),
                Edge(t => (env.MinX, env.MaxY - (t * env.Height))),
                Edge(t => (env.MaxX, env.MaxY - (t * env.Height))));
        }
    }

    /// <summary>Crossings of value k·step along an edge, as a fraction 0..1 of the edge.</summary>
    private static IEnumerable<(double Value, double T)> Crossings(double[] values, double step)
    {
        for (var i = 0; i < values.Length - 1; i++)
        {
            var a = values[i];
            var b = values[i + 1];
            var k0 = Math.Ceiling(Math.Min(a, b) / step);
            for (var k = k0; k * step <= Math.Max(a, b); k++)
            {
                var v = k * step;
                if (a == b || (v == Math.Max(a, b) && i < values.Length - 2))
                {
                    continue;
                }

                yield return (v, (i + ((v - a) / (b - a))) / (values.Length - 1));
            }
        }
    }

    /// <summary>Ticks with degree-minute labels where meridians cross the top and bottom edges and parallels the left and right ones.</summary>
    private static void GraticuleTicks(SKCanvas canvas, FrameEdges edges, SKRect map, double lonStep, double latStep, SKFont font, float u)
    {
        using var tick = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 1f * u, IsAntialias = true };
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        var tickLength = 6 * u;
        foreach (var (v, t) in Crossings(edges.Top.Lon, lonStep))
        {
            var x = map.Left + ((float)t * map.Width);
            canvas.DrawLine(x, map.Top, x, map.Top - tickLength, tick);
            canvas.DrawText(Dms(v, 'E', 'W'), x, map.Top - tickLength - (2 * u), SKTextAlign.Center, font, ink);
        }

        foreach (var (v, t) in Crossings(edges.Bottom.Lon, lonStep))
        {
            var x = map.Left + ((float)t * map.Width);
            canvas.DrawLine(x, map.Bottom, x, map.Bottom + tickLength, tick);
            canvas.DrawText(Dms(v, 'E', 'W'), x, map.Bottom + tickLength + font.Size, SKTextAlign.Center, font, ink);
        }

        foreach (var (v, t) in Crossings(edges.Left.Lat, latStep))
        {
            var y = map.Top + ((float)t * map.Height);
            canvas.DrawLine(map.Left, y, map.Left - tickLength, y, tick);
            canvas.Save();
            canvas.RotateDegrees(-90, map.Left - tickLength - (3 * u), y);
            canvas.DrawText(Dms(v, 'N', 'S'), map.Left - tickLength - (3 * u), y, SKTextAlign.Center, font, ink);
            canvas.Restore();
        }

        foreach (var (v, t) in Crossings(edges.Right.Lat, latStep))
        {
            var y = map.Top + ((float)t * map.Height);
            canvas.DrawLine(map.Right, y, map.Right + tickLength, y, tick);
            canvas.Save();
            canvas.RotateDegrees(90, map.Right + tickLength + (3 * u), y);
            canvas.DrawText(Dms(v, 'N', 'S'), map.Right + tickLength + (3 * u), y, SKTextAlign.Center, font, ink);
            canvas.Restore();
        }
    }

    /// <summary>Faint graticule lines across the map: meridians and parallels sampled in lon/lat and projected.</summary>
    private static void GraticuleLines(SKCanvas canvas, Scene scene, FrameEdges edges, MapView view, double lonStep, double latStep, float u)
    {
        var (top, bottom, left, right) = (edges.Top, edges.Bottom, edges.Left, edges.Right);
        var lonMin = Math.Floor(Math.Min(Math.Min(top.Lon.Min(), bottom.Lon.Min()), left.Lon.Min()) / lonStep) * lonStep;
        var lonMax = Math.Ceiling(Math.Max(Math.Max(top.Lon.Max(), bottom.Lon.Max()), right.Lon.Max()) / lonStep) * lonStep;
        var latMin = Math.Floor(Math.Min(Math.Min(left.Lat.Min(), right.Lat.Min()), bottom.Lat.Min()) / latStep) * latStep;
        var latMax = Math.Ceiling(Math.Max(Math.Max(left.Lat.Max(), right.Lat.Max()), top.Lat.Max()) / latStep) * latStep;
        using var line = new SKPaint
        {
            Color = new SKColor(0, 0, 0, 70),
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 0.6f * u,
            IsAntialias = true,
            PathEffect = SKPathEffect.CreateDash([2 * u, 4 * u], 0),
        };
        canvas.Save();
        canvas.ClipRect(view.Map);
        void Curve(Func<double, (double Lon, double Lat)> along)
        {
            const int Steps = 64;
            var xs = new double[Steps + 1];
            var ys = new double[Steps + 1];
            for (var i = 0; i <= Steps; i++)
            {
                (xs[i], ys[i]) = along(i / (double)Steps);
            }

            scene.ToGrid.Transform(xs, ys);
            using var path = new SKPath();
            path.MoveTo(view.Point(new Coordinate(xs[0], ys[0])));
            for (var i = 1; i <= Steps; i++)
            {
                path.LineTo(view.Point(new Coordinate(xs[i], ys[i])));
            }

            canvas.DrawPath(path, line);
        }

        for (var lon = lonMin; lon <= lonMax + 1e-9; lon += lonStep)
        {
            var l = lon;
            Curve(t => (l, latMin + (t * (latMax - latMin))));
        }

        for (var lat = latMin; lat <= latMax + 1e-9; lat += latStep)
        {
            var l = lat;
            Curve(t => (lonMin + (t * (lonMax - lonMin)), l));
        }

        canvas.Restore();
    }

    private static string Dms(double value, char positive, char negative)
    {
        var total = (int)Math.Round(Math.Abs(value) * 60);
        var hemisphere = value >= 0 ? positive : negative;
        return total % 60 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{total / 60}°{hemisphere}")
            : string.Create(CultureInfo.InvariantCulture, $"{total / 60}°{total % 60:00}′{hemisphere}");
    }

    /// <summary>The CJK-capable typeface maps and glyphs are drawn with (the first installed of WenQuanYi Micro Hei, Noto Sans CJK SC …).</summary>
    internal static SKTypeface CjkTypeface()
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

    /// <summary>One legend entry: its height and how to draw it at (x, y) within a column of the given width.</summary>
    private sealed record LegendItem(float Height, Action<SKCanvas, float, float, float> Draw, bool KeepWithNext = false);

    /// <summary>The height an item needs at the bottom of a column: a heading needs room for the row after it too.</summary>
    private static float Needed(List<LegendItem> items, int i) => items[i].Height + (items[i].KeepWithNext && i + 1 < items.Count ? items[i + 1].Height : 0);

    /// <summary>The legend: grades with their area, prevention zoning, map symbols, then class breaks and AUC.</summary>
    private static List<LegendItem> Legend(Scene scene, Fonts fonts, float u)
    {
        var legend = new LegendBuilder(fonts, u);
        GradeEntries(legend, scene);
        PreventionEntries(legend, scene);
        SymbolEntries(legend, scene);
        legend.Notes(Notes(scene.Data.Product));
        return legend.Items;
    }

    private static void GradeEntries(LegendBuilder legend, Scene scene)
    {
        var data = scene.Data;
        var product = data.Product;
        var n = product.GradeCount;
        var census = product.Census.Where(c => c.AdminCode == data.AdminCode).ToDictionary(c => c.Grade);
        legend.Heading($"{product.Name.Zh}等级 {product.Name.En} grade");
        for (var g = n; g >= 1; g--)
        {
            var grade = g;
            var (termEn, termZh) = product.Term(grade);
            var row = census.GetValueOrDefault(grade);
            var detail = row is null
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"{row.AreaKm2:0.0} km² ({row.Share:P1}), {row.HazardPoints} hazard points 隐患点");
            legend.Row(
                (c, r) =>
                {
                    using var fill = new SKPaint { Color = SKColor.Parse(Grades.Colour(grade, n)), Style = SKPaintStyle.Fill };
                    legend.Box(c, r, fill);
                },
                $"{termZh} {termEn}",
                detail);
        }
    }

    private static void PreventionEntries(LegendBuilder legend, Scene scene)
    {
        var u = legend.U;
        legend.Heading("防治分区 Prevention zoning");
        var unitZones = scene.Zones.Where(z => z.InUnit).GroupBy(z => z.Prevention ?? "").ToDictionary(g => g.Key, g => g.Count());
        foreach (var (id, en, zh, colour) in Grades.Prevention)
        {
            var pid = id;
            legend.Row(
                (c, r) =>
                {
                    using var white = new SKPaint { Color = SKColors.White, Style = SKPaintStyle.Fill };
                    legend.Box(c, r, white);
                    if (Hatch(pid, u) is { } hatch)
                    {
                        using (hatch)
                        {
                            c.Save();
                            c.ClipRect(r);
                            c.DrawRect(r, hatch);
                            c.Restore();
                        }
                    }
                },
                $"{zh} {en}",
                string.Create(
                    CultureInfo.InvariantCulture, $"{unitZones.GetValueOrDefault(pid)} zones in the county{(pid == "general" ? "; not hatched" : "")}"));
        }
    }

    private static void SymbolEntries(LegendBuilder legend, Scene scene)
    {
        var u = legend.U;
        legend.Heading("图例 Map symbols");
        legend.Row(
            (c, r) =>
            {
                using var p = new SKPaint { Color = s_fault, Style = SKPaintStyle.Stroke, StrokeWidth = 2.2f * u, IsAntialias = true };
                LegendBuilder.Line(c, r, p);
            },
            "活动断层 active fault",
            string.Create(CultureInfo.InvariantCulture, $"{scene.Faults.Count} traces on the map"));
        legend.Row(
            (c, r) =>
            {
                using var p = new SKPaint
                {
                    Color = s_fold,
                    Style = SKPaintStyle.Stroke,
                    StrokeWidth = 1.3f * u,
                    IsAntialias = true,
                    PathEffect = SKPathEffect.CreateDash([5 * u, 3 * u], 0),
                };
                LegendBuilder.Line(c, r, p);
            },
            "褶皱轴 fold axis (not a fault)",
            string.Create(CultureInfo.InvariantCulture, $"{scene.Folds.Count} on the map"));
        legend.Row(
            (c, r) =>
            {
                using var dot = new SKPaint { Color = s_point, IsAntialias = true };
                c.DrawCircle(r.MidX, r.MidY, 4 * u, dot);
            },
            "地质灾害隐患点 hazard point",
            string.Create(CultureInfo.InvariantCulture, $"{scene.HazardPoints.Count} on the map"));
        WaterAndBoundaryEntries(legend, scene);
    }

    private static void WaterAndBoundaryEntries(LegendBuilder legend, Scene scene)
    {
        var u = legend.U;
        legend.Row(
            (c, r) =>
            {
                using var p = new SKPaint { Color = s_waterInk, Style = SKPaintStyle.Stroke, StrokeWidth = 1.6f * u, IsAntialias = true };
                LegendBuilder.Line(c, r, p);
            },
            "河流 river",
            null);
        legend.Row(
            (c, r) =>
            {
                using var p = new SKPaint { Color = s_water, Style = SKPaintStyle.Fill };
                legend.Box(c, r, p);
            },
            "湖泊 lake (water, not graded)",
            null);
        legend.Row(
            (c, r) =>
            {
                using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
                using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
                c.DrawCircle(r.MidX, r.MidY, 5 * u, ink);
                c.DrawCircle(r.MidX, r.MidY, 2.4f * u, white);
            },
            "县市驻地 county seat",
            null);
        legend.Row(
            (c, r) =>
            {
                using var p = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 2.4f * u };
                LegendBuilder.Line(c, r, p);
            },
            $"{scene.Data.AdminName}界 county boundary",
            null);
        legend.Row(
            (c, r) =>
            {
                using var p = new SKPaint
                {
                    Color = new SKColor(60, 60, 60),
                    Style = SKPaintStyle.Stroke,
                    StrokeWidth = 1.2f * u,
                    PathEffect = SKPathEffect.CreateDash([8 * u, 4 * u], 0),
                };
                LegendBuilder.Line(c, r, p);
            },
            "相邻县市界 neighbouring county",
            null);
    }

    private static List<string> Notes(ZoningMapProduct product)
    {
        var notes = new List<string>();
        if (product.Breaks.Count > 0)
        {
            notes.Add("Class breaks (index): " + string.Join(" | ", product.Breaks.Select(b => b.ToString("0.###", CultureInfo.InvariantCulture))));
        }

        notes.Add(
            string.Create(CultureInfo.InvariantCulture, $"ROC-AUC (held out): {product.AucHeldOut?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-"}"));
        return notes;
    }

    /// <summary>Collects legend items: headings, rows of a swatch with a text and an optional detail line, and notes.</summary>
    private sealed class LegendBuilder(Fonts fonts, float u)
    {
        private readonly float _swatchW = 28 * u;
        private readonly float _swatchH = 18 * u;
        private readonly float _textX = 38 * u;

        public float U => u;

        public List<LegendItem> Items { get; } = [];

        public static void Line(SKCanvas c, SKRect r, SKPaint stroke) => c.DrawLine(r.Left, r.MidY, r.Right, r.MidY, stroke);

        public void Heading(string text) => Items.Add(new LegendItem(
            30 * u,
            (c, x, y, w) =>
            {
                using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
                c.DrawText(text, x, y + (20 * u), SKTextAlign.Left, Fit(fonts.Text, text, w), ink);
            },
            KeepWithNext: true));

        public void Row(Action<SKCanvas, SKRect> swatch, string text, string? detail) => Items.Add(new LegendItem(
            (detail is null ? 26 : 44) * u,
            (c, x, y, w) =>
            {
                swatch(c, SKRect.Create(x, y, _swatchW, _swatchH));
                using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
                using var grey = new SKPaint { Color = s_grey, IsAntialias = true };
                c.DrawText(text, x + _textX, y + (14 * u), SKTextAlign.Left, Fit(fonts.Text, text, w - _textX), ink);
                if (detail is not null)
                {
                    c.DrawText(detail, x + _textX, y + (32 * u), SKTextAlign.Left, Fit(fonts.Small, detail, w - _textX), grey);
                }
            }));

        public void Box(SKCanvas c, SKRect r, SKPaint fill)
        {
            c.DrawRect(r, fill);
            using var edge = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 0.8f * u, IsAntialias = true };
            c.DrawRect(r, edge);
        }

        public void Notes(List<string> notes) => Items.Add(new LegendItem(
            (notes.Count * 17 * u) + (10 * u),
            (c, x, y, w) =>
            {
                using var grey = new SKPaint { Color = s_grey, IsAntialias = true };
                for (var i = 0; i < notes.Count; i++)
                {
                    c.DrawText(notes[i], x, y + (18 * u) + (i * 17 * u), SKTextAlign.Left, Fit(fonts.Small, notes[i], w), grey);
                }
            }));
    }

    private static float ColumnsHeight(List<LegendItem> items, int columns)
    {
        var total = items.Sum(i => i.Height);
        var height = total / columns;
        while (true)
        {
            var used = 1;
            var y = 0f;
            for (var i = 0; i < items.Count; i++)
            {
                if (y + Needed(items, i) > height && y > 0)
                {
                    used++;
                    y = 0;
                }

                y += items[i].Height;
            }

            if (used <= columns)
            {
                return height;
            }

            height += items.Min(i => i.Height);
        }
    }

    private static void DrawLegendColumns(SKCanvas canvas, List<LegendItem> items, SKRect panel, float columnWidth)
    {
        var x = panel.Left;
        var y = panel.Top + (columnWidth / 36);
        for (var i = 0; i < items.Count; i++)
        {
            if (y + Needed(items, i) > panel.Bottom && y > panel.Top + (columnWidth / 36))
            {
                x += columnWidth;
                y = panel.Top;
            }

            items[i].Draw(canvas, x, y, Math.Min(columnWidth, panel.Right - x) - (columnWidth / 20));
            y += items[i].Height;
        }
    }

    private static List<(string Text, SKColor Colour)> Footer(Scene scene, Fonts fonts, float width)
    {
        var data = scene.Data;
        var lines = new List<(string, SKColor)>();
        var layers = data.Record.Inputs.Where(i => i.Roles.Any(r => r != "admin" && r != "hazard-points")).Select(i => $"{i.Layer} v{i.Version}").ToList();
        var text = "Data: " + string.Join(", ", layers);
        while (fonts.Small.MeasureText(text) > width && layers.Count > 1)
        {
            layers.RemoveAt(layers.Count - 1);
            text = $"Data: {string.Join(", ", layers)} … ({data.Record.Inputs.Count} layer versions in the run record)";
        }

        lines.Add((text, s_grey));
        if (data.SyntheticLayers.Count > 0)
        {
            var notice =
                $"Synthetic sample data, not for decisions 示例数据（非真实，不可用于决策）: {string.Join("; ", data.SyntheticLayers)}.";
            foreach (var l in Wrap(notice, fonts.Small, width))
            {
                lines.Add((l, s_synthetic));
            }
        }

        foreach (var l in Wrap("Faults: GEM Global Active Faults Database, GEM Foundation (CC BY 4.0); HimaTibetMap v2 slip rates, R. Styron (CC BY 4.0). " +
                               "Hydrography: Made with Natural Earth (public domain). County seats: published locations. Map: GeoRisk.", fonts.Small, width))
        {
            lines.Add((l, s_grey));
        }

        return lines;
    }

    private static float FooterHeight(List<(string Text, SKColor Colour)> lines, Fonts fonts) =>
        (lines.Count * fonts.Small.Size * 1.5f) + (fonts.Small.Size * 1.5f);

    private static void DrawFooter(SKCanvas canvas, List<(string Text, SKColor Colour)> lines, Fonts fonts, float x, float pageHeight)
    {
        var step = fonts.Small.Size * 1.5f;
        var y = pageHeight - (step * lines.Count) - (step * 0.5f);
        foreach (var (text, colour) in lines)
        {
            using var paint = new SKPaint { Color = colour, IsAntialias = true };
            canvas.DrawText(text, x, y + step * 0.7f, SKTextAlign.Left, fonts.Small, paint);
            y += step;
        }
    }

    private static IEnumerable<string> Wrap(string text, SKFont font, float width)
    {
        var line = "";
        foreach (var word in text.Split(' '))
        {
            var candidate = line.Length == 0 ? word : line + " " + word;
            if (font.MeasureText(candidate) > width && line.Length > 0)
            {
                yield return line;
                line = word;
            }
            else
            {
                line = candidate;
            }
        }

        if (line.Length > 0)
        {
            yield return line;
        }
    }

    private static void NorthArrow(SKCanvas canvas, float x, float y, float u, SKFont font, SKPaint ink)
    {
        using var white = new SKPaint { Color = new SKColor(255, 255, 255, 220) };
        canvas.DrawRoundRect(SKRect.Create(x - (16 * u), y - (6 * u), 32 * u, 66 * u), 4 * u, 4 * u, white);
        using var arrow = new SKPath();
        arrow.MoveTo(x, y);
        arrow.LineTo(x - (10 * u), y + (34 * u));
        arrow.LineTo(x, y + (26 * u));
        arrow.LineTo(x + (10 * u), y + (34 * u));
        arrow.Close();
        canvas.DrawPath(arrow, ink);
        canvas.DrawText("N", x, y + (54 * u), SKTextAlign.Center, font, ink);
    }

    /// <summary>A bar of 1, 2 or 5 × 10^k km near a fifth of the map's width.</summary>
    private static void ScaleBar(SKCanvas canvas, float x, float y, double metresPerUnit, float mapWidth, float u, SKFont font, SKPaint ink)
    {
        var target = mapWidth / 5.0 * metresPerUnit;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(target)));
        var length = new[] { 1, 2, 5, 10 }.Select(m => m * magnitude).Last(l => l <= target);
        var units = (float)(length / metresPerUnit);
        using var white = new SKPaint { Color = new SKColor(255, 255, 255, 220) };
        canvas.DrawRect(x - (8 * u), y - (20 * u), units + (64 * u), 34 * u, white);
        canvas.DrawRect(x, y, units / 2, 6 * u, ink);
        using var edge = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 1 * u };
        canvas.DrawRect(x, y, units, 6 * u, edge);
        var label = length >= 1000 ? string.Create(
            CultureInfo.InvariantCulture, $"{length / 1000:0.#} km") : string.Create(CultureInfo.InvariantCulture, $"{length:0} m");
        canvas.DrawText("0", x, y - (4 * u), SKTextAlign.Center, font, ink);
        canvas.DrawText(label, x + units, y - (4 * u), SKTextAlign.Center, font, ink);
    }

    /// <summary>The map's data in the run's grid CRS (metres), with the transformations the graticule needs.</summary>
    private sealed class Scene : IDisposable
    {
        private readonly SpatialReference _lonLat;
        private readonly SpatialReference _grid;

        private Scene(ZoningMapData data)
        {
            Data = data;
            _lonLat = SpatialReference.FromEpsg(4490);
            _grid = SpatialReference.Parse(data.Record.Grid.Crs);
            ToGrid = CoordinateTransformation.Create(_lonLat, _grid);
            ToLonLat = CoordinateTransformation.Create(_grid, _lonLat);
            GridWkt = _grid.Wkt;
            MapFeature T(MapFeature f) => f with { Geometry = GeometryReprojector.Transform(f.Geometry, ToGrid) };
            Unit = GeometryReprojector.Transform(data.Unit, ToGrid);
            Neighbours = data.Neighbours.Select(T).ToList();
            Faults = data.Faults.Select(T).ToList();
            Folds = data.Folds.Select(T).ToList();
            Rivers = data.Rivers.Select(T).ToList();
            Lakes = data.Lakes.Select(T).ToList();
            HazardPoints = data.HazardPoints.Select(T).ToList();
            Places = data.Places.Select(T).ToList();
            var prepared = NetTopologySuite.Geometries.Prepared.PreparedGeometryFactory.Prepare(Unit);
            Zones = data.Zones.Select(z =>
            {
                var g = GeometryReprojector.Transform(z.Geometry, ToGrid);
                var grade = Convert.ToInt32(z.Attributes.GetValueOrDefault("grade") ?? 0, CultureInfo.InvariantCulture);
                return (g, grade, z.Attributes.GetValueOrDefault("prevention")?.ToString(), prepared.Intersects(g.InteriorPoint));
            }).ToList();
        }

        public ZoningMapData Data { get; }

        public CoordinateTransformation ToGrid { get; }

        public CoordinateTransformation ToLonLat { get; }

        public string GridWkt { get; }

        public Geometry Unit { get; }

        public List<MapFeature> Neighbours { get; }

        public List<(Geometry Geometry, int Grade, string? Prevention, bool InUnit)> Zones { get; }

        public List<MapFeature> Faults { get; }

        public List<MapFeature> Folds { get; }

        public List<MapFeature> Rivers { get; }

        public List<MapFeature> Lakes { get; }

        public List<MapFeature> HazardPoints { get; }

        public List<MapFeature> Places { get; }

        public static Scene Prepare(ZoningMapData data) => new(data);

        /// <summary>
        /// The map's extent in grid units: the unit with a 4 % margin; with <paramref name="fill"/>, widened to the
        /// frame's aspect ratio (a PDF page's map area), else of the unit's own aspect.
        /// </summary>
        public Envelope Frame(double width, double height, bool fill)
        {
            var env = Unit.EnvelopeInternal.Copy();
            env.ExpandBy(Math.Max(env.Width, env.Height) * 0.04);
            if (!fill)
            {
                return env;
            }

            var aspect = width / height;
            var c = env.Centre;
            var (w, h) = env.Width / env.Height > aspect ? (env.Width, env.Width / aspect) : (env.Height * aspect, env.Height);
            return new Envelope(c.X - (w / 2), c.X + (w / 2), c.Y - (h / 2), c.Y + (h / 2));
        }

        public void Dispose()
        {
            ToGrid.Dispose();
            ToLonLat.Dispose();
            _grid.Dispose();
            _lonLat.Dispose();
        }
    }
}
