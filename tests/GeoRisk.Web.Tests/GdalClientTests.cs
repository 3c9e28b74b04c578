using System.Globalization;
using System.Text.RegularExpressions;
using GeoRisk.Tests.Common;

namespace GeoRisk.Web.Tests;

/// <summary>GDAL 3.6's own clients against the real server: the MVT driver on a tileset, and OAPIF paging.</summary>
public sealed partial class GdalClientTests(WebFixture web) : IClassFixture<WebFixture>
{
    private static async Task<(string Stdout, string Stderr)> Ogrinfo(params string[] args)
    {
        var (code, stdout, stderr) = await ExternalTool.RunAsync("ogrinfo", new Dictionary<string, string> { ["GDAL_HTTP_TIMEOUT"] = "60" }, null, args);
        Assert.True(code == 0, $"ogrinfo {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
        return (stdout, stderr);
    }

    [Fact]
    public async Task MvtDriver_ZoomLevelOfTileset_SchemaFromTileJsonAndFeatures()
    {
        // GDAL's MVT driver opens a zoom level of a tileset (…/tiles/zoning/8, tiles as {z}/{x}/{y}.pbf) and reads the
        // layer schema from the sibling "/tiles/zoning.json", the TileJSON.
        var (schema, _) = await Ogrinfo("-ro", "-so", $"MVT:{web.BaseUrl}/tiles/zoning/8", "zoning");
        Assert.Contains("grade: Real", schema, StringComparison.Ordinal);
        Assert.Contains("prevention: String", schema, StringComparison.Ordinal);
        Assert.Contains("EPSG\",3857", schema, StringComparison.Ordinal);

        var (features, _) = await Ogrinfo("-ro", "-al", "-geom=NO", "-spat", "9130000", "5590000", "9150000", "5610000", $"MVT:{web.BaseUrl}/tiles/zoning/8");
        Assert.Matches(@"grade \(Real\) = [1-4]", features);
    }

    [Theory]
    [InlineData(3, 9_000_000, 5_500_000, 9_300_000, 5_700_000)]
    [InlineData(8, 9_130_000, 5_590_000, 9_150_000, 5_610_000)]
    [InlineData(13, 9_139_000, 5_599_000, 9_141_000, 5_601_000)]
    public async Task MvtDriver_LowMiddleAndHighZoom_ReadsZonesWithGrades(int zoom, int minX, int minY, int maxX, int maxY)
    {
        // Any zoom level of the tileset is a connection string of its own; the window keeps the tiles read few.
        string[] window = ["-spat", $"{minX}", $"{minY}", $"{maxX}", $"{maxY}"];
        var (features, _) = await Ogrinfo(["-ro", "-al", "-geom=NO", .. window, $"MVT:{web.BaseUrl}/tiles/zoning/{zoom}"]);
        Assert.Matches(@"grade \(Real\) = [1-4]", features);
        Assert.Contains("grade_term_zh (String) = ", features, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OgcapiDriver_ItemsOfTheCollection_OpensTheZoningLayer()
    {
        // GDAL 3.6's OGCAPI driver reads a collection's features through its OAPIF code when asked for the items API;
        // its tiles API never yields vector layers in 3.6.2 (docs/CLIENTS.md, "Not yet").
        var (summary, _) = await Ogrinfo("-ro", "-so", "-oo", "API=ITEMS", $"OGCAPI:{web.BaseUrl}/collections/zoning", "zoning");
        Assert.Contains("Geometry: Polygon", summary, StringComparison.Ordinal);
        var count = Regex.Match(summary, @"Feature Count: (\d+)");
        Assert.True(count.Success && int.Parse(count.Groups[1].Value, CultureInfo.InvariantCulture) > 100, summary);
        Assert.Contains("grade: Integer", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OapifDriver_PagesWithTheRequestedLimit_ReadsEveryZone()
    {
        // GDAL 3.6 pages with its PAGE_SIZE open option (default 10; it does not read limit's maximum from the
        // OpenAPI document, later GDAL versions do): the server honours any limit up to its maximum, and the
        // feature count comes from numberMatched.
        var (output, debug) = await Ogrinfo("--debug", "on", "-ro", "-al", "-geom=NO", "-oo", "PAGE_SIZE=100", $"OAPIF:{web.BaseUrl}", "zoning");
        var limits = ItemsLimit().Matches(debug).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().ToList();
        Assert.Equal([100], limits);
        var count = Regex.Match(output, @"Feature Count: (\d+)");
        Assert.True(count.Success, output[..Math.Min(2000, output.Length)]);
        var read = Regex.Matches(output, "^OGRFeature", RegexOptions.Multiline).Count;
        Assert.True(read > 100, $"only {read} zones read");
        Assert.Equal(read, int.Parse(count.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"items\?limit=(\d+)")]
    private static partial Regex ItemsLimit();
}
