using GeoRisk.Core;
using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Vectorize;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;

namespace GeoRisk.Zoning.Tests;

public class ZoningEngineTests
{
    private static readonly GeometryFactory s_factory = new();

    private static Polygon Box(double x0, double y0, double x1, double y1) => (Polygon)s_factory.ToGeometry(new Envelope(x0, x1, y0, y1));

    private static GridSpec Grid(int w, int h, double cell) => new(w, h, new GeoTransform(0, cell, h * cell, -cell), "");

    [Fact]
    public void CellNumbers_BeyondTwoToThe31Cells_AreExactAndFindTheirBlock()
    {
        // Xinjiang at 30 m is about 70,000 × 58,000 cells: a streamed run's cell numbers pass 2³¹ (docs/SCALE.md).
        var grid = Grid(70_464, 58_120, 30);
        var (col, row) = (70_000, 58_000);
        var cell = ZoningEngine.CellOf(grid, (col + 0.5) * 30, (58_120 - row - 0.5) * 30);
        Assert.Equal(((long)row * 70_464) + col, cell);
        Assert.True(cell > int.MaxValue);
        Assert.Equal(-1, ZoningEngine.CellOf(grid, -1, 10));

        var layout = new Raster.Blocks.BlockLayout(grid.Width, grid.Height, 1024, 1024);
        var block = layout.BlockOf(col, row);
        Assert.Equal(((row - block.Y) * block.Width) + col - block.X, StreamedRun.Local(cell, block, grid.Width));

        var points = PointCells.Of([new HazardPointInput("far", (col + 0.5) * 30, (58_120 - row - 0.5) * 30, 0)], grid, c => c == cell, 0);
        Assert.Equal([cell], points.All);
    }

    private static FactorDefinition Lookup(string id, params (string Key, double Score)[] table) => new()
    {
        Id = id,
        Source = new FactorSource { Kind = "hazard-zones", Field = "grade" },
        Transform = new FactorTransform { Type = TransformType.Lookup, Table = table.ToDictionary(t => t.Key, t => t.Score) },
    };

    private static FactorDefinition Distance(string id, double[] breaks, double[] scores) => new()
    {
        Id = id,
        Source = new FactorSource { Kind = "active-faults" },
        Transform = new FactorTransform { Type = TransformType.Distance, Breaks = breaks, Scores = scores },
    };

    private static RiskModel Model(IReadOnlyList<FactorDefinition> factors, Combination? combination = null, Classification? classification = null) => new()
    {
        Name = "test",
        Grid = new AnalysisGrid { Extent = new GridExtent { Bbox = [0, 0, 1, 1] } },
        Factors = factors,
        Combination = combination ?? new Combination { Method = CombinationMethod.Weights, Weights = factors.ToDictionary(f => f.Id, _ => 1.0) },
        Classification = classification ?? new Classification { Grades = 4, MinMappingUnitCells = 0, SimplifyCells = 0 },
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Precedence_3x3_TenThousandOverridesFiftyThousandWhateverTheOrder(bool tenThousandFirst)
    {
        // 1:50000 says grade 3 everywhere; the 1:10000 survey (rank 2) says grade 1 in the left column. The
        // finer survey wins there even though its grade is lower; elsewhere 1:50000 applies.
        var fifty = new BurnFeature(Box(0, 0, 3, 3), SurveyRank: 1, Key: "3");
        var ten = new BurnFeature(Box(0, 0, 1, 3), SurveyRank: 2, Key: "1");
        var factor = Lookup("susceptibility", ("1", 0.1), ("2", 0.4), ("3", 0.7), ("4", 1.0));
        var input = new VectorFactorInput(tenThousandFirst ? [ten, fifty] : [fifty, ten]);
        var classes = FactorClasses.Compute(factor, input, Grid(3, 3, 1), new CellWindow(0, 0, 3, 3), new RasterOptions());
        Assert.Equal(new byte[] { 1, 3, 3, 1, 3, 3, 1, 3, 3 }, classes.Data);
    }

    [Fact]
    public void Lookup_OverlapWithinOneSurvey_MoreSevereClassWins()
    {
        // Nested flood extents: 100-yr (score 0.3) contains 10-yr (score 1.0); the cell in both is class "10".
        var factor = new FactorDefinition
        {
            Id = "flood",
            Source = new FactorSource { Kind = "flood-zones", Field = "return_period_yr" },
            Transform = new FactorTransform { Type = TransformType.Lookup, Table = new Dictionary<string, double> { ["10"] = 1.0, ["50"] = 0.6, ["100"] = 0.3 } },
        };
        var input = new VectorFactorInput([new(Box(0, 0, 1, 1), 1, "10"), new(Box(0, 0, 2, 1), 1, "100")]);
        var classes = FactorClasses.Compute(factor, input, Grid(3, 1, 1), new CellWindow(0, 0, 3, 1), new RasterOptions());
        Assert.Equal(new byte[] { 1, 3, 0 }, classes.Data);
    }

    [Fact]
    public void InformationValue_ToyGrid_MatchesHandComputation()
    {
        // 10×10 cells; the left 4 columns are grade 4 (class 2), the rest grade 1 (class 1). Five training
        // points, four in the left block: I(class 2) = ln((4/5)/(40/100)) = ln 2, I(class 1) = ln((1/5)/(60/100)) = ln(1/3).
        var factor = Lookup("susceptibility", ("1", 0), ("4", 0));
        var grid = Grid(10, 10, 1);
        var inputs = new ZoningInputs
        {
            Grid = grid,
            Extent = Box(0, 0, 10, 10),
            Factors = new Dictionary<string, FactorInput>
            {
                ["susceptibility"] = new VectorFactorInput([new(Box(0, 0, 4, 10), 1, "4"), new(Box(4, 0, 10, 10), 1, "1")]),
            },
            HazardPoints = [new("a", 0.5, 0.5, 0), new("b", 1.5, 2.5, 0), new("c", 2.5, 5.5, 0), new("d", 3.5, 8.5, 0), new("e", 7.5, 7.5, 0)],
        };
        var model = Model([factor], new Combination { Method = CombinationMethod.InformationValue }, new Classification { Grades = 2, MinMappingUnitCells = 0, SimplifyCells = 0 })
            with { Validation = new ModelValidation { HoldOutFraction = 0 } };
        var result = ZoningEngine.Run(model, inputs);
        var scores = result.Factors[0].ClassScores;
        Assert.Equal(Math.Log(1.0 / 3), scores[1], 12);
        Assert.Equal(Math.Log(2), scores[2], 12);
        Assert.Equal((float)Math.Log(2), result.Index[0, 0]);
        Assert.Equal((float)Math.Log(1.0 / 3), result.Index[9, 9]);
        Assert.Equal(5, result.Validation.TrainingPoints);
    }

    [Fact]
    public void RocAuc_HandComputedCase()
    {
        // Index 0..3 over four cells; positives at the cells valued 3 and 1. Against all four cells:
        // v=3 beats 3 cells and ties itself (3.5/4), v=1 beats 1 and ties itself (1.5/4) → (3.5+1.5)/8 = 0.625.
        var index = new RasterBuffer<float>(4, 1, [0f, 1f, 2f, 3f]);
        Assert.Equal(0.625, ZoningEngine.RocAuc(index, [3, 1]));
    }

    [Fact]
    public void Run_SameInputsTwice_BitIdenticalAndZonesFormAGapFreeCoverage()
    {
        var (model, inputs) = Scenario(shiftFault: 0);
        model = model with { Classification = new Classification { Grades = 4, MinMappingUnitCells = 8, SimplifyCells = 0.5 } };
        var a = ZoningEngine.Run(model, inputs);
        var b = ZoningEngine.Run(model, inputs);
        Assert.Equal(a.Index.Data, b.Index.Data);
        Assert.Equal(a.Grade.Data, b.Grade.Data);
        Assert.Equal(a.Zones.Select(z => z.Polygon.ToText()), b.Zones.Select(z => z.Polygon.ToText()));

        Assert.All(a.Zones, z => Assert.True(z.Polygon.IsValid));
        var raw = ZoningEngine.Run(model with { Classification = model.Classification with { SimplifyCells = 0 } }, inputs);
        Assert.True(CoverageSimplification.IsValidCoverage(raw.Zones.Select(z => new ClassPolygon(z.Grade, z.Polygon)).ToList()), "polygonized");
        Assert.True(CoverageSimplification.IsValidCoverage(a.Zones.Select(z => new ClassPolygon(z.Grade, z.Polygon)).ToList()), "simplified");
        // Gap-free: the zones' union is one polygon without holes and covers the extent's cells.
        var union = CascadedPolygonUnion.Union(a.Zones.Select(z => (Geometry)z.Polygon).ToList());
        var polygon = Assert.IsType<Polygon>(union);
        Assert.Equal(0, polygon.NumInteriorRings);
        Assert.Equal(inputs.Grid.CellCount * 100.0, union.Area, 0);
        // Every grade is present and its cells add up to the grid.
        Assert.Equal(inputs.Grid.CellCount, a.Grades.Sum(g => g.Cells));
    }

    [Fact]
    public void Run_Unsieved_ZoneAreasEqualCellCounts()
    {
        var (model, inputs) = Scenario(shiftFault: 0);
        var result = ZoningEngine.Run(model, inputs);
        foreach (var g in result.Grades)
        {
            Assert.Equal(g.Cells * 100.0 / 1e6, result.Zones.Where(z => z.Grade == g.Grade).Sum(z => z.Polygon.Area) / 1e6, 9);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(32)]
    public void Incremental_AfterLocalChange_EqualsFullRun(int blockSize)
    {
        var (model, before) = Scenario(shiftFault: 0);
        var (_, after) = Scenario(shiftFault: 150);
        var previous = ZoningEngine.Run(model, before);
        var full = ZoningEngine.Run(model, after);
        // The changed features: the moved fault (old and new positions) and the re-drawn key-area polygon.
        var dirty = new Dictionary<string, IReadOnlyList<Envelope>>
        {
            ["fault"] = [Fault(0).EnvelopeInternal, Fault(150).EnvelopeInternal],
            ["susceptibility"] = [KeyArea(0).EnvelopeInternal, KeyArea(150).EnvelopeInternal],
        };
        var incremental = ZoningEngine.Run(model, after, incremental: new IncrementalPlan { PreviousClasses = previous.FactorClasses, DirtyAreas = dirty });

        Assert.True(incremental.Incremental.Incremental);
        Assert.True(incremental.Incremental.CellsRecomputed < full.Incremental.CellsRecomputed / 2, $"{incremental.Incremental.CellsRecomputed} of {full.Incremental.CellsRecomputed}");
        Assert.NotEqual(previous.Index.Data, full.Index.Data);
        AssertSameRun(full, incremental, null);
        if (blockSize == 0)
        {
            return;
        }

        // Streamed with small blocks (the dirty windows cut by many seams): the previous classes read by windows, as the service reads
        // the previous run's factor-class COGs, each block's dirty cells recomputed; the same cells, zones and tables as the full
        // whole-grid and the full streamed run, the same recompute counted as the whole-grid incremental run.
        var options = new RasterOptions { BlockSize = blockSize, MaxDegreeOfParallelism = 2 };
        var windows = previous.FactorClasses.ToDictionary(
            c => c.Key, c => (Raster.Blocks.IRasterWindowSource)new MemoryRaster(after.Grid, new RasterBuffer<float>(c.Value.Width, c.Value.Height, c.Value.Data.Select(v => (float)v).ToArray())));
        var sink = new MemoryBlockSink(after.Grid);
        var streamed = ZoningEngine.Run(
            model, after, options, incremental: new IncrementalPlan { PreviousClassWindows = windows, DirtyAreas = dirty }, ports: new ZoningPorts { Sink = sink });
        var fullSink = new MemoryBlockSink(after.Grid);
        var fullStreamed = ZoningEngine.Run(model, after, options, ports: new ZoningPorts { Sink = fullSink });

        Assert.Empty(streamed.FactorClasses); // the streamed variant ran
        Assert.Equal(Json(incremental.Incremental), Json(streamed.Incremental));
        AssertSameRun(full, streamed, sink);
        AssertSameRun(full, fullStreamed, fullSink);
    }

    [Fact]
    public void Model_InconsistentAhp_RejectedWithExplanation()
    {
        var model = Model([Lookup("a", ("1", 1)), Lookup("b", ("1", 1)), Lookup("c", ("1", 1))],
            new Combination { Method = CombinationMethod.Ahp, Pairwise = [[1, 9, 1.0 / 9], [1.0 / 9, 1, 9], [9, 1.0 / 9, 1]] });
        var ex = Assert.Throws<InvalidInputException>(() => model.ResolveWeights());
        Assert.Equal("inconsistent-ahp", ex.Code);
        Assert.Contains("CR = ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("below 0.10", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name":"m","grid":{"extent":{"admin":"652700"}},"factors":[{"id":"s","source":{"kind":"dem"},"transform":{"type":"slope","breaks":[10,20],"scores":[1,2]}}],"combination":{"method":"weights","weights":{"s":1}}}""", "scores' needs 3 values")]
    [InlineData("""{"name":"m","grid":{"extent":{"admin":"652700"}},"factors":[{"id":"s","source":{"kind":"volcanoes"},"transform":{"type":"slope","breaks":[10],"scores":[1,2]}}],"combination":{"method":"weights","weights":{"s":1}}}""", "source.kind must be one of")]
    [InlineData("""{"name":"m","grid":{"extent":{"admin":"652700"}},"factors":[{"id":"s","source":{"kind":"dem"},"transform":{"type":"slope","breaks":[10],"scores":[1,2]}}],"combination":{"method":"weights","weights":{"s":1}},"colour":"red"}""", "colour")]
    [InlineData("""{"name":"m","grid":{"cellSize":0,"extent":{"admin":"652700"}},"factors":[{"id":"s","source":{"kind":"dem"},"transform":{"type":"slope","breaks":[10],"scores":[1,2]}}],"combination":{"method":"weights","weights":{"s":1}}}""", "cellSize 0")]
    [InlineData("""{"name":"m","grid":{"extent":{"admin":"652700"}},"factors":[{"id":"s","source":{"kind":"dem"},"transform":{"type":"slope","breaks":[10],"scores":[1,2]}}],"combination":{"method":"ahp","pairwise":[[1,2]]}}""", "1×1 matrix")]
    public void Model_Invalid_ExplainsWhat(string json, string expected)
    {
        var ex = Assert.Throws<InvalidInputException>(() => RiskModel.Parse(json));
        Assert.Equal("invalid-model", ex.Code);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_DefaultSampleModel_ParsesAndHashIgnoresLayout()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "bortala-default.json");
        var text = File.ReadAllText(path);
        var model = RiskModel.Parse(text);
        Assert.Equal(6, model.Factors.Count);
        var (weights, ahp) = model.ResolveWeights();
        Assert.True(ahp!.ConsistencyRatio < 0.10);
        Assert.Equal(1.0, weights!.Sum(), 12);
        Assert.Equal(model.Hash, RiskModel.Parse(model.ToJson(indented: true)).Hash);
        Assert.NotEqual(model.Hash, model.WithGrid(model.Grid with { CellSize = 10 }).Hash);
    }

    [Theory]
    [InlineData(7, CombinationMethod.Weights, 0, false)]
    [InlineData(16, CombinationMethod.Weights, 8, true)]
    [InlineData(64, CombinationMethod.Weights, 8, false)]
    [InlineData(23, CombinationMethod.InformationValue, 8, true)]
    public void Streamed_SmallBlocks_EqualsWholeGridRun(int blockSize, CombinationMethod method, int minimumCells, bool demByWindows)
    {
        // A non-rectangular extent, a distance factor with a reach, a slope factor on a DEM (halo), a trigger factor (so
        // susceptibility and hazard differ), counties and townships, exposure (risk product): every result of the streamed
        // run on many seams must be the whole-grid run's.
        var (model, inputs) = RichScenario(method, minimumCells);
        var whole = ZoningEngine.Run(model, inputs);
        var sink = new MemoryBlockSink(inputs.Grid);
        if (demByWindows)
        {
            // The DEM read by windows (as the service hands a streamed run its warped rasters) instead of held whole.
            var dem = ((RasterFactorInput)inputs.Factors["slope"]).Values;
            inputs = new ZoningInputs
            {
                Grid = inputs.Grid, Extent = inputs.Extent, HazardPoints = inputs.HazardPoints, AdminUnits = inputs.AdminUnits, Townships = inputs.Townships,
                SurveyCoverages = inputs.SurveyCoverages, Exposure = inputs.Exposure,
                Factors = new Dictionary<string, FactorInput>(inputs.Factors) { ["slope"] = new WindowedRasterFactorInput(new MemoryRaster(inputs.Grid, dem)) },
            };
        }

        var streamed = ZoningEngine.Run(model, inputs, new RasterOptions { BlockSize = blockSize, MaxDegreeOfParallelism = 2 }, ports: new ZoningPorts { Sink = sink });

        Assert.Empty(streamed.FactorClasses); // the streamed variant ran: factor classes went to the sink, not into the result
        Assert.Equal(3, whole.Products.Count);
        AssertSameRun(whole, streamed, sink);
        foreach (var (a, b) in whole.Products.Zip(streamed.Products))
        {
            foreach (var units in new[] { inputs.AdminUnits, inputs.Townships })
            {
                var expected = ExposureCensus.Compute(inputs.Grid, a.Grade, 4, units, inputs.Exposure, a.Product);
                Assert.Contains(expected, r => r.People > 0 && r.Buildings > 0 && r.RoadKmByClass.Count > 0 && r.FacilitiesByType.Count > 0);
                Assert.Equal(Json(expected), Json(ExposureCensus.Compute(inputs.Grid, b.GradeBlocks!, blockSize, 4, units, inputs.Exposure, b.Product, new RasterOptions { MaxDegreeOfParallelism = 2 })));
            }

            Assert.True(a.Zones.Count > 3, $"{a.Product}: {a.Zones.Count} zones");
        }

        Assert.NotEmpty(whole.Census);
        Assert.NotEmpty(whole.Susceptibility.TownshipCensus);
        Assert.NotNull(whole.Validation.AucAll);
        Assert.NotEqual(whole.Susceptibility.Index.Data, whole.Product(ZoningProduct.Hazard).Index.Data);
        Assert.Equal(whole.ExposedValue!.Data, sink.Exposed!.Data);
    }

    [Theory]
    [InlineData(16, CombinationMethod.Weights)]
    [InlineData(23, CombinationMethod.InformationValue)]
    public void Streamed_BlockPassesAsSerializedJobs_EqualsWholeGridRun(int blockSize, CombinationMethod method)
    {
        // The factor, combine, census and risk passes handed to a block runner as a cluster's workers get them: each job through its bytes, the
        // DEM opened from the block storage by its name. Everything must still be the whole-grid run's.
        var (model, inputs) = RichScenario(method, minimumCells: 8);
        var whole = ZoningEngine.Run(model, inputs);
        var sink = new MemoryBlockSink(inputs.Grid);
        sink.Storage.Add("warped-0.tif", new MemoryRaster(inputs.Grid, ((RasterFactorInput)inputs.Factors["slope"]).Values));
        inputs = new ZoningInputs
        {
            Grid = inputs.Grid, Extent = inputs.Extent, HazardPoints = inputs.HazardPoints, AdminUnits = inputs.AdminUnits, Townships = inputs.Townships,
            SurveyCoverages = inputs.SurveyCoverages, Exposure = inputs.Exposure,
            Factors = new Dictionary<string, FactorInput>(inputs.Factors)
            {
                ["slope"] = new WindowedRasterFactorInput(sink.Storage.Open("warped-0.tif"), StorageName: "warped-0.tif"),
            },
        };
        var runner = new SerializingRunner();

        var streamed = ZoningEngine.Run(model, inputs, new RasterOptions { BlockSize = blockSize, MaxDegreeOfParallelism = 2 }, ports: new ZoningPorts { Sink = sink, Blocks = runner });

        Assert.Equal(
            [ZoningBlockJob.FactorsStep, ZoningBlockJob.CombineStep, ZoningBlockJob.CensusStep, ZoningBlockJob.CensusStep, ZoningBlockJob.RiskStep,
                ZoningBlockJob.CensusStep],
            runner.Passes);
        Assert.Equal(3, runner.GradeJobs);
        AssertSameRun(whole, streamed, sink);
        Assert.Equal(whole.ExposedValue!.Data, sink.Exposed!.Data);
    }

    [Fact]
    public void BlockJob_FromOtherBuild_RefusedClearly()
    {
        var bytes = new byte[] { 99, 0, 0, 0 };
        var error = Assert.Throws<InvalidDataException>(() => ZoningBlockJob.FromBytes(bytes));
        Assert.Contains("version 99", error.Message);
    }

    [Theory]
    [InlineData("../other-run.blocks/hazard-index")]
    [InlineData("/etc/passwd")]
    [InlineData("..")]
    [InlineData("/vsicurl/http://example.com/x.tif")]
    public void BlockJob_RasterNameOutsideTheBlockFolder_Refused(string raster)
    {
        // A combine job as a client writes it (ZoningBlockJob.ToBytes), naming a raster that is not a plain name in the run's block folder.
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes))
        {
            WriteJobHeader(w, ZoningBlockJob.CombineStep);
            w.Write(1);
            w.Write(raster);
        }

        var error = Assert.Throws<InvalidDataException>(() => ZoningBlockJob.FromBytes(bytes.ToArray()));
        Assert.Contains("is not a raster name", error.Message);
    }

    [Fact]
    public void BlockJob_CountBeyondItsBytes_RefusedWithoutAllocating()
    {
        // A damaged census job: its first admin-unit count says two billion units in a file of a few dozen bytes.
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes))
        {
            WriteJobHeader(w, ZoningBlockJob.CensusStep);
            w.Write("hazard-grade");
            w.Write(4);
            w.Write(int.MaxValue);
        }

        var error = Assert.Throws<InvalidDataException>(() => ZoningBlockJob.FromBytes(bytes.ToArray()));
        Assert.Contains("damaged", error.Message);
    }

    /// <summary>The start of a zoning pass's job as ZoningBlockJob.ToBytes writes it: format 2, the step, a 10×10 grid of 30 m cells in 8-cell blocks, no hazard-point cells.</summary>
    private static void WriteJobHeader(BinaryWriter w, string step)
    {
        w.Write(2);
        w.Write(step);
        w.Write(10);
        w.Write(10);
        foreach (var v in new[] { 0.0, 30.0, 300.0, -30.0 })
        {
            w.Write(v);
        }

        w.Write("EPSG:4547");
        w.Write(8);
        w.Write(0);
    }

    /// <summary>A block runner doing its work in this process, but each zoning pass only through the job's bytes (what a worker reads).</summary>
    private sealed class SerializingRunner : IBlockGradeRunner
    {
        public List<string> Passes { get; } = [];

        public int GradeJobs { get; private set; }

        public string? BlockFolder => null;

        public Raster.Blocks.GradeResult Run(
            Raster.Blocks.GradeJob job, Raster.Blocks.IBlockStorage storage, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken)
        {
            GradeJobs++;
            return Raster.Blocks.GradePipeline.RunAsync(job, new Raster.Blocks.InProcessBlockExecutor(job, storage, 2), storage,
                cancellationToken: cancellationToken).GetAwaiter().GetResult();
        }

        public IReadOnlyList<byte[]> RunBlocks(
            ZoningBlockJob job, Raster.Blocks.IBlockStorage storage, IProgress<BlockStepProgress>? progress, CancellationToken cancellationToken)
        {
            Passes.Add(job.Step);
            var copy = ZoningBlockJob.FromBytes(job.ToBytes());
            // Backwards, so nothing depends on the blocks' order.
            return Enumerable.Range(0, copy.BlockCount).Reverse().Select(b => (b, bytes: copy.Execute(b, storage))).OrderBy(r => r.b).Select(r => r.bytes).ToList();
        }
    }

    /// <summary>
    /// <paramref name="actual"/> (whole grid, or streamed with its rasters in <paramref name="sink"/>) equals the whole-grid run
    /// <paramref name="expected"/>: every factor class, index and grade cell, the breaks, grade summaries, census tables,
    /// validation, factor summaries and zones with their attributes.
    /// </summary>
    private static void AssertSameRun(ZoningResult expected, ZoningResult actual, MemoryBlockSink? sink)
    {
        Assert.Equal(expected.Products.Select(p => p.Product), actual.Products.Select(p => p.Product));
        foreach (var (a, b) in expected.Products.Zip(actual.Products))
        {
            Assert.Equal(a.Index.Data, sink is null ? b.Index.Data : sink.Indexes[a.Product].Data);
            Assert.Equal(a.Grade.Data, sink is null ? b.Grade.Data : sink.Grades[a.Product].Data);
            Assert.Equal(sink is null, b.HasGrade); // streamed: no whole-grid grade raster
            Assert.Equal(a.Breaks, b.Breaks);
            Assert.Equal(Json(a.Grades), Json(b.Grades));
            Assert.Equal(Json(a.Census), Json(b.Census));
            Assert.Equal(Json(a.TownshipCensus), Json(b.TownshipCensus));
            Assert.Equal(Json(a.Validation), Json(b.Validation));
            Assert.Equal(a.Zones.Count, b.Zones.Count);
            foreach (var (za, zb) in a.Zones.Zip(b.Zones))
            {
                Assert.True(za.Polygon.EqualsExact(zb.Polygon), $"{a.Product} zone {za.Id}");
                Assert.Equal(za with { Polygon = zb.Polygon, Surveys = zb.Surveys }, zb);
                Assert.Equal(za.Surveys, zb.Surveys);
            }
        }

        Assert.Equal(Json(expected.Factors), Json(actual.Factors));
        foreach (var (id, classes) in expected.FactorClasses)
        {
            Assert.Equal(classes.Data, sink is null ? actual.FactorClasses[id].Data : sink.Classes[id].Data);
        }
    }

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value);

    /// <summary>The run's rasters in memory, read back whole from the block storage for comparison.</summary>
    private sealed class MemoryBlockSink(GridSpec grid) : IZoningBlockSink
    {
        private readonly Raster.Blocks.MemoryBlockStorage _blocks = new();

        public Raster.Blocks.IBlockStorage Blocks => _blocks;

        public Raster.Blocks.MemoryBlockStorage Storage => _blocks;

        public Dictionary<ZoningProduct, RasterBuffer<float>> Indexes { get; } = [];

        public Dictionary<ZoningProduct, RasterBuffer<byte>> Grades { get; } = [];

        public Dictionary<string, RasterBuffer<byte>> Classes { get; } = [];

        public RasterBuffer<float>? Exposed { get; private set; }

        public void Product(ZoningProduct product, RasterBuffer<float> index, RasterBuffer<byte> grade) => throw new InvalidOperationException("whole grids handed to a streamed sink");

        public void ExposedValue(RasterBuffer<float> exposedValue) => throw new InvalidOperationException("whole grids handed to a streamed sink");

        public void Product(ZoningProduct product, Raster.Blocks.IRasterWindowSource index, Raster.Blocks.IRasterWindowSource grade)
        {
            Indexes[product] = ReadAll(index);
            Grades[product] = Bytes(ReadAll(grade), 0);
        }

        public void ExposedValue(Raster.Blocks.IRasterWindowSource exposedValue) => Exposed = ReadAll(exposedValue);

        public void FactorClasses(IReadOnlyDictionary<string, Raster.Blocks.IRasterWindowSource> classes)
        {
            foreach (var (id, source) in classes)
            {
                Classes[id] = Bytes(ReadAll(source), ZoningEngine.OutsideExtent);
            }
        }

        private RasterBuffer<float> ReadAll(Raster.Blocks.IRasterWindowSource source)
        {
            var buffer = new RasterBuffer<float>(grid.Width, grid.Height);
            source.ReadWindow(0, 0, grid.Width, grid.Height, buffer.Data);
            return buffer;
        }

        private static RasterBuffer<byte> Bytes(RasterBuffer<float> values, byte nan) =>
            new(values.Width, values.Height, values.Data.Select(v => float.IsNaN(v) ? nan : (byte)v).ToArray());
    }

    /// <summary>
    /// 150×120 cells of 20 m: the scenario's zones and fault, a DEM (slope), a rainfall trigger, an L-shaped extent, two counties
    /// split into three townships, population units and buildings.
    /// </summary>
    private static (RiskModel Model, ZoningInputs Inputs) RichScenario(CombinationMethod method, int minimumCells)
    {
        var grid = Grid(150, 120, 20);
        var susceptibility = Lookup("susceptibility", ("1", 0.1), ("2", 0.4), ("3", 0.7), ("4", 1.0));
        var fault = Distance("fault", [60, 200, 500], [1.0, 0.6, 0.3, 0.05]);
        var slope = new FactorDefinition
        {
            Id = "slope",
            Source = new FactorSource { Kind = "dem" },
            Transform = new FactorTransform { Type = TransformType.Slope, Breaks = [5, 15, 30], Scores = [0.1, 0.4, 0.7, 1.0] },
        };
        var rain = new FactorDefinition
        {
            Id = "rain",
            Role = FactorRole.Trigger,
            Source = new FactorSource { Kind = "hazard-zones", Field = "grade" },
            Transform = new FactorTransform { Type = TransformType.Lookup, Table = new Dictionary<string, double> { ["1"] = 0.2, ["2"] = 0.9 } },
        };
        var dem = new RasterBuffer<float>(grid.Width, grid.Height);
        for (var y = 0; y < grid.Height; y++)
        {
            for (var x = 0; x < grid.Width; x++)
            {
                dem.Data[(y * grid.Width) + x] = (float)((40 * Math.Sin(x / 9.0) * Math.Cos(y / 13.0)) + (0.8 * x) + (y % 17 == 0 ? 6 : 0));
            }
        }

        var extent = (Polygon)Box(0, 0, 3000, 1200).Union(Box(0, 1200, 1700, 2400)).Union(s_factory.CreatePolygon([new(1700, 1200), new(2900, 1200), new(1700, 2300), new(1700, 1200)]));
        var zones = new List<BurnFeature>
        {
            new(Box(0, 0, 1510, 2400), 1, "1"),
            new(Box(1510, 0, 3000, 1190), 1, "2"),
            new(Box(1510, 1190, 3000, 2400), 1, "3"),
            new(Box(610, 610, 1030, 1390), 2, "4"),
        };
        var county = (Polygon)Box(0, 0, 1555, 2400);
        var other = (Polygon)Box(1555, 0, 3000, 2400);
        var people = new List<PopulationUnitInput>();
        for (var i = 0; i < 12; i++)
        {
            people.Add(new PopulationUnitInput(Box(i * 250, (i % 4) * 500, (i * 250) + 230 + (i % 3 * 30), ((i % 4) * 500) + 470), 100 + (i * 37), 90 + i, 110 + i));
        }

        people.Add(new PopulationUnitInput(Box(1001, 1001, 1009, 1009), 55, 50, 60)); // holds no cell centre: the cell under its interior point
        people.Add(new PopulationUnitInput(Box(2700, 2200, 3300, 2700), 77.7, 70, 80)); // partly beyond the grid: those cells count as outside
        var buildings = Enumerable.Range(0, 60).Select(i => new BuildingInput(s_factory.CreatePoint(new Coordinate(31 + (i * 49.3), 17 + (i * 38.1 % 2350))),
            i % 3 == 0 ? "brick" : "reinforced-concrete", 80 + (i * 13), 3 + (i % 5), 4 + (i % 7))).ToList();
        var inputs = new ZoningInputs
        {
            Grid = grid,
            Extent = extent,
            Factors = new Dictionary<string, FactorInput>
            {
                ["susceptibility"] = new VectorFactorInput(zones),
                ["fault"] = new VectorFactorInput([new(s_factory.CreateLineString([new(210, 90), new(1410, 2290)]), 1), new(s_factory.CreateLineString([new(2500, 50), new(2100, 1700)]), 1)]),
                ["slope"] = new RasterFactorInput(dem),
                ["rain"] = new VectorFactorInput([new(Box(0, 0, 3000, 2400), 1, "1"), new(Box(900, 300, 2300, 1500), 1, "2")]),
            },
            HazardPoints = Enumerable.Range(0, 90).Select(i => new HazardPointInput($"p{i}", 15 + (i * 33.3 % 2990), 11 + (i * 97.7 % 2390), i % 4)).ToList(),
            AdminUnits = [new AdminUnitInput("652701", "A", "A", county), new AdminUnitInput("652722", "B", "B", other)],
            Townships =
            [
                new AdminUnitInput("652701001", "A1", null, Box(0, 0, 1555, 1000)), new AdminUnitInput("652701002", "A2", null, Box(0, 1000, 1555, 2400)),
                new AdminUnitInput("652722001", "B1", null, other),
            ],
            SurveyCoverages = [new SurveyCoverageInput("key-area", 10000, 2, Box(610, 610, 1030, 1390))],
            Exposure = new ExposureInputs(buildings, people,
                [new RoadInput(s_factory.CreateLineString([new(5, 5), new(1400, 900), new(2990, 2300)]), "primary"), new RoadInput(s_factory.CreateLineString([new(100, 2350), new(2900, 100)]), "track")],
                Enumerable.Range(0, 9).Select(i => new FacilityInput(s_factory.CreatePoint(new Coordinate(100 + (i * 320), 150 + (i * 250))), i % 2 == 0 ? "school" : "clinic", 100 + i)).ToList()),
        };
        var factors = new[] { susceptibility, fault, slope, rain };
        var combination = method == CombinationMethod.InformationValue
            ? new Combination { Method = CombinationMethod.InformationValue }
            : new Combination { Method = CombinationMethod.Weights, Weights = new Dictionary<string, double> { ["susceptibility"] = 0.4, ["fault"] = 0.25, ["slope"] = 0.15, ["rain"] = 0.2 } };
        var model = Model(factors, combination, new Classification { Grades = 4, MinMappingUnitCells = minimumCells, SimplifyCells = 0 });
        return (model, inputs);
    }

    private static LineString Fault(double shift) => s_factory.CreateLineString([new(200 + shift, 100), new(400 + shift, 900)]);

    private static Polygon KeyArea(double shift) => Box(600 + shift, 600, 800 + shift, 800);

    /// <summary>300×300 cells of 10 m: a 1:50000 grade layout, a key-area 1:10000 polygon and one fault.</summary>
    private static (RiskModel Model, ZoningInputs Inputs) Scenario(double shiftFault)
    {
        var susceptibility = Lookup("susceptibility", ("1", 0.1), ("2", 0.4), ("3", 0.7), ("4", 1.0));
        var fault = Distance("fault", [50, 150, 300], [1.0, 0.6, 0.3, 0.05]);
        var grid = Grid(300, 300, 10);
        var zones = new List<BurnFeature>
        {
            new(Box(0, 0, 1500, 3000), 1, "1"),
            new(Box(1500, 0, 3000, 1500), 1, "2"),
            new(Box(1500, 1500, 3000, 3000), 1, "3"),
            new(KeyArea(shiftFault), 2, "4"),
        };
        var inputs = new ZoningInputs
        {
            Grid = grid,
            Extent = Box(0, 0, 3000, 3000),
            Factors = new Dictionary<string, FactorInput>
            {
                ["susceptibility"] = new VectorFactorInput(zones),
                ["fault"] = new VectorFactorInput([new(Fault(shiftFault), 1)]),
            },
            HazardPoints = Enumerable.Range(0, 40).Select(i => new HazardPointInput($"p{i}", 205 + (i * 5), 105 + (i * 20), 3)).ToList(),
        };
        var model = Model([susceptibility, fault], new Combination { Method = CombinationMethod.Weights, Weights = new Dictionary<string, double> { ["susceptibility"] = 0.6, ["fault"] = 0.4 } });
        return (model, inputs);
    }
}
