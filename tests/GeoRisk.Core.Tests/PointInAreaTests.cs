using GeoRisk.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Core.Tests;

/// <summary>PointInArea.Covers gives NTS's Covers answer: inside, outside, in holes, on edges and vertices.</summary>
public sealed class PointInAreaTests
{
    private static readonly WKTReader Reader = new();

    [Theory]
    [InlineData("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (3 3, 3 6, 6 6, 6 3, 3 3))")]
    [InlineData("MULTIPOLYGON (((0 0, 4 0, 4 4, 0 4, 0 0)), ((6 6, 10 6, 10 10, 6 10, 6 6)))")]
    [InlineData("POLYGON ((0 0, 10 0, 5 5, 10 10, 0 10, 3 5, 0 0))")]
    [InlineData("LINESTRING (0 0, 10 10)")]
    [InlineData("POLYGON EMPTY")]
    public void Covers_AgreesWithNts_OnAGridOfPointsIncludingEdgesAndVertices(string wkt)
    {
        var area = Reader.Read(wkt);
        var factory = new GeometryFactory();
        var checkedPoints = 0;
        for (var x = -1.0; x <= 11; x += 0.5)
        {
            for (var y = -1.0; y <= 11; y += 0.5)
            {
                var point = factory.CreatePoint(new Coordinate(x, y));
                Assert.Equal(area.Covers(point), PointInArea.Covers(area, point));
                checkedPoints++;
            }
        }

        Assert.Equal(625, checkedPoints);
    }

    [Fact]
    public void Covers_EmptyPoint_IsFalse() =>
        Assert.False(PointInArea.Covers(Reader.Read("POLYGON ((0 0, 1 0, 1 1, 0 0))"), new GeometryFactory().CreatePoint()));
}
