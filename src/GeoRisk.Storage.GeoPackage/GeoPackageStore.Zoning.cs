using System.Globalization;
using System.Text.Json;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;

namespace GeoRisk.Storage.GeoPackage;

/// <summary>Zoning runs: one immutable feature table (zr_&lt;id&gt;) and a folder of COGs per run, published in one transaction.</summary>
public sealed partial class GeoPackageStore
{
    public async Task<ZoningRunInfo> PublishZoningRunAsync(ZoningRunPublication run, IReadOnlyList<GeoFeature> zones, CancellationToken cancellationToken = default)
    {
        run.Check(File.Exists);

        var bounds = GeoFeature.BoundsOf(zones);
        string? runDir = null;
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            int id;
            await using (var next = connection.CreateCommand())
            {
                next.Transaction = tx;
                next.CommandText = "SELECT COALESCE(MAX(run_id), 0) + 1 FROM georisk_zoning_runs";
                id = Convert.ToInt32(await next.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            }

            var table = $"zr_{id}";
            await CreateFeatureTableAsync(connection, tx, table, ZoneSchema.Fields, zones, $"zoning run {id} ({run.ModelName})", $"zoning polygons of run {id}", bounds, cancellationToken);

            // Files move before the commit; a failed commit deletes them below, a crash leaves them
            // unreferenced and start-up removes them.
            var relativeDir = Path.Combine("rasters", "zoning", id.ToString(CultureInfo.InvariantCulture));
            runDir = Path.Combine(_root, relativeDir);
            if (Directory.Exists(runDir))
            {
                Directory.Delete(runDir, recursive: true);
            }

            Directory.CreateDirectory(runDir);
            var rasters = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, staged) in run.StagedRasters)
            {
                var relative = Path.Combine(relativeDir, name + ".tif");
                File.Move(staged, Path.Combine(_root, relative), overwrite: true);
                rasters[name] = relative;
            }

            var createdAt = DateTimeOffset.UtcNow;
            await using (var insert = connection.CreateCommand())
            {
                insert.Transaction = tx;
                insert.CommandText = """
                    INSERT INTO georisk_zoning_runs(run_id, run_key, model_name, model_hash, created_at, record, table_name, rasters, zone_count, min_x, min_y, max_x, max_y)
                    VALUES (@id, @key, @name, @hash, @at, @record, @t, @rasters, @n, @minx, @miny, @maxx, @maxy)
                    """;
                insert.Parameters.AddWithValue("@id", id);
                insert.Parameters.AddWithValue("@key", run.RunKey);
                insert.Parameters.AddWithValue("@name", run.ModelName);
                insert.Parameters.AddWithValue("@hash", run.ModelHash);
                insert.Parameters.AddWithValue("@at", createdAt.ToString("O", CultureInfo.InvariantCulture));
                insert.Parameters.AddWithValue("@record", run.RecordJson);
                insert.Parameters.AddWithValue("@t", table);
                insert.Parameters.AddWithValue("@rasters", JsonSerializer.Serialize(rasters, s_json));
                insert.Parameters.AddWithValue("@n", zones.Count);
                insert.Parameters.AddWithValue("@minx", (object?)bounds?.MinX ?? DBNull.Value);
                insert.Parameters.AddWithValue("@miny", (object?)bounds?.MinY ?? DBNull.Value);
                insert.Parameters.AddWithValue("@maxx", (object?)bounds?.MaxX ?? DBNull.Value);
                insert.Parameters.AddWithValue("@maxy", (object?)bounds?.MaxY ?? DBNull.Value);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            runDir = null;
            return new ZoningRunInfo(id, run.RunKey, run.ModelName, run.ModelHash, createdAt, run.RecordJson,
                rasters.ToDictionary(r => r.Key, r => Path.Combine(_root, r.Value), StringComparer.Ordinal), zones.Count, bounds);
        }
        finally
        {
            if (runDir is not null && Directory.Exists(runDir))
            {
                Directory.Delete(runDir, recursive: true);
            }

            _writeGate.Release();
        }
    }

    public async Task<IReadOnlyList<ZoningRunInfo>> ListZoningRunsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadRunsAsync(connection, null, cancellationToken);
    }

    public async Task<ZoningRunInfo?> GetZoningRunAsync(int? id = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var runs = await ReadRunsAsync(connection, id, cancellationToken);
        return runs.Count == 0 ? null : runs[^1];
    }

    public async Task<IReadOnlyList<GeoFeature>> QueryZonesAsync(int runId, Envelope? bbox, int limit, long offset = 0, CancellationToken cancellationToken = default,
        ZoningProduct product = ZoningProduct.Susceptibility)
    {
        await using var connection = await OpenAsync(cancellationToken);
        if ((await ReadRunsAsync(connection, runId, cancellationToken)).Count == 0)
        {
            throw new KeyNotFoundException($"No zoning run {runId}.");
        }

        return await ReadFeaturesAsync(connection, $"zr_{runId}", ZoneSchema.Fields, bbox, limit, offset, cancellationToken, product: product.ToString().ToLowerInvariant());
    }

    public async Task<GeoFeature?> GetZoneAsync(int runId, long zoneId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        if ((await ReadRunsAsync(connection, runId, cancellationToken)).Count == 0)
        {
            throw new KeyNotFoundException($"No zoning run {runId}.");
        }

        return (await ReadFeaturesAsync(connection, $"zr_{runId}", ZoneSchema.Fields, null, 1, 0, cancellationToken, zoneId)).FirstOrDefault();
    }

    /// <summary>Runs in id order; one run when <paramref name="id"/> is given (none if absent), else all. Raster paths are absolute.</summary>
    private async Task<List<ZoningRunInfo>> ReadRunsAsync(SqliteConnection connection, int? id, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT run_id, run_key, model_name, model_hash, created_at, record, rasters, zone_count, min_x, min_y, max_x, max_y
            FROM georisk_zoning_runs WHERE @id IS NULL OR run_id = @id ORDER BY run_id
            """;
        cmd.Parameters.AddWithValue("@id", (object?)id ?? DBNull.Value);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new List<ZoningRunInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var rasters = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6), s_json)!
                .ToDictionary(r => r.Key, r => Path.GetFullPath(Path.Combine(_root, r.Value)), StringComparer.Ordinal);
            result.Add(new ZoningRunInfo(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture), reader.GetString(5), rasters, reader.GetInt64(7), ReadEnvelope(reader, 8)));
        }

        return result;
    }

    private async Task<IEnumerable<string>> CheckZoningRunsAsync(SqliteConnection connection, HashSet<string> referencedRasters, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var run in await ReadRunsAsync(connection, null, cancellationToken))
        {
            await using var count = connection.CreateCommand();
            count.CommandText = $"SELECT COUNT(*) FROM \"zr_{run.Id}\"";
            long rows;
            try
            {
                rows = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            }
            catch (SqliteException)
            {
                problems.Add($"Zoning run {run.Id}: zone table zr_{run.Id} is missing.");
                continue;
            }

            if (rows != run.ZoneCount)
            {
                problems.Add($"Zoning run {run.Id}: {rows} zones stored, {run.ZoneCount} recorded.");
            }

            foreach (var (name, path) in run.Rasters)
            {
                referencedRasters.Add(path);
                if (!File.Exists(path))
                {
                    problems.Add($"Zoning run {run.Id}: raster {name} is missing.");
                }
            }
        }

        return problems;
    }
}
