namespace GeoRisk.Raster.Classify;

/// <summary>Connected regions of equal value (4- or 8-connected); NaN cells get label -1.</summary>
public sealed class ConnectedComponents
{
    private ConnectedComponents(RasterBuffer<int> labels, int[] sizes, float[] values)
    {
        Labels = labels;
        Sizes = sizes;
        Values = values;
    }

    public RasterBuffer<int> Labels { get; }

    /// <summary>Cells per label.</summary>
    public int[] Sizes { get; }

    /// <summary>Cell value per label.</summary>
    public float[] Values { get; }

    public int Count => Sizes.Length;

    /// <summary>The grid with each labelled cell given its label's entry in <paramref name="valueOfLabel"/>; unlabelled (NaN) cells stay NaN.</summary>
    public RasterBuffer<float> Paint(float[] valueOfLabel)
    {
        var output = RasterBuffer<float>.Uninitialized(Labels.Width, Labels.Height);
        for (var i = 0; i < output.Data.Length; i++)
        {
            var label = Labels.Data[i];
            output.Data[i] = label < 0 ? float.NaN : valueOfLabel[label];
        }

        return output;
    }

    /// <summary>
    /// Two-pass labelling with union-find over runs of equal cells (one union per touching pair of runs
    /// rather than one per cell); labels are numbered in scan order of first appearance.
    /// </summary>
    public static ConnectedComponents Label(RasterBuffer<float> grid, bool eightConnected = false)
    {
        int w = grid.Width, h = grid.Height;
        var runs = new Runs(Math.Max(16, w * h / 16));
        var parent = new int[1024];
        var ids = 0;
        var reach = eightConnected ? 1 : 0; // runs touch across rows when they overlap, or (8-connected) meet at a corner
        int previousFirst = 0, previousEnd = 0;
        for (var y = 0; y < h; y++)
        {
            var row = grid.GetRow(y);
            var first = runs.Count;
            var j = previousFirst;
            for (var x0 = 0; x0 < w;)
            {
                var v = row[x0];
                var x1 = x0 + 1;
                while (x1 < w && row[x1].Equals(v))
                {
                    x1++;
                }

                var id = -1;
                if (!float.IsNaN(v))
                {
                    // Runs of the row above that touch [x0, x1): those ending after x0 − reach and starting before x1 + reach.
                    while (j < previousEnd && runs.End[j] + reach <= x0)
                    {
                        j++;
                    }

                    for (var k = j; k < previousEnd && runs.Start[k] < x1 + reach; k++)
                    {
                        if (runs.Id[k] >= 0 && runs.Value[k].Equals(v))
                        {
                            id = id < 0 ? runs.Id[k] : Union(parent, id, runs.Id[k]);
                        }
                    }

                    if (id < 0)
                    {
                        if (ids == parent.Length)
                        {
                            Array.Resize(ref parent, ids * 2);
                        }

                        parent[ids] = ids;
                        id = ids++;
                    }
                }

                runs.Add(x0, x1, v, id);
                x0 = x1;
            }

            (previousFirst, previousEnd) = (first, runs.Count);
        }

        // Roots are the smallest id of their component, so numbering roots in id order is scan order.
        var final = new int[ids];
        var next = 0;
        for (var i = 0; i < ids; i++)
        {
            var root = Find(parent, i);
            final[i] = root == i ? next++ : final[root];
        }

        return Finish(runs, final, RasterBuffer<int>.Uninitialized(w, h), new int[next], new float[next], w);
    }

    private static ConnectedComponents Finish(Runs runs, int[] final, RasterBuffer<int> labels, int[] sizes, float[] values, int width)
    {
        var y = 0;
        for (var r = 0; r < runs.Count; r++)
        {
            if (r > 0 && runs.Start[r] == 0)
            {
                y++; // every row's first run starts at column 0
            }

            var span = labels.Data.AsSpan((y * width) + runs.Start[r], runs.End[r] - runs.Start[r]);
            if (runs.Id[r] < 0)
            {
                span.Fill(-1);
                continue;
            }

            var label = final[runs.Id[r]];
            span.Fill(label);
            sizes[label] += span.Length;
            values[label] = runs.Value[r];
        }

        return new ConnectedComponents(labels, sizes, values);
    }

    internal static int Find(int[] parent, int a)
    {
        while (parent[a] != a)
        {
            parent[a] = parent[parent[a]];
            a = parent[a];
        }

        return a;
    }

    /// <summary>Joins the sets of a and b and returns the root, the smaller id (so final labels follow scan order).</summary>
    internal static int Union(int[] parent, int a, int b)
    {
        a = Find(parent, a);
        b = Find(parent, b);
        if (a < b)
        {
            parent[b] = a;
            return a;
        }

        parent[a] = b;
        return b;
    }

    /// <summary>Runs of equal cells, row after row, as parallel growable arrays.</summary>
    private sealed class Runs(int capacity)
    {
        public int[] Start = new int[capacity];
        public int[] End = new int[capacity];
        public float[] Value = new float[capacity];
        public int[] Id = new int[capacity];

        public int Count { get; private set; }

        public void Add(int start, int end, float value, int id)
        {
            if (Count == Start.Length)
            {
                var size = Count * 2;
                Array.Resize(ref Start, size);
                Array.Resize(ref End, size);
                Array.Resize(ref Value, size);
                Array.Resize(ref Id, size);
            }

            (Start[Count], End[Count], Value[Count], Id[Count]) = (start, end, value, id);
            Count++;
        }
    }
}
