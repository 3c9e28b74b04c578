using GeoRisk.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace GeoRisk.Web.Tests;

/// <summary>
/// A third-party page on another origin (a second Kestrel on another loopback port) that imports the vendored
/// MapLibre, its worker, the style, TileJSON and tiles from GeoRisk: the browser's CORS checks are the test.
/// </summary>
public sealed class CrossOriginMapTests(WebFixture web) : IClassFixture<WebFixture>, IAsyncLifetime
{
    private WebApplication _thirdParty = null!;
    private string _pageUrl = "";

    public async Task InitializeAsync()
    {
        var port = Ports.Free();
        _pageUrl = $"http://127.0.0.1:{port}/";
        Assert.NotEqual(new Uri(web.BaseUrl).Port, port);
        var builder = WebApplication.CreateSlimBuilder(["--urls", $"http://127.0.0.1:{port}"]);
        _thirdParty = builder.Build();
        var page = Page.Replace("{API}", web.BaseUrl, StringComparison.Ordinal);
        _thirdParty.MapGet("/", () => Results.Content(page, "text/html"));
        await _thirdParty.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _thirdParty.StopAsync();
        await _thirdParty.DisposeAsync();
    }

    private const string Page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="{API}/vendor/maplibre-gl/maplibre-gl.css"></head>
        <body style="margin:0"><div id="map" style="width:900px;height:600px"></div>
        <script type="module">
          import * as maplibregl from '{API}/vendor/maplibre-gl/maplibre-gl.mjs';
          const map = new maplibregl.Map({ container: 'map', style: '{API}/styles/georisk.json', center: [82.05, 44.9], zoom: 8,
            canvasContextAttributes: { preserveDrawingBuffer: true } });
          window.thirdParty = { map, idle: new Promise((resolve) => map.once('idle', resolve)) };
        </script></body></html>
        """;

    [Fact]
    public async Task ThirdPartyOrigin_LoadsStyleTilesAndLibrary_FeaturesRendered()
    {
        var problems = new List<string>();
        var crossOrigin = 0;
        await using var context = await web.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                problems.Add($"console error: {m.Text}");
            }
        };
        page.PageError += (_, e) => problems.Add($"page error: {e}");
        page.RequestFailed += (_, r) => problems.Add($"request failed: {r.Url} {r.Failure}");
        page.Response += (_, r) =>
        {
            if (r.Status >= 400)
            {
                problems.Add($"HTTP {r.Status}: {r.Url}");
            }

            if (r.Url.StartsWith(web.BaseUrl, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref crossOrigin);
            }
        };

        await page.GotoAsync(_pageUrl);
        try
        {
            await page.WaitForFunctionAsync("() => window.thirdParty !== undefined", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            await page.EvaluateAsync("() => window.thirdParty.idle.then(() => true)");
        }
        catch (TimeoutException)
        {
            Assert.Fail("The third-party page never became idle: " + string.Join("\n", problems));
        }

        var zones = await page.EvaluateAsync<int>("() => window.thirdParty.map.queryRenderedFeatures({ layers: ['zoning-fill'] }).length");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.Screenshots, "cross-origin.png") });
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(zones > 0, "no zoning features rendered on the third-party page");
        Assert.True(crossOrigin > 5, $"only {crossOrigin} responses came from the GeoRisk origin");
    }
}
