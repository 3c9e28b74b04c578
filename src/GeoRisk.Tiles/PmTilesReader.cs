using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace GeoRisk.Tiles;

/// <summary>The header fields of a PMTiles v3 archive a tile server needs.</summary>
public sealed record PmTilesHeader(
    ulong RootOffset, ulong RootLength, ulong MetadataOffset, ulong MetadataLength, ulong LeavesOffset, ulong LeavesLength,
    ulong DataOffset, ulong DataLength, byte InternalCompression, byte TileCompression, byte TileType, int MinZoom, int MaxZoom,
    double MinLon, double MinLat, double MaxLon, double MaxLat)
{
    /// <summary>True when the stored tiles are gzip-compressed (else uncompressed).</summary>
    public bool TilesGzipped => TileCompression == PmTilesFormat.CompressionGzip;
}

/// <summary>
/// Reads tiles from a PMTiles v3 archive file by byte range: the header and root directory at open, then only the
/// leaf directories and tile bytes a request needs (pread, so requests run concurrently). Leaf directories are cached
/// up to a bound on the entries held. Every offset, length, count and nesting level is checked against the file and
/// fixed limits first, so a hostile archive is an <see cref="InvalidDataException"/>, never a crash or an unbounded
/// allocation.
/// </summary>
public sealed class PmTilesReader : IDisposable
{
    /// <summary>Root → leaf → leaf → leaf is the deepest any writer needs; deeper means a loop.</summary>
    public const int MaxDepth = 4;

    /// <summary>Largest directory or metadata accepted, compressed and decompressed.</summary>
    public const int MaxDirectoryBytes = 16 << 20;

    /// <summary>Largest tile served (the service's own tiles stay far below).</summary>
    public const int MaxTileBytes = 16 << 20;

    /// <summary>Leaf-directory entries kept in memory at most (about 24 bytes each).</summary>
    public const int CacheEntryBudget = 1 << 20;

    private readonly SafeFileHandle _file;
    private readonly long _fileLength;
    private readonly string _name;
    private readonly Entry[] _root;
    private readonly Dictionary<ulong, LinkedListNode<(ulong Offset, Entry[] Entries)>> _leaves = [];
    private readonly LinkedList<(ulong Offset, Entry[] Entries)> _lru = new();
    private int _cachedEntries;

    private PmTilesReader(SafeFileHandle file, string name)
    {
        _file = file;
        _name = name;
        _fileLength = RandomAccess.GetLength(file);
        if (_fileLength < PmTilesFormat.HeaderLength)
        {
            throw Bad($"is {_fileLength} bytes, shorter than the {PmTilesFormat.HeaderLength}-byte header");
        }

        var h = new byte[PmTilesFormat.HeaderLength];
        RandomAccess.Read(_file, h, 0);
        if (!h.AsSpan(0, 7).SequenceEqual("PMTiles"u8))
        {
            throw Bad("does not start with the PMTiles magic");
        }

        if (h[7] != 3)
        {
            throw Bad($"is PMTiles version {h[7]}; only version 3 is read");
        }

        ulong U64(int at) => BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(at));
        double E7(int at) => BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(at)) / 1e7;
        Header = new PmTilesHeader(U64(8), U64(16), U64(24), U64(32), U64(40), U64(48), U64(56), U64(64), h[97], h[98], h[99], h[100], h[101],
            E7(102), E7(106), E7(110), E7(114));
        CheckSection("root directory", Header.RootOffset, Header.RootLength);
        CheckSection("metadata", Header.MetadataOffset, Header.MetadataLength);
        CheckSection("leaf directories", Header.LeavesOffset, Header.LeavesLength);
        CheckSection("tile data", Header.DataOffset, Header.DataLength);
        if (Header.RootLength > PmTilesFormat.FirstFetchLength)
        {
            throw Bad($"has a {Header.RootLength}-byte root directory; the spec keeps it within the first {PmTilesFormat.FirstFetchLength} bytes");
        }

        if (Header.InternalCompression is not (PmTilesFormat.CompressionNone or PmTilesFormat.CompressionGzip) ||
            Header.TileCompression is not (PmTilesFormat.CompressionNone or PmTilesFormat.CompressionGzip))
        {
            throw Bad($"uses compression codes {Header.InternalCompression}/{Header.TileCompression}; only none (1) and gzip (2) are read");
        }

        if (Header.TileType != PmTilesFormat.TileTypeMvt)
        {
            throw Bad($"holds tile type {Header.TileType}, not Mapbox vector tiles (1)");
        }

        if (Header.MinZoom > Header.MaxZoom || Header.MaxZoom > TileId.MaxZoom)
        {
            throw Bad($"declares zooms {Header.MinZoom}–{Header.MaxZoom}");
        }

        _root = ReadDirectory(Header.RootOffset, Header.RootLength, "root directory");
    }

    /// <summary>The archive's header.</summary>
    public PmTilesHeader Header { get; }

    /// <summary>Opens an archive file and reads its header and root directory.</summary>
    /// <exception cref="InvalidDataException">The file is not a PMTiles v3 archive of MVT tiles this reader can serve.</exception>
    public static PmTilesReader Open(string path)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        try
        {
            return new PmTilesReader(file, Path.GetFileName(path));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The archive's JSON metadata (decompressed).</summary>
    /// <exception cref="InvalidDataException">The metadata cannot be read.</exception>
    public string ReadMetadata() => Encoding.UTF8.GetString(ReadSection(Header.MetadataOffset, Header.MetadataLength, "metadata"));

    /// <summary>The tile's bytes as stored (gzip when <see cref="PmTilesHeader.TilesGzipped"/>), with its data offset; null when absent.</summary>
    /// <exception cref="InvalidDataException">A directory on the way, or the tile's location, is invalid.</exception>
    public (byte[] Bytes, ulong Offset)? ReadTile(TileId tile)
    {
        if (!tile.IsValid || tile.Z < Header.MinZoom || tile.Z > Header.MaxZoom)
        {
            return null;
        }

        var id = PmTilesFormat.TileIdOf(tile);
        var directory = _root;
        for (var depth = 1; depth <= MaxDepth; depth++)
        {
            var i = Array.BinarySearch(directory, new Entry(id, 0, 0, 0), EntryComparer.Instance);
            i = i >= 0 ? i : ~i - 1;
            if (i < 0)
            {
                return null;
            }

            var e = directory[i];
            if (e.RunLength > 0)
            {
                if (id - e.TileId >= e.RunLength)
                {
                    return null;
                }

                if (e.Offset > Header.DataLength || e.Length > Header.DataLength - e.Offset || e.Length > MaxTileBytes)
                {
                    throw Bad($"points tile {tile} at bytes {e.Offset}+{e.Length}, outside its {Header.DataLength}-byte tile data");
                }

                var bytes = new byte[e.Length];
                ReadExactly(bytes, Header.DataOffset + e.Offset);
                return (bytes, e.Offset);
            }

            directory = Leaf(e);
        }

        throw Bad($"nests leaf directories deeper than {MaxDepth} levels (a loop?) for tile {tile}");
    }

    public void Dispose() => _file.Dispose();

    private Entry[] Leaf(Entry pointer)
    {
        lock (_lru)
        {
            if (_leaves.TryGetValue(pointer.Offset, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                return node.Value.Entries;
            }
        }

        if (pointer.Offset > Header.LeavesLength || pointer.Length > Header.LeavesLength - pointer.Offset)
        {
            throw Bad($"points a leaf directory at bytes {pointer.Offset}+{pointer.Length}, outside its {Header.LeavesLength}-byte leaf section");
        }

        var entries = ReadDirectory(Header.LeavesOffset + pointer.Offset, pointer.Length, "leaf directory");
        lock (_lru)
        {
            if (!_leaves.ContainsKey(pointer.Offset))
            {
                _leaves[pointer.Offset] = _lru.AddFirst((pointer.Offset, entries));
                _cachedEntries += entries.Length;
                while (_cachedEntries > CacheEntryBudget && _lru.Last is { } oldest && oldest != _lru.First)
                {
                    _lru.RemoveLast();
                    _leaves.Remove(oldest.Value.Offset);
                    _cachedEntries -= oldest.Value.Entries.Length;
                }
            }
        }

        return entries;
    }

    private Entry[] ReadDirectory(ulong offset, ulong length, string what)
    {
        var bytes = ReadSection(offset, length, what);
        var at = 0;
        ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (at >= bytes.Length)
                {
                    throw Bad($"has a truncated {what}");
                }

                var b = bytes[at++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw Bad($"has an over-long varint in its {what}");
        }

        // Each entry takes at least four bytes (one per varint column): a count beyond that is a lie, refused before allocating.
        var count = Varint();
        if (count > (ulong)(bytes.Length - at) / 4)
        {
            throw Bad($"declares {count} entries in a {bytes.Length}-byte {what}");
        }

        var entries = new Entry[count];
        ulong id = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            var delta = Varint();
            if (i > 0 && delta == 0 || ulong.MaxValue - id < delta)
            {
                throw Bad($"has tile ids out of order in its {what}");
            }

            id += delta;
            entries[i].TileId = id;
        }

        for (var i = 0; i < entries.Length; i++)
        {
            entries[i].RunLength = (uint)Math.Min(Varint(), uint.MaxValue);
        }

        for (var i = 0; i < entries.Length; i++)
        {
            var l = Varint();
            entries[i].Length = l <= int.MaxValue ? (uint)l : throw Bad($"has a {l}-byte entry in its {what}");
        }

        for (var i = 0; i < entries.Length; i++)
        {
            var v = Varint();
            // 0 means "right after the previous entry"; otherwise the offset plus one.
            entries[i].Offset = v == 0 && i > 0
                ? entries[i - 1].Offset + entries[i - 1].Length
                : v > 0 ? v - 1 : throw Bad($"has an invalid first offset in its {what}");
        }

        return entries;
    }

    private byte[] ReadSection(ulong offset, ulong length, string what)
    {
        if (length > MaxDirectoryBytes)
        {
            throw Bad($"has a {length}-byte {what}, more than the {MaxDirectoryBytes} read");
        }

        var bytes = new byte[length];
        ReadExactly(bytes, offset);
        return Header.InternalCompression == PmTilesFormat.CompressionGzip
            ? PmTilesFormat.Gunzip(bytes, MaxDirectoryBytes, $"Archive {_name}: its {what}")
            : bytes;
    }

    private void ReadExactly(byte[] buffer, ulong offset)
    {
        if (offset > (ulong)_fileLength || (ulong)buffer.Length > (ulong)_fileLength - offset)
        {
            throw Bad($"is truncated: {buffer.Length} bytes at {offset} lie past its end ({_fileLength} bytes)");
        }

        var read = 0;
        while (read < buffer.Length)
        {
            var n = RandomAccess.Read(_file, buffer.AsSpan(read), (long)offset + read);
            read += n > 0 ? n : throw Bad($"is truncated at byte {(long)offset + read}");
        }
    }

    private void CheckSection(string what, ulong offset, ulong length)
    {
        if (offset > (ulong)_fileLength || length > (ulong)_fileLength - offset)
        {
            throw Bad($"places its {what} at bytes {offset}+{length}, past its end ({_fileLength} bytes)");
        }
    }

    private InvalidDataException Bad(string problem) => new($"Archive {_name} {problem}.");

    private struct Entry(ulong tileId, ulong offset, uint length, uint runLength)
    {
        public ulong TileId = tileId;
        public ulong Offset = offset;
        public uint Length = length;
        public uint RunLength = runLength;
    }

    private sealed class EntryComparer : IComparer<Entry>
    {
        public static readonly EntryComparer Instance = new();

        public int Compare(Entry x, Entry y) => x.TileId.CompareTo(y.TileId);
    }
}
