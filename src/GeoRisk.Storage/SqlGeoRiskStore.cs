using System.Data;
using System.Data.Common;
using System.Globalization;
using GeoRisk.Core;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using NetTopologySuite.Geometries;

namespace GeoRisk.Storage;

/// <summary>
/// The catalog both stores share: surveys, layers and their immutable versions, zoning runs, raster files, the
/// consistency check. The SQL and the row mapping live here once, over System.Data.Common; a store supplies its
/// <see cref="SqlDialect"/> (connections, writer locks, timestamps, geometry encoding) and the hooks where the
/// storage layouts differ: where features and zones are written and read (a GeoPackage table per version, one
/// PostGIS table for all), and what else a start-up or a consistency check looks at.
/// </summary>
public abstract partial class SqlGeoRiskStore : IGeoRiskStore
{
    private readonly string _stagingRoot;

    private protected SqlGeoRiskStore(SqlDialect dialect, StoreDescription description, string rasterRoot, string stagingRoot)
    {
        Dialect = dialect;
        Description = description;
        RasterRoot = rasterRoot;
        _stagingRoot = stagingRoot;
    }

    public StoreDescription Description { get; }

    /// <inheritdoc />
    public virtual string? ChangeStamp => null;

    private protected SqlDialect Dialect { get; }

    /// <summary>The folder the stored raster paths are relative to.</summary>
    private protected string RasterRoot { get; }

    public abstract Task InitializeAsync(CancellationToken cancellationToken = default);

    public abstract ValueTask DisposeAsync();

    /// <summary>Writes a vector version's features inside the publish transaction; returns its feature table, if the store records one.</summary>
    private protected abstract Task<string?> WriteLayerFeaturesAsync(SqlWrite write, LayerPublication publication, long layerKey, int version,
        IReadOnlyList<GeoFeature> features, Envelope? bounds, CancellationToken cancellationToken);

    /// <summary>Features of a layer's current version, in id order.</summary>
    private protected abstract Task<IReadOnlyList<GeoFeature>> ReadLayerFeaturesAsync(DbConnection connection, CurrentVersion current,
        FeatureQuery query, CancellationToken cancellationToken);

    /// <summary>A raster layer version's file, relative to <see cref="RasterRoot"/>.</summary>
    private protected abstract string RasterLayerPath(long layerKey, int version);

    public async Task UpsertSurveyAsync(SurveyInfo survey, Geometry? coverage, CancellationToken cancellationToken = default)
    {
        var problems = survey.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(survey));
        }

        await using var write = await Dialect.BeginWriteAsync(WriteScope.Surveys, cancellationToken);
        await using (var cmd = write.Command($"""
            INSERT INTO georisk_surveys({CatalogRows.SurveyColumns}, coverage, updated_at)
            VALUES (@id, @title, @scale, @type, @org, @completed, @accepted, @acceptedOn, @standard, @coverage, {Dialect.Now})
            ON CONFLICT (id) DO UPDATE SET title = excluded.title, scale_denominator = excluded.scale_denominator,
              survey_type = excluded.survey_type, organisation = excluded.organisation, completed_on = excluded.completed_on,
              accepted = excluded.accepted, accepted_on = excluded.accepted_on, standard_reference = excluded.standard_reference,
              coverage = COALESCE(excluded.coverage, georisk_surveys.coverage), updated_at = excluded.updated_at
            """))
        {
            cmd.With("id", survey.Id).With("title", survey.Title).With("scale", survey.ScaleDenominator).With("type", survey.Type.ToString())
                .With("org", survey.Organisation).With("completed", survey.CompletedOn, DbType.Date).With("accepted", survey.Accepted)
                .With("acceptedOn", survey.AcceptedOn, DbType.Date).With("standard", survey.StandardReference, DbType.String);
            Dialect.AddGeometry(cmd, "coverage", coverage);
            Dialect.BindNow(cmd);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await write.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<SurveyInfo>> ListSurveysAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        await using var cmd = connection.Command($"SELECT {CatalogRows.SurveyColumns} FROM georisk_surveys ORDER BY id");
        return await cmd.ReadAllAsync(CatalogRows.Survey, cancellationToken);
    }

    public async Task<Geometry?> GetSurveyCoverageAsync(string surveyId, CancellationToken cancellationToken = default)
    {
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        await using var cmd = connection.Command("SELECT coverage FROM georisk_surveys WHERE id = @id").With("id", surveyId);
        var value = await cmd.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? null : Dialect.ReadGeometry(value);
    }

    public string CreateStagingPath(string extension)
    {
        Directory.CreateDirectory(_stagingRoot);
        return Path.Combine(_stagingRoot, Guid.NewGuid().ToString("N") + extension);
    }

    public Task<LayerVersionInfo> PublishVectorLayerAsync(LayerPublication publication, IReadOnlyList<GeoFeature> features,
        CancellationToken cancellationToken = default)
    {
        var bounds = GeoFeature.BoundsOf(features);
        return PublishAsync(publication, new VersionContent(features.Count, bounds, RasterJson: null), async (write, layerKey, version) =>
        {
            var table = await WriteLayerFeaturesAsync(write, publication, layerKey, version, features, bounds, cancellationToken);
            return (table, null);
        }, cancellationToken);
    }

    public async Task<LayerVersionInfo> PublishRasterLayerAsync(LayerPublication publication, RasterDescription raster, string stagedFile,
        CancellationToken cancellationToken = default)
    {
        if (!File.Exists(stagedFile))
        {
            throw new FileNotFoundException("Staged raster not found.", stagedFile);
        }

        // The move happens before the commit; if the commit fails the file is deleted again, and if the
        // process dies first, start-up removes the unreferenced file.
        var placement = new StagedRasterPlacement(RasterRoot);
        try
        {
            var content = new VersionContent((long)raster.Width * raster.Height, raster.GetBounds(), CatalogJson.Write(raster));
            return await PublishAsync(publication, content, (_, layerKey, version) =>
                Task.FromResult<(string?, string?)>((null, placement.Place(stagedFile, RasterLayerPath(layerKey, version)))), cancellationToken);
        }
        catch
        {
            placement.Undo();
            throw;
        }
    }

    public async Task<IReadOnlyList<LayerInfo>> ListLayersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        await using var cmd = connection.Command(CatalogRows.LayerSelect);
        return await cmd.ReadAllAsync(r => CatalogRows.Layer(r, Dialect), cancellationToken);
    }

    public async Task<IReadOnlyList<LayerVersionInfo>> ListVersionsAsync(string surveyId, string layerName, CancellationToken cancellationToken = default)
    {
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        await using var cmd = connection.Command(CatalogRows.VersionSelect).With("s", surveyId).With("n", layerName);
        return await cmd.ReadAllAsync(r => CatalogRows.Version(r, surveyId, layerName, Dialect), cancellationToken);
    }

    public Task<IReadOnlyList<GeoFeature>> QueryFeaturesAsync(string surveyId, string layerName, Envelope? bbox, int limit, long offset = 0,
        CancellationToken cancellationToken = default) =>
        SelectFeaturesAsync(surveyId, layerName, new FeatureQuery(bbox, limit, offset), cancellationToken);

    public async Task<GeoFeature?> GetFeatureAsync(string surveyId, string layerName, long id, CancellationToken cancellationToken = default) =>
        (await SelectFeaturesAsync(surveyId, layerName, new FeatureQuery(null, 1, 0, id), cancellationToken)).FirstOrDefault();

    public async Task<string> GetRasterPathAsync(string surveyId, string layerName, CancellationToken cancellationToken = default)
    {
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        await using var cmd = connection.Command("""
            SELECT v.raster_file FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key AND v.version = l.current_version
            WHERE l.survey_id = @s AND l.name = @n
            """).With("s", surveyId).With("n", layerName);
        return await cmd.ExecuteScalarAsync(cancellationToken) is string relative
            ? Path.Combine(RasterRoot, relative)
            : throw new KeyNotFoundException($"No raster layer '{surveyId}/{layerName}'.");
    }

    private async Task<IReadOnlyList<GeoFeature>> SelectFeaturesAsync(string surveyId, string layerName, FeatureQuery query,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Limit);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Offset);
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        var current = await CurrentVectorVersionAsync(connection, surveyId, layerName, cancellationToken);
        return await ReadLayerFeaturesAsync(connection, current, query, cancellationToken);
    }

    /// <exception cref="KeyNotFoundException">No such layer, or a raster layer.</exception>
    private async Task<CurrentVersion> CurrentVectorVersionAsync(DbConnection connection, string surveyId, string layerName,
        CancellationToken cancellationToken)
    {
        await using var cmd = connection.Command($"""
            SELECT l.layer_key, l.current_version, l.kind, {TableNameColumn("v")}
            FROM georisk_layers l JOIN georisk_layer_versions v ON v.layer_key = l.layer_key AND v.version = l.current_version
            WHERE l.survey_id = @s AND l.name = @n
            """).With("s", surveyId).With("n", layerName);
        var found = await cmd.ReadAllAsync(r => new CurrentVersion(
            r.GetInt64(0), r.GetInt32(1), Enum.Parse<LayerKind>(r.GetString(2)), r.GetNullableString(3)), cancellationToken);
        return found is [{ Kind: var kind } current] && !kind.IsRaster()
            ? current
            : throw new KeyNotFoundException($"No vector layer '{surveyId}/{layerName}'.");
    }

    /// <summary>The <c>table_name</c> column of <paramref name="alias"/> where the store records one, else NULL.</summary>
    private string TableNameColumn(string alias) => Dialect.RecordsFeatureTables ? alias + ".table_name" : "NULL";

    /// <summary>What a version records besides its publication: its size, bounds and (rasters) grid.</summary>
    private sealed record VersionContent(long FeatureCount, Envelope? Bounds, string? RasterJson);

    private delegate Task<(string? Table, string? RasterFile)> WriteContent(SqlWrite write, long layerKey, int version);

    /// <summary>
    /// One publish, in one transaction under the layer's writer lock: the survey must exist, the layer is created or
    /// found (its kind unchanged), the content is written as the next version, recorded and made current.
    /// </summary>
    private async Task<LayerVersionInfo> PublishAsync(LayerPublication publication, VersionContent content, WriteContent writeContent,
        CancellationToken cancellationToken)
    {
        CheckPublishable(publication);
        await using var write = await Dialect.BeginWriteAsync(WriteScope.LayerOf(publication.SurveyId, publication.LayerName), cancellationToken);
        await EnsureSurveyAsync(write, publication.SurveyId, cancellationToken);
        var (layerKey, version) = await NextVersionAsync(write, publication, cancellationToken);
        var (table, rasterFile) = await writeContent(write, layerKey, version);
        var record = new VersionRecord(layerKey, version, table, rasterFile,
            CatalogJson.Write(publication.Mapping.SchemaToSource), CatalogJson.Write(publication.Report));
        var createdAt = await InsertVersionAsync(write, publication, content, record, cancellationToken);
        await write.CommitAsync(cancellationToken);
        return new LayerVersionInfo(publication.SurveyId, publication.LayerName, version, createdAt, publication.Uploader, publication.SourceFile,
            publication.SourceSha256, publication.SourceCrs, content.FeatureCount, content.Bounds, record.MappingJson, record.ReportJson, rasterFile);
    }

    private static void CheckPublishable(LayerPublication publication)
    {
        if (!Identifiers.IsValid(publication.LayerName))
        {
            throw new ArgumentException($"Layer name '{publication.LayerName}' must be 1-64 letters, digits, '-', '_' or '.'.", nameof(publication));
        }

        if (publication.Report.HasErrors)
        {
            throw new InvalidOperationException("A layer whose validation report has errors cannot be published.");
        }
    }

    /// <exception cref="KeyNotFoundException">The survey does not exist.</exception>
    private static async Task EnsureSurveyAsync(SqlWrite write, string surveyId, CancellationToken cancellationToken)
    {
        await using var exists = write.Command("SELECT 1 FROM georisk_surveys WHERE id = @id").With("id", surveyId);
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            throw new KeyNotFoundException($"Survey '{surveyId}' does not exist; register it first.");
        }
    }

    /// <summary>Creates the layer if new and returns its key and next version number.</summary>
    /// <exception cref="InvalidOperationException">The layer exists with another kind.</exception>
    private static async Task<(long LayerKey, int Version)> NextVersionAsync(SqlWrite write, LayerPublication publication,
        CancellationToken cancellationToken)
    {
        await using var upsert = write.Command("""
            INSERT INTO georisk_layers(survey_id, name, kind) VALUES (@s, @n, @k) ON CONFLICT (survey_id, name) DO NOTHING;
            SELECT layer_key, kind, (SELECT COALESCE(MAX(version), 0) + 1 FROM georisk_layer_versions v WHERE v.layer_key = l.layer_key)
            FROM georisk_layers l WHERE survey_id = @s AND name = @n;
            """).With("s", publication.SurveyId).With("n", publication.LayerName).With("k", publication.Kind.ToString());
        await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken); // the INSERT yields no result set; this row is the SELECT's
        var existingKind = reader.GetString(1);
        if (existingKind != publication.Kind.ToString())
        {
            throw new InvalidOperationException(
                $"Layer '{publication.SurveyId}/{publication.LayerName}' holds {existingKind}; a {publication.Kind} upload cannot replace it.");
        }

        return (reader.GetInt64(0), Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture));
    }

    private sealed record VersionRecord(long LayerKey, int Version, string? Table, string? RasterFile, string MappingJson, string ReportJson);

    /// <summary>Records the version, makes it current and returns its timestamp.</summary>
    private async Task<DateTimeOffset> InsertVersionAsync(SqlWrite write, LayerPublication publication, VersionContent content, VersionRecord record,
        CancellationToken cancellationToken)
    {
        var (tableColumn, tableValue) = Dialect.RecordsFeatureTables ? (" table_name,", " @t,") : ("", "");
        DateTimeOffset createdAt;
        await using (var insert = write.Command($"""
            INSERT INTO georisk_layer_versions(layer_key, version,{tableColumn} raster_file, created_at, uploader, source_file, source_sha256, source_crs,
              field_mapping, report, feature_count, min_x, min_y, max_x, max_y, raster_json)
            VALUES (@key, @v,{tableValue} @r, {Dialect.Now}, @u, @f, @sha, @crs, @map, @rep, @n, @minx, @miny, @maxx, @maxy, @raster)
            RETURNING created_at
            """))
        {
            insert.With("key", record.LayerKey).With("v", record.Version).With("r", record.RasterFile, DbType.String)
                .With("u", publication.Uploader).With("f", publication.SourceFile).With("sha", publication.SourceSha256)
                .With("crs", publication.SourceCrs, DbType.String).With("map", record.MappingJson).With("rep", record.ReportJson)
                .With("n", content.FeatureCount).WithBounds(content.Bounds).With("raster", content.RasterJson, DbType.String);
            if (Dialect.RecordsFeatureTables)
            {
                insert.With("t", record.Table, DbType.String);
            }

            Dialect.BindNow(insert);
            createdAt = await ReadTimestampAsync(insert, cancellationToken);
        }

        await using var update = write.Command("UPDATE georisk_layers SET current_version = @v WHERE layer_key = @key")
            .With("v", record.Version).With("key", record.LayerKey);
        await update.ExecuteNonQueryAsync(cancellationToken);
        return createdAt;
    }

    /// <summary>Runs an INSERT ... RETURNING created_at and reads the timestamp.</summary>
    private async Task<DateTimeOffset> ReadTimestampAsync(DbCommand insert, CancellationToken cancellationToken)
    {
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Dialect.GetTimestamp(reader, 0);
    }
}
