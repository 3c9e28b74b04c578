using NetTopologySuite.Geometries;

namespace GeoRisk.Raster.Rasterize;

/// <summary>How a burn combines with what a cell already holds.</summary>
public enum MergeRule
{
    /// <summary>The later burn wins.</summary>
    Replace,

    /// <summary>The larger value wins (NaN cells take any value).</summary>
    Maximum,
}

/// <summary>
/// Burns vector geometries into a float grid with GDAL's rules: a polygon covers the cells whose centres
/// lie inside it (scan-line fill with half-open edge crossings, even-odd for holes); with
/// <c>allTouched</c> also every cell its boundary passes through. Lines burn a Bresenham path between
/// floored endpoints (all cells crossed with <c>allTouched</c>), points their containing cell.
/// Hand-written: NetTopologySuite has no rasterizer and the engine must not depend on GDAL.
/// </summary>
public sealed class Rasterizer(RasterBuffer<float> target, GeoTransform transform, bool allTouched = false, MergeRule rule = MergeRule.Replace)
{
    private readonly List<double> _crossings = [];

    /// <summary>Optional: cells take a burn only when its priority is at least the cell's (1:10000 over 1:50000).</summary>
    public RasterBuffer<float>? Priority { get; init; }

    /// <summary>
    /// The grid row that the target's first row holds, when the target is a strip of a taller grid: pixel
    /// positions still come from the whole grid's transform, so a strip burns exactly the cells the whole
    /// grid would (a transform shifted to the strip would round differently at cell boundaries).
    /// </summary>
    public int FirstRow { get; init; }

    /// <summary>
    /// The grid column that the target's first column holds, when the target is a window of a wider grid (as
    /// <see cref="FirstRow"/>).
    /// </summary>
    public int FirstColumn { get; init; }

    public void Burn(Geometry geometry, float value, float priority = 0)
    {
        switch (geometry)
        {
            case Polygon p:
                BurnPolygon(p, value, priority);
                break;
            case LineString l:
                BurnLine(l.CoordinateSequence, value, priority, allTouched);
                break;
            case Point pt:
                var (c, r) = transform.ToPixel(pt.X, pt.Y);
                Set((int)Math.Floor(c), (int)Math.Floor(r), value, priority);
                break;
            case GeometryCollection collection:
                foreach (var part in collection.Geometries)
                {
                    Burn(part, value, priority);
                }

                break;
        }
    }

    private void BurnPolygon(Polygon polygon, float value, float priority)
    {
        var rings = PixelRings(polygon);
        var (r0, r1) = RowRange(rings);
        for (var row = r0; row <= r1; row++)
        {
            FindCrossings(rings, row + 0.5);
            FillRow(row, value, priority);
        }

        if (allTouched)
        {
            BurnLine(polygon.ExteriorRing.CoordinateSequence, value, priority, touched: true);
            foreach (var hole in polygon.InteriorRings)
            {
                BurnLine(hole.CoordinateSequence, value, priority, touched: true);
            }
        }
    }

    /// <summary>The exterior ring, then the holes, in pixel coordinates of the whole grid.</summary>
    private List<(double X, double Y)[]> PixelRings(Polygon polygon)
    {
        var rings = new List<(double X, double Y)[]>(1 + polygon.NumInteriorRings) { ToPixels(polygon.ExteriorRing.CoordinateSequence) };
        foreach (var hole in polygon.InteriorRings)
        {
            rings.Add(ToPixels(hole.CoordinateSequence));
        }

        return rings;
    }

    /// <summary>The grid rows the rings span, clamped to the rows this target holds.</summary>
    private (int First, int Last) RowRange(List<(double X, double Y)[]> rings)
    {
        var minRow = double.MaxValue;
        var maxRow = double.MinValue;
        foreach (var ring in rings)
        {
            foreach (var p in ring)
            {
                minRow = Math.Min(minRow, p.Y);
                maxRow = Math.Max(maxRow, p.Y);
            }
        }

        return (Math.Max(FirstRow, (int)Math.Floor(minRow)), Math.Min(FirstRow + target.Height - 1, (int)Math.Ceiling(maxRow)));
    }

    /// <summary>The x of every edge crossing the scan line <paramref name="yc"/>, sorted, into <see cref="_crossings"/>.</summary>
    private void FindCrossings(List<(double X, double Y)[]> rings, double yc)
    {
        _crossings.Clear();
        foreach (var ring in rings)
        {
            for (var i = 0; i + 1 < ring.Length; i++)
            {
                var (x1, y1) = ring[i];
                var (x2, y2) = ring[i + 1];
                if (y1 == y2)
                {
                    continue;
                }

                if (y1 > y2)
                {
                    (x1, y1, x2, y2) = (x2, y2, x1, y1);
                }

                // Half-open [y1, y2) so a vertex on the scan line is counted once.
                if (yc >= y1 && yc < y2)
                {
                    _crossings.Add(((yc - y1) * (x2 - x1) / (y2 - y1)) + x1);
                }
            }
        }

        _crossings.Sort();
    }

    /// <summary>Burns the cells between each pair of crossings (even-odd) on one grid row.</summary>
    private void FillRow(int row, float value, float priority)
    {
        for (var i = 0; i + 1 < _crossings.Count; i += 2)
        {
            // Cells whose centre x + 0.5 lies in [start, end): GDAL's floor(x + 0.5) bounds.
            var start = Math.Max(FirstColumn, (int)Math.Floor(_crossings[i] + 0.5));
            var end = Math.Min(FirstColumn + target.Width, (int)Math.Floor(_crossings[i + 1] + 0.5));
            if (start >= end)
            {
                continue;
            }

            if (Priority is null && rule == MergeRule.Replace)
            {
                // The common case fills the run in one vectorised call instead of cell by cell.
                target.GetRow(row - FirstRow)[(start - FirstColumn)..(end - FirstColumn)].Fill(value);
                continue;
            }

            for (var col = start; col < end; col++)
            {
                Set(col, row, value, priority);
            }
        }
    }

    private void BurnLine(CoordinateSequence seq, float value, float priority, bool touched)
    {
        var pts = ToPixels(seq);
        for (var i = 0; i + 1 < pts.Length; i++)
        {
            if (touched)
            {
                Traverse(pts[i], pts[i + 1], value, priority);
            }
            else
            {
                Bresenham(
                    (int)Math.Floor(pts[i].X),
                    (int)Math.Floor(pts[i].Y),
                    (int)Math.Floor(pts[i + 1].X),
                    (int)Math.Floor(pts[i + 1].Y),
                    value,
                    priority);
            }
        }
    }

    private void Bresenham(int x0, int y0, int x1, int y1, float value, float priority)
    {
        int dx = Math.Abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
        int dy = -Math.Abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
        var err = dx + dy;
        while (true)
        {
            Set(x0, y0, value, priority);
            if (x0 == x1 && y0 == y1)
            {
                return;
            }

            var e2 = 2 * err;
            if (e2 >= dy)
            {
                err += dy;
                x0 += sx;
            }

            if (e2 <= dx)
            {
                err += dx;
                y0 += sy;
            }
        }
    }

    /// <summary>Every cell the segment passes through (Amanatides &amp; Woo grid traversal).</summary>
    private void Traverse((double X, double Y) a, (double X, double Y) b, float value, float priority)
    {
        var x = (int)Math.Floor(a.X);
        var y = (int)Math.Floor(a.Y);
        var xEnd = (int)Math.Floor(b.X);
        var yEnd = (int)Math.Floor(b.Y);
        double dx = b.X - a.X, dy = b.Y - a.Y;
        var stepX = Math.Sign(dx);
        var stepY = Math.Sign(dy);
        var tDeltaX = dx == 0 ? double.PositiveInfinity : Math.Abs(1 / dx);
        var tDeltaY = dy == 0 ? double.PositiveInfinity : Math.Abs(1 / dy);
        var tMaxX = dx == 0 ? double.PositiveInfinity : (stepX > 0 ? x + 1 - a.X : a.X - x) * tDeltaX;
        var tMaxY = dy == 0 ? double.PositiveInfinity : (stepY > 0 ? y + 1 - a.Y : a.Y - y) * tDeltaY;
        var guard = Math.Abs(xEnd - x) + Math.Abs(yEnd - y) + 2;
        Set(x, y, value, priority);
        while ((x != xEnd || y != yEnd) && guard-- > 0)
        {
            if (tMaxX < tMaxY)
            {
                x += stepX;
                tMaxX += tDeltaX;
            }
            else
            {
                y += stepY;
                tMaxY += tDeltaY;
            }

            Set(x, y, value, priority);
        }
    }

    private (double X, double Y)[] ToPixels(CoordinateSequence seq)
    {
        var result = new (double X, double Y)[seq.Count];
        for (var i = 0; i < seq.Count; i++)
        {
            var (c, r) = transform.ToPixel(seq.GetX(i), seq.GetY(i));
            result[i] = (c, r);
        }

        return result;
    }

    private void Set(int col, int row, float value, float priority)
    {
        row -= FirstRow;
        col -= FirstColumn;
        if ((uint)col >= (uint)target.Width || (uint)row >= (uint)target.Height)
        {
            return;
        }

        if (Priority is { } p)
        {
            ref var current = ref p[col, row];
            if (!(priority >= current) && !float.IsNaN(current))
            {
                return;
            }

            current = priority;
        }

        ref var cell = ref target[col, row];
        cell = rule == MergeRule.Maximum && !float.IsNaN(cell) ? Math.Max(cell, value) : value;
    }

    /// <summary>
    /// Burns features in order into a sink strip by strip (later features win under
    /// <see cref="MergeRule.Replace"/>, as in one pass over the whole grid): each strip gets only the
    /// features whose extent reaches it, and is written while the next is burnt. Memory is two strips,
    /// whatever the grid size. Cells no feature burns are NaN (the sink's nodata).
    /// </summary>
    public static void Burn(
        IReadOnlyList<(Geometry Geometry, float Value)> features,
        IRasterSink sink,
        bool allTouched = false,
        MergeRule rule = MergeRule.Replace,
        RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        var grid = sink.Grid;
        int width = grid.Width, height = grid.Height;
        if (width == 0 || height == 0)
        {
            return;
        }

        var stripRows = options.StripRowsFor(width, height);
        var strips = (height + stripRows - 1) / stripRows;
        var perStrip = Enumerable.Range(0, strips).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < features.Count; i++)
        {
            var envelope = features[i].Geometry.EnvelopeInternal;
            if (envelope.IsNull)
            {
                continue;
            }

            var (_, rowA) = grid.Transform.ToPixel(envelope.MinX, envelope.MinY);
            var (_, rowB) = grid.Transform.ToPixel(envelope.MaxX, envelope.MaxY);
            // One row of margin either side: cells an all-touched boundary grazes, and rounding.
            var first = Math.Max(0, (int)Math.Floor(Math.Min(rowA, rowB)) - 1) / stripRows;
            var last = Math.Min(height - 1, (int)Math.Ceiling(Math.Max(rowA, rowB)) + 1) / stripRows;
            for (var k = first; k <= last; k++)
            {
                perStrip[k].Add(i);
            }
        }

        RasterBuffer<float>[] buffers = [new(width, stripRows), new(width, stripRows)];
        using var writer = new BackgroundStripWriter(sink);
        for (var k = 0; k < strips; k++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            var y0 = k * stripRows;
            var rows = Math.Min(stripRows, height - y0);
            var buffer = rows == buffers[k % 2].Height ? buffers[k % 2] : new RasterBuffer<float>(width, rows);
            buffer.Fill(float.NaN);
            var rasterizer = new Rasterizer(buffer, grid.Transform, allTouched, rule) { FirstRow = y0 };
            foreach (var i in perStrip[k])
            {
                rasterizer.Burn(features[i].Geometry, features[i].Value);
            }

            writer.Write(y0, rows, buffer.Data);
            options.Progress?.Report((double)(y0 + rows) / height);
        }

        writer.Complete();
    }
}
