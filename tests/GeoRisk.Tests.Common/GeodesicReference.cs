namespace GeoRisk.Tests.Common;

/// <summary>
/// An independent geodesic reference for the tests: Vincenty's inverse formula (1975) on the GRS80 ellipsoid, which
/// CGCS2000 uses, good to well under a millimetre for points not nearly antipodal; and the distance from a point to a
/// polyline whose segments are straight in lon/lat, by a golden-section search along each segment.
/// </summary>
public static class GeodesicReference
{
    private const double A = 6378137.0;
    private const double F = 1 / 298.257222101;
    private const double B = A * (1 - F);

    /// <summary>Geodesic distance in metres between two lon/lat points (degrees).</summary>
    public static double Distance(double lon1, double lat1, double lon2, double lat2)
    {
        var l = ToRad(lon2 - lon1);
        var u1 = Math.Atan((1 - F) * Math.Tan(ToRad(lat1)));
        var u2 = Math.Atan((1 - F) * Math.Tan(ToRad(lat2)));
        double sinU1 = Math.Sin(u1), cosU1 = Math.Cos(u1), sinU2 = Math.Sin(u2), cosU2 = Math.Cos(u2);
        var lambda = l;
        double sinSigma, cosSigma, sigma, cosSqAlpha, cos2SigmaM;
        var iterations = 0;
        while (true)
        {
            double sinLambda = Math.Sin(lambda), cosLambda = Math.Cos(lambda);
            sinSigma = Math.Sqrt(Math.Pow(cosU2 * sinLambda, 2) + Math.Pow((cosU1 * sinU2) - (sinU1 * cosU2 * cosLambda), 2));
            if (sinSigma == 0)
            {
                return 0;
            }

            cosSigma = (sinU1 * sinU2) + (cosU1 * cosU2 * cosLambda);
            sigma = Math.Atan2(sinSigma, cosSigma);
            var sinAlpha = cosU1 * cosU2 * sinLambda / sinSigma;
            cosSqAlpha = 1 - (sinAlpha * sinAlpha);
            cos2SigmaM = cosSqAlpha == 0 ? 0 : cosSigma - (2 * sinU1 * sinU2 / cosSqAlpha);
            var c = F / 16 * cosSqAlpha * (4 + (F * (4 - (3 * cosSqAlpha))));
            var previous = lambda;
            lambda = l + ((1 - c) * F * sinAlpha * (sigma + (c * sinSigma * (cos2SigmaM + (c * cosSigma * (-1 + (2 * cos2SigmaM * cos2SigmaM)))))));
            if (Math.Abs(lambda - previous) < 1e-13 || ++iterations > 200)
            {
                break;
            }
        }

        var uSq = cosSqAlpha * ((A * A) - (B * B)) / (B * B);
        var bigA = 1 + (uSq / 16384 * (4096 + (uSq * (-768 + (uSq * (320 - (175 * uSq)))))));
        var bigB = uSq / 1024 * (256 + (uSq * (-128 + (uSq * (74 - (47 * uSq))))));
        var deltaSigma = bigB * sinSigma * (cos2SigmaM + (bigB / 4 * ((cosSigma * (-1 + (2 * cos2SigmaM * cos2SigmaM))) -
            (bigB / 6 * cos2SigmaM * (-3 + (4 * sinSigma * sinSigma)) * (-3 + (4 * cos2SigmaM * cos2SigmaM))))));
        return B * bigA * (sigma - deltaSigma);
    }

    /// <summary>Shortest geodesic distance from a point to a polyline (lon/lat vertices, segments linear in lon/lat).</summary>
    public static double DistanceToPolyline(double lon, double lat, IReadOnlyList<(double Lon, double Lat)> line)
    {
        if (line.Count == 1)
        {
            return Distance(lon, lat, line[0].Lon, line[0].Lat);
        }

        var best = double.PositiveInfinity;
        for (var i = 0; i + 1 < line.Count; i++)
        {
            var (a, b) = (line[i], line[i + 1]);
            double At(double t) => Distance(lon, lat, a.Lon + ((b.Lon - a.Lon) * t), a.Lat + ((b.Lat - a.Lat) * t));
            // The distance along a short segment is unimodal: golden-section search to a negligible interval.
            double lo = 0, hi = 1;
            var g = (Math.Sqrt(5) - 1) / 2;
            double x1 = hi - (g * (hi - lo)), x2 = lo + (g * (hi - lo)), f1 = At(x1), f2 = At(x2);
            for (var k = 0; k < 80; k++)
            {
                if (f1 < f2)
                {
                    (hi, x2, f2) = (x2, x1, f1);
                    x1 = hi - (g * (hi - lo));
                    f1 = At(x1);
                }
                else
                {
                    (lo, x1, f1) = (x1, x2, f2);
                    x2 = lo + (g * (hi - lo));
                    f2 = At(x2);
                }
            }

            best = Math.Min(best, Math.Min(Math.Min(f1, f2), Math.Min(At(0), At(1))));
        }

        return best;
    }

    /// <summary>The point at a geodesic distance due east or west along a parallel is not a geodesic; this finds the longitude offset
    /// that puts a point at <paramref name="metres"/> from (lon, lat) at the same latitude, by bisection.</summary>
    public static double LongitudeAtDistance(double lon, double lat, double metres)
    {
        double lo = 0, hi = 5;
        for (var k = 0; k < 100; k++)
        {
            var mid = (lo + hi) / 2;
            if (Distance(lon, lat, lon + mid, lat) < Math.Abs(metres))
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return lon + (Math.Sign(metres) * (lo + hi) / 2);
    }

    private static double ToRad(double degrees) => degrees * Math.PI / 180;
}
