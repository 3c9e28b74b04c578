using System.Net;
using GeoRisk.Tiles;
using Microsoft.AspNetCore.Hosting;
using NetTopologySuite.Geometries;

namespace GeoRisk.Api.Tests;

/// <summary>Conditional GETs per representation and the CORS policy (preflight, public reads, writes still keyed).</summary>
[Collection(ApiCollection.Name)]
public sealed class HttpCachingAndCorsTests(ApiFixture api)
{
    private readonly HttpClient _client = api.Factory.CreateClient();

    private static string BoleTile(int z, string tileset = "zoning", string extension = "mvt")
    {
        var r = WebMercator.TileRange(new Envelope(82.05, 82.05, 44.9, 44.9), z);
        return $"/tiles/{tileset}/{z}/{r.MinX}/{r.MinY}.{extension}";
    }

    private async Task<HttpResponseMessage> Get(string url, bool gzip, string? ifNoneMatch = null, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
        if (gzip)
        {
            request.Headers.AcceptEncoding.ParseAdd("gzip");
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return await _client.SendAsync(request);
    }

    [Fact]
    public async Task VectorTile_GzipAndIdentity_DistinctStrongETags()
    {
        using var gz = await Get(BoleTile(8), gzip: true);
        using var plain = await Get(BoleTile(8), gzip: false);
        Assert.Equal(HttpStatusCode.OK, gz.StatusCode);
        Assert.False(gz.Headers.ETag!.IsWeak);
        Assert.False(plain.Headers.ETag!.IsWeak);
        Assert.NotEqual(gz.Headers.ETag.Tag, plain.Headers.ETag.Tag);
        Assert.Contains("Accept-Encoding", gz.Headers.Vary);

        // The identity tag does not revalidate the gzip representation, nor the reverse.
        using var crossed = await Get(BoleTile(8), gzip: true, ifNoneMatch: plain.Headers.ETag.Tag);
        Assert.Equal(HttpStatusCode.OK, crossed.StatusCode);
        using var crossed2 = await Get(BoleTile(8), gzip: false, ifNoneMatch: gz.Headers.ETag.Tag);
        Assert.Equal(HttpStatusCode.OK, crossed2.StatusCode);
    }

    [Theory]
    [InlineData("weak")]
    [InlineData("star")]
    [InlineData("list")]
    public async Task VectorTile_IfNoneMatchWeakStarOrList_304(string form)
    {
        using var first = await Get(BoleTile(9), gzip: true);
        var tag = first.Headers.ETag!.Tag;
        var header = form switch
        {
            "weak" => "W/" + tag,
            "star" => "*",
            _ => "\"other\", W/" + tag,
        };
        using var again = await Get(BoleTile(9), gzip: true, ifNoneMatch: header);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Equal(tag, again.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task RasterTile_WeakIfNoneMatch_304()
    {
        using var first = await Get(BoleTile(8, "grade", "png"), gzip: false);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var again = await Get(BoleTile(8, "grade", "png"), gzip: false, ifNoneMatch: "W/" + first.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Theory]
    [InlineData("/tiles/zoning.json")]
    [InlineData("/styles/georisk.json")]
    [InlineData("/collections")]
    [InlineData("/vendor/maplibre-gl/maplibre-gl.mjs")]
    [InlineData("/api/v1/site-risk?lon=82.05&lat=44.9")]
    public async Task AnonymousReads_FromAnyOrigin_AllowOriginStar(string url)
    {
        using var response = await Get(url, gzip: true, origin: "http://maps.example.org");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Fact]
    public async Task VectorTile_CrossOrigin_ExposesETag()
    {
        using var response = await Get(BoleTile(8), gzip: true, origin: "http://maps.example.org");
        Assert.Contains("ETag", response.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Preflight_AnsweredWithoutKey_204()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, new Uri("/tiles/zoning/0/0/0.mvt", UriKind.Relative));
        request.Headers.Add("Origin", "http://maps.example.org");
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "if-none-match");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("GET", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_CrossOriginWithoutKey_StillUnauthorized()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/zoning-runs", UriKind.Relative)) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Origin", "http://maps.example.org");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task OriginList_OnlyListedOriginsAllowed()
    {
        using var factory = api.Factory.WithWebHostBuilder(b => b.UseSetting("GeoRisk:CorsOrigins", "https://a.example, https://b.example"));
        using var client = factory.CreateClient();
        async Task<string?> AllowedFor(string origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/tiles/zoning.json", UriKind.Relative));
            request.Headers.Add("Origin", origin);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.TryGetValues("Access-Control-Allow-Origin", out var v) ? v.Single() : null;
        }

        Assert.Equal("https://b.example", await AllowedFor("https://b.example"));
        Assert.Null(await AllowedFor("https://evil.example"));
    }
}
