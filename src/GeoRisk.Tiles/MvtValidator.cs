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

            var ids = new HashSet<ulong>();
            foreach (var (feature, n) in layer.Features.Select((f, i) => (f, i)))
            {
                var fwhere = $"{where} feature {feature.Id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "#" + n}";
                if (feature.Id is { } id && !ids.Add(id))
                {
                    warnings.Add($"{fwhere}: id used twice in the layer (4.2).");
                }

                if (feature.Tags.Count % 2 != 0)
                {
                    errors.Add($"{fwhere}: odd number of tags (4.4).");
                }

                for (var i = 0; i < feature.Tags.Count; i++)
                {
                    if (feature.Tags[i] >= (i % 2 == 0 ? layer.Keys.Count : layer.Values.Count))
                    {
                        errors.Add($"{fwhere}: tag {i} points past the {(i % 2 == 0 ? "keys" : "values")} (4.4).");
                        break;
                    }
                }

                CheckGeometry(feature, fwhere, errors, warnings);
            }
        }

        return new MvtReport(errors, warnings);
    }

    private static void CheckGeometry(DecodedFeature feature, string where, List<string> errors, List<string> warnings)
    {
        var g = feature.Geometry;
        if (feature.Type is null)
        {
            errors.Add($"{where}: no geometry type field (4.2).");
            return;
        }

        if (feature.Type == 0)
        {
            warnings.Add($"{where}: geometry type UNKNOWN; its geometry cannot be checked (4.3.4.1).");
            return;
        }

        if (feature.Type > 3)
        {
            errors.Add($"{where}: geometry type {feature.Type} is not POINT, LINESTRING or POLYGON (4.3.4).");
            return;
        }

        if (g.Count == 0)
        {
            errors.Add($"{where}: no geometry (4.3).");
            return;
        }

        var i = 0;
        long x = 0, y = 0;
        var rings = new List<List<(long X, long Y)>>();
        List<(long X, long Y)>? current = null;
        var expectLineTo = false;
        var moveTos = 0;
        while (i < g.Count)
        {
            var command = g[i] & 7;
            var count = (int)(g[i] >> 3);
            i++;
            switch (command)
            {
                case 1:
                    if (feature.Type == 1 && moveTos > 0)
                    {
                        errors.Add($"{where}: a point geometry has more than one MoveTo command (4.3.4.2).");
                        return;
                    }

                    if (count == 0 || (feature.Type != 1 && count != 1))
                    {
                        errors.Add($"{where}: MoveTo with count {count} (4.3.3.1).");
                        return;
                    }

                    if (expectLineTo)
                    {
                        errors.Add($"{where}: a part has a MoveTo without LineTo (4.3.4).");
                        return;
                    }

                    if (feature.Type != 1 && moveTos > 0 && feature.Type == 3 && current is not null)
                    {
                        errors.Add($"{where}: a ring was not closed with ClosePath (4.3.4.4).");
                        return;
                    }

                    moveTos++;
                    break;
                case 2:
                    if (feature.Type == 1 || count == 0 || current is null)
                    {
                        errors.Add($"{where}: LineTo with count {count} in a {(feature.Type == 1 ? "point" : "part without MoveTo")} (4.3.3.2).");
                        return;
                    }

                    expectLineTo = false;
                    break;
                case 7:
                    if (feature.Type != 3 || count != 1 || current is null || current.Count < 3)
                    {
                        errors.Add($"{where}: ClosePath where it is not allowed (4.3.3.3).");
                        return;
                    }

                    rings.Add(current);
                    current = null;
                    continue;
                default:
                    errors.Add($"{where}: unknown command {command} (4.3.3).");
                    return;
            }

            if (i + (2 * count) > g.Count)
            {
                errors.Add($"{where}: command runs past the geometry (4.3.2).");
                return;
            }

            for (var k = 0; k < count; k++)
            {
                var dx = ProtoWriter.UnZigZag(g[i++]);
                var dy = ProtoWriter.UnZigZag(g[i++]);
                if (command == 2 && dx == 0 && dy == 0)
                {
                    errors.Add($"{where}: zero-length segment: LineTo dX and dY MUST NOT both be 0 (4.3.3.2).");
                    return;
                }

                x += dx;
                y += dy;
                if (command == 1)
                {
                    current = [(x, y)];
                    expectLineTo = feature.Type != 1;
                    if (feature.Type == 2)
                    {
                        rings.Add(current);
                    }
                }
                else
                {
                    current!.Add((x, y));
                }
            }
        }

        if (expectLineTo)
        {
            errors.Add($"{where}: geometry ends after a MoveTo (4.3.4).");
            return;
        }

        if (feature.Type == 3)
        {
            if (current is not null)
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
        else if (feature.Type == 2 && rings.Any(r => r.Count < 2))
        {
            errors.Add($"{where}: a line with fewer than two points (4.3.4.3).");
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
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"invalid polygon: {error.Message} at ({error.Coordinate?.X}, {error.Coordinate?.Y})");
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
