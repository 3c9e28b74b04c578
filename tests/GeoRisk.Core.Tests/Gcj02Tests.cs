using GeoRisk.Core.Crs;

namespace GeoRisk.Core.Tests;

public class Gcj02Tests
{
    public static TheoryData<double, double> BortalaPoints => new() { { 82.07, 44.90 }, { 79.9, 44.01 }, { 83.79, 45.38 }, { 116.391, 39.907 } };

    [Theory]
    [MemberData(nameof(BortalaPoints))]
    public void ToWgs84_InvertsFromWgs84_WithinTenthOfMillimetre(double lon, double lat)
    {
        var gcj = Gcj02.FromWgs84(lon, lat);
        var back = Gcj02.ToWgs84(gcj.Lon, gcj.Lat);
        Assert.Equal(lon, back.Lon, 1e-9);
        Assert.Equal(lat, back.Lat, 1e-9);
    }

    [Theory]
    [MemberData(nameof(BortalaPoints))]
    public void FromWgs84_OffsetIsTheKnownHundredsOfMetres(double lon, double lat)
    {
        var gcj = Gcj02.FromWgs84(lon, lat);
        var metres = Math.Sqrt(Math.Pow((gcj.Lon - lon) * 111_320 * Math.Cos(lat * Math.PI / 180), 2) + Math.Pow((gcj.Lat - lat) * 110_574, 2));
        Assert.InRange(metres, 50, 900);
    }

    [Fact]
    public void OutsideChina_NoOffset()
    {
        Assert.Equal((2.35, 48.85), Gcj02.FromWgs84(2.35, 48.85));
        Assert.Equal((69.24, 41.3), Gcj02.ToWgs84(69.24, 41.3)); // Tashkent: west of the bounding box the formula applies to
    }
}
