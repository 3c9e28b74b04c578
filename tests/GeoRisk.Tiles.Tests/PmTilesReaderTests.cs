using System.Buffers.Binary;

namespace GeoRisk.Tiles.Tests;

/// <summary>The PMTiles reader against the writer (root and leaf directories, runs, deduplication) and against hostile archives.</summary>
public sealed class PmTilesReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("georisk-pmtiles").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Read_ArchiveWithLeafDirectories_EveryTileBackByteForByte()
    {
        // 40,000 distinct tiles of random sizes scattered over z9 overflow the 16 KiB root, so the writer adds leaf
        // directories; a run of identical tiles and the gaps exercise run lengths and misses.
        var expected = new Dictionary<TileId, byte[]>();
        var random = new Random(42);
        using (var writer = new PmTilesWriter())
        {
            while (expected.Count < 40_000)
            {
                var tile = new TileId(9, random.Next(512), random.Next(512));
                var content = new byte[random.Next(1, 40)];
                random.NextBytes(content);
                var bytes = PmTilesFormat.Gzip(content);
                if (expected.TryAdd(tile, bytes))
                {
                    writer.Add(tile, bytes);
                }
            }

            var shared = PmTilesFormat.Gzip("same"u8);
            for (var x = 0; x < 16; x++)
            {
                writer.Add(new TileId(4, x, 3), shared);
                expected[new TileId(4, x, 3)] = shared;
            }

            using var file = File.Create(Path.Combine(_folder, "big.pmtiles"));
            writer.WriteTo(file, """{"name":"big"}""", (79, 44, 84, 46), 4, 9);
        }

        using var reader = PmTilesReader.Open(Path.Combine(_folder, "big.pmtiles"));
        Assert.True(reader.Header.LeavesLength > 0, "the test needs leaf directories");
        Assert.Equal((4, 9), (reader.Header.MinZoom, reader.Header.MaxZoom));
        Assert.Equal("""{"name":"big"}""", reader.ReadMetadata());
        foreach (var (tile, bytes) in expected)
        {
            Assert.Equal(bytes, reader.ReadTile(tile)?.Bytes);
        }

        var missing = Enumerable.Range(0, 512 * 512).Select(i => new TileId(9, i % 512, i / 512)).First(t => !expected.ContainsKey(t));
        Assert.Null(reader.ReadTile(missing));              // a gap between entries
        Assert.Null(reader.ReadTile(new TileId(4, 0, 0)));  // before the run
        Assert.Null(reader.ReadTile(new TileId(10, 0, 0))); // beyond the archive's zooms
    }

    public static TheoryData<string, Func<byte[]>, string> Hostile => new()
    {
        { "bad magic", () => "NOTATILES archive"u8.ToArray().Concat(new byte[200]).ToArray(), "magic" },
        { "short", () => "PMTiles"u8.ToArray(), "shorter than" },
        { "version 2", () => Header(version: 2), "version 2" },
        { "root past the end", () => Header(rootOffset: 1UL << 40, rootLength: 10), "past its end" },
        { "huge root", () => Header(rootLength: ulong.MaxValue - 10), "past its end" },
        { "brotli", () => Header(internalCompression: 3), "compression" },
        { "raster tiles", () => Header(tileType: 2), "tile type" },
        { "lying entry count", () => Archive(Varint(1UL << 40)), "declares" },
        { "truncated directory", () => Archive([1, 0x80, 0x80, 0x80, 0x80]), "truncated" },
        { "over-long varint", () => Archive(Enumerable.Repeat((byte)0xff, 12).ToArray()), "varint" },
        { "tile outside the data", () => Archive(Dir((0, 1, 1UL << 30, 4))), "outside" },
        { "leaf loop", () => Archive(Dir((0, 0, 0, 5)), leaves: LeafLoop()), "deeper" },
        { "gzip bomb", GzipBomb, "more than" },
        { "not gzip", () => Archive("not gzip at all"u8.ToArray(), gzip: true), "not valid gzip" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Read_HostileArchive_InvalidDataExceptionSayingWhy(string name, Func<byte[]> bytes, string reason)
    {
        var path = Path.Combine(_folder, name.Replace(' ', '-') + ".pmtiles");
        File.WriteAllBytes(path, bytes());
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            using var reader = PmTilesReader.Open(path);
            reader.ReadTile(new TileId(0, 0, 0));
        });
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(path), e.Message, StringComparison.Ordinal);
    }

    /// <summary>A header with the sections given (defaults: empty sections right after the header, gzip MVT).</summary>
    internal static byte[] Header(byte version = 3, ulong rootOffset = 127, ulong rootLength = 0, ulong leavesLength = 0, ulong dataLength = 0,
        byte internalCompression = 1, byte tileType = 1)
    {
        var h = new byte[127];
        "PMTiles"u8.CopyTo(h);
        h[7] = version;
        var span = h.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], rootOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], rootLength);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], rootOffset + Math.Min(rootLength, 1UL << 20)); // metadata: empty
        BinaryPrimitives.WriteUInt64LittleEndian(span[40..], 127 + rootLength);
        BinaryPrimitives.WriteUInt64LittleEndian(span[48..], leavesLength);
        BinaryPrimitives.WriteUInt64LittleEndian(span[56..], 127 + rootLength + leavesLength);
        BinaryPrimitives.WriteUInt64LittleEndian(span[64..], dataLength);
        h[97] = internalCompression;
        h[98] = 2;
        h[99] = tileType;
        h[101] = 4;
        return h;
    }

    /// <summary>Header, root directory, leaf section and a few bytes of tile data.</summary>
    internal static byte[] Archive(byte[] root, byte[]? leaves = null, bool gzip = false)
    {
        leaves ??= [];
        var data = new byte[8];
        return [.. Header(rootLength: (ulong)root.Length, leavesLength: (ulong)leaves.Length, dataLength: (ulong)data.Length, internalCompression: gzip ? (byte)2 : (byte)1), .. root, .. leaves, .. data];
    }

    /// <summary>An uncompressed directory of (tile id, run length, offset, length) entries.</summary>
    internal static byte[] Dir(params (ulong TileId, ulong RunLength, ulong Offset, ulong Length)[] entries)
    {
        var bytes = new List<byte>(Varint((ulong)entries.Length));
        ulong last = 0;
        foreach (var e in entries)
        {
            bytes.AddRange(Varint(e.TileId - last));
            last = e.TileId;
        }

        bytes.AddRange(entries.SelectMany(e => Varint(e.RunLength)));
        bytes.AddRange(entries.SelectMany(e => Varint(e.Length)));
        bytes.AddRange(entries.SelectMany(e => Varint(e.Offset + 1)));
        return [.. bytes];
    }

    /// <summary>A root pointing at a leaf directory of 16 MiB + 1 zero bytes gzipped to a few KiB.</summary>
    private static byte[] GzipBomb()
    {
        var leaf = PmTilesFormat.Gzip(new byte[PmTilesReader.MaxDirectoryBytes + 1]);
        return Archive(PmTilesFormat.Gzip(Dir((0, 0, 0, (ulong)leaf.Length))), leaves: leaf, gzip: true);
    }

    /// <summary>A leaf directory whose only entry points at itself.</summary>
    private static byte[] LeafLoop()
    {
        var length = 5UL;
        var leaf = Dir((0, 0, 0, length));
        return leaf.Length == (int)length ? leaf : throw new InvalidOperationException($"leaf is {leaf.Length} bytes");
    }

    internal static byte[] Varint(ulong v)
    {
        var bytes = new List<byte>();
        while (v >= 0x80)
        {
            bytes.Add((byte)(v | 0x80));
            v >>= 7;
        }

        bytes.Add((byte)v);
        return [.. bytes];
    }
}
