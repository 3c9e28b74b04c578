using Npgsql;

namespace GeoRisk.Cluster;

/// <summary>Creates or updates the cluster's tables in PostgreSQL (ClusterSchema.sql), once per start, under an advisory lock so silos starting together do not
/// race.</summary>
public static class ClusterSchema
{
    /// <summary>The ADO.NET invariant Orleans' providers load Npgsql by.</summary>
    public const string Invariant = "Npgsql";

    private const long LockKey = 0x6765_6F72_6973_6B31; // "georisk1"

    public static async Task EnsureAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        string script;
        using (var stream = typeof(ClusterSchema).Assembly.GetManifestResourceStream("GeoRisk.Cluster.ClusterSchema.sql")
            ?? throw new InvalidOperationException("ClusterSchema.sql is not embedded."))
        using (var reader = new StreamReader(stream))
        {
            script = await reader.ReadToEndAsync(cancellationToken);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey})", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(script, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
