using BenchmarkDotNet.Attributes;
using GeoRisk.Raster;
using GeoRisk.Raster.Terrain;

namespace GeoRisk.Benchmarks.Terrain;

[Config(typeof(ShortConfig))]
public class SlopeBench
{
    private const int Size = 4096;
    private RasterBuffer<float> _dem = null!;

    [GlobalSetup]
    public void Setup() => _dem = Data.Dem(Size);

    [Benchmark(Baseline = true)]
    public RasterBuffer<float> OneThread() => SlopeAspect.Slope(_dem, 30, 30, options: new RasterOptions { MaxDegreeOfParallelism = 1 });

    [Benchmark]
    public RasterBuffer<float> AllCores() => SlopeAspect.Slope(_dem, 30, 30);
}
