using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using GeoRisk.Raster;

namespace GeoRisk.Benchmarks;

/// <summary>Short runs (3 warm-ups, 5 iterations) with allocation counts: enough on 2 cores to rank kernels.</summary>
public sealed class ShortConfig : ManualConfig
{
    public ShortConfig()
    {
        AddJob(Job.ShortRun.WithWarmupCount(3).WithIterationCount(5));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}

/// <summary>Synthetic inputs shared by the benchmarks (deterministic).</summary>
internal static class Data
{
    public static RasterBuffer<float> Random(int size, int seed, double nodata = 0.02)
    {
        var random = new Random(seed);
        var b = new RasterBuffer<float>(size, size);
        for (var i = 0; i < b.Data.Length; i++)
        {
            b.Data[i] = random.NextDouble() < nodata ? float.NaN : (float)(random.NextDouble() * 100);
        }

        return b;
    }

    public static RasterBuffer<float> Dem(int size)
    {
        var b = new RasterBuffer<float>(size, size);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                b[x, y] = (float)((1500 * Math.Sin(x * 0.01) * Math.Cos(y * 0.013)) + (x * 0.3));
            }
        }

        return b;
    }
}
