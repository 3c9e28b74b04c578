using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace GeoRisk.Storage.PostGis;

public sealed class PostGisStoreOptions
{
    /// <summary>Npgsql connection string (a secret: never logged or shown; the description names host and database only).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Shared folder for COG rasters (every instance must see the same one).</summary>
    public required string RasterDirectory { get; init; }
}

/// <summary>
/// The production store on PostgreSQL + PostGIS. Every SQL identifier is a constant of this class; every
/// value is a bound parameter. Features of all layer versions live in one table keyed by (layer, version),
/// so no request-derived name ever becomes an identifier. Publishing runs in one transaction under an
/// advisory lock per layer: concurrent uploads of the same layer are serialised and both versions kept.
/// Several service instances can share one database and one raster folder.
/// </summary>
public sealed class PostGisStore : IGeoRiskStore
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _rasterRoot;

    public PostGisStore(PostGisStoreOptions options)
    {
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        // 2D only: the columns are 2D, and geometries read from GeoPackage can carry an empty Z.
        builder.UseNetTopologySuite(handleOrdinates: NetTopologySuite.Geometries.Ordinates.XY);
        _dataSource = builder.Build();
        _rasterRoot = Path.GetFullPath(options.RasterDirectory);
        var csb = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        Description = new StoreDescription("postgis", $"{csb.Host}:{csb.Port}/{csb.Database}");
    }

    public StoreDescription Description { get; }

    private string StagingRoot => Path.Combine(_rasterRoot, "staging");

    /// <summary>Files younger than this are never treated as orphans: another instance may be publishing them.</summary>
    private static readonly TimeSpan s_orphanAge = TimeSpan.FromHours(1);

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_rasterRoot);
        Directory.CreateDirectory(StagingRoot);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            // One instance migrates at a time; the others wait and find the work done.
            await Exec(connection, tx, "SELECT pg_advisory_xact_lock(7263531)", cancellationToken);
            await Exec(connection, tx, "CREATE TABLE IF NOT EXISTS georisk_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken);
            var applied = new HashSet<int>();
            await using (var cmd = new NpgsqlCommand("SELECT version FROM georisk_schema_migrations", connection, tx))
            await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            foreach (var (version, statements) in Migrations.All)
            {
                if (applied.Contains(version))
                {
                    continue;
                }

                foreach (var sql in statements)
                {
                    await Exec(connection, tx, sql, cancellationToken);
                }

                await using var mark = new NpgsqlCommand("INSERT INTO georisk_schema_migrations(version) VALUES (@v)", connection, tx);
                mark.Parameters.AddWithValue("v", version);
                await mark.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
        }

        await connection.ReloadTypesAsync(cancellationToken);
        var referenced = await ReferencedRastersAsync(connection, cancellationToken);
        foreach (var file in Directory.EnumerateFiles(_rasterRoot, "*", SearchOption.AllDirectories))
        {
            if (!referenced.Contains(Path.GetFullPath(RasterSidecars.OwnerOf(file))) && DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > s_orphanAge)
            {
                File.Delete(file);
            }
        }
    }

    public async Task UpsertSurveyAsync(SurveyInfo survey, Geometry? coverage, CancellationToken cancellationToken = default)
    {
        var problems = survey.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(survey));
        }

        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO georisk_surveys(id, title, scale_denominator, survey_type, organisation, completed_on, accepted, accepted_on, standard_reference, coverage, updated_at)
            VALUES (@id, @title, @scale, @type, @org, @completed, @accepted, @acceptedOn, @standard, @coverage, now())
            ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, scale_denominator = EXCLUDED.scale_denominator, survey_type = EXCLUDED.survey_type,
              organisation = EXCLUDED.organisation, completed_on = EXCLUDED.completed_on, accepted = EXCLUDED.accepted, accepted_on = EXCLUDED.accepted_on,
              standard_reference = EXCLUDED.standard_reference, coverage = COALESCE(EXCLUDED.coverage, georisk_surveys.coverage), updated_at = now()
            """);
        cmd.Parameters.AddWithValue("id", survey.Id);
        cmd.Parameters.AddWithValue("title", survey.Title);
        cmd.Parameters.AddWithValue("scale", survey.ScaleDenominator);
        cmd.Parameters.AddWithValue("type", survey.Type.ToString());
        cmd.Parameters.AddWithValue("org", survey.Organisation);
        cmd.Parameters.Add(new NpgsqlParameter("completed", NpgsqlDbType.Date) { Value = (object?)survey.CompletedOn ?? DBNull.Value });
        cmd.Parameters.AddWithValue("accepted", survey.Accepted);
        cmd.Parameters.Add(new NpgsqlParameter("acceptedOn", NpgsqlDbType.Date) { Value = (object?)survey.AcceptedOn ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("standard", NpgsqlDbType.Text) { Value = (object?)survey.StandardReference ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("coverage", NpgsqlDbType.Geometry) { Value = coverage is null ? DBNull.Value : WithSrid(coverage) });
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<SurveyInfo>> ListSurveysAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT id, title, scale_denominator, survey_type, organisation, completed_on, accepted, accepted_on, standard_reference FROM georisk_surveys ORDER BY id");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<SurveyInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new SurveyInfo(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), Enum.Parse<SurveyType>(reader.GetString(3)), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateOnly>(5), Accepted: reader.GetBoolean(6),
                AcceptedOn: reader.IsDBNull(7) ? null : reader.GetFieldValue<DateOnly>(7),
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return result;
    }

    public async Task<Geometry?> GetSurveyCoverageAsync(string surveyId, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT coverage FROM georisk_surveys WHERE id = @id");
        cmd.Parameters.AddWithValue("id", surveyId);
        return await cmd.ExecuteScalarAsync(cancellationToken) as Geometry;
    }

    public async Task<LayerVersionInfo> PublishVectorLayerAsync(LayerPublication publication, IReadOnlyList<GeoFeature> features, CancellationToken cancellationToken = default)
    {
        var bounds = GeoFeature.BoundsOf(features);
        return await PublishAsync(publication, features.Count, bounds, null, async (connection, layerKey, version) =>
        {
            await using var writer = await connection.BeginBinaryImportAsync(
                "COPY georisk_features (layer_key, version, source_fid, geom, attributes) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var f in features)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(layerKey, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(version, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(f.Id, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(WithSrid(f.Geometry), NpgsqlDbType.Geometry, cancellationToken);
                await writer.WriteAsync(JsonSerializer.Serialize(f.Attributes, s_json), NpgsqlDbType.Jsonb, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
            return null;
        }, cancellationToken);
    }

    public string CreateStagingPath(string extension)
    {
        Directory.CreateDirectory(StagingRoot);
        return Path.Combine(StagingRoot, $"{Guid.NewGuid():N}{extension}");
    }

    public async Task<LayerVersionInfo> PublishRasterLayerAsync(LayerPublication publication, RasterDescription raster, string stagedFile, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(stagedFile))
        {
            throw new FileNotFoundException("Staged raster not found.", stagedFile);
        }

        var placement = new StagedRasterPlacement(_rasterRoot);
        try
        {
            return await PublishAsync(publication, (long)raster.Width * raster.Height, raster.GetBounds(), JsonSerializer.Serialize(raster, s_json), (_, layerKey, version) =>
                Task.FromResult<string?>(placement.Place(stagedFile, Path.Combine("layers", layerKey.ToString(CultureInfo.InvariantCulture), $"v{version}.tif"))), cancellationToken);
        }
        catch
        {
            placement.Undo();
            throw;
        }
    }

    public async Task<IReadOnlyList<LayerInfo>> ListLayersAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT l.survey_id, l.name, l.kind, l.current_version, v.feature_count, v.min_x, v.min_y, v.max_x, v.max_y, v.created_at
            FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key AND v.version = l.current_version
            ORDER BY l.survey_id, l.name
            """);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<LayerInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new LayerInfo(reader.GetString(0), reader.GetString(1), Enum.Parse<LayerKind>(reader.GetString(2)), reader.GetInt32(3), reader.GetInt64(4),
                ReadEnvelope(reader, 5), reader.GetFieldValue<DateTimeOffset>(9)));
        }

        return result;
    }

    public async Task<IReadOnlyList<LayerVersionInfo>> ListVersionsAsync(string surveyId, string layerName, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT v.version, v.created_at, v.uploader, v.source_file, v.source_sha256, v.source_crs, v.feature_count,
                   v.min_x, v.min_y, v.max_x, v.max_y, v.field_mapping, v.report, v.raster_file
            FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key
            WHERE l.survey_id = @s AND l.name = @n ORDER BY v.version
            """);
        cmd.Parameters.AddWithValue("s", surveyId);
        cmd.Parameters.AddWithValue("n", layerName);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<LayerVersionInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new LayerVersionInfo(surveyId, layerName, reader.GetInt32(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt64(6), ReadEnvelope(reader, 7), reader.GetString(11), reader.GetString(12),
                reader.IsDBNull(13) ? null : reader.GetString(13)));
        }

        return result;
    }

    public Task<IReadOnlyList<GeoFeature>> QueryFeaturesAsync(string surveyId, string layerName, Envelope? bbox, int limit, long offset = 0, CancellationToken cancellationToken = default) =>
        SelectFeaturesAsync(surveyId, layerName, bbox, limit, offset, null, cancellationToken);

    public async Task<GeoFeature?> GetFeatureAsync(string surveyId, string layerName, long id, CancellationToken cancellationToken = default) =>
        (await SelectFeaturesAsync(surveyId, layerName, null, 1, 0, id, cancellationToken)).FirstOrDefault();

    /// <param name="id">Only the feature with this source id (through the (layer_key, version, source_fid) index).</param>
    private async Task<IReadOnlyList<GeoFeature>> SelectFeaturesAsync(string surveyId, string layerName, Envelope? bbox, int limit, long offset, long? id, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        long layerKey;
        int version;
        LayerKind kind;
        await using (var current = new NpgsqlCommand("SELECT layer_key, current_version, kind FROM georisk_layers WHERE survey_id = @s AND name = @n", connection))
        {
            current.Parameters.AddWithValue("s", surveyId);
            current.Parameters.AddWithValue("n", layerName);
            await using var reader = await current.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || Enum.Parse<LayerKind>(reader.GetString(2)).IsRaster())
            {
                throw new KeyNotFoundException($"No vector layer '{surveyId}/{layerName}'.");
            }

            (layerKey, version, kind) = (reader.GetInt64(0), reader.GetInt32(1), Enum.Parse<LayerKind>(reader.GetString(2)));
        }

        await using var cmd = new NpgsqlCommand(
            "SELECT source_fid, geom, attributes FROM georisk_features WHERE layer_key = @k AND version = @v" +
            (bbox is null ? "" : " AND geom && @env AND ST_Intersects(geom, @env)") + (id is null ? "" : " AND source_fid = @id") +
            " ORDER BY fid LIMIT @limit OFFSET @offset", connection);
        if (id is { } wanted)
        {
            cmd.Parameters.AddWithValue("id", wanted);
        }

        cmd.Parameters.AddWithValue("k", layerKey);
        cmd.Parameters.AddWithValue("v", version);
        AddBox(cmd, bbox);
        cmd.Parameters.AddWithValue("limit", (long)limit);
        cmd.Parameters.AddWithValue("offset", offset);
        return await ReadFeaturesAsync(cmd, LayerSchema.For(kind).Fields, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> CheckConsistencyAsync(CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using (var cmd = new NpgsqlCommand("""
            SELECT l.survey_id || '/' || l.name, v.version, v.feature_count, v.raster_file,
                   (SELECT count(*) FROM georisk_features f WHERE f.layer_key = v.layer_key AND f.version = v.version)
            FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key ORDER BY 1, 2
            """, connection))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var layer = reader.GetString(0);
                var version = reader.GetInt32(1);
                if (!reader.IsDBNull(3))
                {
                    if (!File.Exists(Path.Combine(_rasterRoot, reader.GetString(3))))
                    {
                        problems.Add($"{layer} v{version}: raster file {reader.GetString(3)} is missing.");
                    }
                }
                else if (reader.GetInt64(2) != reader.GetInt64(4))
                {
                    problems.Add($"{layer} v{version}: {reader.GetInt64(4)} features stored, {reader.GetInt64(2)} recorded.");
                }
            }
        }

        await using (var cmd = new NpgsqlCommand("SELECT l.survey_id || '/' || l.name FROM georisk_layers l WHERE NOT EXISTS (SELECT 1 FROM georisk_layer_versions v WHERE v.layer_key = l.layer_key AND v.version = l.current_version)", connection))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                problems.Add($"Layer {reader.GetString(0)}: its current version does not exist.");
            }
        }

        await using (var cmd = new NpgsqlCommand("SELECT r.run_id, r.zone_count, (SELECT count(*) FROM georisk_zones z WHERE z.run_id = r.run_id), r.rasters FROM georisk_zoning_runs r", connection))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetInt64(1) != reader.GetInt64(2))
                {
                    problems.Add($"Zoning run {reader.GetInt32(0)}: {reader.GetInt64(2)} zones stored, {reader.GetInt64(1)} recorded.");
                }

                foreach (var (name, relative) in JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(3), s_json)!)
                {
                    if (!File.Exists(Path.Combine(_rasterRoot, relative)))
                    {
                        problems.Add($"Zoning run {reader.GetInt32(0)}: raster {name} is missing.");
                    }
                }
            }
        }

        return problems;
    }

    public async Task<string> GetRasterPathAsync(string surveyId, string layerName, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT v.raster_file FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key AND v.version = l.current_version
            WHERE l.survey_id = @s AND l.name = @n
            """);
        cmd.Parameters.AddWithValue("s", surveyId);
        cmd.Parameters.AddWithValue("n", layerName);
        return await cmd.ExecuteScalarAsync(cancellationToken) is string relative
            ? Path.Combine(_rasterRoot, relative)
            : throw new KeyNotFoundException($"No raster layer '{surveyId}/{layerName}'.");
    }

    public async Task<ZoningRunInfo> PublishZoningRunAsync(ZoningRunPublication run, IReadOnlyList<GeoFeature> zones, CancellationToken cancellationToken = default)
    {
        run.Check(File.Exists);

        var bounds = GeoFeature.BoundsOf(zones);
        string? runDir = null;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await Exec(connection, tx, "SELECT pg_advisory_xact_lock(7263532)", cancellationToken);
            int id;
            await using (var next = new NpgsqlCommand("SELECT COALESCE(MAX(run_id), 0) + 1 FROM georisk_zoning_runs", connection, tx))
            {
                id = Convert.ToInt32(await next.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            }

            await using (var writer = await connection.BeginBinaryImportAsync("COPY georisk_zones (run_id, zone_id, geom, attributes) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                foreach (var z in zones)
                {
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(id, NpgsqlDbType.Integer, cancellationToken);
                    await writer.WriteAsync(z.Id, NpgsqlDbType.Bigint, cancellationToken);
                    await writer.WriteAsync(WithSrid(z.Geometry), NpgsqlDbType.Geometry, cancellationToken);
                    await writer.WriteAsync(JsonSerializer.Serialize(z.Attributes, s_json), NpgsqlDbType.Jsonb, cancellationToken);
                }

                await writer.CompleteAsync(cancellationToken);
            }

            var relativeDir = Path.Combine("zoning", id.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8]);
            runDir = Path.Combine(_rasterRoot, relativeDir);
            Directory.CreateDirectory(runDir);
            var rasters = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, staged) in run.StagedRasters)
            {
                var relative = Path.Combine(relativeDir, name + ".tif");
                File.Move(staged, Path.Combine(_rasterRoot, relative), overwrite: true);
                if (File.Exists(staged + ".aux.xml"))
                {
                    // A class raster's category names live in GDAL's PAM sidecar (CogWriter): it travels with the COG.
                    File.Move(staged + ".aux.xml", Path.Combine(_rasterRoot, relative) + ".aux.xml", overwrite: true);
                }

                rasters[name] = relative;
            }

            DateTimeOffset createdAt;
            await using (var insert = new NpgsqlCommand("""
                INSERT INTO georisk_zoning_runs(run_id, run_key, model_name, model_hash, created_at, record, rasters, zone_count, min_x, min_y, max_x, max_y)
                VALUES (@id, @key, @name, @hash, now(), @record, @rasters, @n, @minx, @miny, @maxx, @maxy) RETURNING created_at
                """, connection, tx))
            {
                insert.Parameters.AddWithValue("id", id);
                insert.Parameters.AddWithValue("key", run.RunKey);
                insert.Parameters.AddWithValue("name", run.ModelName);
                insert.Parameters.AddWithValue("hash", run.ModelHash);
                insert.Parameters.AddWithValue("record", run.RecordJson);
                insert.Parameters.AddWithValue("rasters", JsonSerializer.Serialize(rasters, s_json));
                insert.Parameters.AddWithValue("n", (long)zones.Count);
                AddBounds(insert, bounds);
                createdAt = Timestamp(await insert.ExecuteScalarAsync(cancellationToken));
            }

            await tx.CommitAsync(cancellationToken);
            runDir = null;
            return new ZoningRunInfo(id, run.RunKey, run.ModelName, run.ModelHash, createdAt, run.RecordJson,
                rasters.ToDictionary(r => r.Key, r => Path.Combine(_rasterRoot, r.Value), StringComparer.Ordinal), zones.Count, bounds);
        }
        finally
        {
            if (runDir is not null && Directory.Exists(runDir))
            {
                Directory.Delete(runDir, recursive: true);
            }
        }
    }

    public async Task<IReadOnlyList<ZoningRunInfo>> ListZoningRunsAsync(CancellationToken cancellationToken = default) => await ReadRunsAsync(null, latest: false, cancellationToken);

    public async Task<ZoningRunInfo?> GetZoningRunAsync(int? id = null, CancellationToken cancellationToken = default)
    {
        var runs = await ReadRunsAsync(id, latest: id is null, cancellationToken);
        return runs.Count == 0 ? null : runs[^1];
    }

    public async Task<IReadOnlyList<GeoFeature>> QueryZonesAsync(int runId, Envelope? bbox, int limit, long offset = 0, CancellationToken cancellationToken = default,
        ZoningProduct product = ZoningProduct.Susceptibility)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if ((await ReadRunsAsync(runId, latest: false, cancellationToken)).Count == 0)
        {
            throw new KeyNotFoundException($"No zoning run {runId}.");
        }

        await using var cmd = _dataSource.CreateCommand(
            "SELECT zone_id, geom, attributes FROM georisk_zones WHERE run_id = @r AND COALESCE(attributes->>'product', 'susceptibility') = @p" +
            (bbox is null ? "" : " AND geom && @env AND ST_Intersects(geom, @env)") +
            " ORDER BY fid LIMIT @limit OFFSET @offset");
        cmd.Parameters.AddWithValue("r", runId);
        cmd.Parameters.AddWithValue("p", product.ToString().ToLowerInvariant());
        AddBox(cmd, bbox);
        cmd.Parameters.AddWithValue("limit", (long)limit);
        cmd.Parameters.AddWithValue("offset", offset);
        return await ReadFeaturesAsync(cmd, ZoneSchema.Fields, cancellationToken);
    }

    public async Task<GeoFeature?> GetZoneAsync(int runId, long zoneId, CancellationToken cancellationToken = default)
    {
        if ((await ReadRunsAsync(runId, latest: false, cancellationToken)).Count == 0)
        {
            throw new KeyNotFoundException($"No zoning run {runId}.");
        }

        await using var cmd = _dataSource.CreateCommand("SELECT zone_id, geom, attributes FROM georisk_zones WHERE run_id = @r AND zone_id = @z ORDER BY fid LIMIT 1");
        cmd.Parameters.AddWithValue("r", runId);
        cmd.Parameters.AddWithValue("z", zoneId);
        return (await ReadFeaturesAsync(cmd, ZoneSchema.Fields, cancellationToken)).FirstOrDefault();
    }

        public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private delegate Task<string?> WriteContent(NpgsqlConnection connection, long layerKey, int version);

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

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // Serialise publishes of the same layer across instances; different layers proceed in parallel.
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, tx))
        {
            lockCmd.Parameters.AddWithValue("key", LockKey(publication.SurveyId + "/" + publication.LayerName));
            await lockCmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var exists = new NpgsqlCommand("SELECT 1 FROM georisk_surveys WHERE id = @id", connection, tx))
        {
            exists.Parameters.AddWithValue("id", publication.SurveyId);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                throw new KeyNotFoundException($"Survey '{publication.SurveyId}' does not exist; register it first.");
            }
        }

        long layerKey;
        int version;
        await using (var upsert = new NpgsqlCommand("""
            INSERT INTO georisk_layers(survey_id, name, kind) VALUES (@s, @n, @k) ON CONFLICT (survey_id, name) DO NOTHING;
            SELECT layer_key, kind, (SELECT COALESCE(MAX(version), 0) + 1 FROM georisk_layer_versions v WHERE v.layer_key = l.layer_key)
            FROM georisk_layers l WHERE survey_id = @s AND name = @n;
            """, connection, tx))
        {
            upsert.Parameters.AddWithValue("s", publication.SurveyId);
            upsert.Parameters.AddWithValue("n", publication.LayerName);
            upsert.Parameters.AddWithValue("k", publication.Kind.ToString());
            await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken); // the INSERT yields no result set; this row is the SELECT's
            layerKey = reader.GetInt64(0);
            var existingKind = reader.GetString(1);
            version = reader.GetInt32(2);
            if (existingKind != publication.Kind.ToString())
            {
                throw new InvalidOperationException($"Layer '{publication.SurveyId}/{publication.LayerName}' holds {existingKind}; a {publication.Kind} upload cannot replace it.");
            }
        }

        var rasterFile = await writeContent(connection, layerKey, version);
        var mappingJson = JsonSerializer.Serialize(publication.Mapping.SchemaToSource, s_json);
        var reportJson = JsonSerializer.Serialize(publication.Report, s_json);
        DateTimeOffset createdAt;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO georisk_layer_versions(layer_key, version, raster_file, created_at, uploader, source_file, source_sha256, source_crs,
              field_mapping, report, feature_count, min_x, min_y, max_x, max_y, raster_json)
            VALUES (@key, @v, @r, now(), @u, @f, @sha, @crs, @map, @rep, @n, @minx, @miny, @maxx, @maxy, @raster) RETURNING created_at;
            """, connection, tx))
        {
            insert.Parameters.AddWithValue("key", layerKey);
            insert.Parameters.AddWithValue("v", version);
            insert.Parameters.Add(new NpgsqlParameter("r", NpgsqlDbType.Text) { Value = (object?)rasterFile ?? DBNull.Value });
            insert.Parameters.AddWithValue("u", publication.Uploader);
            insert.Parameters.AddWithValue("f", publication.SourceFile);
            insert.Parameters.AddWithValue("sha", publication.SourceSha256);
            insert.Parameters.Add(new NpgsqlParameter("crs", NpgsqlDbType.Text) { Value = (object?)publication.SourceCrs ?? DBNull.Value });
            insert.Parameters.AddWithValue("map", mappingJson);
            insert.Parameters.AddWithValue("rep", reportJson);
            insert.Parameters.AddWithValue("n", featureCount);
            AddBounds(insert, bounds);
            insert.Parameters.Add(new NpgsqlParameter("raster", NpgsqlDbType.Text) { Value = (object?)rasterJson ?? DBNull.Value });
            createdAt = Timestamp(await insert.ExecuteScalarAsync(cancellationToken));
        }

        await using (var update = new NpgsqlCommand("UPDATE georisk_layers SET current_version = @v WHERE layer_key = @key", connection, tx))
        {
            update.Parameters.AddWithValue("v", version);
            update.Parameters.AddWithValue("key", layerKey);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return new LayerVersionInfo(publication.SurveyId, publication.LayerName, version, createdAt, publication.Uploader, publication.SourceFile,
            publication.SourceSha256, publication.SourceCrs, featureCount, bounds, mappingJson, reportJson, rasterFile);
    }

    private async Task<List<ZoningRunInfo>> ReadRunsAsync(int? id, bool latest, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT run_id, run_key, model_name, model_hash, created_at, record, rasters, zone_count, min_x, min_y, max_x, max_y FROM georisk_zoning_runs" +
            (id is null ? "" : " WHERE run_id = @id") + (latest ? " ORDER BY run_id DESC LIMIT 1" : " ORDER BY run_id"));
        if (id is not null)
        {
            cmd.Parameters.AddWithValue("id", id.Value);
        }

        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<ZoningRunInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var rasters = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6), s_json)!
                .ToDictionary(r => r.Key, r => Path.GetFullPath(Path.Combine(_rasterRoot, r.Value)), StringComparer.Ordinal);
            result.Add(new ZoningRunInfo(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetString(5), rasters, reader.GetInt64(7), ReadEnvelope(reader, 8)));
        }

        return result;
    }

    private async Task<HashSet<string>> ReferencedRastersAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand("SELECT raster_file FROM georisk_layer_versions WHERE raster_file IS NOT NULL", connection))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                referenced.Add(Path.GetFullPath(Path.Combine(_rasterRoot, reader.GetString(0))));
            }
        }

        await using (var cmd = new NpgsqlCommand("SELECT rasters FROM georisk_zoning_runs", connection))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                foreach (var relative in JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(0), s_json)!.Values)
                {
                    referenced.Add(Path.GetFullPath(Path.Combine(_rasterRoot, relative)));
                }
            }
        }

        return referenced;
    }

    /// <summary>Reads features, giving schema fields the same CLR types the embedded store returns (long, double, string).</summary>
    private static async Task<IReadOnlyList<GeoFeature>> ReadFeaturesAsync(NpgsqlCommand cmd, IReadOnlyList<SchemaField> fields, CancellationToken cancellationToken)
    {
        var kinds = fields.ToDictionary(f => f.Name, f => f.Kind, StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<GeoFeature>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var f in fields)
            {
                attributes[f.Name] = null;
            }

            using (var doc = JsonDocument.Parse(reader.GetString(2)))
            {
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    attributes[p.Name] = Value(p.Value, kinds.GetValueOrDefault(p.Name, FieldKind.Text), kinds.ContainsKey(p.Name));
                }
            }

            result.Add(new GeoFeature(reader.GetInt64(0), reader.GetFieldValue<Geometry>(1), attributes));
        }

        return result;
    }

    private static object? Value(JsonElement e, FieldKind kind, bool inSchema) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Number when inSchema && kind is FieldKind.Integer or FieldKind.Grade && e.TryGetInt64(out var l) => l,
        JsonValueKind.Number when inSchema && kind is FieldKind.Real => e.GetDouble(),
        JsonValueKind.Number when e.TryGetInt64(out var l2) => l2,
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => 1L,
        JsonValueKind.False => 0L,
        _ => e.GetRawText(),
    };

    private static DateTimeOffset Timestamp(object? value) => new(DateTime.SpecifyKind((DateTime)value!, DateTimeKind.Utc));

    private static long LockKey(string text) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0);

    private static Geometry WithSrid(Geometry g)
    {
        g.SRID = 4490;
        return g;
    }

    /// <summary>The query window as a geometry: a degenerate box (a point query) stays a point or a line, which ST_MakeEnvelope would not.</summary>
    private static void AddBox(NpgsqlCommand cmd, Envelope? bbox)
    {
        if (bbox is not null)
        {
            cmd.Parameters.Add(new NpgsqlParameter("env", NpgsqlDbType.Geometry) { Value = WithSrid(new GeometryFactory().ToGeometry(bbox)) });
        }
    }

    private static void AddBounds(NpgsqlCommand cmd, Envelope? bounds)
    {
        cmd.Parameters.Add(new NpgsqlParameter("minx", NpgsqlDbType.Double) { Value = (object?)bounds?.MinX ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("miny", NpgsqlDbType.Double) { Value = (object?)bounds?.MinY ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("maxx", NpgsqlDbType.Double) { Value = (object?)bounds?.MaxX ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("maxy", NpgsqlDbType.Double) { Value = (object?)bounds?.MaxY ?? DBNull.Value });
    }

    private static Envelope? ReadEnvelope(NpgsqlDataReader reader, int first) =>
        reader.IsDBNull(first) ? null : new Envelope(reader.GetDouble(first), reader.GetDouble(first + 2), reader.GetDouble(first + 1), reader.GetDouble(first + 3));

    private static async Task Exec(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}

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
