using System.Diagnostics;
using System.Globalization;
using System.Text;
using GeoRisk.Gdal;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;

namespace GeoRisk.Cli.Tests;

/// <summary>
/// Kills `georisk ingest` with SIGKILL at random moments and checks that the store stays consistent and
/// the current version is always a complete one.
/// </summary>
public sealed class CrashSafetyTests : IDisposable
{
    private const int ZoneCount = 40_000;
    private readonly TempDirectory _work = new("georisk-crash");

    public void Dispose() => _work.Dispose();

    private string BigZonesGeoJson()
    {
        var path = _work.File("big.geojson");
        var sb = new StringBuilder("{\"type\":\"FeatureCollection\",\"features\":[");
        for (var i = 0; i < ZoneCount; i++)
        {
            var x = 80 + (i % 200 * 0.015);
            var y = 44 + (i / 200 * 0.006);
            sb.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ",")}{{\"type\":\"Feature\",\"properties\":{{\"grade\":{(i % 4) + 1}}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{x},{y}],[{x + 0.01},{y}],[{x + 0.01},{y + 0.005}],[{x},{y}]]]}}}}");
        }

        File.WriteAllText(path, sb.Append("]}").ToString());
        return path;
    }

    private string BigRaster()
    {
        var path = _work.File("big.tif");
        using var ds = RasterDataset.CreateGeoTiff(path, 3000, 3000, 1, RasterDataType.Float32, ["TILED=YES"]);
        ds.GeoTransform = [80, 0.001, 0, 45.3, 0, -0.001];
        using var crs = SpatialReference.FromEpsg(4490);
        ds.ProjectionWkt = crs.Wkt;
        var row = new float[3000 * 100];
        for (var y = 0; y < 3000; y += 100)
        {
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = (float)Math.Sin((y + (i / 3000)) * 0.01) * 1000;
            }

            ds.Write<float>(1, 0, y, 3000, 100, row);
        }

        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ingest_KilledAtRandomMoments_StoreStaysConsistent(bool postgis)
    {
        var store = _work.File("store");
        var env = postgis ? new Dictionary<string, string> { ["GEORISK_POSTGRES"] = PostgresCluster.CreateDatabase() } : null;
        Core.Storage.IGeoRiskStore Open() => postgis
            ? new Storage.PostGis.PostGisStore(new Storage.PostGis.PostGisStoreOptions { ConnectionString = env!["GEORISK_POSTGRES"], RasterDirectory = Path.Combine(store, "rasters") })
            : new GeoPackageStore(new GeoPackageStoreOptions { Directory = store });
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, env, "survey", "add", "s1", "--title", "crash test", "--store", store)).ExitCode);
        var small = _work.File("small.geojson");
        await File.WriteAllTextAsync(small, """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"grade":2},"geometry":{"type":"Polygon","coordinates":[[[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]]]}}]}""");
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, env, "ingest", small, "--kind", "hazard-zones", "--survey", "s1", "--layer", "zones", "--store", store)).ExitCode);

        var big = BigZonesGeoJson();
        var raster = BigRaster();
        // Measure one undisturbed run of each so the kills land across the whole ingest, publish included.
        var sw = Stopwatch.StartNew();
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, env, "ingest", big, "--kind", "hazard-zones", "--survey", "s1", "--layer", "zones", "--store", store)).ExitCode);
        var vectorMs = (int)sw.ElapsedMilliseconds;
        sw.Restart();
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, env, "ingest", raster, "--kind", "dem", "--survey", "s1", "--layer", "dem", "--store", store)).ExitCode);
        var rasterMs = (int)sw.ElapsedMilliseconds;

        // Kill until 12 runs have died mid-way. Run times vary with the load of the machine (other test
        // assemblies run in parallel), so a run that finishes before its kill only shortens later delays.
        var random = new Random(20170809);
        var kills = 0;
        for (var round = 0; kills < 12 && round < 40; round++)
        {
            var isRaster = round % 3 == 2;
            var estimate = isRaster ? rasterMs : vectorMs;
            var delay = random.Next(50, Math.Max(100, (int)(estimate * 0.8)));
            using var process = Process.Start(CliRunner.StartInfo(_work.Path, env, "ingest", isRaster ? raster : big, "--kind", isRaster ? "dem" : "hazard-zones", "--survey", "s1",
                "--layer", isRaster ? "dem" : "zones", "--store", store))!;
            var started = Stopwatch.StartNew();
            await Task.Delay(delay);
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true); // SIGKILL: no cleanup code runs
                kills++;
            }
            else if (isRaster)
            {
                rasterMs = (int)started.ElapsedMilliseconds;
            }
            else
            {
                vectorMs = (int)started.ElapsedMilliseconds;
            }

            await process.WaitForExitAsync();

            await using var gpkg = Open();
            await gpkg.InitializeAsync();
            var problems = await gpkg.CheckConsistencyAsync();
            Assert.True(problems.Count == 0, $"round {round} (killed after {delay} ms): " + string.Join("; ", problems));
            var zones = (await gpkg.ListLayersAsync()).Single(l => l.Name == "zones");
            Assert.Contains(zones.FeatureCount, new long[] { 1, ZoneCount });
            var stored = await gpkg.QueryFeaturesAsync("s1", "zones", null, ZoneCount + 1);
            Assert.Equal(zones.FeatureCount, stored.Count);
        }

        Assert.True(kills >= 12, $"only {kills} runs were killed before finishing");
        var check = await CliRunner.RunAsync(_work.Path, env, "store", "check", "--store", store);
        Assert.Equal(0, check.ExitCode);
        Assert.Contains("is consistent", check.Stdout, StringComparison.Ordinal);
    }
}
