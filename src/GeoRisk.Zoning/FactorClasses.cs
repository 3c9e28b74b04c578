using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Distance;
using GeoRisk.Raster.Rasterize;
using GeoRisk.Raster.Terrain;
using NetTopologySuite.Geometries;

namespace GeoRisk.Zoning;

/// <summary>A rectangle of cells of the analysis grid.</summary>
public readonly record struct CellWindow(int X, int Y, int Width, int Height)
{
    public long Cells => (long)Width * Height;

    public bool IsEmpty => Width <= 0 || Height <= 0;

    public CellWindow Expand(int cells, int gridWidth, int gridHeight)
    {
        var x0 = Math.Max(0, X - cells);
        var y0 = Math.Max(0, Y - cells);
        var x1 = Math.Min(gridWidth, X + Width + cells);
        var y1 = Math.Min(gridHeight, Y + Height + cells);
        return new CellWindow(x0, y0, x1 - x0, y1 - y0);
    }

    /// <summary>The cells in both windows (empty when they do not overlap).</summary>
    public CellWindow Intersect(CellWindow other)
    {
        var x0 = Math.Max(X, other.X);
        var y0 = Math.Max(Y, other.Y);
        var x1 = Math.Min(X + Width, other.X + other.Width);
        var y1 = Math.Min(Y + Height, other.Y + other.Height);
        return new CellWindow(x0, y0, Math.Max(0, x1 - x0), Math.Max(0, y1 - y0));
    }

    /// <summary>The cells an envelope (grid CRS) touches, clipped to the grid.</summary>
    public static CellWindow Of(Envelope env, GridSpec grid)
    {
        var t = grid.Transform;
        var (c0, r0) = t.ToPixel(env.MinX, env.MaxY);
        var (c1, r1) = t.ToPixel(env.MaxX, env.MinY);
        var x0 = Math.Clamp((int)Math.Floor(Math.Min(c0, c1)), 0, grid.Width);
        var x1 = Math.Clamp((int)Math.Ceiling(Math.Max(c0, c1)), 0, grid.Width);
        var y0 = Math.Clamp((int)Math.Floor(Math.Min(r0, r1)), 0, grid.Height);
        var y1 = Math.Clamp((int)Math.Ceiling(Math.Max(r0, r1)), 0, grid.Height);
        return new CellWindow(x0, y0, x1 - x0, y1 - y0);
    }

    public GeoTransform TransformIn(GridSpec grid) => grid.Transform with
    {
        OriginX = grid.Transform.OriginX + (X * grid.Transform.PixelWidth),
        OriginY = grid.Transform.OriginY + (Y * grid.Transform.PixelHeight),
    };

    public Envelope EnvelopeIn(GridSpec grid)
    {
        var t = TransformIn(grid);
        return new Envelope(t.OriginX, t.OriginX + (Width * t.PixelWidth), t.OriginY, t.OriginY + (Height * t.PixelHeight));
    }
}

/// <summary>
/// Computes a factor's class raster (byte: 0 = no source here, 1..k = class) over a window of the grid.
/// Each cell's class depends only on the sources within the factor's reach, so a window computed alone
/// equals the same cells of a whole-grid computation; the incremental recompute and the streamed run rely on that. Windows burn
/// with the whole grid's transform and their first row and column (<see cref="Rasterizer.FirstColumn"/>), so pixel positions are
/// rounded exactly as on the whole grid.
/// </summary>
public static class FactorClasses
{
    public const byte NoSource = 0;

    public static RasterBuffer<byte> Compute(FactorDefinition factor, FactorInput input, GridSpec grid, CellWindow window, RasterOptions options)
    {
        var t = factor.Transform;
        return (t.Type, input) switch
        {
            (TransformType.Distance, VectorFactorInput v) => Distance(factor, v, grid, window, options),
            (TransformType.Slope, RasterFactorInput r) => Slope(factor, outer => Crop(r.Values, outer), grid, window, options),
            (TransformType.Slope, WindowedRasterFactorInput r) => Slope(factor, outer => Read(r.Source, outer), grid, window, options),
            (TransformType.Breaks, RasterFactorInput r) => FromValues(t, Crop(r.Values, window)),
            (TransformType.Breaks, WindowedRasterFactorInput r) => FromValues(t, Read(r.Source, window)),
            (TransformType.Lookup or TransformType.Breaks, VectorFactorInput v) => Burned(factor, v, grid, window),
            _ => throw new InvalidOperationException($"Factor '{factor.Id}': a {t.Type} transform cannot use a {input.GetType().Name}."),
        };
    }

    /// <summary>Polygon attributes → classes; where features overlap, the higher survey rank wins, then the higher score.</summary>
    private static RasterBuffer<byte> Burned(FactorDefinition factor, VectorFactorInput input, GridSpec grid, CellWindow window)
    {
        var t = factor.Transform;
        var classes = new RasterBuffer<float>(window.Width, window.Height);
        var priority = new RasterBuffer<float>(window.Width, window.Height);
        var rasterizer = new Rasterizer(classes, grid.Transform) { Priority = priority, FirstRow = window.Y, FirstColumn = window.X };
        var envelope = window.EnvelopeIn(grid);
        // Within one survey the more severe class wins where features overlap (nested flood extents).
        var scoreRank = Enumerable.Range(1, t.ClassCount).OrderBy(c => t.ScoreOf(c)).ThenBy(c => c)
            .Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i + 1);
        foreach (var f in input.Features)
        {
            if (!f.Geometry.EnvelopeInternal.Intersects(envelope))
            {
                continue;
            }

            var cls = t.Type == TransformType.Lookup ? t.ClassOfKey(f.Key) : t.ClassOfValue(f.Value);
            if (cls == 0)
            {
                continue;
            }

            rasterizer.Burn(f.Geometry, cls, (f.SurveyRank * 1024f) + scoreRank[cls]);
        }

        var result = new RasterBuffer<byte>(window.Width, window.Height);
        var src = classes.Data;
        var dst = result.Data;
        for (var i = 0; i < src.Length; i++)
        {
            dst[i] = (byte)src[i];
        }

        return result;
    }

    private static RasterBuffer<byte> Distance(FactorDefinition factor, VectorFactorInput input, GridSpec grid, CellWindow window, RasterOptions options)
    {
        var reach = factor.Reach;
        var pixel = Math.Min(Math.Abs(grid.Transform.PixelWidth), Math.Abs(grid.Transform.PixelHeight));
        var margin = (int)Math.Ceiling(reach / pixel) + 1;
        var outer = window.Expand(margin, grid.Width, grid.Height);
        var sources = new RasterBuffer<float>(outer.Width, outer.Height);
        // All-touched, so a fault trace is never missed between cell centres.
        var rasterizer = new Rasterizer(sources, grid.Transform, allTouched: true) { FirstRow = outer.Y, FirstColumn = outer.X };
        var envelope = outer.EnvelopeIn(grid);
        foreach (var f in input.Features)
        {
            if (f.Geometry.EnvelopeInternal.Intersects(envelope))
            {
                rasterizer.Burn(f.Geometry, 1);
            }
        }

        var isSource = new RasterBuffer<byte>(outer.Width, outer.Height);
        for (var i = 0; i < isSource.Data.Length; i++)
        {
            isSource.Data[i] = sources.Data[i] != 0 ? (byte)1 : (byte)0;
        }

        // Beyond the last break every cell is in the last class, so the transform can stop there.
        var distance = DistanceTransform.Distance(isSource, grid.Transform.PixelWidth, grid.Transform.PixelHeight, reach, options);
        var inner = new CellWindow(window.X - outer.X, window.Y - outer.Y, window.Width, window.Height);
        var cropped = Crop(distance, inner);
        var result = new RasterBuffer<byte>(window.Width, window.Height);
        var last = (byte)factor.Transform.ClassCount;
        for (var i = 0; i < cropped.Data.Length; i++)
        {
            var d = cropped.Data[i];
            result.Data[i] = float.IsNaN(d) ? last : (byte)factor.Transform.ClassOfValue(d);
        }

        return result;
    }

    private static RasterBuffer<byte> Slope(
        FactorDefinition factor, Func<CellWindow, RasterBuffer<float>> read, GridSpec grid, CellWindow window, RasterOptions options)
    {
        // Horn's 3×3 window needs one cell of context around the window.
        var outer = window.Expand(1, grid.Width, grid.Height);
        var dem = read(outer);
        var slope = SlopeAspect.Slope(dem, grid.Transform.PixelWidth, grid.Transform.PixelHeight, SlopeUnit.Degrees, options);
        var inner = new CellWindow(window.X - outer.X, window.Y - outer.Y, window.Width, window.Height);
        return FromValues(factor.Transform, Crop(slope, inner));
    }

    private static RasterBuffer<byte> FromValues(FactorTransform t, RasterBuffer<float> values)
    {
        var result = new RasterBuffer<byte>(values.Width, values.Height);
        for (var i = 0; i < values.Data.Length; i++)
        {
            result.Data[i] = (byte)t.ClassOfValue(values.Data[i]);
        }

        return result;
    }

    private static RasterBuffer<float> Read(Raster.Blocks.IRasterWindowSource source, CellWindow window)
    {
        var values = new RasterBuffer<float>(window.Width, window.Height);
        source.ReadWindow(window.X, window.Y, window.Width, window.Height, values.Data);
        return values;
    }

    internal static RasterBuffer<T> Crop<T>(RasterBuffer<T> source, CellWindow window) where T : unmanaged
    {
        if (window.X == 0 && window.Y == 0 && window.Width == source.Width && window.Height == source.Height)
        {
            return source;
        }

        var result = new RasterBuffer<T>(window.Width, window.Height);
        for (var y = 0; y < window.Height; y++)
        {
            source.Data.AsSpan(((window.Y + y) * source.Width) + window.X, window.Width).CopyTo(result.GetRow(y));
        }

        return result;
    }

    /// <summary>Copies a window's classes into a larger raster (the whole grid, or a block holding the window) at <paramref name="at"/>.</summary>
    internal static void Paste(RasterBuffer<byte> target, RasterBuffer<byte> window, CellWindow at)
    {
        for (var y = 0; y < at.Height; y++)
        {
            window.GetRow(y).CopyTo(target.Data.AsSpan(((at.Y + y) * target.Width) + at.X, at.Width));
        }
    }
}
