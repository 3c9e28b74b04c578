using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeoRisk.Api.Security;
using GeoRisk.Samples;
using GeoRisk.Tests.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GeoRisk.Api.Tests;

/// <summary>A service with its own store (the tests here change it) and keys for each role.</summary>
public sealed class WriteFixture : IAsyncLifetime
{
    private readonly SampleSetFixture _samples = new();
    private readonly TempDirectory _store = new("georisk-api-write");
    private string? _connectionString;

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    public string Planner { get; private set; } = "";

    public string Geologist { get; private set; } = "";

    public string Revoked { get; private set; } = "";

    /// <summary>A second geologist: jobs of one are not the other's.</summary>
    public string OtherGeologist { get; private set; } = "";

    public string Admin { get; private set; } = "";

    public SampleSetFixture Samples => _samples;

    public string StoreDirectory => _store.Path;

    public async Task InitializeAsync()
    {
        var (created, connectionString) = TestStores.Create(_store.Path);
        _connectionString = connectionString;
        await using (var store = created)
        {
            await store.InitializeAsync();
            await new SampleSetLoader(store).LoadAsync(_samples.Path);
        }

        var keys = new ApiKeyStore(_store.Path);
        Planner = keys.Create("planner", Role.Planner).Key;
        Geologist = keys.Create("geologist", Role.Geologist).Key;
        OtherGeologist = keys.Create("geologist", Role.Geologist).Key; // same name, another key
        Admin = keys.Create("admin", Role.Admin).Key;
        var (revoked, key) = keys.Create("former", Role.Admin);
        keys.Revoke(revoked.Id);
        Revoked = key;
        Factory = Create();
    }

    public WebApplicationFactory<Program> Create(params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            foreach (var (key, value) in TestStores.Settings(_store.Path, _connectionString))
            {
                b.UseSetting(key, value);
            }

            b.UseSetting("GeoRisk:DefaultModelPath", Path.Combine(_samples.Path, "models", "bortala-default.json"));
            foreach (var (k, v) in settings)
            {
                b.UseSetting(k, v);
            }
        });

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        _samples.Dispose();
        _store.Dispose();
    }
}

public sealed class WriteTests(WriteFixture fx) : IClassFixture<WriteFixture>
{
    private HttpClient Client(string? key = null, WebApplicationFactory<Program>? factory = null)
    {
        var client = (factory ?? fx.Factory).CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-API-Key", key);
        }

        return client;
    }

    private static MultipartFormDataContent Upload(byte[] file, string fileName, string kind, string? layer = null)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(file), "file", fileName }, { new StringContent(kind), "kind" } };
        if (layer is not null)
        {
            form.Add(new StringContent(layer), "layer");
        }

        return form;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static Task<JsonElement> WaitForJob(HttpClient client, string location) => JobPolling.WaitForJob(client, location);

    [Fact]
    public async Task Keys_UnknownOrRevoked401_PlannerCannotUpload403()
    {
        using var unknown = await Client("grk_not-a-key").GetAsync(new Uri("/api/v1/layers", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("unauthorized", (await Json(unknown)).GetProperty("code").GetString());
        Assert.True(unknown.Headers.WwwAuthenticate.Count > 0);

        using var revoked = await Client(fx.Revoked).GetAsync(new Uri("/tiles", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);

        var file = await File.ReadAllBytesAsync(fx.Samples.File("flood/bortala_flood_zones.geojson"));
        using var anonymous = await Client().PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), Upload(file, "f.geojson", "flood-zones"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var planner = await Client(fx.Planner).PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), Upload(file, "f.geojson", "flood-zones"));
        Assert.Equal(HttpStatusCode.Forbidden, planner.StatusCode);
        Assert.Equal("forbidden", (await Json(planner)).GetProperty("code").GetString());

        // A planner reads fine.
        using var read = await Client(fx.Planner).GetAsync(new Uri("/api/v1/layers", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task Upload_Geologist_JobPublishesANewVersionWithReport()
    {
        var client = Client(fx.Geologist);
        var file = await File.ReadAllBytesAsync(fx.Samples.File("flood/bortala_flood_zones.geojson"));
        using var response = await client.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), Upload(file, "flood update.geojson", "flood-zones", "flood-zones-2025"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith("/api/v1/jobs/", location, StringComparison.Ordinal);
        var job = await WaitForJob(client, location);
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal(1.0, job.GetProperty("progress").GetDouble());
        Assert.Equal("bortala-flood-2023/flood-zones-2025", job.GetProperty("result").GetProperty("layer").GetString());
        Assert.Equal(3, job.GetProperty("report").GetProperty("featuresAccepted").GetInt32());
        Assert.Equal("geologist", job.GetProperty("owner").GetString());

        // Visible at once: the layer list and its tileset.
        var layers = await Json(await client.GetAsync(new Uri("/api/v1/layers", UriKind.Relative)));
        Assert.Contains(layers.EnumerateArray(), l => l.GetProperty("id").GetString() == "bortala-flood-2023/flood-zones-2025");
        using var tj = await client.GetAsync(new Uri("/tiles/bortala-flood-2023:flood-zones-2025.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, tj.StatusCode);
    }

    [Fact]
    public async Task Upload_RejectedFile_JobFailsWithCodeAndReportNothingStored()
    {
        var client = Client(fx.Geologist);
        var bad = Encoding.UTF8.GetBytes("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"grade":9},"geometry":{"type":"Polygon","coordinates":[[[82,44.5],[82.1,44.5],[82.1,44.6],[82,44.5]]]}}]}""");
        using var response = await client.PostAsync(new Uri("/api/v1/surveys/bortala-geohazard-50k/layers", UriKind.Relative), Upload(bad, "bad.geojson", "hazard-zones", "rejected-zones"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await WaitForJob(client, response.Headers.Location!.ToString());
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.False(string.IsNullOrEmpty(job.GetProperty("error").GetProperty("code").GetString()));
        Assert.True(job.GetProperty("report").GetProperty("errorCount").GetInt32() > 0);
        var layers = await Json(await client.GetAsync(new Uri("/api/v1/layers", UriKind.Relative)));
        Assert.DoesNotContain(layers.EnumerateArray(), l => l.GetProperty("id").GetString() == "bortala-geohazard-50k/rejected-zones");
    }

    [Fact]
    public async Task Upload_BadRequests_415_400_404()
    {
        var client = Client(fx.Geologist);
        using var json = await client.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal("unsupported-media-type", (await Json(json)).GetProperty("code").GetString());

        using var exe = await client.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), Upload([1, 2, 3], "tool.exe", "flood-zones"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, exe.StatusCode);
        Assert.Equal("unsupported-format", (await Json(exe)).GetProperty("code").GetString());

        using var kind = await client.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), Upload([1], "a.geojson", "volcanoes"));
        Assert.Equal(HttpStatusCode.BadRequest, kind.StatusCode);
        Assert.True((await Json(kind)).GetProperty("errors").TryGetProperty("kind", out _));

        using var name = await client.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), Upload([1], "a.geojson", "flood-zones", "x'; DROP TABLE georisk_layers;--"));
        Assert.Equal(HttpStatusCode.BadRequest, name.StatusCode);

        using var survey = await client.PostAsync(new Uri("/api/v1/surveys/nope/layers", UriKind.Relative), Upload([1], "a.geojson", "flood-zones"));
        Assert.Equal(HttpStatusCode.NotFound, survey.StatusCode);
    }

    [Fact]
    public async Task Upload_OversizeBody_413()
    {
        await using var small = fx.Create(("GeoRisk:MaxUploadBytes", "10000"));
        var client = Client(fx.Geologist, small);
        using var response = await client.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), Upload(new byte[50_000], "big.geojson", "flood-zones"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload-too-large", (await Json(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task ZoningRun_DefaultModelFileMissing_422NamingTheFix_NoServerPath()
    {
        await using var bare = fx.Create(("GeoRisk:DefaultModelPath", Path.Combine(fx.StoreDirectory, "no-such-model.json")));
        using var response = await Client(fx.Geologist, bare).PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), JsonContent.Create(new { cellSize = 2000 }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await Json(response);
        Assert.Equal("no-default-model", problem.GetProperty("code").GetString());
        Assert.DoesNotContain("no-such-model", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writes_RateLimited_429()
    {
        await using var limited = fx.Create(("GeoRisk:WritesPerMinute", "2"));
        var client = Client(fx.Geologist, limited);
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var r = await client.PostAsync(new Uri("/api/v1/surveys", UriKind.Relative), JsonContent.Create(new { id = $"rl-{i}", title = "t", scale = 10000, type = "FineSurvey" }));
            codes.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("rate-limited", (await Json(r)).GetProperty("code").GetString());
                Assert.True(r.Headers.RetryAfter is not null);
            }
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], codes);
    }

    [Fact]
    public async Task AnonymousReadOff_TilesNeedAKey()
    {
        await using var closed = fx.Create(("GeoRisk:AnonymousRead", "false"));
        using var anonymous = await Client(factory: closed).GetAsync(new Uri("/tiles", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var planner = await Client(fx.Planner, closed).GetAsync(new Uri("/tiles", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, planner.StatusCode);
        using var health = await Client(factory: closed).GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task ZoningRun_StartedOverHttp_CompletesAndBecomesCurrent()
    {
        var client = Client(fx.Geologist);
        using var response = await client.PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), JsonContent.Create(new { cellSize = 2000 }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await WaitForJob(client, response.Headers.Location!.ToString());
        Assert.True(job.GetProperty("state").GetString() == "succeeded", job.ToString());
        var runId = job.GetProperty("result").GetProperty("runId").GetInt32();
        var current = await Json(await client.GetAsync(new Uri("/api/v1/zoning-runs/current", UriKind.Relative)));
        Assert.Equal(runId, current.GetProperty("id").GetInt32());

        using var bad = await client.PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), JsonContent.Create(new { cellSize = 0 }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Equal("invalid-model", (await Json(bad)).GetProperty("code").GetString());

        using var planner = await Client(fx.Planner).PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), JsonContent.Create(new { cellSize = 2000 }));
        Assert.Equal(HttpStatusCode.Forbidden, planner.StatusCode);
    }

    [Fact]
    public async Task Job_RunningWhenTheServiceDied_ReportedFailedInterrupted()
    {
        var jobs = Path.Combine(fx.StoreDirectory, "jobs");
        Directory.CreateDirectory(jobs);
        await File.WriteAllTextAsync(Path.Combine(jobs, "deadbeef00000000.json"),
            """{"id":"deadbeef00000000","kind":"ingest","state":"running","phase":"publishing","progress":0.6,"createdAt":"2026-11-29T10:00:00+00:00","owner":"geologist"}""");
        await using var restarted = fx.Create();
        // A job file without an owner key (written before jobs were owned) is an admin's to see.
        var job = await Json(await Client(fx.Admin, restarted).GetAsync(new Uri("/api/v1/jobs/deadbeef00000000", UriKind.Relative)));
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Equal("interrupted", job.GetProperty("error").GetProperty("code").GetString());
    }

    /// <summary>
    /// A cancel is deterministic here: a job started on the manager holds the zoning lane (one run at a time) until it is
    /// cancelled, so the run posted behind it is still queued when DELETE arrives, and the holder is running when it is
    /// cancelled in turn. Neither may end in any state but cancelled.
    /// </summary>
    [Fact]
    public async Task Job_CancelQueuedAndRunning_Cancelled_UnknownIs404()
    {
        var jobs = fx.Factory.Services.GetRequiredService<Jobs.JobManager>();
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = jobs.Start("zoning", "admin", null, new { test = "holds the zoning lane" }, async context =>
        {
            holding.SetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return null;
        });
        await holding.Task.WaitAsync(JobPolling.HangGuard);

        var client = Client(fx.Geologist);
        using var response = await client.PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), JsonContent.Create(new { cellSize = 300, force = true }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.Equal("queued", (await Json(await client.GetAsync(new Uri(location, UriKind.Relative)))).GetProperty("state").GetString());
        using (var cancel = await client.DeleteAsync(new Uri(location, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        var queued = await WaitForJob(client, location);
        Assert.Equal("cancelled", queued.GetProperty("state").GetString());
        Assert.Equal("cancelled", queued.GetProperty("error").GetProperty("code").GetString());

        var admin = Client(fx.Admin);
        var holderLocation = $"/api/v1/jobs/{holder.Id}";
        Assert.Equal("running", (await Json(await admin.GetAsync(new Uri(holderLocation, UriKind.Relative)))).GetProperty("state").GetString());
        using (var cancel = await admin.DeleteAsync(new Uri(holderLocation, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        Assert.Equal("cancelled", (await WaitForJob(admin, holderLocation)).GetProperty("state").GetString());

        using var missing = await client.GetAsync(new Uri("/api/v1/jobs/nope", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>Issue #16 defect 8: GDAL's messages name files by their full server path, and reached the job report.</summary>
    [Fact]
    public async Task Upload_UnreadableFile_ReportNamesNoServerPath()
    {
        var client = Client(fx.Geologist);
        using var response = await client.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), Upload(Encoding.UTF8.GetBytes("not a geopackage at all"), "broken.gpkg", "flood-zones", "broken"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await WaitForJob(client, response.Headers.Location!.ToString());
        Assert.Equal("failed", job.GetProperty("state").GetString());
        var text = job.ToString();
        Assert.DoesNotContain(Path.GetFullPath(fx.StoreDirectory), text, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetTempPath(), text, StringComparison.Ordinal);
    }

    /// <summary>Issue #16 defect 8: a malformed multipart body answered 413 and a truncated one 500.</summary>
    [Fact]
    public async Task Upload_MalformedOrTruncatedMultipart_400()
    {
        var client = Client(fx.Geologist);
        async Task Expect400(string body)
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=XyZ");
            using var response = await client.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), content);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("bad-multipart", (await Json(response)).GetProperty("code").GetString());
        }

        await Expect400("this is not multipart at all");
        await Expect400("--XyZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nflood-zones\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.geojson\"\r\n\r\n{\"type\":");
        await Expect400("--XyZ\r\nbroken header line without colon\r\n\r\nx\r\n--XyZ--\r\n");
        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    /// <summary>Issue #16 defect 8: uploading another kind under an existing layer name crashed the worker.</summary>
    [Fact]
    public async Task Upload_LayerKindConflict_409BeforeAnyJob()
    {
        var file = await File.ReadAllBytesAsync(fx.Samples.File("flood/bortala_flood_zones.geojson"));
        var layers = await Json(await Client(fx.Geologist).GetAsync(new Uri("/api/v1/layers", UriKind.Relative)));
        var flood = layers.EnumerateArray().First(l => l.GetProperty("kind").GetString() == "flood-zones");
        using var response = await Client(fx.Geologist).PostAsync(new Uri($"/api/v1/surveys/{flood.GetProperty("surveyId").GetString()}/layers", UriKind.Relative),
            Upload(file, "f.geojson", "lakes", flood.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("layer-kind-conflict", (await Json(response)).GetProperty("code").GetString());
    }

    /// <summary>Issue #16 defect 8: a newline in a file name reached the log (and the record).</summary>
    [Fact]
    public async Task Upload_FileNameWithNewline_RecordedSanitised()
    {
        var client = Client(fx.Geologist);
        var file = await File.ReadAllBytesAsync(fx.Samples.File("flood/bortala_flood_zones.geojson"));
        var form = new MultipartFormDataContent { { new StringContent("flood-zones"), "kind" }, { new StringContent("flood-nl"), "layer" } };
        var part = new ByteArrayContent(file);
        // RFC 5987 encoding carries a newline through the part header.
        part.Headers.TryAddWithoutValidation("Content-Disposition", "form-data; name=\"file\"; filename=\"a.geojson\"; filename*=UTF-8''a%0AERROR%20forged%20line.geojson");
        form.Add(part);
        using var response = await client.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await WaitForJob(client, response.Headers.Location!.ToString());
        var name = job.GetProperty("request").GetProperty("file").GetString()!;
        Assert.DoesNotContain('\n', name);
        Assert.Equal("a_ERROR forged line.geojson", name);
    }

    /// <summary>Issue #16 defect 8: absolute links were built from the client's Host header; no security headers were sent.</summary>
    [Fact]
    public async Task Links_NotFromHostHeader_PublicBaseUrlWhenSet_SecurityHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/tiles/zoning.json", UriKind.Relative));
        request.Headers.Host = "evil.example";
        using var forged = await Client().SendAsync(request);
        var tiles = (await Json(forged)).GetProperty("tiles")[0].GetString()!;
        Assert.DoesNotContain("evil.example", tiles, StringComparison.Ordinal);
        Assert.StartsWith("http://localhost/", tiles, StringComparison.Ordinal);

        await using var proxied = fx.Create(("GeoRisk:PublicBaseUrl", "https://georisk.example.org/map/"));
        var style = await Json(await Client(factory: proxied).GetAsync(new Uri("/styles/georisk.json", UriKind.Relative)));
        Assert.Equal("https://georisk.example.org/map/tiles/zoning.json", style.GetProperty("sources").GetProperty("zoning").GetProperty("url").GetString());

        using var page = await Client().GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("worker-src 'self' blob:", csp, StringComparison.Ordinal);
    }

    /// <summary>Issue #16 defect 4: any geologist could cancel any job and anonymous callers listed every job with its report.</summary>
    [Fact]
    public async Task Jobs_VisibleAndCancellableByTheirKeyAndAdminsOnly_Paged()
    {
        var owner = Client(fx.Geologist);
        var bad = Encoding.UTF8.GetBytes("""{"type":"FeatureCollection","features":[]}""");
        var locations = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await owner.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), Upload(bad, $"empty{i}.geojson", "flood-zones", $"owned-{i}"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            locations.Add(response.Headers.Location!.ToString());
        }

        foreach (var location in locations)
        {
            await WaitForJob(owner, location);
        }

        var location0 = locations[0];
        using (var anonymousList = await Client().GetAsync(new Uri("/api/v1/jobs", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymousList.StatusCode);
        }

        using (var anonymousJob = await Client().GetAsync(new Uri(location0, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymousJob.StatusCode);
        }

        var other = Client(fx.OtherGeologist);
        using (var peek = await other.GetAsync(new Uri(location0, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, peek.StatusCode);
        }

        using (var cancel = await other.DeleteAsync(new Uri(location0, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        }

        var otherList = await Json(await other.GetAsync(new Uri("/api/v1/jobs", UriKind.Relative)));
        Assert.DoesNotContain(otherList.EnumerateArray(), j => locations.Contains("/api/v1/jobs/" + j.GetProperty("id").GetString()));

        using var page = await owner.GetAsync(new Uri("/api/v1/jobs?limit=2", UriKind.Relative));
        var ownPage = await Json(page);
        Assert.Equal(2, ownPage.GetArrayLength());
        Assert.True(int.Parse(page.Headers.GetValues("X-Total-Count").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 3);
        Assert.Contains("offset=2", page.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        using (var tooMany = await owner.GetAsync(new Uri("/api/v1/jobs?limit=100000", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
            Assert.Equal("bad-limit", (await Json(tooMany)).GetProperty("code").GetString());
        }

        var admin = Client(fx.Admin);
        using (var seen = await admin.GetAsync(new Uri(location0, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
        }

        using (var cancelled = await admin.DeleteAsync(new Uri(location0, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        }
    }

    /// <summary>Issue #16 defect 6: POST /surveys silently upserted, so a geologist could rank a survey first with acceptedOn=9999-12-31.</summary>
    [Fact]
    public async Task Surveys_GeologistSubmitsDraft_OnlyAnAdminAccepts()
    {
        var geologist = Client(fx.Geologist);
        using (var selfAccepted = await geologist.PostAsync(new Uri("/api/v1/surveys", UriKind.Relative),
            JsonContent.Create(new { id = "self-ranked", title = "t", scale = 1, type = "FineSurvey", acceptedOn = "9999-12-31" })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, selfAccepted.StatusCode);
            Assert.Equal("acceptance-by-admin", (await Json(selfAccepted)).GetProperty("code").GetString());
        }

        using (var numericType = await geologist.PostAsync(new Uri("/api/v1/surveys", UriKind.Relative), JsonContent.Create(new { id = "typed", title = "t", scale = 10000, type = "99" })))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, numericType.StatusCode);
            Assert.Equal("invalid-survey", (await Json(numericType)).GetProperty("code").GetString());
        }

        using (var draft = await geologist.PostAsync(new Uri("/api/v1/surveys", UriKind.Relative), JsonContent.Create(new { id = "jinghe-fine", title = "t", scale = 10000, type = "FineSurvey" })))
        {
            Assert.Equal(HttpStatusCode.Created, draft.StatusCode);
            Assert.False((await Json(draft)).GetProperty("accepted").GetBoolean());
        }

        // An accepted survey's precedence is not overwritten by registering it again.
        using (var again = await geologist.PostAsync(new Uri("/api/v1/surveys", UriKind.Relative), JsonContent.Create(new { id = "bortala-flood-2023", title = "t", scale = 1, type = "FineSurvey" })))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Equal("survey-exists", (await Json(again)).GetProperty("code").GetString());
        }

        using (var notAdmin = await geologist.PostAsync(new Uri("/api/v1/surveys/jinghe-fine/acceptance", UriKind.Relative), JsonContent.Create(new { acceptedOn = "2025-06-30" })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        }

        var admin = Client(fx.Admin);
        using (var future = await admin.PostAsync(new Uri("/api/v1/surveys/jinghe-fine/acceptance", UriKind.Relative), JsonContent.Create(new { acceptedOn = "9999-12-31" })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, future.StatusCode);
        }

        using (var accepted = await admin.PostAsync(new Uri("/api/v1/surveys/jinghe-fine/acceptance", UriKind.Relative), JsonContent.Create(new { acceptedOn = "2025-06-30", scale = 10000 })))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        var surveys = await Json(await geologist.GetAsync(new Uri("/api/v1/surveys", UriKind.Relative)));
        var fine = surveys.EnumerateArray().Single(s => s.GetProperty("id").GetString() == "jinghe-fine");
        Assert.True(fine.GetProperty("accepted").GetBoolean());
        Assert.Equal("2025-06-30", fine.GetProperty("acceptedOn").GetString());
    }

    /// <summary>Issue #16 defect 4: the admin role existed but no endpoint required it; keys and store checks are admin-only now.</summary>
    [Fact]
    public async Task Admin_KeysAndStoreCheck_AdminOnly()
    {
        using (var geologist = await Client(fx.Geologist).GetAsync(new Uri("/api/v1/admin/keys", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, geologist.StatusCode);
        }

        using (var anonymous = await Client().PostAsync(new Uri("/api/v1/admin/store/check", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        var admin = Client(fx.Admin);
        var listed = await admin.GetStringAsync(new Uri("/api/v1/admin/keys", UriKind.Relative));
        Assert.Contains("\"geologist\"", listed, StringComparison.Ordinal);
        Assert.DoesNotContain("sha256", listed, StringComparison.OrdinalIgnoreCase);

        using var created = await admin.PostAsync(new Uri("/api/v1/admin/keys", UriKind.Relative), JsonContent.Create(new { name = "qgis workstation", role = "planner" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await Json(created);
        var key = body.GetProperty("key").GetString()!;
        using (var read = await Client(key).GetAsync(new Uri("/api/v1/layers", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using (var revoke = await admin.DeleteAsync(new Uri($"/api/v1/admin/keys/{body.GetProperty("id").GetString()}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        using (var refused = await Client(key).GetAsync(new Uri("/api/v1/layers", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var badRole = await admin.PostAsync(new Uri("/api/v1/admin/keys", UriKind.Relative), JsonContent.Create(new { name = "x", role = "2" })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        }

        var check = await Json(await admin.PostAsync(new Uri("/api/v1/admin/store/check", UriKind.Relative), null));
        Assert.True(check.GetProperty("consistent").GetBoolean(), check.ToString());
    }
}

public sealed class FreshnessTests(WriteFixture fx) : IClassFixture<WriteFixture>
{
    /// <summary>
    /// Tiles answer from the new data on the first request after a write (no retry, no wait), and only the tiles whose data
    /// changed get a new ETag (ETags hash the tile's bytes): an upload that adds a flood polygon in one z8 tile changes that
    /// tile of the flood layer and no other tile; the zoning run after it changes the hazard zoning (flood is a hazard
    /// trigger) and leaves the reference layers alone.
    /// </summary>
    [Fact]
    public async Task AfterRunAndUpload_OnlyAffectedTilesChange_Immediately()
    {
        var client = fx.Factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-API-Key", fx.Geologist);
        static string At(double lon, double lat)
        {
            var tile = GeoRisk.Tiles.WebMercator.TileRange(new NetTopologySuite.Geometries.Envelope(lon, lon, lat, lat), 8);
            return $"8/{tile.MinX}/{tile.MinY}";
        }

        // The edited tile (Bole) and one the edit does not reach (Wenquan, a z8 tile further west); the flood layer has
        // polygons in both.
        var edited = At(82.05, 44.9);
        var untouched = At(80.5, 44.9);
        Assert.NotEqual(edited, untouched);
        const string Flood = "bortala-flood-2023:flood-zones";
        string[] tilesets = ["zoning", "zoning-hazard", "bortala-reference:counties", Flood];
        async Task<Dictionary<string, string>> ETags()
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var tileset in tilesets)
            {
                foreach (var xy in new[] { edited, untouched })
                {
                    using var r = await client.GetAsync(new Uri($"/tiles/{tileset}/{xy}.mvt", UriKind.Relative));
                    Assert.True(r.StatusCode == HttpStatusCode.OK, $"{tileset}/{xy}: {r.StatusCode}");
                    tags[$"{tileset}/{xy}"] = r.Headers.ETag!.Tag;
                }
            }

            return tags;
        }

        void AssertChanged(Dictionary<string, string> before, Dictionary<string, string> after, params string[] changed)
        {
            foreach (var (key, tag) in before)
            {
                if (changed.Contains(key))
                {
                    Assert.True(tag != after[key], $"{key} did not change");
                }
                else
                {
                    Assert.True(tag == after[key], $"{key} changed");
                }
            }
        }

        async Task Run()
        {
            using var response = await client.PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), JsonContent.Create(new { cellSize = 2000 }));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await JobPolling.WaitForSuccess(client, response.Headers.Location!.ToString());
        }

        await Run();
        var afterFirstRun = await ETags();

        // A new version of the flood layer: the same three scenarios plus a small 10-year polygon inside the edited tile.
        var flood = JsonNode.Parse(await File.ReadAllTextAsync(fx.Samples.File("flood/bortala_flood_zones.geojson")))!;
        var added = JsonNode.Parse("""
            {"type":"Feature","properties":{"return_period":10,"depth_m":0.5,"velocity_m_s":0.5,"scenario":"test pond"},
             "geometry":{"type":"Polygon","coordinates":[[[82.00,44.96],[82.03,44.96],[82.03,44.98],[82.00,44.98],[82.00,44.96]]]}}
            """)!;
        flood["features"]!.AsArray().Add(added);
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(flood.ToJsonString())), "file", "flood.geojson" },
            { new StringContent("flood-zones"), "kind" },
            { new StringContent("flood-zones"), "layer" },
        };
        using (var upload = await client.PostAsync(new Uri("/api/v1/surveys/bortala-flood-2023/layers", UriKind.Relative), form))
        {
            Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
            var job = await JobPolling.WaitForSuccess(client, upload.Headers.Location!.ToString());
            Assert.Equal(4, job.GetProperty("report").GetProperty("featuresAccepted").GetInt32());
        }

        var afterUpload = await ETags();
        AssertChanged(afterFirstRun, afterUpload, $"{Flood}/{edited}");

        await Run();
        var afterSecondRun = await ETags();
        Assert.NotEqual(afterUpload[$"zoning-hazard/{edited}"], afterSecondRun[$"zoning-hazard/{edited}"]);
        // Flood is no susceptibility factor, so the susceptibility zoning ("zoning") is the same too.
        foreach (var tileset in new[] { "zoning", "bortala-reference:counties", Flood })
        {
            Assert.Equal(afterUpload[$"{tileset}/{edited}"], afterSecondRun[$"{tileset}/{edited}"]);
            Assert.Equal(afterUpload[$"{tileset}/{untouched}"], afterSecondRun[$"{tileset}/{untouched}"]);
        }
    }
}
