using GeoRisk.Cluster;
using GeoRisk.Zoning;
using Microsoft.Extensions.Hosting;

namespace GeoRisk.Api.Jobs;

/// <summary>
/// The cluster zoning runs hand their block steps to when <see cref="GeoRiskServiceOptions.Cluster"/> is set: one client,
/// connected at the first run (the service starts whether or not the workers are up yet) and kept (docs/SCALE.md).
/// </summary>
public sealed class ClusterZoning(GeoRiskServiceOptions options) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IHost? _client;

    /// <summary>The cluster's block runner, or null when no cluster is configured (runs stay in this process).</summary>
    public async Task<IBlockGradeRunner?> RunnerAsync(CancellationToken cancellationToken)
    {
        if (options.Cluster is not { Length: > 0 } address)
        {
            return null;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            _client ??= await ClusterHosting.ConnectAsync(new ClusterClientOptions { Address = address }, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }

        var rasters = options.RasterDirectory ?? Path.Combine(options.StoreDirectory, "rasters");
        return new ClusterBlockGradeRunner(_client.Services.GetRequiredService<IClusterClient>(), rasters, options.ClusterParallelism, TimeSpan.FromDays(1));
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
        }

        _gate.Dispose();
    }
}
