using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace GeoRisk.Tiles;

/// <summary>
/// Writes a PMTiles v3 archive (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md) of gzip-compressed
/// MVT tiles: tiles are added in any order and staged in a temporary file, identical contents are stored once,
/// runs of consecutive tile ids with identical contents become one directory entry, and the archive is clustered
/// (tile data in tile-id order). Directories and metadata are gzip-compressed; the root directory stays within the
/// first 16 KiB, with leaf directories when the tileset is large.
/// </summary>
public sealed class PmTilesWriter : IDisposable
{
    private const int HeaderLength = PmTilesFormat.HeaderLength;
    private const int RootBudget = PmTilesFormat.FirstFetchLength - HeaderLength;
    private readonly List<(ulong TileId, ulong Offset, uint Length)> _tiles = [];
    private readonly Dictionary<string, (ulong Offset, uint Length)> _contents = new(StringComparer.Ordinal);
    private readonly string _stagingPath = Path.GetTempFileName();
    private readonly FileStream _staging;
    private ulong _stagedLength;

    public PmTilesWriter() =>
        _staging = new FileStream(_stagingPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);

    /// <summary>Distinct tile contents stored so far.</summary>
    public int ContentCount => _contents.Count;

    /// <summary>Tiles added so far.</summary>
    public int TileCount => _tiles.Count;

    /// <summary>The PMTiles tile id: tiles of lower zooms first, then the Hilbert-curve index within the zoom.</summary>
    public static ulong TileIdOf(TileId tile) => PmTilesFormat.TileIdOf(tile);

    /// <summary>Adds one tile's gzip-compressed MVT bytes (empty tiles are simply not added).</summary>
    /// <exception cref="ArgumentException">The tile was added before.</exception>
    public void Add(TileId tile, ReadOnlySpan<byte> gzipped)
    {
        var key = Convert.ToHexString(SHA256.HashData(gzipped));
        if (!_contents.TryGetValue(key, out var stored))
        {
            stored = (_stagedLength, (uint)gzipped.Length);
            _staging.Write(gzipped);
            _stagedLength += (ulong)gzipped.Length;
            _contents[key] = stored;
        }

        _tiles.Add((TileIdOf(tile), stored.Offset, stored.Length));
    }

    /// <summary>Writes the archive: header, root directory, metadata, leaf directories, tile data.</summary>
    /// <param name="metadataJson">The archive's JSON metadata (TileJSON-like: name, vector_layers, attribution …).</param>
    /// <param name="bounds">lon/lat bounds of the tiles.</param>
    /// <exception cref="InvalidOperationException">No tile was added, or a tile id was added twice.</exception>
    public void WriteTo(
        Stream output, string metadataJson, (double MinLon, double MinLat, double MaxLon, double MaxLat) bounds, int minZoom, int maxZoom)
    {
        SortAndCheckTileIds();
        var (layout, dataLength) = ClusteredLayout();
        var entries = RunLengthEntries(layout);
        var (root, leaves) = Directories(entries);
        var metadata = Gzip(Encoding.UTF8.GetBytes(metadataJson));
        var sections = new Sections(root.Length, metadata.Length, leaves.Length, dataLength);
        var header = Header(sections, (ulong)_tiles.Count, (ulong)entries.Count, (ulong)layout.Count, bounds, minZoom, maxZoom);

        output.Write(header);
        output.Write(root);
        output.Write(metadata);
        output.Write(leaves);
        WriteTileData(output);
    }

    /// <exception cref="InvalidOperationException">No tile was added, or a tile id was added twice.</exception>
    private void SortAndCheckTileIds()
    {
        if (_tiles.Count == 0)
        {
            throw new InvalidOperationException("A PMTiles archive needs at least one tile.");
        }

        _tiles.Sort((a, b) => a.TileId.CompareTo(b.TileId));
        for (var i = 1; i < _tiles.Count; i++)
        {
            if (_tiles[i].TileId == _tiles[i - 1].TileId)
            {
                throw new InvalidOperationException($"Tile id {_tiles[i].TileId} was added twice.");
            }
        }
    }

    /// <summary>Clustered: tile data in tile-id order. Contents are re-laid out in the order of their first use (staged offset → data offset).</summary>
    private (Dictionary<ulong, ulong> Layout, ulong DataLength) ClusteredLayout()
    {
        var layout = new Dictionary<ulong, ulong>();
        ulong dataLength = 0;
        foreach (var t in _tiles)
        {
            if (layout.TryAdd(t.Offset, dataLength))
            {
                dataLength += t.Length;
            }
        }

        return (layout, dataLength);
    }

    /// <summary>Entries with run lengths: consecutive ids pointing at the same content collapse into one entry.</summary>
    private List<Entry> RunLengthEntries(Dictionary<ulong, ulong> layout)
    {
        var entries = new List<Entry>();
        foreach (var t in _tiles)
        {
            var offset = layout[t.Offset];
            if (entries.Count > 0 && entries[^1] is var last && last.Offset == offset && last.TileId + last.RunLength == t.TileId)
            {
                entries[^1] = last with { RunLength = last.RunLength + 1 };
            }
            else
            {
                entries.Add(new Entry(t.TileId, offset, t.Length, 1));
            }
        }

        return entries;
    }

    /// <summary>Offsets and lengths of the archive's sections, in the order they are written after the header.</summary>
    private readonly record struct Sections(int RootLength, int MetadataLength, int LeavesLength, ulong DataLength)
    {
        public ulong RootOffset => HeaderLength;

        public ulong MetadataOffset => RootOffset + (ulong)RootLength;

        public ulong LeavesOffset => MetadataOffset + (ulong)MetadataLength;

        public ulong DataOffset => LeavesOffset + (ulong)LeavesLength;
    }

    /// <summary>The fixed 127-byte v3 header.</summary>
    private static byte[] Header(
        Sections sections,
        ulong addressedTiles,
        ulong tileEntries,
        ulong tileContents,
        (double MinLon, double MinLat, double MaxLon, double MaxLat) bounds,
        int minZoom,
        int maxZoom)
    {
        var header = new byte[HeaderLength];
        "PMTiles"u8.CopyTo(header);
        header[7] = 3;
        var h = header.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], sections.RootOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h[16..], (ulong)sections.RootLength);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], sections.MetadataOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], (ulong)sections.MetadataLength);
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], sections.LeavesOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h[48..], (ulong)sections.LeavesLength);
        BinaryPrimitives.WriteUInt64LittleEndian(h[56..], sections.DataOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h[64..], sections.DataLength);
        BinaryPrimitives.WriteUInt64LittleEndian(h[72..], addressedTiles);
        BinaryPrimitives.WriteUInt64LittleEndian(h[80..], tileEntries);
        BinaryPrimitives.WriteUInt64LittleEndian(h[88..], tileContents);
        header[96] = 1; // clustered
        header[97] = 2; // internal compression: gzip
        header[98] = 2; // tile compression: gzip
        header[99] = 1; // tile type: MVT
        header[100] = (byte)minZoom;
        header[101] = (byte)maxZoom;
        static int E7(double v) => (int)Math.Round(v * 1e7);
        BinaryPrimitives.WriteInt32LittleEndian(h[102..], E7(bounds.MinLon));
        BinaryPrimitives.WriteInt32LittleEndian(h[106..], E7(bounds.MinLat));
        BinaryPrimitives.WriteInt32LittleEndian(h[110..], E7(bounds.MaxLon));
        BinaryPrimitives.WriteInt32LittleEndian(h[114..], E7(bounds.MaxLat));
        header[118] = (byte)minZoom;
        BinaryPrimitives.WriteInt32LittleEndian(h[119..], E7((bounds.MinLon + bounds.MaxLon) / 2));
        BinaryPrimitives.WriteInt32LittleEndian(h[123..], E7((bounds.MinLat + bounds.MaxLat) / 2));
        return header;
    }

    /// <summary>The tile data in the clustered order of <see cref="ClusteredLayout"/>: each distinct content once, at its first use.</summary>
    private void WriteTileData(Stream output)
    {
        _staging.Flush();
        var buffer = new byte[1 << 16];
        var written = new HashSet<ulong>();
        foreach (var t in _tiles)
        {
            if (!written.Add(t.Offset))
            {
                continue;
            }

            var bytes = buffer.Length >= t.Length ? buffer.AsSpan(0, (int)t.Length) : new byte[t.Length];
            _staging.Position = (long)t.Offset;
            _staging.ReadExactly(bytes);
            output.Write(bytes);
        }
    }

    public void Dispose() => _staging.Dispose();

    private readonly record struct Entry(ulong TileId, ulong Offset, uint Length, uint RunLength);

    /// <summary>The root directory alone when it fits in the first 16 KiB, else a root of leaf directories.</summary>
    private static (byte[] Root, byte[] Leaves) Directories(List<Entry> entries)
    {
        var root = Serialize(entries);
        if (root.Length <= RootBudget)
        {
            return (root, []);
        }

        for (var leafSize = 4096; ; leafSize *= 2)
        {
            using var leaves = new MemoryStream();
            var rootEntries = new List<Entry>();
            for (var i = 0; i < entries.Count; i += leafSize)
            {
                var leaf = Serialize(entries.GetRange(i, Math.Min(leafSize, entries.Count - i)));
                rootEntries.Add(new Entry(entries[i].TileId, (ulong)leaves.Length, (uint)leaf.Length, 0)); // run length 0: a leaf
                leaves.Write(leaf);
            }

            root = Serialize(rootEntries);
            if (root.Length <= RootBudget)
            {
                return (root, leaves.ToArray());
            }
        }
    }

    private static byte[] Serialize(List<Entry> entries)
    {
        using var raw = new MemoryStream();
        void Varint(ulong v)
        {
            while (v >= 0x80)
            {
                raw.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }

            raw.WriteByte((byte)v);
        }

        Varint((ulong)entries.Count);
        ulong last = 0;
        foreach (var e in entries)
        {
            Varint(e.TileId - last);
            last = e.TileId;
        }

        foreach (var e in entries)
        {
            Varint(e.RunLength);
        }

        foreach (var e in entries)
        {
            Varint(e.Length);
        }

        for (var i = 0; i < entries.Count; i++)
        {
            // 0 means "right after the previous entry's data".
            Varint(i > 0 && entries[i].Offset == entries[i - 1].Offset + entries[i - 1].Length ? 0 : entries[i].Offset + 1);
        }

        return Gzip(raw.ToArray());
    }

    private static byte[] Gzip(byte[] bytes) => PmTilesFormat.Gzip(bytes);
}
