using System.Text.Json;
using GeoRisk.Api.Endpoints;
using GeoRisk.Core.Storage;
using GeoRisk.Storage.GeoPackage;
using NetTopologySuite.IO.Converters;
using Prometheus;

namespace GeoRisk.Api;

/// <summary>Settings of one service instance.</summary>
public sealed class GeoRiskServiceOptions
{
    /// <summary>Folder of the embedded store (GEORISK_STORE, else ./georisk-data).</summary>
    public string StoreDirectory { get; set; } = Environment.GetEnvironmentVariable("GEORISK_STORE") is { Length: > 0 } s ? s : "georisk-data";
}

/// <summary>Builds the GeoRisk web application; used by Program, the CLI (georisk serve/demo) and tests.</summary>
public static class GeoRiskApp
{
    public static WebApplication Build(string[] args, Action<GeoRiskServiceOptions>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        var options = new GeoRiskServiceOptions();
        builder.Configuration.GetSection("GeoRisk").Bind(options);
        configure?.Invoke(options);

        // Request-level logs from the framework are noise for a bureau's operator; warnings still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddSingleton(options);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Customize);
        builder.Services.AddExceptionHandler<GeoRiskExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new GeoJsonConverterFactory());
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        });
        builder.Services.AddSingleton<IGeoRiskStore>(_ => new GeoPackageStore(new GeoPackageStoreOptions { Directory = options.StoreDirectory }));
        builder.Services.AddHostedService<StoreInitializer>();
        builder.Services.AddSingleton<GeoRisk.Services.TileService>();
        builder.Services.AddSingleton<GeoRisk.Services.RasterTileService>();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseRequestMetrics();
        app.MapHealthEndpoints();
        app.MapCatalogEndpoints();
        app.MapZoningEndpoints();
        app.MapSiteRiskEndpoints();
        app.MapTileEndpoints();
        app.MapMetrics("/metrics");
        return app;
    }
}

/// <summary>Creates or migrates the store before the first request is served.</summary>
internal sealed class StoreInitializer(IGeoRiskStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
