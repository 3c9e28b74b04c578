using System.Diagnostics;
using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Classify;
using GeoRisk.Raster.Vectorize;
using NetTopologySuite.Geometries;

namespace GeoRisk.Zoning;

/// <summary>What every step of one run shares: the model, inputs, options, ports, the stage clock and progress.</summary>
internal sealed class RunContext(RiskModel model, ZoningInputs inputs, RasterOptions options, IProgress<ZoningProgress>? progress, ZoningPorts ports)
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly double _stages = model.Factors.Count + 8.0;
    private int _done;

    public RiskModel Model { get; } = model;

    public ZoningInputs Inputs { get; } = inputs;

    public GridSpec Grid => Inputs.Grid;

    public RasterOptions Options { get; } = options;

    public ZoningPorts Ports { get; } = ports;

    /// <summary>Seconds per stage, since the previous lap.</summary>
    public Dictionary<string, double> Timings { get; } = new(StringComparer.Ordinal);

    public void Lap(string stage)
    {
        Timings[stage] = Math.Round(_watch.Elapsed.TotalSeconds, 3);
        _watch.Restart();
    }

    // The service's own steps (exposure census, writing) follow at 95 % and beyond.
    public void Report(string stage) => progress?.Report(new ZoningProgress(stage, Math.Min(0.94, _done++ / _stages)));

    /// <summary>Block steps of the current stage, without advancing it.</summary>
    public void ReportBlocks(string stage, BlockStepProgress blocks) =>
        progress?.Report(new ZoningProgress(stage, Math.Min(0.94, Math.Max(0, _done - 1) / _stages)) { Blocks = blocks });
}

/// <summary>Factor classes per factor on the whole grid, masked to the extent; an incremental run recomputes only the dirty windows.</summary>
internal static class FactorStep
{
    public static Dictionary<string, RasterBuffer<byte>> Run(RunContext run, RasterBuffer<byte> mask, IReadOnlyList<FactorRecipe> recipes)
    {
        var classes = new Dictionary<string, RasterBuffer<byte>>(StringComparer.Ordinal);
        var whole = new CellWindow(0, 0, run.Grid.Width, run.Grid.Height);
        foreach (var recipe in recipes)
        {
            run.Report($"factor {recipe.Factor.Id}");
            run.Options.CancellationToken.ThrowIfCancellationRequested();
            var fc = recipe.Compute(run, whole, run.Options);
            ZoningEngine.ApplyMask(fc, mask);
            classes[recipe.Factor.Id] = fc;
            run.Lap($"factor.{recipe.Factor.Id}");
        }

        return classes;
    }
}

/// <summary>
/// How one factor's classes are made in a run: from its inputs on every cell, or (incremental) the previous run's classes with the
/// dirty windows — each changed area plus the factor's reach — recomputed. The whole-grid run and the streamed run (per block)
/// both go through <see cref="Compute"/>, so they patch the same cells.
/// </summary>
/// <param name="Previous">The plan holding this factor's previous classes; null: computed on every cell.</param>
/// <param name="Dirty">Whether the factor is computed at all (every factor of a full run, the changed ones of an incremental run).</param>
/// <param name="Windows">The dirty windows of a reused factor.</param>
internal sealed record FactorRecipe(FactorDefinition Factor, IncrementalPlan? Previous, bool Dirty, IReadOnlyList<CellWindow> Windows)
{
    public static List<FactorRecipe> Of(RunContext run, IncrementalPlan? plan) => run.Model.Factors.Select(f =>
        plan is not null && plan.Reuses(f.Id) && plan.Fits(f.Id, run.Grid)
            ? new FactorRecipe(f, plan, plan.DirtyAreas.TryGetValue(f.Id, out var dirty), DirtyWindows(run.Grid, f, dirty ?? []))
            : new FactorRecipe(f, null, true, [])).ToList();

    /// <summary>What the record says of the recompute: cells computed from the inputs (each dirty window counted whole), factors computed.</summary>
    public static IncrementalStats Stats(IReadOnlyList<FactorRecipe> recipes, GridSpec grid, bool incremental) => new(
        incremental,
        recipes.Sum(r => r.Previous is null ? grid.CellCount : r.Windows.Sum(w => w.Cells)),
        grid.CellCount * recipes.Count,
        recipes.Where(r => r.Dirty).Select(r => r.Factor.Id).ToList());

    /// <summary>The classes of a window (not yet masked): computed from the inputs, or the previous ones with the dirty cells inside it recomputed.</summary>
    public RasterBuffer<byte> Compute(RunContext run, CellWindow window, RasterOptions options)
    {
        var input = run.Inputs.Factors[Factor.Id];
        if (Previous is null)
        {
            return FactorClasses.Compute(Factor, input, run.Grid, window, options);
        }

        var classes = Previous.ReadPrevious(Factor.Id, window);
        foreach (var dirty in Windows)
        {
            // A window computed alone equals the same cells of the whole grid (FactorClasses), so a dirty window cut at block edges
            // gives the cells the whole-grid patch gives.
            var part = dirty.Intersect(window);
            if (!part.IsEmpty)
            {
                FactorClasses.Paste(classes, FactorClasses.Compute(Factor, input, run.Grid, part, options), part with { X = part.X - window.X, Y = part.Y - window.Y });
            }
        }

        return classes;
    }

    private static List<CellWindow> DirtyWindows(GridSpec grid, FactorDefinition factor, IReadOnlyList<Envelope> dirty)
    {
        var reachCells = (int)Math.Ceiling(factor.Reach / Math.Abs(grid.Transform.PixelWidth)) + 1;
        return dirty.Select(env => CellWindow.Of(env, grid).Expand(reachCells, grid.Width, grid.Height)).Where(w => !w.IsEmpty).ToList();
    }
}

/// <summary>The cells of the hazard points inside the extent: all of them, and split into training and held-out by point id.</summary>
internal sealed record PointCells(List<long> All, List<long> Training, List<long> HeldOut)
{
    public static PointCells Of(IReadOnlyList<HazardPointInput> points, GridSpec grid, RasterBuffer<byte> mask, double holdOut) =>
        Of(points, grid, cell => mask.Data[cell] != 0, holdOut);

    public static PointCells Of(IReadOnlyList<HazardPointInput> points, GridSpec grid, Func<long, bool> inExtent, double holdOut)
    {
        var cells = new PointCells([], [], []);
        foreach (var p in points)
        {
            var cell = ZoningEngine.CellOf(grid, p.X, p.Y);
            if (cell >= 0 && inExtent(cell))
            {
                cells.All.Add(cell);
                (ZoningEngine.IsHeldOut(p.Id, holdOut) ? cells.HeldOut : cells.Training).Add(cell);
            }
        }

        return cells;
    }
}

/// <summary>Each factor's score per class times its weight (AHP/explicit), or its information values fitted on the training cells.</summary>
internal sealed record FactorScores(IReadOnlyList<double>? Weights, AhpResult? Ahp, float[][] Tables, List<FactorSummary> Summaries)
{
    public static FactorScores Fit(RiskModel model, IReadOnlyDictionary<string, RasterBuffer<byte>> classes, IReadOnlyList<long> trainingCells) =>
        Fit(
            model,
            j => ZoningEngine.CountClasses(classes[model.Factors[j].Id], model.Factors[j].Transform.ClassCount),
            (j, cell) => classes[model.Factors[j].Id].Data[cell],
            trainingCells);

    /// <param name="countsOf">Cells per class of factor j (whole grid or summed per block).</param>
    /// <param name="classAt">Factor j's class at a cell (only the training cells are asked).</param>
    public static FactorScores Fit(RiskModel model, Func<int, long[]> countsOf, Func<int, long, byte> classAt, IReadOnlyList<long> trainingCells)
    {
        var (weights, ahp) = model.ResolveWeights();
        var summaries = new List<FactorSummary>();
        var tables = new float[model.Factors.Count][];
        for (var j = 0; j < model.Factors.Count; j++)
        {
            var factor = model.Factors[j];
            var t = factor.Transform;
            var counts = countsOf(j);
            var index = j;
            var scores = weights is null
                ? ZoningEngine.FitInformationValues(factor, cell => classAt(index, cell), counts, trainingCells)
                : Enumerable.Range(0, t.ClassCount + 1).Select(t.ScoreOf).ToArray();
            var table = new float[256];
            for (var c = 0; c < scores.Length; c++)
            {
                table[c] = (float)(scores[c] * (weights?[j] ?? 1));
            }

            tables[j] = table;
            summaries.Add(new FactorSummary(factor.Id, factor.Title, factor.TitleZh, weights?[j], scores, counts, ZoningEngine.ClassLabels(t)));
        }

        return new FactorScores(weights, ahp, tables, summaries);
    }
}

/// <summary>The weighted combine: a product's index from the factor classes and score tables.</summary>
internal static class IndexStep
{
    public static RasterBuffer<float> Combine(RunContext run, RasterBuffer<byte> mask, Dictionary<string, RasterBuffer<byte>> factors, FactorScores scores, int[] which) =>
        ZoningEngine.Combine(
            run.Grid, mask, which.Select(j => factors[run.Model.Factors[j].Id]).ToArray(), which.Select(j => scores.Tables[j]).ToArray(), run.Options);

    /// <summary>Susceptibility: the intrinsic factors' tables rescaled so their weights sum to 1 (docs/DOMAIN.md §1).</summary>
    public static RasterBuffer<float> CombineSusceptible(
        RunContext run, RasterBuffer<byte> mask, Dictionary<string, RasterBuffer<byte>> factors, FactorScores scores, int[] susceptible)
    {
        var share = scores.Weights is null ? 1f : (float)susceptible.Sum(j => scores.Weights[j]);
        var tables = susceptible.Select(j => scores.Tables[j].Select(v => v / share).ToArray()).ToArray();
        return ZoningEngine.Combine(run.Grid, mask, susceptible.Select(j => factors[run.Model.Factors[j].Id]).ToArray(), tables, run.Options);
    }
}

/// <summary>Zone ids unique within a run: each product's zones continue where the previous product's ended.</summary>
internal sealed class ZoneIdSequence
{
    public int Next { get; set; } = 1;
}
