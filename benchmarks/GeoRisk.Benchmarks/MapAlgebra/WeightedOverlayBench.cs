using BenchmarkDotNet.Attributes;
using GeoRisk.Raster;
using GeoRisk.Raster.MapAlgebra;

namespace GeoRisk.Benchmarks.MapAlgebra;

/// <summary>The AHP weighted overlay of four factor layers, in memory (4096² float32, 2 % nodata).</summary>
[Config(typeof(ShortConfig))]
public class WeightedOverlayBench
{
    private const int Size = 4096;
    private RasterBuffer<float>[] _inputs = [];
    private RasterBuffer<float> _output = null!;
    private readonly Expression _expression = Expression.Parse("0.4*a + 0.3*b + 0.2*c + 0.1*d");

    [GlobalSetup]
    public void Setup()
    {
        _inputs = Enumerable.Range(0, 4).Select(i => Data.Random(Size, i)).ToArray();
        _output = new RasterBuffer<float>(Size, Size);
    }

    [Benchmark(Baseline = true)]
    public void ScalarOneThread() => RasterCalculator.Run(_expression, _inputs, _output, new RasterOptions { Vectorize = false, MaxDegreeOfParallelism = 1 });

    [Benchmark]
    public void VectorOneThread() => RasterCalculator.Run(_expression, _inputs, _output, new RasterOptions { MaxDegreeOfParallelism = 1 });

    [Benchmark]
    public void VectorAllCores() => RasterCalculator.Run(_expression, _inputs, _output);

    /// <summary>Comparisons and where() go through GeoRisk's own Vector256 kernels.</summary>
    [Benchmark]
    public void ConditionalAllCores() => RasterCalculator.Run(Expression.Parse("where(a > 50 && b < 30, c, d)"), _inputs, _output);
}
