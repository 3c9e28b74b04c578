using System.Net;
using System.Text;
using GeoRisk.Tiles;
using NetTopologySuite.Geometries;

namespace GeoRisk.Web.Tests;

/// <summary>Every endpoint once against the real Kestrel server (the WebApplicationFactory suites test each in depth).</summary>
public sealed class EndpointSweepTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Fact]
    public async Task EveryEndpoint_AnswersOnTheRealServer()
    {
        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };
        var t = WebMercator.TileRange(new Envelope(82.05, 82.05, 44.9, 44.9), 9);
        var (z, x, y) = (9, t.MinX, t.MinY);
        var expectations = new (string Url, HttpStatusCode Status, string? Type)[]
        {
            ("/", HttpStatusCode.OK, "text/html"),
            ("/app.js", HttpStatusCode.OK, "text/javascript"),
            ("/healthz", HttpStatusCode.OK, "application/json"),
            ("/metrics", HttpStatusCode.OK, "text/plain"),
            ("/openapi/v1.json", HttpStatusCode.OK, "application/json"),
            ("/api/v1/surveys", HttpStatusCode.OK, "application/json"),
            ("/api/v1/layers", HttpStatusCode.OK, "application/json"),
            ("/api/v1/surveys/bortala-reference/layers/counties/versions", HttpStatusCode.OK, "application/json"),
            ("/api/v1/surveys/bortala-reference/layers/counties/features?limit=1", HttpStatusCode.OK, "application/json"),
            ("/api/v1/zoning-runs", HttpStatusCode.OK, "application/json"),
            ("/api/v1/zoning-runs/current", HttpStatusCode.OK, "application/json"),
            ("/api/v1/zoning-runs/current/census?format=csv", HttpStatusCode.OK, "text/csv"),
            ("/api/v1/zoning-runs/current/zones?limit=2", HttpStatusCode.OK, "application/json"),
            ("/api/v1/site-risk?lon=82.05&lat=44.9", HttpStatusCode.OK, "application/json"),
            ("/api/v1/maps/zoning.png?admin=652701&width=600", HttpStatusCode.OK, "image/png"),
            ("/api/v1/maps/zoning.pdf?admin=652701&paper=A4", HttpStatusCode.OK, "application/pdf"),
            ("/api/v1/jobs", HttpStatusCode.Unauthorized, "application/problem+json"), // jobs belong to keys
            ("/tiles", HttpStatusCode.OK, "application/json"),
            ("/tiles/zoning.json", HttpStatusCode.OK, "application/json"),
            ($"/tiles/zoning/{z}/{x}/{y}.mvt", HttpStatusCode.OK, "application/vnd.mapbox-vector-tile"),
            ($"/tiles/grade/{z}/{x}/{y}.png", HttpStatusCode.OK, "image/png"),
            ($"/tiles/hillshade/{z}/{x}/{y}.png", HttpStatusCode.OK, "image/png"),
            ("/styles/georisk.json", HttpStatusCode.OK, "application/json"),
            ("/fonts/WenQuanYi%20Micro%20Hei%20Regular/0-255.pbf", HttpStatusCode.OK, "application/x-protobuf"),
            ("/vendor/pmtiles/pmtiles.js", HttpStatusCode.OK, "text/javascript"),
            ("/ogc", HttpStatusCode.OK, "application/json"),
            ("/conformance", HttpStatusCode.OK, "application/json"),
            ("/collections", HttpStatusCode.OK, "application/json"),
            ("/collections/zoning", HttpStatusCode.OK, "application/json"),
            ("/collections/zoning/items?limit=1", HttpStatusCode.OK, "application/geo+json"),
            ("/collections/bortala-reference:counties/items/0", HttpStatusCode.OK, "application/geo+json"),
            ("/collections/zoning/tiles", HttpStatusCode.OK, "application/json"),
            ($"/collections/zoning/tiles/WebMercatorQuad/{z}/{y}/{x}", HttpStatusCode.OK, "application/vnd.mapbox-vector-tile"),
            ("/api/v1/nope", HttpStatusCode.NotFound, "application/problem+json"),
        };
        foreach (var (url, status, type) in expectations)
        {
            using var response = await http.GetAsync(new Uri(url, UriKind.Relative));
            Assert.True(status == response.StatusCode, $"{url}: {(int)response.StatusCode}");
            Assert.True(response.Content.Headers.ContentType?.MediaType == type, $"{url}: {response.Content.Headers.ContentType}");
        }

        using var parcel = await http.PostAsync(new Uri("/api/v1/site-risk", UriKind.Relative),
            new StringContent("""{"type":"Polygon","coordinates":[[[82.03,44.88],[82.08,44.88],[82.08,44.92],[82.03,44.92],[82.03,44.88]]]}""", Encoding.UTF8, "application/geo+json"));
        Assert.Equal(HttpStatusCode.OK, parcel.StatusCode);
        using var anonymousUpload = await http.PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousUpload.StatusCode);
    }
}
