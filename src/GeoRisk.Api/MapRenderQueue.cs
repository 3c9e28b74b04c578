namespace GeoRisk.Api;

/// <summary>The render queue is full: the caller answers 503 with Retry-After.</summary>
public sealed class RenderQueueFullException() : Exception("Too many maps are being rendered; retry shortly.");

/// <summary>
/// Printable maps are CPU- and memory-heavy (a 4000-pixel map is tens of MB while drawn), so anonymous callers
/// must not be able to start them without bound: at most <c>concurrency</c> render at once and at most
/// <c>queueLength</c> wait (beyond that 503); a request aborted while it waits leaves the queue and one
/// aborted before its turn never renders; finished maps are kept in a size-bounded cache (keyed by run id,
/// so a new zoning run is a new key), which also serves identical requests that waited for a render.
/// </summary>
/// <remarks>
/// The map endpoint runs without the general request timeout: a render cannot be stopped half-way, and a
/// timeout firing during one would abort the connection when the finished map is written. Waiting in the
/// queue is bounded by <c>queueWait</c> (then 503) instead, and only a bounded number render at a time.
/// </remarks>
public sealed class MapRenderQueue(int concurrency, int queueLength, TimeSpan? queueWait = null, long cacheBytes = 64L * 1024 * 1024) : IDisposable
{
    private readonly TimeSpan _queueWait = queueWait ?? TimeSpan.FromSeconds(20);
    private readonly SemaphoreSlim _slots = new(Math.Max(1, concurrency), Math.Max(1, concurrency));
    private readonly LinkedList<(string Key, byte[] Png)> _cache = new();
    private readonly Lock _cacheGate = new();
    private long _cachedBytes;
    private int _pending;
    private long _renders;

    /// <summary>Renders actually run (not served from the cache).</summary>
    public long Renders => Interlocked.Read(ref _renders);

    /// <exception cref="RenderQueueFullException">Too many renders are running or waiting, or the wait for a render slot took too long.</exception>
    /// <exception cref="OperationCanceledException">The request was aborted before its render started.</exception>
    public Task<byte[]> GetAsync(string key, Func<byte[]> render, CancellationToken cancellationToken) =>
        GetAsync(key, _ => Task.Run(render, cancellationToken), cancellationToken);

    /// <summary>As above, with a render that loads its data asynchronously (only once it has a slot and missed the cache).</summary>
    public async Task<byte[]> GetAsync(string key, Func<CancellationToken, Task<byte[]>> render, CancellationToken cancellationToken)
    {
        if (TryCached(key) is { } cached)
        {
            return cached;
        }

        if (Interlocked.Increment(ref _pending) > Math.Max(1, concurrency) + Math.Max(0, queueLength))
        {
            Interlocked.Decrement(ref _pending);
            throw new RenderQueueFullException();
        }

        try
        {
            if (!await _slots.WaitAsync(_queueWait, cancellationToken))
            {
                throw new RenderQueueFullException();
            }

            try
            {
                // Whoever rendered while this request waited may have rendered the same map.
                if (TryCached(key) is { } rendered)
                {
                    return rendered;
                }

                cancellationToken.ThrowIfCancellationRequested();
                Interlocked.Increment(ref _renders);
                var png = await render(cancellationToken);
                Remember(key, png);
                return png;
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    private byte[]? TryCached(string key)
    {
        lock (_cacheGate)
        {
            for (var node = _cache.First; node is not null; node = node.Next)
            {
                if (node.Value.Key == key)
                {
                    _cache.Remove(node);
                    _cache.AddFirst(node);
                    return node.Value.Png;
                }
            }
        }

        return null;
    }

    private void Remember(string key, byte[] png)
    {
        lock (_cacheGate)
        {
            _cache.AddFirst((key, png));
            _cachedBytes += png.Length;
            while (_cachedBytes > cacheBytes && _cache.Last is { } last)
            {
                _cachedBytes -= last.Value.Png.Length;
                _cache.RemoveLast();
            }
        }
    }

    public void Dispose() => _slots.Dispose();
}
