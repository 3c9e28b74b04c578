using BenchmarkDotNet.Attributes;
using GeoRisk.Raster;
using GeoRisk.Raster.Classify;

namespace GeoRisk.Benchmarks.Classify;

/// <summary>Class breaks of a 4096² index raster: natural breaks on a 10,000-cell sample, and the classification pass.</summary>
[Config(typeof(ShortConfig))]
public class BreaksBench
{
    private const int Size = 4096;
    private RasterBuffer<float> _values = null!;
    private float[] _sample = null!;
    private double[] _breaks = null!;

    [GlobalSetup]
    public void Setup()
    {
        _values = Data.Random(Size, 4);
        _sample = Breaks.Sample(_values.Data);
        _breaks = Breaks.NaturalBreaks(_sample, 4);
    }

    [Benchmark(Baseline = true)]
    public double[] Quantile() => Breaks.Quantile(_sample, 4);

    [Benchmark]
    public double[] NaturalBreaksOnSample() => Breaks.NaturalBreaks(_sample, 4);

    [Benchmark]
    public float[] SampleOfTheGrid() => Breaks.Sample(_values.Data);

    [Benchmark]
    public RasterBuffer<float> ClassifyGrid() => Breaks.Classify(_values, _breaks);
}
