using System.Net;
using System.Text.Json;

namespace GeoRisk.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class EndpointTests(ApiFixture api)
{
    private readonly HttpClient _client = api.Factory.CreateClient();

    private async Task<JsonElement> GetJson(string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await _client.GetAsync(new Uri(url, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task Healthz_ReportsGdalVersionAndStore()
    {
        var health = await GetJson("/healthz");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Matches(@"^3\.\d+\.\d+", health.GetProperty("gdal").GetString());
        Assert.Equal(GeoRisk.Tests.Common.TestStores.UsePostGis ? "postgis" : "geopackage", health.GetProperty("store").GetProperty("kind").GetString());
        // Issue #16 defect 8: no server path (or database host) for anonymous callers.
        Assert.False(health.GetProperty("store").TryGetProperty("location", out _));
        Assert.DoesNotContain(Path.GetFullPath(api.StoreDirectory), health.ToString(), StringComparison.Ordinal);
        Assert.Equal(17, health.GetProperty("layers").GetInt32());
        Assert.Equal(6, health.GetProperty("surveys").GetInt32());
    }

    [Fact]
    public async Task Surveys_ListedInPrecedenceOrder()
    {
        var surveys = await GetJson("/api/v1/surveys");
        Assert.Equal("bole-geohazard-10k", surveys[0].GetProperty("id").GetString());
        Assert.Equal("bortala-geohazard-50k", surveys[1].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Layers_ListEveryLoadedLayerWithBounds()
    {
        var layers = await GetJson("/api/v1/layers");
        var ids = layers.EnumerateArray().Select(l => l.GetProperty("id").GetString()).ToList();
        Assert.Contains("bole-geohazard-10k/hazard-zones", ids);
        Assert.Contains("bortala-reference/dem", ids);
        var counties = layers.EnumerateArray().Single(l => l.GetProperty("id").GetString() == "bortala-reference/counties");
        Assert.Equal(79.887, counties.GetProperty("bbox")[0].GetDouble(), 6);
    }

    [Fact]
    public async Task Features_BboxFilter_ReturnsGeoJsonInside()
    {
        var fc = await GetJson("/api/v1/surveys/bortala-reference/layers/counties/features?bbox=82.0,44.8,82.1,44.9");
        Assert.Equal("FeatureCollection", fc.GetProperty("type").GetString());
        var codes = fc.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties").GetProperty("code").GetString()).ToList();
        Assert.Equal(["652701"], codes);
    }

    [Fact]
    public async Task Versions_CarryTheValidationReport()
    {
        var versions = await GetJson("/api/v1/surveys/bole-geohazard-10k/layers/hazard-zones/versions");
        var report = versions[0].GetProperty("report");
        Assert.Equal("encoding-detected", report.GetProperty("findings")[0].GetProperty("code").GetString());
        Assert.Equal("YFXDJ", versions[0].GetProperty("fieldMapping").GetProperty("grade").GetString());
        Assert.False(versions[0].TryGetProperty("rasterFile", out _));
    }

    [Theory]
    [InlineData("bbox=NaN,44,83,45", "bbox")]
    [InlineData("bbox=83,44,82,45", "bbox")]
    [InlineData("bbox=1,2,3", "bbox")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=-5", "limit")]
    [InlineData("limit=100000", "limit")]
    public async Task Features_BadParameters_400ProblemDetails(string query, string field)
    {
        var problem = await GetJson($"/api/v1/surveys/bortala-reference/layers/counties/features?{query}", HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Features_NonNumericLimit_400()
    {
        var response = await _client.GetAsync(new Uri("/api/v1/surveys/bortala-reference/layers/counties/features?limit=abc", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Features_UnknownLayer_404ProblemDetailsWithCode()
    {
        var problem = await GetJson("/api/v1/surveys/bortala-reference/layers/nope/features", HttpStatusCode.NotFound);
        Assert.Equal("not-found", problem.GetProperty("code").GetString());
        Assert.False(problem.TryGetProperty("exception", out _));
    }

    [Fact]
    public async Task Features_QuoteInLayerName_400NotServerError()
    {
        var response = await _client.GetAsync(new Uri("/api/v1/surveys/bortala-reference/layers/x%27%3B%20DROP%20TABLE%20georisk_layers%3B--/features", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(17, (await GetJson("/healthz")).GetProperty("layers").GetInt32());
    }
}
