using GeoRisk.Raster.Classify;

namespace GeoRisk.Raster.Blocks;

/// <summary>
/// What the first pass of a block-wise connected-component step reports about one block: its components
/// that touch the block's edge (with their cell counts and values) and, along the four edges, which of them
/// each edge cell belongs to. Components that do not touch the edge are the block's own business; only the
/// edge ones are stitched across blocks (docs/SCALE.md §sieve and polygonize).
/// </summary>
public sealed class BlockBorder
{
    public required int Block { get; init; }

    /// <summary>Edge components' sizes within this block, by edge index.</summary>
    public required long[] Sizes { get; init; }

    /// <summary>Edge components' values, by edge index.</summary>
    public required float[] Values { get; init; }

    /// <summary>Edge index of each cell of the top row, bottom row, left and right column (−1 for nodata).</summary>
    public required int[] Top { get; init; }

    public required int[] Bottom { get; init; }

    public required int[] Left { get; init; }

    public required int[] Right { get; init; }

    public int Count => Sizes.Length;

    /// <summary>Labels a block's cells and reports its edge components.</summary>
    public static BlockBorder Of(BlockRect block, RasterBuffer<float> core, bool eightConnected) =>
        Of(block, ConnectedComponents.Label(core, eightConnected)).Border;

    /// <summary>The edge components of an already labelled block, and each local label's edge index (−1 inside).</summary>
    public static (BlockBorder Border, int[] EdgeIndexOfLabel) Of(BlockRect block, ConnectedComponents components)
    {
        var labels = components.Labels;
        int w = labels.Width, h = labels.Height;
        var edgeIndex = new int[components.Count];
        Array.Fill(edgeIndex, -1);
        var sizes = new List<long>();
        var values = new List<float>();
        int Index(int label)
        {
            if (label < 0)
            {
                return -1;
            }

            if (edgeIndex[label] < 0)
            {
                edgeIndex[label] = sizes.Count;
                sizes.Add(components.Sizes[label]);
                values.Add(components.Values[label]);
            }

            return edgeIndex[label];
        }

        var top = new int[w];
        var bottom = new int[w];
        var left = new int[h];
        var right = new int[h];
        for (var x = 0; x < w; x++)
        {
            top[x] = Index(labels[x, 0]);
        }

        for (var y = 0; y < h; y++)
        {
            left[y] = Index(labels[0, y]);
            right[y] = Index(labels[w - 1, y]);
        }

        for (var x = 0; x < w; x++)
        {
            bottom[x] = Index(labels[x, h - 1]);
        }

        return (new BlockBorder { Block = block.Index, Sizes = [.. sizes], Values = [.. values], Top = top, Bottom = bottom, Left = left, Right = right }, edgeIndex);
    }

    public void Write(BinaryWriter w)
    {
        w.Write(Block);
        WriteArray(w, Sizes, (bw, v) => bw.Write(v));
        WriteArray(w, Values, (bw, v) => bw.Write(v));
        foreach (var edge in new[] { Top, Bottom, Left, Right })
        {
            WriteArray(w, edge, (bw, v) => bw.Write(v));
        }
    }

    public static BlockBorder Read(BinaryReader r) => new()
    {
        Block = r.ReadInt32(),
        Sizes = ReadArray(r, br => br.ReadInt64()),
        Values = ReadArray(r, br => br.ReadSingle()),
        Top = ReadArray(r, br => br.ReadInt32()),
        Bottom = ReadArray(r, br => br.ReadInt32()),
        Left = ReadArray(r, br => br.ReadInt32()),
        Right = ReadArray(r, br => br.ReadInt32()),
    };

    internal static void WriteArray<T>(BinaryWriter w, IReadOnlyList<T> items, Action<BinaryWriter, T> write)
    {
        w.Write(items.Count);
        foreach (var item in items)
        {
            write(w, item);
        }
    }

    internal static T[] ReadArray<T>(BinaryReader r, Func<BinaryReader, T> read)
    {
        var n = r.ReadInt32();
        if (n < 0)
        {
            throw new InvalidDataException("Negative array length in a block message.");
        }

        var items = new T[n];
        for (var i = 0; i < n; i++)
        {
            items[i] = read(r);
        }

        return items;
    }
}

/// <summary>
/// The global identity of the components that cross block edges: a component is every edge component of
/// every block joined where equal cells meet across an edge (union-find over the edge cells, 4- or
/// 8-connected; 8-connectivity also joins diagonal blocks at their corners). Memory follows the number of
/// edge components, not the grid.
/// </summary>
public sealed class ComponentStitch
{
    private readonly int[] _offset; // first global slot of each block
    private readonly int[] _parent;
    private readonly BlockBorder?[] _borders;

    public ComponentStitch(BlockLayout layout, IReadOnlyList<BlockBorder> borders, bool eightConnected)
    {
        Layout = layout;
        EightConnected = eightConnected;
        _borders = new BlockBorder?[layout.Count];
        foreach (var b in borders)
        {
            _borders[b.Block] = b;
        }

        _offset = new int[layout.Count + 1];
        for (var i = 0; i < layout.Count; i++)
        {
            var b = _borders[i] ?? throw new ArgumentException($"Block {i} has no border summary.", nameof(borders));
            _offset[i + 1] = checked(_offset[i] + b.Count);
        }

        _parent = new int[_offset[^1]];
        for (var i = 0; i < _parent.Length; i++)
        {
            _parent[i] = i;
        }

        for (var row = 0; row < layout.Rows; row++)
        {
            for (var col = 0; col < layout.Columns; col++)
            {
                var a = layout.Block(col, row);
                if (col + 1 < layout.Columns)
                {
                    JoinSideBySide(a, layout.Block(col + 1, row));
                }

                if (row + 1 < layout.Rows)
                {
                    JoinAboveBelow(a, layout.Block(col, row + 1));
                    if (eightConnected && col + 1 < layout.Columns)
                    {
                        // Bottom-right corner of a with the top-left corner of its diagonal neighbour.
                        var d = layout.Block(col + 1, row + 1);
                        Join(a.Index, _borders[a.Index]!.Bottom[^1], d.Index, _borders[d.Index]!.Top[0]);
                    }

                    if (eightConnected && col > 0)
                    {
                        var d = layout.Block(col - 1, row + 1);
                        Join(a.Index, _borders[a.Index]!.Bottom[0], d.Index, _borders[d.Index]!.Top[^1]);
                    }
                }
            }
        }

        Sizes = new long[_parent.Length];
        Values = new float[_parent.Length];
        for (var block = 0; block < layout.Count; block++)
        {
            var b = _borders[block]!;
            for (var i = 0; i < b.Count; i++)
            {
                var root = Find(_offset[block] + i);
                Sizes[root] += b.Sizes[i];
                Values[root] = b.Values[i];
            }
        }
    }

    public BlockLayout Layout { get; }

    public bool EightConnected { get; }

    /// <summary>Cells of each global component, indexed by its id (only roots carry the total).</summary>
    public long[] Sizes { get; }

    /// <summary>Value of each global component, by id.</summary>
    public float[] Values { get; }

    /// <summary>Number of edge components over all blocks (the stitch's memory).</summary>
    public int EdgeComponents => _parent.Length;

    /// <summary>True for the slot that is a global component's id (its smallest slot).</summary>
    public bool IsRoot(int slot) => Find(slot) == slot;

    /// <summary>The global id of a block's edge component.</summary>
    public int GlobalId(int block, int edgeIndex) => Find(_offset[block] + edgeIndex);

    /// <summary>The global id of the component of an edge cell of any block, −1 for nodata (or outside the grid).</summary>
    public int GlobalIdAt(int x, int y)
    {
        if (x < 0 || y < 0 || x >= Layout.GridWidth || y >= Layout.GridHeight)
        {
            return -1;
        }

        var r = Layout.BlockOf(x, y);
        var b = _borders[r.Index]!;
        var edge = y == r.Y ? b.Top[x - r.X]
            : y == r.Bottom - 1 ? b.Bottom[x - r.X]
            : x == r.X ? b.Left[y - r.Y]
            : x == r.Right - 1 ? b.Right[y - r.Y]
            : throw new ArgumentException($"Cell ({x}, {y}) is not on the edge of its block.");
        return edge < 0 ? -1 : GlobalId(r.Index, edge);
    }

    /// <summary>
    /// Everything a block's later passes need to know about the world outside it: the global ids of its
    /// own edge components, of the row above it (one cell wider on each side) and of the column left of it,
    /// and the sizes of all of those.
    /// </summary>
    public BlockNeighbourhood Neighbourhood(int blockIndex)
    {
        var r = Layout[blockIndex];
        var b = _borders[blockIndex]!;
        var own = new int[b.Count];
        for (var i = 0; i < own.Length; i++)
        {
            own[i] = GlobalId(blockIndex, i);
        }

        var top = new int[r.Width + 2];
        for (var i = 0; i < top.Length; i++)
        {
            top[i] = GlobalIdAt(r.X - 1 + i, r.Y - 1);
        }

        var left = new int[r.Height];
        var right = new int[r.Height];
        for (var i = 0; i < left.Length; i++)
        {
            left[i] = GlobalIdAt(r.X - 1, r.Y + i);
            right[i] = GlobalIdAt(r.Right, r.Y + i);
        }

        var sizes = new Dictionary<int, long>();
        var values = new Dictionary<int, float>();
        foreach (var id in own.Concat(top).Concat(left).Concat(right))
        {
            if (id >= 0)
            {
                sizes[id] = Sizes[id];
                values[id] = Values[id];
            }
        }

        return new BlockNeighbourhood { Block = blockIndex, Own = own, Top = top, Left = left, Right = right, Sizes = sizes, Values = values };
    }

    private void JoinSideBySide(BlockRect a, BlockRect b)
    {
        var ea = _borders[a.Index]!.Right;
        var eb = _borders[b.Index]!.Left;
        for (var y = 0; y < a.Height; y++)
        {
            Join(a.Index, ea[y], b.Index, eb[y]);
            if (EightConnected)
            {
                if (y > 0)
                {
                    Join(a.Index, ea[y], b.Index, eb[y - 1]);
                }

                if (y + 1 < a.Height)
                {
                    Join(a.Index, ea[y], b.Index, eb[y + 1]);
                }
            }
        }
    }

    private void JoinAboveBelow(BlockRect a, BlockRect b)
    {
        var ea = _borders[a.Index]!.Bottom;
        var eb = _borders[b.Index]!.Top;
        for (var x = 0; x < a.Width; x++)
        {
            Join(a.Index, ea[x], b.Index, eb[x]);
            if (EightConnected)
            {
                if (x > 0)
                {
                    Join(a.Index, ea[x], b.Index, eb[x - 1]);
                }

                if (x + 1 < a.Width)
                {
                    Join(a.Index, ea[x], b.Index, eb[x + 1]);
                }
            }
        }
    }

    private void Join(int blockA, int edgeA, int blockB, int edgeB)
    {
        if (edgeA < 0 || edgeB < 0 || !_borders[blockA]!.Values[edgeA].Equals(_borders[blockB]!.Values[edgeB]))
        {
            return;
        }

        var ra = Find(_offset[blockA] + edgeA);
        var rb = Find(_offset[blockB] + edgeB);
        if (ra != rb)
        {
            // The smaller slot stays the root, so ids do not depend on the order of joins.
            if (ra < rb)
            {
                _parent[rb] = ra;
            }
            else
            {
                _parent[ra] = rb;
            }
        }
    }

    private int Find(int a)
    {
        while (_parent[a] != a)
        {
            _parent[a] = _parent[_parent[a]];
            a = _parent[a];
        }

        return a;
    }
}

/// <summary>A block's view of the stitched components around it (see <see cref="ComponentStitch.Neighbourhood"/>).</summary>
public sealed class BlockNeighbourhood
{
    public required int Block { get; init; }

    /// <summary>Global id of each of the block's edge components, by edge index.</summary>
    public required int[] Own { get; init; }

    /// <summary>Global ids of the cells of the row above the block, from one left of it to one right of it (−1 nodata or outside).</summary>
    public required int[] Top { get; init; }

    /// <summary>Global ids of the cells of the column left of the block.</summary>
    public required int[] Left { get; init; }

    /// <summary>Global ids of the cells of the column right of the block.</summary>
    public required int[] Right { get; init; }

    /// <summary>The global id of a cell just outside the block (row above, column left or right), −1 for nodata or outside the grid.</summary>
    public int HaloId(BlockRect block, int x, int y) =>
        y == block.Y - 1 ? Top[x - block.X + 1]
        : x == block.X - 1 ? Left[y - block.Y]
        : x == block.Right ? Right[y - block.Y]
        : throw new ArgumentOutOfRangeException(nameof(x), $"Cell ({x}, {y}) is not in the halo this neighbourhood covers.");

    /// <summary>Whole-grid size of every global component named here.</summary>
    public required IReadOnlyDictionary<int, long> Sizes { get; init; }

    public required IReadOnlyDictionary<int, float> Values { get; init; }

    public void Write(BinaryWriter w)
    {
        w.Write(Block);
        BlockBorder.WriteArray(w, Own, (bw, v) => bw.Write(v));
        BlockBorder.WriteArray(w, Top, (bw, v) => bw.Write(v));
        BlockBorder.WriteArray(w, Left, (bw, v) => bw.Write(v));
        BlockBorder.WriteArray(w, Right, (bw, v) => bw.Write(v));
        BlockBorder.WriteArray(w, Sizes.OrderBy(kv => kv.Key).ToList(), (bw, kv) =>
        {
            bw.Write(kv.Key);
            bw.Write(kv.Value);
            bw.Write(Values[kv.Key]);
        });
    }

    public static BlockNeighbourhood Read(BinaryReader r)
    {
        var block = r.ReadInt32();
        var own = BlockBorder.ReadArray(r, br => br.ReadInt32());
        var top = BlockBorder.ReadArray(r, br => br.ReadInt32());
        var left = BlockBorder.ReadArray(r, br => br.ReadInt32());
        var right = BlockBorder.ReadArray(r, br => br.ReadInt32());
        var entries = BlockBorder.ReadArray(r, br => (Id: br.ReadInt32(), Size: br.ReadInt64(), Value: br.ReadSingle()));
        return new BlockNeighbourhood
        {
            Block = block,
            Own = own,
            Top = top,
            Left = left,
            Right = right,
            Sizes = entries.ToDictionary(e => e.Id, e => e.Size),
            Values = entries.ToDictionary(e => e.Id, e => e.Value),
        };
    }
}
