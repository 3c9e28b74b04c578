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

    public static readonly Counter ThinnedTiles = Prometheus.Metrics.CreateCounter(
        "georisk_tiles_thinned_total", "Vector tiles that had to drop features (see X-GeoRisk-Thinned).");

    public static readonly Counter TileCache = Prometheus.Metrics.CreateCounter(
        "georisk_tile_cache_total", "Vector tile cache lookups by result.", new CounterConfiguration { LabelNames = ["result"] });

    /// <summary>
    /// Times every request; tile routes are labelled by tileset and zoom. Every label set is bounded whatever
    /// clients send: a tileset name is a label only when the tile was served (so it is in the catalog),
    /// anything else counts as "unknown", comma-joined lists as "multi"; zooms are 0–24 or empty.
    /// </summary>
    public static IApplicationBuilder UseRequestMetrics(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var threw = false;
        try
        {
            await next(context);
        }
        catch
        {
            // The exception handler outside sets the status later; until then it still reads 200.
            threw = true;
            throw;
        }
        finally
        {
            var endpoint = context.GetEndpoint() as RouteEndpoint;
            var route = endpoint?.RoutePattern.RawText ?? "unmatched";
            var values = context.Request.RouteValues;
            var isTile = route.StartsWith("/tiles/", StringComparison.Ordinal);
            var status = threw ? 500 : context.Response.StatusCode;
            var tileset = isTile ? TilesetLabel((values["tileset"] ?? values["kind"])?.ToString(), status) : "";
            var zoom = isTile && values["z"] is string z &&
                int.TryParse(z, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var zl) && zl <= 24
                ? zl.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
            RequestSeconds.WithLabels(route, threw ? "error" : $"{status / 100}xx", tileset, zoom)
                .Observe(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
            if (context.Response.Headers.TryGetValue("X-GeoRisk-Cache", out var cache) && cache.ToString() is "hit" or "miss")
            {
                TileCache.WithLabels(cache.ToString()).Inc();
            }
        }
    });

    internal static string TilesetLabel(string? name, int status) => name switch
    {
        null or "" => "",
        _ when status >= 400 || name.Length > 200 => "unknown",
        _ when name.Contains(',', StringComparison.Ordinal) => "multi",
        _ => name,
    };
}
