using NetTopologySuite.Geometries;

namespace GeoRisk.Gdal.Ingestion;

/// <summary>Applies a PROJ transformation to NTS geometries, one coordinate sequence per native call.</summary>
public static class GeometryReprojector
{
    /// <param name="roundDecimals">Round results to this many decimals (e.g. 3 for millimetres in a projected CRS), or keep full precision.</param>
    public static Geometry Transform(Geometry geometry, CoordinateTransformation transformation, int? roundDecimals = null)
    {
        var copy = geometry.Copy();
        copy.Apply(new ProjFilter(transformation, roundDecimals));
        copy.GeometryChanged();
        return copy;
    }

    /// <summary>Removes the GCJ-02 offset from lon/lat coordinates.</summary>
    public static Geometry FromGcj02(Geometry geometry)
    {
        var copy = geometry.Copy();
        copy.Apply(new Gcj02Filter());
        copy.GeometryChanged();
        return copy;
    }

    private sealed class Gcj02Filter : IEntireCoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq)
        {
            for (var i = 0; i < seq.Count; i++)
            {
                var (lon, lat) = Core.Crs.Gcj02.ToWgs84(seq.GetX(i), seq.GetY(i));
                seq.SetX(i, lon);
                seq.SetY(i, lat);
            }
        }
    }

    private sealed class ProjFilter(CoordinateTransformation transformation, int? roundDecimals) : IEntireCoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq)
        {
            var xs = new double[seq.Count];
            var ys = new double[seq.Count];
            for (var i = 0; i < seq.Count; i++)
            {
                xs[i] = seq.GetX(i);
                ys[i] = seq.GetY(i);
            }

            transformation.Transform(xs, ys);
            for (var i = 0; i < seq.Count; i++)
            {
                seq.SetX(i, roundDecimals is { } d ? Math.Round(xs[i], d) : xs[i]);
                seq.SetY(i, roundDecimals is { } d2 ? Math.Round(ys[i], d2) : ys[i]);
            }
        }
    }
}
