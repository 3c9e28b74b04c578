using System.Text;

namespace GeoRisk.Tiles;

public sealed record DecodedFeature(
    ulong? Id,
    int? Type,
    IReadOnlyList<uint> Tags,
    IReadOnlyList<uint> Geometry,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<IReadOnlyList<(long X, long Y)>> Parts);

/// <param name="Version">null when the layer has no version field.</param>
/// <param name="WireProblems">Known fields found with the wrong wire type (skipped when decoding).</param>
public sealed record DecodedLayer(
    string? Name,
    uint? Version,
    uint Extent,
    IReadOnlyList<string> Keys,
    IReadOnlyList<object?> Values,
    IReadOnlyList<DecodedFeature> Features,
    IReadOnlyList<string> WireProblems);

/// <summary>Decodes MVT tiles (for tests, the validator and tile inspection).</summary>
public static class MvtDecoder
{
    /// <exception cref="InvalidDataException">The bytes are not a well-formed protobuf tile.</exception>
    public static IReadOnlyList<DecodedLayer> Decode(ReadOnlySpan<byte> tile)
    {
        var layers = new List<DecodedLayer>();
        var reader = new ProtoReader(tile);
        while (!reader.End)
        {
            var (field, wire) = reader.Tag();
            if (field == 3 && wire == 2)
            {
                layers.Add(DecodeLayer(reader.Bytes()));
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return layers;
    }

    private static DecodedLayer DecodeLayer(ReadOnlySpan<byte> data)
    {
        string? name = null;
        uint? version = null;
        uint extent = 4096;
        var problems = new List<string>();
        var keys = new List<string>();
        var values = new List<object?>();
        var rawFeatures = new List<byte[]>();
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.Tag();
            switch (field, wire)
            {
                case (1, 2):
                    name = Encoding.UTF8.GetString(reader.Bytes());
                    break;
                case (2, 2):
                    rawFeatures.Add(reader.Bytes().ToArray());
                    break;
                case (3, 2):
                    keys.Add(Encoding.UTF8.GetString(reader.Bytes()));
                    break;
                case (4, 2):
                    values.Add(DecodeValue(reader.Bytes()));
                    break;
                case (5, 0):
                    extent = (uint)reader.Varint();
                    break;
                case (15, 0):
                    version = (uint)reader.Varint();
                    break;
                default:
                    if (field is 1 or 2 or 3 or 4 or 5 or 15)
                    {
                        problems.Add($"layer field {field} has wire type {wire}");
                    }

                    reader.Skip(wire);
                    break;
            }
        }

        var features = rawFeatures.Select(f => DecodeFeature(f, keys, values, problems)).ToList();
        return new DecodedLayer(name, version, extent, keys, values, features, problems);
    }

    /// <summary>A Value with exactly one field; <see cref="InvalidValue"/> marks zero or several.</summary>
    internal static object? DecodeValue(ReadOnlySpan<byte> data)
    {
        var found = new List<object?>();
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.Tag();
            switch (field, wire)
            {
                case (1, 2):
                    found.Add(Encoding.UTF8.GetString(reader.Bytes()));
                    break;
                case (2, 5):
                    found.Add((double)reader.Fixed32Float());
                    break;
                case (3, 1):
                    found.Add(reader.Fixed64Double());
                    break;
                case (4, 0):
                    found.Add((long)reader.Varint());
                    break;
                case (5, 0):
                    found.Add(reader.Varint());
                    break;
                case (6, 0):
                    found.Add(ProtoWriter.UnZigZag(reader.Varint()));
                    break;
                case (7, 0):
                    found.Add(reader.Varint() != 0);
                    break;
                default:
                    reader.Skip(wire);
                    found.Add(InvalidValue.Instance);
                    break;
            }
        }

        return found.Count == 1 ? found[0] : InvalidValue.Instance;
    }

    private static DecodedFeature DecodeFeature(byte[] data, List<string> keys, List<object?> values, List<string> problems)
    {
        var geometryFields = 0;
        ulong? id = null;
        int? type = null;
        var tags = new List<uint>();
        var geometry = new List<uint>();
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.Tag();
            switch (field, wire)
            {
                case (1, 0):
                    id = reader.Varint();
                    break;
                case (2, 2):
                    Unpack(reader.Bytes(), tags);
                    break;
                case (3, 0):
                    type = (int)reader.Varint();
                    break;
                case (4, 2):
                    Unpack(reader.Bytes(), geometry);
                    geometryFields++;
                    break;
                default:
                    if (field is 1 or 2 or 3 or 4)
                    {
                        problems.Add($"feature field {field} has wire type {wire}");
                    }

                    reader.Skip(wire);
                    break;
            }
        }

        if (geometryFields > 1)
        {
            problems.Add($"feature {id} has {geometryFields} geometry fields");
        }

        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < tags.Count; i += 2)
        {
            if (tags[i] < keys.Count && tags[i + 1] < values.Count)
            {
                attributes[keys[(int)tags[i]]] = values[(int)tags[i + 1]];
            }
        }

        return new DecodedFeature(id, type, tags, geometry, attributes, Parts(geometry));
    }

    private static void Unpack(ReadOnlySpan<byte> data, List<uint> target)
    {
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            target.Add((uint)reader.Varint());
        }
    }

    /// <summary>Points (one part), lines or rings as absolute tile coordinates; stops at the first malformed command.</summary>
    private static List<IReadOnlyList<(long X, long Y)>> Parts(List<uint> geometry)
    {
        var parts = new List<IReadOnlyList<(long X, long Y)>>();
        List<(long X, long Y)>? current = null;
        long x = 0, y = 0;
        var i = 0;
        while (i < geometry.Count)
        {
            var command = geometry[i] & 7;
            var count = geometry[i] >> 3;
            i++;
            if (command == 7)
            {
                continue;
            }

            if (command is not (1 or 2) || i + (2 * count) > geometry.Count)
            {
                break;
            }

            for (var k = 0; k < count; k++)
            {
                x += ProtoWriter.UnZigZag(geometry[i++]);
                y += ProtoWriter.UnZigZag(geometry[i++]);
                if (command == 1)
                {
                    current = [];
                    parts.Add(current);
                }

                current?.Add((x, y));
            }
        }

        return parts;
    }
}

/// <summary>Marks a Value message holding no field or several.</summary>
public sealed class InvalidValue
{
    public static readonly InvalidValue Instance = new();

    public override string ToString() => "(invalid value)";
}
