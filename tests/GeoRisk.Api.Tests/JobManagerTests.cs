using GeoRisk.Api.Jobs;
using GeoRisk.Tests.Common;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeoRisk.Api.Tests;

/// <summary>Issue #16 defect 7: upload folders (up to 512 MB each) leaked when a queued job was cancelled, and nothing swept them.</summary>
public sealed class JobManagerTests : IDisposable
{
    private readonly TempDirectory _store = new("georisk-jobs");

    public void Dispose() => _store.Dispose();

    private JobManager Create() => new(new GeoRiskServiceOptions { StoreDirectory = _store.Path }, NullLogger<JobManager>.Instance);

    [Fact]
    public async Task QueuedUploadCancelled_ItsFolderIsDeleted()
    {
        using var jobs = Create();
        var release = new TaskCompletionSource();
        // Two running uploads fill the ingest lane, so the third waits in the queue.
        var running = Enumerable.Range(0, 2).Select(_ => jobs.Start("ingest", "g", "k", new { }, async c =>
        {
            await release.Task.WaitAsync(c.CancellationToken);
            return null;
        })).ToList();
        // The third starts only once both hold the lane: started together, the thread pool may run it first.
        await WaitAsync(() => running.All(r => jobs.Get(r.Id)!.State == JobState.Running), "the two uploads to start");
        var id = JobManager.NewId();
        Directory.CreateDirectory(jobs.UploadDirectory(id));
        await File.WriteAllBytesAsync(Path.Combine(jobs.UploadDirectory(id), "upload.geojson"), new byte[1024]);
        var queued = jobs.Start("ingest", "g", "k", new { }, _ => Task.FromResult<object?>(null), id);
        Assert.Equal(JobState.Queued, jobs.Get(queued.Id)!.State);

        jobs.Cancel(queued.Id);
        await WaitAsync(() => jobs.Get(queued.Id)!.State == JobState.Cancelled, "the queued job to be cancelled");
        Assert.False(Directory.Exists(jobs.UploadDirectory(id)));
        release.SetResult();
    }

    [Fact]
    public void StartUp_SweepsUploadFoldersOfFinishedOrUnknownJobs()
    {
        var uploads = Path.Combine(_store.Path, "jobs", "uploads");
        Directory.CreateDirectory(Path.Combine(uploads, "orphan0000000000"));
        File.WriteAllBytes(Path.Combine(uploads, "orphan0000000000", "upload.zip"), new byte[1024]);
        Directory.CreateDirectory(Path.Combine(uploads, "deadbeef00000000"));
        File.WriteAllText(Path.Combine(_store.Path, "jobs", "deadbeef00000000.json"),
            """{"id":"deadbeef00000000","kind":"ingest","state":"queued","phase":"queued","progress":0,"createdAt":"2026-11-29T10:00:00+00:00","owner":"g"}""");
        using var jobs = Create();
        Assert.Empty(Directory.GetDirectories(uploads));
        Assert.Equal("interrupted", jobs.Get("deadbeef00000000")!.Error!.Code);
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 600; i++)
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"timed out waiting for {what}");
    }
}
