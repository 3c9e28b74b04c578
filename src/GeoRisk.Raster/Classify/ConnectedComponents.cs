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

    /// <summary>Two-pass labelling with union-find; labels are numbered in scan order of first appearance.</summary>
    public static ConnectedComponents Label(RasterBuffer<float> grid, bool eightConnected = false)
    {
        int w = grid.Width, h = grid.Height;
        var provisional = RasterBuffer<int>.Uninitialized(w, h);
        var parent = new List<int>();
        int Find(int a)
        {
            while (parent[a] != a)
            {
                parent[a] = parent[parent[a]];
                a = parent[a];
            }

            return a;
        }

        void Union(int a, int b)
        {
            a = Find(a);
            b = Find(b);
            if (a != b)
            {
                // The smaller id stays the root so final labels follow scan order.
                if (a < b)
                {
                    parent[b] = a;
                }
                else
                {
                    parent[a] = b;
                }
            }
        }

        for (var y = 0; y < h; y++)
        {
            var row = grid.GetRow(y);
            var ids = provisional.GetRow(y);
            var upRow = y > 0 ? grid.GetRow(y - 1) : default;
            var upIds = y > 0 ? provisional.GetRow(y - 1) : default;
            for (var x = 0; x < w; x++)
            {
                var v = row[x];
                if (float.IsNaN(v))
                {
                    ids[x] = -1;
                    continue;
                }

                var id = -1;
                if (x > 0 && row[x - 1].Equals(v))
                {
                    id = ids[x - 1];
                }

                if (y > 0)
                {
                    // Up, then (8-connectivity) up-left and up-right.
                    for (var k = 0; k < (eightConnected ? 3 : 1); k++)
                    {
                        var nx = k == 0 ? x : k == 1 ? x - 1 : x + 1;
                        if ((uint)nx < (uint)w && upRow[nx].Equals(v))
                        {
                            if (id < 0)
                            {
                                id = upIds[nx];
                            }
                            else
                            {
                                Union(id, upIds[nx]);
                            }
                        }
                    }
                }

                if (id < 0)
                {
                    id = parent.Count;
                    parent.Add(id);
                }

                ids[x] = id;
            }
        }

        var final = new int[parent.Count];
        var next = 0;
        for (var i = 0; i < parent.Count; i++)
        {
            final[i] = Find(i) == i ? next++ : -1;
        }

        var sizes = new int[next];
        var values = new float[next];
        for (var i = 0; i < provisional.Data.Length; i++)
        {
            var p = provisional.Data[i];
            if (p < 0)
            {
                continue;
            }

            var label = final[Find(p)];
            provisional.Data[i] = label;
            sizes[label]++;
            values[label] = grid.Data[i];
        }

        return new ConnectedComponents(provisional, sizes, values);
    }
}
