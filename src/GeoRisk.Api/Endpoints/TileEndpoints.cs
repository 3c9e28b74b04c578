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
            return (null, Problems.Create(
                StatusCodes.Status404NotFound,
                "tile-out-of-range",
                $"Tile {z}/{x}/{y} is outside the WebMercatorQuad matrix (z 0–{TileId.MaxZoom}, x and y below 2^z)."));
        }

        return (new TileId(zi, (int)xi, (int)yi), null);
    }

    private static async Task<IResult> ListTilesets(TileService tiles, HttpContext http, CancellationToken ct)
    {
        var list = await tiles.ListAsync(ct);
        var root = BaseUrl(http);
        var live = list.Select(t => (t.Id, t.Title, t.Kind, t.Version));
        var archives = http.RequestServices.GetRequiredService<TileArchiveService>().List().Select(a => (a.Id, a.Title, Kind: "archive", a.Version));
        return TypedResults.Ok(live.Concat(archives).Select(t => new
        {
            id = t.Id, title = t.Title, kind = t.Kind, version = t.Version, tilejson = $"{root}/tiles/{Uri.EscapeDataString(t.Id)}.json",
        }));
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

    private static async Task<IResult> GetTileJson(
        string tileset, TileService vectorTiles, RasterTileService rasterTiles, HttpContext http, CancellationToken ct)
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
            ["tiles"] = new JsonArray(
                $"{root}/tiles/{Uri.EscapeDataString(tileset).Replace("%2C", ",", StringComparison.Ordinal)}/{{z}}/{{x}}/{{y}}.mvt"
                + $"?v={Uri.EscapeDataString(string.Join(",", selected.Select(t => t.Version)))}"),
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

    private static JsonArray Bounds(NetTopologySuite.Geometries.Envelope e) =>
        new(Math.Round(e.MinX, 6), Math.Round(e.MinY, 6), Math.Round(e.MaxX, 6), Math.Round(e.MaxY, 6));

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
        var portPart = defaultPort ? "" : ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"{http.Request.Scheme}://{host}{portPart}{http.Request.PathBase}";
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
            return Problems.Create(
                StatusCodes.Status404NotFound, "bad-range", $"No glyph range '{range}': ranges are N-(N+255) with N a multiple of 256 up to 65280.");
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
    public static JsonObject Build(
        string root,
        IReadOnlyList<TilesetInfo> tilesets,
        bool includeHidden = false,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? fields = null)
    {
        var style = new StyleParts(root);
        var grades = GradeColours();
        AddZoning(style, tilesets, grades);
        foreach (var t in tilesets.Where(t => !TileService.TryZoningProduct(t.Id, out _)))
        {
            style.Vector(t);
            foreach (var layer in SurveyLayers(t, grades))
            {
                style.Layers.Add(layer);
            }
        }

        // Labels last, so they draw over every fill and line; only for fields the tiles carry (the GEM traces have no names).
        foreach (var t in tilesets)
        {
            if (LabelLayer(t, fields) is { } label)
            {
                style.Layers.Add(label);
            }
        }

        if (!includeHidden)
        {
            style.DropHidden();
        }

        return new JsonObject
        {
            ["version"] = 8,
            ["name"] = "GeoRisk hazard zoning",
            ["metadata"] = Metadata(tilesets),
            ["center"] = new JsonArray(82.0, 44.7),
            ["zoom"] = 7,
            ["glyphs"] = $"{root}/fonts/{{fontstack}}/{{range}}.pbf",
            ["sources"] = style.Sources,
            ["layers"] = style.Layers,
        };
    }

    /// <summary>The style's sources and layers as they are built, starting with the hillshade backdrop.</summary>
    private sealed class StyleParts(string root)
    {
        public JsonObject Sources { get; } = new()
        {
            ["hillshade"] = RasterSource(root, "hillshade"),
        };

        public JsonArray Layers { get; } = new JsonArray
        {
            new JsonObject
            {
                ["id"] = "hillshade", ["type"] = "raster", ["source"] = "hillshade", ["paint"] = new JsonObject { ["raster-opacity"] = 0.9 },
            },
        };

        public string Root => root;

        public void Vector(TilesetInfo t) =>
            Sources[t.Id] = new JsonObject { ["type"] = "vector", ["url"] = $"{root}/tiles/{Uri.EscapeDataString(t.Id)}.json" };

        /// <summary>Drops hidden layers, then sources no remaining layer uses (QGIS would still load them).</summary>
        public void DropHidden()
        {
            foreach (var hidden in Layers.Where(l => l!["layout"]?["visibility"]?.GetValue<string>() == "none").ToList())
            {
                Layers.Remove(hidden);
            }

            var used = Layers.Select(l => l!["source"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal);
            foreach (var unused in Sources.Select(p => p.Key).Where(k => !used.Contains(k)).ToList())
            {
                Sources.Remove(unused);
            }
        }
    }

    private static JsonObject RasterSource(string root, string name) =>
        new() { ["type"] = "raster", ["url"] = $"{root}/tiles/{name}.json", ["tileSize"] = 256 };

    /// <summary>A hidden raster layer the web map's switcher can show.</summary>
    private static JsonObject HiddenRaster(string id, string source, JsonObject paint) => new()
    {
        ["id"] = id, ["type"] = "raster", ["source"] = source,
        ["layout"] = new JsonObject { ["visibility"] = "none" }, ["paint"] = paint,
    };

    /// <summary>The legend colours by grade as a <c>match</c> expression (labels as arrays, for QGIS).</summary>
    private static JsonArray GradeColours()
    {
        var grades = new JsonArray("match", new JsonArray("get", "grade"));
        for (var g = 1; g <= 4; g++)
        {
            grades.Add(new JsonArray(g));
            grades.Add(Grades.Colour(g));
        }

        grades.Add("#cccccc");
        return grades;
    }

    private static JsonArray PreventionColours()
    {
        var prevention = new JsonArray("match", new JsonArray("get", "prevention"));
        foreach (var (id, _, _, colour) in Grades.Prevention)
        {
            prevention.Add(new JsonArray(id));
            prevention.Add(colour);
        }

        prevention.Add("#cccccc");
        return prevention;
    }

    /// <summary>
    /// The census products (docs/DOMAIN.md §1): one zoning tileset each; susceptibility shows, hazard and risk are
    /// switched on by the map's product switcher. Prevention zoning is drawn from the risk zones when there are some.
    /// </summary>
    private static void AddZoning(StyleParts style, IReadOnlyList<TilesetInfo> tilesets, JsonArray grades)
    {
        var zoningTilesets = tilesets.Where(t => TileService.TryZoningProduct(t.Id, out _)).ToList();
        if (zoningTilesets.Count == 0)
        {
            return;
        }

        var (sources, layers) = (style.Sources, style.Layers);
        var hasRisk = zoningTilesets.Any(t => t.Id == TileService.ZoningTileset(ZoningProduct.Risk));
        sources["index"] = RasterSource(style.Root, "index");
        sources["grade"] = RasterSource(style.Root, "grade");
        layers.Add(HiddenRaster("index-raster", "index", new JsonObject { ["raster-opacity"] = 0.8 }));
        layers.Add(HiddenRaster("grade-raster", "grade", new JsonObject { ["raster-opacity"] = 1.0, ["raster-resampling"] = "nearest" }));
        if (hasRisk)
        {
            sources["risk"] = RasterSource(style.Root, "risk");
            layers.Add(HiddenRaster("risk-raster", "risk", new JsonObject { ["raster-opacity"] = 0.8 }));
        }

        foreach (var t in zoningTilesets)
        {
            style.Vector(t);
            var susceptibility = t.Id == TileService.Zoning;
            layers.Add(
                Layer(t.Id + "-fill", "fill", t.Id, new JsonObject { ["fill-color"] = grades.DeepClone(), ["fill-opacity"] = 0.55 }, visible: susceptibility));
            if (susceptibility)
            {
                var outline = new JsonObject { ["line-color"] = "#555555", ["line-width"] = 0.3, ["line-opacity"] = 0.6 };
                layers.Add(Layer("zoning-outline", "line", t.Id, outline, visible: true));
            }
        }

        var preventionSource = hasRisk ? TileService.ZoningTileset(ZoningProduct.Risk) : TileService.Zoning;
        var preventionPaint = new JsonObject { ["fill-color"] = PreventionColours(), ["fill-opacity"] = 0.5 };
        layers.Add(Layer("prevention-fill", "fill", preventionSource, preventionPaint, visible: false));
    }

    /// <summary>The layers that draw a survey or exposure tileset, by its kind (none for kinds the style does not show).</summary>
    private static JsonObject[] SurveyLayers(TilesetInfo t, JsonArray grades)
    {
        JsonObject Fill(string colour, double opacity, bool visible) =>
            Layer(t.Id + "-fill", "fill", t.Id, new JsonObject { ["fill-color"] = colour, ["fill-opacity"] = opacity }, visible);
        JsonObject Line(JsonObject paint, bool visible, string suffix = "-line") => Layer(t.Id + suffix, "line", t.Id, paint, visible);
        JsonObject Circle(double radius, string colour, bool visible) => Layer(t.Id + "-circle", "circle", t.Id, new JsonObject
        {
            ["circle-radius"] = radius,
            ["circle-color"] = colour,
            ["circle-stroke-color"] = "#ffffff",
            ["circle-stroke-width"] = 1,
        }, visible);

        return t.Kind switch
        {
            "survey-coverage" => [Layer("coverage-outline", "line", t.Id, CoveragePaint(), visible: false)],
            "hazard-zones" =>
            [
                Layer(t.Id + "-fill", "fill", t.Id, new JsonObject { ["fill-color"] = grades.DeepClone(), ["fill-opacity"] = 0.45 }, visible: false),
            ],
            "flood-zones" => [Fill("#2b83ba", 0.25, visible: false)],
            "pga-zoning" => [Line(new JsonObject { ["line-color"] = "#8c510a", ["line-width"] = 1 }, visible: false)],
            "lakes" => [Fill("#a6cee3", 0.9, visible: true)],
            "rivers" => [Line(new JsonObject { ["line-color"] = "#3a7bd5", ["line-width"] = 1.2 }, visible: true)],
            "admin-units" =>
            [
                Line(new JsonObject { ["line-color"] = "#333333", ["line-width"] = 1.5, ["line-dasharray"] = new JsonArray(4, 2) }, visible: true),
            ],
            "active-faults" => FaultLayers(t),
            "buildings" => [Fill("#5e5e5e", 0.8, visible: false)],
            "roads" => [Line(new JsonObject { ["line-color"] = "#b15928", ["line-width"] = 1.4 }, visible: false)],
            "facilities" => [Circle(4, "#1f78b4", visible: false)],
            "population" => [Line(new JsonObject { ["line-color"] = "#999999", ["line-width"] = 0.4 }, visible: false)],
            "hazard-points" => [Circle(3.5, "#6a3d9a", visible: true)],
            _ => [],
        };
    }

    /// <summary>Survey coverage outlined by scale: 1:10,000 and larger purple and heavier, smaller scales blue.</summary>
    private static JsonObject CoveragePaint() => new()
    {
        ["line-color"] = new JsonArray("case", new JsonArray("<=", new JsonArray("get", "scale_denominator"), 10000), "#7b2cbf", "#1f4e9c"),
        ["line-width"] = new JsonArray("case", new JsonArray("<=", new JsonArray("get", "scale_denominator"), 10000), 2.5, 1.2),
        ["line-dasharray"] = new JsonArray(3, 2),
    };

    /// <summary>Fold axes share the fault layers of compilations but are not faults (docs/DOMAIN.md §6.3): drawn apart.</summary>
    private static JsonObject[] FaultLayers(TilesetInfo t)
    {
        var foldPaint = new JsonObject { ["line-color"] = "#8c8c8c", ["line-width"] = 1.2, ["line-dasharray"] = new JsonArray(2, 2) };
        var folds = Layer(t.Id + "-fold", "line", t.Id, foldPaint, visible: true);
        folds["filter"] = new JsonArray("==", new JsonArray("get", "structure"), "fold");
        var faultLines = Layer(t.Id + "-line", "line", t.Id, new JsonObject { ["line-color"] = "#d7191c", ["line-width"] = 1.8 }, visible: true);
        faultLines["filter"] = new JsonArray("!=", new JsonArray("get", "structure"), "fold");
        return [folds, faultLines];
    }

    /// <summary>The label layer of a tileset, or null when its kind has none or its tiles lack the field.</summary>
    private static JsonObject? LabelLayer(TilesetInfo t, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? fields)
    {
        bool Has(string field) => fields is null || (fields.TryGetValue(t.Id, out var f) && f.ContainsKey(field));
        switch (t.Kind)
        {
            // One label layer, on the product shown by default: every product's tileset is of kind "zoning", and layer ids are unique.
            case "zoning" when t.Id == TileService.Zoning && Has("grade_term_zh"):
                return Label("zoning-label", t.Id, "grade_term_zh", 11, "#222222", minZoom: 10);
            case "admin-units" when Has("name"):
                return Label(t.Id + "-label", t.Id, "name", 14, "#333333", minZoom: 0);
            case "active-faults" when Has("name"):
                var faultLabel = Label(t.Id + "-label", t.Id, "name", 11, "#a50f15", minZoom: 8);
                faultLabel["layout"]!["symbol-placement"] = "line";
                faultLabel["filter"] = new JsonArray("!=", new JsonArray("get", "structure"), "fold");
                return faultLabel;
            case "lakes" when Has("name"):
                return Label(t.Id + "-label", t.Id, "name", 12, "#1f5fa8", minZoom: 6);
            case "rivers" when Has("name"):
                var riverLabel = Label(t.Id + "-label", t.Id, "name", 11, "#1f5fa8", minZoom: 8);
                riverLabel["layout"]!["symbol-placement"] = "line";
                return riverLabel;
            default:
                return null;
        }
    }

    /// <summary>The legends the web map and QGIS users read: grades, prevention classes, and per product its fill layer and census terms.</summary>
    private static JsonObject Metadata(IReadOnlyList<TilesetInfo> tilesets) => new()
    {
        ["georisk:legend"] = new JsonArray(Enumerable.Range(1, 4).Select(g => (JsonNode)new JsonObject
        {
            ["grade"] = g,
            ["label"] = Grades.English(g),
            ["labelZh"] = Grades.Chinese(g),
            ["colour"] = Grades.Colour(g),
        }).ToArray()),
        ["georisk:prevention"] = new JsonArray(Grades.Prevention
            .Select(p => (JsonNode)new JsonObject { ["id"] = p.Id, ["label"] = p.En, ["labelZh"] = p.Zh, ["colour"] = p.Colour })
            .ToArray()),
        // Per product: its fill layer and legend with the census terms (极高易发区, 高危险区, 中风险区 …), for map switchers.
        ["georisk:products"] = new JsonArray(tilesets
            .Where(t => TileService.TryZoningProduct(t.Id, out _))
            .Select(t => (JsonNode)ProductLegend(t))
            .ToArray()),
    };

    private static JsonObject ProductLegend(TilesetInfo t)
    {
        TileService.TryZoningProduct(t.Id, out var product);
        var (en, zh) = Grades.ProductName(product);
        return new JsonObject
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
