namespace GeoRisk.Raster.Classify;

/// <summary>
/// Minimum mapping unit, as gdal_sieve does it: every region smaller than the threshold follows the chain
/// of "largest neighbour" links until it reaches a region that meets the threshold, and takes that
/// region's value; if the chain ends or loops first, it stays. Neighbours are compared in scan order (up,
/// up-left and up-right for 8-connectivity, then left), the first of equally large neighbours winning,
/// and regions are resolved in scan order, so results match GDAL's cell for cell. Nodata never changes.
/// </summary>
public static class Sieve
{
    public static RasterBuffer<float> Apply(RasterBuffer<float> classes, int minimumCells, bool eightConnected = false)
    {
        var components = ConnectedComponents.Label(classes, eightConnected);
        var labels = components.Labels;
        var sizes = components.Sizes;
        var biggest = new int[components.Count];
        Array.Fill(biggest, -1);
        void Compare(int a, int b)
        {
            if (a < 0 || b < 0 || a == b)
            {
                return;
            }

            if (biggest[a] == -1 || sizes[biggest[a]] < sizes[b])
            {
                biggest[a] = b;
            }

            if (biggest[b] == -1 || sizes[biggest[b]] < sizes[a])
            {
                biggest[b] = a;
            }
        }

        int w = classes.Width, h = classes.Height;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var id = labels[x, y];
                if (y > 0)
                {
                    Compare(id, labels[x, y - 1]);
                    if (eightConnected && x > 0)
                    {
                        Compare(id, labels[x - 1, y - 1]);
                    }

                    if (eightConnected && x < w - 1)
                    {
                        Compare(id, labels[x + 1, y - 1]);
                    }
                }

                if (x > 0)
                {
                    Compare(id, labels[x - 1, y]);
                }
            }
        }

        var visited = new HashSet<int>();
        for (var i = 0; i < components.Count; i++)
        {
            if (sizes[i] >= minimumCells)
            {
                biggest[i] = -1;
                continue;
            }

            if (biggest[i] < 0)
            {
                continue;
            }

            visited.Clear();
            visited.Add(i);
            var target = i;
            var found = false;
            while (true)
            {
                target = biggest[target];
                if (target < 0)
                {
                    break;
                }

                if (sizes[target] >= minimumCells)
                {
                    found = true;
                    break;
                }

                if (!visited.Add(target))
                {
                    break;
                }
            }

            if (!found)
            {
                biggest[i] = -1;
                continue;
            }

            // Point every small region on the way straight at the target.
            for (var cur = i; biggest[cur] != target;)
            {
                var next = biggest[cur];
                biggest[cur] = target;
                cur = next;
            }
        }

        var remap = new float[components.Count];
        for (var i = 0; i < remap.Length; i++)
        {
            remap[i] = biggest[i] >= 0 ? components.Values[biggest[i]] : components.Values[i];
        }

        var output = RasterBuffer<float>.Uninitialized(w, h);
        for (var i = 0; i < output.Data.Length; i++)
        {
            var label = labels.Data[i];
            output.Data[i] = label < 0 ? float.NaN : remap[label];
        }

        return output;
    }
}
