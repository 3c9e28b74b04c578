using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Implementation;

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
/// <remarks>
/// The classes are first turned into byte indices (<see cref="ClassGrid{T}"/>); the regions needed to
/// pair holes with shells are labelled as runs (<see cref="RunLabels"/>) on a second thread while the
/// rings are traced, and rings are traced in bands of rows on all threads (a ring belongs to the band
/// holding its first top edge in scan order, so the output is the same for any number of threads).
/// </remarks>
public static class Polygonizer
{
    public static List<ClassPolygon> Polygonize(
        RasterBuffer<float> classes, GeoTransform transform, bool eightConnected = false, GeometryFactory? factory = null, RasterOptions? options = null) =>
        Polygonize(new MemoryRaster(new GridSpec(classes.Width, classes.Height, transform, ""), classes), eightConnected, factory, options);

    /// <summary>Polygonizes a class raster read strip by strip from <paramref name="source"/> (values as float; NaN is nodata).</summary>
    public static List<ClassPolygon> Polygonize(
        IRasterSource source, bool eightConnected = false, GeometryFactory? factory = null, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        var ct = options.CancellationToken;
        // Up to 255 classes in bytes; a raster with more distinct values is read again into wider indices.
        return ClassGrid<byte>.Read(source, ct) is { } bytes ? Run(bytes, source.Grid.Transform, eightConnected, factory, options)
            : ClassGrid<ushort>.Read(source, ct) is { } shorts ? Run(shorts, source.Grid.Transform, eightConnected, factory, options)
            : Run(ClassGrid<int>.Read(source, ct)!, source.Grid.Transform, eightConnected, factory, options);
    }

    private static List<ClassPolygon> Run<T>(ClassGrid<T> grid, GeoTransform transform, bool eightConnected, GeometryFactory? factory, RasterOptions options)
        where T : unmanaged, IBinaryInteger<T>
    {
        factory ??= new GeometryFactory();
        var ct = options.CancellationToken;
        var labelling = Task.Run(() => RunLabels.Build(grid, eightConnected, ct), ct);
        var rings = TraceAll(grid, transform, eightConnected, options);
        var labels = labelling.GetAwaiter().GetResult();
        var shells = new ShellSet(labels.IdCount);
        shells.AddShells(rings, labels, grid.Palette, factory);
        shells.AddHoles(rings, labels, transform, factory);
        return Polygons(shells.Shells, eightConnected, factory);
    }

    private static List<ClassPolygon> Polygons(List<(float Value, LinearRing Ring, List<LinearRing> Holes)> shells, bool eightConnected, GeometryFactory factory)
    {
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

    /// <summary>
    /// Shells run clockwise on the map (negative signed area with y up); holes anticlockwise. A ring's
    /// reference cell lies in the region it bounds, so region labels pair holes with their shell in
    /// O(1) each, with no point-in-polygon tests.
    /// </summary>
    private sealed class ShellSet
    {
        private readonly int[] _shellOfRegion;
        private Dictionary<int, List<int>>? _moreShells; // 8-connected regions pinched into several lobes

        public ShellSet(int regions)
        {
            _shellOfRegion = new int[regions];
            Array.Fill(_shellOfRegion, -1);
        }

        public List<(float Value, LinearRing Ring, List<LinearRing> Holes)> Shells { get; } = [];

        public void AddShells(List<TracedRing> rings, RunLabels labels, float[] palette, GeometryFactory factory)
        {
            foreach (var r in rings)
            {
                if (r.Area >= 0)
                {
                    continue;
                }

                var region = labels.RegionOf(r.RefX, r.RefY);
                if (_shellOfRegion[region] < 0)
                {
                    _shellOfRegion[region] = Shells.Count;
                }
                else
                {
                    _moreShells ??= [];
                    if (!_moreShells.TryGetValue(region, out var list))
                    {
                        _moreShells[region] = list = [_shellOfRegion[region]];
                    }

                    list.Add(Shells.Count);
                }

                Shells.Add((palette[r.Value], factory.CreateLinearRing(r.Ring), []));
            }
        }

        public void AddHoles(List<TracedRing> rings, RunLabels labels, GeoTransform transform, GeometryFactory factory)
        {
            foreach (var hole in rings)
            {
                if (hole.Area <= 0)
                {
                    continue;
                }

                var region = labels.RegionOf(hole.RefX, hole.RefY);
                var owner = _shellOfRegion[region];
                if (owner < 0)
                {
                    continue;
                }

                // Only 8-connected regions whose outline pinches into several lobes have more than one shell.
                if (_moreShells is not null && _moreShells.TryGetValue(region, out var candidates))
                {
                    var (px, py) = transform.PixelCentre(hole.RefX, hole.RefY);
                    var probe = factory.CreatePoint(new Coordinate(px, py));
                    owner = candidates.FirstOrDefault(i => factory.CreatePolygon(Shells[i].Ring).Contains(probe), owner);
                }

                Shells[owner].Holes.Add(factory.CreateLinearRing(hole.Ring));
            }
        }
    }

    private static IEnumerable<Polygon> Parts(Geometry g) => g switch
    {
        Polygon p => [p],
        GeometryCollection c => c.Geometries.SelectMany(Parts),
        _ => [],
    };

    /// <summary>A closed ring in map coordinates with its signed lattice area and the cell that tells its region.</summary>
    private readonly record struct TracedRing(int Value, CoordinateSequence Ring, double Area, int RefX, int RefY);

    /// <summary>
    /// Every ring of the grid, in scan order of their first top edge. Rows are split into bands traced in
    /// parallel; each band keeps the rings whose first top edge lies in it, so concatenating the bands in
    /// order gives the sequential result.
    /// </summary>
    private static List<TracedRing> TraceAll<T>(ClassGrid<T> grid, GeoTransform transform, bool eightConnected, RasterOptions options)
        where T : unmanaged, IBinaryInteger<T>
    {
        int h = grid.Height, stride = grid.Stride;
        // One "used" bit per lattice corner for the eastward edge leaving it: rings start only from unused top edges.
        var used = new ulong[(((long)(h + 1) * stride) + 63) / 64];
        var threads = Math.Max(1, options.MaxDegreeOfParallelism);
        var bandCount = threads == 1 ? 1 : Math.Max(1, Math.Min(h / 64, threads * 2));
        var bands = new List<TracedRing>[bandCount];
        Parallel.For(0, bandCount, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = options.CancellationToken }, b =>
        {
            var y0 = (int)((long)h * b / bandCount);
            var y1 = (int)((long)h * (b + 1) / bandCount);
            bands[b] = new Tracer<T>(grid, transform, eightConnected, used, y0, bandCount > 1, options.CancellationToken).Band(y0, y1);
        });
        return bands.SelectMany(b => b).ToList();
    }

    /// <summary>Traces the rings of one band of rows.</summary>
    private sealed class Tracer<T>(
        ClassGrid<T> grid, GeoTransform transform, bool eightConnected, ulong[] used, int bandStart, bool shared, CancellationToken cancellationToken)
        where T : unmanaged, IBinaryInteger<T>
    {
        // Directions on the corner lattice in image space (row grows downwards): E, S, W, N (clockwise on screen).
        private readonly int[] _step = [1, grid.Stride, -1, -grid.Stride];
        // Corners at or past this one are inside this band or below it: only those may be marked used here,
        // so a band never hides a ring that an earlier band owns.
        private readonly int _firstCorner = bandStart * grid.Stride;
        private readonly List<int> _vertices = new(1024);
        private readonly List<int> _saddles = [];

        public List<TracedRing> Band(int y0, int y1)
        {
            var result = new List<TracedRing>();
            var cells = grid.Cells;
            int w = grid.Width, stride = grid.Stride;
            for (var y = y0; y < y1; y++)
            {
                if ((y & 255) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                // Every ring has a top edge somewhere: start at unused top edges, cells whose value differs
                // from the cell above (sought a vector at a time: most cells are inside a region).
                var row = (y + 1) * stride + 1;
                var x = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; x + Vector256<T>.Count <= w; x += Vector256<T>.Count)
                    {
                        var current = Vector256.Create<T>(cells.AsSpan(row + x));
                        var above = Vector256.Create<T>(cells.AsSpan(row + x - stride));
                        var starts = ~(Vector256.Equals(current, above) | Vector256.Equals(current, Vector256<T>.Zero));
                        for (var bits = starts.ExtractMostSignificantBits(); bits != 0; bits &= bits - 1)
                        {
                            TryStart(x + BitOperations.TrailingZeroCount(bits), y, result);
                        }
                    }
                }

                for (; x < w; x++)
                {
                    var v = cells[row + x];
                    if (v != T.Zero && v != cells[row + x - stride])
                    {
                        TryStart(x, y, result);
                    }
                }
            }

            return result;
        }

        private void TryStart(int x, int y, List<TracedRing> result)
        {
            var corner = (y * grid.Stride) + x;
            if (IsUsed(corner))
            {
                return;
            }

            var value = grid.Cells[corner + grid.Stride + 1];
            if (!Trace(corner, value))
            {
                return; // an earlier band's ring
            }

            if (_saddles.Count > 0 && SplitAtRepeatedCorners() is { } pieces)
            {
                // A ring that passes a corner twice (a diagonal pinch) is split there into simple rings,
                // which keeps every ring valid without a costly geometry repair afterwards.
                foreach (var piece in pieces)
                {
                    var (rx, ry) = Reference(piece);
                    result.Add(ToRing(piece, int.CreateTruncating(value), rx, ry));
                }
            }
            else
            {
                result.Add(ToRing(_vertices, int.CreateTruncating(value), x, y));
            }
        }

        private bool IsUsed(int corner) => (Volatile.Read(ref used[corner >> 6]) & (1UL << corner)) != 0;

        private void MarkUsed(int corner)
        {
            if (corner < _firstCorner)
            {
                return;
            }

            if (shared)
            {
                Interlocked.Or(ref used[corner >> 6], 1UL << corner);
            }
            else
            {
                used[corner >> 6] |= 1UL << corner;
            }
        }

        /// <summary>
        /// Walks the boundary of the <paramref name="value"/> region from the top edge leaving corner
        /// <paramref name="start"/> eastwards, keeping it on the right, until it is about to leave along that
        /// edge again. Records only the ring's vertices: corners where it turns, and junctions where three or
        /// more regions meet even on a straight run (a neighbour's ring has a vertex there, and a coverage
        /// needs matching vertices on both sides of every shared edge; NTS's coverage validator and simplifier
        /// rely on it), and where it passes a saddle corner (the only place where it can visit a corner
        /// twice). Returns false, having only marked the ring's edges in this band, when the ring reaches
        /// above the band: it belongs to an earlier band.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool Trace(int start, T value)
        {
            _vertices.Clear();
            _saddles.Clear();
            var cells = grid.Cells;
            var stride = grid.Stride;
            var turns = eightConnected ? s_turnsEight : s_turnsFour;
            var ours = true;
            int corner = start, dir = 0;
            while (true)
            {
                if (dir == 0)
                {
                    // A top edge above the band: the ring's first top edge is in an earlier band, which
                    // records it. Keep walking to mark its edges here (no second start), record nothing.
                    ours &= corner >= _firstCorner;
                    MarkUsed(corner);
                }

                corner += _step[dir];

                // The four cells around the corner: top-left, top-right, bottom-left, bottom-right.
                T tl = cells[corner], tr = cells[corner + 1], bl = cells[corner + stride], br = cells[corner + stride + 1];
                var pattern = (tl == value ? 1 : 0) | (tr == value ? 2 : 0) | (bl == value ? 4 : 0) | (br == value ? 8 : 0);
                var next = (int)turns[(dir << 4) | pattern];
                if (next > 3)
                {
                    throw new InvalidOperationException($"Broken boundary at corner ({corner % stride}, {corner / stride}).");
                }

                if (ours)
                {
                    if (next != dir)
                    {
                        if (pattern is 0b1001 or 0b0110)
                        {
                            _saddles.Add(_vertices.Count);
                        }

                        _vertices.Add(corner);
                    }
                    else if (dir switch
                    {
                        // Straight on: a junction when the two cells on the left differ (the two on the right are the region).
                        0 => tl != tr,
                        1 => tr != br,
                        2 => br != bl,
                        _ => bl != tl,
                    })
                    {
                        _vertices.Add(corner);
                    }
                }

                dir = next;
                if (corner == start && dir == 0)
                {
                    return ours;
                }
            }
        }

        /// <summary>
        /// Splits the closed vertex path at every corner it visits twice (only saddle corners can be). A piece
        /// may then start and end on a straight run, so its vertices are filtered again (turns and junctions
        /// only). Null when no corner repeats.
        /// </summary>
        private List<List<int>>? SplitAtRepeatedCorners()
        {
            var path = _vertices;
            HashSet<int>? repeated = null;
            if (_saddles.Count > 1)
            {
                var seen = new HashSet<int>();
                foreach (var i in _saddles)
                {
                    if (!seen.Add(path[i]))
                    {
                        (repeated ??= []).Add(path[i]);
                    }
                }
            }

            if (repeated is null)
            {
                return null;
            }

            var result = new List<List<int>>();
            var stack = new List<int>(path.Count);
            var position = new Dictionary<int, int>();
            // The path's last vertex is its start corner, so starting from it closes every loop.
            for (var n = -1; n < path.Count; n++)
            {
                var p = path[n < 0 ? path.Count - 1 : n];
                if (repeated.Contains(p))
                {
                    if (position.TryGetValue(p, out var at))
                    {
                        var loop = stack.GetRange(at, stack.Count - at);
                        foreach (var q in loop)
                        {
                            position.Remove(q);
                        }

                        stack.RemoveRange(at, stack.Count - at);
                        result.Add(KeepVertices(loop));
                    }

                    position[p] = stack.Count;
                }

                stack.Add(p);
            }

            if (stack.Count > 1)
            {
                result.Add(KeepVertices(stack.GetRange(0, stack.Count - 1))); // the loop through the start corner
            }

            return result;
        }

        /// <summary>Drops corners of a closed lattice path where it runs straight on, unless three or more regions meet there.</summary>
        private List<int> KeepVertices(List<int> loop)
        {
            var stride = grid.Stride;
            var kept = new List<int>(loop.Count);
            var n = loop.Count;
            for (var i = 0; i < n; i++)
            {
                var (prev, cur, next) = (loop[(i - 1 + n) % n], loop[i], loop[(i + 1) % n]);
                int px = prev % stride, py = prev / stride, cx = cur % stride, cy = cur / stride, nx = next % stride, ny = next / stride;
                if ((cx - px) * (ny - cy) != (cy - py) * (nx - cx) || IsJunction(cur))
                {
                    kept.Add(cur);
                }
            }

            return kept;
        }

        /// <summary>True when the four cells around a lattice corner hold three or more distinct values (outside and nodata count as one).</summary>
        private bool IsJunction(int corner)
        {
            var c = grid.Cells;
            var s = grid.Stride;
            Span<T> v = [c[corner], c[corner + 1], c[corner + s], c[corner + s + 1]];
            var distinct = 0;
            for (var i = 0; i < 4; i++)
            {
                var seen = false;
                for (var j = 0; j < i; j++)
                {
                    seen |= v[i] == v[j];
                }

                distinct += seen ? 0 : 1;
            }

            return distinct >= 3;
        }

        /// <summary>The cell on the right of a piece's first eastward edge, which lies in the region the piece bounds.</summary>
        private (int X, int Y) Reference(List<int> loop)
        {
            var stride = grid.Stride;
            for (var i = 0; i < loop.Count; i++)
            {
                int a = loop[i], b = loop[(i + 1) % loop.Count];
                if (a / stride == b / stride && b > a)
                {
                    return (a % stride, a / stride);
                }
            }

            return (loop[0] % stride, loop[0] / stride);
        }

        /// <summary>
        /// Lattice corners to a closed ring of map coordinates, packed in one array (a polygonized grid has
        /// millions of vertices: one Coordinate object per vertex cost more than tracing), with the ring's
        /// signed area in map units (exact in integers on the lattice, then scaled by the pixel size).
        /// </summary>
        private TracedRing ToRing(List<int> corners, int value, int refX, int refY)
        {
            var stride = grid.Stride;
            var n = corners.Count;
            var xy = new double[(n + 1) * 2];
            long twiceArea = 0;
            int lastX = corners[n - 1] % stride, lastY = corners[n - 1] / stride;
            for (var i = 0; i < n; i++)
            {
                int x = corners[i] % stride, y = corners[i] / stride;
                xy[2 * i] = transform.OriginX + (x * transform.PixelWidth);
                xy[(2 * i) + 1] = transform.OriginY + (y * transform.PixelHeight);
                twiceArea += ((long)lastX * y) - ((long)x * lastY);
                (lastX, lastY) = (x, y);
            }

            (xy[2 * n], xy[(2 * n) + 1]) = (xy[0], xy[1]);
            var area = twiceArea / 2.0 * transform.PixelWidth * transform.PixelHeight;
            return new TracedRing(value, new PackedDoubleCoordinateSequence(xy, 2, 0), area, refX, refY);
        }
    }

    // Next direction by (incoming direction << 4 | which of the four cells around the corner are in the
    // region: 1 top-left, 2 top-right, 4 bottom-left, 8 bottom-right); 4 marks an impossible pattern.
    // An edge leaves in a direction when the cell on its right is in the region and the one on its left is
    // not. 4-connectivity prefers the right turn (stays around the same cell at a diagonal pinch);
    // 8-connectivity prefers the left turn (crosses to the diagonal cell).
    private static readonly byte[] s_turnsFour = Turns(eightConnected: false);
    private static readonly byte[] s_turnsEight = Turns(eightConnected: true);

    private static byte[] Turns(bool eightConnected)
    {
        var table = new byte[64];
        for (var incoming = 0; incoming < 4; incoming++)
        {
            for (var pattern = 0; pattern < 16; pattern++)
            {
                bool a = (pattern & 1) != 0, b = (pattern & 2) != 0, l = (pattern & 4) != 0, d = (pattern & 8) != 0;
                var edges = (d && !b ? 1 : 0) | (l && !d ? 2 : 0) | (a && !l ? 4 : 0) | (b && !a ? 8 : 0);
                int first = eightConnected ? 3 : 1, last = eightConnected ? 1 : 3;
                var next = 4;
                foreach (var dir in new[] { (incoming + first) & 3, incoming, (incoming + last) & 3 })
                {
                    if ((edges & (1 << dir)) != 0)
                    {
                        next = dir;
                        break;
                    }
                }

                table[(incoming << 4) | pattern] = (byte)next;
            }
        }

        return table;
    }
}
