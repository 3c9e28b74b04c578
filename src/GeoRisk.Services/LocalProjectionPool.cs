using System.Collections.Concurrent;
using GeoRisk.Gdal;

namespace GeoRisk.Services;

/// <summary>
/// Azimuthal equidistant projections (docs/DOMAIN.md §10) centred on the nodes of a 0.01° lattice, kept open between site
/// queries. Built from the projection's pipeline a pair costs tens of microseconds (through PROJ's operation search it cost
/// milliseconds under a database lock, most of a site answer with sites spread over the region); a transformation must not be
/// used by two threads at once, so each query rents a pair and returns it. A site is at most
/// 0.005° from its node; distances measured from it then differ from the geodesic by under a centimetre within 50 km.
/// </summary>
internal static class LocalProjectionPool
{
    public const double NodeDegrees = 0.01;
    private const int MaxIdle = 256;
    private static readonly ConcurrentDictionary<(int Lon, int Lat), ConcurrentBag<Pair>> s_idle = new();
    private static int s_idleCount;

    /// <summary>A projection pair: lon/lat (EPSG:4490) to the local plane and back.</summary>
    public sealed class Pair(CoordinateTransformation toLocal, CoordinateTransformation fromLocal, (int Lon, int Lat) node) : IDisposable
    {
        public CoordinateTransformation ToLocal { get; } = toLocal;

        public CoordinateTransformation FromLocal { get; } = fromLocal;

        internal (int Lon, int Lat) Node { get; } = node;

        public void Dispose()
        {
            ToLocal.Dispose();
            FromLocal.Dispose();
        }
    }

    public static Pair Rent(double lon, double lat)
    {
        var node = ((int)Math.Round(lon / NodeDegrees), (int)Math.Round(lat / NodeDegrees));
        if (s_idle.TryGetValue(node, out var bag) && bag.TryTake(out var pair))
        {
            Interlocked.Decrement(ref s_idleCount);
            return pair;
        }

        var (toLocal, fromLocal) = SiteProjection.EquidistantPair(node.Item1 * NodeDegrees, node.Item2 * NodeDegrees);
        return new Pair(toLocal, fromLocal, node);
    }

    /// <summary>Keeps the pair for the next query near the same node, or closes it when the pool is full.</summary>
    public static void Return(Pair pair)
    {
        if (Interlocked.Increment(ref s_idleCount) > MaxIdle)
        {
            Interlocked.Decrement(ref s_idleCount);
            pair.Dispose();
            return;
        }

        s_idle.GetOrAdd(pair.Node, _ => []).Add(pair);
    }
}

/// <summary>
/// Transformations from lon/lat (EPSG:4490) to a zoning grid's CRS, kept open between site queries for the same reason as
/// <see cref="LocalProjectionPool"/>: building one costs more than reading the cells. Rented by one query at a time.
/// </summary>
internal static class GridProjectionPool
{
    private const int MaxIdlePerCrs = 64;
    private static readonly ConcurrentDictionary<string, ConcurrentBag<CoordinateTransformation>> s_idle = new(StringComparer.Ordinal);

    /// <summary>A rented transformation; disposing it returns it to the pool.</summary>
    public readonly struct Lease(string crs, CoordinateTransformation transformation) : IDisposable
    {
        public CoordinateTransformation ToGrid { get; } = transformation;

        public void Dispose()
        {
            var bag = s_idle.GetOrAdd(crs, _ => []);
            if (bag.Count < MaxIdlePerCrs)
            {
                bag.Add(ToGrid);
            }
            else
            {
                ToGrid.Dispose();
            }
        }
    }

    public static Lease Rent(string gridCrs)
    {
        if (s_idle.TryGetValue(gridCrs, out var bag) && bag.TryTake(out var idle))
        {
            return new Lease(gridCrs, idle);
        }

        using var lonLat = SpatialReference.FromEpsg(4490);
        using var gridSrs = SpatialReference.Parse(gridCrs);
        return new Lease(gridCrs, CoordinateTransformation.Create(lonLat, gridSrs));
    }
}
