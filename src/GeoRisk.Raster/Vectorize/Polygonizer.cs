using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.Index.Strtree;

namespace GeoRisk.Raster.Vectorize;

/// <summary>A polygon of equal-valued connected cells.</summary>
public sealed record ClassPolygon(float Value, Polygon Polygon);

/// <summary>
/// Turns a class raster into polygons (like gdal_polygonize): boundary edges between cells of different
/// value are chained into rings directly on the cell-corner lattice, so output vertices are exact cell
/// corners and neighbouring polygons share identical boundaries (no gaps, no overlaps). At a corner where
/// two diagonal cells of the same value meet, 4-connectivity keeps them apart and 8-connectivity joins
/// them. Holes go to the smallest shell of the same value that contains them. Hand-written because NTS
/// has no raster input and the engine must not call GDAL.
/// </summary>
public static class Polygonizer
{
    // Directions on the corner lattice in image space (row grows downwards): E, S, W, N (clockwise on screen).
    private static readonly int[] s_dx = [1, 0, -1, 0];
    private static readonly int[] s_dy = [0, 1, 0, -1];

    public static List<ClassPolygon> Polygonize(RasterBuffer<float> classes, GeoTransform transform, bool eightConnected = false, GeometryFactory? factory = null)
    {
        factory ??= new GeometryFactory();
        int w = classes.Width, h = classes.Height;
        var vw = w + 1;
        // Four "used" bits per corner, one per outgoing direction.
        var used = new byte[(long)vw * (h + 1)];
        var rings = new List<(float Value, Coordinate[] Ring, double Area, int RefX, int RefY)>();
        var path = new List<(int X, int Y)>();
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                // Every ring has a top edge somewhere; start at unused top edges (direction E from corner (x, y)).
                var value = classes[x, y];
                if (float.IsNaN(value) || !HasEdge(classes, x, y, 0, value) || (used[((long)y * vw) + x] & 1) != 0)
                {
                    continue;
                }

                path.Clear();
                int cx = x, cy = y, dir = 0;
                while (true)
                {
                    used[((long)cy * vw) + cx] |= (byte)(1 << dir);
                    path.Add((cx, cy));
                    cx += s_dx[dir];
                    cy += s_dy[dir];
                    if (cx == x && cy == y)
                    {
                        break;
                    }

                    dir = NextDirection(classes, cx, cy, dir, value, eightConnected);
                }

                // A ring that passes a corner twice (a diagonal pinch) is split there into simple rings,
                // which keeps every ring valid without a costly geometry repair afterwards.
                foreach (var simple in SplitAtRepeatedCorners(path))
                {
                    var ring = Simplify(simple, transform);
                    rings.Add((value, ring, SignedArea(ring), simple.RefX, simple.RefY));
                }
            }
        }

        // Shells run clockwise on the map (negative signed area with y up); holes anticlockwise.
        var shells = new List<(float Value, LinearRing Ring, Polygon Probe, List<LinearRing> Holes, double Area)>();
        var index = new STRtree<int>();
        foreach (var r in rings.Where(r => r.Area < 0))
        {
            var ring = factory.CreateLinearRing(r.Ring);
            index.Insert(ring.EnvelopeInternal, shells.Count);
            shells.Add((r.Value, ring, factory.CreatePolygon(ring), [], -r.Area));
        }

        index.Build();
        foreach (var hole in rings.Where(r => r.Area > 0))
        {
            // Rings keep their own value on the right, so the cell below a hole's starting top edge belongs
            // to the component that encloses the hole: its centre identifies the owning shell.
            var (px, py) = transform.PixelCentre(hole.RefX, hole.RefY);
            var probe = factory.CreatePoint(new Coordinate(px, py));
            var owner = index.Query(probe.EnvelopeInternal)
                .Where(i => shells[i].Value.Equals(hole.Value) && shells[i].Probe.Contains(probe))
                .OrderBy(i => shells[i].Area)
                .DefaultIfEmpty(-1)
                .First();
            if (owner >= 0)
            {
                shells[owner].Holes.Add(factory.CreateLinearRing(hole.Ring));
            }
        }

        var result = new List<ClassPolygon>(shells.Count);
        foreach (var s in shells)
        {
            var polygon = factory.CreatePolygon(s.Ring, s.Holes.ToArray());
            if (!polygon.IsValid)
            {
                // Rings that touch themselves at a corner (a pinch) are valid point sets but not valid OGC
                // rings; the fixer splits them at the pinch without moving any vertex.
                foreach (var part in Parts(GeometryFixer.Fix(polygon)))
                {
                    result.Add(new ClassPolygon(s.Value, part));
                }

                continue;
            }

            result.Add(new ClassPolygon(s.Value, polygon));
        }

        return result;
    }

    private sealed class CornerPath(List<(int X, int Y)> points, int refX, int refY)
    {
        public List<(int X, int Y)> Points { get; } = points;

        public int RefX { get; } = refX;

        public int RefY { get; } = refY;
    }

    /// <summary>
    /// Splits a closed corner path at every corner it visits twice. Each piece keeps, as its reference
    /// cell, the cell on the right of its first eastward edge (used to find a hole's owner).
    /// </summary>
    private static List<CornerPath> SplitAtRepeatedCorners(List<(int X, int Y)> path)
    {
        var result = new List<CornerPath>();
        var stack = new List<(int X, int Y)>(path.Count);
        var position = new Dictionary<(int, int), int>();
        foreach (var p in path.Append(path[0]))
        {
            if (position.TryGetValue(p, out var at))
            {
                var loop = stack.GetRange(at, stack.Count - at);
                foreach (var q in loop)
                {
                    position.Remove(q);
                }

                stack.RemoveRange(at, stack.Count - at);
                result.Add(WithReference(loop));
            }

            position[p] = stack.Count;
            stack.Add(p);
        }

        return result;
    }

    private static CornerPath WithReference(List<(int X, int Y)> loop)
    {
        for (var i = 0; i < loop.Count; i++)
        {
            var a = loop[i];
            var b = loop[(i + 1) % loop.Count];
            if (b.X == a.X + 1 && b.Y == a.Y)
            {
                return new CornerPath(loop, a.X, a.Y);
            }
        }

        return new CornerPath(loop, loop[0].X, loop[0].Y);
    }

    private static IEnumerable<Polygon> Parts(Geometry g) => g switch
    {
        Polygon p => [p],
        GeometryCollection c => c.Geometries.SelectMany(Parts),
        _ => [],
    };

    /// <summary>Value of the cell to the right of the edge leaving corner (cx, cy) in direction dir, in image space.</summary>
    private static float RightCell(RasterBuffer<float> c, int cx, int cy, int dir) => dir switch
    {
        0 => Cell(c, cx, cy),         // heading E: cell below
        1 => Cell(c, cx - 1, cy),     // heading S: cell to the west
        2 => Cell(c, cx - 1, cy - 1), // heading W: cell above
        _ => Cell(c, cx, cy - 1),     // heading N: cell to the east
    };

    private static float LeftCell(RasterBuffer<float> c, int cx, int cy, int dir) => dir switch
    {
        0 => Cell(c, cx, cy - 1),
        1 => Cell(c, cx, cy),
        2 => Cell(c, cx - 1, cy),
        _ => Cell(c, cx - 1, cy - 1),
    };

    private static float Cell(RasterBuffer<float> c, int x, int y) => (uint)x < (uint)c.Width && (uint)y < (uint)c.Height ? c[x, y] : float.NaN;

    /// <summary>An edge of a <paramref name="value"/> region leaves (cx, cy) in direction dir.</summary>
    private static bool HasEdge(RasterBuffer<float> c, int cx, int cy, int dir, float value) =>
        RightCell(c, cx, cy, dir).Equals(value) && !LeftCell(c, cx, cy, dir).Equals(value);

    private static int NextDirection(RasterBuffer<float> c, int cx, int cy, int incoming, float value, bool eightConnected)
    {
        // 4-connectivity prefers the right turn (stays around the same cell at a diagonal pinch);
        // 8-connectivity prefers the left turn (crosses to the diagonal cell).
        ReadOnlySpan<int> order = eightConnected ? [3, 0, 1] : [1, 0, 3];
        foreach (var turn in order)
        {
            var dir = (incoming + turn) & 3;
            if (HasEdge(c, cx, cy, dir, value))
            {
                return dir;
            }
        }

        throw new InvalidOperationException($"Broken boundary at corner ({cx}, {cy}).");
    }

    /// <summary>Keeps only the corners where the direction changes, in map coordinates, closed.</summary>
    private static Coordinate[] Simplify(CornerPath corners, GeoTransform t)
    {
        var path = corners.Points;
        var result = new List<Coordinate>(path.Count / 2);
        var n = path.Count;
        for (var i = 0; i < n; i++)
        {
            var prev = path[(i - 1 + n) % n];
            var cur = path[i];
            var next = path[(i + 1) % n];
            if ((cur.X - prev.X) * (next.Y - cur.Y) != (cur.Y - prev.Y) * (next.X - cur.X))
            {
                result.Add(new Coordinate(t.OriginX + (cur.X * t.PixelWidth), t.OriginY + (cur.Y * t.PixelHeight)));
            }
        }

        result.Add(result[0].Copy());
        return result.ToArray();
    }

    private static double SignedArea(Coordinate[] ring)
    {
        double sum = 0;
        for (var i = 0; i + 1 < ring.Length; i++)
        {
            sum += (ring[i].X * ring[i + 1].Y) - (ring[i + 1].X * ring[i].Y);
        }

        return sum / 2;
    }
}
