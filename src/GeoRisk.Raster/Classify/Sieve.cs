using System.Runtime.CompilerServices;

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
        var biggest = LargestNeighbours(components, eightConnected);
        ResolveTargets(biggest, components.Sizes, minimumCells);
        return Relabel(components, biggest);
    }

    /// <summary>For each region, its largest neighbour (the first met in scan order among equals), or -1 for none.</summary>
    private static int[] LargestNeighbours(ConnectedComponents components, bool eightConnected)
    {
        var labels = components.Labels;
        var sizes = components.Sizes;
        var biggest = new int[components.Count];
        Array.Fill(biggest, -1);
        int w = labels.Width, h = labels.Height;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var id = labels[x, y];
                if (y > 0)
                {
                    Compare(biggest, sizes, id, labels[x, y - 1]);
                    if (eightConnected && x > 0)
                    {
                        Compare(biggest, sizes, id, labels[x - 1, y - 1]);
                    }

                    if (eightConnected && x < w - 1)
                    {
                        Compare(biggest, sizes, id, labels[x + 1, y - 1]);
                    }
                }

                if (x > 0)
                {
                    Compare(biggest, sizes, id, labels[x - 1, y]);
                }
            }
        }

        return biggest;
    }

    /// <summary>Records each of two adjacent regions as the other's largest neighbour when it is larger than the one known.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Compare(int[] biggest, int[] sizes, int a, int b)
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

    /// <summary>
    /// Turns <paramref name="biggest"/> into the merge target of each region, in scan order: -1 for regions that
    /// meet the threshold or whose chain ends or loops before reaching one, else the first region on the chain that does.
    /// </summary>
    private static void ResolveTargets(int[] biggest, int[] sizes, int minimumCells)
    {
        var visited = new HashSet<int>();
        for (var i = 0; i < biggest.Length; i++)
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

            var target = FollowChain(biggest, sizes, minimumCells, i, visited);
            if (target < 0)
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
    }

    /// <summary>The first region on the chain from <paramref name="start"/> that meets the threshold, or -1 when the chain ends or loops.</summary>
    private static int FollowChain(int[] biggest, int[] sizes, int minimumCells, int start, HashSet<int> visited)
    {
        visited.Clear();
        visited.Add(start);
        var target = start;
        while (true)
        {
            target = biggest[target];
            if (target < 0)
            {
                return -1;
            }

            if (sizes[target] >= minimumCells)
            {
                return target;
            }

            if (!visited.Add(target))
            {
                return -1;
            }
        }
    }

    /// <summary>Each cell gets the value of its region's target (or its own); nodata stays NaN.</summary>
    private static RasterBuffer<float> Relabel(ConnectedComponents components, int[] biggest)
    {
        var remap = new float[components.Count];
        for (var i = 0; i < remap.Length; i++)
        {
            remap[i] = biggest[i] >= 0 ? components.Values[biggest[i]] : components.Values[i];
        }

        return components.Paint(remap);
    }
}
