using System.Globalization;
using System.Text.Json;
using GeoRisk.Tests.Common;

namespace GeoRisk.Cli.Tests;

public sealed class ZoningCliTests(SampleSetFixture samples) : IClassFixture<SampleSetFixture>, IDisposable
{
    private readonly TempDirectory _work = new("georisk-cli-zoning");

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task DemoComputeExport_EndToEnd()
    {
        var store = _work.File("store");
        var demo = await CliRunner.RunAsync(_work.Path, "demo", "--surveys", samples.Path, "--store", store, "--cell-size", "2000", "--no-serve");
        Assert.True(demo.ExitCode == 0, demo.Stdout + demo.Stderr);
        Assert.Contains("zoning run 1 published", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("AHP: CR = ", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("ROC-AUC", demo.Stdout, StringComparison.Ordinal);

        var model = Path.Combine(samples.Path, "models", "bortala-default.json");
        var again = await CliRunner.RunAsync(_work.Path, "compute", "--model", model, "--cell-size", "2000", "--store", store);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("nothing to compute", again.Stdout, StringComparison.Ordinal);

        var county = await CliRunner.RunAsync(_work.Path, "compute", "--model", model, "--cell-size", "500", "--extent", "admin:652723", "--store", store);
        Assert.True(county.ExitCode == 0, county.Stdout + county.Stderr);
        Assert.Contains("zoning run 2 published", county.Stdout, StringComparison.Ordinal);

        var csv = _work.File("census.csv");
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, "export", "census", "--format", "csv", "-o", csv, "--store", store)).ExitCode);
        var lines = await File.ReadAllLinesAsync(csv);
        Assert.Equal(5, lines.Length); // header + Wenquan × 4 grades
        Assert.All(lines.Skip(1), l => Assert.StartsWith("susceptibility zoning,易发性区划,652723,温泉县,", l, StringComparison.Ordinal));

        // The other products: the risk census in its own terms; the hazard index as a COG on the run's grid.
        var riskCsv = _work.File("census-risk.csv");
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, "export", "census", "--product", "risk", "--format", "csv", "-o", riskCsv, "--store", store)).ExitCode);
        Assert.Contains(await File.ReadAllLinesAsync(riskCsv), l => l.StartsWith("risk zoning,风险区划,652723,温泉县,", StringComparison.Ordinal) && l.Contains(",极高风险区,", StringComparison.Ordinal));
        var hazardCog = _work.File("hazard.tif");
        var hazardExport = await CliRunner.RunAsync(_work.Path, "export", "index", "--product", "hazard", "--format", "cog", "-o", hazardCog, "--store", store);
        Assert.True(hazardExport.ExitCode == 0, hazardExport.Stdout + hazardExport.Stderr);
        await AssertSameGridAndCells(store, Services.ZoningRunRecord.IndexRaster(Core.Risk.ZoningProduct.Hazard), hazardCog);

        var badProduct = await CliRunner.RunAsync(_work.Path, "export", "census", "--product", "exposure", "--format", "csv", "-o", riskCsv, "--store", store);
        Assert.Equal(2, badProduct.ExitCode);
        Assert.Contains("--product must be", badProduct.Stderr, StringComparison.Ordinal);

        // Exposure of the Wenquan-only run: Wenquan by grade; the other counties' buildings outside the zoning (grade 0), still counted.
        var exposure = _work.File("exposure.csv");
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, "export", "exposure", "--format", "csv", "-o", exposure, "--store", store)).ExitCode);
        var rows = (await File.ReadAllLinesAsync(exposure)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(4, rows.Count(r => r[0] == "652723" && r[2] != "0"));
        Assert.Contains(rows, r => r[0] == "652701" && r[2] == "0" && long.Parse(r[8], CultureInfo.InvariantCulture) > 1000);
        var flood = await CliRunner.RunAsync(_work.Path, "export", "flood-scenarios", "--format", "json", "-o", _work.File("flood.json"), "--store", store);
        Assert.Equal(0, flood.ExitCode);
        Assert.Contains("100-year flood: ", flood.Stdout, StringComparison.Ordinal);

        var geojson = _work.File("zones.geojson");
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, "export", "zoning", "--format", "geojson", "--run", "1", "-o", geojson, "--store", store)).ExitCode);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(geojson));
        var features = doc.RootElement.GetProperty("features");
        Assert.True(features.GetArrayLength() > 10);
        Assert.InRange(features[0].GetProperty("properties").GetProperty("grade").GetInt32(), 1, 4);

        var cog = _work.File("grade.tif");
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, "export", "grade", "--format", "cog", "-o", cog, "--store", store)).ExitCode);
        // GDAL's own validator (python3-gdal) checks the COG layout: IFDs first, tiles and overviews in order.
        var validation = await CliRunner.RunToolAsync("/usr/bin/python3", "-m", "osgeo_utils.samples.validate_cloud_optimized_geotiff", cog);
        Assert.Contains("is a valid cloud optimized GeoTIFF", validation, StringComparison.Ordinal);
        var info = await CliRunner.RunToolAsync("gdalinfo", cog);
        Assert.Contains("LAYOUT=COG", info, StringComparison.Ordinal);
        await AssertSameGridAndCells(store, "grade", cog);
        // gdalinfo (what QGIS reads too) sees the palette in the legend colours and the census terms as category names.
        Assert.Contains("Color Table (RGB with", info, StringComparison.Ordinal); // GeoTIFF pads the palette to 256 entries
        Assert.Contains("ColorInterp=Palette", info, StringComparison.Ordinal);
        Assert.Contains("4: 230,0,0,255", info, StringComparison.Ordinal);
        Assert.Contains("Categories:", info, StringComparison.Ordinal);
        Assert.Contains("4 极高易发区 very high susceptibility area", info, StringComparison.Ordinal);

        var map = _work.File("wenquan.pdf");
        var printed = await CliRunner.RunAsync(_work.Path, "export", "map", "--format", "pdf", "--admin", "652723", "--paper", "A4", "--orientation", "portrait", "-o", map, "--store", store);
        Assert.True(printed.ExitCode == 0, printed.Stdout + printed.Stderr);
        Assert.Equal("%PDF-"u8.ToArray(), (await File.ReadAllBytesAsync(map)).Take(5).ToArray());
        var mapPng = _work.File("wenquan.png");
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, "export", "map", "--format", "png", "--admin", "652723", "--width", "600", "-o", mapPng, "--store", store)).ExitCode);
        Assert.Equal(0x89, (await File.ReadAllBytesAsync(mapPng))[0]);
        var riskMap = await CliRunner.RunAsync(_work.Path, "export", "map", "--format", "pdf", "--admin", "652723", "--product", "risk", "-o", map, "--store", store);
        Assert.True(riskMap.ExitCode == 0, riskMap.Stdout + riskMap.Stderr);
        Assert.Contains("risk zoning map", riskMap.Stdout, StringComparison.Ordinal);
        var noAdmin = await CliRunner.RunAsync(_work.Path, "export", "map", "--format", "png", "-o", mapPng, "--store", store);
        Assert.Equal(2, noAdmin.ExitCode);

        var png = _work.File("grade.png");
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, "export", "grade", "--format", "png", "--width", "300", "-o", png, "--store", store)).ExitCode);
        using (var image = GeoRisk.Gdal.RasterDataset.Open(png, allowedDrivers: ["PNG"]))
        {
            Assert.Equal(4, image.BandCount); // RGBA: nodata transparent
            Assert.InRange(image.Width, 100, 300); // at most --width, never upsampled beyond the grid
        }

        var archive = _work.File("zoning.pmtiles");
        var tiles = await CliRunner.RunAsync(_work.Path, "export", "tiles", "--format", "pmtiles", "--max-zoom", "6", "-o", archive, "--store", store);
        Assert.True(tiles.ExitCode == 0, tiles.Stdout + tiles.Stderr);
        Assert.Contains("PMTiles v3", tiles.Stdout, StringComparison.Ordinal);
        Assert.Equal("PMTiles"u8.ToArray(), (await File.ReadAllBytesAsync(archive)).Take(7).ToArray());
        Assert.False(File.Exists(archive + ".partial"));

        var mbtiles = _work.File("zoning.mbtiles");
        var mb = await CliRunner.RunAsync(_work.Path, "export", "tiles", "--format", "mbtiles", "--max-zoom", "6", "-o", mbtiles, "--store", store);
        Assert.True(mb.ExitCode == 0, mb.Stdout + mb.Stderr);
        Assert.Contains("MBTiles 1.3", mb.Stdout, StringComparison.Ordinal);
        Assert.Contains("tiles (", mb.Stderr, StringComparison.Ordinal); // progress
        Assert.Equal("SQLite format 3"u8.ToArray(), (await File.ReadAllBytesAsync(mbtiles)).Take(15).ToArray());
    }

    /// <summary>
    /// An exported raster is the current run's stored raster <paramref name="name"/>: one band, the same size and
    /// geotransform, and every cell equal (read through GDAL from both files).
    /// </summary>
    private static async Task AssertSameGridAndCells(string store, string name, string exported)
    {
        string stored;
        await using (var gpkg = new Storage.GeoPackage.GeoPackageStore(new Storage.GeoPackage.GeoPackageStoreOptions { Directory = store }))
        {
            var run = await gpkg.GetZoningRunAsync();
            Assert.NotNull(run);
            Assert.True(run.Rasters.TryGetValue(name, out stored!), $"run {run.Id} has no raster '{name}': {string.Join(", ", run.Rasters.Keys)}");
        }

        using var expected = GeoRisk.Gdal.RasterDataset.Open(stored);
        using var actual = GeoRisk.Gdal.RasterDataset.Open(exported);
        Assert.Equal(1, actual.BandCount);
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        Assert.Equal(expected.GeoTransform, actual.GeoTransform);
        Assert.Equal(expected.GetNoData(1), actual.GetNoData(1));
        var (a, b) = (new double[expected.Width * expected.Height], new double[actual.Width * actual.Height]);
        expected.Read<double>(1, 0, 0, expected.Width, expected.Height, a);
        actual.Read<double>(1, 0, 0, actual.Width, actual.Height, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public async Task Compute_BadInput_ExitsWithUsageError()
    {
        var missing = await CliRunner.RunAsync(_work.Path, "compute", "--model", _work.File("missing.json"), "--store", _work.File("s"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr, StringComparison.Ordinal);

        var bad = _work.File("bad.json");
        await File.WriteAllTextAsync(bad, """{"name":"x","grid":{"extent":{"admin":"1"}},"factors":[],"combination":{"method":"weights"}}""");
        var invalid = await CliRunner.RunAsync(_work.Path, "compute", "--model", bad, "--store", _work.File("s"));
        Assert.Equal(2, invalid.ExitCode);
        Assert.Contains("6-digit", invalid.Stderr, StringComparison.Ordinal);

        var format = await CliRunner.RunAsync(_work.Path, "export", "zoning", "--format", "tiff", "-o", _work.File("z.png"), "--store", _work.File("s"));
        Assert.Equal(2, format.ExitCode);

        var zoom = await CliRunner.RunAsync(_work.Path, "export", "tiles", "--format", "pmtiles", "--max-zoom", "17", "-o", _work.File("t.pmtiles"), "--store", _work.File("s"));
        Assert.Equal(2, zoom.ExitCode);
        Assert.Contains("--max-zoom", zoom.Stderr, StringComparison.Ordinal);

        var none = await CliRunner.RunAsync(_work.Path, "export", "census", "--format", "csv", "-o", _work.File("c.csv"), "--store", _work.File("s"));
        Assert.Equal(4, none.ExitCode);
        Assert.Contains("georisk compute", none.Stderr, StringComparison.Ordinal);
    }
}
