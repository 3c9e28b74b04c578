using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Rasterize;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Zoning;

/// <summary>
/// One block of a streamed run's passes — factors, combine, risk, census — (docs/SCALE.md "streamed run"), the same code in this process and
/// on a cluster's workers (<see cref="ZoningBlockJob"/>): each writes its rasters to the block storage and returns the small partials
/// the run merges (class counts, the values at the hazard-point cells, the index's sample and range). Partials add up in any order,
/// so the merged result does not depend on where or in which order the blocks ran.
/// </summary>
internal static class StreamedBlocks
{
    private const byte Outside = ZoningEngine.OutsideExtent;

    /// <summary>The extent mask (burnt with the whole grid's transform) and each factor's classes of one block, written as factor-{id}.</summary>
    /// <param name="here">The hazard-point cells in the block.</param>
    public static FactorBlock Factors(RunContext run, IReadOnlyList<FactorRecipe> recipes, BlockRect block, IReadOnlyList<long> here, IBlockStorage storage)
    {
        var model = run.Model;
        var grid = run.Grid;
        var options = run.Options with { MaxDegreeOfParallelism = 1 }; // the blocks run in parallel
        var window = new CellWindow(block.X, block.Y, block.Width, block.Height);
        var mask = new RasterBuffer<float>(block.Width, block.Height);
        new Rasterizer(mask, grid.Transform) { FirstRow = block.Y, FirstColumn = block.X }.Burn(run.Inputs.Extent, 1);
        var counts = model.Factors.Select(f => new long[f.Transform.ClassCount + 1]).ToArray();
        var atPoints = here.Select(_ => new byte[model.Factors.Count]).ToArray();
        var cells = new float[block.Width * block.Height];
        for (var j = 0; j < model.Factors.Count; j++)
        {
            var fc = recipes[j].Compute(run, window, options);
            for (var i = 0; i < cells.Length; i++)
            {
                var c = mask.Data[i] != 0 ? fc.Data[i] : Outside;
                cells[i] = c;
                if (c != Outside)
                {
                    counts[j][c]++;
                }
            }

            for (var p = 0; p < here.Count; p++)
            {
                atPoints[p][j] = (byte)cells[StreamedRun.Local(here[p], block, grid.Width)];
            }

            storage.Write(StreamedRun.FactorRaster(model.Factors[j].Id), grid, block, cells);
        }

        var inExtent = here.Select(cell => mask.Data[StreamedRun.Local(cell, block, grid.Width)] != 0).ToArray();
        return new FactorBlock(counts, [.. here], atPoints, inExtent);
    }

    /// <summary>The hazard index (every factor) and, when the model has other roles, the susceptibility index of one block.</summary>
    public static CombineBlock Combine(CombineSpec spec, GridSpec grid, BlockRect block, IReadOnlyList<long> here, IBlockStorage storage)
    {
        var classes = spec.FactorRasters.Select(name => HaloWindow.Read(storage.Open(name), block, 0).Data).ToArray();
        var all = Sum(classes, Enumerable.Range(0, classes.Length).ToArray(), spec.Tables);
        storage.Write(StreamedRun.IndexRaster(ZoningProduct.Hazard), grid, block, all);
        var hazard = IndexBlock.Of(block, all, here, grid.Width, spec.SampleSize, positiveOnly: false);
        if (spec.SusceptibilityTables is null)
        {
            return new CombineBlock(hazard, null);
        }

        var s = Sum(classes, spec.Susceptible, spec.SusceptibilityTables);
        storage.Write(StreamedRun.IndexRaster(ZoningProduct.Susceptibility), grid, block, s);
        return new CombineBlock(hazard, IndexBlock.Of(block, s, here, grid.Width, spec.SampleSize, positiveOnly: false));
    }

    /// <summary>
    /// E·V (<see cref="ExposureOnBlocks.ExposedValue"/>) and risk = hazard scaled to 0–1 over the extent × E·V
    /// (<see cref="RiskSurface.Risk"/>) of one block, both written to storage; returns the risk index's partials (cells above 0 sampled).
    /// </summary>
    public static IndexBlock Risk(RiskSpec spec, ExposureOnBlocks exposure, GridSpec grid, BlockRect block, IReadOnlyList<long> here, IBlockStorage storage)
    {
        var classes = HaloWindow.Read(storage.Open(spec.Extent), block, 0).Data;
        var ev = exposure.ExposedValue(block, i => classes[i] != Outside);
        storage.Write(StreamedRun.ExposedValueRaster, grid, block, ev);
        var h = HaloWindow.Read(storage.Open(spec.Hazard), block, 0).Data;
        var cells = new float[h.Length];
        for (var i = 0; i < cells.Length; i++)
        {
            cells[i] = float.IsNaN(h[i]) || float.IsNaN(ev[i]) ? float.NaN : (h[i] - spec.Min) / spec.Range * ev[i];
        }

        storage.Write(StreamedRun.IndexRaster(ZoningProduct.Risk), grid, block, cells);
        return IndexBlock.Of(block, cells, here, grid.Width, spec.SampleSize, positiveOnly: true);
    }

    /// <summary>
    /// One block of a product's census: cells per unit label (the units burnt in order on the block, with the whole grid's
    /// transform) and grade, for the county and township tables, and the grade at the hazard-point cells.
    /// </summary>
    public static CensusBlock Census(CensusSpec spec, GridSpec grid, BlockRect block, IReadOnlyList<long> here, IBlockStorage storage)
    {
        var g = HaloWindow.Read(storage.Open(spec.Grade), block, 0).Data;
        var grades = new byte[g.Length];
        for (var i = 0; i < g.Length; i++)
        {
            grades[i] = float.IsNaN(g[i]) ? (byte)0 : (byte)g[i];
        }

        return new CensusBlock(
            Tabulate(grid, block, spec.Units, grades, spec.Grades),
            spec.Townships.Count == 0 ? null : Tabulate(grid, block, spec.Townships, grades, spec.Grades),
            [.. here],
            here.Select(cell => grades[StreamedRun.Local(cell, block, grid.Width)]).ToArray());
    }

    private static long[,] Tabulate(GridSpec grid, BlockRect block, IReadOnlyList<AdminUnitInput> units, byte[] grade, int grades)
    {
        var labels = ExposureCensus.UnitLabels(grid, block, units);
        var counts = new long[units.Count + 1, grades + 1];
        for (var i = 0; i < grade.Length; i++)
        {
            counts[(int)labels.Data[i], grade[i]]++;
        }

        return counts;
    }

    /// <param name="which">Factors (indexes into <paramref name="classes"/>) in model order.</param>
    /// <param name="tables">Their score tables, one per entry of <paramref name="which"/> or one per factor when they are all.</param>
    private static float[] Sum(float[][] classes, int[] which, float[][] tables)
    {
        var n = classes[0].Length;
        var index = new float[n];
        var perFactor = tables.Length == classes.Length && which.Length == classes.Length;
        for (var i = 0; i < n; i++)
        {
            // Outside the extent every factor's class is 255 (the mask burnt into them).
            if (classes[0][i] == Outside)
            {
                index[i] = float.NaN;
                continue;
            }

            // The same sums, in the same factor order, as ZoningEngine.Combine.
            var sum = 0f;
            for (var k = 0; k < which.Length; k++)
            {
                sum += (perFactor ? tables[which[k]] : tables[k])[(int)classes[which[k]][i]];
            }

            index[i] = sum;
        }

        return index;
    }
}

/// <summary>A factor block's partials: cells per class of each factor, and at each hazard-point cell of the block its classes and whether it is in the extent.</summary>
internal sealed record FactorBlock(long[][] Counts, long[] PointCells, byte[][] PointClasses, bool[] PointInExtent)
{
    public void Write(BinaryWriter w)
    {
        w.Write(Counts.Length);
        foreach (var counts in Counts)
        {
            StreamedBlocksIo.Write(w, counts);
        }

        StreamedBlocksIo.Write(w, PointCells);
        for (var p = 0; p < PointCells.Length; p++)
        {
            w.Write(PointInExtent[p]);
            w.Write(PointClasses[p].Length);
            w.Write(PointClasses[p]);
        }
    }

    public static FactorBlock Read(BinaryReader r)
    {
        var counts = new long[StreamedBlocksIo.ReadCount(r, 4)][];
        for (var j = 0; j < counts.Length; j++)
        {
            counts[j] = StreamedBlocksIo.ReadLongs(r);
        }

        var cells = StreamedBlocksIo.ReadLongs(r);
        var classes = new byte[cells.Length][];
        var inExtent = new bool[cells.Length];
        for (var p = 0; p < cells.Length; p++)
        {
            inExtent[p] = r.ReadBoolean();
            classes[p] = r.ReadBytes(StreamedBlocksIo.ReadCount(r, 1));
        }

        return new FactorBlock(counts, cells, classes, inExtent);
    }
}

/// <summary>What the combine pass needs besides the stored classes: the factor rasters in model order and their score tables.</summary>
/// <param name="Susceptible">The susceptibility factors (indexes in model order); <paramref name="SusceptibilityTables"/> their tables renormalised, null when every factor is one.</param>
internal sealed record CombineSpec(string[] FactorRasters, float[][] Tables, int[] Susceptible, float[][]? SusceptibilityTables, int SampleSize)
{
    public void Write(BinaryWriter w)
    {
        w.Write(FactorRasters.Length);
        foreach (var name in FactorRasters)
        {
            w.Write(name);
        }

        StreamedBlocksIo.Write(w, Tables);
        w.Write(Susceptible.Length);
        foreach (var j in Susceptible)
        {
            w.Write(j);
        }

        w.Write(SusceptibilityTables is not null);
        if (SusceptibilityTables is not null)
        {
            StreamedBlocksIo.Write(w, SusceptibilityTables);
        }

        w.Write(SampleSize);
    }

    public static CombineSpec Read(BinaryReader r)
    {
        var names = new string[StreamedBlocksIo.ReadCount(r, 1)];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = StreamedBlocksIo.ReadName(r);
        }

        var tables = StreamedBlocksIo.ReadTables(r);
        var susceptible = new int[StreamedBlocksIo.ReadCount(r, 4)];
        for (var i = 0; i < susceptible.Length; i++)
        {
            susceptible[i] = r.ReadInt32();
        }

        var susceptibilityTables = r.ReadBoolean() ? StreamedBlocksIo.ReadTables(r) : null;
        return new CombineSpec(names, tables, susceptible, susceptibilityTables, r.ReadInt32());
    }
}

internal sealed record CombineBlock(IndexBlock Hazard, IndexBlock? Susceptibility)
{
    public void Write(BinaryWriter w)
    {
        Hazard.Write(w);
        w.Write(Susceptibility is not null);
        Susceptibility?.Write(w);
    }

    public static CombineBlock Read(BinaryReader r) => new(IndexBlock.Read(r), r.ReadBoolean() ? IndexBlock.Read(r) : null);
}

/// <summary>One block's partials of an index: its hashed sample (valid cells, or cells above 0 for risk, as Breaks.Sample takes them), its value range and its values at the hazard-point cells.</summary>
internal sealed record IndexBlock(long[] SampleCells, float[] SampleValues, float Min, float Max, long Count, long[] PointCells, float[] PointValues)
{
    public static IndexBlock Of(BlockRect block, float[] cells, IReadOnlyList<long> here, int gridWidth, int sampleSize, bool positiveOnly)
    {
        var sample = new CellSample(Math.Max(1, sampleSize));
        for (var r = 0; r < block.Height; r++)
        {
            var first = ((long)(block.Y + r) * gridWidth) + block.X;
            for (var c = 0; c < block.Width; c++)
            {
                var v = cells[(r * block.Width) + c];
                if (positiveOnly ? v > 0 : !float.IsNaN(v))
                {
                    sample.Add(first + c, v);
                }
            }
        }

        var range = new ValueRange();
        range.Add(cells);
        var (sampleCells, sampleValues) = sample.ToArrays();
        return new IndexBlock(sampleCells, sampleValues, range.Min, range.Max, range.Count, [.. here],
            here.Select(cell => cells[StreamedRun.Local(cell, block, gridWidth)]).ToArray());
    }

    public ValueRange Range => ValueRange.From(Min, Max, Count);

    public void Write(BinaryWriter w)
    {
        StreamedBlocksIo.Write(w, SampleCells);
        StreamedBlocksIo.Write(w, SampleValues);
        w.Write(Min);
        w.Write(Max);
        w.Write(Count);
        StreamedBlocksIo.Write(w, PointCells);
        StreamedBlocksIo.Write(w, PointValues);
    }

    public static IndexBlock Read(BinaryReader r) => new(
        StreamedBlocksIo.ReadLongs(r), StreamedBlocksIo.ReadFloats(r), r.ReadSingle(), r.ReadSingle(), r.ReadInt64(),
        StreamedBlocksIo.ReadLongs(r), StreamedBlocksIo.ReadFloats(r));
}

/// <summary>Arrays in the block partials' binary form (a count, then the values).</summary>
internal static class StreamedBlocksIo
{
    /// <summary>
    /// A count read from a job or a block's partials, refused when what it counts (at least <paramref name="bytesEach"/> bytes each)
    /// cannot fit in the bytes left: a damaged or hostile file fails clearly instead of making a worker allocate gigabytes.
    /// </summary>
    public static int ReadCount(BinaryReader r, int bytesEach)
    {
        var count = r.ReadInt32();
        var left = r.BaseStream.Length - r.BaseStream.Position;
        return count >= 0 && (long)count * bytesEach <= left
            ? count
            : throw new InvalidDataException($"A count of {count} with {left} bytes left: the zoning job or block result is damaged.");
    }

    /// <summary>
    /// A raster's name in the run's block storage, read from a job: a plain name (letters, digits, '.', '_', '-'; not "." or ".."),
    /// so a job cannot make a worker read or write outside the run's block folder.
    /// </summary>
    public static string ReadName(BinaryReader r)
    {
        var name = r.ReadString();
        return name.Length is > 0 and <= 128 && name is not ("." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            ? name
            : throw new InvalidDataException($"'{name}' is not a raster name of a run's block storage.");
    }

    public static void Write(BinaryWriter w, long[] values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    public static void Write(BinaryWriter w, float[] values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    public static void Write(BinaryWriter w, float[][] tables)
    {
        w.Write(tables.Length);
        foreach (var t in tables)
        {
            Write(w, t);
        }
    }

    public static void Write(BinaryWriter w, long[,] values)
    {
        w.Write(values.GetLength(0));
        w.Write(values.GetLength(1));
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    /// <summary>A geometry as WKB, which keeps every coordinate's double exactly (a worker burns the same cells).</summary>
    public static void Write(BinaryWriter w, WKBWriter wkb, Geometry geometry)
    {
        var bytes = wkb.Write(geometry);
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    public static Geometry ReadGeometry(BinaryReader r, WKBReader wkb) => wkb.Read(r.ReadBytes(ReadCount(r, 1)));

    public static long[,] ReadMatrix(BinaryReader r)
    {
        var (rows, columns) = (r.ReadInt32(), r.ReadInt32());
        var left = r.BaseStream.Length - r.BaseStream.Position;
        if (rows < 0 || columns < 0 || (long)rows * columns * 8 > left)
        {
            throw new InvalidDataException($"A {rows} × {columns} table with {left} bytes left: the block result is damaged.");
        }

        var values = new long[rows, columns];
        for (var a = 0; a < values.GetLength(0); a++)
        {
            for (var b = 0; b < values.GetLength(1); b++)
            {
                values[a, b] = r.ReadInt64();
            }
        }

        return values;
    }

    public static long[] ReadLongs(BinaryReader r)
    {
        var values = new long[ReadCount(r, 8)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadInt64();
        }

        return values;
    }

    public static float[] ReadFloats(BinaryReader r)
    {
        var values = new float[ReadCount(r, 4)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadSingle();
        }

        return values;
    }

    public static float[][] ReadTables(BinaryReader r)
    {
        var tables = new float[ReadCount(r, 4)][];
        for (var i = 0; i < tables.Length; i++)
        {
            tables[i] = ReadFloats(r);
        }

        return tables;
    }
}
