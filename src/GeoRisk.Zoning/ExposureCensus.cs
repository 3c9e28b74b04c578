using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Rasterize;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace GeoRisk.Zoning;

/// <summary>A building (footprint or point) in grid coordinates.</summary>
public sealed record BuildingInput(Geometry Geometry, string Structure, double FloorAreaM2, long OccupantsDay, long OccupantsNight);

/// <summary>A population census unit in grid coordinates with its resident, day and night counts.</summary>
public sealed record PopulationUnitInput(Geometry Area, double Population, double Day, double Night);

public sealed record RoadInput(Geometry Line, string Class);

public sealed record FacilityInput(Geometry Geometry, string Type, long Capacity);

/// <summary>Exposure (承灾体) on the analysis grid's CRS.</summary>
public sealed record ExposureInputs(IReadOnlyList<BuildingInput> Buildings, IReadOnlyList<PopulationUnitInput> Population, IReadOnlyList<RoadInput> Roads,
    IReadOnlyList<FacilityInput> Facilities)
{
    public static readonly ExposureInputs None = new([], [], [], []);

    public bool IsEmpty => Buildings.Count == 0 && Population.Count == 0 && Roads.Count == 0 && Facilities.Count == 0;
}

/// <summary>
/// What is exposed in one admin unit and grade (grade 0: outside the zoning's extent; admin code "": outside every unit).
/// People come from the population units, buildings from the building layer (their own occupants are reported apart).
/// </summary>
public sealed record ExposureRow(string AdminCode, string AdminName, int Grade, string GradeTerm, string GradeTermZh,
    double People, double PeopleDay, double PeopleNight, long Buildings, double FloorAreaM2, long BuildingOccupantsDay, long BuildingOccupantsNight,
    IReadOnlyDictionary<string, long> BuildingsByStructure, IReadOnlyDictionary<string, double> RoadKmByClass, IReadOnlyDictionary<string, long> FacilitiesByType);

/// <summary>
/// The exposure census (docs/DOMAIN.md §11): buildings, people, roads and facilities per admin unit and grade, with nothing
/// lost or counted twice. A building or facility belongs to the first unit (by code) that covers its representative point —
/// so one exactly on a shared border is counted once — and takes the grade of the cell under that point. A census unit's
/// people are spread evenly over the cells whose centres it holds (the cell under its interior point when it holds none),
/// and each cell's share goes to that cell's unit and grade. Roads are cut into pieces no longer than half a cell; each
/// piece goes to the unit and grade of the cell under its midpoint. Lengths are in the grid's projected metres.
/// </summary>
public static class ExposureCensus
{
    private const int Outside = -1;

    public static IReadOnlyList<ExposureRow> Compute(GridSpec grid, RasterBuffer<byte> grade, int grades, IReadOnlyList<AdminUnitInput> units, ExposureInputs exposure,
        ZoningProduct product = ZoningProduct.Susceptibility)
    {
        var acc = new Accumulator(units.Count, grades);
        var labels = UnitLabels(grid, units);
        var prepared = units.Select(u => PreparedGeometryFactory.Prepare(u.Geometry)).ToList();

        int UnitOfPoint(Point p)
        {
            for (var u = 0; u < prepared.Count; u++)
            {
                if (prepared[u].Covers(p))
                {
                    return u;
                }
            }

            return Outside;
        }

        int GradeAt(double x, double y) => CellOf(grid, x, y) is var c and >= 0 ? grade.Data[c] : 0;

        foreach (var b in exposure.Buildings)
        {
            var p = b.Geometry as Point ?? b.Geometry.InteriorPoint;
            var cell = acc.Cell(UnitOfPoint(p), GradeAt(p.X, p.Y));
            cell.Buildings++;
            cell.FloorAreaM2 += b.FloorAreaM2;
            cell.OccupantsDay += b.OccupantsDay;
            cell.OccupantsNight += b.OccupantsNight;
            cell.ByStructure[b.Structure] = cell.ByStructure.GetValueOrDefault(b.Structure) + 1;
        }

        foreach (var f in exposure.Facilities)
        {
            var p = f.Geometry as Point ?? f.Geometry.InteriorPoint;
            var cell = acc.Cell(UnitOfPoint(p), GradeAt(p.X, p.Y));
            cell.FacilitiesByType[f.Type] = cell.FacilitiesByType.GetValueOrDefault(f.Type) + 1;
        }

        foreach (var unit in exposure.Population)
        {
            SpreadPopulation(grid, grade, labels, unit, acc);
        }

        foreach (var road in exposure.Roads)
        {
            AddRoad(grid, grade, labels, road, acc);
        }

        return acc.Rows(units, grades, product);
    }

    /// <summary>Unit index + 1 per cell (0: none), pixel-centre rule; units burnt in order, so a later one wins a shared cell.</summary>
    private static RasterBuffer<float> UnitLabels(GridSpec grid, IReadOnlyList<AdminUnitInput> units)
    {
        var labels = new RasterBuffer<float>(grid.Width, grid.Height);
        var rasterizer = new Rasterizer(labels, grid.Transform);
        for (var u = 0; u < units.Count; u++)
        {
            rasterizer.Burn(units[u].Geometry, u + 1);
        }

        return labels;
    }

    private static void SpreadPopulation(GridSpec grid, RasterBuffer<byte> grade, RasterBuffer<float> labels, PopulationUnitInput unit, Accumulator acc) =>
        PopulationSpread.ForEachCell(grid, unit.Area, (col, row, share) =>
        {
            // Cells beyond the grid still take their share (as outside).
            var inGrid = col >= 0 && row >= 0 && col < grid.Width && row < grid.Height;
            var index = (row * grid.Width) + col;
            var u = inGrid ? (int)labels.Data[index] - 1 : Outside;
            var g = inGrid ? grade.Data[index] : 0;
            var cell = acc.Cell(u, g);
            cell.People += unit.Population * share;
            cell.PeopleDay += unit.Day * share;
            cell.PeopleNight += unit.Night * share;
        });

    private static void AddRoad(GridSpec grid, RasterBuffer<byte> grade, RasterBuffer<float> labels, RoadInput road, Accumulator acc)
    {
        var step = Math.Abs(grid.Transform.PixelWidth) / 2;
        for (var i = 0; i < road.Line.NumGeometries; i++)
        {
            var coords = road.Line.GetGeometryN(i).Coordinates;
            for (var k = 0; k + 1 < coords.Length; k++)
            {
                var (a, b) = (coords[k], coords[k + 1]);
                var length = a.Distance(b);
                var pieces = Math.Max(1, (int)Math.Ceiling(length / step));
                for (var p = 0; p < pieces; p++)
                {
                    var t = (p + 0.5) / pieces;
                    var cellIndex = CellOf(grid, a.X + ((b.X - a.X) * t), a.Y + ((b.Y - a.Y) * t));
                    var u = cellIndex >= 0 ? (int)labels.Data[cellIndex] - 1 : Outside;
                    var g = cellIndex >= 0 ? grade.Data[cellIndex] : 0;
                    var cell = acc.Cell(u, g);
                    cell.RoadKmByClass[road.Class] = cell.RoadKmByClass.GetValueOrDefault(road.Class) + (length / pieces / 1000);
                }
            }
        }
    }

    private static int CellOf(GridSpec grid, double x, double y)
    {
        var (c, r) = grid.Transform.ToPixel(x, y);
        int col = (int)Math.Floor(c), row = (int)Math.Floor(r);
        return col < 0 || row < 0 || col >= grid.Width || row >= grid.Height ? -1 : (row * grid.Width) + col;
    }

    private sealed class Tally
    {
        public double People;
        public double PeopleDay;
        public double PeopleNight;
        public long Buildings;
        public double FloorAreaM2;
        public long OccupantsDay;
        public long OccupantsNight;
        public readonly SortedDictionary<string, long> ByStructure = new(StringComparer.Ordinal);
        public readonly SortedDictionary<string, double> RoadKmByClass = new(StringComparer.Ordinal);
        public readonly SortedDictionary<string, long> FacilitiesByType = new(StringComparer.Ordinal);
    }

    /// <summary>Tallies per (unit or outside, grade 0..N).</summary>
    private sealed class Accumulator(int units, int grades)
    {
        private readonly Tally?[,] _tallies = new Tally?[units + 1, grades + 1];

        public Tally Cell(int unit, int grade) => _tallies[unit + 1, Math.Clamp(grade, 0, grades)] ??= new Tally();

        public List<ExposureRow> Rows(IReadOnlyList<AdminUnitInput> admin, int gradeCount, ZoningProduct product)
        {
            var rows = new List<ExposureRow>();
            for (var u = -1; u < admin.Count; u++)
            {
                for (var g = 0; g <= gradeCount; g++)
                {
                    // Every unit × grade row exists, so tables are complete; outside rows only when something is there.
                    var tally = _tallies[u + 1, g];
                    if (tally is null && (u < 0 || g == 0))
                    {
                        continue;
                    }

                    tally ??= new Tally();
                    var (en, zh) = g == 0 ? ("outside the zoning extent", "区划范围外") : Grades.CensusTerm(g, gradeCount, product);
                    rows.Add(new ExposureRow(u < 0 ? "" : admin[u].Code, u < 0 ? "outside every admin unit" : admin[u].Name, g, en, zh,
                        Math.Round(tally.People, 3), Math.Round(tally.PeopleDay, 3), Math.Round(tally.PeopleNight, 3), tally.Buildings, Math.Round(tally.FloorAreaM2, 2),
                        tally.OccupantsDay, tally.OccupantsNight, tally.ByStructure, tally.RoadKmByClass.ToDictionary(k => k.Key, k => Math.Round(k.Value, 4)),
                        tally.FacilitiesByType));
                }
            }

            return rows;
        }
    }
}
