using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GeoRisk.Tests.Common;

namespace GeoRisk.Cli.Tests;

public sealed class CliTests(SampleSetFixture samples) : IClassFixture<SampleSetFixture>, IDisposable
{
    private readonly TempDirectory _work = new("georisk-cli");

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Version_PrintsSemverAndExitsZero()
    {
        var (code, stdout, _) = await CliRunner.RunAsync(_work.Path, "--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout.Trim());
    }

    [Fact]
    public async Task Help_ListsCommands()
    {
        var (code, stdout, _) = await CliRunner.RunAsync(_work.Path, "--help");
        Assert.Equal(0, code);
        foreach (var command in new[] { "demo", "serve", "survey", "ingest", "layers", "samples" })
        {
            Assert.Contains(command, stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Ingest_UnknownKind_ExitsWithUsageError()
    {
        var file = _work.File("x.geojson");
        await File.WriteAllTextAsync(file, "{}");
        var (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "ingest", file, "--kind", "volcanoes", "--survey", "s");
        Assert.Equal(2, code);
        Assert.Contains("unknown kind 'volcanoes'", stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue #16 defect 2: System.CommandLine expanded "@file" arguments, so a file named @lake.geojson was read as a response file.</summary>
    [Fact]
    public async Task Ingest_FileNamedLikeAResponseFile_IsAFile()
    {
        File.Copy(samples.File("flood/bortala_flood_zones.geojson"), _work.File("@lake.geojson"));
        var store = _work.File("store-at");
        Assert.Equal(0, (await CliRunner.RunAsync(_work.Path, "survey", "add", "s-at", "--title", "t", "--store", store)).ExitCode);
        var (code, stdout, stderr) = await CliRunner.RunAsync(_work.Path, "ingest", "@lake.geojson", "--kind", "flood-zones", "--survey", "s-at", "--store", store);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("published s-at/flood-zones version 1", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_UnregisteredSurvey_ExitsNotFound()
    {
        var (code, _, stderr) = await CliRunner.RunAsync(_work.Path, "ingest", samples.File("flood/bortala_flood_zones.geojson"), "--kind", "flood-zones", "--survey", "nope", "--store", _work.File("store"));
        Assert.Equal(4, code);
        Assert.Contains("not registered", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SurveyAddIngestLayers_EndToEnd()
    {
        var store = _work.File("store");
        var add = await CliRunner.RunAsync(_work.Path, "survey", "add", "bole-10k", "--title", "Bole key area", "--scale", "10000", "--type", "FineSurvey", "--accepted-on", "2024-10-20", "--store", store);
        Assert.Equal(0, add.ExitCode);

        var ingest = await CliRunner.RunAsync(_work.Path, "ingest", samples.File("geohazard-10k/bole_yfx_fq_10k.zip"), "--kind", "hazard-zones", "--survey", "bole-10k", "--store", store);
        Assert.True(ingest.ExitCode == 0, ingest.Stdout + ingest.Stderr);
        Assert.Contains("encoding-detected", ingest.Stdout, StringComparison.Ordinal);
        Assert.Contains("published bole-10k/hazard-zones version 1", ingest.Stdout, StringComparison.Ordinal);

        var layers = await CliRunner.RunAsync(_work.Path, "layers", "--store", store);
        Assert.Equal(0, layers.ExitCode);
        Assert.Contains("bole-10k/hazard-zones", layers.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_RejectedUpload_ExitsThreeAndStoresNothing()
    {
        var store = _work.File("store");
        await CliRunner.RunAsync(_work.Path, "survey", "add", "s1", "--title", "t", "--store", store);
        var bad = _work.File("bad.geojson");
        await File.WriteAllTextAsync(bad, """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"grade":9},"geometry":{"type":"Polygon","coordinates":[[[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]]]}}]}""");

        var (code, stdout, stderr) = await CliRunner.RunAsync(_work.Path, "ingest", bad, "--kind", "hazard-zones", "--survey", "s1", "--store", store);

        Assert.Equal(3, code);
        Assert.Contains("bad-attribute", stdout, StringComparison.Ordinal);
        Assert.Contains("nothing was stored", stderr, StringComparison.Ordinal);
        var layers = await CliRunner.RunAsync(_work.Path, "layers", "--store", store);
        Assert.DoesNotContain("s1/hazard-zones", layers.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_LoadsSampleSetThenServesHealthz()
    {
        var store = _work.File("store");
        var port = Ports.Free();
        var psi = CliRunner.StartInfo(_work.Path, "demo", "--surveys", samples.Path, "--store", store, "--cell-size", "1000", "--urls", $"http://127.0.0.1:{port}");
        using var process = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        try
        {
            // A first request to a service still warming up on a loaded machine can take seconds: the deadline
            // below bounds the wait, not each request.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            JsonElement? health = null;
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (health is null && DateTime.UtcNow < deadline && !process.HasExited)
            {
                try
                {
                    health = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/healthz"))).RootElement;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    await Task.Delay(250);
                }
            }

            Assert.True(health.HasValue, "service did not come up: " + output);
            Assert.Equal(17, health.Value.GetProperty("layers").GetInt32());
            // The store's kind only: its server path is printed for the operator below, never served (issue #16).
            Assert.Equal("geopackage", health.Value.GetProperty("store").GetProperty("kind").GetString());
            Assert.DoesNotContain(Path.GetFullPath(store), health.Value.ToString(), StringComparison.Ordinal);
            lock (output)
            {
                Assert.Contains($"Serving on http://127.0.0.1:{port}", output.ToString(), StringComparison.Ordinal);
                Assert.Contains("bole-geohazard-10k/hazard-zones", output.ToString(), StringComparison.Ordinal);
                Assert.Contains("zoning run 1 published", output.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
