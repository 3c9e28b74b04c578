using NetTopologySuite.Geometries;

namespace GeoRisk.Raster.Vectorize;

/// <summary>A polygon of equal-valued connected cells.</summary>
public sealed record ClassPolygon(float Value, Polygon Polygon);

/// <summary>
/// Turns a class raster into polygons (like gdal_polygonize): boundary edges between cells of different
/// value are chained into rings directly on the cell-corner lattice, so output vertices are exact cell
/// corners and neighbouring polygons share identical boundaries (no gaps, no overlaps). At a corner where
/// two diagonal cells of the same value meet, 4-connectivity keeps them apart and 8-connectivity joins
/// them (an 8-connected region pinched at a corner comes out as one polygon per lobe, since an OGC ring
/// may not touch itself). Holes go to the shell of their connected component. Hand-written because NTS
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
                    dir = NextDirection(classes, cx, cy, dir, value, eightConnected);
                    // Back at the start corner is not enough when it is a pinch corner the ring passes twice:
                    // the ring is closed only when it would leave along the starting edge again.
                    if (cx == x && cy == y && dir == 0)
                    {
                        break;
                    }
                }

                // A ring that passes a corner twice (a diagonal pinch) is split there into simple rings,
                // which keeps every ring valid without a costly geometry repair afterwards.
                foreach (var simple in SplitAtRepeatedCorners(path))
                {
                    var ring = Simplify(simple, transform, classes);
                    rings.Add((value, ring, SignedArea(ring), simple.RefX, simple.RefY));
                }
            }
        }

        // Shells run clockwise on the map (negative signed area with y up); holes anticlockwise. A ring's
        // reference cell lies in the component it bounds, so component labels pair holes with their shell
        // in O(1) each, with no point-in-polygon tests.
        var components = Classify.ConnectedComponents.Label(classes, eightConnected);
        var shells = new List<(float Value, LinearRing Ring, List<LinearRing> Holes)>();
        var shellsOfComponent = new Dictionary<int, List<int>>();
        foreach (var r in rings.Where(r => r.Area < 0))
        {
            var label = components.Labels[r.RefX, r.RefY];
            if (!shellsOfComponent.TryGetValue(label, out var list))
            {
                shellsOfComponent[label] = list = [];
            }

            list.Add(shells.Count);
            shells.Add((r.Value, factory.CreateLinearRing(r.Ring), []));
        }

        foreach (var hole in rings.Where(r => r.Area > 0))
        {
            if (!shellsOfComponent.TryGetValue(components.Labels[hole.RefX, hole.RefY], out var candidates))
            {
                continue;
            }

            // Only 8-connected components whose outline pinches into several lobes have more than one shell.
            var owner = candidates[0];
            if (candidates.Count > 1)
            {
                var (px, py) = transform.PixelCentre(hole.RefX, hole.RefY);
                var probe = factory.CreatePoint(new Coordinate(px, py));
                owner = candidates.FirstOrDefault(i => factory.CreatePolygon(shells[i].Ring).Contains(probe), candidates[0]);
            }

            shells[owner].Holes.Add(factory.CreateLinearRing(hole.Ring));
        }

        // With 4-connectivity the polygons are valid by construction: rings are simple lattice paths (split at
        // pinches), holes lie inside their shell and touch it at most at corners (checked exhaustively on
        // every 4×4 pattern by the tests). Checking IsValid here would cost more than the polygonize.
        var polygons = shells.Select(sh => new ClassPolygon(sh.Value, factory.CreatePolygon(sh.Ring, sh.Holes.ToArray())));
        if (!eightConnected)
        {
            return polygons.ToList();
        }

        // 8-connectivity applied to every value is not a consistent digital topology (a region and its
        // complement cannot both be 8-connected), so some outlines come out with a disconnected interior;
        // those are split into valid parts.
        var result = new List<ClassPolygon>();
        foreach (var p in polygons)
        {
            if (p.Polygon.IsValid)
            {
                result.Add(p);
                continue;
            }

            result.AddRange(Parts(NetTopologySuite.Geometries.Utilities.GeometryFixer.Fix(p.Polygon)).Select(part => new ClassPolygon(p.Value, part)));
        }

        return result;
    }

    private static IEnumerable<Polygon> Parts(Geometry g) => g switch
    {
        Polygon p => [p],
        GeometryCollection c => c.Geometries.SelectMany(Parts),
        _ => [],
    };

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

    /// <summary>
    /// Keeps the corners where the direction changes, and the junctions where three or more regions meet
    /// even on a straight run: a neighbour's ring has a vertex there, and a coverage needs matching vertices
    /// on both sides of every shared edge (NTS's coverage validator and simplifier rely on it).
    /// </summary>
    private static Coordinate[] Simplify(CornerPath corners, GeoTransform t, RasterBuffer<float> classes)
    {
        var path = corners.Points;
        var result = new List<Coordinate>(path.Count / 2);
        var n = path.Count;
        for (var i = 0; i < n; i++)
        {
            var prev = path[(i - 1 + n) % n];
            var cur = path[i];
            var next = path[(i + 1) % n];
            if ((cur.X - prev.X) * (next.Y - cur.Y) != (cur.Y - prev.Y) * (next.X - cur.X) || IsJunction(classes, cur.X, cur.Y))
            {
                result.Add(new Coordinate(t.OriginX + (cur.X * t.PixelWidth), t.OriginY + (cur.Y * t.PixelHeight)));
            }
        }

        result.Add(result[0].Copy());
        return result.ToArray();
    }

    /// <summary>True when the four cells around a lattice corner hold three or more distinct values (outside and NaN count as one).</summary>
    private static bool IsJunction(RasterBuffer<float> c, int cx, int cy)
    {
        Span<float> v = [Cell(c, cx - 1, cy - 1), Cell(c, cx, cy - 1), Cell(c, cx - 1, cy), Cell(c, cx, cy)];
        var distinct = 0;
        for (var i = 0; i < 4; i++)
        {
            var seen = false;
            for (var j = 0; j < i; j++)
            {
                seen |= v[i].Equals(v[j]);
            }

            distinct += seen ? 0 : 1;
        }

        return distinct >= 3;
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
