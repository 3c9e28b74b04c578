using System.Net;
using System.Text.Json;

namespace GeoRisk.Api.Tests;

/// <summary>
/// Issue #16 defect 5: twelve parallel anonymous zoning.png?width=4000 held the service for seconds and grew it by
/// 2 GB (no cache, no concurrency limit, no cancellation); items?limit=10000 pages did the same on a smaller
/// scale; failed authentication was never rate-limited.
/// </summary>
public sealed class MapRenderQueueTests
{
    [Fact]
    public async Task QueueFull_RefusedAtOnce_AbortedWaiterLeavesAndNeverRenders()
    {
        using var queue = new MapRenderQueue(concurrency: 1, queueLength: 1);
        var release = new TaskCompletionSource();
        var started = new TaskCompletionSource();
        var first = queue.GetAsync("a", () =>
        {
            started.SetResult();
            release.Task.Wait();
            return [1];
        }, CancellationToken.None);
        await started.Task.WaitAsync(TimeSpan.FromMinutes(1));

        using var abort = new CancellationTokenSource();
        var waiting = queue.GetAsync("b", () => [2], abort.Token); // takes the one queue place
        await Assert.ThrowsAsync<RenderQueueFullException>(() => queue.GetAsync("c", () => [3], CancellationToken.None));

        abort.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        var next = queue.GetAsync("d", () => [4], CancellationToken.None); // the place is free again
        release.SetResult();
        Assert.Equal([1], await first);
        Assert.Equal([4], await next);
        Assert.Equal(2, queue.Renders); // "b" never rendered
    }

    [Fact]
    public async Task SameMapRequestedInParallel_RenderedOnceThenCached()
    {
        using var queue = new MapRenderQueue(concurrency: 1, queueLength: 20);
        var renders = 0;
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => queue.GetAsync("same", () =>
        {
            Interlocked.Increment(ref renders);
            Thread.Sleep(20);
            return [7];
        }, CancellationToken.None)));
        Assert.All(results, r => Assert.Equal([7], r));
        Assert.Equal(1, renders);
        Assert.Equal([7], await queue.GetAsync("same", () => throw new InvalidOperationException("cached"), CancellationToken.None));
    }
}

public sealed class ResourceLimitTests(WriteFixture fx) : IClassFixture<WriteFixture>
{
    [Fact]
    public async Task FailedAuthentication_LimitedPerClient_429EvenForAGoodKeyUntilTheWindowEnds()
    {
        await using var limited = fx.Create(("GeoRisk:FailedAuthPerMinute", "3"));
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            var guess = limited.CreateClient();
            guess.DefaultRequestHeaders.Add("X-API-Key", $"grk_guess{i}");
            using var r = await guess.GetAsync(new Uri("/api/v1/layers", UriKind.Relative));
            codes.Add(r.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], codes);
        var good = limited.CreateClient();
        good.DefaultRequestHeaders.Add("X-API-Key", fx.Planner);
        using var blocked = await good.GetAsync(new Uri("/api/v1/layers", UriKind.Relative));
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Equal("rate-limited", JsonDocument.Parse(await blocked.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        // Anonymous reads carry no key and are not affected.
        using var anonymous = await limited.CreateClient().GetAsync(new Uri("/api/v1/layers", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
    }

    [Fact]
    public async Task Items_LargeLimit_ServedAsCappedPages()
    {
        var client = fx.Factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/collections/bortala-reference:counties/items?limit=10000", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var self = page.GetProperty("links").EnumerateArray().Single(l => l.GetProperty("rel").GetString() == "self").GetProperty("href").GetString()!;
        Assert.Contains($"limit={Endpoints.OgcEndpoints.MaxPage}&", self, StringComparison.Ordinal);
        Assert.True(page.GetProperty("numberReturned").GetInt32() <= Endpoints.OgcEndpoints.MaxPage);
    }

    [Fact]
    public async Task ZoningMap_ParallelIdenticalRequests_OneRenderAllServed()
    {
        var client = fx.Factory.CreateClient();
        // The write fixture has no zoning run until a test makes one; a map needs one.
        var key = fx.Factory.CreateClient();
        key.DefaultRequestHeaders.Add("X-API-Key", fx.Geologist);
        if ((await client.GetAsync(new Uri("/api/v1/zoning-runs/current", UriKind.Relative))).StatusCode == HttpStatusCode.NotFound)
        {
            using var start = await key.PostAsync(new Uri("/api/v1/zoning-runs", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(new { cellSize = 2000 }));
            await JobPolling.WaitForSuccess(key, start.Headers.Location!.ToString());
        }

        var queue = (MapRenderQueue)fx.Factory.Services.GetService(typeof(MapRenderQueue))!;
        var before = queue.Renders;
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetAsync(new Uri("/api/v1/maps/zoning.png?admin=652723&width=700", UriKind.Relative))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsByteArrayAsync()));
        Assert.All(bodies, b => Assert.Equal(bodies[0], b));
        // At most one render per render slot: the others waited and were served from the cache.
        Assert.InRange(queue.Renders - before, 1, 2);
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }
}
