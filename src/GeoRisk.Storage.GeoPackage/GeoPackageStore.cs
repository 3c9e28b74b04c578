using System.Data.Common;
using System.Globalization;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using GeoRisk.Storage.GeoPackage.Internal;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;

namespace GeoRisk.Storage.GeoPackage;

/// <summary>
/// The embedded store: one GeoPackage catalog (SQLite, WAL) plus COG files beside it. Needs no server.
/// Versions are immutable tables; publishing creates the table, fills it and moves the current-version
/// pointer in one SQLite transaction, so a crash at any point leaves the previous version current.
/// The catalog SQL is shared with the PostGIS store (<see cref="SqlGeoRiskStore"/>); this adapter adds what only
/// a GeoPackage has: the schema, a feature table per version, the change stamp and the file-level checks.
/// </summary>
public sealed class GeoPackageStore : SqlGeoRiskStore
{
    private const string CatalogFile = "catalog.gpkg";

    private readonly string _root;
    private readonly bool _cleanUp;

    public GeoPackageStore(GeoPackageStoreOptions options)
        : this(Path.GetFullPath(options.Directory), options.CleanUpOnInitialize)
    {
    }

    private GeoPackageStore(string root, bool cleanUp)
        : base(new GeoPackageDialect(ConnectionString(root)), new StoreDescription("geopackage", root), root, Path.Combine(root, "staging"))
    {
        _root = root;
        _cleanUp = cleanUp;
    }

    private GeoPackageDialect Sqlite => (GeoPackageDialect)Dialect;

    private string RasterFolder => Path.Combine(_root, "rasters");

    private string StagingFolder => Path.Combine(_root, "staging");

    private static string ConnectionString(string root) => new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(root, CatalogFile),
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>
    /// Size and modification time (ns) of the catalog and its write-ahead log: every committed write, by this or
    /// another process, appends to the WAL or (checkpointed) rewrites the catalog. Two stat calls, no SQL.
    /// </summary>
    public override string? ChangeStamp
    {
        get
        {
            var catalog = new FileInfo(Path.Combine(_root, CatalogFile));
            var wal = new FileInfo(catalog.FullName + "-wal");
            return $"{Stamp(catalog)}:{Stamp(wal)}";
        }
    }

    private static string Stamp(FileInfo file) =>
        string.Create(CultureInfo.InvariantCulture, $"{(file.Exists ? file.Length : -1)}:{(file.Exists ? file.LastWriteTimeUtc.Ticks : 0)}");

    public override async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(RasterFolder);
        if (_cleanUp && Directory.Exists(StagingFolder))
        {
            // Whatever is staged belongs to a publish that never committed.
            Directory.Delete(StagingFolder, recursive: true);
        }

        Directory.CreateDirectory(StagingFolder);
        await using var connection = await Sqlite.OpenSqliteAsync(cancellationToken);
        await CreateSchemaAsync(connection, cancellationToken);
        if (_cleanUp)
        {
            await RemoveOrphanRastersAsync(connection, RasterFolder, minimumAge: null, cancellationToken);
            await IndexSourceIdsAsync(connection, cancellationToken);
        }
    }

    /// <summary>WAL mode (stored in the file), then the GeoPackage and catalog tables in one transaction.</summary>
    private static async Task CreateSchemaAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(null, "PRAGMA journal_mode = WAL", cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var statement in Schema.Statements)
        {
            await connection.ExecuteAsync(tx, statement, cancellationToken);
        }

        var version = Schema.Version.ToString(CultureInfo.InvariantCulture);
        await connection.ExecuteAsync(tx, $"INSERT OR REPLACE INTO georisk_meta(key, value) VALUES ('schema_version', '{version}')", cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>Feature tables written before single-feature lookups had an index get one (once; later starts find it).</summary>
    private static async Task IndexSourceIdsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = connection.Command("""
            SELECT c.table_name FROM gpkg_contents c
            WHERE (c.table_name LIKE 'fv\_%' ESCAPE '\' OR c.table_name LIKE 'zr\_%' ESCAPE '\')
              AND NOT EXISTS (SELECT 1 FROM sqlite_master i WHERE i.type = 'index' AND i.name = c.table_name || '_source_fid')
            """);
        var tables = await cmd.ReadAllAsync(r => r.GetString(0), cancellationToken);
        foreach (var table in tables.Where(t => t.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')))
        {
            await connection.ExecuteAsync(null, $"CREATE INDEX IF NOT EXISTS \"{table}_source_fid\" ON \"{table}\" (source_fid)", cancellationToken);
        }
    }

    private protected override string RasterLayerPath(long layerKey, int version) =>
        Path.Combine("rasters", layerKey.ToString(CultureInfo.InvariantCulture), $"v{version}.tif");

    private protected override string ZoningRunFolder(int runId) => Path.Combine("rasters", "zoning", runId.ToString(CultureInfo.InvariantCulture));

    private protected override async Task<string?> WriteLayerFeaturesAsync(SqlWrite write, LayerPublication publication, long layerKey, int version,
        IReadOnlyList<GeoFeature> features, Envelope? bounds, CancellationToken cancellationToken)
    {
        var table = $"fv_{layerKey}_{version}";
        var spec = new FeatureTableSpec(table, LayerSchema.For(publication.Kind).Fields, $"{publication.SurveyId}/{publication.LayerName} v{version}",
            $"{publication.Kind.ToToken()} from {publication.SourceFile}", bounds);
        await FeatureTables.CreateAsync(write, spec, features, cancellationToken);
        return table;
    }

    private protected override Task<IReadOnlyList<GeoFeature>> ReadLayerFeaturesAsync(DbConnection connection, CurrentVersion current,
        FeatureQuery query, CancellationToken cancellationToken) =>
        current.Table is { } table
            ? FeatureTables.ReadAsync(connection, table, LayerSchema.For(current.Kind).Fields, query, null, cancellationToken)
            : throw new KeyNotFoundException($"Layer {current.LayerKey} v{current.Version} has no feature table.");

    private protected override async Task<string?> WriteZonesAsync(SqlWrite write, int runId, ZoningRunPublication run, IReadOnlyList<GeoFeature> zones,
        Envelope? bounds, CancellationToken cancellationToken)
    {
        var table = ZoneTable(runId);
        var spec = new FeatureTableSpec(table, ZoneSchema.Fields, $"zoning run {runId} ({run.ModelName})", $"zoning polygons of run {runId}", bounds);
        await FeatureTables.CreateAsync(write, spec, zones, cancellationToken);
        return table;
    }

    private protected override Task<IReadOnlyList<GeoFeature>> ReadZonesAsync(DbConnection connection, int runId, FeatureQuery query, string? product,
        CancellationToken cancellationToken) =>
        FeatureTables.ReadAsync(connection, ZoneTable(runId), ZoneSchema.Fields, query, product, cancellationToken);

    private static string ZoneTable(int runId) => $"zr_{runId}";

    private protected override Task<long?> CountFeaturesAsync(DbConnection connection, VersionRow version, CancellationToken cancellationToken) =>
        version.Table is null ? Task.FromResult<long?>(null) : FeatureTables.CountAsync(connection, version.Table, cancellationToken);

    private protected override Task<long?> CountZonesAsync(DbConnection connection, int runId, CancellationToken cancellationToken) =>
        FeatureTables.CountAsync(connection, ZoneTable(runId), cancellationToken);

    private protected override async Task<IReadOnlyList<string>> CheckDatabaseAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var integrity = connection.Command("PRAGMA integrity_check");
        return await integrity.ExecuteScalarAsync(cancellationToken) is "ok" ? [] : ["SQLite integrity check failed."];
    }

    /// <summary>Feature tables no version records, and raster files no version or run references.</summary>
    private protected override async Task<IReadOnlyList<string>> CheckLeftoversAsync(DbConnection connection, IReadOnlyList<VersionRow> versions,
        IReadOnlySet<string> referencedRasters, CancellationToken cancellationToken)
    {
        await using var cmd = connection.Command("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 3) = 'fv_'");
        var tables = (await cmd.ReadAllAsync(r => r.GetString(0), cancellationToken)).ToHashSet(StringComparer.Ordinal);
        tables.ExceptWith(versions.Where(v => v.Table is not null).Select(v => v.Table!));
        var problems = tables.Select(t => $"Feature table {t} belongs to no version.").ToList();
        if (Directory.Exists(RasterFolder))
        {
            problems.AddRange(Directory.EnumerateFiles(RasterFolder, "*", SearchOption.AllDirectories)
                .Where(f => !referencedRasters.Contains(Path.GetFullPath(RasterSidecars.OwnerOf(f))))
                .Select(f => $"Raster file {Path.GetRelativePath(_root, f)} belongs to no version."));
        }

        return problems;
    }

    public override ValueTask DisposeAsync()
    {
        Sqlite.Dispose();
        return ValueTask.CompletedTask;
    }
}
