using GeoRisk.Services;
using GeoRisk.Core.Risk;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using GeoRisk.Tests.Common;

namespace GeoRisk.Api.Tests;

/// <summary>OGC API Features Parts 1 and 2 and OGC API Tiles: what the conformance page claims is served.</summary>
[Collection(ApiCollection.Name)]
public sealed class OgcConformanceTests(ApiFixture api)
{
    private const string Counties = "/collections/bortala-reference:counties";
    private readonly HttpClient _client = api.Factory.CreateClient();

    private async Task<(HttpResponseMessage Response, JsonElement Body)> Get(string url, bool gzip = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.RelativeOrAbsolute));
        request.Headers.Accept.ParseAdd("application/json");
        if (gzip)
        {
            request.Headers.AcceptEncoding.ParseAdd("gzip");
        }

        var response = await _client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.Content.Headers.ContentEncoding.Contains("gzip"))
        {
            using var unzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            await unzip.CopyToAsync(plain);
            bytes = plain.ToArray();
        }

        return (response, bytes.Length > 0 && bytes[0] == (byte)'{' ? JsonDocument.Parse(bytes).RootElement.Clone() : default);
    }

    private static IEnumerable<double> Numbers(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => e.EnumerateArray().SelectMany(Numbers),
        JsonValueKind.Number => [e.GetDouble()],
        _ => [],
    };

    [Fact]
    public async Task Coverage_AdvertisedItemsAreServed()
    {
        var (_, collections) = await Get("/collections");
        foreach (var c in collections.GetProperty("collections").EnumerateArray())
        {
            var items = c.GetProperty("links").EnumerateArray().Single(l => l.GetProperty("rel").GetString() == "items").GetProperty("href").GetString()!;
            var (response, page) = await Get(items + "?limit=1");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{items}: {(int)response.StatusCode}");
            Assert.Equal("FeatureCollection", page.GetProperty("type").GetString());
        }

        var (_, coverage) = await Get("/collections/coverage/items");
        Assert.True(coverage.GetProperty("numberReturned").GetInt32() >= 2);
        Assert.Equal(coverage.GetProperty("numberReturned").GetInt32(), coverage.GetProperty("numberMatched").GetInt32());
    }

    [Fact]
    public async Task Items_NumberMatched_UnfilteredAndOnTheLastFilteredPage()
    {
        var (_, first) = await Get($"{Counties}/items?limit=1");
        Assert.Equal(4, first.GetProperty("numberMatched").GetInt64());
        Assert.Equal(1, first.GetProperty("numberReturned").GetInt32());
        var (_, zoning) = await Get("/collections/zoning/items?limit=5");
        var products = TileService.ZoneCounts(api.Run);
        Assert.Equal(products[ZoningProduct.Susceptibility], zoning.GetProperty("numberMatched").GetInt64());
        var (_, risk) = await Get("/collections/zoning-risk/items?limit=5");
        Assert.Equal(products[ZoningProduct.Risk], risk.GetProperty("numberMatched").GetInt64());
        Assert.All(risk.GetProperty("features").EnumerateArray(), f => Assert.Equal("risk", f.GetProperty("properties").GetProperty("product").GetString()));
        var (_, boxed) = await Get($"{Counties}/items?bbox=82.0,44.8,82.1,44.9&limit=100");
        Assert.Equal(boxed.GetProperty("numberReturned").GetInt32(), boxed.GetProperty("numberMatched").GetInt32());
    }

    [Fact]
    public async Task Items_GzipAndSevenDecimals()
    {
        var (response, page) = await Get("/collections/zoning/items?limit=50", gzip: true);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("gzip", response.Content.Headers.ContentEncoding);
        var coordinates = page.GetProperty("features").EnumerateArray().SelectMany(f => Numbers(f.GetProperty("geometry").GetProperty("coordinates"))).ToList();
        Assert.NotEmpty(coordinates);
        Assert.All(coordinates, c => Assert.Equal(Math.Round(c, 7), c));
    }

    [Fact]
    public async Task Items_DatetimeInstantsAndIntervalsAccepted()
    {
        foreach (var value in new[] { "2024-05-01T00:00:00Z", "2024-01-01T00:00:00Z/2025-01-01T00:00:00Z", "../2025-01-01T00:00:00Z", "2020-01-01T00:00:00Z/.." })
        {
            var (response, page) = await Get($"{Counties}/items?datetime={Uri.EscapeDataString(value)}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, value);
            Assert.Equal(4, page.GetProperty("numberReturned").GetInt32());
        }
    }

    [Fact]
    public async Task Items_Crs4490_LatitudeFirstWithContentCrs_BboxCrsHonoured()
    {
        var (plain, crs84) = await Get($"{Counties}/items?limit=1");
        Assert.Equal("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>", plain.Headers.GetValues("Content-Crs").Single());
        var (response, page) = await Get($"{Counties}/items?limit=1&crs={Uri.EscapeDataString("http://www.opengis.net/def/crs/EPSG/0/4490")}");
        Assert.Equal("<http://www.opengis.net/def/crs/EPSG/0/4490>", response.Headers.GetValues("Content-Crs").Single());
        var lonLat = Numbers(crs84.GetProperty("features")[0].GetProperty("geometry").GetProperty("coordinates")).Take(2).ToArray();
        var latLon = Numbers(page.GetProperty("features")[0].GetProperty("geometry").GetProperty("coordinates")).Take(2).ToArray();
        Assert.InRange(lonLat[0], 79, 85);
        Assert.Equal(lonLat[0], latLon[1]);
        Assert.Equal(lonLat[1], latLon[0]);

        var (_, boxed) = await Get($"{Counties}/items?bbox=44.8,82.0,44.9,82.1&bbox-crs={Uri.EscapeDataString("http://www.opengis.net/def/crs/EPSG/0/4490")}");
        Assert.Equal("652701", boxed.GetProperty("features")[0].GetProperty("properties").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData($"{Counties}/items?datetime=yesterday", "bad-datetime")]
    [InlineData($"{Counties}/items?datetime=../..", "bad-datetime")]
    [InlineData($"{Counties}/items?crs=EPSG:3857", "unsupported-crs")]
    [InlineData($"{Counties}/items?bbox-crs=EPSG:32644&bbox=1,2,3,4", "unsupported-crs")]
    [InlineData($"{Counties}/items?bbox=1,2,3", "bad-bbox")]
    [InlineData("/collections/zoning/tiles/WorldCRS84Quad", "not-found")]
    [InlineData("/tileMatrixSets/NZTM2000", "not-found")]
    public async Task BadOgcParameters_ProblemDetails(string url, string code)
    {
        var (response, body) = await Get(url);
        Assert.InRange((int)response.StatusCode, 400, 404);
        Assert.Equal(code, body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Collections_AdvertiseCrs84And4490WithStorageCrs()
    {
        var (_, zoning) = await Get("/collections/zoning");
        var crs = zoning.GetProperty("crs").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal(["http://www.opengis.net/def/crs/OGC/1.3/CRS84", "http://www.opengis.net/def/crs/EPSG/0/4490"], crs);
        Assert.Equal("http://www.opengis.net/def/crs/EPSG/0/4490", zoning.GetProperty("storageCrs").GetString());
    }

    [Fact]
    public async Task Tileset_OgcDocumentWithTilingSchemeLimitsAndLayerSchema()
    {
        var (response, tileset) = await Get("/collections/zoning/tiles/WebMercatorQuad");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("vector", tileset.GetProperty("dataType").GetString());
        var links = tileset.GetProperty("links").EnumerateArray().ToList();
        var scheme = links.Single(l => l.GetProperty("rel").GetString() == "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme").GetProperty("href").GetString()!;
        var item = links.Single(l => l.GetProperty("rel").GetString() == "item");
        Assert.Equal("application/vnd.mapbox-vector-tile", item.GetProperty("type").GetString());
        var limits = tileset.GetProperty("tileMatrixSetLimits").EnumerateArray().ToList();
        Assert.Equal("8", limits[8].GetProperty("tileMatrix").GetString());
        Assert.True(limits[8].GetProperty("maxTileCol").GetInt32() >= limits[8].GetProperty("minTileCol").GetInt32());
        var properties = tileset.GetProperty("layers")[0].GetProperty("propertiesSchema").GetProperty("properties");
        Assert.Equal("number", properties.GetProperty("grade").GetProperty("type").GetString());

        var (tmsResponse, tms) = await Get(scheme);
        Assert.Equal(HttpStatusCode.OK, tmsResponse.StatusCode);
        Assert.Equal("WebMercatorQuad", tms.GetProperty("id").GetString());
        var z3 = tms.GetProperty("tileMatrices")[3];
        Assert.Equal(8, z3.GetProperty("matrixWidth").GetInt32());
        Assert.Equal(559082264.029, tms.GetProperty("tileMatrices")[0].GetProperty("scaleDenominator").GetDouble(), 2);
        var (_, list) = await Get("/tileMatrixSets");
        Assert.Equal("WebMercatorQuad", list.GetProperty("tileMatrixSets")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task TileJson_VectorLayerFieldsAreTheTileAttributes()
    {
        foreach (var tileset in new[] { "zoning", "bortala-reference:counties", "bole-geohazard-10k:hazard-zones", "coverage" })
        {
            var (_, tj) = await Get($"/tiles/{Uri.EscapeDataString(tileset)}.json");
            var advertised = tj.GetProperty("vector_layers")[0].GetProperty("fields").EnumerateObject().Select(p => p.Name).ToHashSet();
            var seen = new HashSet<string>();
            for (var z = 0; z <= 8; z++)
            {
                var r = GeoRisk.Tiles.WebMercator.TileRange(new NetTopologySuite.Geometries.Envelope(80.5, 83.5, 44.3, 45.2), z);
                for (var x = r.MinX; x <= r.MaxX; x++)
                {
                    for (var y = r.MinY; y <= r.MaxY; y++)
                    {
                        using var response = await _client.GetAsync(new Uri($"/tiles/{Uri.EscapeDataString(tileset)}/{z}/{x}/{y}.mvt", UriKind.Relative));
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            foreach (var layer in GeoRisk.Tiles.MvtDecoder.Decode(await response.Content.ReadAsByteArrayAsync()))
                            {
                                seen.UnionWith(layer.Features.SelectMany(f => f.Attributes.Keys));
                            }
                        }
                    }
                }
            }

            Assert.True(advertised.SetEquals(seen), $"{tileset}: advertised [{string.Join(",", advertised.Order())}], in tiles [{string.Join(",", seen.Order())}]");
        }
    }

    [Fact]
    public async Task OpenApi_PassesSwaggerCliAndRedocly()
    {
        var (response, doc) = await Get("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("3.0", doc.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var items = doc.GetProperty("paths").GetProperty("/collections/{id}/items").GetProperty("get");
        var limit = items.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "limit");
        Assert.Equal(10000, limit.GetProperty("schema").GetProperty("maximum").GetInt32());
        Assert.True(doc.GetProperty("paths").GetProperty("/api/v1/surveys/{surveyId}/layers").GetProperty("post").GetProperty("responses").TryGetProperty("202", out _));
        Assert.Equal("apiKey", doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("type").GetString());

        var file = Path.Combine(Path.GetTempPath(), $"georisk-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, doc.GetRawText());
        try
        {
            var (swaggerCode, swaggerOut) = await Tool("swagger-cli", "validate", file);
            Assert.True(swaggerCode == 0, swaggerOut);
            var (redoclyCode, redoclyOut) = await Tool("redocly", "lint", "--format=stylish", file);
            Assert.True(redoclyCode == 0, redoclyOut);
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("GEORISK_KEEP_OPENAPI") is not { Length: > 0 } keep)
            {
                File.Delete(file);
            }
            else
            {
                File.Move(file, keep, overwrite: true);
            }
        }
    }

    /// <summary>Runs an npm tool installed in tests/tools (./build.sh test runs npm ci there).</summary>
    internal static async Task<(int Code, string Output)> Tool(string name, params string[] args)
    {
        var path = Path.Combine(RepoPaths.Root, "tests", "tools", "node_modules", ".bin", name);
        Assert.True(File.Exists(path), $"{path} is missing: run `npm ci --prefix tests/tools` (./build.sh test does).");
        var psi = new ProcessStartInfo(path, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["REDOCLY_TELEMETRY"] = "off";
        psi.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}
