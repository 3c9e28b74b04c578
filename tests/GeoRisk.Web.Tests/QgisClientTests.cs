using System.Diagnostics;
using System.Text.Json;

namespace GeoRisk.Web.Tests;

/// <summary>
/// Headless QGIS (Debian's python3-qgis, which ./build.sh test installs) against the real server: the zoning as an
/// XYZ vector-tile layer styled by QGIS's own QgsMapBoxGlStyleConverter from the published MapLibre style, rendered
/// offscreen; every grade colour appears (at the style's fill opacity). Script: tests/tools/qgis-render.py.
/// </summary>
public sealed class QgisClientTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Fact]
    public async Task Qgis_VectorTilesWithConvertedStyle_RenderInTheGradeColours()
    {
        Assert.True(Directory.Exists("/usr/lib/python3/dist-packages/qgis"), "python3-qgis is not installed (./build.sh test installs python3-qgis and qgis-providers)");
        var script = Path.Combine(GeoRisk.Tests.Common.RepoPaths.Root, "tests", "tools", "qgis-render.py");
        var image = Path.Combine(WebFixture.Screenshots, "qgis-zoning.png");
        var psi = new ProcessStartInfo("/usr/bin/python3", [script, web.BaseUrl, image]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["QT_QPA_PLATFORM"] = "offscreen";
        psi.Environment["XDG_RUNTIME_DIR"] = Path.GetTempPath();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, $"qgis-render.py exited {p.ExitCode}:\n{await stderr}");
        using var doc = JsonDocument.Parse((await stdout).Trim().Split('\n')[^1]);
        var counts = doc.RootElement.GetProperty("counts");
        foreach (var grade in counts.EnumerateObject())
        {
            // 900×500 px sampled every other pixel: each grade covers a good part of the prefecture.
            Assert.True(grade.Value.GetInt32() > 500, $"grade {grade.Name}: {grade.Value.GetInt32()} pixels in its colour ({doc.RootElement})");
        }

        Assert.Equal(4, counts.EnumerateObject().Count());
        Assert.True(doc.RootElement.GetProperty("labeling").GetBoolean(), "the converter produced no labeling from the style's label layer");
    }
}
