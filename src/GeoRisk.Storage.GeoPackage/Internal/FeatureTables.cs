using System.Collections.Concurrent;
using System.Data.Common;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Validation;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace GeoRisk.Storage.GeoPackage.Internal;

/// <summary>What a new feature table is called and how gpkg_contents describes it.</summary>
internal sealed record FeatureTableSpec(string Table, IReadOnlyList<SchemaField> Fields, string Identifier, string Description, Envelope? Bounds);

/// <summary>
/// The GeoPackage's immutable feature tables (fv_&lt;layer&gt;_&lt;version&gt;, zr_&lt;run&gt;): schema fields as typed
/// columns, other attributes as JSON in <c>extra</c>, an R-tree (GeoPackage 1.3 Annex F.3) and a source_fid index.
/// </summary>
internal static class FeatureTables
{
    private static readonly ConcurrentDictionary<(string Database, string Table), HashSet<string>> s_columns = new();

    /// <summary>Creates, fills, indexes and registers (gpkg_contents) a feature table inside the caller's transaction.</summary>
    public static async Task CreateAsync(SqlWrite write, FeatureTableSpec spec, IReadOnlyList<GeoFeature> features, CancellationToken cancellationToken)
    {
        var (connection, tx) = ((SqliteConnection)write.Connection, (SqliteTransaction)write.Transaction);
        var table = spec.Table;
        var columns = string.Concat(spec.Fields.Select(f => $", \"{f.Name}\" {SqlType(f.Kind)}"));
        await connection.ExecuteAsync(tx,
            $"CREATE TABLE \"{table}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT, source_fid INTEGER, geom GEOMETRY NOT NULL{columns}, extra TEXT)",
            cancellationToken);
        await connection.ExecuteAsync(tx, $"CREATE VIRTUAL TABLE \"rtree_{table}_geom\" USING rtree(id, minx, maxx, miny, maxy)", cancellationToken);
        await connection.ExecuteAsync(tx, $"CREATE INDEX \"{table}_source_fid\" ON \"{table}\" (source_fid)", cancellationToken);
        await InsertRowsAsync(connection, tx, table, spec.Fields, features, cancellationToken);
        await RegisterAsync(write, spec, cancellationToken);
    }

    /// <summary>Inserts each feature and its R-tree entry (the envelope computed here, not by triggers).</summary>
    private static async Task InsertRowsAsync(SqliteConnection connection, SqliteTransaction tx, string table, IReadOnlyList<SchemaField> fields,
        IReadOnlyList<GeoFeature> features, CancellationToken cancellationToken)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        var names = string.Concat(fields.Select(f => $", \"{f.Name}\""));
        var values = string.Concat(fields.Select((_, i) => $", @p{i}"));
        insert.CommandText = $"INSERT INTO \"{table}\" (source_fid, geom{names}, extra) VALUES (@source, @geom{values}, @extra)";
        var pSource = insert.Parameters.Add("@source", SqliteType.Integer);
        var pGeom = insert.Parameters.Add("@geom", SqliteType.Blob);
        var pFields = fields.Select((_, i) => insert.Parameters.Add($"@p{i}", SqliteType.Text)).ToArray();
        var pExtra = insert.Parameters.Add("@extra", SqliteType.Text);

        await using var index = connection.CreateCommand();
        index.Transaction = tx;
        index.CommandText = $"INSERT INTO \"rtree_{table}_geom\" VALUES (last_insert_rowid(), @minx, @maxx, @miny, @maxy)";
        var pBox = new[] { "@minx", "@maxx", "@miny", "@maxy" }.Select(n => index.Parameters.Add(n, SqliteType.Real)).ToArray();

        foreach (var feature in features)
        {
            cancellationToken.ThrowIfCancellationRequested();
            pSource.Value = feature.Id;
            pGeom.Value = GeometryBlob.Write(feature.Geometry);
            for (var i = 0; i < pFields.Length; i++)
            {
                feature.Attributes.TryGetValue(fields[i].Name, out var v);
                pFields[i].Value = v ?? DBNull.Value;
            }

            var extra = feature.Attributes.Where(a => fields.All(f => f.Name != a.Key)).ToDictionary(a => a.Key, a => a.Value);
            pExtra.Value = extra.Count == 0 ? DBNull.Value : CatalogJson.Write(extra);
            await insert.ExecuteNonQueryAsync(cancellationToken);
            var env = feature.Geometry.EnvelopeInternal;
            (pBox[0].Value, pBox[1].Value, pBox[2].Value, pBox[3].Value) = (env.MinX, env.MaxX, env.MinY, env.MaxY);
            await index.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Registers the table in gpkg_contents, gpkg_geometry_columns and gpkg_extensions (R-tree), so GDAL and QGIS see it.</summary>
    private static async Task RegisterAsync(SqlWrite write, FeatureTableSpec spec, CancellationToken cancellationToken)
    {
        await using var register = write.Command("""
            INSERT INTO gpkg_contents(table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
            VALUES (@t, 'features', @ident, @desc, @minx, @miny, @maxx, @maxy, 4490);
            INSERT INTO gpkg_geometry_columns VALUES (@t, 'geom', 'GEOMETRY', 4490, 0, 0);
            INSERT INTO gpkg_extensions VALUES (@t, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
            """).With("t", spec.Table).With("ident", spec.Identifier).With("desc", spec.Description).WithBounds(spec.Bounds);
        await register.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Features of a table intersecting the bbox exactly (R-tree for candidates), paged over exact matches.</summary>
    /// <param name="product">Only zones of this product (zone tables; a table from before products holds only susceptibility zones).</param>
    public static async Task<IReadOnlyList<GeoFeature>> ReadAsync(DbConnection connection, string table, IReadOnlyList<SchemaField> fields,
        FeatureQuery query, string? product, CancellationToken cancellationToken)
    {
        // A table written before a schema gained a field lacks its column: it reads as null (tables are immutable).
        var present = await ColumnsOfAsync(connection, table, cancellationToken);
        if (product is not null && !present.Contains("product") && product != "susceptibility")
        {
            return [];
        }

        await using var cmd = Select(connection, table, fields, present, query, product is not null && present.Contains("product") ? product : null);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<GeoFeature>();
        // The R-tree finds candidates by envelope; the exact test and the paging over exact matches happen here.
        var prepared = query.Bbox is null ? null : PreparedGeometryFactory.Prepare(new GeometryFactory().ToGeometry(query.Bbox));
        long skipped = 0;
        while (result.Count < query.Limit && await reader.ReadAsync(cancellationToken))
        {
            var geometry = GeometryBlob.Read((byte[])reader.GetValue(1));
            if (prepared is not null && (!prepared.Intersects(geometry) || skipped++ < query.Offset))
            {
                continue;
            }

            result.Add(new GeoFeature(reader.GetInt64(0), geometry, ReadAttributes(reader, fields)));
        }

        return result;
    }

    /// <summary>The SELECT: through the R-tree for a bbox (paged by the caller), else by fid with LIMIT/OFFSET.</summary>
    private static DbCommand Select(DbConnection connection, string table, IReadOnlyList<SchemaField> fields, HashSet<string> present,
        FeatureQuery query, string? product)
    {
        var columns = string.Concat(fields.Select(f => present.Contains(f.Name) ? $", f.\"{f.Name}\"" : ", NULL"));
        var productFilter = product is null ? "" : " AND COALESCE(f.\"product\", 'susceptibility') = @product";
        var cmd = connection.Command(query.Bbox is null
            ? $"SELECT f.source_fid, f.geom, f.extra{columns} FROM \"{table}\" f WHERE 1 = 1{(query.Id is null ? "" : " AND f.source_fid = @id")}"
                + $"{productFilter} ORDER BY f.fid LIMIT @limit OFFSET @offset"
            : $"""
               SELECT f.source_fid, f.geom, f.extra{columns} FROM "{table}" f JOIN "rtree_{table}_geom" r ON r.id = f.fid
               WHERE r.maxx >= @minx AND r.minx <= @maxx AND r.maxy >= @miny AND r.miny <= @maxy{productFilter} ORDER BY f.fid
               """);
        if (product is not null)
        {
            cmd.With("product", product);
        }

        if (query.Bbox is { } bbox)
        {
            return cmd.WithBounds(bbox);
        }

        cmd.With("limit", query.Limit).With("offset", query.Offset);
        return query.Id is { } id ? cmd.With("id", id) : cmd;
    }

    private static readonly Dictionary<string, FieldKind> s_noKinds = [];

    /// <summary>Schema columns as stored (long, double, string), then the JSON of the other attributes.</summary>
    private static Dictionary<string, object?> ReadAttributes(DbDataReader reader, IReadOnlyList<SchemaField> fields)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (var i = 0; i < fields.Count; i++)
        {
            attributes[fields[i].Name] = reader.IsDBNull(3 + i) ? null : reader.GetValue(3 + i);
        }

        if (!reader.IsDBNull(2))
        {
            CatalogJson.ReadAttributes(reader.GetString(2), s_noKinds, booleansAsIntegers: false, attributes);
        }

        return attributes;
    }

    private static async Task<HashSet<string>> ColumnsOfAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        var key = (connection.DataSource, table);
        if (s_columns.TryGetValue(key, out var known))
        {
            return known;
        }

        await using var cmd = connection.Command("SELECT name FROM pragma_table_info(@t)").With("t", table);
        var names = (await cmd.ReadAllAsync(r => r.GetString(0), cancellationToken)).ToHashSet(StringComparer.Ordinal);
        // Only a table that exists is remembered; a missing one fails in the query that follows, as before.
        return names.Count > 0 ? s_columns.GetOrAdd(key, names) : names;
    }

    /// <summary>Rows of a feature table; null when the table does not exist.</summary>
    public static async Task<long?> CountAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var count = connection.Command($"SELECT COUNT(*) FROM \"{table}\"");
        try
        {
            return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (SqliteException)
        {
            return null;
        }
    }

    private static string SqlType(FieldKind kind) => kind switch
    {
        FieldKind.Integer or FieldKind.Grade => "INTEGER",
        FieldKind.Real => "REAL",
        FieldKind.Date => "DATE",
        _ => "TEXT",
    };
}
