using NetTopologySuite.Coverage;
using NetTopologySuite.Geometries;

namespace GeoRisk.Raster.Vectorize;

/// <summary>
/// Simplifies polygonized zones as a coverage: shared boundaries are simplified once, identically for both
/// neighbours, so the result keeps no gaps and no overlaps (NetTopologySuite's CoverageSimplifier, a
/// Visvalingam-Whyatt variant that also avoids ring collapse and crossings).
/// </summary>
public static class CoverageSimplification
{
    /// <param name="tolerance">Area-based tolerance in map units (square root of the triangle area removed), e.g. half a cell.</param>
    public static List<ClassPolygon> Simplify(IReadOnlyList<ClassPolygon> zones, double tolerance)
    {
        var input = zones.Select(z => (Geometry)z.Polygon).ToArray();
        var simplified = CoverageSimplifier.Simplify(input, tolerance);
        var result = new List<ClassPolygon>(zones.Count);
        for (var i = 0; i < simplified.Length; i++)
        {
            if (simplified[i] is Polygon p && !p.IsEmpty)
            {
                result.Add(new ClassPolygon(zones[i].Value, p));
            }
        }

        return result;
    }

    /// <summary>True when the polygons form a valid coverage (no overlaps, matching shared edges).</summary>
    public static bool IsValidCoverage(IReadOnlyList<ClassPolygon> zones) =>
        CoverageValidator.IsValid(zones.Select(z => (Geometry)z.Polygon).ToArray());
}
