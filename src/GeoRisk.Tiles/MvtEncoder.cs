using System.Globalization;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;

namespace GeoRisk.Tiles;

/// <summary>A feature to tile: geometry in EPSG:3857 metres, a stable id, attributes, and its weight when a tile must be thinned.</summary>
public sealed record TileFeature(ulong Id, Geometry Geometry, IReadOnlyDictionary<string, object?> Attributes, double Importance = 0);

public sealed record TileLayerInput(string Name, IReadOnlyList<TileFeature> Features);

/// <param name="Thinned">Features dropped per layer because the layer exceeded the per-tile limit (never silent).</param>
public sealed record EncodedTile(byte[] Bytes, int FeatureCount, IReadOnlyDictionary<string, int> Thinned)
{
    public bool IsEmpty => FeatureCount == 0;
}

/// <summary>
/// Encodes Mapbox Vector Tiles 2.1: features clipped to the tile plus a buffer, quantized to the extent,
/// exterior rings with positive surveyor's area in tile coordinates (clockwise with y down) and holes
/// negative, no zero-length segments, no repeated closing point, rings made valid again when quantization
/// folds them, unique keys and values per layer, and the caller's uint64 ids. Written by hand because
/// NetTopologySuite.IO.VectorTiles.Mapbox maps latitude linearly inside a tile (not Mercator), does not
/// clip and cannot report thinning.
/// </summary>
public sealed class MvtEncoder
{
    public uint Extent { get; init; } = 4096;

    /// <summary>Buffer around the tile in tile units, so strokes and labels do not break at tile edges.</summary>
    public int Buffer { get; init; } = 64;

    /// <summary>Most features per layer per tile; beyond it the least important are dropped and reported.</summary>
    public int MaxFeaturesPerLayer { get; init; } = 50_000;

    private static readonly GeometryFactory s_tileFactory = new(new PrecisionModel(PrecisionModels.Floating));
    private static readonly PrecisionModel s_integerGrid = new(1.0);

    public EncodedTile Encode(TileId tile, IReadOnlyList<TileLayerInput> layers)
    {
        var bounds = WebMercator.Bounds(tile);
        var scale = Extent / bounds.Width;
        var pad = Buffer / scale;
        var clip = new Envelope(bounds.MinX - pad, bounds.MaxX + pad, bounds.MinY - pad, bounds.MaxY + pad);
        var frame = new TileFrame(bounds, scale, clip, new GeometryFactory().ToGeometry(clip));
        var tileWriter = new ProtoWriter();
        var thinned = new Dictionary<string, int>(StringComparer.Ordinal);
        var total = 0;
        foreach (var layer in layers)
        {
            var candidates = Candidates(layer, clip, thinned);
            var full = new ProtoWriter();
            var count = EncodeLayer(full, layer.Name, candidates, frame);
            if (count == 0)
            {
                continue;
            }

            tileWriter.Bytes(3, full.WrittenSpan);
            total += count;
        }

        return new EncodedTile(tileWriter.WrittenSpan.ToArray(), total, thinned);
    }

    /// <summary>The tile's Mercator bounds, tile units per metre, and the buffered clip box (as envelope and geometry).</summary>
    private sealed record TileFrame(Envelope Bounds, double Scale, Envelope Clip, Geometry ClipGeometry);

    /// <summary>
    /// The layer's features whose envelope meets the clip box; past <see cref="MaxFeaturesPerLayer"/> the most
    /// important are kept (ties by id, then back in id order) and the number dropped is recorded in <paramref name="thinned"/>.
    /// </summary>
    private List<TileFeature> Candidates(TileLayerInput layer, Envelope clip, Dictionary<string, int> thinned)
    {
        var candidates = layer.Features.Where(f => f.Geometry.EnvelopeInternal.Intersects(clip)).ToList();
        if (candidates.Count > MaxFeaturesPerLayer)
        {
            thinned[layer.Name] = candidates.Count - MaxFeaturesPerLayer;
            candidates = candidates
                .OrderByDescending(f => f.Importance)
                .ThenBy(f => f.Id)
                .Take(MaxFeaturesPerLayer)
                .OrderBy(f => f.Id)
                .ToList();
        }

        return candidates;
    }

    /// <summary>Writes one layer message (version, name, features, keys, values, extent); returns the features written.</summary>
    private int EncodeLayer(ProtoWriter full, string name, List<TileFeature> candidates, TileFrame frame)
    {
        full.UInt(15, 2);
        full.String(1, name);
        var table = new LayerTable();
        var count = 0;
        foreach (var feature in candidates)
        {
            var (type, commands) = EncodeGeometry(ClipToTile(feature.Geometry, frame), frame.Bounds, frame.Scale, frame.Clip);
            if (commands.Count == 0)
            {
                continue;
            }

            var fw = new ProtoWriter();
            fw.UInt(1, feature.Id);
            fw.Packed(2, table.Tags(feature.Attributes));
            fw.UInt(3, (ulong)type);
            fw.Packed(4, commands);
            full.Bytes(2, fw.WrittenSpan);
            count++;
        }

        if (count > 0)
        {
            table.WriteTo(full);
            full.UInt(5, Extent);
        }

        return count;
    }

    /// <summary>Geometries inside the clip box pass as they are; points are filtered while encoding; the rest is clipped.</summary>
    private static Geometry ClipToTile(Geometry geometry, TileFrame frame)
    {
        if (frame.Clip.Contains(geometry.EnvelopeInternal))
        {
            return geometry;
        }

        return geometry switch
        {
            Point or MultiPoint => geometry,
            Polygon or MultiPolygon => ClipPolygons(geometry, frame.Clip),
            _ => geometry.Intersection(frame.ClipGeometry),
        };
    }

    /// <summary>A layer's key and value tables: each distinct key and (type, value) stored once, features refer to them by index.</summary>
    private sealed class LayerTable
    {
        private readonly Dictionary<string, uint> _keys = new(StringComparer.Ordinal);
        private readonly Dictionary<(int Kind, string Text), uint> _values = [];
        private readonly List<string> _keyList = [];
        private readonly List<(int Kind, string Text, object Value)> _valueList = [];

        /// <summary>The feature's tags (key index, value index pairs) in key order; nulls and unencodable values are skipped.</summary>
        public List<uint> Tags(IReadOnlyDictionary<string, object?> attributes)
        {
            var tags = new List<uint>();
            foreach (var (key, raw) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                if (raw is null || Classify(raw) is not { } v)
                {
                    continue;
                }

                if (!_keys.TryGetValue(key, out var k))
                {
                    k = _keys[key] = (uint)_keyList.Count;
                    _keyList.Add(key);
                }

                if (!_values.TryGetValue((v.Kind, v.Text), out var vi))
                {
                    vi = _values[(v.Kind, v.Text)] = (uint)_valueList.Count;
                    _valueList.Add((v.Kind, v.Text, v.Value));
                }

                tags.Add(k);
                tags.Add(vi);
            }

            return tags;
        }

        public void WriteTo(ProtoWriter full)
        {
            foreach (var key in _keyList)
            {
                full.String(3, key);
            }

            foreach (var (kind, _, value) in _valueList)
            {
                var vw = new ProtoWriter();
                switch (kind)
                {
                    case 0:
                        vw.String(1, (string)value);
                        break;
                    case 1:
                        vw.Double(3, (double)value);
                        break;
                    case 2:
                        vw.UInt(6, ProtoZigZag64((long)value));
                        break;
                    default:
                        vw.UInt(7, (bool)value ? 1UL : 0UL);
                        break;
                }

                full.Bytes(4, vw.WrittenSpan);
            }
        }
    }

    /// <summary>
    /// Clips polygon rings to the buffered tile with NTS's RingClipper (Cohen-Sutherland on each ring, linear
    /// in the ring's size) instead of a full overlay: a zone spanning many tiles would otherwise be noded
    /// again for every tile. The result can hold edges along the clip box and collapsed parts; the
    /// quantization step below makes every ring valid again.
    /// </summary>
    private static Geometry ClipPolygons(Geometry geometry, Envelope clip)
    {
        var clipper = new NetTopologySuite.Operation.OverlayNG.RingClipper(clip);
        var factory = geometry.Factory;
        var parts = new List<Polygon>();
        foreach (var polygon in Parts<Polygon>(geometry))
        {
            if (!polygon.EnvelopeInternal.Intersects(clip))
            {
                continue;
            }

            var shell = ClipRing(polygon.ExteriorRing, clipper, factory);
            if (shell is null)
            {
                continue;
            }

            var holes = polygon.InteriorRings.Where(
                h => h.EnvelopeInternal.Intersects(clip)).Select(h => ClipRing(h, clipper, factory)).OfType<LinearRing>().ToArray();
            parts.Add(factory.CreatePolygon(shell, holes));
        }

        return parts.Count == 1 ? parts[0] : factory.CreateMultiPolygon(parts.ToArray());
    }

    private static LinearRing? ClipRing(LineString ring, NetTopologySuite.Operation.OverlayNG.RingClipper clipper, GeometryFactory factory)
    {
        var pts = clipper.Clip(ring.Coordinates);
        if (pts.Length < 4)
        {
            return null;
        }

        if (!pts[0].Equals2D(pts[^1]))
        {
            pts = [.. pts, pts[0].Copy()];
        }

        return factory.CreateLinearRing(pts);
    }

    private static ulong ProtoZigZag64(long v) => (ulong)((v << 1) ^ (v >> 63));

    /// <summary>Value type and canonical text (for de-duplication): 0 string, 1 double, 2 integer, 3 bool.</summary>
    private static (int Kind, string Text, object Value)? Classify(object raw) => raw switch
    {
        string s => (0, s, s),
        bool b => (3, b ? "1" : "0", b),
        int or long or short or byte or uint =>
            (2, Convert.ToInt64(raw, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture), Convert.ToInt64(raw, CultureInfo.InvariantCulture)),
        double d when double.IsFinite(d) => (1, d.ToString("R", CultureInfo.InvariantCulture), d),
        float f when float.IsFinite(f) => (1, ((double)f).ToString("R", CultureInfo.InvariantCulture), (double)f),
        DateOnly date => (0, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        _ => null,
    };

    private enum GeomType
    {
        Point = 1,
        LineString = 2,
        Polygon = 3,
    }

    private static (GeomType Type, List<uint> Commands) EncodeGeometry(Geometry geometry, Envelope bounds, double scale, Envelope clip)
    {
        var commands = new List<uint>();
        var cursor = (X: 0, Y: 0);
        (int X, int Y) Q(Coordinate c) => ((int)Math.Round((c.X - bounds.MinX) * scale), (int)Math.Round((bounds.MaxY - c.Y) * scale));

        switch (geometry)
        {
            case Point or MultiPoint:
                var points = new List<(int X, int Y)>();
                foreach (var c in geometry.Coordinates)
                {
                    if (clip.Contains(c))
                    {
                        points.Add(Q(c));
                    }
                }

                if (points.Count > 0)
                {
                    commands.Add(Command(1, points.Count));
                    foreach (var p in points)
                    {
                        AddDelta(commands, ref cursor, p);
                    }
                }

                return (GeomType.Point, commands);

            case LineString or MultiLineString:
                foreach (var line in Parts<LineString>(geometry))
                {
                    var pts = Dedupe(line.Coordinates.Select(Q));
                    if (pts.Count < 2)
                    {
                        continue;
                    }

                    commands.Add(Command(1, 1));
                    AddDelta(commands, ref cursor, pts[0]);
                    commands.Add(Command(2, pts.Count - 1));
                    for (var i = 1; i < pts.Count; i++)
                    {
                        AddDelta(commands, ref cursor, pts[i]);
                    }
                }

                return (GeomType.LineString, commands);

            case Polygon or MultiPolygon:
                foreach (var valid in QuantizedValid(geometry, Q))
                {
                    EncodeRing(commands, ref cursor, valid.Shell, exterior: true);
                    foreach (var hole in valid.Holes)
                    {
                        EncodeRing(commands, ref cursor, hole, exterior: false);
                    }
                }

                return (GeomType.Polygon, commands);

            case GeometryCollection collection:
                // A clip can yield mixed pieces; keep the family of the largest dimension.
                var dimension = collection.Geometries.Max(g => (int)g.Dimension);
                var same = collection.Factory.BuildGeometry(collection.Geometries.Where(g => (int)g.Dimension == dimension && !g.IsEmpty));
                return same is GeometryCollection and not (MultiPoint or MultiLineString or MultiPolygon) ? (GeomType.Point, commands) : EncodeGeometry(
                    same, bounds, scale, clip);

            default:
                return (GeomType.Point, commands);
        }
    }

    private static IEnumerable<T> Parts<T>(Geometry g) where T : Geometry
    {
        for (var i = 0; i < g.NumGeometries; i++)
        {
            if (g.GetGeometryN(i) is T part && !part.IsEmpty)
            {
                yield return part;
            }
        }
    }

    private static List<(int X, int Y)> Dedupe(IEnumerable<(int X, int Y)> points)
    {
        var result = new List<(int X, int Y)>();
        foreach (var p in points)
        {
            if (result.Count == 0 || result[^1] != p)
            {
                result.Add(p);
            }
        }

        return result;
    }

    /// <summary>
    /// The polygons in integer tile coordinates as one valid (multi)polygon (MVT 2.1 §4.3.4.4). Simplification and
    /// snapping to the grid can fold a thin part onto itself, make a hole touch its shell along an edge or two
    /// parts of a multipolygon overlap; the whole feature is checked at once, and when invalid, repaired and
    /// snap-rounded back onto the grid (overlaps become one part). Rings that collapse to nothing are dropped.
    /// </summary>
    private static IEnumerable<(List<(int X, int Y)> Shell, List<List<(int X, int Y)>> Holes)> QuantizedValid(
        Geometry polygonal, Func<Coordinate, (int X, int Y)> q)
    {
        LinearRing? Ring(LineString ring)
        {
            var pts = Dedupe(ring.Coordinates.Select(q));
            if (pts.Count > 1 && pts[^1] == pts[0])
            {
                pts.RemoveAt(pts.Count - 1);
            }

            if (pts.Count < 3)
            {
                return null;
            }

            var coords = pts.Select(p => new Coordinate(p.X, p.Y)).Append(new Coordinate(pts[0].X, pts[0].Y)).ToArray();
            return s_tileFactory.CreateLinearRing(coords);
        }

        var quantized = new List<Polygon>();
        foreach (var polygon in Parts<Polygon>(polygonal))
        {
            if (Ring(polygon.ExteriorRing) is { } shell)
            {
                quantized.Add(s_tileFactory.CreatePolygon(shell, polygon.InteriorRings.Select(Ring).OfType<LinearRing>().ToArray()));
            }
        }

        if (quantized.Count == 0)
        {
            yield break;
        }

        Geometry candidate = quantized.Count == 1 ? quantized[0] : s_tileFactory.CreateMultiPolygon(quantized.ToArray());
        if (!candidate.IsValid)
        {
            // Repair, then snap-round back onto the integer grid: the fixer adds vertices where edges cross, at
            // fractional positions, and rounding those alone could fold a ring again; snap-rounding nodes them.
            candidate = NetTopologySuite.Precision.GeometryPrecisionReducer.Reduce(GeometryFixer.Fix(candidate), s_integerGrid);
        }

        foreach (var part in Parts<Polygon>(candidate))
        {
            var shell = RingPoints(part.ExteriorRing);
            if (shell.Count < 3 || TwiceArea(shell) == 0)
            {
                continue;
            }

            yield return (shell, part.InteriorRings.Select(RingPoints).Where(r => r.Count >= 3 && TwiceArea(r) != 0).ToList());
        }
    }

    private static List<(int X, int Y)> RingPoints(LineString ring)
    {
        var pts = Dedupe(ring.Coordinates.Select(c => ((int)Math.Round(c.X), (int)Math.Round(c.Y))));
        if (pts.Count > 1 && pts[^1] == pts[0])
        {
            pts.RemoveAt(pts.Count - 1);
        }

        return pts;
    }

    /// <summary>Surveyor's formula in tile coordinates (y down): twice the signed area.</summary>
    private static long TwiceArea(List<(int X, int Y)> ring)
    {
        long twiceArea = 0;
        for (var i = 0; i < ring.Count; i++)
        {
            var a = ring[i];
            var b = ring[(i + 1) % ring.Count];
            twiceArea += ((long)a.X * b.Y) - ((long)b.X * a.Y);
        }

        return twiceArea;
    }

    private static void EncodeRing(List<uint> commands, ref (int X, int Y) cursor, List<(int X, int Y)> ring, bool exterior)
    {
        // Exterior rings positive, holes negative; zero-area rings were dropped before.
        if ((TwiceArea(ring) > 0) != exterior)
        {
            ring = Enumerable.Reverse(ring).ToList();
        }

        commands.Add(Command(1, 1));
        AddDelta(commands, ref cursor, ring[0]);
        commands.Add(Command(2, ring.Count - 1));
        for (var i = 1; i < ring.Count; i++)
        {
            AddDelta(commands, ref cursor, ring[i]);
        }

        commands.Add(Command(7, 1));
    }

    private static uint Command(int id, int count) => (uint)((id & 7) | (count << 3));

    private static void AddDelta(List<uint> commands, ref (int X, int Y) cursor, (int X, int Y) p)
    {
        commands.Add(ProtoWriter.ZigZag(p.X - cursor.X));
        commands.Add(ProtoWriter.ZigZag(p.Y - cursor.Y));
        cursor = p;
    }
}
