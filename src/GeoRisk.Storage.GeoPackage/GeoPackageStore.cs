using System.Globalization;
using System.Text.Json;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using GeoRisk.Storage.GeoPackage.Internal;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Storage.GeoPackage;

/// <summary>
/// The embedded store: one GeoPackage catalog (SQLite, WAL) plus COG files beside it. Needs no server.
/// Versions are immutable tables; publishing creates the table, fills it and moves the current-version
/// pointer in one SQLite transaction, so a crash at any point leaves the previous version current.
/// </summary>
public sealed partial class GeoPackageStore : IGeoRiskStore
{
    private const string CatalogFile = "catalog.gpkg";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly string _root;
    private readonly string _connectionString;
    // SQLite has one writer at a time anyway; serialising publishes in-process avoids SQLITE_BUSY retries.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public GeoPackageStore(GeoPackageStoreOptions options)
    {
        _root = Path.GetFullPath(options.Directory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_root, CatalogFile),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Description = new StoreDescription("geopackage", _root);
        _cleanUp = options.CleanUpOnInitialize;
    }

    private readonly bool _cleanUp;

    public StoreDescription Description { get; }

    private string RasterRoot => Path.Combine(_root, "rasters");

    private string StagingRoot => Path.Combine(_root, "staging");

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(RasterRoot);
        if (_cleanUp && Directory.Exists(StagingRoot))
        {
            // Whatever is staged belongs to a publish that never committed.
            Directory.Delete(StagingRoot, recursive: true);
        }

        Directory.CreateDirectory(StagingRoot);
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken);
        await using (var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken))
        {
            foreach (var statement in Schema.Statements)
            {
                await ExecuteAsync(connection, tx, statement, cancellationToken);
            }

            await ExecuteAsync(connection, tx, "INSERT OR REPLACE INTO georisk_meta(key, value) VALUES ('schema_version', '" + Schema.Version.ToString(CultureInfo.InvariantCulture) + "')", cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        if (_cleanUp)
        {
            await RemoveOrphanRastersAsync(connection, cancellationToken);
            await IndexSourceIdsAsync(connection, cancellationToken);
        }
    }

    /// <summary>Feature tables written before single-feature lookups had an index get one (once; later starts find it).</summary>
    private static async Task IndexSourceIdsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var tables = new List<string>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = """
                SELECT c.table_name FROM gpkg_contents c
                WHERE (c.table_name LIKE 'fv\_%' ESCAPE '\' OR c.table_name LIKE 'zr\_%' ESCAPE '\')
                  AND NOT EXISTS (SELECT 1 FROM sqlite_master i WHERE i.type = 'index' AND i.name = c.table_name || '_source_fid')
                """;
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }

        foreach (var table in tables.Where(t => t.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')))
        {
            await ExecuteAsync(connection, null, $"CREATE INDEX IF NOT EXISTS \"{table}_source_fid\" ON \"{table}\" (source_fid)", cancellationToken);
        }
    }

    public async Task UpsertSurveyAsync(SurveyInfo survey, Geometry? coverage, CancellationToken cancellationToken = default)
    {
        var problems = survey.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(survey));
        }

        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                INSERT INTO georisk_surveys(id, title, scale_denominator, survey_type, organisation, completed_on, accepted, accepted_on, standard_reference, coverage, updated_at)
                VALUES (@id, @title, @scale, @type, @org, @completed, @accepted, @acceptedOn, @standard, @coverage, @now)
                ON CONFLICT(id) DO UPDATE SET title = excluded.title, scale_denominator = excluded.scale_denominator,
                  survey_type = excluded.survey_type, organisation = excluded.organisation, completed_on = excluded.completed_on,
                  accepted = excluded.accepted, accepted_on = excluded.accepted_on, standard_reference = excluded.standard_reference,
                  coverage = COALESCE(excluded.coverage, georisk_surveys.coverage), updated_at = excluded.updated_at
                """;
            cmd.Parameters.AddWithValue("@id", survey.Id);
            cmd.Parameters.AddWithValue("@title", survey.Title);
            cmd.Parameters.AddWithValue("@scale", survey.ScaleDenominator);
            cmd.Parameters.AddWithValue("@type", survey.Type.ToString());
            cmd.Parameters.AddWithValue("@org", survey.Organisation);
            cmd.Parameters.AddWithValue("@completed", (object?)survey.CompletedOn?.ToString("O", CultureInfo.InvariantCulture) ?? DBNull.Value);
            cmd.Parameters.AddWithValue("@accepted", survey.Accepted ? 1 : 0);
            cmd.Parameters.AddWithValue("@acceptedOn", (object?)survey.AcceptedOn?.ToString("O", CultureInfo.InvariantCulture) ?? DBNull.Value);
            cmd.Parameters.AddWithValue("@standard", (object?)survey.StandardReference ?? DBNull.Value);
            cmd.Parameters.AddWithValue("@coverage", coverage is null ? DBNull.Value : GeometryBlob.Write(coverage));
            cmd.Parameters.AddWithValue("@now", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Size and modification time (ns) of the catalog and its write-ahead log: every committed write, by this or
    /// another process, appends to the WAL or (checkpointed) rewrites the catalog. Two stat calls, no SQL.
    /// </summary>
    public string? ChangeStamp
    {
        get
        {
            var catalog = new FileInfo(Path.Combine(_root, CatalogFile));
            var wal = new FileInfo(catalog.FullName + "-wal");
            return string.Create(CultureInfo.InvariantCulture,
                $"{(catalog.Exists ? catalog.Length : -1)}:{(catalog.Exists ? catalog.LastWriteTimeUtc.Ticks : 0)}:{(wal.Exists ? wal.Length : -1)}:{(wal.Exists ? wal.LastWriteTimeUtc.Ticks : 0)}");
        }
    }

    public async Task<IReadOnlyList<SurveyInfo>> ListSurveysAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, title, scale_denominator, survey_type, organisation, completed_on, accepted, accepted_on, standard_reference FROM georisk_surveys ORDER BY id";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<SurveyInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new SurveyInfo(
                reader.GetString(0), reader.GetString(1), reader.GetInt32(2), Enum.Parse<SurveyType>(reader.GetString(3)), reader.GetString(4),
                reader.IsDBNull(5) ? null : DateOnly.Parse(reader.GetString(5), CultureInfo.InvariantCulture),
                Accepted: reader.GetInt32(6) != 0,
                AcceptedOn: reader.IsDBNull(7) ? null : DateOnly.Parse(reader.GetString(7), CultureInfo.InvariantCulture),
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return result;
    }

    public async Task<Geometry?> GetSurveyCoverageAsync(string surveyId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT coverage FROM georisk_surveys WHERE id = @id";
        cmd.Parameters.AddWithValue("@id", surveyId);
        var value = await cmd.ExecuteScalarAsync(cancellationToken);
        return value is byte[] blob ? GeometryBlob.Read(blob) : null;
    }

    public string CreateStagingPath(string extension)
    {
        Directory.CreateDirectory(StagingRoot);
        return Path.Combine(StagingRoot, Guid.NewGuid().ToString("N") + extension);
    }

    public async Task<LayerVersionInfo> PublishVectorLayerAsync(LayerPublication publication, IReadOnlyList<GeoFeature> features, CancellationToken cancellationToken = default)
    {
        var schema = LayerSchema.For(publication.Kind);
        var bounds = GeoFeature.BoundsOf(features);
        return await PublishAsync(publication, features.Count, bounds, null, async (connection, tx, layerKey, version) =>
        {
            var table = $"fv_{layerKey}_{version}";
            await CreateFeatureTableAsync(connection, tx, table, schema.Fields, features, $"{publication.SurveyId}/{publication.LayerName} v{version}",
                $"{publication.Kind.ToToken()} from {publication.SourceFile}", bounds, cancellationToken);
            return (table, null);
        }, cancellationToken);
    }

    public async Task<LayerVersionInfo> PublishRasterLayerAsync(LayerPublication publication, RasterDescription raster, string stagedFile, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(stagedFile))
        {
            throw new FileNotFoundException("Staged raster not found.", stagedFile);
        }

        // The move happens before the commit; if the commit fails the file is deleted again, and if the
        // process dies first, start-up removes the unreferenced file.
        var placement = new StagedRasterPlacement(_root);
        try
        {
            return await PublishAsync(publication, (long)raster.Width * raster.Height, raster.GetBounds(), JsonSerializer.Serialize(raster, s_json), (connection, tx, layerKey, version) =>
                Task.FromResult<(string?, string?)>((null, placement.Place(stagedFile, Path.Combine("rasters", layerKey.ToString(CultureInfo.InvariantCulture), $"v{version}.tif")))), cancellationToken);
        }
        catch
        {
            placement.Undo();
            throw;
        }
    }

    public async Task<IReadOnlyList<LayerInfo>> ListLayersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT l.survey_id, l.name, l.kind, l.current_version, v.feature_count, v.min_x, v.min_y, v.max_x, v.max_y, v.created_at
            FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key AND v.version = l.current_version
            ORDER BY l.survey_id, l.name
            """;
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<LayerInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new LayerInfo(reader.GetString(0), reader.GetString(1), Enum.Parse<LayerKind>(reader.GetString(2)), reader.GetInt32(3), reader.GetInt64(4),
                ReadEnvelope(reader, 5), DateTimeOffset.Parse(reader.GetString(9), CultureInfo.InvariantCulture)));
        }

        return result;
    }

    public async Task<IReadOnlyList<LayerVersionInfo>> ListVersionsAsync(string surveyId, string layerName, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT v.version, v.created_at, v.uploader, v.source_file, v.source_sha256, v.source_crs, v.feature_count,
                   v.min_x, v.min_y, v.max_x, v.max_y, v.field_mapping, v.report, v.raster_file
            FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key
            WHERE l.survey_id = @s AND l.name = @n ORDER BY v.version
            """;
        cmd.Parameters.AddWithValue("@s", surveyId);
        cmd.Parameters.AddWithValue("@n", layerName);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<LayerVersionInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new LayerVersionInfo(surveyId, layerName, reader.GetInt32(0), DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture),
                reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt64(6),
                ReadEnvelope(reader, 7), reader.GetString(11), reader.GetString(12), reader.IsDBNull(13) ? null : reader.GetString(13)));
        }

        return result;
    }

    public async Task<IReadOnlyList<GeoFeature>> QueryFeaturesAsync(string surveyId, string layerName, Envelope? bbox, int limit, long offset = 0, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var (table, kind) = await CurrentTableAsync(connection, surveyId, layerName, cancellationToken);
        var schema = LayerSchema.For(kind);
        return await ReadFeaturesAsync(connection, table, schema.Fields, bbox, limit, offset, cancellationToken);
    }

    public async Task<GeoFeature?> GetFeatureAsync(string surveyId, string layerName, long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var (table, kind) = await CurrentTableAsync(connection, surveyId, layerName, cancellationToken);
        return (await ReadFeaturesAsync(connection, table, LayerSchema.For(kind).Fields, null, 1, 0, cancellationToken, id)).FirstOrDefault();
    }

    public async Task<string> GetRasterPathAsync(string surveyId, string layerName, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT v.raster_file FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key AND v.version = l.current_version
            WHERE l.survey_id = @s AND l.name = @n
            """;
        cmd.Parameters.AddWithValue("@s", surveyId);
        cmd.Parameters.AddWithValue("@n", layerName);
        return await cmd.ExecuteScalarAsync(cancellationToken) is string relative
            ? Path.Combine(_root, relative)
            : throw new KeyNotFoundException($"No raster layer '{surveyId}/{layerName}'.");
    }

    public async Task<IReadOnlyList<string>> CheckConsistencyAsync(CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        await using var connection = await OpenAsync(cancellationToken);
        await using (var integrity = connection.CreateCommand())
        {
            integrity.CommandText = "PRAGMA integrity_check";
            if (await integrity.ExecuteScalarAsync(cancellationToken) is not "ok")
            {
                problems.Add("SQLite integrity check failed.");
            }
        }

        var versions = new List<(string Layer, int Version, int Current, string? Table, string? Raster, long Count)>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = """
                SELECT l.survey_id || '/' || l.name, v.version, l.current_version, v.table_name, v.raster_file, v.feature_count
                FROM georisk_layers l LEFT JOIN georisk_layer_versions v ON v.layer_key = l.layer_key
                """;
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.IsDBNull(1))
                {
                    problems.Add($"Layer {reader.GetString(0)} has no version.");
                    continue;
                }

                versions.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5)));
            }
        }

        foreach (var layer in versions.GroupBy(v => v.Layer))
        {
            if (layer.All(v => v.Version != v.Current))
            {
                problems.Add($"Layer {layer.Key}: current version {layer.First().Current} does not exist.");
            }
        }

        var tables = new HashSet<string>(StringComparer.Ordinal);
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 3) = 'fv_'";
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }

        foreach (var v in versions)
        {
            if (v.Table is not null)
            {
                if (!tables.Remove(v.Table))
                {
                    problems.Add($"{v.Layer} v{v.Version}: feature table {v.Table} is missing.");
                    continue;
                }

                await using var count = connection.CreateCommand();
                count.CommandText = $"SELECT COUNT(*) FROM \"{v.Table}\"";
                var rows = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
                if (rows != v.Count)
                {
                    problems.Add($"{v.Layer} v{v.Version}: {rows} features stored, {v.Count} recorded.");
                }
            }
            else if (v.Raster is null || !File.Exists(Path.Combine(_root, v.Raster)))
            {
                problems.Add($"{v.Layer} v{v.Version}: raster file {v.Raster} is missing.");
            }
        }

        problems.AddRange(tables.Select(t => $"Feature table {t} belongs to no version."));
        var referenced = versions.Where(v => v.Raster is not null).Select(v => Path.GetFullPath(Path.Combine(_root, v.Raster!))).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(await CheckZoningRunsAsync(connection, referenced, cancellationToken));
        if (Directory.Exists(RasterRoot))
        {
            problems.AddRange(Directory.EnumerateFiles(RasterRoot, "*", SearchOption.AllDirectories)
                .Where(f => !referenced.Contains(Path.GetFullPath(RasterSidecars.OwnerOf(f)))).Select(f => $"Raster file {Path.GetRelativePath(_root, f)} belongs to no version."));
        }

        return problems;
    }

    public ValueTask DisposeAsync()
    {
        _writeGate.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Creates, fills, indexes and registers (gpkg_contents) a feature table inside the caller's transaction.</summary>
    private static async Task CreateFeatureTableAsync(SqliteConnection connection, SqliteTransaction tx, string table, IReadOnlyList<SchemaField> fields,
        IReadOnlyList<GeoFeature> features, string identifier, string description, Envelope? bounds, CancellationToken cancellationToken)
    {
        var columns = fields.Select(f => $"\"{f.Name}\" {SqlType(f.Kind)}");
        await ExecuteAsync(connection, tx, $"CREATE TABLE \"{table}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT, source_fid INTEGER, geom GEOMETRY NOT NULL{string.Concat(columns.Select(c => ", " + c))}, extra TEXT)", cancellationToken);
        await ExecuteAsync(connection, tx, $"CREATE VIRTUAL TABLE \"rtree_{table}_geom\" USING rtree(id, minx, maxx, miny, maxy)", cancellationToken);
        await ExecuteAsync(connection, tx, $"CREATE INDEX \"{table}_source_fid\" ON \"{table}\" (source_fid)", cancellationToken);

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
        var pMinX = index.Parameters.Add("@minx", SqliteType.Real);
        var pMaxX = index.Parameters.Add("@maxx", SqliteType.Real);
        var pMinY = index.Parameters.Add("@miny", SqliteType.Real);
        var pMaxY = index.Parameters.Add("@maxy", SqliteType.Real);

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
            pExtra.Value = extra.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(extra, s_json);
            await insert.ExecuteNonQueryAsync(cancellationToken);
            var env = feature.Geometry.EnvelopeInternal;
            pMinX.Value = env.MinX;
            pMaxX.Value = env.MaxX;
            pMinY.Value = env.MinY;
            pMaxY.Value = env.MaxY;
            await index.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var register = connection.CreateCommand();
        register.Transaction = tx;
        register.CommandText = """
            INSERT INTO gpkg_contents(table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
            VALUES (@t, 'features', @ident, @desc, @minx, @miny, @maxx, @maxy, 4490);
            INSERT INTO gpkg_geometry_columns VALUES (@t, 'geom', 'GEOMETRY', 4490, 0, 0);
            INSERT INTO gpkg_extensions VALUES (@t, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
            """;
        register.Parameters.AddWithValue("@t", table);
        register.Parameters.AddWithValue("@ident", identifier);
        register.Parameters.AddWithValue("@desc", description);
        register.Parameters.AddWithValue("@minx", (object?)bounds?.MinX ?? DBNull.Value);
        register.Parameters.AddWithValue("@miny", (object?)bounds?.MinY ?? DBNull.Value);
        register.Parameters.AddWithValue("@maxx", (object?)bounds?.MaxX ?? DBNull.Value);
        register.Parameters.AddWithValue("@maxy", (object?)bounds?.MaxY ?? DBNull.Value);
        await register.ExecuteNonQueryAsync(cancellationToken);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Database, string Table), HashSet<string>> s_columns = new();

    private static async Task<HashSet<string>> ColumnsOfAsync(SqliteConnection connection, string table, CancellationToken cancellationToken)
    {
        var key = (connection.DataSource, table);
        if (s_columns.TryGetValue(key, out var known))
        {
            return known;
        }

        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name FROM pragma_table_info(@t)";
        cmd.Parameters.AddWithValue("@t", table);
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }

        // Only a table that exists is remembered; a missing one fails in the query that follows, as before.
        return names.Count > 0 ? s_columns.GetOrAdd(key, names) : names;
    }

    /// <summary>Features of a table intersecting the bbox exactly (R-tree for candidates), paged over exact matches.</summary>
    /// <param name="id">Only the feature with this source id (through the table's source_fid index).</param>
    /// <param name="product">Only zones of this product (zone tables; a table from before products holds only susceptibility zones).</param>
    private static async Task<IReadOnlyList<GeoFeature>> ReadFeaturesAsync(SqliteConnection connection, string table, IReadOnlyList<SchemaField> fields, Envelope? bbox, int limit, long offset,
        CancellationToken cancellationToken, long? id = null, string? product = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        // A table written before a schema gained a field lacks its column: it reads as null (tables are immutable).
        var present = await ColumnsOfAsync(connection, table, cancellationToken);
        if (product is not null && !present.Contains("product") && product != "susceptibility")
        {
            return [];
        }

        await using var cmd = connection.CreateCommand();
        var columns = string.Concat(fields.Select(f => present.Contains(f.Name) ? $", f.\"{f.Name}\"" : ", NULL"));
        var productFilter = product is not null && present.Contains("product") ? " AND COALESCE(f.\"product\", 'susceptibility') = @product" : "";
        if (productFilter.Length > 0)
        {
            cmd.Parameters.AddWithValue("@product", product);
        }

        cmd.CommandText = bbox is null
            ? $"SELECT f.source_fid, f.geom, f.extra{columns} FROM \"{table}\" f WHERE 1 = 1{(id is null ? "" : " AND f.source_fid = @id")}{productFilter} ORDER BY f.fid LIMIT @limit OFFSET @offset"
            : $"""
               SELECT f.source_fid, f.geom, f.extra{columns} FROM "{table}" f JOIN "rtree_{table}_geom" r ON r.id = f.fid
               WHERE r.maxx >= @minx AND r.minx <= @maxx AND r.maxy >= @miny AND r.miny <= @maxy{productFilter} ORDER BY f.fid
               """;
        if (bbox is null)
        {
            cmd.Parameters.AddWithValue("@limit", limit);
            cmd.Parameters.AddWithValue("@offset", offset);
            if (id is { } wanted)
            {
                cmd.Parameters.AddWithValue("@id", wanted);
            }
        }
        if (bbox is not null)
        {
            cmd.Parameters.AddWithValue("@minx", bbox.MinX);
            cmd.Parameters.AddWithValue("@maxx", bbox.MaxX);
            cmd.Parameters.AddWithValue("@miny", bbox.MinY);
            cmd.Parameters.AddWithValue("@maxy", bbox.MaxY);
        }

        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<GeoFeature>();
        // The R-tree finds candidates by envelope; the exact test and the paging over exact matches happen here.
        var window = bbox is null ? null : new GeometryFactory().ToGeometry(bbox);
        var prepared = window is null ? null : NetTopologySuite.Geometries.Prepared.PreparedGeometryFactory.Prepare(window);
        long skipped = 0;
        while (result.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            var geometry = GeometryBlob.Read((byte[])reader.GetValue(1));
            if (prepared is not null)
            {
                if (!prepared.Intersects(geometry))
                {
                    continue;
                }

                if (skipped++ < offset)
                {
                    continue;
                }
            }

            var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < fields.Count; i++)
            {
                attributes[fields[i].Name] = reader.IsDBNull(3 + i) ? null : reader.GetValue(3 + i);
            }

            if (!reader.IsDBNull(2))
            {
                foreach (var property in JsonDocument.Parse(reader.GetString(2)).RootElement.EnumerateObject())
                {
                    attributes[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.Number when property.Value.TryGetInt64(out var l) => l,
                        JsonValueKind.Number => property.Value.GetDouble(),
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Null => null,
                        _ => property.Value.GetRawText(),
                    };
                }
            }

            result.Add(new GeoFeature(reader.GetInt64(0), geometry, attributes));
        }

        return result;
    }

    private delegate Task<(string? Table, string? RasterFile)> WriteContent(SqliteConnection connection, SqliteTransaction transaction, long layerKey, int version);

    private async Task<LayerVersionInfo> PublishAsync(LayerPublication publication, long featureCount, Envelope? bounds, string? rasterJson, WriteContent writeContent, CancellationToken cancellationToken)
    {
        if (!Core.Identifiers.IsValid(publication.LayerName))
        {
            throw new ArgumentException($"Layer name '{publication.LayerName}' must be 1-64 letters, digits, '-', '_' or '.'.", nameof(publication));
        }

        if (publication.Report.HasErrors)
        {
            throw new InvalidOperationException("A layer whose validation report has errors cannot be published.");
        }

        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

            await using (var exists = connection.CreateCommand())
            {
                exists.Transaction = tx;
                exists.CommandText = "SELECT 1 FROM georisk_surveys WHERE id = @id";
                exists.Parameters.AddWithValue("@id", publication.SurveyId);
                if (await exists.ExecuteScalarAsync(cancellationToken) is null)
                {
                    throw new KeyNotFoundException($"Survey '{publication.SurveyId}' does not exist; register it first.");
                }
            }

            long layerKey;
            int version;
            await using (var upsert = connection.CreateCommand())
            {
                upsert.Transaction = tx;
                upsert.CommandText = """
                    INSERT INTO georisk_layers(survey_id, name, kind) VALUES (@s, @n, @k) ON CONFLICT(survey_id, name) DO NOTHING;
                    SELECT layer_key, kind, (SELECT COALESCE(MAX(version), 0) + 1 FROM georisk_layer_versions v WHERE v.layer_key = l.layer_key)
                    FROM georisk_layers l WHERE survey_id = @s AND name = @n;
                    """;
                upsert.Parameters.AddWithValue("@s", publication.SurveyId);
                upsert.Parameters.AddWithValue("@n", publication.LayerName);
                upsert.Parameters.AddWithValue("@k", publication.Kind.ToString());
                await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                layerKey = reader.GetInt64(0);
                var existingKind = reader.GetString(1);
                version = reader.GetInt32(2);
                if (existingKind != publication.Kind.ToString())
                {
                    throw new InvalidOperationException($"Layer '{publication.SurveyId}/{publication.LayerName}' holds {existingKind}; a {publication.Kind} upload cannot replace it.");
                }
            }

            var (table, rasterFile) = await writeContent(connection, tx, layerKey, version);
            var createdAt = DateTimeOffset.UtcNow;
            var mappingJson = JsonSerializer.Serialize(publication.Mapping.SchemaToSource, s_json);
            var reportJson = JsonSerializer.Serialize(publication.Report, s_json);
            await using (var insert = connection.CreateCommand())
            {
                insert.Transaction = tx;
                insert.CommandText = """
                    INSERT INTO georisk_layer_versions(layer_key, version, table_name, raster_file, created_at, uploader, source_file, source_sha256, source_crs,
                      field_mapping, report, feature_count, min_x, min_y, max_x, max_y, raster_json)
                    VALUES (@key, @v, @t, @r, @at, @u, @f, @sha, @crs, @map, @rep, @n, @minx, @miny, @maxx, @maxy, @raster);
                    UPDATE georisk_layers SET current_version = @v WHERE layer_key = @key;
                    """;
                insert.Parameters.AddWithValue("@key", layerKey);
                insert.Parameters.AddWithValue("@v", version);
                insert.Parameters.AddWithValue("@t", (object?)table ?? DBNull.Value);
                insert.Parameters.AddWithValue("@r", (object?)rasterFile ?? DBNull.Value);
                insert.Parameters.AddWithValue("@at", createdAt.ToString("O", CultureInfo.InvariantCulture));
                insert.Parameters.AddWithValue("@u", publication.Uploader);
                insert.Parameters.AddWithValue("@f", publication.SourceFile);
                insert.Parameters.AddWithValue("@sha", publication.SourceSha256);
                insert.Parameters.AddWithValue("@crs", (object?)publication.SourceCrs ?? DBNull.Value);
                insert.Parameters.AddWithValue("@map", mappingJson);
                insert.Parameters.AddWithValue("@rep", reportJson);
                insert.Parameters.AddWithValue("@n", featureCount);
                insert.Parameters.AddWithValue("@minx", (object?)bounds?.MinX ?? DBNull.Value);
                insert.Parameters.AddWithValue("@miny", (object?)bounds?.MinY ?? DBNull.Value);
                insert.Parameters.AddWithValue("@maxx", (object?)bounds?.MaxX ?? DBNull.Value);
                insert.Parameters.AddWithValue("@maxy", (object?)bounds?.MaxY ?? DBNull.Value);
                insert.Parameters.AddWithValue("@raster", (object?)rasterJson ?? DBNull.Value);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            return new LayerVersionInfo(publication.SurveyId, publication.LayerName, version, createdAt, publication.Uploader, publication.SourceFile,
                publication.SourceSha256, publication.SourceCrs, featureCount, bounds, mappingJson, reportJson, rasterFile);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static async Task<(string Table, LayerKind Kind)> CurrentTableAsync(SqliteConnection connection, string surveyId, string layerName, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT v.table_name, l.kind FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key AND v.version = l.current_version
            WHERE l.survey_id = @s AND l.name = @n AND v.table_name IS NOT NULL
            """;
        cmd.Parameters.AddWithValue("@s", surveyId);
        cmd.Parameters.AddWithValue("@n", layerName);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new KeyNotFoundException($"No vector layer '{surveyId}/{layerName}'.");
        }

        return (reader.GetString(0), Enum.Parse<LayerKind>(reader.GetString(1)));
    }

    private async Task RemoveOrphanRastersAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT raster_file FROM georisk_layer_versions WHERE raster_file IS NOT NULL";
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                referenced.Add(Path.GetFullPath(Path.Combine(_root, reader.GetString(0))));
            }
        }

        foreach (var run in await ReadRunsAsync(connection, null, cancellationToken))
        {
            referenced.UnionWith(run.Rasters.Values);
        }

        foreach (var file in Directory.EnumerateFiles(RasterRoot, "*", SearchOption.AllDirectories))
        {
            if (!referenced.Contains(Path.GetFullPath(RasterSidecars.OwnerOf(file))))
            {
                File.Delete(file);
            }
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        // journal_mode = WAL is stored in the file (set once in InitializeAsync); these two are per connection.
        pragma.CommandText = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static Envelope? ReadEnvelope(SqliteDataReader reader, int first) =>
        reader.IsDBNull(first) ? null : new Envelope(reader.GetDouble(first), reader.GetDouble(first + 2), reader.GetDouble(first + 1), reader.GetDouble(first + 3));

    private static string SqlType(FieldKind kind) => kind switch
    {
        FieldKind.Integer or FieldKind.Grade => "INTEGER",
        FieldKind.Real => "REAL",
        FieldKind.Date => "DATE",
        _ => "TEXT",
    };
}

/// <summary>GeoPackage binary geometry (GP header + WKB), SRID 4490.</summary>
internal static class GeometryBlob
{
    public static byte[] Write(Geometry geometry)
    {
        geometry.SRID = 4490;
        return new GeoPackageGeoWriter().Write(geometry);
    }

    public static Geometry Read(byte[] blob) => new GeoPackageGeoReader().Read(blob);
}
