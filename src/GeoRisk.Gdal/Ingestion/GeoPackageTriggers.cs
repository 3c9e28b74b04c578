using System.Text.RegularExpressions;

namespace GeoRisk.Gdal.Ingestion;

/// <summary>
/// A GeoPackage's triggers are code that runs when rows change. A survey delivery may carry only the standard
/// ones GDAL writes (spatial index, feature count, tile-matrix constraints), recognised by their whole
/// definition, not by their name: a trigger called rtree_… or gpkg_… with any other body is active content.
/// Definitions are compared with runs of whitespace collapsed; other writers' forms are refused with a hint
/// to re-export with ogr2ogr.
/// </summary>
internal static partial class GeoPackageTriggers
{
    // As GDAL 3.6 writes them; {T} table, {C} geometry column, {I} primary key, {Tq} the table in a '…' literal.
    private static readonly Dictionary<string, string> s_standard = new(StringComparer.Ordinal)
    {
        ["gpkg_tile_matrix_zoom_level_insert"] =
            "CREATE TRIGGER 'gpkg_tile_matrix_zoom_level_insert' BEFORE INSERT ON 'gpkg_tile_matrix' FOR EACH ROW BEGIN SELECT RAISE(ABORT, 'insert on table " +
            "''gpkg_tile_matrix'' violates constraint: zoom_level cannot be less than 0') WHERE (NEW.zoom_level < 0); END",
        ["gpkg_tile_matrix_zoom_level_update"] =
            "CREATE TRIGGER 'gpkg_tile_matrix_zoom_level_update' BEFORE UPDATE of zoom_level ON 'gpkg_tile_matrix' FOR EACH ROW BEGIN SELECT RAISE(ABORT, " +
            "'update on table ''gpkg_tile_matrix'' violates constraint: zoom_level cannot be less than 0') WHERE (NEW.zoom_level < 0); END",
        ["gpkg_tile_matrix_matrix_width_insert"] =
            "CREATE TRIGGER 'gpkg_tile_matrix_matrix_width_insert' BEFORE INSERT ON 'gpkg_tile_matrix' FOR EACH ROW BEGIN SELECT RAISE(ABORT, 'insert on " +
            "table ''gpkg_tile_matrix'' violates constraint: matrix_width cannot be less than 1') WHERE (NEW.matrix_width < 1); END",
        ["gpkg_tile_matrix_matrix_width_update"] =
            "CREATE TRIGGER 'gpkg_tile_matrix_matrix_width_update' BEFORE UPDATE OF matrix_width ON 'gpkg_tile_matrix' FOR EACH ROW BEGIN SELECT " +
            "RAISE(ABORT, 'update on table ''gpkg_tile_matrix'' violates constraint: matrix_width cannot be less than 1') WHERE (NEW.matrix_width < 1); END",
        ["gpkg_tile_matrix_matrix_height_insert"] =
            "CREATE TRIGGER 'gpkg_tile_matrix_matrix_height_insert' BEFORE INSERT ON 'gpkg_tile_matrix' FOR EACH ROW BEGIN SELECT RAISE(ABORT, 'insert on " +
            "table ''gpkg_tile_matrix'' violates constraint: matrix_height cannot be less than 1') WHERE (NEW.matrix_height < 1); END",
        ["gpkg_tile_matrix_matrix_height_update"] =
            "CREATE TRIGGER 'gpkg_tile_matrix_matrix_height_update' BEFORE UPDATE OF matrix_height ON 'gpkg_tile_matrix' FOR EACH ROW BEGIN SELECT " +
            "RAISE(ABORT, 'update on table ''gpkg_tile_matrix'' violates constraint: matrix_height cannot be less than 1') WHERE " +
            "(NEW.matrix_height < 1); END",
        ["gpkg_tile_matrix_pixel_x_size_insert"] =
            "CREATE TRIGGER 'gpkg_tile_matrix_pixel_x_size_insert' BEFORE INSERT ON 'gpkg_tile_matrix' FOR EACH ROW BEGIN SELECT RAISE(ABORT, 'insert on " +
            "table ''gpkg_tile_matrix'' violates constraint: pixel_x_size must be greater than 0') WHERE NOT (NEW.pixel_x_size > 0); END",
        ["gpkg_tile_matrix_pixel_x_size_update"] =
            "CREATE TRIGGER 'gpkg_tile_matrix_pixel_x_size_update' BEFORE UPDATE OF pixel_x_size ON 'gpkg_tile_matrix' FOR EACH ROW BEGIN SELECT " +
            "RAISE(ABORT, 'update on table ''gpkg_tile_matrix'' violates constraint: pixel_x_size must be greater than 0') WHERE NOT " +
            "(NEW.pixel_x_size > 0); END",
        ["gpkg_tile_matrix_pixel_y_size_insert"] =
            "CREATE TRIGGER 'gpkg_tile_matrix_pixel_y_size_insert' BEFORE INSERT ON 'gpkg_tile_matrix' FOR EACH ROW BEGIN SELECT RAISE(ABORT, 'insert on " +
            "table ''gpkg_tile_matrix'' violates constraint: pixel_y_size must be greater than 0') WHERE NOT (NEW.pixel_y_size > 0); END",
        ["gpkg_tile_matrix_pixel_y_size_update"] =
            "CREATE TRIGGER 'gpkg_tile_matrix_pixel_y_size_update' BEFORE UPDATE OF pixel_y_size ON 'gpkg_tile_matrix' FOR EACH ROW BEGIN SELECT " +
            "RAISE(ABORT, 'update on table ''gpkg_tile_matrix'' violates constraint: pixel_y_size must be greater than 0') WHERE NOT " +
            "(NEW.pixel_y_size > 0); END",
        ["rtree_{T}_{C}_insert"] =
            "CREATE TRIGGER \"rtree_{T}_{C}_insert\" AFTER INSERT ON \"{T}\" WHEN (new.\"{C}\" NOT NULL AND NOT ST_IsEmpty(NEW.\"{C}\")) BEGIN INSERT OR " +
            "REPLACE INTO \"rtree_{T}_{C}\" VALUES (NEW.\"{I}\",ST_MinX(NEW.\"{C}\"), ST_MaxX(NEW.\"{C}\"),ST_MinY(NEW.\"{C}\"), ST_MaxY(NEW.\"{C}\")); END",
        ["rtree_{T}_{C}_update1"] =
            "CREATE TRIGGER \"rtree_{T}_{C}_update1\" AFTER UPDATE OF \"{C}\" ON \"{T}\" WHEN OLD.\"{I}\" = NEW.\"{I}\" AND (NEW.\"{C}\" NOTNULL AND NOT " +
            "ST_IsEmpty(NEW.\"{C}\")) BEGIN INSERT OR REPLACE INTO \"rtree_{T}_{C}\" VALUES (NEW.\"{I}\",ST_MinX(NEW.\"{C}\"), " +
            "ST_MaxX(NEW.\"{C}\"),ST_MinY(NEW.\"{C}\"), ST_MaxY(NEW.\"{C}\")); END",
        ["rtree_{T}_{C}_update2"] =
            "CREATE TRIGGER \"rtree_{T}_{C}_update2\" AFTER UPDATE OF \"{C}\" ON \"{T}\" WHEN OLD.\"{I}\" = NEW.\"{I}\" AND (NEW.\"{C}\" ISNULL OR " +
            "ST_IsEmpty(NEW.\"{C}\")) BEGIN DELETE FROM \"rtree_{T}_{C}\" WHERE id = OLD.\"{I}\"; END",
        ["rtree_{T}_{C}_update3"] =
            "CREATE TRIGGER \"rtree_{T}_{C}_update3\" AFTER UPDATE ON \"{T}\" WHEN OLD.\"{I}\" != NEW.\"{I}\" AND (NEW.\"{C}\" NOTNULL AND NOT " +
            "ST_IsEmpty(NEW.\"{C}\")) BEGIN DELETE FROM \"rtree_{T}_{C}\" WHERE id = OLD.\"{I}\"; INSERT OR REPLACE INTO \"rtree_{T}_{C}\" VALUES " +
            "(NEW.\"{I}\",ST_MinX(NEW.\"{C}\"), ST_MaxX(NEW.\"{C}\"),ST_MinY(NEW.\"{C}\"), ST_MaxY(NEW.\"{C}\")); END",
        ["rtree_{T}_{C}_update4"] =
            "CREATE TRIGGER \"rtree_{T}_{C}_update4\" AFTER UPDATE ON \"{T}\" WHEN OLD.\"{I}\" != NEW.\"{I}\" AND (NEW.\"{C}\" ISNULL OR " +
            "ST_IsEmpty(NEW.\"{C}\")) BEGIN DELETE FROM \"rtree_{T}_{C}\" WHERE id IN (OLD.\"{I}\", NEW.\"{I}\"); END",
        ["rtree_{T}_{C}_delete"] =
            "CREATE TRIGGER \"rtree_{T}_{C}_delete\" AFTER DELETE ON \"{T}\" WHEN old.\"{C}\" NOT NULL BEGIN DELETE FROM \"rtree_{T}_{C}\" " +
            "WHERE id = OLD.\"{I}\"; END",
        ["trigger_insert_feature_count_{T}"] =
            "CREATE TRIGGER \"trigger_insert_feature_count_{T}\" AFTER INSERT ON \"{T}\" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + " +
            "1 WHERE lower(table_name) = lower('{Tq}'); END",
        ["trigger_delete_feature_count_{T}"] =
            "CREATE TRIGGER \"trigger_delete_feature_count_{T}\" AFTER DELETE ON \"{T}\" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - " +
            "1 WHERE lower(table_name) = lower('{Tq}'); END",
    };

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>Names of the triggers that are not a standard trigger of their table; empty when every one is.</summary>
    public static IReadOnlyList<string> NonStandard(VectorDataset dataset)
    {
        var found = new List<string>();
        foreach (var row in dataset.QueryStrings(
            "SELECT name || char(31) || tbl_name || char(31) || sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"))
        {
            var parts = (row ?? "").Split('\u001f', 3);
            if (parts.Length != 3 || !IsStandard(dataset, parts[0], parts[1], Normalize(parts[2])))
            {
                found.Add(parts[0]);
            }
        }

        return found;
    }

    private static string Normalize(string sql) => Whitespace().Replace(sql, " ").Trim();

    private static bool IsStandard(VectorDataset dataset, string name, string table, string sql)
    {
        if (s_standard.TryGetValue(name, out var fixedSql) && !fixedSql.Contains('{', StringComparison.Ordinal))
        {
            return sql == fixedSql;
        }

        // Templated triggers: resolve the table's geometry column and key, then compare the whole text.
        var geometry = Single(dataset, $"SELECT column_name FROM gpkg_geometry_columns WHERE table_name = {Literal(table)}");
        var key = Single(dataset, $"SELECT name FROM pragma_table_info({Literal(table)}) WHERE pk = 1");
        if (key is null)
        {
            return false;
        }

        foreach (var (templateName, template) in s_standard)
        {
            if (!template.Contains('{', StringComparison.Ordinal) || (geometry is null && template.Contains("{C}", StringComparison.Ordinal)))
            {
                continue;
            }

            string Fill(string s) => s.Replace("{Tq}", table.Replace("'", "''", StringComparison.Ordinal), StringComparison.Ordinal)
                .Replace("\"{T}\"", Quote(table), StringComparison.Ordinal).Replace("\"{C}\"", Quote(geometry ?? ""), StringComparison.Ordinal)
                .Replace("\"{I}\"", Quote(key), StringComparison.Ordinal)
                .Replace("{T}", table, StringComparison.Ordinal).Replace("{C}", geometry ?? "", StringComparison.Ordinal);
            if (Fill(templateName) == name)
            {
                return sql == Fill(template);
            }
        }

        return false;
    }

    private static string? Single(VectorDataset dataset, string sql)
    {
        try
        {
            var values = dataset.QueryStrings(sql);
            return values.Count == 1 ? values[0] : null;
        }
        catch (GdalException)
        {
            return null; // no such table: the trigger cannot be a standard one
        }
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
