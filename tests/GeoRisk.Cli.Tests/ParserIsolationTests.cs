using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using GeoRisk.Tests.Common;

namespace GeoRisk.Cli.Tests;

/// <summary>
/// Uploads are parsed in a `georisk ingest` worker process with its own memory limit: a worker that dies
/// (here: a file too large for a deliberately tiny heap) fails the job with "parser-failed", stores nothing
/// and leaves the service answering; an ordinary upload goes through the same worker path.
/// </summary>
public sealed class ParserIsolationTests(SampleSetFixture samples) : IClassFixture<SampleSetFixture>, IDisposable
{
    private readonly TempDirectory _work = new("georisk-isolation");

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task WorkerDies_JobFailsServiceSurvivesNothingStored_OrdinaryUploadStillWorks()
    {
        var store = _work.File("store");
        var demo = await CliRunner.RunAsync(_work.Path, "demo", "--surveys", samples.Path, "--store", store, "--cell-size", "2000", "--no-serve", "--no-compute");
        Assert.True(demo.ExitCode == 0, demo.Stderr);
        var key = demo.Stdout.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("grk_", StringComparison.Ordinal));
        var port = Ports.Free();
        var psi = CliRunner.StartInfo(_work.Path, "serve", "--store", store, "--urls", $"http://127.0.0.1:{port}");
        psi.Environment["GeoRisk__WorkerMemoryMB"] = "48";
        using var server = Process.Start(psi)!;
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Add("X-API-Key", key);
            // A hang guard, not a speed target: the service that never answers fails here, not at a later request.
            var healthy = false;
            for (var i = 0; i < 1200 && !(healthy = await Healthy(http)); i++)
            {
                await Task.Delay(100);
            }

            Assert.True(healthy, "the service did not answer /healthz within two minutes");

            var layersBefore = await http.GetStringAsync(new Uri("/api/v1/layers", UriKind.Relative));
            var big = new StringBuilder("{\"type\":\"FeatureCollection\",\"features\":[");
            for (var i = 0; i < 200_000; i++)
            {
                var x = 80 + (i % 400 * 0.0075);
                var y = 44.1 + (i / 400 * 0.0025);
                big.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ",")}{{\"type\":\"Feature\",\"properties\":{{\"grade\":{(i % 4) + 1},\"note\":\"{new string('x', 40)}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{x},{y}],[{x + 0.005},{y}],[{x + 0.005},{y + 0.002}],[{x},{y}]]]}}}}");
            }

            var failed = await UploadAndWait(http, Encoding.UTF8.GetBytes(big.Append("]}").ToString()), "huge");
            Assert.Equal("failed", failed.GetProperty("state").GetString());
            Assert.Equal("parser-failed", failed.GetProperty("error").GetProperty("code").GetString());
            Assert.True(failed.GetProperty("request").GetProperty("isolated").GetBoolean());
            Assert.True(await Healthy(http));
            Assert.Equal(layersBefore, await http.GetStringAsync(new Uri("/api/v1/layers", UriKind.Relative)));

            var ok = await UploadAndWait(http, await File.ReadAllBytesAsync(samples.File("flood/bortala_flood_zones.geojson")), "flood-isolated", "flood-zones", "bortala-flood-2023");
            Assert.Equal("succeeded", ok.GetProperty("state").GetString());
            Assert.Equal("bortala-flood-2023/flood-isolated", ok.GetProperty("result").GetProperty("layer").GetString());
            Assert.Equal(3, ok.GetProperty("report").GetProperty("featuresAccepted").GetInt32());

            // Issue #16 defect 2: the job reaches the worker as JSON, not as arguments. A file named like a
            // response file is just a name, and "@path" in a form field is a (bad) CRS, not a file to read.
            var flood = await File.ReadAllBytesAsync(samples.File("flood/bortala_flood_zones.geojson"));
            var at = await UploadAndWait(http, flood, "flood-at", "flood-zones", "bortala-flood-2023", fileName: "@lake.geojson");
            Assert.True(at.GetProperty("state").GetString() == "succeeded", at.ToString());
            var secret = _work.File("secret.txt");
            await File.WriteAllTextAsync(secret, "SECRET-7f3a9c\n");
            var injected = await UploadAndWait(http, flood, "flood-crs", "flood-zones", "bortala-flood-2023", crs: "@" + secret);
            Assert.Equal("failed", injected.GetProperty("state").GetString());
            Assert.Equal("bad-crs", injected.GetProperty("error").GetProperty("code").GetString());
            Assert.DoesNotContain("SECRET-7f3a9c", injected.ToString(), StringComparison.Ordinal);
            var option = await UploadAndWait(http, flood, "flood-opt", "flood-zones", "bortala-flood-2023", fileName: "--store=x.geojson");
            Assert.True(option.GetProperty("state").GetString() == "succeeded", option.ToString());
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static async Task<bool> Healthy(HttpClient http)
    {
        try
        {
            using var r = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
            return r.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<JsonElement> UploadAndWait(HttpClient http, byte[] file, string layer, string kind = "hazard-zones", string survey = "bortala-geohazard-50k", string? fileName = null, string? crs = null)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(file), "file", fileName ?? layer + ".geojson" }, { new StringContent(kind), "kind" }, { new StringContent(layer), "layer" } };
        if (crs is not null)
        {
            form.Add(new StringContent(crs), "crs");
        }

        using var response = await http.PostAsync(new Uri($"/api/v1/surveys/{survey}/layers", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        for (var i = 0; i < 1200; i++)
        {
            var job = JsonDocument.Parse(await http.GetStringAsync(new Uri(location, UriKind.Relative))).RootElement;
            if (job.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled")
            {
                return job;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("job did not finish");
    }
}
