using System.Data.Common;
using GeoRisk.Core.Storage;

namespace GeoRisk.Storage;

/// <summary>The consistency check and the start-up clean-up of raster files no version or run references.</summary>
public abstract partial class SqlGeoRiskStore
{
    /// <summary>Features stored for a vector version; null when its feature table is missing.</summary>
    private protected abstract Task<long?> CountFeaturesAsync(DbConnection connection, VersionRow version, CancellationToken cancellationToken);

    /// <summary>Zones stored for a run; null when its zone table is missing.</summary>
    private protected abstract Task<long?> CountZonesAsync(DbConnection connection, int runId, CancellationToken cancellationToken);

    /// <summary>Problems of the database file itself (none by default).</summary>
    private protected virtual Task<IReadOnlyList<string>> CheckDatabaseAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    /// <summary>Things nothing references: the store's own kind of leftovers (none by default).</summary>
    /// <param name="referencedRasters">Absolute paths of every raster a version or a run references.</param>
    private protected virtual Task<IReadOnlyList<string>> CheckLeftoversAsync(DbConnection connection, IReadOnlyList<VersionRow> versions,
        IReadOnlySet<string> referencedRasters, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public async Task<IReadOnlyList<string>> CheckConsistencyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await Dialect.OpenAsync(cancellationToken);
        var problems = new List<string>(await CheckDatabaseAsync(connection, cancellationToken));
        var versions = await ReadVersionRowsAsync(connection, problems, cancellationToken);
        problems.AddRange(CheckCurrentVersions(versions));
        foreach (var version in versions)
        {
            problems.AddRange(await CheckVersionAsync(connection, version, cancellationToken));
        }

        var referenced = versions.Where(v => v.Raster is not null).Select(v => Path.GetFullPath(Path.Combine(RasterRoot, v.Raster!)))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var run in await ReadRunsAsync(connection, null, latest: false, cancellationToken))
        {
            referenced.UnionWith(run.Rasters.Values);
            problems.AddRange(await CheckRunAsync(connection, run, cancellationToken));
        }

        problems.AddRange(await CheckLeftoversAsync(connection, versions, referenced, cancellationToken));
        return problems;
    }

    /// <summary>Every version of every layer; a layer without any version is a problem.</summary>
    private async Task<List<VersionRow>> ReadVersionRowsAsync(DbConnection connection, List<string> problems, CancellationToken cancellationToken)
    {
        await using var cmd = connection.Command($"""
            SELECT l.survey_id || '/' || l.name, l.layer_key, v.version, l.current_version, {TableNameColumn("v")}, v.raster_file, v.feature_count
            FROM georisk_layers l LEFT JOIN georisk_layer_versions v ON v.layer_key = l.layer_key ORDER BY 1, 3
            """);
        var rows = await cmd.ReadAllAsync(r => r.IsDBNull(2)
            ? new VersionRow(r.GetString(0), r.GetInt64(1), 0, r.GetInt32(3), null, null, -1)
            : new VersionRow(r.GetString(0), r.GetInt64(1), r.GetInt32(2), r.GetInt32(3), r.GetNullableString(4), r.GetNullableString(5),
                r.GetInt64(6)), cancellationToken);
        problems.AddRange(rows.Where(v => v.Version == 0).Select(v => $"Layer {v.Layer} has no version."));
        return rows.Where(v => v.Version != 0).ToList();
    }

    private static IEnumerable<string> CheckCurrentVersions(IEnumerable<VersionRow> versions) =>
        versions.GroupBy(v => v.Layer).Where(layer => layer.All(v => v.Version != v.Current))
            .Select(layer => $"Layer {layer.Key}: current version {layer.First().Current} does not exist.");

    /// <summary>A raster version's file is present; a vector version has the feature count it recorded.</summary>
    private async Task<IReadOnlyList<string>> CheckVersionAsync(DbConnection connection, VersionRow v, CancellationToken cancellationToken)
    {
        if (v.Raster is not null)
        {
            return File.Exists(Path.Combine(RasterRoot, v.Raster)) ? [] : [$"{v.Layer} v{v.Version}: raster file {v.Raster} is missing."];
        }

        return await CountFeaturesAsync(connection, v, cancellationToken) switch
        {
            null => [$"{v.Layer} v{v.Version}: feature table {v.Table} is missing."],
            var rows when rows != v.FeatureCount => [$"{v.Layer} v{v.Version}: {rows} features stored, {v.FeatureCount} recorded."],
            _ => [],
        };
    }

    /// <summary>A run has the zone count it recorded and all its rasters.</summary>
    private async Task<IReadOnlyList<string>> CheckRunAsync(DbConnection connection, ZoningRunInfo run, CancellationToken cancellationToken)
    {
        var rows = await CountZonesAsync(connection, run.Id, cancellationToken);
        if (rows is null)
        {
            return [$"Zoning run {run.Id}: its zone table is missing."];
        }

        var problems = new List<string>();
        if (rows != run.ZoneCount)
        {
            problems.Add($"Zoning run {run.Id}: {rows} zones stored, {run.ZoneCount} recorded.");
        }

        problems.AddRange(run.Rasters.Where(r => !File.Exists(r.Value)).Select(r => $"Zoning run {run.Id}: raster {r.Key} is missing."));
        return problems;
    }

    /// <summary>Absolute paths of every raster file a layer version or a zoning run references.</summary>
    private protected async Task<HashSet<string>> ReferencedRastersAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var layers = connection.Command("SELECT raster_file FROM georisk_layer_versions WHERE raster_file IS NOT NULL");
        var referenced = (await layers.ReadAllAsync(r => Path.GetFullPath(Path.Combine(RasterRoot, r.GetString(0))), cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
        await using var runs = connection.Command("SELECT rasters FROM georisk_zoning_runs");
        foreach (var rasters in await runs.ReadAllAsync(r => CatalogJson.ReadRasters(r.GetString(0)), cancellationToken))
        {
            referenced.UnionWith(rasters.Values.Select(relative => Path.GetFullPath(Path.Combine(RasterRoot, relative))));
        }

        return referenced;
    }

    /// <summary>
    /// Deletes files under <paramref name="folder"/> that no version or run references (a crash between a file's move and
    /// its commit), a PAM sidecar with its raster; with <paramref name="minimumAge"/>, only files at least that old.
    /// </summary>
    private protected async Task RemoveOrphanRastersAsync(DbConnection connection, string folder, TimeSpan? minimumAge,
        CancellationToken cancellationToken)
    {
        var referenced = await ReferencedRastersAsync(connection, cancellationToken);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            if (!referenced.Contains(Path.GetFullPath(RasterSidecars.OwnerOf(file)))
                && (minimumAge is null || DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > minimumAge))
            {
                File.Delete(file);
            }
        }
    }
}
