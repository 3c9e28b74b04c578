using System.Globalization;
using System.Text.Json.Nodes;
using GeoRisk.Core.Risk;
using GeoRisk.Services;
using GeoRisk.Tiles;
using Microsoft.Net.Http.Headers;

namespace GeoRisk.Api.Endpoints;

/// <summary>Vector tiles, raster tiles, TileJSON 3.0 and the MapLibre style.</summary>
internal static class TileEndpoints
{
    public const string MvtMediaType = "application/vnd.mapbox-vector-tile";

    public static IEndpointRouteBuilder MapTileEndpoints(this IEndpointRouteBuilder app)
    {
        var tiles = app.MapGroup("/tiles").WithTags("Tiles");
        tiles.MapGet("", ListTilesets).WithName("ListTilesets");
        tiles.MapGet("/{tileset}/{z}/{x}/{y}.mvt", GetVectorTile).WithName("GetVectorTile");
        // The same tiles under .pbf, the extension GDAL's MVT driver and tippecanoe-style tools assume
        // (ogrinfo MVT:http://host/tiles/zoning/8 works without -oo TILE_EXTENSION=mvt).
        tiles.MapGet("/{tileset}/{z}/{x}/{y}.pbf", GetVectorTile).WithName("GetVectorTilePbf");
        tiles.MapGet("/{kind}/{z}/{x}/{y}.png", GetRasterTile).WithName("GetRasterTile");
        tiles.MapGet("/{tileset}.json", GetTileJson).WithName("GetTileJson");
        app.MapGet("/styles/georisk.json", GetStyle).WithName("GetStyle").WithTags("Tiles");
        app.MapGet("/fonts/{fontstack}/{range}.pbf", GetGlyphs).WithName("GetGlyphs").WithTags("Tiles");
        return app;
    }

    /// <summary>Parses z/x/y: 400 when not integers, 404 when outside the WebMercatorQuad matrix.</summary>
    internal static (TileId? Tile, IResult? Error) ParseTile(string z, string x, string y)
    {
        if (!int.TryParse(z, NumberStyles.None, CultureInfo.InvariantCulture, out var zi) ||
            !long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var xi) ||
            !long.TryParse(y, NumberStyles.None, CultureInfo.InvariantCulture, out var yi))
        {
            return (null, Problems.Create(StatusCodes.Status400BadRequest, "bad-tile", $"z/x/y must be non-negative integers; got {z}/{x}/{y}."));
        }

        if (zi > TileId.MaxZoom || xi >= 1L << Math.Min(zi, 62) || yi >= 1L << Math.Min(zi, 62))
        {
            return (null, Problems.Create(StatusCodes.Status404NotFound, "tile-out-of-range", $"Tile {z}/{x}/{y} is outside the WebMercatorQuad matrix (z 0–{TileId.MaxZoom}, x and y below 2^z)."));
        }

        return (new TileId(zi, (int)xi, (int)yi), null);
    }

    private static async Task<IResult> ListTilesets(TileService tiles, HttpContext http, CancellationToken ct)
    {
        var list = await tiles.ListAsync(ct);
        var root = BaseUrl(http);
        return TypedResults.Ok(list.Select(t => new { t.Id, t.Title, t.Kind, t.Version, tilejson = $"{root}/tiles/{Uri.EscapeDataString(t.Id)}.json" }));
    }

    internal static Task<IResult> VectorTileAsync(string tileset, string z, string x, string y, TileService tiles, HttpContext http, CancellationToken ct) =>
        GetVectorTile(tileset, z, x, y, tiles, http, ct);

    private static async Task<IResult> GetVectorTile(string tileset, string z, string x, string y, TileService tiles, HttpContext http, CancellationToken ct)
    {
        var (tile, error) = ParseTile(z, x, y);
        if (error is not null)
        {
            return error;
        }

        if (TileArchiveService.IsArchive(tileset))
        {
            return ArchiveEndpoints.VectorTile(tileset, tile!.Value, http);
        }

        var result = await tiles.GetTileAsync(tileset, tile!.Value, ct);
        var headers = http.Response.Headers;
        headers["X-GeoRisk-Cache"] = result.FromCache ? "hit" : "miss";
        if (result.Thinned.Count > 0)
        {
            // Never silent: which layers lost how many features in this tile.
            headers["X-GeoRisk-Thinned"] = string.Join(",", result.Thinned.Select(t => $"{t.Key}={t.Value}"));
            Metrics.ThinnedTiles.Inc();
        }

        return VectorTileResponse(http, result.ETag, result.IsEmpty ? null : result.Gzipped, TileService.Gunzip);
    }

    /// <summary>
    /// A vector tile response, live or from an archive: the representation by Accept-Encoding with its own strong
    /// ETag, 304 on a matching If-None-Match, 204 for a missing or empty tile.
    /// </summary>
    internal static IResult VectorTileResponse(HttpContext http, string identityETag, byte[]? gzipped, Func<byte[], byte[]> gunzip)
    {
        var headers = http.Response.Headers;
        var gzip = EntityTags.AcceptsGzip(http.Request);
        var etag = gzip ? EntityTags.Gzip(identityETag) : identityETag;
        headers.CacheControl = "public, max-age=60, must-revalidate";
        headers.ETag = etag;
        headers.Vary = "Accept-Encoding";
        if (EntityTags.NoneMatch(http.Request, etag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        if (gzipped is null)
        {
            return TypedResults.NoContent();
        }

        if (gzip)
        {
            headers.ContentEncoding = "gzip";
            return TypedResults.Bytes(gzipped, MvtMediaType);
        }

        return TypedResults.Bytes(gunzip(gzipped), MvtMediaType);
    }

    private static async Task<IResult> GetRasterTile(string kind, string z, string x, string y, RasterTileService tiles, HttpContext http, CancellationToken ct)
    {
        if (!RasterTileService.Kinds.Contains(kind))
        {
            return Problems.Create(StatusCodes.Status404NotFound, "not-found", $"No raster tileset '{kind}' ({string.Join(", ", RasterTileService.Kinds)}).");
        }

        var (tile, error) = ParseTile(z, x, y);
        if (error is not null)
        {
            return error;
        }

        var result = await tiles.GetTileAsync(kind, tile!.Value, ct);
        http.Response.Headers.CacheControl = "public, max-age=60, must-revalidate";
        http.Response.Headers.ETag = result.ETag;
        if (EntityTags.NoneMatch(http.Request, result.ETag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(result.Png, "image/png");
    }

    private static async Task<IResult> GetTileJson(string tileset, TileService vectorTiles, RasterTileService rasterTiles, HttpContext http, CancellationToken ct)
    {
        var root = BaseUrl(http);
        http.Response.Headers.CacheControl = "no-cache";
        if (TileArchiveService.IsArchive(tileset))
        {
            return ArchiveEndpoints.TileJson(tileset, root, http);
        }

        if (RasterTileService.Kinds.Contains(tileset))
        {
            var source = await rasterTiles.SourceAsync(tileset, ct) ?? throw new KeyNotFoundException($"Tileset '{tileset}' has no source yet.");
            var bounds = source.Run?.Bounds;
            return TypedResults.Json(new JsonObject
            {
                ["tilejson"] = "3.0.0",
                ["name"] = tileset,
                ["version"] = "1.0.0",
                ["scheme"] = "xyz",
                // The version in the URL makes clients fetch new tiles after a run instead of reusing cached ones.
                ["tiles"] = new JsonArray($"{root}/tiles/{tileset}/{{z}}/{{x}}/{{y}}.png?v={Uri.EscapeDataString(source.Version)}"),
                ["minzoom"] = 0,
                ["maxzoom"] = 14,
                ["tileSize"] = RasterTileService.Size,
                ["bounds"] = bounds is null ? Bounds(await DefaultBoundsAsync(vectorTiles, ct)) : Bounds(bounds),
                ["attribution"] = Attribution,
            });
        }

        var all = await vectorTiles.ListAsync(ct);
        var selected = tileset.Split(',').Select(n => all.FirstOrDefault(t => t.Id == n) ?? throw new KeyNotFoundException($"No tileset '{n}'.")).ToList();
        var env = new NetTopologySuite.Geometries.Envelope();
        foreach (var t in selected.Where(t => t.Bounds is not null))
        {
            env.ExpandToInclude(t.Bounds);
        }

        if (env.IsNull)
        {
            env = await DefaultBoundsAsync(vectorTiles, ct);
        }

        var layers = new JsonArray();
        foreach (var t in selected)
        {
            var fields = new JsonObject();
            foreach (var (name, type) in await vectorTiles.FieldsAsync(t.Id, ct))
            {
                fields[name] = type;
            }

            layers.Add(new JsonObject { ["id"] = t.Id, ["description"] = t.Title, ["minzoom"] = t.MinZoom, ["maxzoom"] = t.MaxZoom, ["fields"] = fields });
        }

        return TypedResults.Json(new JsonObject
        {
            ["tilejson"] = "3.0.0",
            ["name"] = string.Join(",", selected.Select(t => t.Title)),
            ["version"] = "1.0.0",
            ["scheme"] = "xyz",
            ["tiles"] = new JsonArray($"{root}/tiles/{Uri.EscapeDataString(tileset).Replace("%2C", ",", StringComparison.Ordinal)}/{{z}}/{{x}}/{{y}}.mvt?v={Uri.EscapeDataString(string.Join(",", selected.Select(t => t.Version)))}"),
            ["minzoom"] = selected.Min(t => t.MinZoom),
            ["maxzoom"] = selected.Max(t => t.MaxZoom),
            ["bounds"] = Bounds(env),
            ["center"] = new JsonArray(env.Centre.X, env.Centre.Y, 8),
            ["vector_layers"] = layers,
            ["attribution"] = Attribution,
        });
    }

    public const string Attribution = TileArchiveExport.Attribution;

    private static async Task<NetTopologySuite.Geometries.Envelope> DefaultBoundsAsync(TileService tiles, CancellationToken ct)
    {
        var env = new NetTopologySuite.Geometries.Envelope();
        foreach (var t in (await tiles.ListAsync(ct)).Where(t => t.Kind == "admin-units" && t.Bounds is not null))
        {
            env.ExpandToInclude(t.Bounds);
        }

        return env.IsNull ? new NetTopologySuite.Geometries.Envelope(-180, 180, -85, 85) : env;
    }

    private static JsonArray Bounds(NetTopologySuite.Geometries.Envelope e) => new(Math.Round(e.MinX, 6), Math.Round(e.MinY, 6), Math.Round(e.MaxX, 6), Math.Round(e.MaxY, 6));

    /// <summary>
    /// The root of absolute links: the configured public address, else the local address the request arrived
    /// on. Never the Host header, which the client chooses (links in cached documents would point elsewhere).
    /// </summary>
    internal static string BaseUrl(HttpContext http)
    {
        if (http.RequestServices.GetRequiredService<GeoRiskServiceOptions>().PublicBaseUrl is { Length: > 0 } configured)
        {
            return configured.TrimEnd('/');
        }

        var local = http.Connection.LocalIpAddress;
        if (local is null)
        {
            return $"{http.Request.Scheme}://localhost{http.Request.PathBase}"; // in-memory test server: no socket
        }

        if (local.IsIPv4MappedToIPv6)
        {
            local = local.MapToIPv4();
        }

        var host = local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{local}]" : local.ToString();
        var port = http.Connection.LocalPort;
        var defaultPort = (http.Request.Scheme == "https" && port == 443) || (http.Request.Scheme == "http" && port == 80) || port == 0;
        return $"{http.Request.Scheme}://{host}{(defaultPort ? "" : ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture))}{http.Request.PathBase}";
    }

    /// <summary>A MapLibre glyph range (SDF PBF) generated from the installed CJK font, for the style's label layers.</summary>
    private static IResult GetGlyphs(string fontstack, string range, GlyphService glyphs, HttpContext http)
    {
        if (fontstack.Length is 0 or > 200)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "bad-fontstack", "fontstack must be 1-200 characters.");
        }

        if (!GlyphPbf.TryParseRange(range, out _, out _))
        {
            return Problems.Create(StatusCodes.Status404NotFound, "bad-range", $"No glyph range '{range}': ranges are N-(N+255) with N a multiple of 256 up to 65280.");
        }

        var pbf = glyphs.GetRange(fontstack, range);
        var etag = $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(pbf).AsSpan(0, 12))}\"";
        http.Response.Headers.CacheControl = "public, max-age=86400";
        http.Response.Headers.ETag = etag;
        if (EntityTags.NoneMatch(http.Request, etag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(pbf, "application/x-protobuf");
    }

    private static async Task<IResult> GetStyle(TileService tiles, HttpContext http, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-cache";
        var layers = http.Request.Query["layers"].ToString();
        if (layers is not ("" or "visible" or "all"))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "bad-parameter", $"layers must be 'visible' (default) or 'all'; got '{layers}'.");
        }

        var list = await tiles.ListAsync(ct);
        var fields = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var t in list.Where(t => t.Kind is "zoning" or "admin-units" or "active-faults" or "lakes" or "rivers"))
        {
            fields[t.Id] = await tiles.FieldsAsync(t.Id, ct);
        }

        return TypedResults.Json(MapStyle.Build(BaseUrl(http), list, includeHidden: layers == "all", fields));
    }
}

/// <summary>
/// The MapLibre style: hillshade backdrop, zoning in the legend colours, survey layers, faults and hazard points.
/// Kept to what QGIS 3.22's QgsMapBoxGlStyleConverter reads the same way MapLibre does: <c>match</c> labels are
/// arrays (QGIS turns a scalar label into an empty <c>IN ()</c>, drawing every zone grey), hidden layers are left
/// out rather than marked <c>visibility: none</c> (QGIS ignores it and draws them), and there is no background
/// layer (QGIS paints it over the separately added hillshade; the web page colours its map container instead).
/// <c>?layers=all</c> adds the hidden layers for the web map's layer switcher. Labels (zone grade terms, county names,
/// fault names, lakes and rivers) use glyphs the service generates from its CJK font (<c>/fonts/{fontstack}/{range}.pbf</c>);
/// <c>text-font</c> names that font as family + style ("WenQuanYi Micro Hei Regular"), which QGIS's converter looks up
/// among the installed fonts, and <c>text-field</c> is a plain <c>["get", field]</c>, which it turns into a field expression.
/// </summary>
internal static class MapStyle
{
    /// <param name="fields">Fields per tileset id as the tiles carry them: a label layer is added only for a field its tiles have.</param>
    public static JsonObject Build(string root, IReadOnlyList<TilesetInfo> tilesets, bool includeHidden = false, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? fields = null)
    {
        var sources = new JsonObject
        {
            ["hillshade"] = new JsonObject { ["type"] = "raster", ["url"] = $"{root}/tiles/hillshade.json", ["tileSize"] = 256 },
        };
        var layers = new JsonArray
        {
            new JsonObject { ["id"] = "hillshade", ["type"] = "raster", ["source"] = "hillshade", ["paint"] = new JsonObject { ["raster-opacity"] = 0.9 } },
        };

        var grades = new JsonArray("match", new JsonArray("get", "grade"));
        for (var g = 1; g <= 4; g++)
        {
            grades.Add(new JsonArray(g));
            grades.Add(Grades.Colour(g));
        }

        grades.Add("#cccccc");
        var prevention = new JsonArray("match", new JsonArray("get", "prevention"));
        foreach (var (id, _, _, colour) in Grades.Prevention)
        {
            prevention.Add(new JsonArray(id));
            prevention.Add(colour);
        }

        prevention.Add("#cccccc");

        void Vector(TilesetInfo t) => sources[t.Id] = new JsonObject { ["type"] = "vector", ["url"] = $"{root}/tiles/{Uri.EscapeDataString(t.Id)}.json" };

        // The census products (docs/DOMAIN.md §1): one zoning tileset each; susceptibility shows, hazard and risk are
        // switched on by the map's product switcher. Prevention zoning is drawn from the risk zones when there are some.
        var zoningTilesets = tilesets.Where(t => TileService.TryZoningProduct(t.Id, out _)).ToList();
        if (zoningTilesets.Count > 0)
        {
            var hasRisk = zoningTilesets.Any(t => t.Id == TileService.ZoningTileset(ZoningProduct.Risk));
            sources["index"] = new JsonObject { ["type"] = "raster", ["url"] = $"{root}/tiles/index.json", ["tileSize"] = 256 };
            sources["grade"] = new JsonObject { ["type"] = "raster", ["url"] = $"{root}/tiles/grade.json", ["tileSize"] = 256 };
            layers.Add(new JsonObject
            {
                ["id"] = "index-raster", ["type"] = "raster", ["source"] = "index",
                ["layout"] = new JsonObject { ["visibility"] = "none" }, ["paint"] = new JsonObject { ["raster-opacity"] = 0.8 },
            });
            layers.Add(new JsonObject
            {
                ["id"] = "grade-raster", ["type"] = "raster", ["source"] = "grade",
                ["layout"] = new JsonObject { ["visibility"] = "none" }, ["paint"] = new JsonObject { ["raster-opacity"] = 1.0, ["raster-resampling"] = "nearest" },
            });
            if (hasRisk)
            {
                sources["risk"] = new JsonObject { ["type"] = "raster", ["url"] = $"{root}/tiles/risk.json", ["tileSize"] = 256 };
                layers.Add(new JsonObject
                {
                    ["id"] = "risk-raster", ["type"] = "raster", ["source"] = "risk",
                    ["layout"] = new JsonObject { ["visibility"] = "none" }, ["paint"] = new JsonObject { ["raster-opacity"] = 0.8 },
                });
            }

            foreach (var t in zoningTilesets)
            {
                Vector(t);
                var susceptibility = t.Id == TileService.Zoning;
                layers.Add(Layer(t.Id + "-fill", "fill", t.Id, new JsonObject { ["fill-color"] = grades.DeepClone(), ["fill-opacity"] = 0.55 }, visible: susceptibility));
                if (susceptibility)
                {
                    layers.Add(Layer("zoning-outline", "line", t.Id, new JsonObject { ["line-color"] = "#555555", ["line-width"] = 0.3, ["line-opacity"] = 0.6 }, visible: true));
                }
            }

            var preventionSource = hasRisk ? TileService.ZoningTileset(ZoningProduct.Risk) : TileService.Zoning;
            layers.Add(Layer("prevention-fill", "fill", preventionSource, new JsonObject { ["fill-color"] = prevention.DeepClone(), ["fill-opacity"] = 0.5 }, visible: false));
        }

        foreach (var t in tilesets.Where(t => !TileService.TryZoningProduct(t.Id, out _)))
        {
            Vector(t);
            switch (t.Kind)
            {
                case "survey-coverage":
                    layers.Add(Layer("coverage-outline", "line", t.Id, new JsonObject
                    {
                        ["line-color"] = new JsonArray("case", new JsonArray("<=", new JsonArray("get", "scale_denominator"), 10000), "#7b2cbf", "#1f4e9c"),
                        ["line-width"] = new JsonArray("case", new JsonArray("<=", new JsonArray("get", "scale_denominator"), 10000), 2.5, 1.2),
                        ["line-dasharray"] = new JsonArray(3, 2),
                    }, visible: false));
                    break;
                case "hazard-zones":
                    layers.Add(Layer(t.Id + "-fill", "fill", t.Id, new JsonObject { ["fill-color"] = grades.DeepClone(), ["fill-opacity"] = 0.45 }, visible: false));
                    break;
                case "flood-zones":
                    layers.Add(Layer(t.Id + "-fill", "fill", t.Id, new JsonObject { ["fill-color"] = "#2b83ba", ["fill-opacity"] = 0.25 }, visible: false));
                    break;
                case "pga-zoning":
                    layers.Add(Layer(t.Id + "-line", "line", t.Id, new JsonObject { ["line-color"] = "#8c510a", ["line-width"] = 1 }, visible: false));
                    break;
                case "lakes":
                    layers.Add(Layer(t.Id + "-fill", "fill", t.Id, new JsonObject { ["fill-color"] = "#a6cee3", ["fill-opacity"] = 0.9 }, visible: true));
                    break;
                case "rivers":
                    layers.Add(Layer(t.Id + "-line", "line", t.Id, new JsonObject { ["line-color"] = "#3a7bd5", ["line-width"] = 1.2 }, visible: true));
                    break;
                case "admin-units":
                    layers.Add(Layer(t.Id + "-line", "line", t.Id, new JsonObject { ["line-color"] = "#333333", ["line-width"] = 1.5, ["line-dasharray"] = new JsonArray(4, 2) }, visible: true));
                    break;
                case "active-faults":
                    // Fold axes share the fault layers of compilations but are not faults (docs/DOMAIN.md §6.3): drawn apart.
                    var folds = Layer(t.Id + "-fold", "line", t.Id, new JsonObject { ["line-color"] = "#8c8c8c", ["line-width"] = 1.2, ["line-dasharray"] = new JsonArray(2, 2) }, visible: true);
                    folds["filter"] = new JsonArray("==", new JsonArray("get", "structure"), "fold");
                    layers.Add(folds);
                    var faultLines = Layer(t.Id + "-line", "line", t.Id, new JsonObject { ["line-color"] = "#d7191c", ["line-width"] = 1.8 }, visible: true);
                    faultLines["filter"] = new JsonArray("!=", new JsonArray("get", "structure"), "fold");
                    layers.Add(faultLines);
                    break;
                case "buildings":
                    layers.Add(Layer(t.Id + "-fill", "fill", t.Id, new JsonObject { ["fill-color"] = "#5e5e5e", ["fill-opacity"] = 0.8 }, visible: false));
                    break;
                case "roads":
                    layers.Add(Layer(t.Id + "-line", "line", t.Id, new JsonObject { ["line-color"] = "#b15928", ["line-width"] = 1.4 }, visible: false));
                    break;
                case "facilities":
                    layers.Add(Layer(t.Id + "-circle", "circle", t.Id, new JsonObject
                    {
                        ["circle-radius"] = 4,
                        ["circle-color"] = "#1f78b4",
                        ["circle-stroke-color"] = "#ffffff",
                        ["circle-stroke-width"] = 1,
                    }, visible: false));
                    break;
                case "population":
                    layers.Add(Layer(t.Id + "-line", "line", t.Id, new JsonObject { ["line-color"] = "#999999", ["line-width"] = 0.4 }, visible: false));
                    break;
                case "hazard-points":
                    layers.Add(Layer(t.Id + "-circle", "circle", t.Id, new JsonObject
                    {
                        ["circle-radius"] = 3.5,
                        ["circle-color"] = "#6a3d9a",
                        ["circle-stroke-color"] = "#ffffff",
                        ["circle-stroke-width"] = 1,
                    }, visible: true));
                    break;
            }
        }

        // Labels last, so they draw over every fill and line; only for fields the tiles carry (the GEM traces have no names).
        bool Has(TilesetInfo t, string field) => fields is null || (fields.TryGetValue(t.Id, out var f) && f.ContainsKey(field));
        foreach (var t in tilesets)
        {
            switch (t.Kind)
            {
                // One label layer, on the product shown by default: every product's tileset is of kind "zoning", and layer ids are unique.
                case "zoning" when t.Id == TileService.Zoning && Has(t, "grade_term_zh"):
                    layers.Add(Label("zoning-label", t.Id, "grade_term_zh", 11, "#222222", minZoom: 10));
                    break;
                case "admin-units" when Has(t, "name"):
                    layers.Add(Label(t.Id + "-label", t.Id, "name", 14, "#333333", minZoom: 0));
                    break;
                case "active-faults" when Has(t, "name"):
                    var faultLabel = Label(t.Id + "-label", t.Id, "name", 11, "#a50f15", minZoom: 8);
                    faultLabel["layout"]!["symbol-placement"] = "line";
                    faultLabel["filter"] = new JsonArray("!=", new JsonArray("get", "structure"), "fold");
                    layers.Add(faultLabel);
                    break;
                case "lakes" when Has(t, "name"):
                    layers.Add(Label(t.Id + "-label", t.Id, "name", 12, "#1f5fa8", minZoom: 6));
                    break;
                case "rivers" when Has(t, "name"):
                    var riverLabel = Label(t.Id + "-label", t.Id, "name", 11, "#1f5fa8", minZoom: 8);
                    riverLabel["layout"]!["symbol-placement"] = "line";
                    layers.Add(riverLabel);
                    break;
            }
        }

        if (!includeHidden)
        {
            // Drop hidden layers, then sources no remaining layer uses (QGIS would still load them).
            foreach (var hidden in layers.Where(l => l!["layout"]?["visibility"]?.GetValue<string>() == "none").ToList())
            {
                layers.Remove(hidden);
            }

            var used = layers.Select(l => l!["source"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal);
            foreach (var unused in sources.Select(p => p.Key).Where(k => !used.Contains(k)).ToList())
            {
                sources.Remove(unused);
            }
        }

        return new JsonObject
        {
            ["version"] = 8,
            ["name"] = "GeoRisk hazard zoning",
            ["metadata"] = new JsonObject
            {
                ["georisk:legend"] = new JsonArray(Enumerable.Range(1, 4).Select(g => (JsonNode)new JsonObject
                {
                    ["grade"] = g,
                    ["label"] = Grades.English(g),
                    ["labelZh"] = Grades.Chinese(g),
                    ["colour"] = Grades.Colour(g),
                }).ToArray()),
                ["georisk:prevention"] = new JsonArray(Grades.Prevention.Select(p => (JsonNode)new JsonObject { ["id"] = p.Id, ["label"] = p.En, ["labelZh"] = p.Zh, ["colour"] = p.Colour }).ToArray()),
                // Per product: its fill layer and legend with the census terms (极高易发区, 高危险区, 中风险区 …), for map switchers.
                ["georisk:products"] = new JsonArray(tilesets.Where(t => TileService.TryZoningProduct(t.Id, out _)).Select(t =>
                {
                    TileService.TryZoningProduct(t.Id, out var product);
                    var (en, zh) = Grades.ProductName(product);
                    return (JsonNode)new JsonObject
                    {
                        ["product"] = product.ToString().ToLowerInvariant(),
                        ["title"] = en,
                        ["titleZh"] = zh,
                        ["layer"] = t.Id + "-fill",
                        ["legend"] = new JsonArray(Enumerable.Range(1, 4).Select(g => (JsonNode)new JsonObject
                        {
                            ["grade"] = g,
                            ["term"] = Grades.CensusTerm(g, 4, product).En,
                            ["termZh"] = Grades.CensusTerm(g, 4, product).Zh,
                            ["colour"] = Grades.Colour(g),
                        }).ToArray()),
                    };
                }).ToArray()),
            },
            ["center"] = new JsonArray(82.0, 44.7),
            ["zoom"] = 7,
            ["glyphs"] = $"{root}/fonts/{{fontstack}}/{{range}}.pbf",
            ["sources"] = sources,
            ["layers"] = layers,
        };
    }

    /// <summary>The font the glyph endpoint renders, as family + style (what QGIS's converter looks up).</summary>
    public const string LabelFont = "WenQuanYi Micro Hei Regular";

    private static JsonObject Label(string id, string source, string field, double size, string colour, int minZoom) => new()
    {
        ["id"] = id,
        ["type"] = "symbol",
        ["source"] = source,
        ["source-layer"] = source,
        ["minzoom"] = minZoom,
        ["layout"] = new JsonObject
        {
            ["visibility"] = "visible",
            ["text-field"] = new JsonArray("get", field),
            ["text-font"] = new JsonArray(LabelFont),
            ["text-size"] = size,
        },
        ["paint"] = new JsonObject { ["text-color"] = colour, ["text-halo-color"] = "#ffffff", ["text-halo-width"] = 1.5 },
    };

    private static JsonObject Layer(string id, string type, string source, JsonObject paint, bool visible) => new()
    {
        ["id"] = id,
        ["type"] = type,
        ["source"] = source,
        ["source-layer"] = source,
        ["layout"] = new JsonObject { ["visibility"] = visible ? "visible" : "none" },
        ["paint"] = paint,
    };
}
