using System.Globalization;
using System.Text.Json.Nodes;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using GeoRisk.Services;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;

namespace GeoRisk.Api.Endpoints;

/// <summary>
/// OGC API Features (Part 1: core, GeoJSON, OpenAPI 3.0; Part 2: CRS84 and EPSG:4490 by reference) and OGC API
/// Tiles (vector tilesets on WebMercatorQuad with their TileMatrixSet), so QGIS and GDAL add GeoRisk at the service
/// root. Collections are the stored vector layers ("survey:layer"), the current zoning ("zoning") and the survey
/// coverages ("coverage"). Conformance claims only what is served.
/// </summary>
internal static class OgcEndpoints
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 10_000;

    public const string Crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
    public const string Cgcs2000 = "http://www.opengis.net/def/crs/EPSG/0/4490";
    public const string WebMercator = "http://www.opengis.net/def/crs/EPSG/0/3857";
    public const string WebMercatorQuad = "WebMercatorQuad";
    public const string WebMercatorQuadUri = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";

    /// <summary>
    /// Coordinates are written to 7 decimals (about 1 cm): finer digits are noise below the surveys' accuracy and
    /// made pages several times larger.
    /// </summary>
    public const int CoordinateDecimals = 7;

    /// <summary>Features served per page whatever limit asks for (OGC API Features lets a server cap it); next links page on.</summary>
    public const int MaxPage = 1_000;

    private static readonly HashSet<string> s_itemParameters = new(StringComparer.Ordinal) { "bbox", "bbox-crs", "limit", "offset", "datetime", "crs", "f" };

    /// <summary>The output CRSs (OGC API Features Part 2), in the order collections list them.</summary>
    public static readonly string[] SupportedCrs = [Crs84, Cgcs2000];

    public static readonly string[] ConformanceClasses =
    [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
        "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
    ];

    public static IEndpointRouteBuilder MapOgcEndpoints(this IEndpointRouteBuilder app)
    {
        var ogc = app.MapGroup("").WithTags("OGC API");
        ogc.MapGet("/ogc", Landing).WithName("OgcLanding").WithSummary("OGC API landing page");
        ogc.MapGet("/conformance", (HttpContext _) => TypedResults.Ok(new { conformsTo = ConformanceClasses })).WithName("OgcConformance").WithSummary(
            "Conformance classes served");
        ogc.MapGet("/collections", Collections).WithName("OgcCollections").WithSummary("Feature collections");
        ogc.MapGet("/collections/{id}", Collection).WithName("OgcCollection").WithSummary("One feature collection");
        ogc.MapGet("/collections/{id}/items", Items).WithName("OgcItems").WithSummary("Features of a collection (GeoJSON, paged)");
        ogc.MapGet("/collections/{id}/items/{fid}", Item).WithName("OgcItem").WithSummary("One feature");
        ogc.MapGet("/collections/{id}/tiles", Tilesets).WithName("OgcTilesets").WithSummary("Vector tilesets of a collection");
        ogc.MapGet("/collections/{id}/tiles/{tileMatrixSetId}", Tileset).WithName("OgcTileset").WithSummary("OGC TileSet document");
        ogc.MapGet(
            "/collections/{id}/tiles/{tileMatrixSetId}/{z}/{y}/{x}",
            (string id, string tileMatrixSetId, string z, string y, string x, TileService tiles, HttpContext http, CancellationToken ct) =>
            tileMatrixSetId == WebMercatorQuad
                ? TileEndpointsProxy.VectorTile(id, z, x, y, tiles, http, ct)
                : Task.FromResult(UnknownTileMatrixSet(tileMatrixSetId))).WithName("OgcTile").WithSummary("One Mapbox vector tile");
        ogc.MapGet("/tileMatrixSets", TileMatrixSets).WithName("OgcTileMatrixSets").WithSummary("Tile matrix sets");
        ogc.MapGet("/tileMatrixSets/{tileMatrixSetId}", TileMatrixSet).WithName("OgcTileMatrixSet").WithSummary("One tile matrix set (OGC TMS 2.0 JSON)");
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
            Link($"{root}/tileMatrixSets", "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "application/json", "Tile matrix sets"),
            Link($"{root}/", "alternate", "text/html", "Web map")),
    };

    private static IResult Landing(HttpContext http) => TypedResults.Json(LandingDocument(TileEndpoints.BaseUrl(http)));

    private static JsonObject Link(string href, string rel, string type, string title) => new()
    {
        ["href"] = href,
        ["rel"] = rel,
        ["type"] = type,
        ["title"] = title,
    };

    private static IResult UnknownTileMatrixSet(string id) =>
        Problems.Create(404, "not-found", $"No tile matrix set '{id}' (served: {WebMercatorQuad}).");

    private static JsonObject Describe(TilesetInfo t, string root)
    {
        var id = Uri.EscapeDataString(t.Id);
        var extent = new JsonObject();
        if (t.Bounds is { } b)
        {
            extent["spatial"] = new JsonObject { ["bbox"] = new JsonArray(
                new JsonArray(Round(b.MinX), Round(b.MinY), Round(b.MaxX), Round(b.MaxY))), ["crs"] = Crs84 };
        }

        return new JsonObject
        {
            ["id"] = t.Id,
            ["title"] = t.Title,
            ["description"] = $"{t.Kind} ({t.Version})",
            ["itemType"] = "feature",
            // Stored in CGCS2000 (EPSG:4490); CRS84 output is the same numbers (CGCS2000 and WGS 84 agree to a few cm).
            ["crs"] = new JsonArray(SupportedCrs.Select(c => (JsonNode)c).ToArray()),
            ["storageCrs"] = Cgcs2000,
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
        return TypedResults.Json(new JsonObject
        {
            ["links"] = new JsonArray(Link($"{root}/collections", "self", "application/json", "Collections")),
            ["crs"] = new JsonArray(SupportedCrs.Select(c => (JsonNode)c).ToArray()),
            ["collections"] = list,
        });
    }

    private static async Task<TilesetInfo> FindAsync(TileService tiles, string id, CancellationToken ct) =>
        (await tiles.ListAsync(ct)).FirstOrDefault(t => t.Id == id) ?? throw new KeyNotFoundException($"No collection '{id}'.");

    private static async Task<IResult> Collection(string id, TileService tiles, HttpContext http, CancellationToken ct) =>
        TypedResults.Json(Describe(await FindAsync(tiles, id, ct), TileEndpoints.BaseUrl(http)));

    private static JsonObject TilesetLinks(string root, string escaped) => new()
    {
        ["self"] = Link($"{root}/collections/{escaped}/tiles/{WebMercatorQuad}", "self", "application/json", "Tileset"),
        ["item"] = new JsonObject
        {
            ["href"] = $"{root}/collections/{escaped}/tiles/{WebMercatorQuad}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}",
            ["rel"] = "item",
            ["type"] = TileEndpoints.MvtMediaType,
            ["templated"] = true,
            ["title"] = "Mapbox vector tiles",
        },
        ["scheme"] = Link(
            $"{root}/tileMatrixSets/{WebMercatorQuad}", "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "application/json", "WebMercatorQuad"),
        ["tilejson"] = Link($"{root}/tiles/{escaped}.json", "describedby", "application/json", "TileJSON 3.0"),
    };

    private static async Task<IResult> Tilesets(string id, TileService tiles, HttpContext http, CancellationToken ct)
    {
        var t = await FindAsync(tiles, id, ct);
        var root = TileEndpoints.BaseUrl(http);
        var links = TilesetLinks(root, Uri.EscapeDataString(id));
        return TypedResults.Json(new JsonObject
        {
            ["links"] = new JsonArray(Link($"{root}/collections/{Uri.EscapeDataString(id)}/tiles", "self", "application/json", "Tilesets")),
            ["tilesets"] = new JsonArray(new JsonObject
            {
                ["title"] = t.Title,
                ["dataType"] = "vector",
                ["crs"] = WebMercator,
                ["tileMatrixSetURI"] = WebMercatorQuadUri,
                ["links"] = new JsonArray(links["self"]!.DeepClone(), links["item"]!.DeepClone(), links["scheme"]!.DeepClone()),
            }),
        });
    }

    /// <summary>The OGC API - Tiles TileSet document: tile URL template, tiling scheme, limits per zoom and the layer schema.</summary>
    private static async Task<IResult> Tileset(string id, string tileMatrixSetId, TileService tiles, HttpContext http, CancellationToken ct)
    {
        if (tileMatrixSetId != WebMercatorQuad)
        {
            return UnknownTileMatrixSet(tileMatrixSetId);
        }

        var t = await FindAsync(tiles, id, ct);
        var root = TileEndpoints.BaseUrl(http);
        var links = TilesetLinks(root, Uri.EscapeDataString(id));
        var limits = new JsonArray();
        var bounds = t.Bounds ?? new Envelope(-180, 180, -85.0511, 85.0511);
        for (var z = t.MinZoom; z <= t.MaxZoom; z++)
        {
            var r = GeoRisk.Tiles.WebMercator.TileRange(bounds, z);
            limits.Add(new JsonObject
            {
                ["tileMatrix"] = z.ToString(CultureInfo.InvariantCulture),
                ["minTileRow"] = r.MinY,
                ["maxTileRow"] = r.MaxY,
                ["minTileCol"] = r.MinX,
                ["maxTileCol"] = r.MaxX,
            });
        }

        var properties = new JsonObject();
        foreach (var (name, type) in await tiles.FieldsAsync(t.Id, ct))
        {
            properties[name] = new JsonObject { ["type"] = type switch { "Number" => "number", "Boolean" => "boolean", _ => "string" } };
        }

        return TypedResults.Json(new JsonObject
        {
            ["title"] = t.Title,
            ["dataType"] = "vector",
            ["crs"] = WebMercator,
            ["tileMatrixSetURI"] = WebMercatorQuadUri,
            ["tileMatrixSetLimits"] = limits,
            ["boundingBox"] = new JsonObject
            {
                ["lowerLeft"] = new JsonArray(Round(bounds.MinX), Round(bounds.MinY)),
                ["upperRight"] = new JsonArray(Round(bounds.MaxX), Round(bounds.MaxY)),
                ["crs"] = Crs84,
            },
            ["layers"] = new JsonArray(new JsonObject
            {
                ["id"] = t.Id,
                ["title"] = t.Title,
                ["dataType"] = "vector",
                ["geometryDimension"] = t.GeometryType.Contains(
                    "Polygon", StringComparison.Ordinal) ? 2 : t.GeometryType.Contains("Line", StringComparison.Ordinal) ? 1 : 0,
                ["minTileMatrix"] = t.MinZoom.ToString(CultureInfo.InvariantCulture),
                ["maxTileMatrix"] = t.MaxZoom.ToString(CultureInfo.InvariantCulture),
                ["propertiesSchema"] = new JsonObject { ["type"] = "object", ["properties"] = properties },
            }),
            ["links"] = new JsonArray(links["self"]!.DeepClone(), links["item"]!.DeepClone(), links["scheme"]!.DeepClone(), links["tilejson"]!.DeepClone()),
        });
    }

    private static IResult TileMatrixSets(HttpContext http)
    {
        var root = TileEndpoints.BaseUrl(http);
        return TypedResults.Json(new JsonObject
        {
            ["tileMatrixSets"] = new JsonArray(new JsonObject
            {
                ["id"] = WebMercatorQuad,
                ["title"] = "Google Maps Compatible for the World",
                ["uri"] = WebMercatorQuadUri,
                ["links"] = new JsonArray(Link($"{root}/tileMatrixSets/{WebMercatorQuad}", "self", "application/json", WebMercatorQuad)),
            }),
        });
    }

    /// <summary>
    /// WebMercatorQuad as an OGC Two Dimensional Tile Matrix Set 2.0 JSON document, zoom 0 to the tiles' maximum.
    /// It also carries the TMS 1.0 member names (type, identifier, supportedCRS, topLeftCorner) with the same values:
    /// GDAL up to 3.6 (Debian 12's, and QGIS through it) recognises and reads a tile matrix set only by those.
    /// </summary>
    private static IResult TileMatrixSet(string tileMatrixSetId)
    {
        if (tileMatrixSetId != WebMercatorQuad)
        {
            return UnknownTileMatrixSet(tileMatrixSetId);
        }

        const double origin = 20037508.3427892;
        var matrices = new JsonArray();
        for (var z = 0; z <= TileService.MaxZoom; z++)
        {
            var cellSize = 2 * origin / 256 / (1L << z);
            matrices.Add(new JsonObject
            {
                ["id"] = z.ToString(CultureInfo.InvariantCulture),
                ["identifier"] = z.ToString(CultureInfo.InvariantCulture),
                ["type"] = "TileMatrixType",
                ["topLeftCorner"] = new JsonArray(-origin, origin),
                // OGC's standardized rendering pixel of 0.28 mm.
                ["scaleDenominator"] = cellSize / 0.00028,
                ["cellSize"] = cellSize,
                ["cornerOfOrigin"] = "topLeft",
                ["pointOfOrigin"] = new JsonArray(-origin, origin),
                ["tileWidth"] = 256,
                ["tileHeight"] = 256,
                ["matrixWidth"] = 1L << z,
                ["matrixHeight"] = 1L << z,
            });
        }

        return TypedResults.Json(new JsonObject
        {
            ["id"] = WebMercatorQuad,
            ["title"] = "Google Maps Compatible for the World",
            ["uri"] = WebMercatorQuadUri,
            ["crs"] = WebMercator,
            ["type"] = "TileMatrixSetType",
            ["identifier"] = WebMercatorQuad,
            ["supportedCRS"] = WebMercator,
            ["boundingBox"] = new JsonObject
            {
                ["type"] = "BoundingBoxType",
                ["crs"] = WebMercator,
                ["lowerCorner"] = new JsonArray(-origin, -origin),
                ["upperCorner"] = new JsonArray(origin, origin),
            },
            ["orderedAxes"] = new JsonArray("X", "Y"),
            ["wellKnownScaleSet"] = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
            ["tileMatrices"] = matrices,
        });
    }

    /// <summary>A CRS parameter value: the OGC URI, its [EPSG:n]-style safe CURIE, or EPSG:n; null when not served.</summary>
    internal static string? NormaliseCrs(string value) => value.Trim().Trim('[', ']') switch
    {
        Crs84 or "OGC:CRS84" or "CRS84" => Crs84,
        Cgcs2000 or "EPSG:4490" => Cgcs2000,
        _ => null,
    };

    /// <summary>
    /// Validates an RFC 3339 instant or interval ("a/b", "../b", "a/..", open ends empty). The stored features carry
    /// no time, so a valid value selects every feature (OGC API Features Part 1 §7.15.4 leaves the temporal
    /// property to the server; none is published).
    /// </summary>
    internal static bool IsValidDatetime(string value)
    {
        static bool Instant(string s) =>
            s is "" or ".." ||
            DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _) && s.Length >= 10;

        var parts = value.Split('/');
        return parts.Length switch
        {
            1 => parts[0] is not ("" or "..") && Instant(parts[0]),
            2 => Instant(parts[0]) && Instant(parts[1]) && !(parts[0] is "" or ".." && parts[1] is "" or ".."),
            _ => false,
        };
    }

    /// <summary>The paging, CRS and filter parameters of an items request.</summary>
    private sealed record ItemsQuery(int Limit, long Offset, string Crs, Envelope? Bbox);

    private static async Task<IResult> Items(string id, HttpContext http, IGeoRiskStore store, TileService tiles, CancellationToken ct)
    {
        var query = http.Request.Query;
        var (parsed, error) = ParseItemsQuery(query);
        if (error is not null)
        {
            return error;
        }

        var (limit, offset, crs, bbox) = parsed!;
        var collection = await FindAsync(tiles, id, ct);
        // Large pages cost the service far more than the request costs a client, so they are capped.
        limit = Math.Min(limit, MaxPage);
        // One more than asked tells whether a next page exists.
        var features = await QueryAsync(store, tiles, id, bbox, limit + 1, offset, ct);
        var hasNext = features.Count > limit;
        var page = features.Take(limit).ToList();
        var document = System.Text.Json.JsonSerializer.SerializeToNode(ToCollection(page, crs), s_geoJson)!.AsObject();
        document["links"] = System.Text.Json.JsonSerializer.SerializeToNode(PageLinks(http, id, limit, offset, hasNext), s_geoJson);
        // Known without counting when unfiltered (the store's feature count); on the last page of a filtered query
        // the pages so far add up to it. Otherwise left out, as Part 1 allows.
        long? matched = bbox is null ? collection.FeatureCount : null;
        if (!hasNext && (page.Count > 0 || offset == 0))
        {
            matched = offset + page.Count;
        }

        if (matched is { } n)
        {
            document["numberMatched"] = n;
        }

        document["numberReturned"] = page.Count;
        document["timeStamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        http.Response.Headers["Content-Crs"] = $"<{crs}>";
        return TypedResults.Text(document.ToJsonString(), "application/geo+json");
    }

    /// <summary>The query's parameters, or a 400 naming the first that is unknown or malformed.</summary>
    private static (ItemsQuery? Query, IResult? Error) ParseItemsQuery(IQueryCollection query)
    {
        var unknown = query.Keys.Where(k => !s_itemParameters.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            return (null, Problems.Create(
                400,
                "unknown-parameter",
                $"Unknown query parameter(s): {string.Join(", ", unknown)} (supported: {string.Join(", ", s_itemParameters)})."));
        }

        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var l) &&
            (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return (null, Problems.Create(400, "bad-limit", $"limit must be an integer from 1 to {MaxLimit}."));
        }

        long offset = 0;
        if (query.TryGetValue("offset", out var o) && (!long.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            return (null, Problems.Create(400, "bad-offset", "offset must be a non-negative integer."));
        }

        if (query.TryGetValue("datetime", out var datetime) && !IsValidDatetime(datetime.ToString()))
        {
            return (null, Problems.Create(
                400, "bad-datetime", "datetime must be an RFC 3339 date-time or an interval such as 2024-01-01T00:00:00Z/.. ."));
        }

        var (crs, crsError) = CrsParameter(query, "crs");
        var (bboxCrs, bboxCrsError) = CrsParameter(query, "bbox-crs");
        if ((crsError ?? bboxCrsError) is { } unsupported)
        {
            return (null, unsupported);
        }

        Envelope? bbox = null;
        if (query.TryGetValue("bbox", out var b))
        {
            // EPSG:4490 as an OGC URI has latitude first: the box is minLat,minLon,maxLat,maxLon.
            var text = bboxCrs == Cgcs2000 ? SwapBbox(b.ToString()) : b.ToString();
            if (text is null)
            {
                return (null, Problems.Create(400, "bad-bbox", "bbox must have four comma-separated numbers."));
            }

            if (!CatalogEndpoints.TryParseBbox(text, out bbox, out var error))
            {
                return (null, Problems.Create(400, "bad-bbox", error));
            }
        }

        return (new ItemsQuery(limit, offset, crs, bbox), null);
    }

    /// <summary>A CRS parameter (crs or bbox-crs) normalised to its OGC URI, CRS84 when absent, or a 400 when it is not served.</summary>
    private static (string Crs, IResult? Error) CrsParameter(IQueryCollection query, string name)
    {
        if (!query.TryGetValue(name, out var value))
        {
            return (Crs84, null);
        }

        return NormaliseCrs(value.ToString()) is { } c
            ? (c, null)
            : (Crs84, Problems.Create(400, "unsupported-crs", $"{name} '{value}' is not served (supported: {string.Join(", ", SupportedCrs)})."));
    }

    /// <summary>self, and next and prev where they exist, each carrying the query's filter and CRS parameters.</summary>
    private static List<object> PageLinks(HttpContext http, string id, int limit, long offset, bool hasNext)
    {
        var query = http.Request.Query;
        var self = $"{TileEndpoints.BaseUrl(http)}/collections/{Uri.EscapeDataString(id)}/items";
        var carried = string.Concat(new[] { "bbox", "bbox-crs", "datetime", "crs" }
            .Where(query.ContainsKey).Select(k => $"&{k}={Uri.EscapeDataString(query[k].ToString())}"));
        string Page(long start) => $"{self}?limit={limit}&offset={start}{carried}";
        var links = new List<object> { new { href = Page(offset), rel = "self", type = "application/geo+json" } };
        if (hasNext)
        {
            links.Add(new { href = Page(offset + limit), rel = "next", type = "application/geo+json" });
        }

        if (offset > 0)
        {
            links.Add(new { href = Page(Math.Max(0, offset - limit)), rel = "prev", type = "application/geo+json" });
        }

        return links;
    }

    private static string? SwapBbox(string text)
    {
        var p = text.Split(',');
        return p.Length == 4 ? $"{p[1]},{p[0]},{p[3]},{p[2]}" : null;
    }

    private static async Task<IResult> Item(string id, string fid, HttpContext http, IGeoRiskStore store, TileService tiles, CancellationToken ct)
    {
        await FindAsync(tiles, id, ct);
        var crs = Crs84;
        if (http.Request.Query.TryGetValue("crs", out var crsValue))
        {
            if (NormaliseCrs(crsValue.ToString()) is not { } c)
            {
                return Problems.Create(400, "unsupported-crs", $"crs '{crsValue}' is not served (supported: {string.Join(", ", SupportedCrs)}).");
            }

            crs = c;
        }

        if (!long.TryParse(fid, NumberStyles.None, CultureInfo.InvariantCulture, out var wanted))
        {
            return Problems.Create(404, "not-found", $"No feature '{fid}' in '{id}'.");
        }

        // One indexed lookup; reading a whole layer to find one feature cost a scan. Survey coverages are a handful of
        // features assembled in memory.
        GeoFeature? match;
        if (TileService.TryZoningProduct(id, out var zoningProduct))
        {
            var run = await store.GetZoningRunAsync(null, ct) ?? throw new KeyNotFoundException("No zoning run yet.");
            match = await store.GetZoneAsync(run.Id, wanted, ct);
            // Zone ids are unique across a run's products: a hazard zone is not an item of the susceptibility collection.
            var productOf = match?.Attributes.GetValueOrDefault("product") as string ?? "susceptibility";
            if (productOf != ZoningRunRecord.ProductToken(zoningProduct))
            {
                match = null;
            }
        }
        else if (id == TileService.Coverage)
        {
            match = (await QueryAsync(store, tiles, id, null, int.MaxValue, 0, ct)).FirstOrDefault(f => f.Id == wanted);
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

        http.Response.Headers["Content-Crs"] = $"<{crs}>";
        return TypedResults.Text(System.Text.Json.JsonSerializer.Serialize(ToFeature(match, crs), s_geoJson), "application/geo+json");
    }

    private static async Task<IReadOnlyList<GeoFeature>> QueryAsync(
        IGeoRiskStore store, TileService tiles, string id, Envelope? bbox, int limit, long offset, CancellationToken ct)
    {
        if (TileService.TryZoningProduct(id, out var product))
        {
            var run = await store.GetZoningRunAsync(null, ct) ?? throw new KeyNotFoundException("No zoning run yet.");
            return await store.QueryZonesAsync(run.Id, bbox, limit, offset, ct, product);
        }

        if (id == TileService.Coverage)
        {
            // A handful of surveys: filtered and paged in memory.
            var all = await tiles.CoverageFeaturesAsync(ct);
            return all.Where(f => bbox is null || f.Geometry.EnvelopeInternal.Intersects(bbox)).Skip((int)Math.Min(offset, int.MaxValue)).Take(limit).ToList();
        }

        var parts = id.Split(':');
        return await store.QueryFeaturesAsync(parts[0], parts[1], bbox, limit, offset, ct);
    }

    private static Feature ToFeature(GeoFeature f, string crs)
    {
        var geometry = f.Geometry.Copy();
        geometry.Apply(new RoundFilter(swap: crs == Cgcs2000));
        geometry.GeometryChanged();
        var feature = new Feature(geometry, new AttributesTable(f.Attributes.ToDictionary(a => a.Key, a => a.Value)));
        feature.Attributes.Add("id", f.Id);
        return feature;
    }

    private static FeatureCollection ToCollection(IEnumerable<GeoFeature> features, string crs)
    {
        var collection = new FeatureCollection();
        foreach (var f in features)
        {
            collection.Add(ToFeature(f, crs));
        }

        return collection;
    }

    private static double Round(double v) => Math.Round(v, CoordinateDecimals);

    /// <summary>Rounds coordinates to <see cref="CoordinateDecimals"/> and, for EPSG:4490's lat/lon axis order, swaps them.</summary>
    private sealed class RoundFilter(bool swap) : ICoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var x = Round(seq.GetX(i));
            var y = Round(seq.GetY(i));
            seq.SetX(i, swap ? y : x);
            seq.SetY(i, swap ? x : y);
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions s_geoJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        // The "id" attribute becomes the feature's top-level id, as OGC API Features clients expect.
        Converters = { new NetTopologySuite.IO.Converters.GeoJsonConverterFactory(new GeometryFactory(), writeGeometryBBox: false, "id") },
    };
}

/// <summary>Gives the OGC tile route the same handler as /tiles/{tileset}/{z}/{x}/{y}.mvt.</summary>
internal static class TileEndpointsProxy
{
    public static Task<IResult> VectorTile(string id, string z, string x, string y, TileService tiles, HttpContext http, CancellationToken ct) =>
        TileEndpoints.VectorTileAsync(id, z, x, y, tiles, http, ct);
}
