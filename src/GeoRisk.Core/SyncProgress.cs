namespace GeoRisk.Core;

/// <summary>
/// Reports progress on the caller's thread. <see cref="Progress{T}"/> posts each report to the thread pool,
/// which can reorder them; progress bars and job records need them in order.
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
