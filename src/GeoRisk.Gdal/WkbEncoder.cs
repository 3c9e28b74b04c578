using System.Buffers.Binary;
using NetTopologySuite.Geometries;

namespace GeoRisk.Gdal;

/// <summary>
/// 2-D little-endian ISO WKB for NTS geometries, written straight into one reused buffer. Hand-written
/// because NTS's WKBWriter goes through a BinaryWriter one ordinate at a time and allocates an array per
/// geometry: for the 56,000 polygons (9.4 M vertices) of the polygonize benchmark it took 1.6–3.2 s, more
/// than GDAL's whole GeoPackage insert of the same features (the format itself is a few lines of spec).
/// </summary>
internal sealed class WkbEncoder
{
    private byte[] _buffer = new byte[1 << 16];

    /// <summary>The WKB of <paramref name="geometry"/>, valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(Geometry geometry)
    {
        var size = SizeOf(geometry);
        if (_buffer.Length < size)
        {
            _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
        }

        var written = Write(geometry, _buffer);
        return _buffer.AsSpan(0, written);
    }

    private static int SizeOf(Geometry g) => g switch
    {
        Point => 5 + 16,
        LineString line => 9 + (16 * line.CoordinateSequence.Count),
        Polygon polygon => 9 + (polygon.IsEmpty ? 0 : RingSize(polygon.ExteriorRing) + polygon.InteriorRings.Sum(RingSize)),
        GeometryCollection collection => 9 + collection.Geometries.Sum(SizeOf),
        _ => throw new NotSupportedException($"No WKB for {g.GeometryType}."),
    };

    private static int RingSize(LineString ring) => 4 + (16 * ring.CoordinateSequence.Count);

    private static int Write(Geometry g, Span<byte> output)
    {
        output[0] = 1; // little-endian
        BinaryPrimitives.WriteUInt32LittleEndian(output[1..], TypeCode(g));
        var at = 5;
        switch (g)
        {
            case Point point:
                // An empty point has NaN coordinates in WKB.
                BinaryPrimitives.WriteDoubleLittleEndian(output[at..], point.IsEmpty ? double.NaN : point.X);
                BinaryPrimitives.WriteDoubleLittleEndian(output[(at + 8)..], point.IsEmpty ? double.NaN : point.Y);
                return at + 16;
            case LineString line:
                return at + WriteSequence(line.CoordinateSequence, output[at..]);
            case Polygon polygon:
                if (polygon.IsEmpty)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(output[at..], 0);
                    return at + 4;
                }

                BinaryPrimitives.WriteUInt32LittleEndian(output[at..], (uint)(1 + polygon.NumInteriorRings));
                at += 4;
                at += WriteSequence(polygon.ExteriorRing.CoordinateSequence, output[at..]);
                foreach (var hole in polygon.InteriorRings)
                {
                    at += WriteSequence(hole.CoordinateSequence, output[at..]);
                }

                return at;
            case GeometryCollection collection:
                BinaryPrimitives.WriteUInt32LittleEndian(output[at..], (uint)collection.NumGeometries);
                at += 4;
                foreach (var part in collection.Geometries)
                {
                    at += Write(part, output[at..]);
                }

                return at;
            default:
                throw new NotSupportedException($"No WKB for {g.GeometryType}.");
        }
    }

    private static int WriteSequence(CoordinateSequence sequence, Span<byte> output)
    {
        var n = sequence.Count;
        BinaryPrimitives.WriteUInt32LittleEndian(output, (uint)n);
        var at = 4;
        for (var i = 0; i < n; i++, at += 16)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(output[at..], sequence.GetX(i));
            BinaryPrimitives.WriteDoubleLittleEndian(output[(at + 8)..], sequence.GetY(i));
        }

        return at;
    }

    private static uint TypeCode(Geometry g) => g switch
    {
        Point => 1,
        LineString => 2, // LinearRing included
        Polygon => 3,
        MultiPoint => 4,
        MultiLineString => 5,
        MultiPolygon => 6,
        GeometryCollection => 7,
        _ => throw new NotSupportedException($"No WKB for {g.GeometryType}."),
    };
}
