using GeoRisk.Core.Layers;

namespace GeoRisk.Core.Risk;

/// <summary>Attributes of a stored zoning polygon (the same in every store and in exports).</summary>
public static class ZoneSchema
{
    public static readonly IReadOnlyList<SchemaField> Fields =
    [
        new("zone_id", FieldKind.Integer, true, []),
        new("product", FieldKind.Text, false, []),
        new("grade", FieldKind.Integer, true, []),
        new("grade_label", FieldKind.Text, true, []),
        new("grade_label_zh", FieldKind.Text, true, []),
        new("grade_term", FieldKind.Text, false, []),
        new("grade_term_zh", FieldKind.Text, false, []),
        new("prevention", FieldKind.Text, true, []),
        new("prevention_zh", FieldKind.Text, false, []),
        new("area_km2", FieldKind.Real, true, []),
        new("hazard_points", FieldKind.Integer, true, []),
        new("threatened_people", FieldKind.Integer, true, []),
        new("exposed_people", FieldKind.Integer, false, []),
        new("exposed_buildings", FieldKind.Integer, false, []),
        new("surveys", FieldKind.Text, false, []),
    ];
}
