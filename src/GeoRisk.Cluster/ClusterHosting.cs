using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace GeoRisk.Cluster;

/// <summary>How a worker silo runs (<c>georisk worker</c>).</summary>
public sealed record WorkerOptions
{
    /// <summary>PostgreSQL connection string (the store's database): membership and run state there. Null: a single-machine cluster on localhost with run state
    /// in memory.</summary>
    public string? Postgres { get; init; }

    /// <summary>The shared raster folder (the PostGIS store's raster directory).</summary>
    public required string RasterDirectory { get; init; }

    /// <summary>Blocks computed at once on this silo.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public int SiloPort { get; init; } = 11111;

    public int GatewayPort { get; init; } = 30000;

    /// <summary>The address other silos reach this one at (default: loopback, for one machine).</summary>
    public IPAddress AdvertisedAddress { get; init; } = IPAddress.Loopback;

    public string ClusterId { get; init; } = "georisk";

    public string? SiloName { get; init; }

    /// <summary>Without PostgreSQL: the silo port of the worker the others join (the first one); default this worker's own.</summary>
    public int? PrimarySiloPort { get; init; }

    /// <summary>Declare a silo dead after about this long without answers (Orleans' default is about 30 s).</summary>
    public TimeSpan? FailureDetection { get; init; }
}

/// <summary>How a client (the service, <c>georisk compute</c>) finds the cluster: <c>GEORISK_CLUSTER</c> or <c>--cluster</c>.</summary>
public sealed record ClusterClientOptions
{
    /// <summary>A PostgreSQL connection string (membership table), or <c>localhost[:gatewayPort]</c> for a single-machine cluster.</summary>
    public required string Address { get; init; }

    public string ClusterId { get; init; } = "georisk";

    public bool IsLocalhost => Address.StartsWith("localhost", StringComparison.OrdinalIgnoreCase);

    public int LocalhostGatewayPort => Address.Split(':') is [_, var port] ? int.Parse(port, CultureInfo.InvariantCulture) : 30000;

    /// <summary>The connection string when the cluster is in PostgreSQL.</summary>
    public string? Postgres => IsLocalhost ? null : Address;
}

/// <summary>Silo and client configuration shared by <c>georisk worker</c>, the service and the tests.</summary>
public static class ClusterHosting
{
    /// <summary>The grain storage holding run progress.</summary>
    public const string StateStorage = "georisk-runs";

    /// <summary>A run's block can take minutes while others queue for the silo's threads: long call timeouts; lost silos are noticed by membership, not by
    /// timeouts.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromHours(2);

    public static readonly TimeSpan ClientCallTimeout = TimeSpan.FromSeconds(20);

    public static ISiloBuilder AddGeoRiskWorker(this ISiloBuilder silo, WorkerOptions options)
    {
        silo.Services.AddSingleton(new WorkerContext(options.RasterDirectory, options.Threads));
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = "georisk";
        });
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
        if (options.SiloName is { } name)
        {
            silo.Configure<SiloOptions>(o => o.SiloName = name);
        }

        if (options.FailureDetection is { } detection)
        {
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = detection / 4;
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = detection / 4;
                o.IAmAliveTablePublishTimeout = detection;
                o.DeathVoteExpirationTimeout = detection * 4;
            });
        }

        if (options.Postgres is { } cs)
        {
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = options.AdvertisedAddress;
                o.SiloPort = options.SiloPort;
                o.GatewayPort = options.GatewayPort;
                o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, options.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, options.GatewayPort);
            });
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = ClusterSchema.Invariant;
                o.ConnectionString = cs;
            });
            silo.AddAdoNetGrainStorage(StateStorage, o =>
            {
                o.Invariant = ClusterSchema.Invariant;
                o.ConnectionString = cs;
                o.DeleteStateOnClear = true; // a forgotten run leaves no row (IRunCoordinatorGrain.ForgetAsync)
            });
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort,
                primarySiloEndpoint: new IPEndPoint(
                    IPAddress.Loopback, options.PrimarySiloPort ?? options.SiloPort), serviceId: "georisk", clusterId: options.ClusterId);
            silo.AddMemoryGrainStorage(StateStorage);
        }

        return silo;
    }

    /// <summary>A worker host: creates the cluster tables first when the cluster is in PostgreSQL.</summary>
    public static async Task<IHost> StartWorkerAsync(WorkerOptions options, CancellationToken cancellationToken = default)
    {
        if (options.Postgres is { } cs)
        {
            await ClusterSchema.EnsureAsync(cs, cancellationToken);
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo.AddGeoRiskWorker(options));
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    public static IClientBuilder UseGeoRiskCluster(this IClientBuilder client, ClusterClientOptions options)
    {
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = "georisk";
        });
        // A client only starts runs and reads their progress (quick calls): a call whose coordinator silo died
        // times out soon and is made again, which activates the coordinator elsewhere.
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ClientCallTimeout);
        if (options.Postgres is { } cs)
        {
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = ClusterSchema.Invariant;
                o.ConnectionString = cs;
            });
        }
        else
        {
            client.UseLocalhostClustering(options.LocalhostGatewayPort, serviceId: "georisk", clusterId: options.ClusterId);
        }

        return client;
    }

    /// <summary>A started cluster client (disposing the host disconnects it).</summary>
    public static async Task<IHost> ConnectAsync(ClusterClientOptions options, CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Error); // a lost worker is expected, not worth a warning per connection
        builder.UseOrleansClient(client => client.UseGeoRiskCluster(options));
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }
}
