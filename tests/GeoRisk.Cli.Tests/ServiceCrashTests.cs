using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;

namespace GeoRisk.Cli.Tests;

/// <summary>
/// The crash harness of issue #9: the real service (`georisk serve`) is killed with SIGKILL at random
/// moments during uploads and zoning runs, more than 20 times, and restarted each time. After every
/// restart the store is consistent, the current layer version and zoning run are complete ones, and a job
/// that was running is reported as failed with code "interrupted".
/// </summary>
public sealed class ServiceCrashTests(SampleSetFixture samples) : IClassFixture<SampleSetFixture>, IDisposable
{
    private const int ZoneCount = 30_000;
    private readonly TempDirectory _work = new("georisk-service-crash");

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Service_KilledDuringUploadsAndRuns_RestartsConsistentWithInterruptedJobsReported()
    {
        var store = _work.File("store");
        var demo = await CliRunner.RunAsync(_work.Path, "demo", "--surveys", samples.Path, "--store", store, "--cell-size", "2000", "--no-serve");
        Assert.True(demo.ExitCode == 0, demo.Stderr);
        var key = demo.Stdout.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("grk_", StringComparison.Ordinal));
        var big = BigZones();
        var model = Path.Combine(samples.Path, "models", "bortala-default.json");

        var random = new Random(20110116);
        var kills = 0;
        var interrupted = 0;
        for (var round = 0; kills < 22 && round < 60; round++)
        {
            var port = Ports.Free();
            using var server = Start(ServeInfo(store, port, model));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add("X-API-Key", key);
            try
            {
                await WaitForHealth(http, server);
                var upload = round % 2 == 0;
                using var response = upload
                    ? await http.PostAsync(new Uri("/api/v1/surveys/bortala-geohazard-50k/layers", UriKind.Relative), new MultipartFormDataContent
                    {
                        { new ByteArrayContent(big), "file", "big.geojson" }, { new StringContent("hazard-zones"), "kind" }, { new StringContent("crash-zones"), "layer" },
                    })
                    : await http.PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), JsonContent.Create(new { cellSize = 400 + (round * 7), force = true }));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                var jobUrl = response.Headers.Location!.ToString();
                await Task.Delay(random.Next(20, upload ? 2500 : 4000));
                server.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
                kills++;
                await server.WaitForExitAsync();

                // Restart and look.
                var port2 = Ports.Free();
                using var again = Start(ServeInfo(store, port2, model));
                using var http2 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port2}"), Timeout = TimeSpan.FromSeconds(30) };
                http2.DefaultRequestHeaders.Add("X-API-Key", key);
                try
                {
                    await WaitForHealth(http2, again);
                    using var job = JsonDocument.Parse(await http2.GetStringAsync(new Uri(jobUrl, UriKind.Relative)));
                    var state = job.RootElement.GetProperty("state").GetString();
                    Assert.True(state is "succeeded" or "failed", $"round {round}: job {state}");
                    if (state == "failed")
                    {
                        Assert.Equal("interrupted", job.RootElement.GetProperty("error").GetProperty("code").GetString());
                        interrupted++;
                    }
                }
                finally
                {
                    again.Kill(entireProcessTree: true);
                    await again.WaitForExitAsync();
                }

                await using var gpkg = new GeoPackageStore(new GeoPackageStoreOptions { Directory = store });
                await gpkg.InitializeAsync();
                var problems = await gpkg.CheckConsistencyAsync();
                Assert.True(problems.Count == 0, $"round {round}: " + string.Join("; ", problems));
                if ((await gpkg.ListLayersAsync()).FirstOrDefault(l => l.Name == "crash-zones") is { } layer)
                {
                    Assert.Equal(ZoneCount, layer.FeatureCount); // a complete version or none
                }

                var run = await gpkg.GetZoningRunAsync();
                Assert.NotNull(run);
                Assert.All(run!.Rasters.Values, path => Assert.True(File.Exists(path)));
            }
            finally
            {
                if (!server.HasExited)
                {
                    server.Kill(entireProcessTree: true);
                }
            }
        }

        Assert.True(kills >= 20, $"only {kills} kills");
        // Most kills land while the job runs; the check above held for every one of them.
        Assert.True(interrupted >= 10, $"only {interrupted} kills interrupted a running job");
    }

    private ProcessStartInfo ServeInfo(string store, int port, string model)
    {
        var psi = CliRunner.StartInfo(_work.Path, "serve", "--store", store, "--urls", $"http://127.0.0.1:{port}");
        psi.Environment["GEORISK_MODEL"] = model;
        psi.Environment["GeoRisk__DefaultModelPath"] = model;
        return psi;
    }

    /// <summary>Starts a process and drains its output, so a full pipe never blocks it.</summary>
    private static Process Start(ProcessStartInfo psi)
    {
        var p = Process.Start(psi)!;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task WaitForHealth(HttpClient http, Process server)
    {
        for (var i = 0; i < 300; i++)
        {
            Assert.False(server.HasExited, "the service exited at start");
            try
            {
                using var r = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail("the service did not come up");
    }

    private static byte[] BigZones()
    {
        var sb = new StringBuilder("{\"type\":\"FeatureCollection\",\"features\":[");
        for (var i = 0; i < ZoneCount; i++)
        {
            var x = 80 + (i % 200 * 0.015);
            var y = 44.1 + (i / 200 * 0.006);
            sb.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ",")}{{\"type\":\"Feature\",\"properties\":{{\"grade\":{(i % 4) + 1}}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{x},{y}],[{x + 0.01},{y}],[{x + 0.01},{y + 0.005}],[{x},{y}]]]}}}}");
        }

        return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
    }
}
