using System.Diagnostics;
using GeoRisk.Gdal;
using GeoRisk.Raster;

namespace GeoRisk.Raster.Tests;

/// <summary>Runs GDAL's own command-line utilities as the reference implementation.</summary>
internal static class GdalTools
{
    public static void Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}{stdout.Result}");
        }
    }

    public static RasterBuffer<float> Read(string path, out double? noData)
    {
        using var source = new GdalRasterSource(path);
        noData = source.NoData;
        return source.ReadAll();
    }

    /// <summary>A GeoTIFF of random values in a projected CRS (Gauss-Krüger CM 81E), NaN cells written as -9999.</summary>
    public static string WriteRandom(string path, int width, int height, int seed, double nodataFraction = 0, float scale = 100, double pixel = 30)
    {
        Write(path, RandomBuffer(width, height, seed, nodataFraction, scale), pixel);
        return path;
    }

    /// <summary>Random values in [0, scale), with the given fraction of NaN (nodata) cells.</summary>
    public static RasterBuffer<float> RandomBuffer(int width, int height, int seed, double nodataFraction = 0, float scale = 100)
    {
        var random = new Random(seed);
        var buffer = new RasterBuffer<float>(width, height);
        for (var i = 0; i < buffer.Data.Length; i++)
        {
            buffer.Data[i] = random.NextDouble() < nodataFraction ? float.NaN : (float)(random.NextDouble() * scale);
        }

        return buffer;
    }

    public static GridSpec Grid(int width, int height, double pixel = 30)
    {
        using var crs = SpatialReference.FromEpsg(4536);
        return new GridSpec(width, height, new GeoTransform(500_000, pixel, 4_980_000, -pixel), crs.Wkt);
    }

    public static void Write(string path, RasterBuffer<float> buffer, double pixel = 30)
    {
        using var sink = new GdalRasterSink(path, Grid(buffer.Width, buffer.Height, pixel));
        sink.WriteAll(buffer);
    }
}
