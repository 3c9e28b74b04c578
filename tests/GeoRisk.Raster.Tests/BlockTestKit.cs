using GeoRisk.Raster.Blocks;

namespace GeoRisk.Raster.Tests;

/// <summary>What the block-wise sieve and polygonize tests share: the test grid, salt-and-pepper grades, block messages carried through bytes.</summary>
internal static class BlockTestKit
{
    public static readonly GeoTransform Transform = new(500_000, 30, 4_980_000, -30);

    public static GridSpec Grid(int w, int h) => new(w, h, Transform, "");

    /// <summary>Salt and pepper: every region small, long chains of small neighbours.</summary>
    public static RasterBuffer<float> Noise(int w, int h, int seed, int classes, double nodata)
    {
        var random = new Random(seed);
        var grid = new RasterBuffer<float>(w, h);
        for (var i = 0; i < grid.Data.Length; i++)
        {
            grid.Data[i] = random.NextDouble() < nodata ? float.NaN : random.Next(classes);
        }

        return grid;
    }

    /// <summary>A block message written to bytes and read back, as it travels between a cluster's workers and coordinator.</summary>
    public static T RoundTrip<T>(Action<BinaryWriter> write, Func<BinaryReader, T> read)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            write(w);
        }

        stream.Position = 0;
        using var r = new BinaryReader(stream);
        return read(r);
    }

    /// <summary>The edge components of every block of <paramref name="source"/>, each border carried through bytes, stitched.</summary>
    public static ComponentStitch StitchViaBytes(IRasterWindowSource source, BlockLayout layout, bool eight) =>
        new(layout, layout.All().Select(b => RoundTrip(BlockSieve.Borders(HaloWindow.Read(source, b, 0), eight).Write, BlockBorder.Read)).ToList(), eight);
}
