namespace GeoRisk.Storage.GeoPackage.Internal;

/// <summary>
/// The catalog schema. The file is a valid GeoPackage 1.3 (QGIS and GDAL open it): every published layer
/// version is an immutable feature table registered in gpkg_contents, named from integers only.
/// </summary>
internal static class Schema
{
    public const int Version = 2;

    // CGCS2000 geographic 2D; WKT from the EPSG definition.
    public const string Cgcs2000Wkt =
        "GEOGCS[\"China Geodetic Coordinate System 2000\",DATUM[\"China_2000\",SPHEROID[\"CGCS2000\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"1024\"]],AUTHORITY[\"EPSG\",\"1043\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4490\"]]";

    private const string Wgs84Wkt =
        "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4326\"]]";

    /// <summary>
    /// The tables every GeoPackage has (GeoPackage 1.3 §1.1 and §2.1.6: spatial reference systems with the
    /// three required rows, contents, geometry columns, extensions).
    /// </summary>
    public static readonly string[] GeoPackageCore =
    [
        "PRAGMA application_id = 1196444487", // 'GPKG'
        "PRAGMA user_version = 10300",
        """
        CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
          srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
          organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)
        """,
        """
        CREATE TABLE IF NOT EXISTS gpkg_contents (
          table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
          last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
          min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
          srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))
        """,
        """
        CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
          table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
          z TINYINT NOT NULL, m TINYINT NOT NULL,
          CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
          CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
          CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))
        """,
        """
        CREATE TABLE IF NOT EXISTS gpkg_extensions (
          table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
          CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))
        """,
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL)",
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL)",
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES ('WGS 84 " +
        "geodetic', 4326, 'EPSG', 4326, '" + Wgs84Wkt + "', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
    ];

    public static readonly string[] Statements =
    [
        .. GeoPackageCore,
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES ('China Geodetic Coordinate System 2000', 4490, 'EPSG', 4490, '" + Cgcs2000Wkt.Replace(
            "'", "''", StringComparison.Ordinal) + "', 'GeoRisk storage CRS')",
        """
        CREATE TABLE IF NOT EXISTS georisk_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS georisk_surveys (
          id TEXT PRIMARY KEY, title TEXT NOT NULL, scale_denominator INTEGER NOT NULL, survey_type TEXT NOT NULL,
          organisation TEXT NOT NULL, completed_on TEXT, accepted INTEGER NOT NULL, accepted_on TEXT,
          standard_reference TEXT, coverage BLOB, updated_at TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS georisk_layers (
          layer_key INTEGER PRIMARY KEY AUTOINCREMENT,
          survey_id TEXT NOT NULL REFERENCES georisk_surveys(id),
          name TEXT NOT NULL, kind TEXT NOT NULL, current_version INTEGER NOT NULL DEFAULT 0,
          UNIQUE (survey_id, name))
        """,
        """
        CREATE TABLE IF NOT EXISTS georisk_layer_versions (
          layer_key INTEGER NOT NULL REFERENCES georisk_layers(layer_key), version INTEGER NOT NULL,
          table_name TEXT, raster_file TEXT, created_at TEXT NOT NULL, uploader TEXT NOT NULL,
          source_file TEXT NOT NULL, source_sha256 TEXT NOT NULL, source_crs TEXT,
          field_mapping TEXT NOT NULL, report TEXT NOT NULL, feature_count INTEGER NOT NULL,
          min_x REAL, min_y REAL, max_x REAL, max_y REAL, raster_json TEXT,
          PRIMARY KEY (layer_key, version))
        """,
        // Version 2: zoning runs. The current run is the latest one.
        """
        CREATE TABLE IF NOT EXISTS georisk_zoning_runs (
          run_id INTEGER PRIMARY KEY, run_key TEXT NOT NULL, model_name TEXT NOT NULL, model_hash TEXT NOT NULL,
          created_at TEXT NOT NULL, record TEXT NOT NULL, table_name TEXT NOT NULL, rasters TEXT NOT NULL, zone_count INTEGER NOT NULL,
          min_x REAL, min_y REAL, max_x REAL, max_y REAL)
        """,
    ];

    /// <summary>
    /// The triggers of the R-tree spatial index extension (GeoPackage 1.3 Annex F.3) that keep
    /// rtree_&lt;t&gt;_&lt;c&gt; in step with inserts, updates and deletes made by other programs.
    /// </summary>
    public static IEnumerable<string> RtreeTriggers(string table, string column, string id)
    {
        var rtree = $"\"rtree_{table}_{column}\"";
        var (t, c, i) = ($"\"{table}\"", $"\"{column}\"", $"\"{id}\"");
        var bounds = $"NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})";
        var name = $"rtree_{table}_{column}";
        yield return $"CREATE TRIGGER \"{name}_insert\" AFTER INSERT ON {t} WHEN (NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN INSERT OR REPLACE INTO {rtree} VALUES ({bounds}); END";
        yield return $"CREATE TRIGGER \"{name}_update1\" AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN INSERT OR REPLACE INTO {rtree} VALUES ({bounds}); END";
        yield return $"CREATE TRIGGER \"{name}_update2\" AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {rtree} WHERE id = OLD.{i}; END";
        yield return $"CREATE TRIGGER \"{name}_update3\" AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {rtree} WHERE id = OLD.{i}; INSERT OR REPLACE INTO {rtree} VALUES ({bounds}); END";
        yield return $"CREATE TRIGGER \"{name}_update4\" AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {rtree} WHERE id IN (OLD.{i}, NEW.{i}); END";
        yield return $"CREATE TRIGGER \"{name}_delete\" AFTER DELETE ON {t} WHEN OLD.{c} NOT NULL BEGIN DELETE FROM {rtree} WHERE id = OLD.{i}; END";
    }
}
