namespace GeoRisk.Samples;

/// <summary>
/// Deterministic value noise. Written here rather than taken from a package because the sample set must be
/// reproducible from its seed on every run and runtime version, which rules out System.Random's
/// unspecified algorithms; the lattice uses only integer hashing and IEEE +, *, floor.
/// </summary>
internal static class Noise
{
    public static ulong Hash(long x, long y, ulong seed)
    {
        // SplitMix64 finaliser over the combined lattice coordinates.
        var z = seed + ((ulong)x * 0x9E3779B97F4A7C15UL) + ((ulong)y * 0xC2B2AE3D27D4EB4FUL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public static double Unit(long x, long y, ulong seed) => (Hash(x, y, seed) >> 11) * (1.0 / (1UL << 53));

    /// <summary>Smoothly interpolated lattice noise in [0, 1).</summary>
    public static double Value(double x, double y, ulong seed)
    {
        var x0 = Math.Floor(x);
        var y0 = Math.Floor(y);
        var fx = x - x0;
        var fy = y - y0;
        var ix = (long)x0;
        var iy = (long)y0;
        var sx = fx * fx * (3 - (2 * fx));
        var sy = fy * fy * (3 - (2 * fy));
        var a = Unit(ix, iy, seed);
        var b = Unit(ix + 1, iy, seed);
        var c = Unit(ix, iy + 1, seed);
        var d = Unit(ix + 1, iy + 1, seed);
        var top = a + ((b - a) * sx);
        var bottom = c + ((d - c) * sx);
        return top + ((bottom - top) * sy);
    }

    /// <summary>Fractal sum of <paramref name="octaves"/> octaves, centred on 0, roughly in [-1, 1].</summary>
    public static double Fractal(double x, double y, int octaves, ulong seed)
    {
        double sum = 0, amplitude = 1, norm = 0, frequency = 1;
        for (var i = 0; i < octaves; i++)
        {
            sum += amplitude * ((Value(x * frequency, y * frequency, seed + (ulong)i) * 2) - 1);
            norm += amplitude;
            amplitude *= 0.5;
            frequency *= 2.03;
        }

        return sum / norm;
    }

    /// <summary>A deterministic stream of uniforms for placing seeds and picking attributes.</summary>
    public sealed class Stream(ulong seed)
    {
        private long _counter;

        public double Next() => Unit(_counter++, 0, seed);

        public double Range(double min, double max) => min + ((max - min) * Next());

        public int Int(int minInclusive, int maxExclusive) => minInclusive + (int)Math.Floor(Next() * (maxExclusive - minInclusive));
    }
}
