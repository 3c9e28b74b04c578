using NetTopologySuite.Geometries;

namespace GeoRisk.Tiles.Tests;

/// <summary>MVT 2.1 §4.3.4.4: polygons valid after quantization, and the validator's OGC validity check.</summary>
public class PolygonValidityTests
{
    private static readonly GeometryFactory s_factory = new();
    private static readonly TileId Tile = new(10, 745, 368);

    private static Coordinate At(double u, double v)
    {
        var b = WebMercator.Bounds(Tile);
        return new Coordinate(b.MinX + (u / 4096 * b.Width), b.MaxY - (v / 4096 * b.Height));
    }

    private static Polygon Poly(params (double U, double V)[] ring) =>
        s_factory.CreatePolygon(ring.Append(ring[0]).Select(p => At(p.U, p.V)).ToArray());

    private static MvtReport EncodeAndValidate(Geometry g)
    {
        var tile = new MvtEncoder().Encode(Tile, [new TileLayerInput("zones", [new TileFeature(1, g, new Dictionary<string, object?>())])]);
        return MvtValidator.Validate(tile.Bytes);
    }

    [Fact]
    public void Validator_BowTie_ReportsSelfIntersection()
    {
        // A bow-tie with unequal lobes (non-zero area, so it passes the area checks): its edges cross near (43, 86).
        var ring = new (long X, long Y)[] { (0, 0), (300, 0), (0, 100), (100, 200) };
        Assert.True(MvtValidator.Area(ring) > 0);
        var reason = MvtValidator.InvalidPolygon([ring.ToList()]);
        Assert.NotNull(reason);
        Assert.Contains("Self-intersection", reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Validator_OverlappingParts_Reported()
    {
        var a = new List<(long X, long Y)> { (0, 0), (100, 0), (100, 100), (0, 100) };
        var b = new List<(long X, long Y)> { (50, 50), (150, 50), (150, 150), (50, 150) };
        Assert.True(MvtValidator.Area(a) > 0);
        Assert.NotNull(MvtValidator.InvalidPolygon([a, b]));
        Assert.Null(MvtValidator.InvalidPolygon([a]));
    }

    [Fact]
    public void Encoder_HoleSnappedOntoShellEdge_Repaired()
    {
        // The hole sits 0.3 units inside the shell's edge: after rounding it shares the edge, which OGC forbids.
        var shell = Poly((100, 100), (100, 1000), (1000, 1000), (1000, 100));
        var hole = Poly((100.3, 400), (500, 400), (500, 600), (100.3, 600));
        var polygon = s_factory.CreatePolygon((LinearRing)shell.ExteriorRing, [(LinearRing)hole.ExteriorRing]);
        Assert.True(polygon.IsValid);
        var report = EncodeAndValidate(polygon);
        Assert.Empty(report.Errors);
    }

    [Fact]
    public void Encoder_PartsOverlappingAfterRounding_Repaired()
    {
        // Two parts 0.2 units apart: rounding makes them share an edge (a multipolygon's parts may only touch at points).
        var a = Poly((100, 100), (100, 500), (500.2, 500), (500.2, 100));
        var b = Poly((500.4, 100), (500.4, 500), (900, 500), (900, 100));
        var multi = s_factory.CreateMultiPolygon([a, b]);
        Assert.True(multi.IsValid);
        Assert.Empty(EncodeAndValidate(multi).Errors);
    }

    [Fact]
    public void Encoder_SpikeFoldedByRounding_Repaired()
    {
        // A spike thinner than a tile unit folds back onto itself once snapped.
        var spiky = Poly((100, 100), (100, 500), (300, 500), (300.2, 900), (300.45, 500), (600, 500), (600, 100));
        Assert.True(spiky.IsValid);
        Assert.Empty(EncodeAndValidate(spiky).Errors);
    }
}
