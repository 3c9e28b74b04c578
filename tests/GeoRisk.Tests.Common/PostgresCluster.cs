using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GeoRisk.Tests.Common;

/// <summary>
/// A real PostgreSQL + PostGIS for the tests: a throw-away cluster (initdb in a temp folder, loopback, a
/// free port) started once per test process and stopped when it exits; or the server named by
/// GEORISK_TEST_PG. Each caller gets its own database. When neither PostgreSQL 15+ with PostGIS nor
/// GEORISK_TEST_PG is available the tests that need it fail with an explanation, never pass silently.
/// </summary>
public static class PostgresCluster
{
    private static readonly Lazy<string> s_server = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A new, empty database; returns its connection string.</summary>
    public static string CreateDatabase()
    {
        var server = s_server.Value;
        var name = "georisk_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", connection); // name is ours: hex only
            cmd.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    private static string Start()
    {
        if (Environment.GetEnvironmentVariable("GEORISK_TEST_PG") is { Length: > 0 } external)
        {
            return external;
        }

        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (bin is null || !Directory.GetFiles("/usr/share/postgresql", "postgis.control", SearchOption.AllDirectories).Any())
        {
            throw new InvalidOperationException("PostgreSQL with PostGIS is not installed: run ./build.sh test (it installs postgresql-15-postgis-3) or set GEORISK_TEST_PG.");
        }

        RemoveStaleClusters();
        var dir = Directory.CreateTempSubdirectory("georisk-pg").FullName;
        var data = Path.Combine(dir, "data");
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // initdb refuses to run as root; the Debian package created the postgres user.
            Run("chown", "postgres", dir);
        }

        Run(Cmd(asRoot, Path.Combine(bin, "initdb")), [.. Prefix(asRoot, Path.Combine(bin, "initdb")), "-D", data, "-A", "trust", "-U", "georisk", "-E", "UTF8", "--no-sync"]);
        var port = Ports.Free();
        var options = $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        Run(Cmd(asRoot, Path.Combine(bin, "pg_ctl")), [.. Prefix(asRoot, Path.Combine(bin, "pg_ctl")), "-D", data, "-o", options, "-l", Path.Combine(dir, "log"), "-w", "start"]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            // Best effort at exit: stop the server (it may already be gone), then remove its folder.
            try
            {
                Run(Cmd(asRoot, Path.Combine(bin, "pg_ctl")), [.. Prefix(asRoot, Path.Combine(bin, "pg_ctl")), "-D", data, "-m", "immediate", "-w", "stop"]);
            }
            catch (InvalidOperationException)
            {
            }

            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        };
        return $"Host=127.0.0.1;Port={port};Username=georisk;Database=postgres;Pooling=true;Maximum Pool Size=50";
    }

    /// <summary>
    /// Removes clusters that earlier test processes left behind when they were killed before their exit
    /// handler ran: no server running (no live postmaster.pid) and untouched for an hour, so a cluster that
    /// another test process is creating right now is never taken.
    /// </summary>
    private static void RemoveStaleClusters()
    {
        foreach (var stale in Directory.GetDirectories(Path.GetTempPath(), "georisk-pg*"))
        {
            try
            {
                var data = Path.Combine(stale, "data");
                var pidFile = Path.Combine(data, "postmaster.pid");
                var running = File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}");
                if (!running && Directory.GetLastWriteTimeUtc(Directory.Exists(data) ? data : stale) < DateTime.UtcNow.AddHours(-1))
                {
                    Directory.Delete(stale, recursive: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // another process's cluster, or already gone
            }
        }
    }

    private static string Cmd(bool asRoot, string tool) => asRoot ? "runuser" : tool;

    private static string[] Prefix(bool asRoot, string tool) => asRoot ? ["-u", "postgres", "--", tool] : [];

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {stderr} {stdout.Result}");
        }
    }
}

/// <summary>
/// The store the parameterised suites run against: the embedded GeoPackage store by default, PostGIS when
/// GEORISK_TEST_STORE=postgis (./build.sh test runs the storage and API suites both ways).
/// </summary>
public static class TestStores
{
    public static bool UsePostGis => string.Equals(Environment.GetEnvironmentVariable("GEORISK_TEST_STORE"), "postgis", StringComparison.OrdinalIgnoreCase);

    /// <summary>Settings for the service (GeoRisk:* keys) that point it at the same store.</summary>
    public static IReadOnlyList<(string Key, string Value)> Settings(string directory, string? connectionString) =>
        connectionString is null
            ? [("GeoRisk:StoreDirectory", directory)]
            : [("GeoRisk:StoreDirectory", directory), ("GeoRisk:PostgresConnectionString", connectionString), ("GeoRisk:RasterDirectory", Path.Combine(directory, "rasters"))];

    /// <summary>A store in <paramref name="directory"/> (GeoPackage) or a fresh database with rasters there (PostGIS).</summary>
    public static (Core.Storage.IGeoRiskStore Store, string? ConnectionString) Create(string directory, bool? postgis = null)
    {
        if (postgis ?? UsePostGis)
        {
            var cs = PostgresCluster.CreateDatabase();
            return (new Storage.PostGis.PostGisStore(new Storage.PostGis.PostGisStoreOptions { ConnectionString = cs, RasterDirectory = Path.Combine(directory, "rasters") }), cs);
        }

        return (new Storage.GeoPackage.GeoPackageStore(new Storage.GeoPackage.GeoPackageStoreOptions { Directory = directory }), null);
    }
}
