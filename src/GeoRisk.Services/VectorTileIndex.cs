using System.Collections.Concurrent;
using GeoRisk.Core.Validation;
using GeoRisk.Tiles;
using NetTopologySuite.Coverage;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Simplify;

namespace GeoRisk.Services;

/// <summary>
/// The tiling index of one tileset version: features in Web Mercator with a spatial index, and per-zoom simplified
/// geometry. Zoning polygons are simplified as a coverage for the whole layer at once (shared edges stay shared);
/// other layers feature by feature, on demand: the first tile of a zoom simplifies only the features it touches,
/// so a cold tile of a million-vertex layer costs what its own features cost, and an empty one nothing.
/// </summary>
public sealed class VectorTileIndex
{
    /// <summary>Zooms below this are simplified; from here on the stored geometry is finer than a tile unit anyway.</summary>
    public const int SimplifyBelowZoom = 14;

    private readonly List<TileFeature> _features = [];
    private readonly STRtree<int> _index = new();
    private readonly bool _coverage;
    private readonly ConcurrentDictionary<int, Lazy<Geometry[]>> _simplified = new();

    /// <summary>
    /// Zooms below this are simplified from each feature's base simplification (made once at this zoom's tolerance)
    /// instead of from the stored geometry: at low zooms a tile touches most of a layer, and the base has a few
    /// percent of its vertices.
    /// </summary>
    public const int BaseZoom = 10;

    // Non-coverage layers: per zoom, each feature's simplified geometry once some tile has needed it (null = not yet),
    // and the base simplification the lower zooms start from.
    private readonly ConcurrentDictionary<int, Geometry?[]> _simplifiedLazily = new();
    private Geometry?[]? _base;
    private readonly Dictionary<string, string> _fields = new(StringComparer.Ordinal);

    /// <summary>Attribute name → TileJSON type of the attributes the features carry (see <see cref="TileService.FieldsAsync"/>).</summary>
    public IReadOnlyDictionary<string, string> Fields => _fields;

    /// <param name="features">The features in EPSG:4490/4326 lon/lat.</param>
    /// <param name="coverage">Simplify as a polygon coverage (the zoning), keeping shared edges shared.</param>
    /// <param name="addSourceFid">Add the store's feature id as the attribute <c>source_fid</c>.</param>
    public VectorTileIndex(IReadOnlyList<GeoFeature> features, bool coverage, bool addSourceFid)
    {
        _coverage = coverage;
        foreach (var f in features)
        {
            var g = WebMercator.FromLonLat(f.Geometry);
            var attributes = addSourceFid ? new Dictionary<string, object?>(f.Attributes) { ["source_fid"] = f.Id } : f.Attributes;
            _index.Insert(g.EnvelopeInternal, _features.Count);
            _features.Add(new TileFeature((ulong)Math.Max(0, f.Id), g, attributes, g.Area + g.Length));
            foreach (var (name, value) in attributes)
            {
                if (FieldType(value) is { } type && !_fields.ContainsKey(name))
                {
                    _fields[name] = type;
                }
            }
        }

        _index.Build();
    }

    /// <summary>The TileJSON type of a value as the MVT encoder writes it; null for values it leaves out.</summary>
    private static string? FieldType(object? value) => value switch
    {
        null => null,
        string or DateOnly => "String",
        bool => "Boolean",
        int or long or short or byte or uint => "Number",
        double d => double.IsFinite(d) ? "Number" : null,
        float f => float.IsFinite(f) ? "Number" : null,
        _ => null,
    };

    /// <summary>The features within a tile and its 64-unit buffer, simplified for the tile's zoom, in index order.</summary>
    public IReadOnlyList<TileFeature> FeaturesFor(TileId tile)
    {
        var bounds = WebMercator.Bounds(tile);
        bounds.ExpandBy(bounds.Width * 64 / 4096);
        var hits = _index.Query(bounds).ToList();
        hits.Sort();
        if (tile.Z >= SimplifyBelowZoom)
        {
            return hits.Select(i => _features[i]).ToList();
        }

        if (!_coverage)
        {
            // Only the features this tile touches are simplified (and kept for the zoom's other tiles): the cost of a
            // cold tile follows its own features, not the layer's size. Two threads may simplify the same feature at
            // once; both results are identical, so the race is harmless.
            var cache = _simplifiedLazily.GetOrAdd(tile.Z, _ => new Geometry?[_features.Count]);
            var tolerance = Tolerance(tile.Z);
            return hits.Select(
                i => _features[i] with { Geometry = cache[i] ??= SimplifyOne(tile.Z < BaseZoom ? Base(i) : _features[i].Geometry, tolerance) }).ToList();
        }

        var simplified = _simplified.GetOrAdd(tile.Z, z => new Lazy<Geometry[]>(() => Simplify(z))).Value;
        return hits.Select(i => _features[i] with { Geometry = simplified[i] }).ToList();
    }

    /// <summary>
    /// Prepares a zoom ahead of requests (the service's warm-up): the zoning's coverage simplification; for other
    /// layers the base simplification of every feature (at <see cref="BaseZoom"/>), after which a cold low-zoom tile
    /// simplifies only small geometries. Without it the same work happens feature by feature as tiles ask.
    /// </summary>
    public void Prepare(int z)
    {
        if (_coverage && z < SimplifyBelowZoom)
        {
            _ = _simplified.GetOrAdd(z, zoom => new Lazy<Geometry[]>(() => Simplify(zoom))).Value;
        }
        else if (!_coverage && z == BaseZoom)
        {
            for (var i = 0; i < _features.Count; i++)
            {
                _ = Base(i);
            }
        }
    }

    private Geometry Base(int i)
    {
        var all = _base ?? Interlocked.CompareExchange(ref _base, new Geometry?[_features.Count], null) ?? _base!;
        return all[i] ??= SimplifyOne(_features[i].Geometry, Tolerance(BaseZoom));
    }

    // Half a screen pixel (8 of the tile's 4096 units): finer detail is invisible at this zoom, and dropping it keeps
    // clipping, validity checks and tile sizes proportional to what is drawn.
    private static double Tolerance(int z) => WebMercator.PixelSize(z) * 0.5;

    /// <summary>
    /// Douglas-Peucker with its validity repair (NTS fixes polygons it folds): several times faster than the
    /// topology-preserving simplifier on dense rings, and what it cannot keep apart at this tolerance is invisible;
    /// the MVT encoder makes every polygon valid on the tile grid anyway.
    /// </summary>
    private static Geometry SimplifyOne(Geometry g, double tolerance) =>
        g is Point or MultiPoint ? g : DouglasPeuckerSimplifier.Simplify(g, tolerance);

    private Geometry[] Simplify(int z)
    {
        // Shared edges are simplified once for both neighbours: no gaps or overlaps between zones.
        return CoverageSimplifier.Simplify(_features.Select(f => f.Geometry).ToArray(), Tolerance(z));
    }
}
