using System.Diagnostics;

namespace GeoRisk.Web.Tests;

/// <summary>GDAL's OGC API - Features client (the OAPIF driver, what QGIS builds on) against the real server.</summary>
public sealed class OgcClientTests(WebFixture web) : IClassFixture<WebFixture>
{
    private static async Task<string> Ogrinfo(params string[] args)
    {
        var psi = new ProcessStartInfo("ogrinfo", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, stderr + stdout);
        return stdout;
    }

    [Fact]
    public async Task GdalOapif_ListsCollectionsAndReadsEveryFeature()
    {
        var layers = await Ogrinfo("-ro", "-q", $"OAPIF:{web.BaseUrl}");
        Assert.Contains("bortala-reference:counties", layers, StringComparison.Ordinal);
        Assert.Contains("zoning", layers, StringComparison.Ordinal);

        // Paging through next links: all four counties, with their attributes.
        var counties = await Ogrinfo("-ro", "-al", "-geom=NO", $"OAPIF:{web.BaseUrl}", "bortala-reference:counties");
        Assert.Contains("Feature Count: 4", counties, StringComparison.Ordinal);
        foreach (var code in new[] { "652701", "652702", "652722", "652723" })
        {
            Assert.Contains(code, counties, StringComparison.Ordinal);
        }

        var bbox = await Ogrinfo("-ro", "-al", "-geom=NO", "-spat", "82.0", "44.8", "82.1", "44.9", $"OAPIF:{web.BaseUrl}", "bortala-reference:counties");
        Assert.Contains("652701", bbox, StringComparison.Ordinal);
    }
}
