using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace GeoRisk.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class ZoningAndSiteRiskTests(ApiFixture api)
{
    private readonly HttpClient _client = api.Factory.CreateClient();

    // A site in Bole inside the 1:10000 key area.
    private const double BoleLon = 82.05;
    private const double BoleLat = 44.9;

    private async Task<(HttpStatusCode Status, JsonElement Body)> Get(string url)
    {
        var response = await _client.GetAsync(new Uri(url, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement);
    }

    [Fact]
    public async Task ZoningRuns_ListCurrentAndCensus()
    {
        var (status, runs) = await Get("/api/v1/zoning-runs");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(api.Run.Id, runs[0].GetProperty("id").GetInt32());
        Assert.Equal(3, runs[0].GetProperty("breaks").GetArrayLength());

        var (_, current) = await Get("/api/v1/zoning-runs/current");
        Assert.Equal(api.Run.Id, current.GetProperty("id").GetInt32());
        Assert.Equal("bortala-geohazard-ahp", current.GetProperty("record").GetProperty("modelName").GetString());
        Assert.Contains("grade", current.GetProperty("rasters").EnumerateArray().Select(r => r.GetString()));

        var csv = await _client.GetStringAsync(new Uri($"/api/v1/zoning-runs/{api.Run.Id}/census?format=csv", UriKind.Relative));
        Assert.StartsWith("product,product_zh,admin_code,admin_name,admin_name_en,grade,", csv, StringComparison.Ordinal);
        Assert.Equal(17, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("susceptibility zoning,易发性区划,652701,博乐市,Bole,4,very high,very high susceptibility area,极高易发区,", csv, StringComparison.Ordinal);
        var (_, json) = await Get("/api/v1/zoning-runs/current/census");
        Assert.Equal(16, json.GetArrayLength());

        // Each product has its own census with its own terms; a product the run lacks or an unknown one is a clear 4xx.
        var riskCsv = await _client.GetStringAsync(new Uri("/api/v1/zoning-runs/current/census?format=csv&product=risk", UriKind.Relative));
        Assert.Contains("risk zoning,风险区划,652701,博乐市,Bole,4,very high,very high risk area,极高风险区,", riskCsv, StringComparison.Ordinal);
        var (hazardStatus, hazard) = await Get("/api/v1/zoning-runs/current/census?product=危险性");
        Assert.Equal(HttpStatusCode.OK, hazardStatus);
        Assert.Equal(16, hazard.GetArrayLength());
        Assert.Equal("极高危险区", hazard.EnumerateArray().First(r => r.GetProperty("grade").GetInt32() == 4).GetProperty("gradeTermZh").GetString());
        var (badStatus, bad) = await Get("/api/v1/zoning-runs/current/census?product=vulnerability");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("bad-product", bad.GetProperty("code").GetString());

        var (zs, zones) = await Get("/api/v1/zoning-runs/current/zones?bbox=82.0,44.85,82.1,44.95&limit=5");
        Assert.Equal(HttpStatusCode.OK, zs);
        Assert.InRange(zones.GetProperty("features").GetArrayLength(), 1, 5);

        var (health, h) = await Get("/healthz");
        Assert.Equal(HttpStatusCode.OK, health);
        Assert.Equal(api.Run.Id, h.GetProperty("currentRun").GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task ExposureAndFloodScenarioTables_CsvAndJson()
    {
        var csv = await _client.GetStringAsync(new Uri("/api/v1/zoning-runs/current/exposure?format=csv", UriKind.Relative));
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("admin_code,admin_name,grade,grade_term,grade_term_zh,people,", lines[0], StringComparison.Ordinal);
        Assert.Contains("buildings_砖混结构", lines[0], StringComparison.Ordinal);
        Assert.Contains("road_km_国道", lines[0], StringComparison.Ordinal);
        Assert.Contains("facilities_学校", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("652701,博乐市,4,very high susceptibility area,极高易发区,", StringComparison.Ordinal));

        var (_, json) = await Get("/api/v1/zoning-runs/current/exposure");
        Assert.True(json.EnumerateArray().Sum(r => r.GetProperty("buildings").GetInt64()) > 5000);

        var (_, flood) = await Get("/api/v1/zoning-runs/current/flood-scenarios");
        Assert.Equal(3, flood.GetArrayLength());
        var floodCsv = await _client.GetStringAsync(new Uri("/api/v1/zoning-runs/current/flood-scenarios?format=csv", UriKind.Relative));
        Assert.Contains("100-year flood: ", floodCsv, StringComparison.Ordinal);
        var (status, problem) = await Get("/api/v1/zoning-runs/current/exposure?format=xml");
        Assert.Equal((HttpStatusCode.BadRequest, "bad-format"), (status, problem.GetProperty("code").GetString()));
    }

    [Theory]
    [InlineData("/api/v1/zoning-runs/999", 404, "not-found")]
    [InlineData("/api/v1/zoning-runs/abc", 400, "bad-request")]
    [InlineData("/api/v1/zoning-runs/current/census?format=xml", 400, "bad-format")]
    public async Task ZoningRuns_BadRequests_ProblemDetails(string url, int expected, string code)
    {
        var (status, body) = await Get(url);
        Assert.Equal(expected, (int)status);
        Assert.Equal(code, body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task SiteRisk_Point_GradeMatchesGdalLocationInfoAndCarriesEverySection()
    {
        var (status, answer) = await Get(string.Create(CultureInfo.InvariantCulture, $"/api/v1/site-risk?lon={BoleLon}&lat={BoleLat}&category=B&intensity=8"));
        Assert.Equal(HttpStatusCode.OK, status);
        var zoning = answer.GetProperty("zoning");
        // Independent oracle: GDAL's own transformation and pixel lookup on the stored grade COG.
        var expected = GdalLocationInfo(api.Run.Rasters["grade"], BoleLon, BoleLat);
        Assert.Equal(expected, zoning.GetProperty("grade").GetInt32());
        var index = GdalLocationInfo(api.Run.Rasters["index"], BoleLon, BoleLat);
        Assert.Equal(index, zoning.GetProperty("index").GetDouble(), 1e-5); // the answer rounds to 6 decimals

        // Factor contributions add up to the susceptibility index (the triggers contribute nothing to it) and, with the
        // triggers, to the hazard index; each product's grade and index are its own COG's at the point.
        var sum = zoning.GetProperty("factors").EnumerateArray().Sum(f => f.GetProperty("contribution").GetDouble());
        Assert.Equal(zoning.GetProperty("index").GetDouble(), sum, 4);
        Assert.Equal(6, zoning.GetProperty("factors").GetArrayLength());
        Assert.Equal(["pga", "flood"], zoning.GetProperty("factors").EnumerateArray().Where(f => f.GetProperty("role").GetString() == "trigger").Select(f => f.GetProperty("id").GetString()));
        var products = zoning.GetProperty("products").EnumerateArray().ToDictionary(p => p.GetProperty("product").GetString()!);
        Assert.Equal(["susceptibility", "hazard", "risk"], products.Keys);
        var hazardSum = zoning.GetProperty("factors").EnumerateArray().Sum(f => f.GetProperty("hazardContribution").GetDouble());
        Assert.Equal(products["hazard"].GetProperty("index").GetDouble(), hazardSum, 4);
        foreach (var (name, gradeRaster, indexRaster) in new[] { ("hazard", "hazard-grade", "hazard-index"), ("risk", "risk-grade", "risk-index") })
        {
            Assert.Equal(GdalLocationInfo(api.Run.Rasters[gradeRaster], BoleLon, BoleLat), products[name].GetProperty("grade").GetInt32());
            Assert.Equal(GdalLocationInfo(api.Run.Rasters[indexRaster], BoleLon, BoleLat), products[name].GetProperty("index").GetDouble(), 4);
        }

        Assert.EndsWith("风险区", products["risk"].GetProperty("termZh").GetString(), StringComparison.Ordinal);
        Assert.Equal("风险区划", products["risk"].GetProperty("titleZh").GetString());

        Assert.Equal("652701", answer.GetProperty("admin").GetProperty("code").GetString());
        var survey = answer.GetProperty("survey");
        Assert.Equal("bole-geohazard-10k", survey.GetProperty("surveyId").GetString());
        Assert.Equal(10000, survey.GetProperty("scaleDenominator").GetInt32());
        Assert.InRange(survey.GetProperty("surveyedGrade").GetInt32(), 1, 4);

        // The sample's traces state no accuracy: ±500 m (docs/DOMAIN.md §6.4) around the 200 m setback of 乙 at 8度.
        var faults = answer.GetProperty("faults");
        var fault = faults.GetProperty("governing");
        var distance = fault.GetProperty("distanceM").GetDouble();
        Assert.True(distance > 0);
        Assert.Equal(500, fault.GetProperty("positionalUncertaintyM").GetDouble());
        Assert.Equal("fault", fault.GetProperty("structure").GetString());
        Assert.False(string.IsNullOrEmpty(fault.GetProperty("id").GetString()));
        var setback = faults.GetProperty("setback");
        Assert.Equal(distance - 500 >= 200 ? "pass" : "indeterminate", setback.GetProperty("verdict").GetString());
        Assert.Equal(200, setback.GetProperty("requiredM").GetDouble());
        Assert.Equal("乙", setback.GetProperty("categoryZh").GetString());
        Assert.Equal("GB 50011-2010 (2016 ed.)", setback.GetProperty("standard").GetString());
        Assert.StartsWith("8度", setback.GetProperty("intensity").GetProperty("label").GetString(), StringComparison.Ordinal);

        // The census terms of the product, and the prevention zoning of the zone under the site.
        Assert.Equal("易发性区划", zoning.GetProperty("productZh").GetString());
        Assert.EndsWith("易发区", zoning.GetProperty("termZh").GetString(), StringComparison.Ordinal);
        Assert.Contains(zoning.GetProperty("prevention").GetProperty("labelZh").GetString(), new[] { "重点防治区", "次重点防治区", "一般防治区" });

        Assert.Equal(3, answer.GetProperty("flood").GetArrayLength());
        Assert.True(answer.GetProperty("seismic").GetProperty("pgaG").GetDouble() > 0);
        Assert.True(answer.GetProperty("dataVersions").GetArrayLength() >= 10);
        Assert.Equal(JsonValueKind.Array, answer.GetProperty("caveats").ValueKind);
    }

    [Fact]
    public async Task SiteRisk_OnAFaultTrace_SetbackVerdictPerCategoryAndIntensity()
    {
        // A vertex of a stored fault trace (not a fold axis): distance 0, trace located to ±500 m.
        var (_, faults) = await Get("/api/v1/surveys/bortala-reference/layers/faults-gem/features?limit=100");
        var fault = faults.GetProperty("features").EnumerateArray().First(f => f.GetProperty("properties").GetProperty("sense").GetString() != "Anticline");
        var vertex = fault.GetProperty("geometry").GetProperty("coordinates")[0];
        var (lon, lat) = (vertex[0].GetDouble(), vertex[1].GetDouble());
        async Task<JsonElement> Setback(string category, string intensity)
        {
            var (status, a) = await Get(string.Create(CultureInfo.InvariantCulture, $"/api/v1/site-risk?lon={lon:R}&lat={lat:R}&category={Uri.EscapeDataString(category)}&{intensity}"));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(a.GetProperty("faults").GetProperty("governing").GetProperty("distanceM").GetDouble() < 1);
            Assert.Equal("possible", a.GetProperty("dangerousSection").GetProperty("flag").GetString());
            return a.GetProperty("faults").GetProperty("setback");
        }

        Assert.Equal("indeterminate", (await Setback("B", "intensity=8")).GetProperty("verdict").GetString());
        var b9 = await Setback("乙", "intensity=9");
        Assert.Equal(400, b9.GetProperty("requiredM").GetDouble());
        Assert.Equal("9度(0.40g)", b9.GetProperty("intensity").GetProperty("label").GetString());
        Assert.Equal("indeterminate", (await Setback("丙", "intensity=9")).GetProperty("verdict").GetString());
        Assert.Equal("special-study", (await Setback("甲", "intensity=8")).GetProperty("verdict").GetString());
        Assert.Equal("indeterminate", (await Setback("D", "intensity=9")).GetProperty("verdict").GetString());
        var b7 = await Setback("B", "pga=0.15");
        Assert.Equal(("pass", "7度(0.15g)", "§4.1.7 item 1(1)"),
            (b7.GetProperty("verdict").GetString(), b7.GetProperty("intensity").GetProperty("label").GetString(), b7.GetProperty("clause").GetString()));
        Assert.Equal("8度(0.30g)", (await Setback("B", "intensity=8&pga=0.30")).GetProperty("intensity").GetProperty("label").GetString());
    }

    [Fact]
    public async Task SiteRisk_FloodBlock_OneEntryPerScenarioEverywhere()
    {
        // Far from the river (Wenquan's mountains) and on it: the same three scenarios, inside or not, with depth classes inside.
        var (_, far) = await Get("/api/v1/site-risk?lon=80.3&lat=44.95");
        Assert.Equal([10, 50, 100], far.GetProperty("flood").EnumerateArray().Select(f => f.GetProperty("returnPeriodYr").GetInt32()));
        Assert.All(far.GetProperty("flood").EnumerateArray(), f => Assert.False(f.GetProperty("inside").GetBoolean()));

        var (_, river) = await Get("/api/v1/surveys/bortala-flood-2023/layers/flood-zones/features?limit=10");
        var ten = river.GetProperty("features").EnumerateArray().First(f => f.GetProperty("properties").GetProperty("return_period_yr").GetInt32() == 10);
        var inside = await PointInside(ten);
        var (_, wet) = await Get(string.Create(CultureInfo.InvariantCulture, $"/api/v1/site-risk?lon={inside.Lon:R}&lat={inside.Lat:R}"));
        var entries = wet.GetProperty("flood").EnumerateArray().ToList();
        Assert.Equal(3, entries.Count);
        var tenYear = entries.Single(e => e.GetProperty("returnPeriodYr").GetInt32() == 10);
        Assert.True(tenYear.GetProperty("inside").GetBoolean());
        Assert.False(string.IsNullOrEmpty(tenYear.GetProperty("depthClass").GetString()));
        Assert.EndsWith("米", tenYear.GetProperty("depthClassZh").GetString(), StringComparison.Ordinal);
    }

    /// <summary>An interior point of a GeoJSON feature's polygon, found by GDAL (an independent implementation).</summary>
    private static async Task<(double Lon, double Lat)> PointInside(JsonElement feature)
    {
        const string Script = "import sys, json\nfrom osgeo import ogr\ng = ogr.CreateGeometryFromJson(sys.stdin.read())\np = g.PointOnSurface()\nprint(repr(p.GetX()), repr(p.GetY()))\n";
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", Script]) { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(feature.GetProperty("geometry").GetRawText());
        p.StandardInput.Close();
        var xy = (await p.StandardOutput.ReadToEndAsync()).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        await p.WaitForExitAsync();
        return (double.Parse(xy[0], CultureInfo.InvariantCulture), double.Parse(xy[1], CultureInfo.InvariantCulture));
    }

    [Theory]
    // Zone 27 (79.5–82.5°E) with its prefix, but 1.24° east of the zone: a wrong-zone easting.
    [InlineData("lon=27680000&lat=4915000&crs=EPSG:4515")]
    // UTM 44N with a northing of 804,780 km.
    [InlineData("lon=500000&lat=804780245&crs=EPSG:32644")]
    // CGCS2000 lon/lat outside China.
    [InlineData("lon=10&lat=50")]
    public async Task SiteRisk_OutsideTheCrsAreaOfUse_422WithTheArea(string query)
    {
        var (status, body) = await Get("/api/v1/site-risk?" + query);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("outside-crs-area", body.GetProperty("code").GetString());
        Assert.Contains("area of use", body.GetProperty("title").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SiteRisk_ParcelAt1e300InWebMercator_422()
    {
        const string parcel = """{"type":"Polygon","coordinates":[[[1e300,0],[1e300,1000],[1.0000001e300,1000],[1e300,0]]]}""";
        var response = await _client.PostAsync(new Uri("/api/v1/site-risk?crs=EPSG:3857", UriKind.Relative), new StringContent(parcel, Encoding.UTF8, "application/json"));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(422, (int)response.StatusCode);
        Assert.Contains(problem.GetProperty("code").GetString(), new[] { "outside-crs-area", "invalid-coordinates", "invalid-geometry" });
    }

    [Fact]
    public async Task SiteRisk_ProjectedCrs_SameAnswerAsLonLat()
    {
        // The same site in CGCS2000 / 3-degree Gauss-Kruger zone 27 (EPSG:4515), computed by gdaltransform.
        var psi = new ProcessStartInfo("gdaltransform", "-s_srs EPSG:4490 -t_srs EPSG:4515 -output_xy") { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{BoleLon} {BoleLat}"));
        p.StandardInput.Close();
        var xy = (await p.StandardOutput.ReadToEndAsync()).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (_, gk) = await Get($"/api/v1/site-risk?lon={xy[0]}&lat={xy[1]}&crs=EPSG:4515");
        var (_, ll) = await Get(string.Create(CultureInfo.InvariantCulture, $"/api/v1/site-risk?lon={BoleLon}&lat={BoleLat}"));
        Assert.Equal(ll.GetProperty("zoning").GetProperty("grade").GetInt32(), gk.GetProperty("zoning").GetProperty("grade").GetInt32());
        Assert.Equal(ll.GetProperty("faults").GetProperty("nearest").GetProperty("distanceM").GetDouble(),
            gk.GetProperty("faults").GetProperty("nearest").GetProperty("distanceM").GetDouble(), 1);
        Assert.Equal(BoleLon, gk.GetProperty("query").GetProperty("lon").GetDouble(), 6);
    }

    [Fact]
    public async Task SiteRisk_Parcel_AreaPerGradeAndWorstGrade()
    {
        // A 4 km × 4 km parcel around the Bole site: several 1 km cells.
        const string parcel = """{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[82.03,44.88],[82.08,44.88],[82.08,44.916],[82.03,44.916],[82.03,44.88]]]}}""";
        var response = await _client.PostAsync(new Uri("/api/v1/site-risk?category=C", UriKind.Relative), new StringContent(parcel, Encoding.UTF8, "application/geo+json"));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("parcel", body.GetProperty("query").GetProperty("type").GetString());
        var zoning = body.GetProperty("zoning");
        var areas = zoning.GetProperty("areaPerGrade").EnumerateArray().ToList();
        Assert.Equal(4, areas.Count);
        Assert.Equal(1.0, areas.Sum(a => a.GetProperty("share").GetDouble()), 6);
        var worst = zoning.GetProperty("worstGrade").GetInt32();
        Assert.Equal(areas.Where(a => a.GetProperty("areaM2").GetDouble() > 0).Max(a => a.GetProperty("grade").GetInt32()), worst);
        // Area of graded cells ≈ parcel area (cells whose centres fall inside), within a few cells.
        var parcelArea = body.GetProperty("query").GetProperty("areaM2").GetDouble();
        Assert.InRange(areas.Sum(a => a.GetProperty("areaM2").GetDouble()), parcelArea - 8e6, parcelArea + 8e6);

        // Exposure inside the parcel per grade: the buildings counted equal those whose footprint centre lies in the parcel
        // (counted here from the features API), within two for footprints straddling the edge.
        var exposed = zoning.GetProperty("exposurePerGrade").EnumerateArray().ToList();
        var (_, features) = await Get("/api/v1/surveys/bortala-exposure/layers/buildings/features?bbox=82.02,44.87,82.09,44.926&limit=10000");
        var inside = features.GetProperty("features").EnumerateArray().Count(f =>
        {
            var ring = f.GetProperty("geometry").GetProperty("coordinates")[0].EnumerateArray().Take(4).ToList();
            var (x, y) = (ring.Average(c => c[0].GetDouble()), ring.Average(c => c[1].GetDouble()));
            return x is > 82.03 and < 82.08 && y is > 44.88 and < 44.916;
        });
        Assert.True(inside > 100, $"{inside} buildings in the parcel");
        Assert.InRange(exposed.Sum(e => e.GetProperty("buildings").GetInt64()), inside - 2, inside + 2);
        Assert.True(exposed.Sum(e => e.GetProperty("people").GetDouble()) > 0);
    }

    [Theory]
    [InlineData("/api/v1/site-risk?lat=44", "lon")]
    [InlineData("/api/v1/site-risk?lon=NaN&lat=44", "lon")]
    [InlineData("/api/v1/site-risk?lon=82&lat=Infinity", "lat")]
    [InlineData("/api/v1/site-risk?lon=82&lat=44&category=E", "category")]
    [InlineData("/api/v1/site-risk?lon=82&lat=44&intensity=10", "intensity")]
    [InlineData("/api/v1/site-risk?lon=82&lat=44&crs=http://evil/crs", "crs")]
    [InlineData("/api/v1/site-risk?lon=82&lat=44&crs=EPSG:999999", "crs")]
    [InlineData("/api/v1/site-risk?lon=500&lat=44", "lon")]
    [InlineData("/api/v1/site-risk?lon=82&lat=44&pga=0.25", "pga")]
    [InlineData("/api/v1/site-risk?lon=82&lat=44&intensity=8&pga=0.15", "pga")]
    public async Task SiteRisk_BadParameters_400WithTheField(string url, string field)
    {
        var (status, body) = await Get(url);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.ToString());
    }

    [Theory]
    [InlineData("not json", 400, "bad-geojson")]
    [InlineData("""{"type":"FeatureCollection","features":[]}""", 400, "bad-geojson")]
    [InlineData("""{"type":"LineString","coordinates":[[82,44],[82.1,44.1]]}""", 422, "unsupported-geometry")]
    [InlineData("""{"type":"Polygon","coordinates":[[[82,44],[82.1,44.1],[82.1,44],[82,44.1],[82,44]]]}""", 422, "invalid-geometry")]
    [InlineData("""{"type":"Polygon","coordinates":[[[82,44],[1e308,44],[82.1,44.1],[82,44]]]}""", 422, "invalid-coordinates")]
    public async Task SiteRisk_BadParcel_ProblemDetailsWithCode(string body, int expected, string code)
    {
        var response = await _client.PostAsync(new Uri("/api/v1/site-risk", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Equal(code, problem.GetProperty("code").GetString());
    }

    private static double GdalLocationInfo(string raster, double lon, double lat)
    {
        var psi = new ProcessStartInfo("gdallocationinfo", ["-valonly", "-wgs84", raster, lon.ToString(CultureInfo.InvariantCulture), lat.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
        };
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return double.Parse(text, CultureInfo.InvariantCulture);
    }
}

[Collection(ApiCollection.Name)]
public sealed class ZoningMapTests(ApiFixture api)
{
    private readonly HttpClient _client = api.Factory.CreateClient();

    [Fact]
    public async Task ZoningMap_CountyPng_WithTheLegendColours()
    {
        using var response = await _client.GetAsync(new Uri("/api/v1/maps/zoning.png?admin=652723&width=800", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var png = await response.Content.ReadAsByteArrayAsync();
        var path = Path.Combine(GeoRisk.Tests.Common.RepoPaths.Root, "artifacts", "zoning-652723.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, png);
        // Read back with GDAL's PNG driver: the map is wider than the map frame (legend beside it) and shows the grade colours.
        const string Script = "import sys\nfrom osgeo import gdal\nds = gdal.Open(sys.argv[1])\nb = [ds.GetRasterBand(i + 1).ReadRaster() for i in range(3)]\n" +
            "legend = {(0x38,0xa8,0x00), (0xff,0xff,0x00), (0xff,0x99,0x00), (0xe6,0x00,0x00)}\nn = sum(1 for i in range(len(b[0])) if (b[0][i], b[1][i], b[2][i]) in legend)\nprint(ds.RasterXSize, ds.RasterYSize, n)\n";
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", Script, path]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var parts = (await p.StandardOutput.ReadToEndAsync()).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        await p.WaitForExitAsync();
        Assert.True(parts[0] > 800);
        Assert.True(parts[2] > 20_000, $"{parts[2]} legend-coloured pixels");
    }

    [Theory]
    [InlineData("/api/v1/maps/zoning.png?admin=65", 400, "bad-admin")]
    [InlineData("/api/v1/maps/zoning.png", 400, "bad-admin")]
    [InlineData("/api/v1/maps/zoning.png?admin=110101", 404, "not-found")]
    [InlineData("/api/v1/maps/zoning.png?admin=652723&width=99999", 400, "bad-width")]
    public async Task ZoningMap_BadRequests(string url, int status, string code)
    {
        using var response = await _client.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(status, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, doc.RootElement.GetProperty("code").GetString());
    }
}
