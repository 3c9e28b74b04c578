using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Gdal.Tests;

/// <summary>The hand-written WKB encoder writes exactly the bytes NTS's WKBWriter writes, for every geometry type.</summary>
public sealed class WkbEncoderTests
{
    public static TheoryData<string> Geometries() =>
    [
        "POINT (1.5 -2.25)",
        "LINESTRING (0 0, 10 5, 20 -3)",
        "POLYGON ((0 0, 0 10, 10 10, 10 0, 0 0), (2 2, 4 2, 4 4, 2 4, 2 2), (6 6, 8 6, 8 8, 6 6))",
        "POLYGON EMPTY",
        "LINESTRING EMPTY",
        "MULTIPOINT ((1 2), (3 4))",
        "MULTILINESTRING ((0 0, 1 1), (2 2, 3 3, 4 5))",
        "MULTIPOLYGON (((0 0, 0 1, 1 1, 0 0)), ((5 5, 5 6, 6 6, 5 5), (5.2 5.5, 5.4 5.6, 5.3 5.8, 5.2 5.5)))",
        "GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 0, 1 1), POLYGON ((0 0, 0 1, 1 1, 0 0)))",
    ];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Encode_MatchesNtsWkbWriter(string wkt)
    {
        var geometry = new WKTReader().Read(wkt);
        var expected = new WKBWriter(ByteOrder.LittleEndian, handleSRID: false, emitZ: false, emitM: false).Write(geometry);
        var encoder = new WkbEncoder();
        Assert.Equal(expected, encoder.Encode(geometry).ToArray());
        Assert.Equal(expected, encoder.Encode(geometry).ToArray()); // the reused buffer gives the same bytes again
    }

    [Fact]
    public void Encode_GrowsItsBuffer_ForLargePolygons()
    {
        var ring = Enumerable.Range(0, 100_000).Select(i => new Coordinate(Math.Cos(i * 2 * Math.PI / 100_000), Math.Sin(i * 2 * Math.PI / 100_000))).ToList();
        ring.Add(ring[0].Copy());
        var polygon = new GeometryFactory().CreatePolygon(ring.ToArray());
        var bytes = new WkbEncoder().Encode(polygon);
        Assert.Equal(9 + 4 + (16 * 100_001), bytes.Length);
        Assert.True(polygon.EqualsExact(new WKBReader().Read(bytes.ToArray())));
    }
}
