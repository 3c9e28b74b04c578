using System.Diagnostics;
using System.Globalization;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Spatial;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Classify;
using GeoRisk.Raster.Rasterize;
using GeoRisk.Raster.Vectorize;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;

namespace GeoRisk.Zoning;

/// <summary>
/// The zoning run (docs/DOMAIN.md §3–§5): factor classes from the inputs (survey precedence applied when
/// rasterizing), the index as the weighted sum of class scores (AHP or explicit weights) or the sum of
/// information values fitted on hazard points, grades by the model's breaks, the minimum mapping unit,
/// zoning polygons as a gap-free coverage, prevention classes, census and validation. Deterministic: the
/// same inputs give bit-identical rasters and polygons.
/// </summary>
public static class ZoningEngine
{
    public const byte OutsideExtent = 255;

    public static ZoningResult Run(RiskModel model, ZoningInputs inputs, RasterOptions? options = null, IProgress<ZoningProgress>? progress = null,
        IncrementalPlan? incremental = null, ZoningPorts? ports = null)
    {
        foreach (var f in model.Factors)
        {
            if (!inputs.Factors.ContainsKey(f.Id))
            {
                throw new ArgumentException($"No input for factor '{f.Id}'.", nameof(inputs));
            }
        }

        if (incremental is not null && model.Combination.Method == CombinationMethod.InformationValue)
        {
            // Information values are fitted on every cell, so a local change moves scores everywhere.
            incremental = null;
        }

        // The steps in order (docs/SCALE.md "zoning run"): inputs → factors → scores → per product (combine, classify,
        // minimum mapping unit, polygonize, zone attributes, census, validation) → the sink.
        var run = new RunContext(model, inputs, options ?? new RasterOptions(), progress, ports ?? ZoningPorts.InProcess);
        var recipes = FactorRecipe.Of(run, incremental);
        if (run.Options.BlockSize > 0 && run.Ports.Sink is IZoningBlockSink blockSink)
        {
            // With a block size and block storage the run streams (docs/SCALE.md "streamed run"), its grade steps on the block
            // runner when there is one; an incremental run reads the previous classes by blocks and patches each block's dirty cells.
            return StreamedRun.Run(run, blockSink, recipes, incremental is not null);
        }

        run.Report("extent mask");
        var mask = ExtentMask(inputs.Extent, inputs.Grid);
        run.Lap("mask");
        var factors = FactorStep.Run(run, mask, recipes);
        run.Report("combine");
        var points = PointCells.Of(inputs.HazardPoints, inputs.Grid, mask, model.Validation.HoldOutFraction);
        var scores = FactorScores.Fit(model, factors, points.Training);
        var products = ProductSteps(run, mask, factors, scores, points, out var exposedValue);
        return new ZoningResult
        {
            Grid = inputs.Grid,
            Products = products,
            ExposedValue = run.Ports.Sink is null ? exposedValue : null,
            FactorClasses = factors,
            Ahp = scores.Ahp,
            Factors = scores.Summaries,
            Timings = run.Timings,
            Incremental = FactorRecipe.Stats(recipes, inputs.Grid, incremental is not null),
        };
    }

    /// <summary>
    /// Susceptibility, hazard and (with exposure) risk, one after the other, each index combined just before its product and
    /// handed to the sink right after it, so at most the hazard index, E·V and the product in work are held at once.
    /// </summary>
    private static List<ProductResult> ProductSteps(RunContext run, RasterBuffer<byte> mask, Dictionary<string, RasterBuffer<byte>> factors, FactorScores scores, PointCells points,
        out RasterBuffer<float>? exposedValue)
    {
        var model = run.Model;
        var all = Enumerable.Range(0, model.Factors.Count).ToArray();
        // Susceptibility from the intrinsic factors alone (weights rescaled to sum 1 among them), hazard from every factor
        // including the triggers (docs/DOMAIN.md §1); with no trigger the two indexes are the same cells.
        var susceptible = all.Where(j => model.Factors[j].Role == FactorRole.Susceptibility).ToArray();
        var shared = susceptible.Length == all.Length;
        var susceptibilityIndex = shared
            ? IndexStep.Combine(run, mask, factors, scores, all)
            : IndexStep.CombineSusceptible(run, mask, factors, scores, susceptible);
        run.Lap("combine");
        var zoneIds = new ZoneIdSequence();
        var products = new List<ProductResult> { ProductStep.Run(run, ZoningProduct.Susceptibility, susceptibilityIndex, mask, points, zoneIds) };
        var hazardIndex = shared ? susceptibilityIndex : IndexStep.Combine(run, mask, factors, scores, all);
        products.Add(ProductStep.Run(run, ZoningProduct.Hazard, hazardIndex, mask, points, zoneIds));
        exposedValue = null;
        if (!run.Inputs.Exposure.IsEmpty)
        {
            run.Report("risk: exposure × vulnerability");
            exposedValue = RiskSurface.ExposedValue(run.Inputs.Grid, mask, run.Inputs.Exposure, model.Vulnerability, model.Risk);
            var risk = RiskSurface.Risk(hazardIndex, exposedValue);
            products.Add(ProductStep.Run(run, ZoningProduct.Risk, risk, mask, points, zoneIds));
            run.Ports.Sink?.ExposedValue(exposedValue);
        }

        return products;
    }


    /// <summary>Deterministic hold-out: FNV-1a of the point id, so the split survives re-runs and re-uploads.</summary>
    public static bool IsHeldOut(string id, double fraction)
    {
        if (fraction <= 0)
        {
            return false;
        }

        var hash = 2166136261u;
        foreach (var ch in id)
        {
            hash = (hash ^ ch) * 16777619u;
        }

        return hash % 10_000 < fraction * 10_000;
    }

    /// <summary>
    /// ROC-AUC of the index at the positive cells against every cell of the extent (Mann-Whitney U on a
    /// 65,536-bin histogram of the index; ties within a bin count half, so the error is below 1/65,536 of
    /// the range per pair).
    /// </summary>
    public static double? RocAuc(RasterBuffer<float> index, IReadOnlyList<long> positiveCells) =>
        RocAuc(HistogramOf(index), positiveCells.Select(c => index.Data[c]).ToList());

    /// <summary>The ROC-AUC from the index histogram (whole grid or summed per block) and the index at the positive cells.</summary>
    internal static double? RocAuc(ValueHistogram? h, IReadOnlyList<float> positiveValues)
    {
        if (h is null || positiveValues.Count == 0)
        {
            return null;
        }

        var below = new long[h.Bins];
        for (var b = 1; b < h.Bins; b++)
        {
            below[b] = below[b - 1] + h.Cells[b - 1];
        }

        double u = 0;
        var positives = 0;
        foreach (var v in positiveValues)
        {
            if (float.IsNaN(v))
            {
                continue;
            }

            var b = h.BinOf(v);
            u += below[b] + (0.5 * h.Cells[b]);
            positives++;
        }

        return positives == 0 ? null : Math.Round(u / ((double)positives * h.Total), 4);
    }

    /// <summary>
    /// The success-rate curve at <paramref name="steps"/> equal area shares: cells ranked by index from the highest, the share
    /// of hazard-point cells within each top share. Ranked on the index histogram; a bin cut by a share threshold counts
    /// its points in proportion to the part of its cells inside.
    /// </summary>
    public static IReadOnlyList<SuccessRatePoint> SuccessRate(RasterBuffer<float> index, IReadOnlyList<long> pointCells, int steps) =>
        SuccessRate(HistogramOf(index), pointCells.Select(c => index.Data[c]).ToList(), steps);

    internal static IReadOnlyList<SuccessRatePoint> SuccessRate(ValueHistogram? h, IReadOnlyList<float> pointValues, int steps)
    {
        var points = pointValues.Where(v => !float.IsNaN(v)).ToList();
        if (h is null || points.Count == 0)
        {
            return [];
        }

        var hits = new long[h.Bins];
        foreach (var v in points)
        {
            hits[h.BinOf(v)]++;
        }

        var curve = new List<SuccessRatePoint>();
        long cellsAbove = 0;
        double pointsAbove = 0;
        var bin = h.Bins - 1;
        for (var s = 1; s <= steps; s++)
        {
            var target = h.Total * (double)s / steps;
            // Take whole bins from the top while they fit, then the fitting part of the next one.
            while (bin >= 0 && cellsAbove + h.Cells[bin] <= target)
            {
                cellsAbove += h.Cells[bin];
                pointsAbove += hits[bin];
                bin--;
            }

            var partial = bin >= 0 && h.Cells[bin] > 0 ? (target - cellsAbove) / h.Cells[bin] * hits[bin] : 0;
            curve.Add(new SuccessRatePoint(Math.Round(s / (double)steps, 4), Math.Round(Math.Min(1, (pointsAbove + partial) / points.Count), 4)));
        }

        return curve;
    }

    /// <summary>A 65,536-bin histogram of the index's valid cells (the ROC-AUC and the success-rate curve read it); null when none is valid.</summary>
    internal static ValueHistogram? HistogramOf(RasterBuffer<float> index)
    {
        var range = new ValueRange();
        range.Add(index.Data);
        if (range.IsEmpty)
        {
            return null;
        }

        var h = new ValueHistogram(range.Min, range.Max);
        h.Add(index.Data);
        return h;
    }

    private static RasterBuffer<byte> ExtentMask(Geometry extent, GridSpec grid)
    {
        var burned = new RasterBuffer<float>(grid.Width, grid.Height);
        new Rasterizer(burned, grid.Transform).Burn(extent, 1);
        var mask = new RasterBuffer<byte>(grid.Width, grid.Height);
        for (var i = 0; i < mask.Data.Length; i++)
        {
            mask.Data[i] = burned.Data[i] != 0 ? (byte)1 : (byte)0;
        }

        return mask;
    }

    internal static void ApplyMask(RasterBuffer<byte> classes, RasterBuffer<byte> mask)
    {
        for (var i = 0; i < mask.Data.Length; i++)
        {
            if (mask.Data[i] == 0)
            {
                classes.Data[i] = OutsideExtent;
            }
        }
    }

    /// <summary>Row-major number of the cell holding (x, y) in grid coordinates; -1 off the grid. A long: a streamed run's grid
    /// may hold more than 2³¹ cells (docs/SCALE.md).</summary>
    internal static long CellOf(GridSpec grid, double x, double y)
    {
        var (c, r) = grid.Transform.ToPixel(x, y);
        var col = (int)Math.Floor(c);
        var row = (int)Math.Floor(r);
        return col < 0 || row < 0 || col >= grid.Width || row >= grid.Height ? -1 : ((long)row * grid.Width) + col;
    }

    internal static long[] CountClasses(RasterBuffer<byte> classes, int classCount)
    {
        var counts = new long[classCount + 1];
        foreach (var c in classes.Data)
        {
            if (c != OutsideExtent)
            {
                counts[c]++;
            }
        }

        return counts;
    }

    /// <summary>
    /// Information value per class from the training cells (unique cells, docs/DOMAIN.md §3). Classes without any
    /// hazard cell take the factor's lowest finite value: the data say "least favourable seen", not −∞.
    /// </summary>
    internal static double[] FitInformationValues(FactorDefinition factor, Func<long, byte> classAt, long[] cellsPerClass, IReadOnlyList<long> trainingCells)
    {
        var hazardPerClass = new long[cellsPerClass.Length];
        foreach (var cell in trainingCells.Distinct())
        {
            hazardPerClass[classAt(cell)]++;
        }

        if (hazardPerClass.Sum() == 0)
        {
            throw new Core.InvalidInputException(
                "no-training-points", $"The information-value method needs hazard points inside the extent to fit factor '{factor.Id}'; none were found.");
        }

        var iv = InformationValue.Compute(cellsPerClass, hazardPerClass);
        var floor = iv.Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(0).Min();
        return iv.Select(v => v ?? floor).ToArray();
    }

    internal static IReadOnlyList<string> ClassLabels(FactorTransform t)
    {
        var labels = new List<string> { "none" };
        switch (t.Type)
        {
            case TransformType.Lookup:
                labels.AddRange(t.Table!.Keys);
                break;
            default:
                var b = t.Breaks!;
                for (var c = 0; c <= b.Count; c++)
                {
                    labels.Add(c == 0 ? string.Create(CultureInfo.InvariantCulture, $"< {b[0]}") :
                        c == b.Count ? string.Create(CultureInfo.InvariantCulture, $">= {b[^1]}") :
                        string.Create(CultureInfo.InvariantCulture, $"{b[c - 1]} - {b[c]}"));
                }

                break;
        }

        return labels;
    }

    internal static RasterBuffer<float> Combine(GridSpec grid, RasterBuffer<byte> mask, RasterBuffer<byte>[] classes, float[][] tables, RasterOptions options)
    {
        var index = new RasterBuffer<float>(grid.Width, grid.Height);
        var w = grid.Width;
        // A table gather per factor and cell: scores are per class, so there is nothing to vectorise but
        // the loads; rows run in parallel and the sum is in factor order, so results are deterministic.
        ParallelRows.For(grid.Height, w, options, (y0, y1) =>
        {
            for (var i = y0 * w; i < y1 * w; i++)
            {
                if (mask.Data[i] == 0)
                {
                    index.Data[i] = float.NaN;
                    continue;
                }

                var sum = 0f;
                for (var j = 0; j < classes.Length; j++)
                {
                    sum += tables[j][classes[j].Data[i]];
                }

                index.Data[i] = sum;
            }
        });
        return index;
    }

    /// <summary>
    /// The product's breaks. Risk is graded on the cells where something is exposed (risk &gt; 0), on log10 of the risk, so the
    /// cells with nothing exposed are the lowest grade; fixed breaks (given on the index's scale) do not apply to it: natural
    /// breaks then (docs/MODEL.md "risk").
    /// </summary>
    internal static double[] ComputeBreaks(Classification c, RasterBuffer<float> index, ZoningProduct product) =>
        ComputeBreaks(c, product, positiveOnly => Breaks.Sample(index.Data, c.SampleSize, positiveOnly));

    /// <param name="sampleOf">The hashed sample (<see cref="CellSample"/>) of the valid cells, or of the cells above 0 when asked (risk).</param>
    internal static double[] ComputeBreaks(Classification c, ZoningProduct product, Func<bool, float[]> sampleOf)
    {
        var isRisk = product == ZoningProduct.Risk;
        if (c.Method == ClassificationMethod.Fixed && !isRisk)
        {
            return c.Breaks!.ToArray();
        }

        var sample = sampleOf(isRisk);
        if (isRisk && sample.Length < c.Grades)
        {
            // Almost nothing exposed: one tiny step per grade keeps every exposed cell above the lowest grade.
            return Enumerable.Range(1, c.Grades - 1).Select(i => i * 1e-9).ToArray();
        }

        if (sample.Length == 0)
        {
            throw new Core.InvalidInputException("empty-extent", "The analysis extent covers no cells of the grid.");
        }

        if (isRisk)
        {
            // Risk spans orders of magnitude (a hamlet to a town centre): classes on log10 of it, back-transformed.
            for (var i = 0; i < sample.Length; i++)
            {
                sample[i] = MathF.Log10(sample[i]);
            }
        }

        var breaks = (isRisk && c.Method == ClassificationMethod.Fixed ? ClassificationMethod.NaturalBreaks : c.Method) switch
        {
            ClassificationMethod.Quantile => Breaks.Quantile(sample, c.Grades),
            ClassificationMethod.EqualInterval => Breaks.EqualInterval(sample, c.Grades),
            _ => Breaks.NaturalBreaks(sample, c.Grades),
        };
        return isRisk ? breaks.Select(b => Math.Pow(10, b)).ToArray() : breaks;
    }

    /// <summary>
    /// Zone attributes: hazard points and the people they threaten, the buildings (and their occupants) whose representative
    /// point is inside, the surveys that cover the zone and the prevention class (docs/DOMAIN.md §5, §11). On the risk product
    /// the exposure that counts for prevention is the larger of the threatened and the exposed people.
    /// </summary>
    internal static List<ZonePolygon> DescribeZones(RiskModel model, ZoningInputs inputs, List<ClassPolygon> polygons, ZoningProduct product, int firstId)
    {
        var tree = new STRtree<int>();
        for (var i = 0; i < polygons.Count; i++)
        {
            tree.Insert(polygons[i].Polygon.EnvelopeInternal, i);
        }

        int ZoneOf(Point pt)
        {
            foreach (var i in tree.Query(pt.EnvelopeInternal))
            {
                if (PointInArea.Covers(polygons[i].Polygon, pt))
                {
                    return i;
                }
            }

            return -1;
        }

        var points = new int[polygons.Count];
        var people = new int[polygons.Count];
        var occupants = new long[polygons.Count];
        var buildings = new long[polygons.Count];
        var factory = polygons.Count > 0 ? polygons[0].Polygon.Factory : new GeometryFactory();
        foreach (var p in inputs.HazardPoints)
        {
            if (ZoneOf(factory.CreatePoint(new Coordinate(p.X, p.Y))) is var i and >= 0)
            {
                points[i]++;
                people[i] += p.ThreatenedPeople;
            }
        }

        foreach (var b in inputs.Exposure.Buildings)
        {
            if (ZoneOf(b.Geometry as Point ?? b.Geometry.InteriorPoint) is var i and >= 0)
            {
                buildings[i]++;
                occupants[i] += Math.Max(b.OccupantsDay, b.OccupantsNight);
            }
        }

        var coverages = inputs.SurveyCoverages.OrderByDescending(s => s.Rank).Select(
            s => (s.SurveyId, Prepared: PreparedGeometryFactory.Prepare(s.Coverage))).ToList();
        var rules = model.Prevention;
        var result = new List<ZonePolygon>(polygons.Count);
        for (var i = 0; i < polygons.Count; i++)
        {
            var poly = polygons[i].Polygon;
            var g = (int)polygons[i].Value;
            var exposed = (product == ZoningProduct.Risk ? Math.Max(people[i], occupants[i]) : people[i]) >= rules.ExposedPeople;
            var prevention = g >= rules.KeyGrade || (exposed && g >= rules.KeyGrade - 1) ? "key"
                : g >= rules.KeyGrade - 1 || (exposed && g >= rules.KeyGrade - 2) ? "secondary" : "general";
            var surveys = coverages.Where(
                c => c.Prepared.Geometry.EnvelopeInternal.Intersects(poly.EnvelopeInternal) && c.Prepared.Intersects(poly)).Select(c => c.SurveyId).ToList();
            result.Add(
                new ZonePolygon(
                    firstId + i, g, poly, Math.Round(poly.Area / 1e6, 6), prevention, points[i], people[i], surveys, product, occupants[i], buildings[i]));
        }

        return result;
    }

    internal static List<GradeSummary> SummariseGrades(int grades, RasterBuffer<byte> grade, IReadOnlyList<long> pointCells, double cellKm2)
    {
        var cells = new long[grades + 1];
        foreach (var g in grade.Data)
        {
            if (g != 0)
            {
                cells[g]++;
            }
        }

        return SummariseGrades(grades, cells, pointCells.Select(c => grade.Data[c]), cellKm2);
    }

    /// <param name="cells">Cells per grade (index 0 unused).</param>
    /// <param name="gradeAtPoints">The grade at each hazard point's cell.</param>
    internal static List<GradeSummary> SummariseGrades(int grades, long[] cells, IEnumerable<byte> gradeAtPoints, double cellKm2)
    {
        var points = new int[grades + 1];
        foreach (var g in gradeAtPoints)
        {
            points[g]++;
        }

        return Enumerable.Range(1, grades).Select(g =>
        {
            var area = cells[g] * cellKm2;
            return new GradeSummary(
                g,
                Core.Risk.Grades.English(g, grades),
                Core.Risk.Grades.Chinese(g, grades),
                Core.Risk.Grades.Colour(g, grades),
                cells[g],
                Math.Round(area, 4),
                points[g],
                area > 0 ? Math.Round(points[g] / area, 6) : 0);
        }).ToList();
    }

    internal static List<CensusRow> Census(
        int grades,
        IReadOnlyList<AdminUnitInput> units,
        IReadOnlyList<HazardPointInput> hazardPoints,
        GridSpec grid,
        RasterBuffer<byte> grade,
        double cellKm2, ZoningProduct product)
    {
        // One label raster of the units (pixel-centre rule, as GDAL's zonal tools) and one pass over the
        // grades, rather than a masked pass per unit.
        var labels = new RasterBuffer<float>(grid.Width, grid.Height);
        var rasterizer = new Rasterizer(labels, grid.Transform);
        for (var u = 0; u < units.Count; u++)
        {
            rasterizer.Burn(units[u].Geometry, u + 1);
        }

        var cellsPerGrade = new long[units.Count + 1, grades + 1];
        for (var i = 0; i < labels.Data.Length; i++)
        {
            cellsPerGrade[(int)labels.Data[i], grade.Data[i]]++;
        }

        return CensusRows(grades, units, hazardPoints, grid, cellsPerGrade, cell => grade.Data[cell], cellKm2, product);
    }

    /// <summary>The census table from the cells per unit label (0: none, u + 1) and grade, and the grade at the hazard points' cells.</summary>
    internal static List<CensusRow> CensusRows(int grades, IReadOnlyList<AdminUnitInput> units, IReadOnlyList<HazardPointInput> hazardPoints, GridSpec grid,
        long[,] cellsPerGrade, Func<long, byte> gradeAt, double cellKm2, ZoningProduct product)
    {
        var prepared = units.Select(u => PreparedGeometryFactory.Prepare(u.Geometry)).ToList();
        var points = new int[units.Count, grades + 1];
        var people = new int[units.Count, grades + 1];
        var factory = new GeometryFactory();
        foreach (var p in hazardPoints)
        {
            var cell = CellOf(grid, p.X, p.Y);
            var g = cell < 0 ? (byte)0 : gradeAt(cell);
            if (g == 0)
            {
                continue;
            }

            var pt = factory.CreatePoint(new Coordinate(p.X, p.Y));
            for (var u = 0; u < units.Count; u++)
            {
                if (prepared[u].Covers(pt))
                {
                    points[u, g]++;
                    people[u, g] += p.ThreatenedPeople;
                    break;
                }
            }
        }

        var rows = new List<CensusRow>();
        for (var u = 0; u < units.Count; u++)
        {
            long total = 0;
            for (var g = 1; g <= grades; g++)
            {
                total += cellsPerGrade[u + 1, g];
            }

            if (total == 0)
            {
                continue; // a neighbour that only touches the extent
            }

            for (var g = 1; g <= grades; g++)
            {
                var cells = cellsPerGrade[u + 1, g];
                var (term, termZh) = Core.Risk.Grades.CensusTerm(g, grades, product);
                rows.Add(new CensusRow(units[u].Code, units[u].Name, units[u].NameEn, g, Core.Risk.Grades.English(g, grades), Math.Round(cells * cellKm2, 4),
                    total == 0 ? 0 : Math.Round(cells / (double)total, 6), points[u, g], people[u, g], term, termZh));
            }
        }

        return rows;
    }
}
