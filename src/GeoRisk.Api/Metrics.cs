using Prometheus;

namespace GeoRisk.Api;

/// <summary>Prometheus metrics (prometheus-net), exposed at /metrics.</summary>
internal static class Metrics
{
    public static readonly Histogram RequestSeconds = Prometheus.Metrics.CreateHistogram(
        "georisk_http_request_duration_seconds", "HTTP request latency by route, status class, tileset and zoom.",
        new HistogramConfiguration
        {
            LabelNames = ["route", "status", "tileset", "zoom"],
            Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        });

    public static readonly Counter ThinnedTiles = Prometheus.Metrics.CreateCounter("georisk_tiles_thinned_total", "Vector tiles that had to drop features (see X-GeoRisk-Thinned).");

    public static readonly Counter TileCache = Prometheus.Metrics.CreateCounter("georisk_tile_cache_total", "Vector tile cache lookups by result.", new CounterConfiguration { LabelNames = ["result"] });

    /// <summary>Times every request; tile routes are labelled by tileset and zoom (bounded label sets: tilesets are catalog names, zooms 0–24).</summary>
    public static IApplicationBuilder UseRequestMetrics(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var endpoint = context.GetEndpoint() as RouteEndpoint;
            var route = endpoint?.RoutePattern.RawText ?? "unmatched";
            var values = context.Request.RouteValues;
            var tileset = route.StartsWith("/tiles/", StringComparison.Ordinal) ? (values["tileset"] ?? values["kind"])?.ToString() ?? "" : "";
            var zoom = route.StartsWith("/tiles/", StringComparison.Ordinal) && values["z"] is string z && z.Length <= 2 ? z : "";
            RequestSeconds.WithLabels(route, $"{context.Response.StatusCode / 100}xx", tileset, zoom)
                .Observe(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
            if (context.Response.Headers.TryGetValue("X-GeoRisk-Cache", out var cache))
            {
                TileCache.WithLabels(cache.ToString()).Inc();
            }
        }
    });
}
