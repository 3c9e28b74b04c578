using System.Data;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Storage.GeoPackage.Internal;

/// <summary>
/// SQLite as the catalog's database: pooled connections to catalog.gpkg, one writer at a time in this process
/// (BEGIN IMMEDIATE), timestamps as ISO 8601 text, geometries as GeoPackage blobs, a feature table per version.
/// </summary>
internal sealed class GeoPackageDialect(string connectionString) : SqlDialect, IDisposable
{
    // SQLite has one writer at a time anyway; serialising writes in-process avoids SQLITE_BUSY retries.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public override string Now => "@now";

    public override bool RecordsFeatureTables => true;

    public override bool JsonBooleansAsIntegers => false;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => await OpenSqliteAsync(cancellationToken);

    /// <summary>Every connection of the store is opened here, with its per-connection settings.</summary>
    public async Task<SqliteConnection> OpenSqliteAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragma = connection.CreateCommand();
            // journal_mode = WAL is stored in the file (set once in InitializeAsync); these two are per connection.
            pragma.CommandText = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits for the in-process writer gate, then opens a connection and begins an immediate transaction.</summary>
    public override async Task<SqlWrite> BeginWriteAsync(WriteScope scope, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        SqliteConnection? connection = null;
        try
        {
            connection = await OpenSqliteAsync(cancellationToken);
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            return new SqlWrite(connection, transaction, () => _writeGate.Release());
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            _writeGate.Release();
            throw;
        }
    }

    public override void BindNow(DbCommand command) => command.With("now", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));

    public override DateTimeOffset GetTimestamp(DbDataReader reader, int ordinal) =>
        DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture);

    public override void AddGeometry(DbCommand command, string name, Geometry? geometry) =>
        command.With(name, geometry is null ? null : GeometryBlob.Write(geometry), DbType.Binary);

    public override Geometry? ReadGeometry(object? value) => value is byte[] blob ? GeometryBlob.Read(blob) : null;

    public void Dispose() => _writeGate.Dispose();
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
