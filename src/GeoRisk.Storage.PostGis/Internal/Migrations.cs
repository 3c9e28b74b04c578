namespace GeoRisk.Storage.PostGis.Internal;

/// <summary>Versioned, idempotent schema migrations, applied in order at start-up.</summary>
internal static class Migrations
{
    public static readonly IReadOnlyList<(int Version, string[] Statements)> All =
    [
        (1,
        [
            "CREATE EXTENSION IF NOT EXISTS postgis",
            """
            CREATE TABLE georisk_surveys (
              id text PRIMARY KEY, title text NOT NULL, scale_denominator integer NOT NULL, survey_type text NOT NULL,
              organisation text NOT NULL, completed_on date, accepted boolean NOT NULL, accepted_on date,
              standard_reference text, coverage geometry(Geometry, 4490), updated_at timestamptz NOT NULL)
            """,
            """
            CREATE TABLE georisk_layers (
              layer_key bigserial PRIMARY KEY, survey_id text NOT NULL REFERENCES georisk_surveys(id),
              name text NOT NULL, kind text NOT NULL, current_version integer NOT NULL DEFAULT 0, UNIQUE (survey_id, name))
            """,
            """
            CREATE TABLE georisk_layer_versions (
              layer_key bigint NOT NULL REFERENCES georisk_layers(layer_key), version integer NOT NULL,
              raster_file text, created_at timestamptz NOT NULL, uploader text NOT NULL, source_file text NOT NULL,
              source_sha256 text NOT NULL, source_crs text, field_mapping text NOT NULL, report text NOT NULL,
              feature_count bigint NOT NULL, min_x double precision, min_y double precision, max_x double precision, max_y double precision,
              raster_json text, PRIMARY KEY (layer_key, version))
            """,
            """
            CREATE TABLE georisk_features (
              fid bigserial PRIMARY KEY, layer_key bigint NOT NULL, version integer NOT NULL, source_fid bigint NOT NULL,
              geom geometry(Geometry, 4490) NOT NULL, attributes jsonb NOT NULL)
            """,
            "CREATE INDEX georisk_features_version ON georisk_features (layer_key, version, fid)",
            "CREATE INDEX georisk_features_geom ON georisk_features USING gist (geom)",
            """
            CREATE TABLE georisk_zoning_runs (
              run_id integer PRIMARY KEY, run_key text NOT NULL, model_name text NOT NULL, model_hash text NOT NULL,
              created_at timestamptz NOT NULL, record text NOT NULL, rasters text NOT NULL, zone_count bigint NOT NULL,
              min_x double precision, min_y double precision, max_x double precision, max_y double precision)
            """,
            """
            CREATE TABLE georisk_zones (
              fid bigserial PRIMARY KEY, run_id integer NOT NULL, zone_id bigint NOT NULL,
              geom geometry(Geometry, 4490) NOT NULL, attributes jsonb NOT NULL)
            """,
            "CREATE INDEX georisk_zones_run ON georisk_zones (run_id, fid)",
            "CREATE INDEX georisk_zones_geom ON georisk_zones USING gist (geom)",
        ]),
        (2,
        [
            // Single-feature lookups (OGC items/{id}) by the source's feature id and the zone id.
            "CREATE INDEX georisk_features_source ON georisk_features (layer_key, version, source_fid)",
            "CREATE INDEX georisk_zones_zone ON georisk_zones (run_id, zone_id)",
        ]),
    ];
}
