using System.Diagnostics;
using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Classify;
using GeoRisk.Raster.Vectorize;

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

/// <summary>Factor classes per factor, masked to the extent; an incremental run recomputes only the dirty windows.</summary>
internal static class FactorStep
{
    public sealed record Output(Dictionary<string, RasterBuffer<byte>> Classes, List<string> Recomputed, long CellsRecomputed);

    public static Output Run(RunContext run, RasterBuffer<byte> mask, IncrementalPlan? incremental)
    {
        var classes = new Dictionary<string, RasterBuffer<byte>>(StringComparer.Ordinal);
        var recomputed = new List<string>();
        long cells = 0;
        foreach (var factor in run.Model.Factors)
        {
            run.Report($"factor {factor.Id}");
            run.Options.CancellationToken.ThrowIfCancellationRequested();
            var fc = incremental is not null && incremental.PreviousClasses.TryGetValue(factor.Id, out var previous) && previous.Width == run.Grid.Width &&
                previous.Height == run.Grid.Height
                ? Patch(run, factor, previous, incremental, recomputed, ref cells)
                : Whole(run, factor, recomputed, ref cells);
            ZoningEngine.ApplyMask(fc, mask);
            classes[factor.Id] = fc;
            run.Lap($"factor.{factor.Id}");
        }

        return new Output(classes, recomputed, cells);
    }

    private static RasterBuffer<byte> Whole(RunContext run, FactorDefinition factor, List<string> recomputed, ref long cells)
    {
        var whole = new CellWindow(0, 0, run.Grid.Width, run.Grid.Height);
        cells += whole.Cells;
        recomputed.Add(factor.Id);
        return FactorClasses.Compute(factor, run.Inputs.Factors[factor.Id], run.Grid, whole, run.Options);
    }

    private static RasterBuffer<byte> Patch(
        RunContext run, FactorDefinition factor, RasterBuffer<byte> previous, IncrementalPlan plan, List<string> recomputed, ref long cells)
    {
        var grid = run.Grid;
        var fc = new RasterBuffer<byte>(grid.Width, grid.Height, (byte[])previous.Data.Clone());
        if (!plan.DirtyAreas.TryGetValue(factor.Id, out var dirty))
        {
            return fc;
        }

        var reachCells = (int)Math.Ceiling(factor.Reach / Math.Abs(grid.Transform.PixelWidth)) + 1;
        foreach (var env in dirty)
        {
            var window = CellWindow.Of(env, grid).Expand(reachCells, grid.Width, grid.Height);
            if (!window.IsEmpty)
            {
                FactorClasses.Paste(fc, FactorClasses.Compute(factor, run.Inputs.Factors[factor.Id], grid, window, run.Options), window);
                cells += window.Cells;
            }
        }

        recomputed.Add(factor.Id);
        return fc;
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
    public static RasterBuffer<float> Combine(RunContext run, RasterBuffer<byte> mask, FactorStep.Output factors, FactorScores scores, int[] which) =>
        ZoningEngine.Combine(
            run.Grid, mask, which.Select(j => factors.Classes[run.Model.Factors[j].Id]).ToArray(), which.Select(j => scores.Tables[j]).ToArray(), run.Options);

    /// <summary>Susceptibility: the intrinsic factors' tables rescaled so their weights sum to 1 (docs/DOMAIN.md §1).</summary>
    public static RasterBuffer<float> CombineSusceptible(
        RunContext run, RasterBuffer<byte> mask, FactorStep.Output factors, FactorScores scores, int[] susceptible)
    {
        var share = scores.Weights is null ? 1f : (float)susceptible.Sum(j => scores.Weights[j]);
        var tables = susceptible.Select(j => scores.Tables[j].Select(v => v / share).ToArray()).ToArray();
        return ZoningEngine.Combine(run.Grid, mask, susceptible.Select(j => factors.Classes[run.Model.Factors[j].Id]).ToArray(), tables, run.Options);
    }
}

/// <summary>Zone ids unique within a run: each product's zones continue where the previous product's ended.</summary>
internal sealed class ZoneIdSequence
{
    public int Next { get; set; } = 1;
}
