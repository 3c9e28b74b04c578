using BenchmarkDotNet.Attributes;
using GeoRisk.Raster;
using GeoRisk.Raster.Distance;
using GeoRisk.Raster.Rasterize;
using NetTopologySuite.Geometries;

namespace GeoRisk.Benchmarks.Distance;

/// <summary>Exact distance to 50 fault lines on a 4096² grid of 30 m cells.</summary>
[Config(typeof(ShortConfig))]
public class ProximityBench
{
    private const int Size = 4096;
    private RasterBuffer<byte> _mask = null!;

    [GlobalSetup]
    public void Setup()
    {
        var burn = new RasterBuffer<float>(Size, Size);
        var rasterizer = new Rasterizer(burn, new GeoTransform(0, 30, Size * 30, -30), allTouched: true);
        var random = new Random(50);
        for (var i = 0; i < 50; i++)
        {
            rasterizer.Burn(new LineString([new(random.NextDouble() * Size * 30, random.NextDouble() * Size * 30), new(random.NextDouble() * Size * 30, random.NextDouble() * Size * 30)]), 1);
        }

        _mask = new RasterBuffer<byte>(Size, Size);
        for (var i = 0; i < burn.Data.Length; i++)
        {
            _mask.Data[i] = (byte)(burn.Data[i] != 0 ? 1 : 0);
        }
    }

    [Benchmark(Baseline = true)]
    public DistanceResult OneThread() => DistanceTransform.Compute(_mask, 30, 30, options: new RasterOptions { MaxDegreeOfParallelism = 1 });

    [Benchmark]
    public DistanceResult AllCores() => DistanceTransform.Compute(_mask, 30, 30);
}
