using System.Data;
using System.Data.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Storage;

/// <summary>
/// What the shared catalog SQL (<see cref="SqlGeoRiskStore"/>) needs to know about one database: how to open a
/// connection, how writers are serialised, how a timestamp and a geometry travel, how JSON attributes read back.
/// Everything else (placeholders <c>@name</c>, <c>ON CONFLICT ... DO UPDATE</c>, <c>RETURNING</c>) is SQL that
/// SQLite 3.35+ and PostgreSQL both speak, so it is written once. The storage layout (a table per version or one
/// shared table) is not a dialect matter; the stores implement it as <see cref="SqlGeoRiskStore"/>'s hooks.
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>An open connection with the per-connection settings applied (the one place a store opens one).</summary>
    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Opens a connection and begins a transaction that holds the lock serialising writers of <paramref name="scope"/>
    /// (one SQLite writer per process; a PostgreSQL advisory lock shared by every instance).
    /// </summary>
    public abstract Task<SqlWrite> BeginWriteAsync(WriteScope scope, CancellationToken cancellationToken);

    /// <summary>The SQL expression a write stores as its timestamp (a bound <c>@now</c> or the server's <c>now()</c>).</summary>
    public abstract string Now { get; }

    /// <summary>Binds what <see cref="Now"/> refers to, if it is a parameter.</summary>
    public abstract void BindNow(DbCommand command);

    /// <summary>A timestamp column as written by <see cref="Now"/>.</summary>
    public abstract DateTimeOffset GetTimestamp(DbDataReader reader, int ordinal);

    /// <summary>Binds a geometry (SRID 4490) or null to <paramref name="name"/> in the database's encoding.</summary>
    public abstract void AddGeometry(DbCommand command, string name, Geometry? geometry);

    /// <summary>A geometry column's value as read (null for SQL NULL).</summary>
    public abstract Geometry? ReadGeometry(object? value);

    /// <summary>
    /// Whether a layer version and a zoning run record the name of their own feature table (<c>table_name</c>), as
    /// the GeoPackage does; PostGIS keeps every version's features in one table keyed by (layer, version).
    /// </summary>
    public abstract bool RecordsFeatureTables { get; }

    /// <summary>How JSON booleans among the attributes read back: 1/0 (PostGIS's jsonb) or their JSON text (GeoPackage).</summary>
    public abstract bool JsonBooleansAsIntegers { get; }
}

/// <summary>Which writers a write excludes: all catalog writers of the store, the zoning runs, or the publishes of one layer.</summary>
internal readonly record struct WriteScope(WriteScopeKind Kind, string? Layer = null)
{
    public static WriteScope Surveys => new(WriteScopeKind.Surveys);

    public static WriteScope ZoningRuns => new(WriteScopeKind.ZoningRuns);

    public static WriteScope LayerOf(string surveyId, string layerName) => new(WriteScopeKind.Layer, surveyId + "/" + layerName);
}

internal enum WriteScopeKind
{
    Surveys,
    ZoningRuns,
    Layer,
}

/// <summary>An open connection, its write transaction and the writer lock; disposing releases all three.</summary>
internal sealed class SqlWrite(DbConnection connection, DbTransaction transaction, Action? release = null) : IAsyncDisposable
{
    public DbConnection Connection { get; } = connection;

    public DbTransaction Transaction { get; } = transaction;

    /// <summary>A command in this transaction.</summary>
    public DbCommand Command(string sql) => Connection.Command(sql, Transaction);

    public Task CommitAsync(CancellationToken cancellationToken) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
        finally
        {
            release?.Invoke();
        }
    }
}

/// <summary>Commands and parameters over System.Data.Common, the same for both databases.</summary>
internal static class Sql
{
    public static DbCommand Command(this DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    /// <summary>Adds a parameter (name without prefix; the SQL says <c>@name</c>); a null value is SQL NULL of <paramref name="type"/>.</summary>
    public static DbCommand With(this DbCommand command, string name, object? value, DbType? type = null)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        if (type is { } dbType)
        {
            parameter.DbType = dbType;
        }

        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }

    /// <summary>Binds @minx, @miny, @maxx, @maxy (null when there are no bounds).</summary>
    public static DbCommand WithBounds(this DbCommand command, Envelope? bounds) => command
        .With("minx", bounds?.MinX, DbType.Double).With("miny", bounds?.MinY, DbType.Double)
        .With("maxx", bounds?.MaxX, DbType.Double).With("maxy", bounds?.MaxY, DbType.Double);

    /// <summary>Four columns min_x, min_y, max_x, max_y from <paramref name="first"/> on; null when min_x is.</summary>
    public static Envelope? GetEnvelope(this DbDataReader reader, int first) =>
        reader.IsDBNull(first)
            ? null
            : new Envelope(reader.GetDouble(first), reader.GetDouble(first + 2), reader.GetDouble(first + 1), reader.GetDouble(first + 3));

    public static string? GetNullableString(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static async Task ExecuteAsync(this DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(sql, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reads every row of <paramref name="command"/> through <paramref name="map"/>.</summary>
    public static async Task<List<T>> ReadAllAsync<T>(this DbCommand command, Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(map(reader));
        }

        return result;
    }
}
