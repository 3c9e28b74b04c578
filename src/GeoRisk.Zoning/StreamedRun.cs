using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Rasterize;
using GeoRisk.Raster.Vectorize;
using NetTopologySuite.Geometries;

namespace GeoRisk.Zoning;

/// <summary>
/// The zoning run streamed block by block through the sink's block storage (docs/SCALE.md "streamed run"): no step holds a
/// whole grid. Extent mask and factor classes per block (factors with a reach read their halo through
/// <see cref="FactorClasses.Compute"/>'s window; an incremental run reads the previous run's classes of the block and recomputes
/// the cells of the dirty windows inside it, <see cref="FactorRecipe"/>), the combine per block, breaks from the merged hashed sample, classify,
/// minimum mapping unit and polygonize through <see cref="GradePipeline"/> on the stored index (in this process or on the
/// <see cref="ZoningPorts.Blocks"/> runner), grade summary, census and validation as sums of per-block partials, the rasters
/// handed to the sink as window sources. Every result equals the whole-grid run's (tests: Zoning.Tests, Services.Tests
/// "BlockwiseZoningRunTests", Cluster.Tests "ClusterZoningRunTests").
/// </summary>
internal static class StreamedRun
{
    private const byte Outside = ZoningEngine.OutsideExtent;

    /// <param name="recipes">How each factor's classes are made (an incremental run: the previous classes read per block, dirty cells recomputed).</param>
    public static ZoningResult Run(RunContext run, IZoningBlockSink sink, IReadOnlyList<FactorRecipe> recipes, bool incremental)
    {
        var model = run.Model;
        var grid = run.Grid;
        if (model.Factors.Count == 0)
        {
            throw new ArgumentException("A model needs at least one factor.", nameof(run));
        }

        var layout = new BlockLayout(grid.Width, grid.Height, run.Options.BlockSize, run.Options.BlockSize);
        var storage = sink.Blocks;
        var candidates = PointCandidates.Of(run, layout);

        run.Report("extent mask and factors");
        var factors = FactorPass(run, layout, storage, candidates, recipes);
        // The factor blocks are final: the sink may write their COGs while the next passes run.
        sink.FactorClasses(model.Factors.ToDictionary(f => f.Id, f => storage.Open(FactorRaster(f.Id)), StringComparer.Ordinal));
        run.Lap("factors");

        var points = PointCells.Of(run.Inputs.HazardPoints, grid, cell => factors.InExtent.Contains(cell), model.Validation.HoldOutFraction);
        var scores = FactorScores.Fit(model, j => factors.Counts[j], (j, cell) => factors.ClassesAt[cell][j], points.Training);

        run.Report("combine");
        var all = Enumerable.Range(0, model.Factors.Count).ToArray();
        var susceptible = all.Where(j => model.Factors[j].Role == FactorRole.Susceptibility).ToArray();
        var shared = susceptible.Length == all.Length;
        var share = scores.Weights is null ? 1f : (float)susceptible.Sum(j => scores.Weights[j]);
        var susceptibilityTables = shared ? null : susceptible.Select(j => scores.Tables[j].Select(v => v / share).ToArray()).ToArray();
        var combined = CombinePass(run, layout, storage, candidates, scores, susceptible, susceptibilityTables);
        run.Lap("combine");

        var zoneIds = new ZoneIdSequence();
        var products = new List<ProductResult>
        {
            Product(run, sink, layout, ZoningProduct.Susceptibility, combined.Susceptibility, points, candidates, zoneIds),
            Product(run, sink, layout, ZoningProduct.Hazard, combined.Hazard, points, candidates, zoneIds),
        };
        if (!run.Inputs.Exposure.IsEmpty)
        {
            run.Report("risk: exposure × vulnerability");
            var risk = RiskPass(run, layout, storage, candidates, combined.Hazard);
            sink.ExposedValue(storage.Open(ExposedValueRaster));
            run.Lap("risk.exposure");
            products.Add(Product(run, sink, layout, ZoningProduct.Risk, risk, points, candidates, zoneIds));
        }

        return new ZoningResult
        {
            Grid = grid,
            Products = products,
            FactorClasses = new Dictionary<string, RasterBuffer<byte>>(StringComparer.Ordinal),
            Ahp = scores.Ahp,
            Factors = scores.Summaries,
            Timings = run.Timings,
            Incremental = FactorRecipe.Stats(recipes, grid, incremental),
        };
    }

    internal const string ExposedValueRaster = "exposed-value";

    internal static string FactorRaster(string id) => "factor-" + id;

    internal static string IndexRaster(ZoningProduct product) => product.ToString().ToLowerInvariant() + "-index";


    internal static int Local(long cell, BlockRect block, int gridWidth) => (int)((((cell / gridWidth) - block.Y) * block.Width) + (cell % gridWidth) - block.X);

    private static ParallelOptions Threads(RunContext run) =>
        new() { MaxDegreeOfParallelism = Math.Max(1, run.Options.MaxDegreeOfParallelism), CancellationToken = run.Options.CancellationToken };

    private sealed record FactorOutput(long[][] Counts, HashSet<long> InExtent, Dictionary<long, byte[]> ClassesAt);

    /// <summary>
    /// Per block (<see cref="StreamedBlocks.Factors"/>): the extent mask and each factor's classes (computed, or the previous run's with the
    /// dirty cells recomputed), written to storage as factor-{id}; on the block runner's workers when it has them and every factor's input
    /// can be handed over (<see cref="ZoningBlockJob.Factors"/>).
    /// </summary>
    private static FactorOutput FactorPass(RunContext run, BlockLayout layout, IBlockStorage storage, PointCandidates candidates, IReadOnlyList<FactorRecipe> recipes)
    {
        var output = new FactorOutput(run.Model.Factors.Select(f => new long[f.Transform.ClassCount + 1]).ToArray(), [], []);
        void Merge(FactorBlock part)
        {
            for (var j = 0; j < output.Counts.Length; j++)
            {
                for (var c = 0; c < output.Counts[j].Length; c++)
                {
                    output.Counts[j][c] += part.Counts[j][c];
                }
            }

            for (var p = 0; p < part.PointCells.Length; p++)
            {
                output.ClassesAt[part.PointCells[p]] = part.PointClasses[p];
                if (part.PointInExtent[p])
                {
                    output.InExtent.Add(part.PointCells[p]);
                }
            }
        }

        EachBlock(run, layout, storage, "factors", () => ZoningBlockJob.Factors(run, recipes, candidates.Cells), ZoningBlockJob.ReadFactors,
            block => StreamedBlocks.Factors(run, recipes, block, candidates.In(block), storage), Merge);
        return output;
    }

    /// <summary>
    /// A pass over every block: on the block runner's workers through <paramref name="job"/> when there is a runner and the pass can be
    /// handed over (a null job: it cannot), each block's partials read back in block order; else in this process, blocks in parallel.
    /// <paramref name="merge"/> gets each block's partials, one at a time.
    /// </summary>
    private static void EachBlock<T>(
        RunContext run, BlockLayout layout, IBlockStorage storage, string name, Func<ZoningBlockJob?> job, Func<byte[], T> read,
        Func<BlockRect, T> compute, Action<T> merge)
    {
        if (run.Ports.Blocks is { } remote && job() is { } pass)
        {
            var stage = $"{name}: blocks";
            var results = remote.RunBlocks(pass, storage, new Core.SyncProgress<BlockStepProgress>(p => run.ReportBlocks(stage, p)), run.Options.CancellationToken);
            foreach (var bytes in results)
            {
                merge(read(bytes));
            }

            return;
        }

        var gate = new Lock();
        Parallel.For(0, layout.Count, Threads(run), b =>
        {
            var part = compute(layout[b]);
            lock (gate)
            {
                merge(part);
            }
        });
    }

    /// <summary>What the streamed steps know of an index without holding it: its raster, merged sample, value range and values at the point cells.</summary>
    private sealed class IndexPartials(string raster, int sampleSize)
    {
        public string Raster { get; } = raster;

        public int SampleSize { get; } = Math.Max(1, sampleSize);

        public CellSample Sample { get; } = new(Math.Max(1, sampleSize));

        public ValueRange Range { get; } = new();

        public Dictionary<long, float> AtPoints { get; } = [];

        /// <summary>Adds one block's partials (its cells sampled as Breaks.Sample does: valid cells, or cells above 0 for risk).</summary>
        public void Merge(IndexBlock part)
        {
            for (var i = 0; i < part.SampleCells.Length; i++)
            {
                Sample.Add(part.SampleCells[i], part.SampleValues[i]); // a bottom-k sample merges cell by cell, in any order
            }

            Range.Merge(part.Range);
            for (var p = 0; p < part.PointCells.Length; p++)
            {
                AtPoints[part.PointCells[p]] = part.PointValues[p];
            }
        }
    }

    private sealed record Combined(IndexPartials Susceptibility, IndexPartials Hazard);

    /// <summary>Per block (<see cref="StreamedBlocks.Combine"/>): the susceptibility and hazard indexes from the stored classes, on the block
    /// runner's workers when there is one.</summary>
    private static Combined CombinePass(
        RunContext run,
        BlockLayout layout,
        IBlockStorage storage,
        PointCandidates candidates,
        FactorScores scores,
        int[] susceptible,
        float[][]? susceptibilityTables)
    {
        var model = run.Model;
        var sampleSize = model.Classification.SampleSize;
        var hazard = new IndexPartials(IndexRaster(ZoningProduct.Hazard), sampleSize);
        var susceptibility = susceptibilityTables is null ? hazard : new IndexPartials(IndexRaster(ZoningProduct.Susceptibility), sampleSize);
        var spec = new CombineSpec(model.Factors.Select(f => FactorRaster(f.Id)).ToArray(), scores.Tables, susceptible, susceptibilityTables, sampleSize);
        void Merge(CombineBlock part)
        {
            hazard.Merge(part.Hazard);
            if (part.Susceptibility is not null)
            {
                susceptibility.Merge(part.Susceptibility);
            }
        }

        EachBlock(run, layout, storage, "combine", () => ZoningBlockJob.Combining(run, spec, candidates.Cells), ZoningBlockJob.ReadCombine,
            block => StreamedBlocks.Combine(spec, run.Grid, block, candidates.In(block), storage), Merge);
        return new Combined(susceptibility, hazard);
    }

    /// <summary>Per block (<see cref="StreamedBlocks.Risk"/>): E·V and risk, written to storage, on the block runner's workers when there is one.</summary>
    private static IndexPartials RiskPass(RunContext run, BlockLayout layout, IBlockStorage storage, PointCandidates candidates, IndexPartials hazard)
    {
        var risk = new IndexPartials(IndexRaster(ZoningProduct.Risk), run.Model.Classification.SampleSize);
        var spec = RiskSpec.Of(run, hazard.Raster, hazard.Range);
        var exposure = new Lazy<ExposureOnBlocks>(() => ExposureOnBlocks.Of(run.Grid, layout, spec)); // only when the blocks run here
        EachBlock(run, layout, storage, "risk", () => ZoningBlockJob.Risking(run, spec, candidates.Cells), ZoningBlockJob.ReadIndex,
            block => StreamedBlocks.Risk(spec, exposure.Value, run.Grid, block, candidates.In(block), storage), risk.Merge);
        return risk;
    }

    /// <summary>One product from its stored index: breaks, the grade job, zones, grade summary, census, validation, then the sink.</summary>
    private static ProductResult Product(
        RunContext run,
        IZoningBlockSink sink,
        BlockLayout layout,
        ZoningProduct product,
        IndexPartials index,
        PointCells points,
        PointCandidates candidates, ZoneIdSequence zoneIds)
    {
        var model = run.Model;
        var grid = run.Grid;
        var c = model.Classification;
        var storage = sink.Blocks;
        var name = product.ToString().ToLowerInvariant();
        run.Report($"{name}: classify");
        var breaks = ZoningEngine.ComputeBreaks(c, product, _ => index.Sample.Values());
        var job = GradeStep.Job(run, index.Raster, breaks) with { Graded = name + "-graded", Grade = name + "-grade" };
        var graded = Grades(run, job, storage, name);
        run.Lap($"{name}.classify");
        run.Report($"{name}: polygonize");
        var polygons = graded.Zones;
        if (c.SimplifyCells > 0)
        {
            polygons = CoverageSimplification.Simplify(polygons, c.SimplifyCells * Math.Abs(grid.Transform.PixelWidth));
        }

        run.Lap($"{name}.polygonize");
        var zones = ZoningEngine.DescribeZones(model, run.Inputs, polygons, product, zoneIds.Next);
        zoneIds.Next += zones.Count;
        var census = CensusPass(run, layout, job.Grade, candidates, storage, name);
        var cellKm2 = Math.Abs(grid.Transform.PixelWidth * grid.Transform.PixelHeight) / 1e6;
        var cells = new long[c.Grades + 1];
        for (var g = 1; g <= c.Grades && g < graded.CellsPerGrade.Length; g++)
        {
            cells[g] = graded.CellsPerGrade[g];
        }

        var grades = ZoningEngine.SummariseGrades(c.Grades, cells, points.All.Select(census.GradeAt), cellKm2);
        var result = new ProductResult
        {
            Product = product,
            Index = null!,
            GradeBlocks = storage.Open(job.Grade),
            Breaks = breaks,
            Grades = grades,
            Census = ZoningEngine.CensusRows(c.Grades, run.Inputs.AdminUnits, run.Inputs.HazardPoints, grid, census.Units, census.GradeAt, cellKm2, product),
            TownshipCensus = run.Inputs.Townships.Count == 0 ? []
                : ZoningEngine.CensusRows(c.Grades, run.Inputs.Townships, run.Inputs.HazardPoints, grid, census.Townships!, census.GradeAt, cellKm2, product),
            Zones = zones,
            Validation = product == ZoningProduct.Risk ? null : Validation(graded.Histogram, index, points, grades),
        };
        run.Lap($"{name}.census");
        sink.Product(product, storage.Open(index.Raster), storage.Open(job.Grade));
        return result;
    }

    /// <summary>The grade job in this process, or on the block runner (a cluster), which leaves the grade raster in the same storage.</summary>
    private static GradeResult Grades(RunContext run, GradeJob job, IBlockStorage storage, string name)
    {
        if (run.Ports.Blocks is { } remote)
        {
            var stage = $"{name}: blocks";
            return remote.Run(job, storage, new Core.SyncProgress<BlockStepProgress>(p => run.ReportBlocks(stage, p)), run.Options.CancellationToken);
        }

        return GradePipeline.RunAsync(job, new InProcessBlockExecutor(job, storage, run.Options.MaxDegreeOfParallelism), storage,
            cancellationToken: run.Options.CancellationToken).GetAwaiter().GetResult();
    }

    private static ValidationMetrics Validation(ValueHistogram? histogram, IndexPartials index, PointCells points, IReadOnlyList<GradeSummary> grades)
    {
        List<float> At(List<long> cells) => cells.Select(cell => index.AtPoints[cell]).ToList();
        return new(points.Training.Count, points.HeldOut.Count,
            points.HeldOut.Count == 0
                ? null
                : ZoningEngine.RocAuc(histogram, At(points.HeldOut)), points.All.Count == 0 ? null : ZoningEngine.RocAuc(histogram, At(points.All)),
            grades.Zip(grades.Skip(1)).All(p => p.Second.PointsPerKm2 > p.First.PointsPerKm2))
        {
            SuccessRate = ZoningEngine.SuccessRate(histogram, At(points.All), 20),
        };
    }

    private sealed record CensusPartials(long[,] Units, long[,]? Townships, Dictionary<long, byte> AtPoints)
    {
        public byte GradeAt(long cell) => AtPoints.TryGetValue(cell, out var g) ? g : (byte)0;

        public void Merge(CensusBlock part)
        {
            Add(Units, part.Units);
            if (part.Townships is not null)
            {
                Add(Townships!, part.Townships);
            }

            for (var p = 0; p < part.PointCells.Length; p++)
            {
                AtPoints[part.PointCells[p]] = part.PointGrades[p];
            }
        }
    }

    /// <summary>
    /// Per block (<see cref="StreamedBlocks.Census"/>): cells per county and township and grade, the grade at the point cells; on the
    /// block runner's workers when there is one.
    /// </summary>
    private static CensusPartials CensusPass(RunContext run, BlockLayout layout, string grade, PointCandidates candidates, IBlockStorage storage, string name)
    {
        var grades = run.Model.Classification.Grades;
        var (units, townships) = (run.Inputs.AdminUnits, run.Inputs.Townships);
        var total = new CensusPartials(new long[units.Count + 1, grades + 1], townships.Count == 0 ? null : new long[townships.Count + 1, grades + 1], []);
        var spec = new CensusSpec(grade, grades, units, townships);
        EachBlock(run, layout, storage, $"{name}: census", () => ZoningBlockJob.Counting(run, spec, candidates.Cells), ZoningBlockJob.ReadCensus,
            block => StreamedBlocks.Census(spec, run.Grid, block, candidates.In(block), storage), total.Merge);
        return total;
    }

    private static void Add(long[,] into, long[,] part)
    {
        for (var a = 0; a < into.GetLength(0); a++)
        {
            for (var g = 0; g < into.GetLength(1); g++)
            {
                into[a, g] += part[a, g];
            }
        }
    }
}

/// <summary>
/// The cells holding a hazard point (whatever the extent), ascending and sorted to their blocks once: every value a block pass needs at
/// a point is collected at these cells.
/// </summary>
internal sealed class PointCandidates
{
    private readonly List<long>[] _perBlock;

    public PointCandidates(long[] cells, BlockLayout layout)
    {
        Cells = cells;
        _perBlock = Enumerable.Range(0, layout.Count).Select(_ => new List<long>()).ToArray();
        foreach (var cell in cells)
        {
            _perBlock[layout.BlockOfCell(cell).Index].Add(cell);
        }
    }

    public static PointCandidates Of(RunContext run, BlockLayout layout) =>
        new(run.Inputs.HazardPoints.Select(p => ZoningEngine.CellOf(run.Grid, p.X, p.Y)).Where(c => c >= 0).Distinct().Order().ToArray(), layout);

    public long[] Cells { get; }

    public List<long> In(BlockRect block) => _perBlock[block.Index];
}
