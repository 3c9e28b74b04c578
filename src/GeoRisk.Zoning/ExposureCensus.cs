using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
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

    public static IReadOnlyList<ExposureRow> Compute(
        GridSpec grid,
        RasterBuffer<byte> grade,
        int grades,
        IReadOnlyList<AdminUnitInput> units,
        ExposureInputs exposure,
        ZoningProduct product = ZoningProduct.Susceptibility)
    {
        var acc = new Accumulator(units.Count, grades);
        var labels = UnitLabels(grid, units);
        var prepared = units.Select(u => PreparedGeometryFactory.Prepare(u.Geometry)).ToList();
        int GradeAt(double x, double y) => CellOf(grid, x, y) is var c and >= 0 ? grade.Data[c] : 0;
        TallyPoints(exposure, acc, prepared, GradeAt);

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

    /// <summary>
    /// The same census from a grade raster read block by block (the streamed run, docs/SCALE.md), without a whole-grid grade or
    /// label raster: one pass over the blocks gathers, per block, the unit label and grade at the cells the buildings, facilities
    /// and road pieces fall in and, per population unit, how many of its cells lie in each unit and grade; then everything is
    /// tallied in the order <see cref="Compute(GridSpec, RasterBuffer{byte}, int, IReadOnlyList{AdminUnitInput}, ExposureInputs, ZoningProduct)"/>
    /// tallies it, so every sum is the same to the last bit.
    /// </summary>
    public static IReadOnlyList<ExposureRow> Compute(GridSpec grid, IRasterWindowSource grade, int blockSize, int grades, IReadOnlyList<AdminUnitInput> units,
        ExposureInputs exposure, ZoningProduct product, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        var layout = new BlockLayout(grid.Width, grid.Height, blockSize, blockSize);
        var wanted = WantedCells(grid, layout, exposure);
        var populationBlocks = PopulationBlocks(grid, layout, exposure.Population);
        var at = new Dictionary<long, (int Label, byte Grade)>();
        var spread = exposure.Population.Select(_ => new PopulationCells()).ToArray();
        var gate = new Lock();
        Parallel.For(
            0,
            layout.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism), CancellationToken = options.CancellationToken },
            b =>
        {
            if (wanted[b].Count == 0 && populationBlocks[b].Count == 0)
            {
                return;
            }

            var (found, counted) = ReadBlock(grid, grade, layout[b], units, exposure.Population, wanted[b], populationBlocks[b]);
            lock (gate)
            {
                foreach (var (cell, value) in found)
                {
                    at[cell] = value;
                }

                foreach (var (u, cells) in counted)
                {
                    spread[u].Merge(cells);
                }
            }
        });

        AddCellsBeyondGrid(grid, exposure.Population, spread);
        return TallyGathered(grid, grades, units, exposure, product, at, spread);
    }

    /// <summary>Per block, the cells whose unit and grade the buildings, facilities and road pieces need.</summary>
    private static HashSet<long>[] WantedCells(GridSpec grid, BlockLayout layout, ExposureInputs exposure)
    {
        var wanted = Enumerable.Range(0, layout.Count).Select(_ => new HashSet<long>()).ToArray();
        void Want(long cell)
        {
            if (cell >= 0)
            {
                wanted[layout.BlockOfCell(cell).Index].Add(cell);
            }
        }

        foreach (var b in exposure.Buildings)
        {
            var p = b.Geometry as Point ?? b.Geometry.InteriorPoint;
            Want(CellOf(grid, p.X, p.Y));
        }

        foreach (var f in exposure.Facilities)
        {
            var p = f.Geometry as Point ?? f.Geometry.InteriorPoint;
            Want(CellOf(grid, p.X, p.Y));
        }

        foreach (var road in exposure.Roads)
        {
            ForEachRoadPiece(grid, road, (cell, _) => Want(cell));
        }

        return wanted;
    }

    /// <summary>One block's unit label and grade at the wanted cells, and the cells of each population unit it holds per unit and grade.</summary>
    private static (List<(long Cell, (int Label, byte Grade) Value)> Found, List<(int Unit, PopulationCells Cells)> Counted) ReadBlock(
        GridSpec grid, IRasterWindowSource grade, BlockRect block, IReadOnlyList<AdminUnitInput> units, IReadOnlyList<PopulationUnitInput> population,
        HashSet<long> wanted, List<int> populationUnits)
    {
        var window = HaloWindow.Read(grade, block, 0).Data;
        var labels = UnitLabels(grid, block, units);

        (int, byte) Local(int col, int row)
        {
            var i = ((row - block.Y) * block.Width) + col - block.X;
            return ((int)labels.Data[i], float.IsNaN(window[i]) ? (byte)0 : (byte)window[i]);
        }

        var found = wanted.Select(cell => (cell, Local((int)(cell % grid.Width), (int)(cell / grid.Width)))).ToList();
        var counted = new List<(int Unit, PopulationCells Cells)>();
        foreach (var u in populationUnits)
        {
            var cells = new PopulationCells();
            PopulationSpread.ForEachCell(grid, population[u].Area, (col, row, share) =>
            {
                if (col >= block.X && row >= block.Y && col < block.Right && row < block.Bottom)
                {
                    var (label, g) = Local(col, row);
                    cells.Add(label - 1, g, share);
                }
            });
            counted.Add((u, cells));
        }

        return (found, counted);
    }

    /// <summary>Cells of a population unit beyond the grid count as outside (as in the whole-grid census).</summary>
    private static void AddCellsBeyondGrid(GridSpec grid, IReadOnlyList<PopulationUnitInput> population, PopulationCells[] spread)
    {
        var gridEnvelope = new CellWindow(0, 0, grid.Width, grid.Height).EnvelopeIn(grid);
        for (var u = 0; u < population.Count; u++)
        {
            if (!gridEnvelope.Contains(population[u].Area.EnvelopeInternal))
            {
                var cells = spread[u];
                PopulationSpread.ForEachCell(grid, population[u].Area, (col, row, share) =>
                {
                    if (col < 0 || row < 0 || col >= grid.Width || row >= grid.Height)
                    {
                        cells.Add(Outside, 0, share);
                    }
                });
            }
        }
    }

    /// <summary>Tallies what the blocks gathered in the whole-grid census's order: points, then people, then roads.</summary>
    private static IReadOnlyList<ExposureRow> TallyGathered(GridSpec grid, int grades, IReadOnlyList<AdminUnitInput> units, ExposureInputs exposure,
        ZoningProduct product, Dictionary<long, (int Label, byte Grade)> at, PopulationCells[] spread)
    {
        var acc = new Accumulator(units.Count, grades);
        var prepared = units.Select(u => PreparedGeometryFactory.Prepare(u.Geometry)).ToList();
        int GradeAt(double x, double y) => CellOf(grid, x, y) is var c and >= 0 ? at[c].Grade : 0;
        TallyPoints(exposure, acc, prepared, GradeAt);
        for (var u = 0; u < exposure.Population.Count; u++)
        {
            var unit = exposure.Population[u];
            foreach (var ((admin, g), count) in spread[u].Counts)
            {
                // The whole-grid census adds the same share once per cell: so do we, count times.
                var cell = acc.Cell(admin, g);
                for (var k = 0; k < count; k++)
                {
                    cell.People += unit.Population * spread[u].Share;
                    cell.PeopleDay += unit.Day * spread[u].Share;
                    cell.PeopleNight += unit.Night * spread[u].Share;
                }
            }
        }

        foreach (var road in exposure.Roads)
        {
            ForEachRoadPiece(grid, road, (cell, km) =>
            {
                var (label, g) = cell >= 0 ? at[cell] : (0, (byte)0);
                var tally = acc.Cell(cell >= 0 ? label - 1 : Outside, g);
                tally.RoadKmByClass[road.Class] = tally.RoadKmByClass.GetValueOrDefault(road.Class) + km;
            });
        }

        return acc.Rows(units, grades, product);
    }

    /// <summary>The blocks each population unit spreads over: those its envelope reaches, and the one under its interior point.</summary>
    internal static List<int>[] PopulationBlocks(GridSpec grid, BlockLayout layout, IReadOnlyList<PopulationUnitInput> population)
    {
        var perBlock = Enumerable.Range(0, layout.Count).Select(_ => new List<int>()).ToArray();
        for (var u = 0; u < population.Count; u++)
        {
            var window = CellWindow.Of(population[u].Area.EnvelopeInternal, grid).Expand(1, grid.Width, grid.Height);
            var p = population[u].Area.InteriorPoint;
            var cell = CellOf(grid, p.X, p.Y);
            var blocks = new SortedSet<int>();
            if (!window.IsEmpty)
            {
                for (var row = window.Y / layout.BlockHeight; row <= (window.Y + window.Height - 1) / layout.BlockHeight; row++)
                {
                    for (var col = window.X / layout.BlockWidth; col <= (window.X + window.Width - 1) / layout.BlockWidth; col++)
                    {
                        blocks.Add((row * layout.Columns) + col);
                    }
                }
            }

            if (cell >= 0)
            {
                blocks.Add(layout.BlockOfCell(cell).Index);
            }

            foreach (var b in blocks)
            {
                perBlock[b].Add(u);
            }
        }

        return perBlock;
    }

    /// <summary>How many of a population unit's cells fall in each (admin unit, grade), and the share each cell takes.</summary>
    private sealed class PopulationCells
    {
        public Dictionary<(int Admin, int Grade), long> Counts { get; } = [];

        public double Share { get; private set; }

        public void Add(int admin, int grade, double share)
        {
            Share = share;
            Counts[(admin, grade)] = Counts.GetValueOrDefault((admin, grade)) + 1;
        }

        public void Merge(PopulationCells other)
        {
            if (other.Counts.Count > 0)
            {
                Share = other.Share;
            }

            foreach (var (key, count) in other.Counts)
            {
                Counts[key] = Counts.GetValueOrDefault(key) + count;
            }
        }
    }

    /// <summary>Unit index + 1 per cell (0: none), pixel-centre rule; units burnt in order, so a later one wins a shared cell.</summary>
    /// <summary>
    /// The units' labels (1-based, 0 for none) on one block's cells, burnt as on the whole grid (pixel centres, later units over
    /// earlier ones), only the units whose envelope meets the block.
    /// </summary>
    internal static RasterBuffer<float> UnitLabels(GridSpec grid, BlockRect block, IReadOnlyList<AdminUnitInput> units)
    {
        var labels = new RasterBuffer<float>(block.Width, block.Height);
        var rasterizer = new Rasterizer(labels, grid.Transform) { FirstRow = block.Y, FirstColumn = block.X };
        var envelope = new CellWindow(block.X, block.Y, block.Width, block.Height).EnvelopeIn(grid);
        for (var u = 0; u < units.Count; u++)
        {
            if (units[u].Geometry.EnvelopeInternal.Intersects(envelope))
            {
                rasterizer.Burn(units[u].Geometry, u + 1);
            }
        }

        return labels;
    }

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

    private static void AddRoad(GridSpec grid, RasterBuffer<byte> grade, RasterBuffer<float> labels, RoadInput road, Accumulator acc) =>
        ForEachRoadPiece(grid, road, (cellIndex, km) =>
        {
            var u = cellIndex >= 0 ? (int)labels.Data[cellIndex] - 1 : Outside;
            var g = cellIndex >= 0 ? grade.Data[cellIndex] : 0;
            var cell = acc.Cell(u, g);
            cell.RoadKmByClass[road.Class] = cell.RoadKmByClass.GetValueOrDefault(road.Class) + km;
        });

    /// <summary>A road cut into pieces no longer than half a cell: the cell under each piece's midpoint (-1 off the grid) and its length in km, in
    /// order.</summary>
    private static void ForEachRoadPiece(GridSpec grid, RoadInput road, Action<long, double> piece)
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
                    piece(CellOf(grid, a.X + ((b.X - a.X) * t), a.Y + ((b.Y - a.Y) * t)), length / pieces / 1000);
                }
            }
        }
    }

    /// <summary>Buildings, then facilities, each in the first unit (by code) covering its representative point and the grade under it.</summary>
    private static void TallyPoints(ExposureInputs exposure, Accumulator acc, List<IPreparedGeometry> prepared, Func<double, double, int> gradeAt)
    {
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

        foreach (var b in exposure.Buildings)
        {
            var p = b.Geometry as Point ?? b.Geometry.InteriorPoint;
            var cell = acc.Cell(UnitOfPoint(p), gradeAt(p.X, p.Y));
            cell.Buildings++;
            cell.FloorAreaM2 += b.FloorAreaM2;
            cell.OccupantsDay += b.OccupantsDay;
            cell.OccupantsNight += b.OccupantsNight;
            cell.ByStructure[b.Structure] = cell.ByStructure.GetValueOrDefault(b.Structure) + 1;
        }

        foreach (var f in exposure.Facilities)
        {
            var p = f.Geometry as Point ?? f.Geometry.InteriorPoint;
            var cell = acc.Cell(UnitOfPoint(p), gradeAt(p.X, p.Y));
            cell.FacilitiesByType[f.Type] = cell.FacilitiesByType.GetValueOrDefault(f.Type) + 1;
        }
    }

    private static long CellOf(GridSpec grid, double x, double y) => ZoningEngine.CellOf(grid, x, y);

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
                        Math.Round(tally.People, 3), Math.Round(tally.PeopleDay, 3), Math.Round(
                            tally.PeopleNight, 3), tally.Buildings, Math.Round(tally.FloorAreaM2, 2),
                        tally.OccupantsDay, tally.OccupantsNight, tally.ByStructure, tally.RoadKmByClass.ToDictionary(k => k.Key, k => Math.Round(k.Value, 4)),
                        tally.FacilitiesByType));
                }
            }

            return rows;
        }
    }
}
