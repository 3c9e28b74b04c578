using System.Data.Common;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Validation;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace GeoRisk.Storage.PostGis.Internal;

/// <summary>
/// Features and zones in PostGIS: every version's rows in one table keyed by (layer, version) or run, the attributes as
/// jsonb, written by binary COPY, read through the GiST index with the exact test and the paging in SQL.
/// </summary>
internal static class FeatureRows
{
    /// <summary>COPYs <paramref name="features"/> into <paramref name="table"/>: the key columns, then source id, geometry and attributes.</summary>
    /// <param name="keyColumns">The leading columns, e.g. "layer_key, version", and <paramref name="writeKey"/> writes their values.</param>
    public static async Task CopyAsync(SqlWrite write, string table, string keyColumns, string idColumn,
        Func<NpgsqlBinaryImporter, CancellationToken, Task> writeKey, IReadOnlyList<GeoFeature> features, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)write.Connection;
        await using var writer = await connection.BeginBinaryImportAsync(
            $"COPY {table} ({keyColumns}, {idColumn}, geom, attributes) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var f in features)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await writer.StartRowAsync(cancellationToken);
            await writeKey(writer, cancellationToken);
            await writer.WriteAsync(f.Id, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(PostGisDialect.WithSrid(f.Geometry), NpgsqlDbType.Geometry, cancellationToken);
            await writer.WriteAsync(CatalogJson.Write(f.Attributes), NpgsqlDbType.Jsonb, cancellationToken);
        }

        await writer.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// Rows of <paramref name="table"/> matching <paramref name="filter"/> (SQL over the caller's parameters), intersecting the
    /// query's bbox, with the query's id in <paramref name="idColumn"/>, paged, in insertion order.
    /// </summary>
    private static DbCommand Select(DbConnection connection, string table, string idColumn, string filter, FeatureQuery query)
    {
        // The query window as a geometry: a degenerate box (a point query) stays a point or a line, which ST_MakeEnvelope would not.
        var cmd = connection.Command($"SELECT {idColumn}, geom, attributes FROM {table} WHERE {filter}" +
            (query.Bbox is null ? "" : " AND geom && @env AND ST_Intersects(geom, @env)") + (query.Id is null ? "" : $" AND {idColumn} = @id") +
            " ORDER BY fid LIMIT @limit OFFSET @offset");
        if (query.Id is { } id)
        {
            cmd.With("id", id);
        }

        if (query.Bbox is { } bbox)
        {
            cmd.Parameters.Add(new NpgsqlParameter("env", NpgsqlDbType.Geometry) { Value = PostGisDialect.WithSrid(new GeometryFactory().ToGeometry(bbox)) });
        }

        return cmd.With("limit", (long)query.Limit).With("offset", query.Offset);
    }

    /// <summary>Features of a layer version; a query id is a source id, found through the (layer_key, version, source_fid) index.</summary>
    public static async Task<IReadOnlyList<GeoFeature>> ReadLayerAsync(DbConnection connection, CurrentVersion current, FeatureQuery query,
        CancellationToken cancellationToken)
    {
        await using var cmd = Select(connection, "georisk_features", "source_fid", "layer_key = @k AND version = @v", query)
            .With("k", current.LayerKey).With("v", current.Version);
        return await ReadAsync(cmd, LayerSchema.For(current.Kind).Fields, cancellationToken);
    }

    /// <summary>Zones of a run (of one product, when given; zones stored before products are susceptibility zones).</summary>
    public static async Task<IReadOnlyList<GeoFeature>> ReadZonesAsync(DbConnection connection, int runId, FeatureQuery query, string? product,
        CancellationToken cancellationToken)
    {
        var filter = "run_id = @r" + (product is null ? "" : " AND COALESCE(attributes->>'product', 'susceptibility') = @p");
        await using var cmd = Select(connection, "georisk_zones", "zone_id", filter, query).With("r", runId);
        if (product is not null)
        {
            cmd.With("p", product);
        }

        return await ReadAsync(cmd, ZoneSchema.Fields, cancellationToken);
    }

    /// <summary>Reads features, giving schema fields the same CLR types the embedded store returns (long, double, string).</summary>
    private static async Task<IReadOnlyList<GeoFeature>> ReadAsync(DbCommand cmd, IReadOnlyList<SchemaField> fields, CancellationToken cancellationToken)
    {
        var kinds = fields.ToDictionary(f => f.Name, f => f.Kind, StringComparer.Ordinal);
        return await cmd.ReadAllAsync(reader =>
        {
            var attributes = fields.ToDictionary(f => f.Name, _ => (object?)null, StringComparer.Ordinal);
            CatalogJson.ReadAttributes(reader.GetString(2), kinds, booleansAsIntegers: true, attributes);
            return new GeoFeature(reader.GetInt64(0), reader.GetFieldValue<Geometry>(1), attributes);
        }, cancellationToken);
    }
}
