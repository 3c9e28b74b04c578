using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using NetTopologySuite.Geometries;

namespace GeoRisk.Zoning.Tests;

public sealed class ExposureCensusTests
{
    private static readonly GeometryFactory s_f = new();

    private static Polygon Box(double x0, double y0, double x1, double y1) => (Polygon)s_f.ToGeometry(new Envelope(x0, x1, y0, y1));

    /// <summary>
    /// A 4×4 grid of 10 m cells (x 0–40, y 0–40), grades 1 2 / 3 4 in quadrants, two counties split at x = 20.
    /// Every count below is worked out by hand from the rules in ExposureCensus's summary.
    /// </summary>
    [Fact]
    public void Compute_HandCase_EveryCountWhereItBelongs_NothingLostOrDoubled()
    {
        var grid = new GridSpec(4, 4, new GeoTransform(0, 10, 40, -10), "");
        var grade = new RasterBuffer<byte>(4, 4, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
        var units = new List<AdminUnitInput> { new("1", "A", null, Box(0, 0, 20, 40)), new("2", "B", null, Box(20, 0, 40, 40)) };
        var exposure = new ExposureInputs(
            [
                new(s_f.CreatePoint(new Coordinate(5, 35)), "砖混结构", 100, 3, 4),     // A, cell (0,0): grade 1
                new(s_f.CreatePoint(new Coordinate(20, 15)), "钢混结构", 500, 10, 20),  // on the A|B border: A (first by code), cell (2,2): grade 4
                new(Box(32, 2, 36, 6), "土木结构", 16, 1, 2),                             // B, cell (3,3): grade 4
                new(s_f.CreatePoint(new Coordinate(50, 5)), "其他结构", 10, 0, 1),       // outside the grid and every unit
            ],
            [
                new(Box(10, 10, 30, 30), 100, 60, 100),  // four cell centres: (1,1) A g1, (2,1) B g2, (1,2) A g3, (2,2) B g4: 25 each
                new(Box(36, 36, 38, 38), 10, 10, 10),    // no cell centre: all in the cell under it, (3,0) B g2
            ],
            [new(s_f.CreateLineString([new(0, 5), new(40, 5)]), "国道")], // row 3: A g3 20 m, B g4 20 m
            [new(s_f.CreatePoint(new Coordinate(15, 25)), "学校", 300)]); // (1,1) A g1

        var rows = ExposureCensus.Compute(grid, grade, 4, units, exposure);
        ExposureRow Row(string code, int g) => rows.Single(r => r.AdminCode == code && r.Grade == g);

        Assert.Equal((1L, 100.0), (Row("1", 1).Buildings, Row("1", 1).FloorAreaM2));
        Assert.Equal((1L, 1L), (Row("1", 4).Buildings, Row("1", 4).BuildingsByStructure["钢混结构"]));
        Assert.Equal(1L, Row("2", 4).BuildingsByStructure["土木结构"]);
        Assert.Equal((1L, 1L), (Row("", 0).Buildings, Row("", 0).BuildingOccupantsNight));
        Assert.Equal(25, Row("1", 1).People, 9);
        Assert.Equal(25, Row("1", 3).People, 9);
        Assert.Equal(25 + 10, Row("2", 2).People, 9);
        Assert.Equal(25, Row("2", 4).People, 9);
        Assert.Equal(15, Row("1", 1).PeopleDay, 9);
        Assert.Equal(0.02, Row("1", 3).RoadKmByClass["国道"], 9);
        Assert.Equal(0.02, Row("2", 4).RoadKmByClass["国道"], 9);
        Assert.Equal(1L, Row("1", 1).FacilitiesByType["学校"]);

        // Totals equal the inputs: nothing lost at the border or outside, nothing counted twice.
        Assert.Equal(4, rows.Sum(r => r.Buildings));
        Assert.Equal(110, rows.Sum(r => r.People), 9);
        Assert.Equal(0.04, rows.Sum(r => r.RoadKmByClass.Values.Sum()), 9);
        Assert.Equal(27, rows.Sum(r => r.BuildingOccupantsNight));
        // Every unit has a row per grade, named with the census terms.
        Assert.Equal(8, rows.Count(r => r.AdminCode != "" && r.Grade > 0));
        Assert.Equal("极高易发区", Row("2", 4).GradeTermZh);
        Assert.Equal("中风险区", ExposureCensus.Compute(grid, grade, 4, units, exposure, ZoningProduct.Risk).Single(r => r.AdminCode == "1" && r.Grade == 2).GradeTermZh);
    }
}

public sealed class SuccessRateTests
{
    [Fact]
    public void SuccessRate_HandCase()
    {
        // Ten cells with indices 0..9; hazard points in the cells of index 9, 8 and 0.
        var index = new RasterBuffer<float>(10, 1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var curve = ZoningEngine.SuccessRate(index, [9, 8, 0], 5);
        // Top 20 % of the area (indices 9, 8) holds two of three points; the top 100 % all three.
        Assert.Equal([0.2, 0.4, 0.6, 0.8, 1.0], curve.Select(p => p.AreaShare));
        Assert.Equal([0.6667, 0.6667, 0.6667, 0.6667, 1.0], curve.Select(p => p.PointShare));
        Assert.Empty(ZoningEngine.SuccessRate(index, [], 5));
    }
}
