using System.Globalization;
using System.Text.Json.Nodes;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using GeoRisk.Services;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;

namespace GeoRisk.Api.Endpoints;

/// <summary>
/// OGC API Features (Part 1: core, GeoJSON, OpenAPI) and OGC API Tiles on WebMercatorQuad, so QGIS can add
/// GeoRisk as an "OGC API - Features" connection at the service root and as a vector-tile source.
/// Collections are the stored vector layers ("survey:layer"), the current zoning ("zoning") and the survey coverages.
/// </summary>
internal static class OgcEndpoints
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 10_000;

    /// <summary>Features served per page whatever limit asks for (OGC API Features lets a server cap it); next links page on.</summary>
    public const int MaxPage = 1_000;
    private static readonly HashSet<string> s_itemParameters = new(StringComparer.Ordinal) { "bbox", "limit", "offset", "f" };

    public static readonly string[] ConformanceClasses =
    [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    ];

    public static IEndpointRouteBuilder MapOgcEndpoints(this IEndpointRouteBuilder app)
    {
        var ogc = app.MapGroup("").WithTags("OGC API");
        ogc.MapGet("/ogc", Landing).WithName("OgcLanding");
        ogc.MapGet("/conformance", (HttpContext _) => TypedResults.Ok(new { conformsTo = ConformanceClasses })).WithName("OgcConformance");
        ogc.MapGet("/collections", Collections).WithName("OgcCollections");
        ogc.MapGet("/collections/{id}", Collection).WithName("OgcCollection");
        ogc.MapGet("/collections/{id}/items", Items).WithName("OgcItems");
        ogc.MapGet("/collections/{id}/items/{fid}", Item).WithName("OgcItem");
        ogc.MapGet("/collections/{id}/tiles", Tilesets).WithName("OgcTilesets");
        ogc.MapGet("/collections/{id}/tiles/WebMercatorQuad", (string id, HttpContext http) => TypedResults.Redirect($"/tiles/{Uri.EscapeDataString(id)}.json")).WithName("OgcTileset");
        ogc.MapGet("/collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}", (string id, string z, string y, string x, TileService tiles, HttpContext http, CancellationToken ct) =>
            TileEndpointsProxy.VectorTile(id, z, x, y, tiles, http, ct)).WithName("OgcTile");
        return app;
    }

    internal static JsonObject LandingDocument(string root) => new()
    {
        ["title"] = "GeoRisk",
        ["description"] = "Geological hazard surveys, zoning and site risk for Bortala prefecture (OGC API - Features and Tiles).",
        ["links"] = new JsonArray(
            Link($"{root}/ogc", "self", "application/json", "This document"),
            Link($"{root}/openapi/v1.json", "service-desc", "application/vnd.oai.openapi+json;version=3.0", "The API definition"),
            Link($"{root}/conformance", "conformance", "application/json", "Conformance classes"),
            Link($"{root}/collections", "data", "application/json", "Collections"),
            Link($"{root}/", "alternate", "text/html", "Web map")),
    };

    private static IResult Landing(HttpContext http) => TypedResults.Json(LandingDocument(TileEndpoints.BaseUrl(http)));

    private static JsonObject Link(string href, string rel, string type, string title) => new() { ["href"] = href, ["rel"] = rel, ["type"] = type, ["title"] = title };

    private static JsonObject Describe(TilesetInfo t, string root)
    {
        var id = Uri.EscapeDataString(t.Id);
        var extent = new JsonObject();
        if (t.Bounds is { } b)
        {
            extent["spatial"] = new JsonObject { ["bbox"] = new JsonArray(new JsonArray(b.MinX, b.MinY, b.MaxX, b.MaxY)), ["crs"] = "http://www.opengis.net/def/crs/OGC/1.3/CRS84" };
        }

        return new JsonObject
        {
            ["id"] = t.Id,
            ["title"] = t.Title,
            ["description"] = $"{t.Kind} ({t.Version})",
            ["itemType"] = "feature",
            ["crs"] = new JsonArray("http://www.opengis.net/def/crs/OGC/1.3/CRS84"),
            ["extent"] = extent,
            ["links"] = new JsonArray(
                Link($"{root}/collections/{id}", "self", "application/json", t.Title),
                Link($"{root}/collections/{id}/items", "items", "application/geo+json", "Features"),
                Link($"{root}/collections/{id}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "application/json", "Vector tiles")),
        };
    }

    private static async Task<IResult> Collections(TileService tiles, HttpContext http, CancellationToken ct)
    {
        var root = TileEndpoints.BaseUrl(http);
        var list = new JsonArray((await tiles.ListAsync(ct)).Select(t => (JsonNode)Describe(t, root)).ToArray());
        return TypedResults.Json(new JsonObject { ["links"] = new JsonArray(Link($"{root}/collections", "self", "application/json", "Collections")), ["collections"] = list });
    }

    private static async Task<TilesetInfo> FindAsync(TileService tiles, string id, CancellationToken ct) =>
        (await tiles.ListAsync(ct)).FirstOrDefault(t => t.Id == id) ?? throw new KeyNotFoundException($"No collection '{id}'.");

    private static async Task<IResult> Collection(string id, TileService tiles, HttpContext http, CancellationToken ct) =>
        TypedResults.Json(Describe(await FindAsync(tiles, id, ct), TileEndpoints.BaseUrl(http)));

    private static async Task<IResult> Tilesets(string id, TileService tiles, HttpContext http, CancellationToken ct)
    {
        var t = await FindAsync(tiles, id, ct);
        var root = TileEndpoints.BaseUrl(http);
        var escaped = Uri.EscapeDataString(id);
        return TypedResults.Json(new JsonObject
        {
            ["tilesets"] = new JsonArray(new JsonObject
            {
                ["title"] = t.Title,
                ["dataType"] = "vector",
                ["crs"] = "http://www.opengis.net/def/crs/EPSG/0/3857",
                ["tileMatrixSetURI"] = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
                ["links"] = new JsonArray(
                    Link($"{root}/collections/{escaped}/tiles/WebMercatorQuad", "self", "application/json", "TileJSON"),
                    new JsonObject
                    {
                        ["href"] = $"{root}/collections/{escaped}/tiles/WebMercatorQuad/{{tileMatrix}}/{{tileRow}}/{{tileCol}}",
                        ["rel"] = "item",
                        ["type"] = TileEndpoints.MvtMediaType,
                        ["templated"] = true,
                    }),
            }),
        });
    }

    private static async Task<IResult> Items(string id, HttpContext http, IGeoRiskStore store, TileService tiles, CancellationToken ct)
    {
        var query = http.Request.Query;
        var unknown = query.Keys.Where(k => !s_itemParameters.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            return Problems.Create(400, "unknown-parameter", $"Unknown query parameter(s): {string.Join(", ", unknown)} (supported: bbox, limit, offset).");
        }

        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var l) && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return Problems.Create(400, "bad-limit", $"limit must be an integer from 1 to {MaxLimit}.");
        }

        long offset = 0;
        if (query.TryGetValue("offset", out var o) && (!long.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            return Problems.Create(400, "bad-offset", "offset must be a non-negative integer.");
        }

        Envelope? bbox = null;
        if (query.TryGetValue("bbox", out var b) && !CatalogEndpoints.TryParseBbox(b.ToString(), out bbox, out var error))
        {
            return Problems.Create(400, "bad-bbox", error);
        }

        await FindAsync(tiles, id, ct);
        // Large pages cost the service far more than the request costs a client, so they are capped.
        limit = Math.Min(limit, MaxPage);
        // One more than asked tells whether a next page exists.
        var features = await QueryAsync(store, id, bbox, limit + 1, offset, ct);
        var root = TileEndpoints.BaseUrl(http);
        var self = $"{root}/collections/{Uri.EscapeDataString(id)}/items";
        string Page(long start) => $"{self}?limit={limit}&offset={start}" + (b.Count > 0 ? $"&bbox={Uri.EscapeDataString(b.ToString())}" : "");
        var links = new List<object> { new { href = Page(offset), rel = "self", type = "application/geo+json" } };
        if (features.Count > limit)
        {
            links.Add(new { href = Page(offset + limit), rel = "next", type = "application/geo+json" });
        }

        if (offset > 0)
        {
            links.Add(new { href = Page(Math.Max(0, offset - limit)), rel = "prev", type = "application/geo+json" });
        }

        var page = features.Take(limit).ToList();
        var document = System.Text.Json.JsonSerializer.SerializeToNode(ToCollection(page), s_geoJson)!.AsObject();
        document["links"] = System.Text.Json.JsonSerializer.SerializeToNode(links, s_geoJson);
        document["numberReturned"] = page.Count;
        document["timeStamp"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        return TypedResults.Text(document.ToJsonString(), "application/geo+json");
    }

    private static async Task<IResult> Item(string id, string fid, IGeoRiskStore store, TileService tiles, CancellationToken ct)
    {
        await FindAsync(tiles, id, ct);
        if (!long.TryParse(fid, NumberStyles.None, CultureInfo.InvariantCulture, out var wanted))
        {
            return Problems.Create(404, "not-found", $"No feature '{fid}' in '{id}'.");
        }

        // One indexed lookup; reading the collection to find it cost a scan of the whole layer.
        GeoFeature? match;
        if (id == TileService.Zoning)
        {
            var run = await store.GetZoningRunAsync(null, ct) ?? throw new KeyNotFoundException("No zoning run yet.");
            match = await store.GetZoneAsync(run.Id, wanted, ct);
        }
        else if (id == TileService.Coverage)
        {
            throw new KeyNotFoundException("Survey coverages are served as tiles only.");
        }
        else
        {
            var parts = id.Split(':');
            match = await store.GetFeatureAsync(parts[0], parts[1], wanted, ct);
        }

        if (match is null)
        {
            return Problems.Create(404, "not-found", $"No feature '{fid}' in '{id}'.");
        }

        var feature = new Feature(match.Geometry, new AttributesTable(match.Attributes.ToDictionary(a => a.Key, a => a.Value)));
        feature.Attributes.Add("id", match.Id);
        return TypedResults.Text(System.Text.Json.JsonSerializer.Serialize(feature, s_geoJson), "application/geo+json");
    }

    private static async Task<IReadOnlyList<GeoFeature>> QueryAsync(IGeoRiskStore store, string id, Envelope? bbox, int limit, long offset, CancellationToken ct)
    {
        if (id == TileService.Zoning)
        {
            var run = await store.GetZoningRunAsync(null, ct) ?? throw new KeyNotFoundException("No zoning run yet.");
            return await store.QueryZonesAsync(run.Id, bbox, limit, offset, ct);
        }

        if (id == TileService.Coverage)
        {
            throw new KeyNotFoundException("Survey coverages are served as tiles only.");
        }

        var parts = id.Split(':');
        return await store.QueryFeaturesAsync(parts[0], parts[1], bbox, limit, offset, ct);
    }

    private static FeatureCollection ToCollection(IEnumerable<GeoFeature> features)
    {
        var collection = new FeatureCollection();
        foreach (var f in features)
        {
            var feature = new Feature(f.Geometry, new AttributesTable(f.Attributes.ToDictionary(a => a.Key, a => a.Value)));
            feature.Attributes.Add("id", f.Id);
            collection.Add(feature);
        }

        return collection;
    }

    private static readonly System.Text.Json.JsonSerializerOptions s_geoJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        // The "id" attribute becomes the feature's top-level id, as OGC API Features clients expect.
        Converters = { new NetTopologySuite.IO.Converters.GeoJsonConverterFactory(new GeometryFactory(), false, "id") },
    };
}

/// <summary>Gives the OGC tile route the same handler as /tiles/{tileset}/{z}/{x}/{y}.mvt.</summary>
internal static class TileEndpointsProxy
{
    public static Task<IResult> VectorTile(string id, string z, string x, string y, TileService tiles, HttpContext http, CancellationToken ct) =>
        TileEndpoints.VectorTileAsync(id, z, x, y, tiles, http, ct);
}
