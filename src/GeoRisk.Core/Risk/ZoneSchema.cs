using GeoRisk.Core.Layers;

namespace GeoRisk.Core.Risk;

/// <summary>Attributes of a stored zoning polygon (the same in every store and in exports).</summary>
public static class ZoneSchema
{
    public static readonly IReadOnlyList<SchemaField> Fields =
    [
        new("zone_id", FieldKind.Integer, Required: true, []),
        new("product", FieldKind.Text, Required: false, []),
        new("grade", FieldKind.Integer, Required: true, []),
        new("grade_label", FieldKind.Text, Required: true, []),
        new("grade_label_zh", FieldKind.Text, Required: true, []),
        new("grade_term", FieldKind.Text, Required: false, []),
        new("grade_term_zh", FieldKind.Text, Required: false, []),
        new("prevention", FieldKind.Text, Required: true, []),
        new("prevention_zh", FieldKind.Text, Required: false, []),
        new("area_km2", FieldKind.Real, Required: true, []),
        new("hazard_points", FieldKind.Integer, Required: true, []),
        new("threatened_people", FieldKind.Integer, Required: true, []),
        new("exposed_people", FieldKind.Integer, Required: false, []),
        new("exposed_buildings", FieldKind.Integer, Required: false, []),
        new("surveys", FieldKind.Text, Required: false, []),
    ];
}
