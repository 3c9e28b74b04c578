using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using NetTopologySuite.Geometries;

namespace GeoRisk.Zoning.Tests;

public sealed class RiskSurfaceTests
{
    private static readonly GeometryFactory s_f = new();

    private static Polygon Box(double x0, double y0, double x1, double y1) => (Polygon)s_f.ToGeometry(new Envelope(x0, x1, y0, y1));

    /// <summary>
    /// A 4×4 grid of 10 m cells with two structure classes and the default vulnerability (reinforced concrete 0.3, earth-wood 0.9,
    /// people without buildings 0.7), people weight 1 and floor-area weight 0.01; every value below worked out by hand from
    /// RiskSurface's summary (docs/MODEL.md "risk").
    /// </summary>
    [Fact]
    public void ExposedValueAndRisk_HandCase()
    {
        var grid = new GridSpec(4, 4, new GeoTransform(0, 10, 40, -10), "");
        var mask = new RasterBuffer<byte>(4, 4, [.. Enumerable.Repeat((byte)1, 15), 0]); // the last cell is outside the extent
        var exposure = new ExposureInputs(
            [
                new(s_f.CreatePoint(new Coordinate(5, 35)), "钢混结构", 1000, 0, 0),   // cell 0: 1000 m² × 0.3
                new(s_f.CreatePoint(new Coordinate(6, 36)), "土木结构", 500, 0, 0),    // cell 0: 500 m² × 0.9
                new(s_f.CreatePoint(new Coordinate(25, 25)), "土木结构", 200, 0, 0),   // cell 6: 200 m² × 0.9
            ],
            [
                new(Box(0, 30, 20, 40), 20, 20, 20),  // cells 0 and 1: 10 people each
                new(Box(20, 20, 30, 30), 4, 4, 4),    // cell 6: 4 people
            ],
            [], []);
        var vulnerability = new VulnerabilityModel();
        var weights = new RiskWeights();
        var ev = RiskSurface.ExposedValue(grid, mask, exposure, vulnerability, weights);

        // Cell 0: V̄ = (300 + 450) / 1500 = 0.5; E·V = 10 × 0.5 + 750 × 0.01 = 12.5.
        Assert.Equal(12.5f, ev.Data[0], 5);
        // Cell 1: people only: 10 × 0.7 = 7.
        Assert.Equal(7f, ev.Data[1], 5);
        // Cell 6: V̄ = 0.9; 4 × 0.9 + 180 × 0.01 = 5.4.
        Assert.Equal(5.4f, ev.Data[6], 5);
        Assert.Equal(0f, ev.Data[2]);
        Assert.True(float.IsNaN(ev.Data[15]));

        // Hazard 0.2 … 0.8 scaled to 0–1 over the extent: cell 0 at 0.8 → 1, cell 1 at 0.2 → 0, cell 6 at 0.5 → 0.5.
        var hazard = new RasterBuffer<float>(4, 4, [0.8f, 0.2f, 0.3f, 0.3f, 0.3f, 0.3f, 0.5f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f, float.NaN]);
        var risk = RiskSurface.Risk(hazard, ev);
        Assert.Equal(12.5f, risk.Data[0], 5);
        Assert.Equal(0f, risk.Data[1], 5);
        Assert.Equal(2.7f, risk.Data[6], 5);
        Assert.Equal(0f, risk.Data[2]);
        Assert.True(float.IsNaN(risk.Data[15]));
    }

    [Theory]
    [InlineData("钢混结构", StructureType.ReinforcedConcrete)]
    [InlineData("框架结构", StructureType.ReinforcedConcrete)]
    [InlineData("砖混", StructureType.BrickConcrete)]
    [InlineData("砖木结构", StructureType.BrickWood)]
    [InlineData("土坯房", StructureType.EarthWood)]
    [InlineData("adobe", StructureType.EarthWood)]
    [InlineData("其他结构", StructureType.Other)]
    [InlineData(null, StructureType.Other)]
    public void StructureType_FromCensusText(string? text, string expected) => Assert.Equal(expected, StructureType.Classify(text));

    [Fact]
    public void Vulnerability_Curves_ByDepthAndIntensity()
    {
        var v = new VulnerabilityModel();
        Assert.Equal(0.55, v.FloodOf(StructureType.EarthWood, FloodDepth.IndexOf(0.8)));
        Assert.Null(v.FloodOf(StructureType.EarthWood, FloodDepth.IndexOf(null)));
        Assert.Equal(0.22, v.SeismicOf(StructureType.BrickConcrete, 8));
        Assert.Null(v.SeismicOf(StructureType.BrickConcrete, 10));
        Assert.Empty(v.Validate());
        Assert.NotEmpty((v with { Geohazard = new Dictionary<string, double> { ["wood"] = 2 } }).Validate());
    }

    [Fact]
    public void FloodScenario_ExpectedDamage_ByDepthClassAndStructure()
    {
        var scenario = new FloodScenarioInput("flood", 100, [Box(0, 0, 10, 10), Box(10, 0, 20, 10), Box(20, 0, 30, 10)], [0.3, 2.5, null]);
        var exposure = new ExposureInputs(
            [
                new(s_f.CreatePoint(new Coordinate(5, 5)), "钢混结构", 100, 0, 0),   // 0–0.5 m: 0.10 → 10 m²
                new(s_f.CreatePoint(new Coordinate(15, 5)), "土木结构", 100, 0, 0),  // 2–3 m: 0.95 → 95 m²
                new(s_f.CreatePoint(new Coordinate(25, 5)), "砖混结构", 100, 0, 0),  // depth unknown
                new(s_f.CreatePoint(new Coordinate(45, 5)), "砖混结构", 100, 0, 0),  // outside the flood
            ], [], [], []);
        var row = FloodScenarioCensus.Compute([scenario], exposure).Single();
        Assert.Equal(3, row.Buildings);
        Assert.Equal(105, row.ExpectedDamagedFloorAreaM2, 6);
        Assert.Equal(1, row.BuildingsDepthUnknown);
    }
}
