using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace GeoRisk.Samples;

/// <summary>
/// A synthetic but plausible elevation model of Bortala: the Bortala valley falling from about 1,500 m in
/// Wenquan to Ebinur Lake at 189 m, the Alatau range along the northern border and the Borohoro range in
/// the south rising above 3,000 m (peaks near 4,500 m), with fractal roughness that grows with relief.
/// </summary>
public sealed class BortalaTerrain(Geometry ebinurLake)
{
    public const double LakeLevel = 189;
    private const ulong Seed = 0x6C8E9CF570932BD5UL;
    private readonly IPreparedGeometry _lake = PreparedGeometryFactory.Prepare(ebinurLake);
    private readonly Envelope _lakeEnvelope = ebinurLake.EnvelopeInternal;

    /// <summary>Latitude of the valley axis at a longitude (the river follows it).</summary>
    public static double ValleyAxisLatitude(double lon) => 44.93 - (0.035 * (lon - 80.5)) + (0.03 * Math.Sin(lon * 2.1));

    /// <summary>The smooth large-scale relief, without roughness.</summary>
    public static double Base(double lon, double lat)
    {
        // Valley floor: 1,500 m in the west, down to the lake level near 83°E.
        var floor = Math.Max(LakeLevel + 5, 1500 - (1310 * Math.Clamp((lon - 80.0) / 3.0, 0, 1)));
        var fromAxis = Math.Abs(lat - ValleyAxisLatitude(lon));
        floor += 350 * fromAxis; // gentle piedmont slopes rising away from the river

        // Alatau: ridge near 45.28N west of 82.4E, lower towards Alashankou's gap.
        var alatauRidge = 45.27 + (0.04 * Math.Sin(lon * 3.3));
        var alatauHeight = 3000 * Smooth((82.6 - lon) / 0.9) * Smooth((lon - 79.7) / 0.3);
        var alatau = alatauHeight * Math.Exp(-Square((lat - alatauRidge) / 0.13));

        // Borohoro: ridge near 44.15N, highest in the east above Jinghe.
        var borohoroRidge = 44.12 + (0.05 * Math.Sin(lon * 2.7));
        var borohoroHeight = (2400 + (500 * Smooth((lon - 81.5) / 1.5))) * Smooth((lon - 80.0) / 0.5);
        var borohoro = borohoroHeight * Math.Exp(-Square((lat - borohoroRidge) / 0.2));

        return floor + alatau + borohoro;
    }

    /// <summary>Elevation in metres above sea level.</summary>
    public double Elevation(double lon, double lat)
    {
        if (_lakeEnvelope.Contains(lon, lat) && _lake.Contains(new Point(lon, lat)))
        {
            return LakeLevel;
        }

        var b = Base(lon, lat);
        var relief = Math.Clamp((b - 300) / 2500, 0.02, 1.0);
        var rough = Noise.Fractal(lon * 14, lat * 14, 6, Seed);
        // Ridged noise (1 - |n|) carves valley-and-spur texture into the ranges.
        var ridged = 1 - Math.Abs(Noise.Fractal(lon * 9, lat * 9, 5, Seed + 5));
        var detail = Noise.Fractal(lon * 140, lat * 140, 3, Seed + 17);
        return Math.Max(LakeLevel + 1, b + (relief * ((350 * rough) + (700 * (ridged - 0.6)) + (60 * detail))));
    }

    /// <summary>Approximate slope in degrees from the smooth relief (metres per metre over ~300 m).</summary>
    public double SlopeDegrees(double lon, double lat)
    {
        const double d = 0.003;
        var dx = (Elevation(lon + d, lat) - Elevation(lon - d, lat)) / (2 * d * 111_320 * Math.Cos(lat * Math.PI / 180));
        var dy = (Elevation(lon, lat + d) - Elevation(lon, lat - d)) / (2 * d * 110_570);
        return Math.Atan(Math.Sqrt((dx * dx) + (dy * dy))) * 180 / Math.PI;
    }

    private static double Smooth(double t)
    {
        t = Math.Clamp(t, 0, 1);
        return t * t * (3 - (2 * t));
    }

    private static double Square(double v) => v * v;
}
