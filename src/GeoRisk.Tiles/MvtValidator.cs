using NetTopologySuite.Geometries;

namespace GeoRisk.Tiles;

/// <summary>What is wrong with a tile: violations of the MVT 2.1 "MUST" rules, and of the "SHOULD" rules GeoRisk keeps.</summary>
public sealed record MvtReport(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>Checks a tile against the Mapbox Vector Tile 2.1 specification.</summary>
public static class MvtValidator
{
    public static MvtReport Validate(ReadOnlySpan<byte> tile)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        IReadOnlyList<DecodedLayer> layers;
        try
        {
            layers = MvtDecoder.Decode(tile);
        }
        catch (InvalidDataException ex)
        {
            return new MvtReport([$"Not a protobuf tile: {ex.Message}"], []);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            var where = $"layer '{layer.Name}'";
            CheckLayer(layer, where, names, errors, warnings);
            var ids = new HashSet<ulong>();
            foreach (var (feature, n) in layer.Features.Select((f, i) => (f, i)))
            {
                var fwhere = $"{where} feature {feature.Id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "#" + n}";
                CheckFeature(layer, feature, fwhere, ids, errors, warnings);
                CheckGeometry(feature, fwhere, errors, warnings);
            }
        }

        return new MvtReport(errors, warnings);
    }

    /// <summary>The layer message itself: a unique name, a known version, an extent, well-formed and distinct keys and values (4.1).</summary>
    private static void CheckLayer(DecodedLayer layer, string where, HashSet<string> names, List<string> errors, List<string> warnings)
    {
        if (string.IsNullOrEmpty(layer.Name))
        {
            errors.Add("A layer has no name (4.1).");
        }
        else if (!names.Add(layer.Name))
        {
            errors.Add($"Two layers are named '{layer.Name}' (4.1).");
        }

        errors.AddRange(layer.WireProblems.Select(p => $"{where}: {p} (4.1)."));
        if (layer.Version is null)
        {
            errors.Add($"{where}: no version field (4.1).");
        }
        else if (layer.Version != 2 && layer.Version != 1)
        {
            errors.Add($"{where}: unknown version {layer.Version} (4.1).");
        }
        else if (layer.Version != 2)
        {
            warnings.Add($"{where}: version {layer.Version}, not 2.");
        }

        if (layer.Extent == 0)
        {
            errors.Add($"{where}: extent 0 (4.1).");
        }

        if (layer.Values.Any(v => v is InvalidValue))
        {
            errors.Add($"{where}: a value holds no field or several (4.1).");
        }

        if (layer.Keys.Count != layer.Keys.Distinct(StringComparer.Ordinal).Count())
        {
            warnings.Add($"{where}: duplicate keys.");
        }

        if (layer.Values.Count != layer.Values.Select(v => (v?.GetType(), v)).Distinct().Count())
        {
            warnings.Add($"{where}: duplicate values.");
        }
    }

    /// <summary>A feature's id is unique in its layer (4.2) and its tags are key/value index pairs inside the tables (4.4).</summary>
    private static void CheckFeature(
        DecodedLayer layer, DecodedFeature feature, string where, HashSet<ulong> ids, List<string> errors, List<string> warnings)
    {
        if (feature.Id is { } id && !ids.Add(id))
        {
            warnings.Add($"{where}: id used twice in the layer (4.2).");
        }

        if (feature.Tags.Count % 2 != 0)
        {
            errors.Add($"{where}: odd number of tags (4.4).");
        }

        for (var i = 0; i < feature.Tags.Count; i++)
        {
            if (feature.Tags[i] >= (i % 2 == 0 ? layer.Keys.Count : layer.Values.Count))
            {
                errors.Add($"{where}: tag {i} points past the {(i % 2 == 0 ? "keys" : "values")} (4.4).");
                break;
            }
        }
    }

    private static void CheckGeometry(DecodedFeature feature, string where, List<string> errors, List<string> warnings)
    {
        if (!CheckGeometryType(feature, where, errors, warnings))
        {
            return;
        }

        var reader = new CommandReader(feature.Type!.Value);
        if (reader.Read(feature.Geometry) is { } problem)
        {
            errors.Add($"{where}: {problem}");
            return;
        }

        if (feature.Type == 3)
        {
            CheckPolygonRings(reader, where, errors, warnings);
        }
        else if (feature.Type == 2 && reader.Parts.Any(r => r.Count < 2))
        {
            errors.Add($"{where}: a line with fewer than two points (4.3.4.3).");
        }
    }

    /// <summary>False (with the finding recorded) when the geometry cannot be walked: no, unknown or unsupported type, or no commands.</summary>
    private static bool CheckGeometryType(DecodedFeature feature, string where, List<string> errors, List<string> warnings)
    {
        if (feature.Type is null)
        {
            errors.Add($"{where}: no geometry type field (4.2).");
            return false;
        }

        if (feature.Type == 0)
        {
            warnings.Add($"{where}: geometry type UNKNOWN; its geometry cannot be checked (4.3.4.1).");
            return false;
        }

        if (feature.Type > 3)
        {
            errors.Add($"{where}: geometry type {feature.Type} is not POINT, LINESTRING or POLYGON (4.3.4).");
            return false;
        }

        if (feature.Geometry.Count == 0)
        {
            errors.Add($"{where}: no geometry (4.3).");
            return false;
        }

        return true;
    }

    /// <summary>Closed rings, the first exterior, none of zero area, no repeated closing point, and a valid polygon (4.3.4.4).</summary>
    private static void CheckPolygonRings(CommandReader reader, string where, List<string> errors, List<string> warnings)
    {
        var rings = reader.Parts;
        if (reader.Current is not null)
        {
            errors.Add($"{where}: the last ring is not closed with ClosePath (4.3.4.4).");
            return;
        }

        if (rings.Count == 0)
        {
            errors.Add($"{where}: polygon without rings (4.3.4.4).");
            return;
        }

        if (Area(rings[0]) <= 0)
        {
            errors.Add($"{where}: the first ring is not an exterior ring (positive area in tile coordinates) (4.3.4.4).");
        }

        foreach (var ring in rings)
        {
            if (Area(ring) == 0)
            {
                errors.Add($"{where}: a ring has zero area (4.3.4.4).");
            }

            if (ring.Count > 1 && ring[^1] == ring[0])
            {
                warnings.Add($"{where}: a ring repeats its first point before ClosePath (4.3.4.4).");
            }
        }

        if (rings.All(r => Area(r) != 0) && Area(rings[0]) > 0 && InvalidPolygon(rings) is { } reason)
        {
            errors.Add($"{where}: {reason} (4.3.4.4: polygons must be valid per OGC Simple Features).");
        }
    }

    /// <summary>
    /// Walks a geometry's command stream (4.3.3, 4.3.4) for one geometry type (1 point, 2 line, 3 polygon),
    /// collecting lines and closed rings in <see cref="Parts"/>; the ring still open at the end stays in <see cref="Current"/>.
    /// </summary>
    private sealed class CommandReader(int type)
    {
        private long _x;
        private long _y;
        private bool _expectLineTo;
        private int _moveTos;

        public List<List<(long X, long Y)>> Parts { get; } = [];

        public List<(long X, long Y)>? Current { get; private set; }

        /// <summary>The first violation of the command rules, or null when the stream is well formed.</summary>
        public string? Read(IReadOnlyList<uint> g)
        {
            var i = 0;
            while (i < g.Count)
            {
                var command = g[i] & 7;
                var count = (int)(g[i] >> 3);
                i++;
                if (command == 7)
                {
                    if (ClosePath(count) is { } closeProblem)
                    {
                        return closeProblem;
                    }

                    continue;
                }

                var problem = command switch
                {
                    1 => MoveTo(count),
                    2 => LineTo(count),
                    _ => $"unknown command {command} (4.3.3).",
                };
                if (problem is not null)
                {
                    return problem;
                }

                if (i + (2 * count) > g.Count)
                {
                    return "command runs past the geometry (4.3.2).";
                }

                for (var k = 0; k < count; k++)
                {
                    var dx = ProtoWriter.UnZigZag(g[i++]);
                    var dy = ProtoWriter.UnZigZag(g[i++]);
                    if (command == 2 && dx == 0 && dy == 0)
                    {
                        return "zero-length segment: LineTo dX and dY MUST NOT both be 0 (4.3.3.2).";
                    }

                    Advance(command, dx, dy);
                }
            }

            return _expectLineTo ? "geometry ends after a MoveTo (4.3.4)." : null;
        }

        private string? MoveTo(int count)
        {
            if (type == 1 && _moveTos > 0)
            {
                return "a point geometry has more than one MoveTo command (4.3.4.2).";
            }

            if (count == 0 || (type != 1 && count != 1))
            {
                return $"MoveTo with count {count} (4.3.3.1).";
            }

            if (_expectLineTo)
            {
                return "a part has a MoveTo without LineTo (4.3.4).";
            }

            if (type != 1 && _moveTos > 0 && type == 3 && Current is not null)
            {
                return "a ring was not closed with ClosePath (4.3.4.4).";
            }

            _moveTos++;
            return null;
        }

        private string? LineTo(int count)
        {
            if (type == 1 || count == 0 || Current is null)
            {
                return $"LineTo with count {count} in a {(type == 1 ? "point" : "part without MoveTo")} (4.3.3.2).";
            }

            _expectLineTo = false;
            return null;
        }

        private string? ClosePath(int count)
        {
            if (type != 3 || count != 1 || Current is null || Current.Count < 3)
            {
                return "ClosePath where it is not allowed (4.3.3.3).";
            }

            Parts.Add(Current);
            Current = null;
            return null;
        }

        private void Advance(uint command, long dx, long dy)
        {
            _x += dx;
            _y += dy;
            if (command == 1)
            {
                Current = [(_x, _y)];
                _expectLineTo = type != 1;
                if (type == 2)
                {
                    Parts.Add(Current);
                }
            }
            else
            {
                Current!.Add((_x, _y));
            }
        }
    }

    /// <summary>
    /// The OGC Simple Features validity of the decoded polygon (NetTopologySuite's IsValidOp: self-intersections,
    /// crossing or nested rings, holes outside shells, overlapping parts), or null when valid. Rings with positive
    /// area open a polygon, negative ones are its holes (4.3.4.4).
    /// </summary>
    internal static string? InvalidPolygon(IReadOnlyList<List<(long X, long Y)>> rings)
    {
        var factory = s_validatorFactory;
        LinearRing Ring(List<(long X, long Y)> ring) =>
            factory.CreateLinearRing(ring.Select(p => new Coordinate(p.X, p.Y)).Append(new Coordinate(ring[0].X, ring[0].Y)).ToArray());

        var polygons = new List<Polygon>();
        LinearRing? shell = null;
        var holes = new List<LinearRing>();
        foreach (var ring in rings)
        {
            if (ring.Count < 3)
            {
                return "a ring with fewer than three distinct points";
            }

            if (Area(ring) > 0)
            {
                if (shell is not null)
                {
                    polygons.Add(factory.CreatePolygon(shell, holes.ToArray()));
                }

                shell = Ring(ring);
                holes.Clear();
            }
            else
            {
                holes.Add(Ring(ring));
            }
        }

        polygons.Add(factory.CreatePolygon(shell, holes.ToArray()));
        Geometry geometry = polygons.Count == 1 ? polygons[0] : factory.CreateMultiPolygon(polygons.ToArray());
        var op = new NetTopologySuite.Operation.Valid.IsValidOp(geometry);
        if (op.IsValid)
        {
            return null;
        }

        var error = op.ValidationError;
        return string.Create(
            System.Globalization.CultureInfo.InvariantCulture, $"invalid polygon: {error.Message} at ({error.Coordinate?.X}, {error.Coordinate?.Y})");
    }

    private static readonly GeometryFactory s_validatorFactory = new(new PrecisionModel(1.0));

    /// <summary>Twice the surveyor's-formula area of a ring in tile coordinates (positive for exterior rings).</summary>
    internal static long Area(IReadOnlyList<(long X, long Y)> ring)
    {
        long sum = 0;
        for (var i = 0; i < ring.Count; i++)
        {
            var a = ring[i];
            var b = ring[(i + 1) % ring.Count];
            sum += (a.X * b.Y) - (b.X * a.Y);
        }

        return sum;
    }
}
