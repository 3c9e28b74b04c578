using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Zoning;

/// <summary>A building as E·V sees it: the cell under its representative point, its floor area and its geohazard vulnerability.</summary>
internal readonly record struct BuildingCell(long Cell, double FloorAreaM2, double Vulnerability);

/// <summary>
/// What a streamed run's risk pass needs besides the stored rasters (docs/SCALE.md "streamed run"): the hazard index's range over
/// the extent, the exposure as E·V reads it (population units, buildings sorted to their cells with their vulnerability already
/// looked up) and the model's E·V weights. The extent is the first factor's raster (255 outside, the mask burnt into it).
/// </summary>
internal sealed record RiskSpec(
    string Hazard,
    string Extent,
    float Min,
    float Range,
    int SampleSize,
    double PeopleWithoutBuildings,
    double PeopleWeight,
    double FloorAreaWeight,
    IReadOnlyList<PopulationUnitInput> Population,
    IReadOnlyList<BuildingCell> Buildings)
{
    /// <summary>The risk pass of <paramref name="run"/> from its hazard index's range (risk = hazard scaled to 0–1 × E·V).</summary>
    public static RiskSpec Of(RunContext run, string hazard, ValueRange range)
    {
        var model = run.Model;
        float min = range.IsEmpty ? float.PositiveInfinity : range.Min, max = range.IsEmpty ? float.NegativeInfinity : range.Max;
        var buildings = new List<BuildingCell>();
        foreach (var b in run.Inputs.Exposure.Buildings) // in input order: each cell sums its buildings as RiskSurface.ExposedValue does
        {
            var p = b.Geometry as Point ?? b.Geometry.InteriorPoint;
            if (ZoningEngine.CellOf(run.Grid, p.X, p.Y) is var cell and >= 0)
            {
                buildings.Add(new BuildingCell(cell, b.FloorAreaM2, model.Vulnerability.GeohazardOf(StructureType.Classify(b.Structure))));
            }
        }

        return new RiskSpec(hazard, StreamedRun.FactorRaster(model.Factors[0].Id), min, max > min ? max - min : 1f, model.Classification.SampleSize,
            model.Vulnerability.PeopleWithoutBuildings, model.Risk.PeopleWeight, model.Risk.FloorAreaWeight, run.Inputs.Exposure.Population, buildings);
    }

    public void Write(BinaryWriter w)
    {
        w.Write(Hazard);
        w.Write(Extent);
        w.Write(Min);
        w.Write(Range);
        w.Write(SampleSize);
        w.Write(PeopleWithoutBuildings);
        w.Write(PeopleWeight);
        w.Write(FloorAreaWeight);
        var wkb = new WKBWriter();
        w.Write(Population.Count);
        foreach (var unit in Population)
        {
            StreamedBlocksIo.Write(w, wkb, unit.Area);
            w.Write(unit.Population);
            w.Write(unit.Day);
            w.Write(unit.Night);
        }

        w.Write(Buildings.Count);
        foreach (var b in Buildings)
        {
            w.Write(b.Cell);
            w.Write(b.FloorAreaM2);
            w.Write(b.Vulnerability);
        }
    }

    public static RiskSpec Read(BinaryReader r)
    {
        var (hazard, extent) = (StreamedBlocksIo.ReadName(r), StreamedBlocksIo.ReadName(r));
        var (min, range, sampleSize) = (r.ReadSingle(), r.ReadSingle(), r.ReadInt32());
        var (withoutBuildings, peopleWeight, floorAreaWeight) = (r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
        var wkb = new WKBReader();
        var population = new PopulationUnitInput[StreamedBlocksIo.ReadCount(r, 28)];
        for (var i = 0; i < population.Length; i++)
        {
            population[i] = new PopulationUnitInput(StreamedBlocksIo.ReadGeometry(r, wkb), r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
        }

        var buildings = new BuildingCell[StreamedBlocksIo.ReadCount(r, 24)];
        for (var i = 0; i < buildings.Length; i++)
        {
            buildings[i] = new BuildingCell(r.ReadInt64(), r.ReadDouble(), r.ReadDouble());
        }

        return new RiskSpec(hazard, extent, min, range, sampleSize, withoutBuildings, peopleWeight, floorAreaWeight, population, buildings);
    }
}

/// <summary>
/// The exposure surfaces of <see cref="RiskSurface.ExposedValue"/> one block at a time: the population units and buildings are
/// sorted to the blocks they reach once, and each block sums them in their input order, so every cell's sums are the whole-grid
/// sums bit for bit.
/// </summary>
internal sealed class ExposureOnBlocks
{
    private readonly GridSpec _grid;
    private readonly RiskSpec _spec;
    private readonly List<int>[] _units;
    private readonly List<int>[] _buildings;

    private ExposureOnBlocks(GridSpec grid, RiskSpec spec, List<int>[] units, List<int>[] buildings) =>
        (_grid, _spec, _units, _buildings) = (grid, spec, units, buildings);

    public static ExposureOnBlocks Of(GridSpec grid, BlockLayout layout, RiskSpec spec)
    {
        var units = ExposureCensus.PopulationBlocks(grid, layout, spec.Population);
        var buildings = Enumerable.Range(0, layout.Count).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < spec.Buildings.Count; i++)
        {
            buildings[layout.BlockOfCell(spec.Buildings[i].Cell).Index].Add(i);
        }

        return new ExposureOnBlocks(grid, spec, units, buildings);
    }

    /// <summary>E·V on one block (0 where nothing is exposed, NaN outside the extent), as <see cref="RiskSurface.ExposedValue"/> computes it.</summary>
    public float[] ExposedValue(BlockRect block, Func<int, bool> inExtent)
    {
        var grid = _grid;
        var n = block.Width * block.Height;
        var people = new double[n];
        var floor = new double[n];
        var vulnerableFloor = new double[n];
        foreach (var u in _units[block.Index])
        {
            var unit = _spec.Population[u];
            PopulationSpread.ForEachCell(grid, unit.Area, (col, row, share) =>
            {
                if (col >= block.X && row >= block.Y && col < block.Right && row < block.Bottom)
                {
                    people[((row - block.Y) * block.Width) + col - block.X] += unit.Population * share;
                }
            });
        }

        foreach (var i in _buildings[block.Index])
        {
            var b = _spec.Buildings[i];
            var local = StreamedRun.Local(b.Cell, block, grid.Width);
            floor[local] += b.FloorAreaM2;
            vulnerableFloor[local] += b.FloorAreaM2 * b.Vulnerability;
        }

        var result = new float[n];
        for (var i = 0; i < n; i++)
        {
            if (!inExtent(i))
            {
                result[i] = float.NaN;
                continue;
            }

            var meanV = floor[i] > 0 ? vulnerableFloor[i] / floor[i] : _spec.PeopleWithoutBuildings;
            result[i] = (float)((people[i] * meanV * _spec.PeopleWeight) + (vulnerableFloor[i] * _spec.FloorAreaWeight));
        }

        return result;
    }
}

/// <summary>What a product's census pass needs besides its stored grade raster: the grade count and the county and township outlines.</summary>
internal sealed record CensusSpec(string Grade, int Grades, IReadOnlyList<AdminUnitInput> Units, IReadOnlyList<AdminUnitInput> Townships)
{
    public void Write(BinaryWriter w)
    {
        w.Write(Grade);
        w.Write(Grades);
        var wkb = new WKBWriter();
        foreach (var units in new[] { Units, Townships })
        {
            w.Write(units.Count);
            foreach (var u in units)
            {
                w.Write(u.Code);
                w.Write(u.Name);
                w.Write(u.NameEn is not null);
                if (u.NameEn is not null)
                {
                    w.Write(u.NameEn);
                }

                StreamedBlocksIo.Write(w, wkb, u.Geometry);
            }
        }
    }

    public static CensusSpec Read(BinaryReader r)
    {
        var (grade, grades) = (StreamedBlocksIo.ReadName(r), r.ReadInt32());
        var wkb = new WKBReader();
        AdminUnitInput[] Units()
        {
            var units = new AdminUnitInput[StreamedBlocksIo.ReadCount(r, 7)];
            for (var i = 0; i < units.Length; i++)
            {
                var (code, name) = (r.ReadString(), r.ReadString());
                var nameEn = r.ReadBoolean() ? r.ReadString() : null;
                units[i] = new AdminUnitInput(code, name, nameEn, StreamedBlocksIo.ReadGeometry(r, wkb));
            }

            return units;
        }

        var counties = Units();
        return new CensusSpec(grade, grades, counties, Units());
    }
}

/// <summary>A census block's partials: cells per (unit label, grade) for the counties and townships, and the grade at each hazard-point cell of the block.</summary>
internal sealed record CensusBlock(long[,] Units, long[,]? Townships, long[] PointCells, byte[] PointGrades)
{
    public void Write(BinaryWriter w)
    {
        StreamedBlocksIo.Write(w, Units);
        w.Write(Townships is not null);
        if (Townships is not null)
        {
            StreamedBlocksIo.Write(w, Townships);
        }

        StreamedBlocksIo.Write(w, PointCells);
        w.Write(PointGrades.Length);
        w.Write(PointGrades);
    }

    public static CensusBlock Read(BinaryReader r)
    {
        var units = StreamedBlocksIo.ReadMatrix(r);
        var townships = r.ReadBoolean() ? StreamedBlocksIo.ReadMatrix(r) : null;
        var cells = StreamedBlocksIo.ReadLongs(r);
        return new CensusBlock(units, townships, cells, r.ReadBytes(StreamedBlocksIo.ReadCount(r, 1)));
    }
}
