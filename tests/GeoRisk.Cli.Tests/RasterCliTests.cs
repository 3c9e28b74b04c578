using GeoRisk.Tests.Common;

namespace GeoRisk.Cli.Tests;

/// <summary>The raster commands end to end on the sample DEM and counties: slope → classify → sieve → polygonize, zonal.</summary>
public sealed class RasterCliTests(SampleSetFixture samples) : IClassFixture<SampleSetFixture>, IDisposable
{
    private readonly TempDirectory _work = new("georisk-raster-cli");

    private string Dem => samples.File(Samples.SampleSetGenerator.DemFileName(SampleSetFixture.TestDemArcSeconds));

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task SlopeClassifySievePolygonizeZonal_OnSampleDem()
    {
        async Task<string> Run(params string[] args)
        {
            var (code, stdout, stderr) = await CliRunner.RunAsync(_work.Path, ["raster", .. args]);
            Assert.True(code == 0, $"georisk raster {string.Join(' ', args)} → {code}: {stderr}{stdout}");
            return stdout;
        }

        var slopeOut = await Run("slope", Dem, _work.File("slope.tif"));
        Assert.Contains("geographic DEM", slopeOut, StringComparison.Ordinal);
        var breaks = await Run("classify", _work.File("slope.tif"), _work.File("grade.tif"), "--method", "natural", "--classes", "4");
        Assert.Matches(@"breaks: [\d.]+, [\d.]+, [\d.]+", breaks);
        await Run("sieve", _work.File("grade.tif"), _work.File("grade_mmu.tif"), "--min-cells", "4");
        var polygons = await Run("polygonize", _work.File("grade_mmu.tif"), _work.File("zones.gpkg"), "--simplify", "0.0003");
        Assert.Matches(@"^\d+ polygons", polygons);

        var csv = (await Run("zonal", samples.File("admin/counties_synthetic.geojson"), _work.File("slope.tif"), "--classes", _work.File("grade_mmu.tif"), "--field", "code"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("zone,cells,area,min,max,mean,sum,class_1_cells", csv[0], StringComparison.Ordinal);
        Assert.Equal(["652701", "652702", "652722", "652723"], csv.Skip(1).Select(l => l.Split(',')[0]).Order());
    }

    [Fact]
    public async Task Zones_BlockWise_SameGradesAsClassifyThenSieve_BadOptionsAreUsageErrors()
    {
        // The slope of the sample DEM as the index: block-wise zones (small blocks, many seams) against the
        // whole-grid commands with the same breaks (fixed here, since zones samples by hash, classify by stride).
        var (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "slope", Dem, _work.File("slope.tif"));
        Assert.True(code == 0, stderr);
        (code, var stdout, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "zones", _work.File("slope.tif"), _work.File("zgrade.tif"), _work.File("zones.gpkg"), "--block-size", "100", "--min-cells", "4");
        Assert.True(code == 0, stderr + stdout);
        var breaks = System.Text.RegularExpressions.Regex.Match(stdout, @"breaks: (.+)").Groups[1].Value.Trim().Replace(" ", "", StringComparison.Ordinal);
        Assert.Matches(@"^\d+ zones in", stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "classify", _work.File("slope.tif"), _work.File("g.tif"), "--method", "fixed", "--breaks", breaks);
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "sieve", _work.File("g.tif"), _work.File("gs.tif"), "--min-cells", "4");
        Assert.True(code == 0, stderr);
        using (var a = Gdal.RasterDataset.Open(_work.File("zgrade.tif")))
        using (var b = Gdal.RasterDataset.Open(_work.File("gs.tif")))
        {
            var (ca, cb) = (new float[a.Width * a.Height], new float[b.Width * b.Height]);
            a.Read<float>(1, 0, 0, a.Width, a.Height, ca);
            b.Read<float>(1, 0, 0, b.Width, b.Height, cb);
            Assert.Equal(cb, ca);
        }

        (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "zones", _work.File("slope.tif"), _work.File("x.tif"), _work.File("x.gpkg"), "--method", "kmeans");
        Assert.Equal(2, code);
        Assert.Contains("--method is natural, quantile or equal", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "zones", _work.File("nope.tif"), _work.File("x.tif"), _work.File("x.gpkg"));
        Assert.Equal(4, code);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calc_SyntaxError_PointsAtColumnAndExitsTwo()
    {
        var (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "calc", "-o", _work.File("x.tif"), "--expr", "a + * b", "a=a.tif", "b=b.tif");
        Assert.Equal(2, code);
        Assert.Contains("(column 5)", stderr, StringComparison.Ordinal);
        Assert.Contains("      ^", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnwritableOutputOrMissingInput_ClearErrorNoStackTrace()
    {
        var (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "slope", Dem, Path.Combine(_work.Path, "no-such-folder", "slope.tif"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: Cannot create GeoTIFF", stderr.TrimStart(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "proximity", _work.File("missing.tif"), _work.File("d.tif"));
        Assert.Equal(1, code);
        Assert.Contains("error: Cannot open raster 'missing.tif'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreationOptions_CompressTheOutput_SameCells_AndBadOnesAreRefused()
    {
        var (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "slope", Dem, _work.File("plain.tif"));
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "slope", "--co", "COMPRESS=DEFLATE", "--co", "PREDICTOR=3", Dem, _work.File("packed.tif"));
        Assert.True(code == 0, stderr);
        Assert.True(new FileInfo(_work.File("packed.tif")).Length < new FileInfo(_work.File("plain.tif")).Length, "the compressed output is not smaller");
        using (var plain = new Gdal.GdalRasterSource(_work.File("plain.tif")))
        using (var packed = new Gdal.GdalRasterSource(_work.File("packed.tif")))
        {
            Assert.Equal(plain.ReadAll().Data, packed.ReadAll().Data);
        }

        (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "raster", "slope", "--co", "COMPRESS", Dem, _work.File("bad.tif"));
        Assert.Equal(1, code);
        Assert.Contains("error: A creation option is NAME=VALUE", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_work.File("bad.tif")));
    }

    /// <summary>
    /// Issue #16 defect 9: on GDAL 3.6 GDALClose returns void, so a full disk while the last cached blocks
    /// were written went unnoticed (truncated GeoTIFF, exit code 0). A 1 MiB tmpfs takes a 2000² output.
    /// Needs root to mount the tmpfs (as ./build.sh test runs); fails loudly otherwise.
    /// </summary>
    [Fact]
    public async Task FullDiskAtFinalFlush_ErrorAndNonZeroExit()
    {
        var input = _work.File("in.tif");
        using (var ds = Gdal.RasterDataset.CreateGeoTiff(input, 2000, 2000, 1, Gdal.RasterDataType.Float32, ["TILED=YES"]))
        {
            ds.GeoTransform = [80, 0.0005, 0, 45, 0, -0.0005];
            using var srs = Gdal.SpatialReference.FromEpsg(4490);
            ds.ProjectionWkt = srs.Wkt;
            ds.Write<float>(1, 0, 0, 2000, 2000, Enumerable.Repeat(5f, 2000 * 2000).ToArray());
        }

        var full = _work.File("full");
        Directory.CreateDirectory(full);
        var (mounted, _, mountError) = await Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", full);
        Assert.True(mounted == 0, "mounting a 1 MiB tmpfs needs root: " + mountError);
        try
        {
            foreach (var args in new[] { new[] { "calc", "-o", Path.Combine(full, "calc.tif"), "--expr", "a*2", "a=" + input }, ["classify", input, Path.Combine(full, "grade.tif"), "--method", "equal", "--classes", "4"] })
            {
                var (code, _, stderr) = await CliRunner.RunAsync(_work.Path, ["raster", .. args]);
                Assert.True(code == 1, $"raster {args[0]} on a full disk exited {code}: {stderr}");
                Assert.Contains("error: ", stderr, StringComparison.Ordinal);
                Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
                foreach (var f in Directory.GetFiles(full))
                {
                    File.Delete(f);
                }
            }
        }
        finally
        {
            await Run("umount", full);
        }
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(string file, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
