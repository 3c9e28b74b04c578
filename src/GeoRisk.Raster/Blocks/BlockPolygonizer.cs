using GeoRisk.Raster.Classify;
using GeoRisk.Raster.Vectorize;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Raster.Blocks;

/// <summary>
/// A piece of a ring of a component that crosses block edges, as one block traced it: the walk along the
/// boundary from where it entered the block's corners (<see cref="Entry"/>) to where it left them
/// (<see cref="Exit"/>), or the whole ring when it never left (<see cref="IsClosed"/>). Carries the
/// vertices it recorded (with whether three or more regions meet there) and its smallest eastward edge,
/// where the whole-grid tracer would have started the ring.
/// </summary>
public sealed class RingChain
{
    /// <summary>Corner number × 4 + heading of the arrival this piece starts with; −1 for a closed ring.</summary>
    public required long Entry { get; init; }

    /// <summary>Corner number × 4 + heading of the arrival at the first corner outside the block; −1 for a closed ring.</summary>
    public required long Exit { get; init; }

    public required int Component { get; init; }

    public required float Value { get; init; }

    public required int[] Xs { get; init; }

    public required int[] Ys { get; init; }

    public required bool[] Junctions { get; init; }

    public required bool Pinched { get; init; }

    /// <summary>The smallest corner number from which the piece heads east (long.MaxValue when none).</summary>
    public required long StartCorner { get; init; }

    /// <summary>Vertices recorded up to and including the decision at <see cref="StartCorner"/>.</summary>
    public required int Split { get; init; }

    public bool IsClosed => Entry < 0;

    internal void Write(BinaryWriter w)
    {
        w.Write(Entry);
        w.Write(Exit);
        w.Write(Component);
        w.Write(Value);
        w.Write(Pinched);
        w.Write(StartCorner);
        w.Write(Split);
        BlockBorder.WriteArray(w, Xs, (bw, v) => bw.Write(v));
        BlockBorder.WriteArray(w, Ys, (bw, v) => bw.Write(v));
        BlockBorder.WriteArray(w, Junctions, (bw, v) => bw.Write(v));
    }

    internal static RingChain Read(BinaryReader r) => new()
    {
        Entry = r.ReadInt64(),
        Exit = r.ReadInt64(),
        Component = r.ReadInt32(),
        Value = r.ReadSingle(),
        Pinched = r.ReadBoolean(),
        StartCorner = r.ReadInt64(),
        Split = r.ReadInt32(),
        Xs = BlockBorder.ReadArray(r, br => br.ReadInt32()),
        Ys = BlockBorder.ReadArray(r, br => br.ReadInt32()),
        Junctions = BlockBorder.ReadArray(r, br => br.ReadBoolean()),
    };
}

/// <summary>What polygonizing one block gives: the finished polygons of the components inside it, each with its place in the whole-grid order, and the ring
/// pieces of the components that cross its edges.</summary>
public sealed class BlockPolygons
{
    public required int Block { get; init; }

    public required IReadOnlyList<(PolygonOrder Order, ClassPolygon Polygon)> Polygons { get; init; }

    public required IReadOnlyList<RingChain> Chains { get; init; }

    public void Write(BinaryWriter w)
    {
        w.Write(Block);
        var wkb = new WKBWriter();
        BlockBorder.WriteArray(w, Polygons, (bw, p) =>
        {
            bw.Write(p.Order.Corner);
            bw.Write(p.Order.Piece);
            bw.Write(p.Order.Part);
            bw.Write(p.Polygon.Value);
            var bytes = wkb.Write(p.Polygon.Polygon);
            bw.Write(bytes.Length);
            bw.Write(bytes);
        });
        BlockBorder.WriteArray(w, Chains, (bw, c) => c.Write(bw));
    }

    public static BlockPolygons Read(BinaryReader r, GeometryFactory? factory = null)
    {
        var wkb = new WKBReader(new NetTopologySuite.NtsGeometryServices(factory?.PrecisionModel ?? new PrecisionModel(), factory?.SRID ?? 0));
        var block = r.ReadInt32();
        var polygons = BlockBorder.ReadArray(r, br =>
        {
            var order = new PolygonOrder(br.ReadInt64(), br.ReadInt32(), br.ReadInt32());
            var value = br.ReadSingle();
            var polygon = (Polygon)wkb.Read(br.ReadBytes(br.ReadInt32()));
            return (order, new ClassPolygon(value, polygon));
        });
        return new BlockPolygons { Block = block, Polygons = polygons, Chains = BlockBorder.ReadArray(r, RingChain.Read) };
    }
}

/// <summary>A polygon's place in the whole-grid polygonizer's output: the corner its shell was started from (scan order), its piece after splitting at pinches,
/// its part after repair.</summary>
public readonly record struct PolygonOrder(long Corner, int Piece, int Part) : IComparable<PolygonOrder>
{
    public int CompareTo(PolygonOrder other) =>
        Corner != other.Corner ? Corner.CompareTo(other.Corner) : Piece != other.Piece ? Piece.CompareTo(other.Piece) : Part.CompareTo(other.Part);

    internal static PolygonOrder From(LatticeRings.RingOrder o) => new(o.Corner, o.Piece, o.Part);
}

/// <summary>
/// <see cref="Polygonizer"/> block by block, polygon for polygon equal to the whole-grid polygonizer (same
/// polygons, same vertices in the same order, same order of polygons; docs/SCALE.md §polygonize). Each block
/// walks the boundaries on its own lattice corners (the top-left corners of its cells, plus the last row and
/// column of corners on the grid's edge) with a one-cell halo, so every turn, junction and pinch is decided
/// exactly where the whole-grid walk decides it. Components inside the block come out as finished polygons;
/// the boundaries of components crossing its edges come out as pieces that <see cref="Finish"/> joins end to
/// start (an arrival at a corner belongs to exactly one ring), rotates to the whole-grid starting corner and
/// assembles into polygons with their holes.
/// </summary>
public static class BlockPolygonizer
{
    /// <summary>Polygonizes one block (read with a one-cell halo) given the stitched components around it.</summary>
    public static BlockPolygons Trace(HaloWindow window, BlockNeighbourhood neighbourhood, GridSpec grid, bool eightConnected, GeometryFactory? factory = null)
    {
        if (window.Halo < 1)
        {
            throw new ArgumentException("Polygonizing a block needs a one-cell halo.", nameof(window));
        }

        factory ??= new GeometryFactory();
        var walk = new BlockRingWalk(window, neighbourhood, grid, eightConnected);
        walk.WalkEntering();
        walk.WalkClosed();
        return walk.Result(factory);
    }

    /// <summary>
    /// Joins the ring pieces of the components crossing block edges into rings and assembles their
    /// polygons, each with its place in the whole-grid order.
    /// </summary>
    public static List<(PolygonOrder Order, ClassPolygon Polygon)> Stitch(
        IEnumerable<RingChain> chains, GridSpec grid, bool eightConnected, GeometryFactory? factory = null)
    {
        factory ??= new GeometryFactory();
        var rings = new List<LatticeRings.TracedRing>();
        var vertices = new List<(int X, int Y)>();
        foreach (var cycle in Cycles(chains))
        {
            AddCycleRings(rings, cycle, vertices, grid.Transform);
        }

        rings.Sort((a, b) => a.Order.CompareTo(b.Order));
        return LatticeRings.Assemble(rings, grid.Transform, eightConnected, factory).Select(p => (PolygonOrder.From(p.Order), p.Polygon)).ToList();
    }

    /// <summary>The closed pieces, then the open ones joined end to start into cycles in order of their smallest entry.</summary>
    private static List<List<RingChain>> Cycles(IEnumerable<RingChain> chains)
    {
        var open = new Dictionary<long, RingChain>();
        var cycles = new List<List<RingChain>>();
        foreach (var c in chains)
        {
            if (c.IsClosed)
            {
                cycles.Add([c]);
            }
            else if (!open.TryAdd(c.Entry, c))
            {
                throw new InvalidOperationException($"Two ring pieces enter at the same corner and heading ({c.Entry}).");
            }
        }

        var used = new HashSet<long>();
        foreach (var c in open.Values.OrderBy(c => c.Entry))
        {
            if (used.Contains(c.Entry))
            {
                continue;
            }

            var cycle = new List<RingChain>();
            var cur = c;
            while (used.Add(cur.Entry))
            {
                cycle.Add(cur);
                cur = open.TryGetValue(cur.Exit, out var next) ? next
                    : throw new InvalidOperationException($"A ring piece leaves at {cur.Exit} and no piece enters there: a block is missing.");
            }

            if (cur != c)
            {
                throw new InvalidOperationException("Ring pieces do not close into a ring.");
            }

            cycles.Add(cycle);
        }

        return cycles;
    }

    /// <summary>
    /// Adds the rings of one cycle of pieces as the whole-grid tracer records them: from the first vertex after its smallest
    /// eastward edge round to the decision at that edge's corner. <paramref name="vertices"/> is scratch.
    /// </summary>
    private static void AddCycleRings(List<LatticeRings.TracedRing> rings, List<RingChain> cycle, List<(int X, int Y)> vertices, GeoTransform transform)
    {
        var total = cycle.Sum(p => p.Xs.Length);
        long startCorner = long.MaxValue;
        int split = 0, offset = 0;
        var pinched = false;
        foreach (var p in cycle)
        {
            if (p.StartCorner < startCorner)
            {
                (startCorner, split) = (p.StartCorner, offset + p.Split);
            }

            pinched |= p.Pinched;
            offset += p.Xs.Length;
        }

        vertices.Clear();
        var junctionAt = new Dictionary<(int, int), bool>();
        foreach (var p in cycle)
        {
            for (var i = 0; i < p.Xs.Length; i++)
            {
                vertices.Add((p.Xs[i], p.Ys[i]));
                if (pinched)
                {
                    junctionAt[(p.Xs[i], p.Ys[i])] = p.Junctions[i];
                }
            }
        }

        var rotated = new List<(int X, int Y)>(total);
        rotated.AddRange(vertices.Skip(split));
        rotated.AddRange(vertices.Take(split));
        var first = rings.Count;
        LatticeRings.AddRings(rings, rotated, pinched, (x, y) => junctionAt[(x, y)], cycle[0].Value, transform, startCorner);
        for (var i = first; i < rings.Count; i++)
        {
            rings[i] = rings[i] with { Component = cycle[0].Component };
        }
    }

    /// <summary>The finished polygons of every block and the stitched ones, in the whole-grid order.</summary>
    public static List<ClassPolygon> Finish(IEnumerable<BlockPolygons> blocks, GridSpec grid, bool eightConnected, GeometryFactory? factory = null)
    {
        var all = new List<(PolygonOrder Order, ClassPolygon Polygon)>();
        var chains = new List<RingChain>();
        foreach (var b in blocks)
        {
            all.AddRange(b.Polygons);
            chains.AddRange(b.Chains);
        }

        all.AddRange(Stitch(chains, grid, eightConnected, factory));
        all.Sort((a, b) => a.Order.CompareTo(b.Order));
        return all.Select(p => p.Polygon).ToList();
    }

    /// <summary>The whole block-wise polygonize in this process (blocks in parallel; two reads of each block).</summary>
    public static List<ClassPolygon> Run(
        IRasterWindowSource source, BlockLayout layout, bool eightConnected, RasterOptions? options = null, GeometryFactory? factory = null)
    {
        options ??= new RasterOptions();
        factory ??= new GeometryFactory();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = options.CancellationToken };
        var borders = new BlockBorder[layout.Count];
        Parallel.For(0, layout.Count, parallel, i => borders[i] = BlockBorder.Of(layout[i], HaloWindow.Read(source, layout[i], 0).Core(), eightConnected));
        var stitch = new ComponentStitch(layout, borders, eightConnected);
        var blocks = new BlockPolygons[layout.Count];
        Parallel.For(
            0,
            layout.Count,
            parallel,
            i => blocks[i] = Trace(HaloWindow.Read(source, layout[i], 1), stitch.Neighbourhood(i), source.Grid, eightConnected, factory));
        return Finish(blocks, source.Grid, eightConnected, factory);
    }
}
