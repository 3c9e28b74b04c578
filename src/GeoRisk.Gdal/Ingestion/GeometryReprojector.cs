using NetTopologySuite.Geometries;

namespace GeoRisk.Gdal.Ingestion;

/// <summary>Applies a PROJ transformation to NTS geometries, one coordinate sequence per native call.</summary>
internal static class GeometryReprojector
{
    public static Geometry Transform(Geometry geometry, CoordinateTransformation transformation)
    {
        var copy = geometry.Copy();
        copy.Apply(new ProjFilter(transformation));
        copy.GeometryChanged();
        return copy;
    }

    private sealed class ProjFilter(CoordinateTransformation transformation) : IEntireCoordinateSequenceFilter
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
                seq.SetX(i, xs[i]);
                seq.SetY(i, ys[i]);
            }
        }
    }
}
