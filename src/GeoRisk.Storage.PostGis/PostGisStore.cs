using System.Data.Common;
using System.Globalization;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using GeoRisk.Storage.PostGis.Internal;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace GeoRisk.Storage.PostGis;

/// <summary>
/// The production store on PostgreSQL + PostGIS. Every SQL identifier is a constant; every value is a bound
/// parameter. Features of all layer versions live in one table keyed by (layer, version), so no request-derived
/// name ever becomes an identifier. Publishing runs in one transaction under an advisory lock per layer:
/// concurrent uploads of the same layer are serialised and both versions kept. Several service instances can
/// share one database and one raster folder. The catalog SQL is shared with the GeoPackage store
/// (<see cref="SqlGeoRiskStore"/>); this adapter adds the migrations and the shared feature and zone tables.
/// </summary>
public sealed class PostGisStore : SqlGeoRiskStore
{
    /// <summary>Files younger than this are never treated as orphans: another instance may be publishing them.</summary>
    private static readonly TimeSpan s_orphanAge = TimeSpan.FromHours(1);

    private readonly string _rasterRoot;

    public PostGisStore(PostGisStoreOptions options)
        : this(new PostGisDialect(options.ConnectionString), options.ConnectionString, Path.GetFullPath(options.RasterDirectory))
    {
    }

    private PostGisStore(PostGisDialect dialect, string connectionString, string rasterRoot)
        : base(dialect, Describe(connectionString), rasterRoot, Path.Combine(rasterRoot, "staging")) => _rasterRoot = rasterRoot;

    private PostGisDialect Postgres => (PostGisDialect)Dialect;

    private static StoreDescription Describe(string connectionString)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        return new StoreDescription("postgis", $"{csb.Host}:{csb.Port}/{csb.Database}");
    }

    public override async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_rasterRoot);
        Directory.CreateDirectory(Path.Combine(_rasterRoot, "staging"));
        await using var connection = await Postgres.DataSource.OpenConnectionAsync(cancellationToken);
        await MigrateAsync(connection, cancellationToken);
        await connection.ReloadTypesAsync(cancellationToken);
        await RemoveOrphanRastersAsync(connection, _rasterRoot, s_orphanAge, cancellationToken);
    }

    /// <summary>Applies the migrations not yet recorded, in one transaction; one instance migrates at a time, the others find the work done.</summary>
    private static async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(tx, $"SELECT pg_advisory_xact_lock({PostGisDialect.MigrationLock})", cancellationToken);
        await connection.ExecuteAsync(tx,
            "CREATE TABLE IF NOT EXISTS georisk_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            cancellationToken);
        await using var read = connection.Command("SELECT version FROM georisk_schema_migrations", tx);
        var applied = (await read.ReadAllAsync(r => r.GetInt32(0), cancellationToken)).ToHashSet();
        foreach (var (version, statements) in Migrations.All.Where(m => !applied.Contains(m.Version)))
        {
            foreach (var sql in statements)
            {
                await connection.ExecuteAsync(tx, sql, cancellationToken);
            }

            await using var mark = connection.Command("INSERT INTO georisk_schema_migrations(version) VALUES (@v)", tx).With("v", version);
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    private protected override string RasterLayerPath(long layerKey, int version) =>
        Path.Combine("layers", layerKey.ToString(CultureInfo.InvariantCulture), $"v{version}.tif");

    /// <summary>A run's folder carries a random suffix: two instances never share one, even for a run id a rolled-back publish used.</summary>
    private protected override string ZoningRunFolder(int runId) =>
        Path.Combine("zoning", runId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8]);

    private protected override async Task<string?> WriteLayerFeaturesAsync(SqlWrite write, LayerPublication publication, long layerKey, int version,
        IReadOnlyList<GeoFeature> features, Envelope? bounds, CancellationToken cancellationToken)
    {
        await FeatureRows.CopyAsync(write, "georisk_features", "layer_key, version", "source_fid", async (writer, ct) =>
        {
            await writer.WriteAsync(layerKey, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(version, NpgsqlDbType.Integer, ct);
        }, features, cancellationToken);
        return null;
    }

    /// <param name="query">Its id is a source id, found through the (layer_key, version, source_fid) index.</param>
    private protected override Task<IReadOnlyList<GeoFeature>> ReadLayerFeaturesAsync(DbConnection connection, CurrentVersion current,
        FeatureQuery query, CancellationToken cancellationToken) =>
        FeatureRows.ReadLayerAsync(connection, current, query, cancellationToken);

    private protected override async Task<string?> WriteZonesAsync(SqlWrite write, int runId, ZoningRunPublication run, IReadOnlyList<GeoFeature> zones,
        Envelope? bounds, CancellationToken cancellationToken)
    {
        await FeatureRows.CopyAsync(write, "georisk_zones", "run_id", "zone_id",
            (writer, ct) => writer.WriteAsync(runId, NpgsqlDbType.Integer, ct), zones, cancellationToken);
        return null;
    }

    private protected override Task<IReadOnlyList<GeoFeature>> ReadZonesAsync(DbConnection connection, int runId, FeatureQuery query,
        string? product, CancellationToken cancellationToken) =>
        FeatureRows.ReadZonesAsync(connection, runId, query, product, cancellationToken);

    private protected override async Task<long?> CountFeaturesAsync(DbConnection connection, VersionRow version, CancellationToken cancellationToken)
    {
        await using var cmd = connection.Command("SELECT count(*) FROM georisk_features WHERE layer_key = @k AND version = @v")
            .With("k", version.LayerKey).With("v", version.Version);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    private protected override async Task<long?> CountZonesAsync(DbConnection connection, int runId, CancellationToken cancellationToken)
    {
        await using var cmd = connection.Command("SELECT count(*) FROM georisk_zones WHERE run_id = @r").With("r", runId);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public override ValueTask DisposeAsync() => Postgres.DisposeAsync();
}
