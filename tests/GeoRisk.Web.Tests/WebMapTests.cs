using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace GeoRisk.Web.Tests;

/// <summary>The web map in real headless Chromium: renders, answers clicks, takes uploads, shows runs; no console errors.</summary>
public sealed class WebMapTests(WebFixture web) : IClassFixture<WebFixture>, IAsyncLifetime
{
    private readonly List<string> _problems = [];
    private IBrowserContext _context = null!;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _context = await web.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        _page = await _context.NewPageAsync();
        _page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                _problems.Add($"console error: {m.Text}");
            }
        };
        _page.PageError += (_, e) => _problems.Add($"page error: {e}");
        _page.RequestFailed += (_, r) => _problems.Add($"request failed: {r.Url} {r.Failure}");
        _page.Response += (_, r) =>
        {
            if (r.Status >= 400)
            {
                _problems.Add($"HTTP {r.Status}: {r.Url}");
            }
        };
        await _page.GotoAsync(web.BaseUrl + "/");
        try
        {
            await _page.WaitForFunctionAsync("() => window.georisk !== undefined", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail("The page script did not start: " + string.Join("\n", _problems));
        }

        await _page.EvaluateAsync("() => window.georisk.ready.then(() => true)");
        await Idle();
    }

    public async Task DisposeAsync() => await _context.DisposeAsync();

    private Task Idle() => _page.EvaluateAsync("""
        () => new Promise(resolve => {
          const m = window.georisk.map;
          if (m.loaded() && m.areTilesLoaded()) resolve(true); else m.once('idle', () => resolve(true));
        })
        """);

    private async Task Screenshot(string name) => await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.Screenshots, name + ".png") });

    private void AssertNoProblems() => Assert.True(_problems.Count == 0, string.Join("\n", _problems));

    /// <summary>Pixels of the map canvas per legend colour (exact RGB).</summary>
    private async Task<Dictionary<string, int>> LegendPixels() =>
        await _page.EvaluateAsync<Dictionary<string, int>>("""
            () => {
              const c = window.georisk.map.getCanvas();
              const copy = document.createElement('canvas');
              copy.width = c.width; copy.height = c.height;
              const ctx = copy.getContext('2d');
              ctx.drawImage(c, 0, 0);
              const d = ctx.getImageData(0, 0, copy.width, copy.height).data;
              const counts = { '56,168,0': 0, '255,255,0': 0, '255,153,0': 0, '230,0,0': 0, other: 0 };
              for (let i = 0; i < d.length; i += 4) {
                const k = d[i] + ',' + d[i + 1] + ',' + d[i + 2];
                if (k in counts) counts[k]++; else counts.other++;
              }
              return counts;
            }
            """);

    private async Task ShowOnly(params string[] layerIds)
    {
        await _page.ClickAsync("#tabs button[data-tab=layers]");
        foreach (var box in await _page.QuerySelectorAllAsync("#layer-list input[type=checkbox]"))
        {
            var id = await box.GetAttributeAsync("data-layer");
            var want = layerIds.Contains(id);
            if (await box.IsCheckedAsync() != want)
            {
                await box.ClickAsync();
            }
        }

        await Idle();
    }

    [Fact]
    public async Task Page_LoadsWithLayerListLegendAndNoErrors()
    {
        var layers = await _page.Locator("#layer-list input").CountAsync();
        Assert.True(layers >= 10, $"{layers} layers listed");
        Assert.Contains("极高", await _page.InnerTextAsync("#legend"));
        await _page.ClickAsync("[data-testid=lang-toggle]");
        Assert.Contains("very high", await _page.InnerTextAsync("#legend"));
        Assert.Equal("GeoRisk hazard zoning", await _page.InnerTextAsync("h1"));
        await Screenshot("01-page");
        AssertNoProblems();
    }

    [Fact]
    public async Task RiskLayers_RenderInTheLegendColours()
    {
        await ShowOnly("grade-raster");
        var pixels = await LegendPixels();
        await Screenshot("02-grade-raster");
        var graded = pixels.Where(p => p.Key != "other").ToList();
        Assert.True(graded.Count(p => p.Value > 500) >= 3, JsonSerializer.Serialize(pixels));

        await ShowOnly("zoning-fill", "zoning-outline", "hillshade");
        await Screenshot("03-zoning");
        await ShowOnly("index-raster");
        var index = await LegendPixels();
        Assert.True(index["other"] > 100_000, JsonSerializer.Serialize(index)); // a continuous ramp, drawn over most of the view
        AssertNoProblems();
    }

    [Fact]
    public async Task ProductSwitcher_ShowsEachProductWithItsOwnLegend()
    {
        // The three census products (docs/DOMAIN.md §1), each titled and graded with its own census terms.
        var expected = new[]
        {
            ("susceptibility", "易发性区划", "极高易发区", "susceptibility zoning", "very high susceptibility area"),
            ("hazard", "危险性区划", "极高危险区", "hazard zoning", "very high hazard area"),
            ("risk", "风险区划", "极高风险区", "risk zoning", "very high risk area"),
        };
        await _page.ClickAsync("#tabs button[data-tab=layers]");
        await _page.EvaluateAsync("() => window.georisk.setLanguage('zh')");
        foreach (var (product, titleZh, termZh, title, term) in expected)
        {
            await _page.ClickAsync($"[data-testid=product-{product}]");
            await Idle();
            Assert.Equal(titleZh, await _page.InnerTextAsync("[data-testid=legend-title]"));
            var legend = await _page.InnerTextAsync("#legend");
            Assert.Contains(termZh, legend);
            // Four grades, each with this product's suffix (易发区 / 危险区 / 风险区), none with another's.
            // (风险区划, the title, itself contains 风险区: counted apart.)
            Assert.Equal(4, legend.Split(termZh[^3..]).Length - titleZh.Split(termZh[^3..]).Length);
            // Only the chosen product's zones are drawn, and they are drawn in the grade colours.
            var visible = await _page.EvaluateAsync<string[]>("() => JSON.parse(JSON.stringify(window.georisk.map.getStyle().metadata['georisk:products'].filter(p => window.georisk.map.getLayoutProperty(p.layer, 'visibility') !== 'none').map(p => p.product)))");
            Assert.Equal([product], visible);
            // What MapLibre drew for that layer: zones of this product, in more than one grade.
            var drawn = await _page.EvaluateAsync<JsonElement>($$"""
                () => window.georisk.map.queryRenderedFeatures({ layers: ['{{(product == "susceptibility" ? "zoning" : "zoning-" + product)}}-fill'] })
                  .map(f => ({ product: f.properties.product, grade: f.properties.grade }))
                """);
            Assert.True(drawn.GetArrayLength() > 20, $"{product}: {drawn.GetArrayLength()} zones drawn");
            Assert.All(drawn.EnumerateArray(), f => Assert.Equal(product, f.GetProperty("product").GetString()));
            Assert.True(drawn.EnumerateArray().Select(f => f.GetProperty("grade").GetInt32()).Distinct().Count() >= 2);
            await Screenshot($"04-product-{product}");
            await _page.EvaluateAsync("() => window.georisk.setLanguage('en')");
            Assert.Equal(title, await _page.InnerTextAsync("[data-testid=legend-title]"));
            Assert.Contains(term, await _page.InnerTextAsync("#legend"));
            await _page.EvaluateAsync("() => window.georisk.setLanguage('zh')");
        }

        AssertNoProblems();
    }

    [Fact]
    public async Task Labels_DrawnWithTheServedGlyphs()
    {
        var glyphRequests = new List<int>();
        _page.Response += (_, r) =>
        {
            if (r.Url.Contains("/fonts/", StringComparison.Ordinal))
            {
                lock (glyphRequests)
                {
                    glyphRequests.Add(r.Status);
                }
            }
        };
        await _page.EvaluateAsync("() => { window.georisk.map.jumpTo({ center: [82.05, 44.9], zoom: 10.5 }); return true; }");
        await Idle();
        var zones = await _page.EvaluateAsync<string[]>("() => window.georisk.map.queryRenderedFeatures({ layers: ['zoning-label'] }).map(f => f.properties.grade_term_zh)");
        var counties = await _page.EvaluateAsync<int>("() => window.georisk.map.queryRenderedFeatures({ layers: window.georisk.map.getStyle().layers.filter(l => l.id.endsWith('counties-label')).map(l => l.id) }).length");
        await Screenshot("10-labels");
        Assert.NotEmpty(zones);
        Assert.All(zones, z => Assert.EndsWith("易发区", z, StringComparison.Ordinal));
        Assert.True(counties > 0, "no county label placed");
        // Latin text (river names) comes from the service's glyph ranges; MapLibre draws CJK ideographs with a local font by default.
        Assert.All(glyphRequests, s => Assert.Equal(200, s));
        AssertNoProblems();
    }

    [Fact]
    public async Task ArchiveMode_ZoningDrawnFromPmTilesArchive_NoLiveZoningTiles()
    {
        // A PMTiles archive of the zoning, as `georisk export tiles` writes it, served from the archive folder.
        var tiles = (GeoRisk.Services.TileService)web.Services.GetService(typeof(GeoRisk.Services.TileService))!;
        await using (var file = File.Create(Path.Combine(web.ArchiveDirectory, "zoning-web.pmtiles")))
        {
            await GeoRisk.Services.TileArchiveExport.WritePmTilesAsync(tiles, GeoRisk.Services.TileService.Zoning, 0, 10, file);
        }

        var page = await _context.NewPageAsync();
        var archiveResponses = new List<int>();
        var liveZoning = new List<string>();
        page.PageError += (_, e) => _problems.Add($"page error: {e}");
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                _problems.Add($"console error: {m.Text}");
            }
        };
        page.Response += (_, r) =>
        {
            if (r.Url.Contains("/archives/zoning-web.pmtiles", StringComparison.Ordinal))
            {
                lock (archiveResponses)
                {
                    archiveResponses.Add(r.Status);
                }
            }
            else if (r.Url.Contains("/tiles/zoning/", StringComparison.Ordinal) || r.Url.Contains("/tiles/zoning.json", StringComparison.Ordinal))
            {
                lock (liveZoning)
                {
                    liveZoning.Add(r.Url);
                }
            }
            else if (r.Status >= 400)
            {
                _problems.Add($"HTTP {r.Status}: {r.Url}");
            }
        };
        await page.GotoAsync(web.BaseUrl + "/?archive=zoning-web");
        await page.WaitForFunctionAsync("() => window.georisk !== undefined", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        await page.EvaluateAsync("() => window.georisk.ready.then(() => true)");
        await page.EvaluateAsync("""
            () => new Promise(resolve => {
              const m = window.georisk.map;
              for (const l of m.getStyle().layers) m.setLayoutProperty(l.id, 'visibility', l.id === 'zoning-fill' ? 'visible' : 'none');
              m.jumpTo({ center: [82.05, 44.9], zoom: 9 });
              m.once('idle', () => resolve(true));
            })
            """);
        var source = await page.EvaluateAsync<string>("() => window.georisk.map.getStyle().sources.zoning.url");
        Assert.StartsWith("pmtiles://", source, StringComparison.Ordinal);
        var rendered = await page.EvaluateAsync<int>("() => window.georisk.map.queryRenderedFeatures({ layers: ['zoning-fill'] }).length");
        var grades = await page.EvaluateAsync<int[]>("() => [...new Set(window.georisk.map.queryRenderedFeatures({ layers: ['zoning-fill'] }).map(f => f.properties.grade))]");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.Screenshots, "09-zoning-from-pmtiles.png") });
        Assert.True(rendered > 0, "no zoning features rendered from the archive");
        Assert.True(grades.Length >= 3, $"grades rendered: {string.Join(",", grades)}");
        Assert.NotEmpty(archiveResponses);
        Assert.All(archiveResponses, s => Assert.Equal(206, s)); // range requests only
        Assert.Empty(liveZoning);
        AssertNoProblems();
    }

    [Fact]
    public async Task Click_KnownSites_ShowGradeAndSetbackVerdict()
    {
        await _page.ClickAsync("#tabs button[data-tab=site]");
        await _page.SelectOptionAsync("[data-testid=category]", "B");
        await _page.SelectOptionAsync("[data-testid=intensity]", "8");

        // A site in Bole: the panel's grade is the API's grade for the point the page asked about.
        var grade = await ClickAndCompare(82.05, 44.9);
        Assert.InRange(grade.Grade, 1, 4);
        Assert.Contains("1:10000", await _page.InnerTextAsync("[data-testid=site-survey]"));
        Assert.True(await _page.Locator("[data-testid=factor-bars] .bar").CountAsync() == 6);

        // A vertex of a fault trace (not a fold axis), located to ±500 m: the 200 m setback of category B at intensity 8 is
        // indeterminate until the trace is surveyed.
        using var http = new HttpClient();
        using var faults = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{web.BaseUrl}/api/v1/surveys/bortala-reference/layers/faults-gem/features?bbox=81,44.4,83.5,45.2&limit=50")));
        // A vertex well inside the prefecture, so the site also has a zoning grade.
        var vertex = faults.RootElement.GetProperty("features").EnumerateArray()
            .Where(f => f.GetProperty("properties").GetProperty("sense").GetString() != "Anticline")
            .SelectMany(f => f.GetProperty("geometry").GetProperty("coordinates").EnumerateArray())
            .First(c => c[0].GetDouble() is > 81.2 and < 83.3 && c[1].GetDouble() is > 44.5 and < 45.1);
        var onFault = await ClickAndCompare(vertex[0].GetDouble(), vertex[1].GetDouble(), zoom: 14);
        Assert.Equal("indeterminate", onFault.Verdict);
        Assert.Contains("±", await _page.InnerTextAsync("[data-testid=site-fault]"), StringComparison.Ordinal);
        await Screenshot("04-site-risk");
        AssertNoProblems();
    }

    private async Task<(int Grade, string Verdict)> ClickAndCompare(double lon, double lat, double zoom = 10)
    {
        await _page.EvaluateAsync($"() => {{ window.georisk.map.jumpTo({{ center: [{lon.ToString("R", CultureInfo.InvariantCulture)}, {lat.ToString("R", CultureInfo.InvariantCulture)}], zoom: {zoom.ToString(CultureInfo.InvariantCulture)} }}); return true; }}");
        await Idle();
        var point = await _page.EvaluateAsync<JsonElement>($"() => {{ const p = window.georisk.map.project([{lon.ToString("R", CultureInfo.InvariantCulture)}, {lat.ToString("R", CultureInfo.InvariantCulture)}]); const r = window.georisk.map.getCanvas().getBoundingClientRect(); return {{ x: r.left + p.x, y: r.top + p.y }}; }}");
        var response = await _page.RunAndWaitForResponseAsync(
            () => _page.Mouse.ClickAsync((float)point.GetProperty("x").GetDouble(), (float)point.GetProperty("y").GetDouble()),
            r => r.Url.Contains("/api/v1/site-risk", StringComparison.Ordinal));
        await _page.WaitForSelectorAsync("[data-testid=site-grade]");
        var shownGrade = int.Parse((await _page.GetAttributeAsync("[data-testid=site-grade]", "data-grade"))!, CultureInfo.InvariantCulture);
        var shownVerdict = await _page.GetAttributeAsync("[data-testid=setback-verdict]", "data-verdict");

        // The same question asked directly of the API.
        using var http = new HttpClient();
        using var expected = JsonDocument.Parse(await http.GetStringAsync(new Uri(response.Url)));
        Assert.Equal(expected.RootElement.GetProperty("zoning").GetProperty("grade").GetInt32(), shownGrade);
        Assert.Equal(expected.RootElement.GetProperty("faults").GetProperty("setback").GetProperty("verdict").GetString(), shownVerdict);
        Assert.Contains("category=B", response.Url, StringComparison.Ordinal);
        return (shownGrade, shownVerdict!);
    }

    [Fact]
    public async Task Parcel_Drawn_ShowsAreaPerGrade()
    {
        await _page.EvaluateAsync("() => { window.georisk.map.jumpTo({ center: [82.05, 44.9], zoom: 10 }); return true; }");
        await Idle();
        await _page.ClickAsync("#tabs button[data-tab=site]");
        await _page.ClickAsync("[data-testid=draw]");
        var box = (await _page.Locator("#map canvas").BoundingBoxAsync())!;
        var (cx, cy) = (box.X + (box.Width / 2), box.Y + (box.Height / 2));
        foreach (var (dx, dy) in new[] { (-120, -90), (120, -90), (120, 90), (-120, 90) })
        {
            await _page.Mouse.ClickAsync(cx + dx, cy + dy);
        }

        var response = await _page.RunAndWaitForResponseAsync(
            () => _page.ClickAsync("[data-testid=finish]"),
            r => r.Url.Contains("/api/v1/site-risk", StringComparison.Ordinal) && r.Request.Method == "POST");
        await _page.WaitForSelectorAsync("[data-testid=area-per-grade]");

        // The same parcel posted directly to the API: the page shows exactly its worst grade and area per grade.
        using var http = new HttpClient();
        using var body = new StringContent(response.Request.PostData!, System.Text.Encoding.UTF8, "application/json");
        using var answer = await http.PostAsync(new Uri(response.Url), body);
        answer.EnsureSuccessStatusCode();
        using var expected = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        var zoning = expected.RootElement.GetProperty("zoning");
        var worst = int.Parse((await _page.GetAttributeAsync("[data-testid=worst-grade]", "data-grade"))!, CultureInfo.InvariantCulture);
        Assert.Equal(zoning.GetProperty("worstGrade").GetInt32(), worst);
        var rows = await _page.EvaluateAsync<string[][]>(
            "() => [...document.querySelectorAll('[data-testid=area-per-grade] tr')].slice(1).map(r => [...r.cells].map(c => c.textContent))");
        var areas = zoning.GetProperty("areaPerGrade").EnumerateArray().ToList();
        Assert.True(areas.Count > 0, zoning.ToString());
        Assert.Equal(areas.Select(g => new[]
        {
            g.GetProperty("grade").ToString(),
            Math.Round(g.GetProperty("areaM2").GetDouble(), MidpointRounding.AwayFromZero).ToString(CultureInfo.InvariantCulture),
            (g.GetProperty("share").GetDouble() * 100).ToString("F1", CultureInfo.InvariantCulture),
        }), rows);
        await Screenshot("05-parcel");
        AssertNoProblems();
    }

    [Fact]
    public async Task Geologist_UploadShowsReportAndJobFinishes_ThenRunAndHistory()
    {
        await _page.ClickAsync("#tabs button[data-tab=upload]");
        await _page.FillAsync("[data-testid=api-key]", web.GeologistKey);
        await _page.DispatchEventAsync("[data-testid=api-key]", "change");
        await _page.SelectOptionAsync("[data-testid=upload-survey]", "bortala-flood-2023");
        await _page.SelectOptionAsync("[data-testid=upload-kind]", "flood-zones");
        await _page.FillAsync("[data-testid=upload-layer]", "flood-from-web");
        await _page.SetInputFilesAsync("[data-testid=upload-file]", web.Samples.File("flood/bortala_flood_zones.geojson"));
        var posted = await _page.RunAndWaitForResponseAsync(
            () => _page.ClickAsync("#upload-form button[type=submit]"),
            r => r.Url.Contains("/api/v1/surveys/bortala-flood-2023/layers", StringComparison.Ordinal));
        await _page.WaitForSelectorAsync("[data-testid=job-state][data-state=succeeded]", new PageWaitForSelectorOptions { Timeout = 60_000 });
        var report = await _page.InnerTextAsync("[data-testid=job-report]");

        // The report as the API gives it for the same job; every feature of the file read and accepted.
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("X-API-Key", web.GeologistKey);
        var location = new Uri(new Uri(web.BaseUrl), posted.Headers["location"]);
        using var job = JsonDocument.Parse(await http.GetStringAsync(location));
        var expected = job.RootElement.GetProperty("report");
        using var file = JsonDocument.Parse(await File.ReadAllTextAsync(web.Samples.File("flood/bortala_flood_zones.geojson")));
        var features = file.RootElement.GetProperty("features").GetArrayLength();
        Assert.Equal(features, expected.GetProperty("featuresRead").GetInt32());
        Assert.Equal(features, expected.GetProperty("featuresAccepted").GetInt32());
        Assert.Equal(0, expected.GetProperty("errorCount").GetInt32());
        // Shown in order: read, accepted, errors, warnings, then the CRS.
        var shown = System.Text.RegularExpressions.Regex.Matches(report, @"\d+").Take(4).Select(m => int.Parse(m.Value, CultureInfo.InvariantCulture));
        Assert.Equal(new[] { "featuresRead", "featuresAccepted", "errorCount", "warningCount" }.Select(p => expected.GetProperty(p).GetInt32()), shown);
        var crs = expected.TryGetProperty("sourceCrs", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : "?";
        Assert.EndsWith("CRS " + crs, report.Trim(), StringComparison.Ordinal);
        await Screenshot("06-upload");

        // A rejected file: the job fails and the report lists the errors.
        var bad = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.geojson");
        await File.WriteAllTextAsync(bad, """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"return_period_yr":-5},"geometry":{"type":"Polygon","coordinates":[[[82,44.5],[82.1,44.5],[82.1,44.6],[82,44.5]]]}}]}""");
        await _page.FillAsync("[data-testid=upload-layer]", "flood-rejected");
        await _page.SetInputFilesAsync("[data-testid=upload-file]", bad);
        await _page.ClickAsync("#upload-form button[type=submit]");
        await _page.WaitForSelectorAsync("[data-testid=job-state][data-state=failed]", new PageWaitForSelectorOptions { Timeout = 60_000 });
        Assert.True(await _page.Locator(".findings li").CountAsync() > 0);
        File.Delete(bad);

        // A zoning run started from the page completes and appears in the history with its census.
        await _page.FillAsync("[data-testid=run-cell]", "2000");
        await _page.ClickAsync("[data-testid=run]");
        await _page.WaitForSelectorAsync("[data-testid=run-job] [data-testid=job-state][data-state=succeeded]", new PageWaitForSelectorOptions { Timeout = 120_000 });
        await Idle();
        await _page.ClickAsync("#tabs button[data-tab=runs]");
        await _page.WaitForSelectorAsync("[data-testid=census-table]");
        Assert.Equal(5, await _page.Locator("[data-testid=census-table] tr").CountAsync()); // header + 4 counties
        Assert.Contains("census?format=csv", await _page.GetAttributeAsync("[data-testid=census-csv]", "href"));
        await Screenshot("07-runs");
        AssertNoProblems();
    }
}
