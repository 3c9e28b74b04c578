using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace GeoRisk.Api.Tests;

/// <summary>
/// The printable zoning map as PNG and PDF, read back by third-party readers: GDAL's PNG driver, poppler through
/// GDAL's PDF driver (vector content only) and poppler's pdftotext/pdffonts.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ZoningMapTests(ApiFixture api)
{
    private const string Legend = "{(0x38,0xa8,0x00), (0xff,0xff,0x00), (0xff,0x99,0x00), (0xe6,0x00,0x00)}";
    private const string Water = "{(0xa6,0xce,0xe3)}";
    private readonly HttpClient _client = api.Factory.CreateClient();

    [Fact]
    public async Task ZoningMap_CountyPng_GradeColoursAndEbinurLakeAsWater()
    {
        var path = await Save("/api/v1/maps/zoning.png?admin=652722&width=800", "image/png", "zoning-652722.png");
        // Read back with GDAL's PNG driver: the map is wider than the map frame (legend beside it), shows the grade
        // colours and, inside Jinghe, Ebinur Lake in the water colour rather than as low-grade land.
        var (width, _, legend, water) = await CountColours(path, []);
        Assert.True(width > 800);
        Assert.True(legend > 20_000, $"{legend} legend-coloured pixels");
        Assert.True(water > 2_000, $"{water} water-coloured pixels");
    }

    [Fact]
    public async Task ZoningMap_TextAndLinesScaleWithWidth()
    {
        // The same map at 1000 and 2000 pixels: everything (frame, legend, text) doubles, so the image is twice as
        // wide and tall (give or take rounding), not a bigger map with the same small legend and text.
        var small = await Save("/api/v1/maps/zoning.png?admin=652723&width=1000", "image/png", "zoning-652723-1000.png");
        var large = await Save("/api/v1/maps/zoning.png?admin=652723&width=2000", "image/png", "zoning-652723-2000.png");
        var (w1, h1, _, _) = await CountColours(small, []);
        var (w2, h2, _, _) = await CountColours(large, []);
        Assert.InRange(w2 / (double)w1, 1.97, 2.03);
        Assert.InRange(h2 / (double)h1, 1.97, 2.03);
    }

    [Theory]
    [InlineData("A4", "portrait", 595, 842)]
    [InlineData("A3", "landscape", 1191, 842)]
    public async Task ZoningMap_Pdf_VectorPageWithLabelsAndNotes(string paper, string orientation, int pageWidth, int pageHeight)
    {
        var path = await Save($"/api/v1/maps/zoning.pdf?admin=652722&paper={paper}&orientation={orientation}", "application/pdf", $"zoning-652722-{paper}-{orientation}.pdf");
        Assert.Equal("%PDF-"u8.ToArray(), (await File.ReadAllBytesAsync(path)).Take(5).ToArray());

        // Poppler renders the page's vector content alone (no images): the grades are vector zones, in the legend colours.
        var (width, height, legend, water) = await CountColours(path, ["RENDERING_OPTIONS=VECTOR", "DPI=72"]);
        Assert.InRange(width, pageWidth - 1, pageWidth + 1); // A3 is 1190.55 pt wide
        Assert.InRange(height, pageHeight - 1, pageHeight + 1);
        Assert.True(legend > 5_000, $"{legend} legend-coloured pixels drawn as vectors");
        Assert.True(water > 200, $"{water} water-coloured pixels");

        // The text is text (searchable, fonts embedded): title, labels, legend, graticule, the synthetic-data note and attributions.
        var text = await Run("pdftotext", ["-enc", "UTF-8", path, "-"]);
        foreach (var expected in new[] { "精河县地质灾害易发性区划图", "艾比湖", "博乐市", "极高易发区", "防治分区", "活动断层", "褶皱轴", "隐患点", "°", "N", "Synthetic sample data",
                     "county boundaries", "GEM Global Active Faults", "Natural Earth" })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }

        var fonts = await Run("pdffonts", [path]);
        var rows = fonts.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Contains(" yes ", r, StringComparison.Ordinal)); // every font embedded
    }

    [Theory]
    [InlineData("hazard", "精河县地质灾害危险性区划图", "极高危险区")]
    [InlineData("risk", "精河县地质灾害风险区划图", "极高风险区")]
    public async Task ZoningMap_EachProduct_TitledAndGradedWithItsCensusTerms(string product, string title, string term)
    {
        var path = await Save($"/api/v1/maps/zoning.pdf?admin=652722&paper=A4&product={product}", "application/pdf", $"zoning-652722-{product}.pdf");
        var text = await Run("pdftotext", ["-enc", "UTF-8", path, "-"]);
        Assert.Contains(title, text, StringComparison.Ordinal);
        Assert.Contains(term, text, StringComparison.Ordinal);
        Assert.DoesNotContain("易发区", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/maps/zoning.png?admin=65", 400, "bad-admin")]
    [InlineData("/api/v1/maps/zoning.png", 400, "bad-admin")]
    [InlineData("/api/v1/maps/zoning.png?admin=110101", 404, "not-found")]
    [InlineData("/api/v1/maps/zoning.png?admin=652723&width=99999", 400, "bad-width")]
    [InlineData("/api/v1/maps/zoning.png?admin=652723&product=landslide", 400, "bad-product")]
    [InlineData("/api/v1/maps/zoning.png?admin=652723&product=vulnerability", 400, "bad-product")]
    [InlineData("/api/v1/maps/zoning.pdf?admin=652723&product=exposure", 400, "bad-product")]
    [InlineData("/api/v1/maps/zoning.pdf?admin=652723&paper=A5", 400, "bad-paper")]
    [InlineData("/api/v1/maps/zoning.pdf?admin=652723&orientation=sideways", 400, "bad-orientation")]
    [InlineData("/api/v1/maps/zoning.pdf?admin=110101", 404, "not-found")]
    [InlineData("/api/v1/maps/zoning.pdf", 400, "bad-admin")]
    public async Task ZoningMap_BadRequests(string url, int status, string code)
    {
        using var response = await _client.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(status, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, doc.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ZoningMap_ProductTheRunLacks_NotFoundWithTheProductsItHas()
    {
        // A run without the risk product (as one computed without exposure layers): its raster set lacks risk-grade.
        var run = api.Run with { Rasters = api.Run.Rasters.Where(r => !r.Key.StartsWith("risk", StringComparison.Ordinal)).ToDictionary() };
        var store = api.Factory.Services.GetRequiredService<GeoRisk.Core.Storage.IGeoRiskStore>(); // the service's own store, not disposed here
        var error = await Assert.ThrowsAsync<GeoRisk.Services.ProductNotInRunException>(() => GeoRisk.Services.ZoningMapData.LoadAsync(store, run, GeoRisk.Core.Risk.ZoningProduct.Risk, "652701"));
        Assert.Contains("susceptibility", error.Available);
        Assert.DoesNotContain("risk", error.Available);
    }

    [Fact]
    public async Task ZoningMap_ExplicitSusceptibilityProduct_IsTheDefaultMap()
    {
        using var plain = await _client.GetAsync(new Uri("/api/v1/maps/zoning.png?admin=652701&width=600", UriKind.Relative));
        using var explicitProduct = await _client.GetAsync(new Uri("/api/v1/maps/zoning.png?admin=652701&width=600&product=susceptibility", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, explicitProduct.StatusCode);
        Assert.Equal(await plain.Content.ReadAsByteArrayAsync(), await explicitProduct.Content.ReadAsByteArrayAsync());
    }

    private async Task<string> Save(string url, string mediaType, string name)
    {
        using var response = await _client.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        var path = Path.Combine(GeoRisk.Tests.Common.RepoPaths.Root, "artifacts", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, await response.Content.ReadAsByteArrayAsync());
        return path;
    }

    /// <summary>Width, height and the number of pixels in the grade legend colours and in the water colour, read by GDAL.</summary>
    private static async Task<(int Width, int Height, int Legend, int Water)> CountColours(string path, string[] openOptions)
    {
        var script = "import sys\nfrom osgeo import gdal\nds = gdal.OpenEx(sys.argv[1], open_options=sys.argv[2:])\nb = [ds.GetRasterBand(i + 1).ReadRaster() for i in range(3)]\n" +
            $"legend = {Legend}\nwater = {Water}\npx = list(zip(b[0], b[1], b[2]))\n" +
            "print(ds.RasterXSize, ds.RasterYSize, sum(1 for p in px if p in legend), sum(1 for p in px if p in water))\n";
        var parts = (await Run("/usr/bin/python3", ["-c", script, path, .. openOptions])).Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return (parts[0], parts[1], parts[2], parts[3]);
    }

    private static async Task<string> Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, $"{file} failed: {await stderr}");
        return await stdout;
    }
}
