using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GeoRisk.Web.Tests;

/// <summary>GDAL 3.6's own clients against the real server: the MVT driver on a tileset, and OAPIF paging.</summary>
public sealed partial class GdalClientTests(WebFixture web) : IClassFixture<WebFixture>
{
    private static async Task<(string Stdout, string Stderr)> Ogrinfo(params string[] args)
    {
        var psi = new ProcessStartInfo("ogrinfo", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        // GDAL's own HTTP cache would hide what it asked for.
        psi.Environment["GDAL_HTTP_TIMEOUT"] = "60";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, $"ogrinfo {string.Join(' ', args)} exited {p.ExitCode}:\n{await stderr}\n{await stdout}");
        return (await stdout, await stderr);
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
