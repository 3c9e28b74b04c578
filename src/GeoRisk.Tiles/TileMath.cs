using NetTopologySuite.Geometries;

namespace GeoRisk.Tiles;

/// <summary>A tile of the WebMercatorQuad matrix set (XYZ scheme: y grows southwards).</summary>
public readonly record struct TileId(int Z, int X, int Y)
{
    public const int MaxZoom = 24;

    /// <summary>True when z is 0..24 and x, y are inside the 2^z × 2^z matrix.</summary>
    public bool IsValid => Z is >= 0 and <= MaxZoom && X >= 0 && Y >= 0 && X < (1L << Z) && Y < (1L << Z);

    public override string ToString() => $"{Z}/{X}/{Y}";
}

/// <summary>
/// Spherical Web Mercator (EPSG:3857) from CGCS2000/WGS84 lon/lat. CGCS2000 and WGS84 agree at the metre
/// level (docs/DOMAIN.md §10), far below a pixel at any zoom GeoRisk serves, so no datum shift is applied.
/// </summary>
public static class WebMercator
{
    public const double Radius = 6378137;
    public const double HalfWorld = Math.PI * Radius;
    public const double MaxLatitude = 85.0511287798066;

    public static (double X, double Y) FromLonLat(double lon, double lat)
    {
        lat = Math.Clamp(lat, -MaxLatitude, MaxLatitude);
        return (Radius * lon * Math.PI / 180, Radius * Math.Log(Math.Tan((Math.PI / 4) + (lat * Math.PI / 360))));
    }

    public static (double Lon, double Lat) ToLonLat(double x, double y) =>
        (x / Radius * 180 / Math.PI, ((2 * Math.Atan(Math.Exp(y / Radius))) - (Math.PI / 2)) * 180 / Math.PI);

    /// <summary>A copy of the geometry in EPSG:3857 metres.</summary>
    public static Geometry FromLonLat(Geometry geometry)
    {
        var copy = geometry.Copy();
        copy.Apply(new MercatorFilter());
        copy.GeometryChanged();
        return copy;
    }

    /// <summary>Tile bounds in EPSG:3857 metres.</summary>
    public static Envelope Bounds(TileId tile)
    {
        var size = 2 * HalfWorld / (1L << tile.Z);
        var minX = -HalfWorld + (tile.X * size);
        var maxY = HalfWorld - (tile.Y * size);
        return new Envelope(minX, minX + size, maxY - size, maxY);
    }

    /// <summary>Size of one tile pixel (of a 256-pixel tile) in metres at zoom z.</summary>
    public static double PixelSize(int z) => 2 * HalfWorld / (1L << z) / 256;

    /// <summary>The tiles at zoom z covering a lon/lat envelope.</summary>
    public static (int MinX, int MinY, int MaxX, int MaxY) TileRange(Envelope lonLat, int z)
    {
        var n = 1L << z;
        var (x0, y1) = FromLonLat(lonLat.MinX, lonLat.MinY);
        var (x1, y0) = FromLonLat(lonLat.MaxX, lonLat.MaxY);
        int Col(double x) => (int)Math.Clamp(Math.Floor((x + HalfWorld) / (2 * HalfWorld) * n), 0, n - 1);
        int Row(double y) => (int)Math.Clamp(Math.Floor((HalfWorld - y) / (2 * HalfWorld) * n), 0, n - 1);
        return (Col(x0), Row(y0), Col(x1), Row(y1));
    }

    private sealed class MercatorFilter : IEntireCoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq)
        {
            for (var i = 0; i < seq.Count; i++)
            {
                var (x, y) = FromLonLat(seq.GetX(i), seq.GetY(i));
                seq.SetX(i, x);
                seq.SetY(i, y);
            }
        }
    }
}
