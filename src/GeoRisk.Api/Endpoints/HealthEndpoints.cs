using System.Reflection;
using GeoRisk.Core.Storage;
using GeoRisk.Gdal;

namespace GeoRisk.Api.Endpoints;

/// <summary>The kind of store only: its location (a server path, a database host) is not for anonymous callers.</summary>
public sealed record HealthStore(string Kind);

public sealed record HealthResponse(
    string Status, string Version, string Gdal, int GdalDrivers, HealthStore Store, int Layers, int Surveys, ZoningRunSummary? CurrentRun);

internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", GetHealth).WithName("Health").WithTags("Operations").AllowAnonymous();
        return app;
    }

    private static async Task<IResult> GetHealth(IGeoRiskStore store, CancellationToken ct)
    {
        var layers = await store.ListLayersAsync(ct);
        var surveys = await store.ListSurveysAsync(ct);
        var version = typeof(HealthEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        var run = await store.GetZoningRunAsync(null, ct);
        return TypedResults.Ok(new HealthResponse(
            "ok",
            version,
            GdalRuntime.Version,
            GdalRuntime.DriverCount,
            new HealthStore(store.Description.Kind),
            layers.Count,
            surveys.Count,
            run is null ? null : ZoningEndpoints.Summary(run)));
    }
}
