using System.Text.Json;
using GeoRisk.Core.Layers;

namespace GeoRisk.Storage;

/// <summary>The JSON both stores write: version reports and field mappings, raster descriptions, run raster maps, feature attributes.</summary>
internal static class CatalogJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>A zoning run's raster map (name → path relative to the store's raster root).</summary>
    public static Dictionary<string, string> ReadRasters(string json) => JsonSerializer.Deserialize<Dictionary<string, string>>(json, Options)!;

    /// <summary>
    /// Attribute values as the stores return them: numbers of a Real schema field as double, other numbers as long
    /// when integral, strings as strings, booleans as 1/0 or as their JSON text (<paramref name="booleansAsIntegers"/>),
    /// anything else as its JSON text.
    /// </summary>
    public static object? ToValue(JsonElement element, FieldKind? schemaKind, bool booleansAsIntegers) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Number when schemaKind is FieldKind.Real => element.GetDouble(),
        JsonValueKind.Number when element.TryGetInt64(out var integer) => integer,
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.True when booleansAsIntegers => 1L,
        JsonValueKind.False when booleansAsIntegers => 0L,
        _ => element.GetRawText(),
    };

    /// <summary>Sets every member of a JSON object into <paramref name="attributes"/> (schema fields typed by <paramref name="kinds"/>).</summary>
    public static void ReadAttributes(string json, IReadOnlyDictionary<string, FieldKind> kinds, bool booleansAsIntegers,
        Dictionary<string, object?> attributes)
    {
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            FieldKind? kind = kinds.TryGetValue(property.Name, out var known) ? known : null;
            attributes[property.Name] = ToValue(property.Value, kind, booleansAsIntegers);
        }
    }
}
