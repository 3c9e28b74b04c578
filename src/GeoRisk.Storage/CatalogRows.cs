using System.Data.Common;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using NetTopologySuite.Geometries;

namespace GeoRisk.Storage;

/// <summary>The catalog's SELECT lists and their row → record mappings, one per record, for both stores.</summary>
internal static class CatalogRows
{
    public const string SurveyColumns =
        "id, title, scale_denominator, survey_type, organisation, completed_on, accepted, accepted_on, standard_reference";

    public static SurveyInfo Survey(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), Enum.Parse<SurveyType>(r.GetString(3)), r.GetString(4),
        r.IsDBNull(5) ? null : r.GetFieldValue<DateOnly>(5),
        Accepted: r.GetBoolean(6),
        AcceptedOn: r.IsDBNull(7) ? null : r.GetFieldValue<DateOnly>(7),
        r.GetNullableString(8));

    public const string LayerSelect = """
        SELECT l.survey_id, l.name, l.kind, l.current_version, v.feature_count, v.min_x, v.min_y, v.max_x, v.max_y, v.created_at
        FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key AND v.version = l.current_version
        ORDER BY l.survey_id, l.name
        """;

    public static LayerInfo Layer(DbDataReader r, SqlDialect dialect) => new(
        r.GetString(0), r.GetString(1), Enum.Parse<LayerKind>(r.GetString(2)), r.GetInt32(3), r.GetInt64(4),
        r.GetEnvelope(5), dialect.GetTimestamp(r, 9));

    public const string VersionSelect = """
        SELECT v.version, v.created_at, v.uploader, v.source_file, v.source_sha256, v.source_crs, v.feature_count,
               v.min_x, v.min_y, v.max_x, v.max_y, v.field_mapping, v.report, v.raster_file
        FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key
        WHERE l.survey_id = @s AND l.name = @n ORDER BY v.version
        """;

    public static LayerVersionInfo Version(DbDataReader r, string surveyId, string layerName, SqlDialect dialect) => new(
        surveyId, layerName, r.GetInt32(0), dialect.GetTimestamp(r, 1), r.GetString(2), r.GetString(3), r.GetString(4),
        r.GetNullableString(5), r.GetInt64(6), r.GetEnvelope(7), r.GetString(11), r.GetString(12), r.GetNullableString(13));

    public const string RunColumns =
        "run_id, run_key, model_name, model_hash, created_at, record, rasters, zone_count, min_x, min_y, max_x, max_y";

    /// <summary>A run row; raster paths made absolute under <paramref name="rasterRoot"/>.</summary>
    public static ZoningRunInfo Run(DbDataReader r, string rasterRoot, SqlDialect dialect)
    {
        var rasters = CatalogJson.ReadRasters(r.GetString(6))
            .ToDictionary(p => p.Key, p => Path.GetFullPath(Path.Combine(rasterRoot, p.Value)), StringComparer.Ordinal);
        return new ZoningRunInfo(r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), dialect.GetTimestamp(r, 4),
            r.GetString(5), rasters, r.GetInt64(7), r.GetEnvelope(8));
    }
}

/// <summary>The current version of a vector layer: its key, number, kind and (GeoPackage) feature table.</summary>
internal sealed record CurrentVersion(long LayerKey, int Version, LayerKind Kind, string? Table);

/// <summary>Which features a read returns: intersecting <paramref name="Bbox"/> (lon/lat), one source id, a page.</summary>
internal sealed record FeatureQuery(Envelope? Bbox, int Limit, long Offset, long? Id = null);

/// <summary>A stored layer version as the consistency check sees it.</summary>
internal sealed record VersionRow(string Layer, long LayerKey, int Version, int Current, string? Table, string? Raster, long FeatureCount);
