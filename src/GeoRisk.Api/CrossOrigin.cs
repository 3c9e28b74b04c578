using Microsoft.AspNetCore.Cors.Infrastructure;

namespace GeoRisk.Api;

/// <summary>
/// The CORS policy: web maps on other origins (MapLibre, OpenLayers, Leaflet) load the style, TileJSON, tiles, OGC API
/// documents and the vendored library. API keys travel in a header, never in cookies, so allowing an origin grants it
/// nothing a key-less request would not get; writes keep requiring the key.
/// </summary>
internal static class CrossOrigin
{
    public const string Policy = "georisk-cors";

    /// <summary>Response headers a cross-origin script may read (caching, tile diagnostics, job locations, OGC CRS).</summary>
    private static readonly string[] s_exposed =
        ["ETag", "Content-Encoding", "Content-Range", "Accept-Ranges", "Location", "Retry-After", "Content-Crs", "X-GeoRisk-Cache", "X-GeoRisk-Thinned"];

    public static void Configure(CorsPolicyBuilder policy, string? origins)
    {
        var list = (origins ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (list.Contains("*"))
        {
            policy.AllowAnyOrigin();
        }
        else
        {
            // An empty list allows no origin: the middleware then adds no CORS headers at all.
            policy.WithOrigins(list);
        }

        policy.WithMethods("GET", "HEAD", "POST", "DELETE")
            .AllowAnyHeader()
            .WithExposedHeaders(s_exposed)
            .SetPreflightMaxAge(TimeSpan.FromHours(1));
    }
}
