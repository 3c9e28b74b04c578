using BenchmarkDotNet.Attributes;
using GeoRisk.Raster;
using GeoRisk.Raster.Rasterize;
using NetTopologySuite.Geometries;

namespace GeoRisk.Benchmarks.Rasterize;

/// <summary>10,000 heptagons (radius 100–2,000 m, four classes) burnt into a 4096² grid of 30 m cells, as in compare-peers.sh.</summary>
[Config(typeof(ShortConfig))]
public class RasterizeBench
{
    private const int Size = 4096;
    private static readonly GeoTransform Transform = new(500_000, 30, 5_000_000, -30);
    private List<(Geometry Geometry, float Value)> _features = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2017);
        var factory = new GeometryFactory();
        var extent = Size * 30.0;
        _features = [];
        for (var i = 0; i < 10_000; i++)
        {
            double cx = 500_000 + (random.NextDouble() * extent), cy = 5_000_000 - (random.NextDouble() * extent), r = 100 + (random.NextDouble() * 2000);
            var ring = Enumerable.Range(0, 8).Select(k =>
            {
                var a = 2 * Math.PI * (k % 7) / 7;
                var rr = r * (0.6 + (0.4 * random.NextDouble()));
                return new Coordinate(cx + (rr * Math.Cos(a)), cy + (rr * Math.Sin(a)));
            }).ToArray();
            ring[^1] = ring[0];
            _features.Add((factory.CreatePolygon(ring), (i % 4) + 1));
        }
    }

    /// <summary>One pass over the whole grid in memory (the reference form).</summary>
    [Benchmark(Baseline = true)]
    public RasterBuffer<float> WholeGrid()
    {
        var target = new RasterBuffer<float>(Size, Size);
        target.Fill(float.NaN);
        var rasterizer = new Rasterizer(target, Transform);
        foreach (var (geometry, value) in _features)
        {
            rasterizer.Burn(geometry, value);
        }

        return target;
    }

    /// <summary>Strip by strip into a sink, each strip written while the next burns (what `georisk raster rasterize` runs).</summary>
    [Benchmark]
    public MemoryRaster Streamed()
    {
        var sink = new MemoryRaster(new GridSpec(Size, Size, Transform, ""));
        Rasterizer.Burn(_features, sink);
        return sink;
    }
}
