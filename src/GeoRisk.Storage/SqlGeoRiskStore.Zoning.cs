using System.Data.Common;
using System.Globalization;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using NetTopologySuite.Geometries;

namespace GeoRisk.Storage;

/// <summary>Zoning runs: zones, a run record and a folder of COGs per run, published in one transaction; the current run is the latest.</summary>
public abstract partial class SqlGeoRiskStore
{
    /// <summary>Writes a run's zones inside the publish transaction; returns its zone table, if the store records one.</summary>
    private protected abstract Task<string?> WriteZonesAsync(SqlWrite write, int runId, ZoningRunPublication run, IReadOnlyList<GeoFeature> zones,
        Envelope? bounds, CancellationToken cancellationToken);

    /// <summary>Zones of a run, in zone order; only those of <paramref name="product"/> when given (a lower-case product name).</summary>
    private protected abstract Task<IReadOnlyList<GeoFeature>> ReadZonesAsync(DbConnection connection, int runId, FeatureQuery query, string? product,
        CancellationToken cancellationToken);

    /// <summary>A run's raster folder, relative to <see cref="RasterRoot"/> (replaced if a crashed publish left one).</summary>
    private protected abstract string ZoningRunFolder(int runId);

    public async Task<ZoningRunInfo> PublishZoningRunAsync(ZoningRunPublication run, IReadOnlyList<GeoFeature> zones,
        CancellationToken cancellationToken = default)
    {
        run.Check(File.Exists);

        var bounds = GeoFeature.BoundsOf(zones);
        await using var write = await Dialect.BeginWriteAsync(WriteScope.ZoningRuns, cancellationToken);
        var id = await NextRunIdAsync(write, cancellationToken);
        var table = await WriteZonesAsync(write, id, run, zones, bounds, cancellationToken);

        // Files move before the commit; a failed commit deletes them, a crash leaves them unreferenced and start-up removes them.
        var folder = new StagedRunFolder(RasterRoot, ZoningRunFolder(id));
        try
        {
            var rasters = folder.MoveIn(run.StagedRasters);
            var createdAt = await InsertRunAsync(write, id, run, table, rasters, zones.Count, bounds, cancellationToken);
            await write.CommitAsync(cancellationToken);
            folder.Keep();
            return new ZoningRunInfo(id, run.RunKey, run.ModelName, run.ModelHash, createdAt, run.RecordJson,
                rasters.ToDictionary(r => r.Key, r => Path.Combine(RasterRoot, r.Value), StringComparer.Ordinal), zones.Count, bounds);
        }
        finally
        {
            folder.Undo();
        }
    }

    public async Task<IReadOnlyList<ZoningRunInfo>> ListZoningRunsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        return await ReadRunsAsync(connection, null, latest: false, cancellationToken);
    }

    public async Task<ZoningRunInfo?> GetZoningRunAsync(int? id = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        var runs = await ReadRunsAsync(connection, id, latest: id is null, cancellationToken);
        return runs.Count == 0 ? null : runs[^1];
    }

    public async Task<IReadOnlyList<GeoFeature>> QueryZonesAsync(int runId, Envelope? bbox, int limit, long offset = 0,
        CancellationToken cancellationToken = default, ZoningProduct product = ZoningProduct.Susceptibility)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        await EnsureRunAsync(connection, runId, cancellationToken);
        var query = new FeatureQuery(bbox, limit, offset);
        return await ReadZonesAsync(connection, runId, query, product.ToString().ToLowerInvariant(), cancellationToken);
    }

    public async Task<GeoFeature?> GetZoneAsync(int runId, long zoneId, CancellationToken cancellationToken = default)
    {
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        await EnsureRunAsync(connection, runId, cancellationToken);
        return (await ReadZonesAsync(connection, runId, new FeatureQuery(null, 1, 0, zoneId), null, cancellationToken)).FirstOrDefault();
    }

    /// <summary>Runs in id order: one (or none) when <paramref name="id"/> is given, the latest when <paramref name="latest"/>, else all.</summary>
    private protected async Task<List<ZoningRunInfo>> ReadRunsAsync(DbConnection connection, int? id, bool latest, CancellationToken cancellationToken)
    {
        await using var cmd = connection.Command($"SELECT {CatalogRows.RunColumns} FROM georisk_zoning_runs" +
            (id is null ? "" : " WHERE run_id = @id") + (latest ? " ORDER BY run_id DESC LIMIT 1" : " ORDER BY run_id"));
        if (id is { } wanted)
        {
            cmd.With("id", wanted);
        }

        return await cmd.ReadAllAsync(r => CatalogRows.Run(r, RasterRoot, Dialect), cancellationToken);
    }

    /// <exception cref="KeyNotFoundException">No such run.</exception>
    private async Task EnsureRunAsync(DbConnection connection, int runId, CancellationToken cancellationToken)
    {
        await using var cmd = connection.Command("SELECT 1 FROM georisk_zoning_runs WHERE run_id = @id").With("id", runId);
        if (await cmd.ExecuteScalarAsync(cancellationToken) is null)
        {
            throw new KeyNotFoundException($"No zoning run {runId}.");
        }
    }

    private static async Task<int> NextRunIdAsync(SqlWrite write, CancellationToken cancellationToken)
    {
        await using var next = write.Command("SELECT COALESCE(MAX(run_id), 0) + 1 FROM georisk_zoning_runs");
        return Convert.ToInt32(await next.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private async Task<DateTimeOffset> InsertRunAsync(SqlWrite write, int id, ZoningRunPublication run, string? table,
        IReadOnlyDictionary<string, string> rasters, long zoneCount, Envelope? bounds, CancellationToken cancellationToken)
    {
        var (tableColumn, tableValue) = Dialect.RecordsFeatureTables ? (" table_name,", " @t,") : ("", "");
        await using var insert = write.Command($"""
            INSERT INTO georisk_zoning_runs(run_id, run_key, model_name, model_hash, created_at, record,{tableColumn} rasters, zone_count,
              min_x, min_y, max_x, max_y)
            VALUES (@id, @key, @name, @hash, {Dialect.Now}, @record,{tableValue} @rasters, @n, @minx, @miny, @maxx, @maxy)
            RETURNING created_at
            """);
        insert.With("id", id).With("key", run.RunKey).With("name", run.ModelName).With("hash", run.ModelHash).With("record", run.RecordJson)
            .With("rasters", CatalogJson.Write(rasters)).With("n", zoneCount).WithBounds(bounds);
        if (Dialect.RecordsFeatureTables)
        {
            insert.With("t", table);
        }

        Dialect.BindNow(insert);
        return await ReadTimestampAsync(insert, cancellationToken);
    }
}
