using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using GeoRisk.Tiles;
using NetTopologySuite.Geometries;

namespace GeoRisk.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class OgcTests(ApiFixture api)
{
    private readonly HttpClient _client = api.Factory.CreateClient();

    private async Task<(HttpResponseMessage Response, JsonElement Body)> Get(string url, string accept = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.RelativeOrAbsolute));
        request.Headers.Accept.ParseAdd(accept);
        var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonDocument.Parse(text).RootElement : default);
    }

    [Fact]
    public async Task Landing_JsonAtRoot_HtmlForBrowsers()
    {
        var (json, landing) = await Get("/");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        var rels = landing.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("rel").GetString()).ToList();
        Assert.Contains("conformance", rels);
        Assert.Contains("data", rels);
        Assert.Contains("service-desc", rels);

        var (html, _) = await Get("/", "text/html");
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);

        var (_, conformance) = await Get("/conformance");
        var classes = conformance.GetProperty("conformsTo").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson", classes);
    }

    [Fact]
    public async Task Collections_ListLayersWithExtents()
    {
        var (_, body) = await Get("/collections");
        var collections = body.GetProperty("collections").EnumerateArray().ToList();
        var counties = collections.Single(c => c.GetProperty("id").GetString() == "bortala-reference:counties");
        var bbox = counties.GetProperty("extent").GetProperty("spatial").GetProperty("bbox")[0];
        Assert.Equal(79.887, bbox[0].GetDouble(), 3);
        Assert.Contains(collections, c => c.GetProperty("id").GetString() == "zoning");
        var (one, single) = await Get("/collections/zoning");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("zoning", single.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Items_PagedWithNextLinksBboxAndIds()
    {
        var (response, page1) = await Get("/collections/bortala-reference:counties/items?limit=2");
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, page1.GetProperty("numberReturned").GetInt32());
        var features = page1.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(2, features.Count);
        Assert.All(features, f => Assert.Equal(JsonValueKind.Number, f.GetProperty("id").ValueKind));
        var next = page1.GetProperty("links").EnumerateArray().Single(l => l.GetProperty("rel").GetString() == "next").GetProperty("href").GetString()!;
        Assert.Contains("offset=2", next, StringComparison.Ordinal);
        var (_, page2) = await Get(next);
        var ids1 = features.Select(f => f.GetProperty("id").GetInt64()).ToHashSet();
        Assert.All(page2.GetProperty("features").EnumerateArray(), f => Assert.DoesNotContain(f.GetProperty("id").GetInt64(), ids1));
        Assert.DoesNotContain(page2.GetProperty("links").EnumerateArray(), l => l.GetProperty("rel").GetString() == "next");

        var (_, inBox) = await Get("/collections/bortala-reference:counties/items?bbox=82.0,44.8,82.1,44.9");
        Assert.Equal("652701", inBox.GetProperty("features")[0].GetProperty("properties").GetProperty("code").GetString());

        var id = features[0].GetProperty("id").GetInt64();
        var (itemResponse, item) = await Get($"/collections/bortala-reference:counties/items/{id}");
        Assert.Equal(HttpStatusCode.OK, itemResponse.StatusCode);
        Assert.Equal(id, item.GetProperty("id").GetInt64());
        Assert.Equal("Feature", item.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("/collections/bortala-reference:counties/items?colour=red", 400, "unknown-parameter")]
    [InlineData("/collections/bortala-reference:counties/items?limit=0", 400, "bad-limit")]
    [InlineData("/collections/bortala-reference:counties/items?limit=10001", 400, "bad-limit")]
    [InlineData("/collections/bortala-reference:counties/items?limit=-1", 400, "bad-limit")]
    [InlineData("/collections/bortala-reference:counties/items?offset=-5", 400, "bad-offset")]
    [InlineData("/collections/bortala-reference:counties/items?bbox=NaN,1,2,3", 400, "bad-bbox")]
    [InlineData("/collections/bortala-reference:counties/items?bbox=83,45,82,44", 400, "bad-bbox")]
    [InlineData("/collections/bortala-reference:counties/items/999999", 404, "not-found")]
    [InlineData("/collections/bortala-reference:counties/items/abc", 404, "not-found")]
    [InlineData("/collections/x';DROP TABLE--/items", 404, "not-found")]
    public async Task Items_BadRequests(string url, int status, string code)
    {
        var (response, body) = await Get(url);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task OgcTiles_SameBytesAsTheTileRoute()
    {
        var r = WebMercator.TileRange(new Envelope(82.05, 82.05, 44.9, 44.9), 9);
        var a = await _client.GetByteArrayAsync(new Uri($"/collections/zoning/tiles/WebMercatorQuad/9/{r.MinY}/{r.MinX}", UriKind.Relative));
        var b = await _client.GetByteArrayAsync(new Uri($"/tiles/zoning/9/{r.MinX}/{r.MinY}.mvt", UriKind.Relative));
        Assert.Equal(b, a);
        var (_, sets) = await Get("/collections/zoning/tiles");
        Assert.Contains("{tileMatrix}/{tileRow}/{tileCol}", sets.GetProperty("tilesets")[0].GetProperty("links")[1].GetProperty("href").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_DocumentsTheEndpoints()
    {
        var (response, doc) = await Get("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/site-risk", paths);
        Assert.Contains("/collections/{id}/items", paths);
        Assert.Contains("/api/v1/surveys/{surveyId}/layers", paths);
        Assert.Equal("GeoRisk", doc.GetProperty("info").GetProperty("title").GetString());
    }
}
