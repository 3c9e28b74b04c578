using System.Globalization;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.Operation.Valid;

namespace GeoRisk.Core.Validation;

/// <summary>Budgets that bound what one upload may contain.</summary>
public sealed record IngestBudgets(long MaxFeatures = 2_000_000, int MaxVerticesPerFeature = 1_000_000, long MaxTotalVertices = 50_000_000);

/// <summary>A feature after validation: storage-CRS geometry and schema-named attributes.</summary>
public sealed record GeoFeature(long Id, Geometry Geometry, IReadOnlyDictionary<string, object?> Attributes)
{
    /// <summary>The envelope of all features; null for none.</summary>
    public static Envelope? BoundsOf(IReadOnlyList<GeoFeature> features)
    {
        if (features.Count == 0)
        {
            return null;
        }

        var env = new Envelope();
        foreach (var f in features)
        {
            env.ExpandToInclude(f.Geometry.EnvelopeInternal);
        }

        return env;
    }
}

/// <summary>
/// Validates features that are already in the storage CRS (CGCS2000 lon/lat) against a layer schema:
/// geometry presence, finiteness, range, validity (repaired with a warning), type, required and ranged
/// attributes, duplicates and the declared survey extent.
/// </summary>
public sealed class FeatureValidator
{
    private readonly LayerSchema _schema;
    private readonly FieldMapping _mapping;
    private readonly Geometry? _declaredExtent;
    private readonly IngestBudgets _budgets;
    private readonly ValidationReport _report;
    private readonly HashSet<(int Hash, string Key)> _seen = [];
    private readonly HashSet<string> _mappedSourceFields;
    private long _totalVertices;

    public FeatureValidator(LayerSchema schema, FieldMapping mapping, ValidationReport report, Geometry? declaredExtent = null, IngestBudgets? budgets = null)
    {
        _schema = schema;
        _mapping = mapping;
        _report = report;
        _declaredExtent = declaredExtent;
        _budgets = budgets ?? new IngestBudgets();
        _mappedSourceFields = new HashSet<string>(mapping.SchemaToSource.Values, StringComparer.Ordinal);
        foreach (var field in schema.Fields.Where(f => f.Required && !mapping.SchemaToSource.ContainsKey(f.Name)))
        {
            report.Error(
                "missing-field",
                $"Required field '{field.Name}' was not found; looked for {string.Join(", ", field.Synonyms)}. Map it explicitly (e.g. --map " +
                $"{field.Name}=YOUR_FIELD).");
        }
    }

    /// <summary>Returns the accepted feature, or null when the feature has an error (recorded in the report).</summary>
    public GeoFeature? Validate(long sourceId, Geometry? geometry, IReadOnlyDictionary<string, object?> sourceAttributes)
    {
        _report.FeaturesRead++;
        if (!WithinFeatureBudget())
        {
            return null;
        }

        if (geometry is null || geometry.IsEmpty)
        {
            _report.Error("no-geometry", "Feature has no geometry.", sourceId);
            return null;
        }

        if (!WithinVertexBudgets(sourceId, geometry) || !CoordinatesInRange(sourceId, geometry) || !FamilyMatches(sourceId, geometry))
        {
            return null;
        }

        var valid = ValidOrRepaired(sourceId, geometry);
        if (valid is null)
        {
            return null;
        }

        var attributes = MapAttributes(sourceId, sourceAttributes);
        if (attributes is null || IsDuplicate(sourceId, valid, attributes))
        {
            return null;
        }

        if (_declaredExtent is not null && !_declaredExtent.Intersects(valid))
        {
            _report.Warning("outside-extent", "Feature lies outside the survey's declared extent.", sourceId, valid.InteriorPoint.X, valid.InteriorPoint.Y);
        }

        _report.FeaturesAccepted++;
        return new GeoFeature(sourceId, valid, attributes);
    }

    /// <summary>False past <see cref="IngestBudgets.MaxFeatures"/>; the error is reported once, on the first feature over.</summary>
    private bool WithinFeatureBudget()
    {
        if (_report.FeaturesRead <= _budgets.MaxFeatures)
        {
            return true;
        }

        if (_report.FeaturesRead == _budgets.MaxFeatures + 1)
        {
            _report.Error("too-many-features", $"The layer has more than {_budgets.MaxFeatures:N0} features.");
        }

        return false;
    }

    private bool WithinVertexBudgets(long sourceId, Geometry geometry)
    {
        var vertices = geometry.NumPoints;
        _totalVertices += vertices;
        if (vertices > _budgets.MaxVerticesPerFeature)
        {
            _report.Error(
                "too-many-vertices",
                $"Feature has {vertices:N0} vertices; at most {_budgets.MaxVerticesPerFeature:N0} are accepted.",
                sourceId);
            return false;
        }

        if (_totalVertices > _budgets.MaxTotalVertices)
        {
            _report.Error("too-many-vertices", $"The layer has more than {_budgets.MaxTotalVertices:N0} vertices in total.", sourceId);
            return false;
        }

        return true;
    }

    private bool CoordinatesInRange(long sourceId, Geometry geometry)
    {
        foreach (var c in geometry.Coordinates)
        {
            if (!double.IsFinite(c.X) || !double.IsFinite(c.Y))
            {
                _report.Error("non-finite-coordinate", "Feature has a NaN or infinite coordinate.", sourceId);
                return false;
            }

            if (c.X is < -180 or > 180 || c.Y is < -90 or > 90)
            {
                _report.Error(
                    "coordinate-out-of-range",
                    $"Coordinate ({c.X.ToString(CultureInfo.InvariantCulture)}, {c.Y.ToString(CultureInfo.InvariantCulture)}) is outside "
                    + "longitude/latitude range after conversion to CGCS2000; check the declared CRS.",
                    sourceId);
                return false;
            }
        }

        return true;
    }

    private bool FamilyMatches(long sourceId, Geometry geometry)
    {
        if (FamilyMatches(geometry))
        {
            return true;
        }

        _report.Error(
            "wrong-geometry-type",
            $"A {_schema.Kind.ToToken()} layer needs {_schema.Geometry} geometries; this feature is a {geometry.GeometryType}.",
            sourceId,
            geometry.InteriorPoint.X,
            geometry.InteriorPoint.Y);
        return false;
    }

    /// <summary>The geometry itself when valid (or not lineal/polygonal), its repair with a warning, or null when it cannot be repaired.</summary>
    private Geometry? ValidOrRepaired(long sourceId, Geometry geometry)
    {
        if (geometry is not (IPolygonal or ILineal))
        {
            return geometry;
        }

        var validity = new IsValidOp(geometry);
        if (validity.IsValid)
        {
            return geometry;
        }

        var error = validity.ValidationError;
        var fixedGeometry = GeometryFixer.Fix(geometry);
        if (fixedGeometry.IsEmpty || !FamilyMatches(fixedGeometry))
        {
            _report.Error(
                "invalid-geometry",
                $"Invalid geometry ({error.Message}) could not be repaired.",
                sourceId,
                error.Coordinate?.X,
                error.Coordinate?.Y);
            return null;
        }

        _report.Warning("repaired-geometry", $"Invalid geometry ({error.Message}) was repaired.", sourceId, error.Coordinate?.X, error.Coordinate?.Y);
        return fixedGeometry;
    }

    /// <summary>Schema fields converted and checked, the fault structure filled in, unknown source fields kept; null on an error.</summary>
    private Dictionary<string, object?>? MapAttributes(long sourceId, IReadOnlyDictionary<string, object?> sourceAttributes)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var field in _schema.Fields)
        {
            object? raw = null;
            if (_mapping.SchemaToSource.TryGetValue(field.Name, out var sourceName))
            {
                sourceAttributes.TryGetValue(sourceName, out raw);
            }

            if (!TryConvert(field, raw, out var value, out var problem))
            {
                _report.Error("bad-attribute", $"Field '{field.Name}' (source '{sourceName}'): {problem}", sourceId);
                return null;
            }

            if (value is null && field.Required)
            {
                _report.Error("missing-attribute", $"Required field '{field.Name}' is empty.", sourceId);
                return null;
            }

            attributes[field.Name] = value;
        }

        if (_schema.Kind == LayerKind.ActiveFaults && attributes.GetValueOrDefault("structure") is null)
        {
            // Stored explicitly, so tiles, exports and GIS clients can tell fold axes from faults (docs/DOMAIN.md §6.3).
            attributes["structure"] = FaultTrace.ClassifyStructure(null, attributes.GetValueOrDefault("sense") as string)
                .ToString()
                .ToLowerInvariant();
        }

        // Keep source attributes the schema does not know under their own names, so nothing is lost.
        foreach (var (name, value) in sourceAttributes)
        {
            if (!_mappedSourceFields.Contains(name) && !attributes.ContainsKey(name))
            {
                attributes[name] = value;
            }
        }

        return attributes;
    }

    /// <summary>True (with a warning) when an earlier feature had the same geometry and attributes.</summary>
    private bool IsDuplicate(long sourceId, Geometry geometry, Dictionary<string, object?> attributes)
    {
        var key = geometry.AsText() + "|" + string.Join(
            "|",
            attributes
                .OrderBy(a => a.Key, StringComparer.Ordinal)
                .Select(a => a.Key + "=" + Convert.ToString(a.Value, CultureInfo.InvariantCulture)));
        if (_seen.Add((key.GetHashCode(StringComparison.Ordinal), key)))
        {
            return false;
        }

        _report.Warning("duplicate-feature", "Feature duplicates an earlier one (same geometry and attributes) and was dropped.", sourceId);
        return true;
    }

    private bool FamilyMatches(Geometry g) => _schema.Geometry switch
    {
        GeometryFamily.Point => g is IPuntal,
        GeometryFamily.Line => g is ILineal,
        GeometryFamily.Polygon => g is IPolygonal,
        _ => true,
    };

    private static bool TryConvert(SchemaField field, object? raw, out object? value, out string problem)
    {
        value = null;
        problem = "";
        if (raw is null || (raw is string s0 && string.IsNullOrWhiteSpace(s0)))
        {
            return true;
        }

        var text = Convert.ToString(raw, CultureInfo.InvariantCulture)!.Trim();
        var converted = field.Kind switch
        {
            FieldKind.Grade => TryConvertGrade(raw, text, out value, out problem),
            FieldKind.Integer => TryConvertInteger(raw, text, out value, out problem),
            FieldKind.Real => TryConvertReal(raw, text, out value, out problem),
            FieldKind.Date => TryConvertDate(text, out value, out problem),
            _ => Text(text, out value),
        };
        return converted && InRange(field, value, ref problem);

        static bool Text(string text, out object? value)
        {
            value = text;
            return true;
        }
    }

    private static bool TryConvertGrade(object raw, string text, out object? value, out string problem)
    {
        var grade = FieldMapping.ParseGrade(raw);
        if (grade is null)
        {
            value = null;
            problem = $"'{text}' is not a grade (1-4 or low/medium/high/very high, 低/中/高/极高).";
            return false;
        }

        value = (long)grade.Value;
        problem = "";
        return true;
    }

    private static bool TryConvertInteger(object raw, string text, out object? value, out string problem)
    {
        problem = "";
        if (raw is long l)
        {
            value = l;
        }
        else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && double.IsFinite(d) && Math.Abs(d - Math.Round(d)) < 1e-9 && Math.Abs(d) < 9e15)
        {
            value = (long)Math.Round(d);
        }
        else
        {
            value = null;
            problem = $"'{text}' is not an integer.";
            return false;
        }

        return true;
    }

    private static bool TryConvertReal(object raw, string text, out object? value, out string problem)
    {
        problem = "";
        if (raw is double dv)
        {
            value = dv;
        }
        else if (raw is long lv)
        {
            value = (double)lv;
        }
        else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
        }
        else
        {
            value = null;
            problem = $"'{text}' is not a number.";
            return false;
        }

        if (!double.IsFinite((double)value))
        {
            problem = $"'{text}' is not a finite number.";
            return false;
        }

        return true;
    }

    private static bool TryConvertDate(string text, out object? value, out string problem)
    {
        if (DateOnly.TryParse(text, CultureInfo.InvariantCulture, out var date) ||
            DateOnly.TryParseExact(text, ["yyyyMMdd", "yyyy/MM/dd", "yyyy-MM-dd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            value = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            problem = "";
            return true;
        }

        value = null;
        problem = $"'{text}' is not a date (yyyy-MM-dd).";
        return false;
    }

    /// <summary>Numbers must lie within the field's declared Min..Max.</summary>
    private static bool InRange(SchemaField field, object? value, ref string problem)
    {
        if (value is long or double)
        {
            var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            if ((field.Min is { } min && number < min) || (field.Max is { } max && number > max))
            {
                var low = field.Min?.ToString(CultureInfo.InvariantCulture) ?? "-∞";
                var high = field.Max?.ToString(CultureInfo.InvariantCulture) ?? "∞";
                problem = $"{number.ToString(CultureInfo.InvariantCulture)} is outside {low}..{high}.";
                return false;
            }
        }

        return true;
    }
}
