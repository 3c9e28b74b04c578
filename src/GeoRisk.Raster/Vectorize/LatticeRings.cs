using System.Runtime.CompilerServices;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Implementation;

namespace GeoRisk.Raster.Vectorize;

/// <summary>
/// The boundary walk of <see cref="Polygonizer"/> one step at a time, on float cells, with rings ordered as
/// the whole-grid tracer finds them: what the block-wise polygonizer (<see cref="Blocks.BlockPolygonizer"/>)
/// needs to trace a block with its halo and stitch ring pieces across block edges into the same polygons
/// as a whole-grid run. Kept apart from <see cref="Polygonizer"/>, whose whole-grid tracer works on byte
/// class indices in parallel bands and cannot stop at a block edge.
/// </summary>
internal static class LatticeRings
{
    // Directions on the corner lattice in image space (row grows downwards): E, S, W, N (clockwise on screen).
    private static readonly int[] s_dx = [1, 0, -1, 0];
    private static readonly int[] s_dy = [0, 1, 0, -1];

    /// <summary>
    /// A closed ring ready for assembly: its value, map coordinates, signed lattice area in map units
    /// (negative for shells), reference cell, the component it bounds and its place in the whole-grid
    /// order (the corner it was started from, then its piece number after splitting at pinches).
    /// </summary>
    internal readonly record struct TracedRing(float Value, CoordinateSequence Ring, double Area, int RefX, int RefY, long Component, RingOrder Order);

    /// <summary>The order in which the whole-grid tracer finds rings: start corner in scan order, then piece of a split ring, then part of a repaired
    /// polygon.</summary>
    internal readonly record struct RingOrder(long Corner, int Piece, int Part = 0) : IComparable<RingOrder>
    {
        public int CompareTo(RingOrder other) =>
            Corner != other.Corner ? Corner.CompareTo(other.Corner) : Piece != other.Piece ? Piece.CompareTo(other.Piece) : Part.CompareTo(other.Part);
    }

    /// <summary>Splits a traced vertex path at pinches (when <paramref name="pinched"/>) and adds its rings in order.</summary>
    internal static void AddRings(
        List<TracedRing> rings,
        List<(int X, int Y)> vertices,
        bool pinched,
        Func<int, int, bool> isJunction,
        float value,
        GeoTransform transform,
        long startCorner)
    {
        // A ring that passes a corner twice (a diagonal pinch) is split there into simple rings, which
        // keeps every ring valid without a costly geometry repair afterwards.
        var piece = 0;
        foreach (var simple in pinched ? SplitAtRepeatedCorners(vertices, isJunction) : [WithReference(vertices)])
        {
            // The lattice area (image space, exact) scales to the map's by the pixel size.
            var area = LatticeArea(simple.Points) * transform.PixelWidth * transform.PixelHeight;
            rings.Add(new TracedRing(value, ToSequence(simple.Points, transform), area, simple.RefX, simple.RefY, -1, new RingOrder(startCorner, piece++)));
        }
    }

    /// <summary>
    /// Polygons from rings given in whole-grid order: shells (clockwise on the map, negative signed area
    /// with y up) in that order, each hole given to the shell of its component (the one containing it when
    /// an 8-connected component has several lobes). Each polygon keeps its shell's order.
    /// </summary>
    internal static List<(RingOrder Order, ClassPolygon Polygon)> Assemble(
        IReadOnlyList<TracedRing> rings, GeoTransform transform, bool eightConnected, GeometryFactory factory)
    {
        var shells = new List<(float Value, LinearRing Ring, List<LinearRing> Holes, RingOrder Order)>();
        var shellsOfComponent = new Dictionary<long, List<int>>();
        foreach (var r in rings.Where(r => r.Area < 0))
        {
            if (!shellsOfComponent.TryGetValue(r.Component, out var list))
            {
                shellsOfComponent[r.Component] = list = [];
            }

            list.Add(shells.Count);
            shells.Add((r.Value, factory.CreateLinearRing(r.Ring), [], r.Order));
        }

        foreach (var hole in rings.Where(r => r.Area > 0))
        {
            if (!shellsOfComponent.TryGetValue(hole.Component, out var candidates))
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
        var polygons = shells.Select(sh => (sh.Order, Polygon: new ClassPolygon(sh.Value, factory.CreatePolygon(sh.Ring, sh.Holes.ToArray()))));
        if (!eightConnected)
        {
            return polygons.ToList();
        }

        // 8-connectivity applied to every value is not a consistent digital topology (a region and its
        // complement cannot both be 8-connected), so some outlines come out with a disconnected interior;
        // those are split into valid parts.
        var result = new List<(RingOrder, ClassPolygon)>();
        foreach (var (order, p) in polygons)
        {
            if (p.Polygon.IsValid)
            {
                result.Add((order, p));
                continue;
            }

            var part = 0;
            foreach (var piece in Parts(NetTopologySuite.Geometries.Utilities.GeometryFixer.Fix(p.Polygon)))
            {
                result.Add((order with { Part = part++ }, new ClassPolygon(p.Value, piece)));
            }
        }

        return result;
    }

    private static IEnumerable<Polygon> Parts(Geometry g) => g switch
    {
        Polygon p => [p],
        GeometryCollection c => c.Geometries.SelectMany(Parts),
        _ => [],
    };

    internal sealed class CornerPath(List<(int X, int Y)> points, int refX, int refY)
    {
        public List<(int X, int Y)> Points { get; } = points;

        public int RefX { get; } = refX;

        public int RefY { get; } = refY;
    }

    /// <summary>
    /// One step of a boundary walk: having arrived at corner (cx, cy) heading <paramref name="dir"/> along
    /// the boundary of the <paramref name="value"/> region, with the four cells around the corner, the
    /// direction it leaves in, whether the corner is a ring vertex (a turn, or a junction of three or more
    /// regions on a straight run) and whether it is a saddle (the only place a ring can pass twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (int Next, bool Vertex, bool Saddle) Step(float tl, float tr, float bl, float br, float value, int dir, bool eightConnected, int cx, int cy)
    {
        bool a = tl.Equals(value), b = tr.Equals(value), l = bl.Equals(value), d = br.Equals(value);
        // An edge leaves in a direction when the cell on its right is in the region and the one on its left is not.
        var edges = (d && !b ? 1 : 0) | (l && !d ? 2 : 0) | (a && !l ? 4 : 0) | (b && !a ? 8 : 0);
        var next = NextDirection(edges, dir, eightConnected, cx, cy);
        if (next != dir)
        {
            return (next, true, a == d && b == l && a != b);
        }

        // Straight on: a junction when the two cells on the left differ (the two on the right are the region).
        var junction = dir switch
        {
            0 => !tl.Equals(tr),
            1 => !tr.Equals(br),
            2 => !br.Equals(bl),
            _ => !bl.Equals(tl),
        };
        return (next, junction, false);
    }

    internal static readonly int[] DirectionX = s_dx;

    internal static readonly int[] DirectionY = s_dy;

    private static int NextDirection(int edges, int incoming, bool eightConnected, int cx, int cy)
    {
        // 4-connectivity prefers the right turn (stays around the same cell at a diagonal pinch);
        // 8-connectivity prefers the left turn (crosses to the diagonal cell).
        int first = eightConnected ? 3 : 1, last = eightConnected ? 1 : 3;
        var dir = (incoming + first) & 3;
        if ((edges & (1 << dir)) != 0)
        {
            return dir;
        }

        if ((edges & (1 << incoming)) != 0)
        {
            return incoming;
        }

        dir = (incoming + last) & 3;
        return (edges & (1 << dir)) != 0 ? dir : throw new InvalidOperationException($"Broken boundary at corner ({cx}, {cy}).");
    }

    /// <summary>
    /// Splits a closed vertex path at every corner it visits twice. A piece may then start and end on a
    /// straight run, so its vertices are filtered again (turns and junctions only). Each piece keeps, as
    /// its reference cell, the cell on the right of its first eastward edge (used to find a hole's owner).
    /// </summary>
    private static List<CornerPath> SplitAtRepeatedCorners(List<(int X, int Y)> path, Func<int, int, bool> isJunction)
    {
        // A ring that passes a saddle once is not split (and keeps its start), as the whole-grid tracer does.
        if (path.Distinct().Count() == path.Count)
        {
            return [WithReference(path)];
        }

        var result = new List<CornerPath>();
        var stack = new List<(int X, int Y)>(path.Count);
        var position = new Dictionary<(int, int), int>();
        // The path's last vertex is its start corner, so starting from it closes every loop.
        foreach (var p in path.Prepend(path[^1]))
        {
            if (position.TryGetValue(p, out var at))
            {
                var loop = stack.GetRange(at, stack.Count - at);
                foreach (var q in loop)
                {
                    position.Remove(q);
                }

                stack.RemoveRange(at, stack.Count - at);
                result.Add(WithReference(KeepVertices(loop, isJunction)));
            }

            position[p] = stack.Count;
            stack.Add(p);
        }

        return result;
    }

    /// <summary>Drops corners of a closed lattice path where it runs straight on, unless three or more regions meet there.</summary>
    private static List<(int X, int Y)> KeepVertices(List<(int X, int Y)> loop, Func<int, int, bool> isJunction)
    {
        var kept = new List<(int X, int Y)>(loop.Count);
        var n = loop.Count;
        for (var i = 0; i < n; i++)
        {
            var (prev, cur, next) = (loop[(i - 1 + n) % n], loop[i], loop[(i + 1) % n]);
            if ((cur.X - prev.X) * (next.Y - cur.Y) != (cur.Y - prev.Y) * (next.X - cur.X) || isJunction(cur.X, cur.Y))
            {
                kept.Add(cur);
            }
        }

        return kept;
    }

    private static CornerPath WithReference(List<(int X, int Y)> loop)
    {
        for (var i = 0; i < loop.Count; i++)
        {
            var a = loop[i];
            var b = loop[(i + 1) % loop.Count];
            if (b.Y == a.Y && b.X > a.X)
            {
                return new CornerPath(loop, a.X, a.Y);
            }
        }

        return new CornerPath(loop, loop[0].X, loop[0].Y);
    }

    /// <summary>
    /// Lattice corners to a closed ring of map coordinates, packed in one array: a polygonized grid has
    /// millions of vertices, and one Coordinate object per vertex made this step cost more than tracing.
    /// </summary>
    private static PackedDoubleCoordinateSequence ToSequence(List<(int X, int Y)> corners, GeoTransform t)
    {
        var n = corners.Count;
        var xy = new double[(n + 1) * 2];
        for (var i = 0; i < n; i++)
        {
            xy[2 * i] = t.OriginX + (corners[i].X * t.PixelWidth);
            xy[(2 * i) + 1] = t.OriginY + (corners[i].Y * t.PixelHeight);
        }

        (xy[2 * n], xy[(2 * n) + 1]) = (xy[0], xy[1]);
        return new PackedDoubleCoordinateSequence(xy, 2, 0);
    }

    /// <summary>Signed area of a closed lattice path in cell units (image space, y down), exact in integers.</summary>
    private static double LatticeArea(List<(int X, int Y)> corners)
    {
        long sum = 0;
        for (int i = 0, n = corners.Count; i < n; i++)
        {
            var (a, b) = (corners[i], corners[(i + 1) % n]);
            sum += ((long)a.X * b.Y) - ((long)b.X * a.Y);
        }

        return sum / 2.0;
    }

    /// <summary>True when the four cells around a lattice corner hold three or more distinct values (NaN counts as one).</summary>
    internal static bool IsJunction(float tl, float tr, float bl, float br)
    {
        Span<float> v = [tl, tr, bl, br];
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
}
