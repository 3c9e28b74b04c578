using BenchmarkDotNet.Attributes;
using GeoRisk.Raster;
using GeoRisk.Raster.Classify;
using GeoRisk.Raster.Vectorize;

namespace GeoRisk.Benchmarks.Vectorize;

/// <summary>Polygonize and sieve a 2048² four-class raster (blobs plus noise, like a zoning grade raster).</summary>
[Config(typeof(ShortConfig))]
public class PolygonizeBench
{
    private const int Size = 2048;
    private RasterBuffer<float> _classes = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(4);
        _classes = new RasterBuffer<float>(Size, Size);
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var v = Math.Sin(x * 0.02) + Math.Cos(y * 0.027) + (0.7 * Math.Sin((x + y) * 0.05)) + (0.5 * (random.NextDouble() - 0.5));
                _classes[x, y] = v < -0.8 ? 1 : v < 0.2 ? 2 : v < 1.0 ? 3 : 4;
            }
        }
    }

    [Benchmark]
    public int Polygonize() => Polygonizer.Polygonize(_classes, new GeoTransform(0, 30, Size * 30, -30)).Count;

    [Benchmark]
    public RasterBuffer<float> Sieve16() => Sieve.Apply(_classes, 16);
}
