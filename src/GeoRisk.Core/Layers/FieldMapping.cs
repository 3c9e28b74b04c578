using System.Globalization;

namespace GeoRisk.Core.Layers;

/// <summary>
/// Which source field feeds each schema field. Auto-detection compares names case-insensitively against
/// the schema's synonyms; explicit entries (schema field = source field) win over detection.
/// </summary>
public sealed record FieldMapping(IReadOnlyDictionary<string, string> SchemaToSource)
{
    public static FieldMapping Detect(LayerSchema schema, IReadOnlyCollection<string> sourceFields, IReadOnlyDictionary<string, string>? explicitMapping = null)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in schema.Fields)
        {
            if (explicitMapping is not null && explicitMapping.TryGetValue(field.Name, out var chosen))
            {
                result[field.Name] = chosen;
                used.Add(chosen);
                continue;
            }

            // Synonyms are listed from most to least specific, so the first one present wins.
            foreach (var synonym in field.Synonyms)
            {
                var match = sourceFields.FirstOrDefault(s => !used.Contains(s) && string.Equals(s.Trim(), synonym, StringComparison.OrdinalIgnoreCase));
                if (match is not null)
                {
                    result[field.Name] = match;
                    used.Add(match);
                    break;
                }
            }
        }

        return new FieldMapping(result);
    }

    /// <summary>Parses "grade=YFXDJ,hazard_type=ZHLX".</summary>
    /// <exception cref="FormatException">An entry is not of the form schema=source.</exception>
    public static IReadOnlyDictionary<string, string> ParseExplicit(string? text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return map;
        }

        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new FormatException($"Field mapping entry '{entry}' must look like schema_field=SOURCE_FIELD.");
            }

            map[parts[0]] = parts[1];
        }

        return map;
    }

    /// <summary>Converts a grade written as a number or a class name to 1..4; null when it is neither.</summary>
    public static int? ParseGrade(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case long l when l is >= int.MinValue and <= int.MaxValue:
                return (int)l;
            case int i:
                return i;
            case double d when Math.Abs(d - Math.Round(d)) < 1e-9 && Math.Abs(d) < 1e6:
                return (int)Math.Round(d);
        }

        var s = Convert.ToString(value, CultureInfo.InvariantCulture)?.Trim() ?? "";
        if (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        var lower = s.ToLowerInvariant();
        // Order matters: 极高 contains 高, "very high" contains "high".
        if (lower.Contains("极高", StringComparison.Ordinal) || lower.Contains("very high", StringComparison.Ordinal) || lower is "iv" or "四级")
        {
            return 4;
        }

        if (lower.Contains("高", StringComparison.Ordinal) || lower.Contains("high", StringComparison.Ordinal) || lower is "iii" or "三级")
        {
            return 3;
        }

        if (lower.Contains("中", StringComparison.Ordinal) || lower.Contains("medium", StringComparison.Ordinal) ||
            lower.Contains("moderate", StringComparison.Ordinal) || lower is "ii" or "二级")
        {
            return 2;
        }

        if (lower.Contains("低", StringComparison.Ordinal) || lower.Contains("low", StringComparison.Ordinal) || lower is "i" or "一级")
        {
            return 1;
        }

        return null;
    }
}
