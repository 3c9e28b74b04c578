namespace GeoRisk.Api;

/// <summary>
/// The workstation GC collects only when something allocates, so after a burst of large allocations (printable
/// maps, big pages) an idle service keeps hundreds of MB of garbage for as long as it stays idle. Every few
/// seconds this checks whether the managed heap has grown well past what the last full collection left, and
/// if so collects aggressively, which also returns the freed segments to the operating system. Under steady
/// load the GC's own collections keep the heap near its baseline, so this rarely runs.
/// </summary>
internal sealed class MemoryReclaimer(ILogger<MemoryReclaimer> logger) : BackgroundService
{
    private const long GrowthBytes = 128L * 1024 * 1024;
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_retryAfter = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(s_interval);
        var floor = GC.GetTotalMemory(forceFullCollection: false); // the smallest heap a collection has left
        var lastAfter = floor;
        var lastCollection = DateTime.UtcNow;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var heap = GC.GetTotalMemory(forceFullCollection: false);
            // Mid-burst much of the heap is alive: collect again only when it has grown since, or a while later.
            if (heap > floor + GrowthBytes && (heap > lastAfter + (GrowthBytes / 4) || DateTime.UtcNow - lastCollection > s_retryAfter))
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                lastAfter = GC.GetTotalMemory(forceFullCollection: false);
                floor = Math.Min(floor, lastAfter);
                lastCollection = DateTime.UtcNow;
                logger.LogDebug("Reclaimed managed memory: {Before} MB allocated, {After} MB after an aggressive collection", heap >> 20, lastAfter >> 20);
            }
        }
    }
}
