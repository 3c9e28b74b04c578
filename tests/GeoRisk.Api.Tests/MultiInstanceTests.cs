using System.Net;
using System.Net.Http.Json;
using GeoRisk.Api.Security;
using GeoRisk.Samples;
using GeoRisk.Tests.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GeoRisk.Api.Tests;

/// <summary>Two service instances on one PostGIS database and one raster folder see each other's writes at once: on the first request after the write.</summary>
public sealed class MultiInstanceTests : IAsyncLifetime
{
    private readonly SampleSetFixture _samples = new();
    private readonly TempDirectory _shared = new("georisk-multi");
    private WebApplicationFactory<Program> _a = null!;
    private WebApplicationFactory<Program> _b = null!;
    private string _key = "";

    public async Task InitializeAsync()
    {
        var (store, cs) = TestStores.Create(_shared.Path, postgis: true);
        await using (store)
        {
            await store.InitializeAsync();
            await new SampleSetLoader(store).LoadAsync(_samples.Path);
        }

        _key = new ApiKeyStore(_shared.Path).Create("geologist", Role.Geologist).Key;
        WebApplicationFactory<Program> Instance() => new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            foreach (var (k, v) in TestStores.Settings(_shared.Path, cs))
            {
                b.UseSetting(k, v);
            }

            b.UseSetting("GeoRisk:DefaultModelPath", Path.Combine(_samples.Path, "models", "bortala-default.json"));
        });
        _a = Instance();
        _b = Instance();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _samples.Dispose();
        _shared.Dispose();
    }

    [Fact]
    public async Task UploadAndRunOnOneInstance_VisibleOnTheOtherAtTheFirstRequest()
    {
        var a = _a.CreateClient();
        a.DefaultRequestHeaders.Add("X-API-Key", _key);
        var b = _b.CreateClient();
        var tile = GeoRisk.Tiles.WebMercator.TileRange(new NetTopologySuite.Geometries.Envelope(82.05, 82.05, 44.9, 44.9), 8);
        var url = $"/tiles/zoning/8/{tile.MinX}/{tile.MinY}.mvt";

        // Warm B's caches first, so the test shows they are not stale afterwards.
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync(new Uri(url, UriKind.Relative))).StatusCode);
        using (var run = await a.PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), JsonContent.Create(new { cellSize = 2000 })))
        {
            await JobPolling.WaitForSuccess(a, run.Headers.Location!.ToString());
        }

        // The first request to B after A's job succeeded: no retry, no waiting for a cache to expire.
        using var fromB = await b.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, fromB.StatusCode);
        var etag1 = fromB.Headers.ETag!.Tag;

        using (var run = await a.PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), JsonContent.Create(new { cellSize = 1500 })))
        {
            await JobPolling.WaitForSuccess(a, run.Headers.Location!.ToString());
        }

        using var again = await b.GetAsync(new Uri(url, UriKind.Relative));
        Assert.NotEqual(etag1, again.Headers.ETag!.Tag);

        // An upload through A is listed by B, with its tiles.
        var file = await File.ReadAllBytesAsync(_samples.File("flood/bortala_flood_zones.geojson"));
        using var form = new MultipartFormDataContent { { new ByteArrayContent(file), "file", "f.geojson" }, { new StringContent("flood-zones"), "kind" }, { new StringContent("flood-b"), "layer" } };
        using (var upload = await a.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), form))
        {
            await JobPolling.WaitForSuccess(a, upload.Headers.Location!.ToString());
        }

        var layers = await b.GetStringAsync(new Uri("/api/v1/layers", UriKind.Relative));
        Assert.Contains("bortala-flood-2023/flood-b", layers, StringComparison.Ordinal);
        using var tj = await b.GetAsync(new Uri("/tiles/bortala-flood-2023:flood-b.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, tj.StatusCode);
    }
}
