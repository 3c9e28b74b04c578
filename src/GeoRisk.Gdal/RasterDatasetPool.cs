using System.Collections.Concurrent;

namespace GeoRisk.Gdal;

/// <summary>
/// Open read-only datasets kept for reuse, for services that read a few cells of the same rasters on every
/// request (site risk reads the grade, index and factor COGs of the current run). Opening a COG per read
/// threw away GDAL's decoded blocks with the handle, so every query decompressed whole tiles again; with the
/// handles kept, GDAL's block cache (bounded by GDAL_CACHEMAX) serves repeated reads. A GDAL handle is used
/// by one thread at a time, so each rent takes a handle no one else holds. A file is known by its path, size
/// and modification time: a raster rewritten in place gets fresh handles. At most
/// <see cref="MaxFiles"/> files and <see cref="MaxHandlesPerFile"/> idle handles per file are kept.
/// </summary>
public sealed class RasterDatasetPool : IDisposable
{
    private readonly ConcurrentDictionary<FileKey, Entry> _entries = new();
    private readonly Lock _evictGate = new();
    private long _clock;
    private bool _disposed;

    public RasterDatasetPool(int maxFiles = 64, int maxHandlesPerFile = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFiles, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHandlesPerFile, 1);
        MaxFiles = maxFiles;
        MaxHandlesPerFile = maxHandlesPerFile;
    }

    /// <summary>The pool the service's readers share (like GDAL's block cache, one per process).</summary>
    public static RasterDatasetPool Shared { get; } = new();

    public int MaxFiles { get; }

    public int MaxHandlesPerFile { get; }

    /// <summary>Files with handles kept (for tests and metrics).</summary>
    public int FileCount => _entries.Count;

    /// <summary>Runs <paramref name="read"/> with a handle on <paramref name="path"/> that no other thread uses meanwhile.</summary>
    /// <exception cref="GdalException">The file cannot be opened as a raster.</exception>
    public T Use<T>(string path, Func<RasterDataset, T> read)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var key = FileKey.Of(path);
        var entry = _entries.GetOrAdd(key, _ => new Entry());
        entry.LastUse = Interlocked.Increment(ref _clock);
        if (_entries.Count > MaxFiles)
        {
            EvictOldest();
        }

        var dataset = entry.Idle.TryTake(out var idle) ? idle : RasterDataset.Open(path);
        try
        {
            return read(dataset);
        }
        finally
        {
            // Back to the pool unless the file was evicted (or the pool disposed) meanwhile, or enough are idle.
            if (!_disposed && !entry.Evicted && entry.Idle.Count < MaxHandlesPerFile)
            {
                entry.Idle.Add(dataset);
                if (entry.Evicted || _disposed)
                {
                    Drain(entry);
                }
            }
            else
            {
                dataset.Dispose();
            }
        }
    }

    /// <summary>One cell of band 1.</summary>
    public T ReadCell<T>(string path, int column, int row) where T : unmanaged => Use(path, dataset =>
    {
        Span<T> one = stackalloc T[1];
        dataset.Read(1, column, row, 1, 1, one);
        return one[0];
    });

    /// <summary>A window of band 1, row-major.</summary>
    public T[] ReadWindow<T>(string path, int x, int y, int width, int height) where T : unmanaged => Use(path, dataset =>
    {
        var data = new T[width * height];
        dataset.Read<T>(1, x, y, width, height, data);
        return data;
    });

    public void Dispose()
    {
        _disposed = true;
        foreach (var key in _entries.Keys)
        {
            if (_entries.TryRemove(key, out var entry))
            {
                entry.Evicted = true;
                Drain(entry);
            }
        }
    }

    private void EvictOldest()
    {
        lock (_evictGate)
        {
            while (_entries.Count > MaxFiles)
            {
                var oldest = _entries.MinBy(e => e.Value.LastUse);
                if (_entries.TryRemove(oldest.Key, out var entry))
                {
                    entry.Evicted = true;
                    Drain(entry);
                }
            }
        }
    }

    private static void Drain(Entry entry)
    {
        while (entry.Idle.TryTake(out var dataset))
        {
            dataset.Dispose();
        }
    }

    private sealed class Entry
    {
        public readonly ConcurrentBag<RasterDataset> Idle = [];
        public long LastUse;
        public volatile bool Evicted;
    }

    private readonly record struct FileKey(string Path, long Length, DateTime Modified)
    {
        public static FileKey Of(string path)
        {
            var info = new FileInfo(path);
            // A missing file still gets a key; RasterDataset.Open then reports it with GDAL's message.
            return info.Exists ? new FileKey(info.FullName, info.Length, info.LastWriteTimeUtc) : new FileKey(info.FullName, -1, default);
        }
    }
}
