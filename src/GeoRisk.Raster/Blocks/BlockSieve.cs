using GeoRisk.Raster.Classify;

namespace GeoRisk.Raster.Blocks;

/// <summary>Where the chain of "largest neighbour" links from a region leads (see <see cref="Sieve"/>).</summary>
public enum SieveExitKind : byte
{
    /// <summary>The chain ends or loops before a region that meets the threshold: the region keeps its value.</summary>
    None = 0,

    /// <summary>The chain reaches a region that meets the threshold, whose value is known.</summary>
    Value = 1,

    /// <summary>The chain goes on into a component that crosses block edges, decided once all blocks are in.</summary>
    Next = 2,
}

public readonly record struct SieveExit(SieveExitKind Kind, float Value, int Global)
{
    public static SieveExit None => default;

    public static SieveExit Of(float value) => new(SieveExitKind.Value, value, -1);

    public static SieveExit To(int global) => new(SieveExitKind.Next, float.NaN, global);
}

/// <summary>
/// A block's part of the "largest neighbour" choice of components that cross block edges: the largest
/// neighbour it saw for each of them (by whole-grid size, the first in scan order among equals: its key is
/// cell number × 4 + the neighbour's position up, up-left, up-right, left, the order gdal_sieve compares
/// them in) and where that neighbour's chain leads.
/// </summary>
public sealed class SievePartials
{
    public required int Block { get; init; }

    public required int[] Ids { get; init; }

    public required long[] NeighbourSizes { get; init; }

    public required long[] Keys { get; init; }

    public required SieveExit[] Exits { get; init; }

    public void Write(BinaryWriter w)
    {
        w.Write(Block);
        BlockBorder.WriteArray(w, Ids, (bw, v) => bw.Write(v));
        BlockBorder.WriteArray(w, NeighbourSizes, (bw, v) => bw.Write(v));
        BlockBorder.WriteArray(w, Keys, (bw, v) => bw.Write(v));
        BlockBorder.WriteArray(w, Exits, (bw, e) =>
        {
            bw.Write((byte)e.Kind);
            bw.Write(e.Value);
            bw.Write(e.Global);
        });
    }

    public static SievePartials Read(BinaryReader r) => new()
    {
        Block = r.ReadInt32(),
        Ids = BlockBorder.ReadArray(r, br => br.ReadInt32()),
        NeighbourSizes = BlockBorder.ReadArray(r, br => br.ReadInt64()),
        Keys = BlockBorder.ReadArray(r, br => br.ReadInt64()),
        Exits = BlockBorder.ReadArray(r, br => new SieveExit((SieveExitKind)br.ReadByte(), br.ReadSingle(), br.ReadInt32())),
    };
}

/// <summary>
/// The minimum mapping unit (<see cref="Sieve"/>) block by block with exact stitching, cell for cell equal to
/// the whole-grid sieve (docs/SCALE.md §sieve):
/// <list type="number">
/// <item>each block labels its cells and reports its edge components (<see cref="BlockBorder"/>);</item>
/// <item>the edge components are joined across blocks by union-find (<see cref="ComponentStitch"/>), giving
/// whole-grid sizes;</item>
/// <item>each block, with a one-cell halo, finds every component's largest neighbour and follows the chains of
/// components inside it; it reports its part of the choice for the stitched components
/// (<see cref="Neighbours"/>);</item>
/// <item>the parts are merged and the stitched components' chains followed (<see cref="Resolve"/>): memory
/// follows the number of edge components;</item>
/// <item>each block writes its sieved cells (<see cref="Apply"/>).</item>
/// </list>
/// A component inside one block only ever meets cells of that block, so its whole choice is made there.
/// </summary>
public static class BlockSieve
{
    private const long NoData = long.MinValue;

    /// <summary>Pass 1.</summary>
    public static BlockBorder Borders(HaloWindow window, bool eightConnected) => BlockBorder.Of(window.Block, window.Core(), eightConnected);

    /// <summary>Pass 2: the block's part of the largest-neighbour choice of stitched components.</summary>
    public static SievePartials Neighbours(HaloWindow window, BlockNeighbourhood neighbourhood, int minimumCells, bool eightConnected, int gridWidth)
    {
        var analysis = Analyse(window, neighbourhood, minimumCells, eightConnected, gridWidth);
        var ids = analysis.GlobalBest.Keys.Order().ToArray();
        return new SievePartials
        {
            Block = window.Block.Index,
            Ids = ids,
            NeighbourSizes = ids.Select(id => analysis.GlobalBest[id].Size).ToArray(),
            Keys = ids.Select(id => analysis.GlobalBest[id].Key).ToArray(),
            Exits = ids.Select(id => analysis.ExitOfRef(analysis.GlobalBest[id].Ref)).ToArray(),
        };
    }

    /// <summary>
    /// The merged choice: for every stitched component, the value a chain that reaches it ends with (its own
    /// when it meets the threshold), or no entry when such a chain ends or loops first.
    /// </summary>
    public static IReadOnlyDictionary<int, float> Resolve(ComponentStitch stitch, IEnumerable<SievePartials> partials, int minimumCells)
    {
        var best = BestExits(partials);
        var reach = new Dictionary<int, float>();
        var decided = new HashSet<int>();
        var path = new List<int>();
        var onPath = new HashSet<int>();
        for (var id = 0; id < stitch.Sizes.Length; id++)
        {
            if (!stitch.IsRoot(id) || decided.Contains(id))
            {
                continue;
            }

            var (outcome, last) = FollowChain(stitch, best, reach, decided, path, onPath, id, minimumCells);
            foreach (var p in path.Append(last))
            {
                if (decided.Add(p))
                {
                    var large = stitch.Sizes[p] >= minimumCells;
                    if (large)
                    {
                        reach[p] = stitch.Values[p];
                    }
                    else if (outcome is { } v)
                    {
                        reach[p] = v;
                    }
                }
            }
        }

        return reach;
    }

    /// <summary>Every stitched component's largest neighbour over all blocks' partials.</summary>
    private static Dictionary<int, (long Size, long Key, SieveExit Exit)> BestExits(IEnumerable<SievePartials> partials)
    {
        var best = new Dictionary<int, (long Size, long Key, SieveExit Exit)>();
        foreach (var p in partials)
        {
            for (var i = 0; i < p.Ids.Length; i++)
            {
                var candidate = (p.NeighbourSizes[i], p.Keys[i], p.Exits[i]);
                if (!best.TryGetValue(p.Ids[i], out var current) || IsBetter(candidate.Item1, candidate.Item2, current.Size, current.Key))
                {
                    best[p.Ids[i]] = candidate;
                }
            }
        }

        return best;
    }

    /// <summary>
    /// Follows the chain from <paramref name="id"/> until something decided, a value, an end or a loop; everything on the way
    /// (left in <paramref name="path"/>, plus the returned last component) ends alike, with the returned outcome.
    /// </summary>
    private static (float? Outcome, int Last) FollowChain(
        ComponentStitch stitch,
        Dictionary<int, (long Size, long Key, SieveExit Exit)> best,
        Dictionary<int, float> reach,
        HashSet<int> decided,
        List<int> path,
        HashSet<int> onPath,
        int id,
        int minimumCells)
    {
        path.Clear();
        onPath.Clear();
        var cur = id;
        while (true)
        {
            if (decided.Contains(cur))
            {
                return (reach.TryGetValue(cur, out var v) ? v : null, cur);
            }

            if (stitch.Sizes[cur] >= minimumCells)
            {
                return (stitch.Values[cur], cur);
            }

            if (!onPath.Add(cur))
            {
                return (null, cur); // a loop of small regions: none of them finds a large one
            }

            path.Add(cur);
            if (!best.TryGetValue(cur, out var b) || b.Exit.Kind == SieveExitKind.None)
            {
                return (null, cur);
            }

            if (b.Exit.Kind == SieveExitKind.Value)
            {
                return (b.Exit.Value, cur);
            }

            cur = b.Exit.Global;
        }
    }

    /// <summary>The part of <see cref="Resolve"/>'s answer a block's last pass needs.</summary>
    public static IReadOnlyDictionary<int, float> ReachFor(BlockNeighbourhood n, IReadOnlyDictionary<int, float> reach) =>
        n.Own.Concat(n.Top).Concat(n.Left).Concat(n.Right).Where(id => id >= 0).Distinct()
            .Where(reach.ContainsKey).ToDictionary(id => id, id => reach[id]);

    /// <summary>Pass 3: the block's sieved cells.</summary>
    public static RasterBuffer<float> Apply(
        HaloWindow window, BlockNeighbourhood neighbourhood, IReadOnlyDictionary<int, float> reach, int minimumCells, bool eightConnected, int gridWidth)
    {
        var a = Analyse(window, neighbourhood, minimumCells, eightConnected, gridWidth);
        var components = a.Components;
        var remap = new float[components.Count];
        for (var label = 0; label < remap.Length; label++)
        {
            var own = components.Values[label];
            if (a.EdgeIndex[label] >= 0)
            {
                var g = neighbourhood.Own[a.EdgeIndex[label]];
                remap[label] = reach.TryGetValue(g, out var v) ? v : own;
                continue;
            }

            if (components.Sizes[label] >= minimumCells)
            {
                remap[label] = own;
                continue;
            }

            var exit = a.Exit(label);
            remap[label] = exit.Kind switch
            {
                SieveExitKind.Value => exit.Value,
                SieveExitKind.Next => reach.TryGetValue(exit.Global, out var v) ? v : own,
                _ => own,
            };
        }

        return components.Paint(remap);
    }

    /// <summary>
    /// The whole block-wise sieve in this process: blocks in parallel, three reads of each block, memory
    /// bounded by the blocks in flight plus the edge components.
    /// </summary>
    public static void Run(
        IRasterWindowSource source, IRasterWindowSink sink, BlockLayout layout, int minimumCells, bool eightConnected, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = options.CancellationToken };
        var width = source.Grid.Width;
        var borders = new BlockBorder[layout.Count];
        Parallel.For(0, layout.Count, parallel, i => borders[i] = Borders(HaloWindow.Read(source, layout[i], 0), eightConnected));
        var stitch = new ComponentStitch(layout, borders, eightConnected);
        var partials = new SievePartials[layout.Count];
        Parallel.For(0, layout.Count, parallel, i =>
            partials[i] = Neighbours(HaloWindow.Read(source, layout[i], 1), stitch.Neighbourhood(i), minimumCells, eightConnected, width));
        var reach = Resolve(stitch, partials, minimumCells);
        Parallel.For(0, layout.Count, parallel, i =>
        {
            var block = layout[i];
            var n = stitch.Neighbourhood(i);
            var cells = Apply(HaloWindow.Read(source, block, 1), n, ReachFor(n, reach), minimumCells, eightConnected, width);
            sink.WriteWindow(block.X, block.Y, block.Width, block.Height, cells.Data);
        });
    }

    private static bool IsBetter(long size, long key, long currentSize, long currentKey) => size > currentSize || (size == currentSize && key < currentKey);

    private static Analysis Analyse(HaloWindow window, BlockNeighbourhood n, int minimumCells, bool eightConnected, int gridWidth)
    {
        var block = window.Block;
        var core = window.Core();
        var components = ConnectedComponents.Label(core, eightConnected);
        var (_, edgeIndex) = BlockBorder.Of(block, components);
        var a = new Analysis(components, edgeIndex, n, minimumCells);
        var labels = components.Labels;
        int w = block.Width, h = block.Height;

        // A component reference: a global id (≥ 0), or −(label + 1) for a component inside this block.
        long RefAt(int x, int y) // block coordinates; may be one cell outside the block
        {
            if (x >= 0 && y >= 0 && x < w && y < h)
            {
                var label = labels[x, y];
                return label < 0 ? NoData : edgeIndex[label] >= 0 ? n.Own[edgeIndex[label]] : -(long)label - 1;
            }

            var g = n.HaloId(block, block.X + x, block.Y + y);
            return g < 0 ? NoData : g;
        }

        for (var y = 0; y < h; y++)
        {
            var rowKey = ((long)(block.Y + y) * gridWidth) + block.X;
            for (var x = 0; x < w; x++)
            {
                var id = RefAt(x, y);
                if (id == NoData)
                {
                    continue;
                }

                var key = (rowKey + x) * 4;
                if (block.Y + y > 0)
                {
                    a.Compare(id, RefAt(x, y - 1), key);
                    if (eightConnected && block.X + x > 0)
                    {
                        a.Compare(id, RefAt(x - 1, y - 1), key + 1);
                    }

                    if (eightConnected && block.X + x < gridWidth - 1)
                    {
                        a.Compare(id, RefAt(x + 1, y - 1), key + 2);
                    }
                }

                if (block.X + x > 0)
                {
                    a.Compare(id, RefAt(x - 1, y), key + 3);
                }
            }
        }

        return a;
    }

    private sealed class Analysis(ConnectedComponents components, int[] edgeIndex, BlockNeighbourhood n, int minimumCells)
    {
        private readonly (long Size, long Key, long Ref)[] _localBest = Enumerable.Repeat((-1L, long.MaxValue, NoData), components.Count).ToArray();
        private readonly SieveExit?[] _exits = new SieveExit?[components.Count];

        public ConnectedComponents Components => components;

        public int[] EdgeIndex => edgeIndex;

        public Dictionary<int, (long Size, long Key, long Ref)> GlobalBest { get; } = [];

        public void Compare(long a, long b, long key)
        {
            if (b == NoData || a == b)
            {
                return;
            }

            Offer(a, b, key);
            Offer(b, a, key);
        }

        private long SizeOf(long r) => r >= 0 ? n.Sizes[(int)r] : components.Sizes[(int)(-r - 1)];

        private void Offer(long to, long candidate, long key)
        {
            var size = SizeOf(candidate);
            if (to >= 0)
            {
                var g = (int)to;
                if (!GlobalBest.TryGetValue(g, out var current) || IsBetter(size, key, current.Size, current.Key))
                {
                    GlobalBest[g] = (size, key, candidate);
                }

                return;
            }

            var label = (int)(-to - 1);
            ref var best = ref _localBest[label];
            if (IsBetter(size, key, best.Size, best.Key))
            {
                best = (size, key, candidate);
            }
        }

        /// <summary>Where a chain arriving at the referenced component goes.</summary>
        public SieveExit ExitOfRef(long r)
        {
            if (r >= 0)
            {
                var g = (int)r;
                return n.Sizes[g] >= minimumCells ? SieveExit.Of(n.Values[g]) : SieveExit.To(g);
            }

            var label = (int)(-r - 1);
            return components.Sizes[label] >= minimumCells ? SieveExit.Of(components.Values[label]) : Exit(label);
        }

        /// <summary>Where the chain from a small component inside the block leads (memoised; loops end in None).</summary>
        public SieveExit Exit(int label)
        {
            if (_exits[label] is { } known)
            {
                return known;
            }

            var path = new List<int>();
            var onPath = new HashSet<int>();
            var cur = label;
            SieveExit outcome;
            while (true)
            {
                if (_exits[cur] is { } k)
                {
                    outcome = k;
                    break;
                }

                if (!onPath.Add(cur))
                {
                    outcome = SieveExit.None;
                    break;
                }

                path.Add(cur);
                var next = _localBest[cur].Ref;
                if (next == NoData)
                {
                    outcome = SieveExit.None;
                    break;
                }

                if (next >= 0 || components.Sizes[(int)(-next - 1)] >= minimumCells)
                {
                    outcome = ExitOfRef(next);
                    break;
                }

                cur = (int)(-next - 1);
            }

            foreach (var p in path)
            {
                _exits[p] = outcome;
            }

            return outcome;
        }
    }
}
