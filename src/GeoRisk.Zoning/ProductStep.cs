using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Classify;
using GeoRisk.Raster.Vectorize;

namespace GeoRisk.Zoning;

/// <summary>
/// One product from its index: breaks, grades with the minimum mapping unit and polygons (<see cref="GradeStep"/>), zone
/// attributes, grade summary, census, validation; then its rasters go to the sink and the product lets go of its index.
/// </summary>
internal static class ProductStep
{
    public static ProductResult Run(
        RunContext run, ZoningProduct product, RasterBuffer<float> index, RasterBuffer<byte> mask, PointCells points, ZoneIdSequence zoneIds)
    {
        var model = run.Model;
        var name = product.ToString().ToLowerInvariant();
        run.Report($"{name}: classify");
        var breaks = ZoningEngine.ComputeBreaks(model.Classification, index, product);
        var (grade, polygons) = GradeStep.Run(run, name, index, breaks);
        if (model.Classification.SimplifyCells > 0)
        {
            polygons = CoverageSimplification.Simplify(polygons, model.Classification.SimplifyCells * Math.Abs(run.Grid.Transform.PixelWidth));
        }

        run.Lap($"{name}.polygonize");
        var zones = ZoningEngine.DescribeZones(model, run.Inputs, polygons, product, zoneIds.Next);
        zoneIds.Next += zones.Count;
        var grades = ZoningEngine.SummariseGrades(model.Classification.Grades, grade, points.All, CellKm2(run.Grid));
        var result = new ProductResult
        {
            Product = product,
            Index = index,
            Grade = grade,
            Breaks = breaks,
            Grades = grades,
            Census = Census(run, run.Inputs.AdminUnits, grade, product),
            TownshipCensus = run.Inputs.Townships.Count == 0 ? [] : Census(run, run.Inputs.Townships, grade, product),
            Zones = zones,
            Validation = product == ZoningProduct.Risk ? null : Validation(index, points, grades),
        };
        run.Lap($"{name}.census");
        if (run.Ports.Sink is { } sink)
        {
            sink.Product(product, index, grade);
            result.ReleaseIndex();
        }

        return result;
    }

    private static double CellKm2(GridSpec grid) => Math.Abs(grid.Transform.PixelWidth * grid.Transform.PixelHeight) / 1e6;

    private static IReadOnlyList<CensusRow> Census(RunContext run, IReadOnlyList<AdminUnitInput> units, RasterBuffer<byte> grade, ZoningProduct product) =>
        ZoningEngine.Census(run.Model.Classification.Grades, units, run.Inputs.HazardPoints, run.Grid, grade, CellKm2(run.Grid), product);

    /// <summary>Against the hazard points (susceptibility and hazard only): ROC-AUC held out and all, density rising with grade, success rate.</summary>
    private static ValidationMetrics Validation(RasterBuffer<float> index, PointCells points, IReadOnlyList<GradeSummary> grades) =>
        new(points.Training.Count, points.HeldOut.Count,
            points.HeldOut.Count == 0
                ? null
                : ZoningEngine.RocAuc(index, points.HeldOut), points.All.Count == 0 ? null : ZoningEngine.RocAuc(index, points.All),
            grades.Zip(grades.Skip(1)).All(p => p.Second.PointsPerKm2 > p.First.PointsPerKm2))
        {
            SuccessRate = ZoningEngine.SuccessRate(index, points.All, 20),
        };
}

/// <summary>
/// Classify, minimum mapping unit and polygonize of a run that does not stream, in one of two variants giving the same cells and
/// polygons: whole grids (no block size), or block by block in this process (a block size without block storage). A streamed run
/// hands its grade jobs to <see cref="ZoningPorts.Blocks"/> (docs/SCALE.md); a run holding whole grids never goes to a cluster.
/// </summary>
internal static class GradeStep
{
    public static (RasterBuffer<byte> Grade, List<ClassPolygon> Polygons) Run(RunContext run, string name, RasterBuffer<float> index, double[] breaks)
    {
        var (graded, polygons) = run.Options.BlockSize <= 0 ? WholeGrid(run, name, index, breaks) : Blockwise(run, name, index, breaks);
        return (ToGrades(graded), polygons);
    }

    private static (RasterBuffer<float>, List<ClassPolygon>) WholeGrid(RunContext run, string name, RasterBuffer<float> index, double[] breaks)
    {
        var c = run.Model.Classification;
        var graded = Breaks.Classify(index, breaks, run.Options);
        if (c.MinMappingUnitCells > 1)
        {
            graded = Sieve.Apply(graded, c.MinMappingUnitCells, c.EightConnected);
        }

        run.Lap($"{name}.classify");
        run.Report($"{name}: polygonize");
        return (graded, Polygonizer.Polygonize(graded, run.Grid.Transform, c.EightConnected));
    }

    /// <summary>Block by block with stitched seams (<see cref="BlockSieve"/>, <see cref="BlockPolygonizer"/>); the grades are still one grid in
    /// memory.</summary>
    private static (RasterBuffer<float>, List<ClassPolygon>) Blockwise(RunContext run, string name, RasterBuffer<float> index, double[] breaks)
    {
        var c = run.Model.Classification;
        var layout = new BlockLayout(run.Grid.Width, run.Grid.Height, run.Options.BlockSize, run.Options.BlockSize);
        var source = new MemoryRaster(run.Grid, Breaks.Classify(index, breaks, run.Options));
        if (c.MinMappingUnitCells > 1)
        {
            var sieved = new MemoryRaster(run.Grid);
            BlockSieve.Run(source, sieved, layout, c.MinMappingUnitCells, c.EightConnected, run.Options);
            source = sieved;
        }

        run.Lap($"{name}.classify");
        run.Report($"{name}: polygonize");
        return (source.Buffer, BlockPolygonizer.Run(source, layout, c.EightConnected, run.Options));
    }

    /// <summary>A grade job over the stored index with the product's breaks as fixed breaks (the other steps as the model says).</summary>
    internal static GradeJob Job(RunContext run, string index, double[] breaks)
    {
        var c = run.Model.Classification;
        return new GradeJob
        {
            Index = index,
            Classes = breaks.Length + 1,
            Method = BreakMethod.Fixed,
            FixedBreaks = breaks,
            MinimumCells = c.MinMappingUnitCells,
            EightConnected = c.EightConnected,
            BlockSize = run.Options.BlockSize,
        };
    }

    private static RasterBuffer<byte> ToGrades(RasterBuffer<float> graded)
    {
        var grade = new RasterBuffer<byte>(graded.Width, graded.Height);
        for (var i = 0; i < grade.Data.Length; i++)
        {
            var g = graded.Data[i];
            grade.Data[i] = float.IsNaN(g) ? (byte)0 : (byte)g;
        }

        return grade;
    }
}
