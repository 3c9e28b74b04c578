using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace GeoRisk.Storage.PostGis.Internal;

/// <summary>
/// PostgreSQL + PostGIS as the catalog's database: one pooled data source, writers serialised by transaction-scoped
/// advisory locks (so several instances can share the database), timestamps from the server's <c>now()</c>,
/// geometries as PostGIS geometry (EWKB through Npgsql.NetTopologySuite), all versions' features in one table.
/// </summary>
internal sealed class PostGisDialect : SqlDialect, IAsyncDisposable
{
    /// <summary>Advisory lock keys of this schema's writers (a layer's publishes take a key hashed from its name).</summary>
    public const long MigrationLock = 7263531;

    private const long ZoningRunsLock = 7263532;

    public PostGisDialect(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // 2D only: the columns are 2D, and geometries read from GeoPackage can carry an empty Z.
        builder.UseNetTopologySuite(handleOrdinates: Ordinates.XY);
        DataSource = builder.Build();
    }

    public NpgsqlDataSource DataSource { get; }

    public override string Now => "now()";

    public override bool RecordsFeatureTables => false;

    public override bool JsonBooleansAsIntegers => true;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => await DataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>
    /// Begins a transaction and takes the scope's advisory lock: publishes of one layer are serialised across instances
    /// (different layers proceed in parallel), zoning runs take one lock for their id sequence, survey upserts none.
    /// </summary>
    public override async Task<SqlWrite> BeginWriteAsync(WriteScope scope, CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var write = new SqlWrite(connection, transaction);
            long? key = scope.Kind switch
            {
                WriteScopeKind.Layer => LockKey(scope.Layer!),
                WriteScopeKind.ZoningRuns => ZoningRunsLock,
                _ => null,
            };
            if (key is not null)
            {
                await using var lockCmd = write.Command("SELECT pg_advisory_xact_lock(@key)").With("key", key.Value);
                await lockCmd.ExecuteNonQueryAsync(cancellationToken);
            }

            return write;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public override void BindNow(DbCommand command)
    {
        // now() is the transaction's start on the server: nothing to bind.
    }

    public override DateTimeOffset GetTimestamp(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    public override void AddGeometry(DbCommand command, string name, Geometry? geometry) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Geometry) { Value = geometry is null ? DBNull.Value : WithSrid(geometry) });

    public override Geometry? ReadGeometry(object? value) => value as Geometry;

    public static Geometry WithSrid(Geometry geometry)
    {
        geometry.SRID = 4490;
        return geometry;
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    private static long LockKey(string text) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0);
}
