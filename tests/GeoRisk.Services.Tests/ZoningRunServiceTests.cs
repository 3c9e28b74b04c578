using System.Globalization;
using System.Text.Json;
using GeoRisk.Core;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Raster.Vectorize;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;

namespace GeoRisk.Services.Tests;

[Collection(LoadedStoreCollection.Name)]
public sealed class ZoningRunServiceTests(LoadedStoreFixture fixture)
{
    private static RiskModel DefaultModel(double cellSize = 1000) => LoadedStoreFixture.DefaultModel(cellSize);

    [Fact]
    public async Task Run_SampleSet_PublishesValidGapFreeZoningWithCensusAndValidation()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var progress = new List<string>();
        var outcome = await new ZoningRunService(store).RunAsync(DefaultModel(), progress: new SyncProgress<Zoning.ZoningProgress>(p => progress.Add(p.Stage)));

        Assert.False(outcome.Reused);
        var record = outcome.Record;
        Assert.Equal(3, record.Breaks.Count);
        Assert.True(record.ConsistencyRatio < 0.10);
        Assert.Contains("factor fault-distance", progress);
        Assert.Equal("published", progress[^1]);
        // Every input layer version is recorded with its role.
        Assert.Contains(record.Inputs, i => i.Layer == "bole-geohazard-10k/hazard-zones" && i.Roles.Contains("susceptibility"));
        Assert.Contains(record.Inputs, i => i.Kind == "dem" && i.Roles.Contains("slope"));

        // Three products (docs/DOMAIN.md §1): the sample has exposure, so risk too; each product's zones are valid, do not
        // overlap and cover the extent (admin 652700: the union of the four counties) without gaps or holes.
        Assert.Equal([ZoningProduct.Susceptibility, ZoningProduct.Hazard, ZoningProduct.Risk], record.Products.Select(p => p.Product));
        Assert.Equal(outcome.Run.ZoneCount, record.Products.Sum(p => p.Zones));
        var admin = (await store.ListLayersAsync()).Single(l => l.Kind == LayerKind.AdminUnits);
        var counties = (await store.QueryFeaturesAsync(admin.SurveyId, admin.Name, null, 100)).Where(f => f.Attributes["code"] is "652701" or "652702" or "652722" or "652723").ToList();
        Assert.Equal(4, counties.Count);
        var prefecture = CascadedPolygonUnion.Union(counties.Select(c => c.Geometry).ToList());
        // Tolerance: a cell is in or out by its centre, so the zoning's outer edge errs by about a quarter cell either way
        // along the county boundary; a band half a cell wide (500 m, in degrees of longitude at 45°N, the wider degree)
        // bounds the difference with margin (at 1000 m cells: 0.025 of the band's 0.068 square degrees). A zone dropped
        // at the edge or a county left out breaks it.
        var cellDegrees = DefaultModel().Grid.CellSize / (111_320 * Math.Cos(45 * Math.PI / 180));
        var boundaryBand = prefecture.Length * cellDegrees / 2;
        double? coveredKm2 = null;
        foreach (var product in record.Products)
        {
            var zones = await store.QueryZonesAsync(outcome.Run.Id, null, 100_000, product: product.Product);
            Assert.Equal(product.Zones, zones.Count);
            Assert.All(zones, z => Assert.Equal(ZoningRunRecord.ProductToken(product.Product), z.Attributes["product"]));
            Assert.All(zones, z => Assert.True(z.Geometry.IsValid, $"{product.Product} zone {z.Id} invalid"));
            Assert.True(CoverageSimplification.IsValidCoverage(zones.Select(z => new ClassPolygon(Convert.ToSingle(z.Attributes["grade"], CultureInfo.InvariantCulture), (Polygon)z.Geometry)).ToList()));
            var union = CascadedPolygonUnion.Union(zones.Select(z => z.Geometry).ToList());
            Assert.Equal(0, union is Polygon p ? p.NumInteriorRings : ((MultiPolygon)union).Geometries.Sum(g => ((Polygon)g).NumInteriorRings));
            // No overlaps: the zones' areas add up to the area of their union (an overlap is counted twice in the sum).
            Assert.Equal(union.Area, zones.Sum(z => z.Geometry.Area), union.Area * 1e-9);
            // No gaps: what the zones miss of the counties, and cover outside them, stays inside the boundary band.
            var missed = prefecture.Difference(union).Area;
            var outside = union.Difference(prefecture).Area;
            Assert.True(missed + outside <= boundaryBand,
                $"{product.Product}: zones miss {missed:G4} and overhang {outside:G4} square degrees of the counties; the half-cell band is {boundaryBand:G4}");
            coveredKm2 ??= union.Area;
            Assert.Equal(coveredKm2.Value, union.Area, coveredKm2.Value * 1e-4); // the simplified outer edge moves a little with the zones along it
            Assert.All(zones, z => Assert.Contains(z.Attributes["prevention"] as string, new[] { "key", "secondary", "general" }));
            var (_, termZh) = Grades.CensusTerm(4, 4, product.Product);
            Assert.Contains(zones, z => z.Attributes["grade_term_zh"] as string == termZh);

            // Census per product: every county × grade with the product's census terms; shares of a county sum to 1.
            Assert.Equal(16, product.Census.Count);
            foreach (var county in product.Census.GroupBy(c => c.AdminCode))
            {
                Assert.Equal(1.0, county.Sum(c => c.Share), 4);
            }

            Assert.Equal(product.Grades.Sum(g => g.AreaKm2), product.Census.Sum(c => c.AreaKm2), 0);
            var csv = ZoningExport.CensusCsv(product).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(17, csv.Length);
            Assert.StartsWith("product,product_zh,admin_code,admin_name,", csv[0], StringComparison.Ordinal);
            Assert.Contains(csv, l => l.Contains($",652701,博乐市,Bole,4,very high,", StringComparison.Ordinal) && l.Contains(termZh, StringComparison.Ordinal));
        }

        // Susceptibility leaves the triggers (PGA, flood) out; hazard keeps them, so the two indexes differ.
        var susceptibility = await store.QueryZonesAsync(outcome.Run.Id, null, 100_000);
        Assert.All(susceptibility, z => Assert.Equal("susceptibility", z.Attributes["product"]));
        Assert.NotEqual(record.Product(ZoningProduct.Susceptibility)!.Breaks, record.Product(ZoningProduct.Hazard)!.Breaks);
        Assert.Contains(susceptibility, z => (z.Attributes["surveys"] as string ?? "").Contains("bole-geohazard-10k", StringComparison.Ordinal));
        Assert.Equal(record.Grades.Sum(g => g.HazardPoints), record.Census.Sum(c => c.HazardPoints));

        // Risk: cells with no exposure are low risk, so most of the prefecture is 低风险区 and the higher grades hold the towns.
        var risk = record.Product(ZoningProduct.Risk)!;
        Assert.True(risk.Grades[0].AreaKm2 > risk.Grades.Skip(1).Sum(g => g.AreaKm2));
        var riskExposure = risk.Exposure.Where(r => r.AdminCode != "").ToList();
        Assert.True(riskExposure.Where(r => r.Grade >= 3).Sum(r => r.People) > riskExposure.Where(r => r.Grade == 1).Sum(r => r.People), string.Join(" | ", risk.Grades.Select(g => $"{g.Grade}:{g.AreaKm2}km2")) + " breaks " + string.Join(",", risk.Breaks) + " people " + string.Join(",", riskExposure.GroupBy(r => r.Grade).Select(g => $"{g.Key}:{g.Sum(r => r.People):F0}/{g.Sum(r => r.Buildings)}")));

        // Validation is reported. The sample hazard points come from a terrain process that never reads the survey grades
        // (HazardProcess), so an AUC above 0.6 here is the model finding them, not a restatement of how they were placed.
        Assert.NotNull(record.Validation.AucHeldOut);
        Assert.InRange(record.Validation.AucAll!.Value, 0.6, 1.0);
        Assert.True(record.Validation.DensityRises);
        Assert.Empty(await store.CheckConsistencyAsync());
    }

    [Fact]
    public async Task Run_SampleSet_StoredGradeCogsCarryColourTableAndCategoryNames()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var outcome = await new ZoningRunService(store).RunAsync(DefaultModel());

        // Each product's stored grade raster, opened by GDAL itself (what QGIS reads): a valid COG whose palette has the
        // legend colours and whose category names are the product's census terms (docs/CLIENTS.md).
        foreach (var product in new[] { ZoningProduct.Susceptibility, ZoningProduct.Hazard, ZoningProduct.Risk })
        {
            var path = outcome.Run.Rasters[ZoningRunRecord.GradeRaster(product)];
            using var info = JsonDocument.Parse(await ExternalTool.OutputAsync("gdalinfo", "-json", path));
            Assert.Equal("COG", info.RootElement.GetProperty("metadata").GetProperty("IMAGE_STRUCTURE").GetProperty("LAYOUT").GetString());
            var band = info.RootElement.GetProperty("bands")[0];
            Assert.Equal("Palette", band.GetProperty("colorInterpretation").GetString());
            var entries = band.GetProperty("colorTable").GetProperty("entries");
            for (var grade = 1; grade <= 4; grade++)
            {
                var (en, zh) = Grades.CensusTerm(grade, 4, product);
                Assert.Equal($"{grade} {zh} {en}", band.GetProperty("categories")[grade].GetString());
                var rgb = Convert.FromHexString(Grades.Colour(grade, 4).TrimStart('#'));
                Assert.Equal(rgb, entries[grade].EnumerateArray().Take(3).Select(c => (byte)c.GetInt32()).ToArray());
            }

            var veryHigh = Grades.CensusTerm(4, 4, product).Zh;
            Assert.EndsWith(product switch { ZoningProduct.Hazard => "危险区", ZoningProduct.Risk => "风险区", _ => "易发区" }, veryHigh, StringComparison.Ordinal);
            Assert.StartsWith("极高", veryHigh, StringComparison.Ordinal);
        }

        Assert.Empty(await store.CheckConsistencyAsync());
    }

    [Fact]
    public async Task Run_SameInputs_BitIdenticalAndReusedUnlessForced()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var service = new ZoningRunService(store);
        var first = await service.RunAsync(DefaultModel());
        var again = await service.RunAsync(DefaultModel());
        Assert.True(again.Reused);
        Assert.Equal(first.Run.Id, again.Run.Id);

        var forced = await service.RunAsync(DefaultModel(), new ZoningRunRequest { Force = true, FullRecompute = true });
        Assert.False(forced.Reused);
        Assert.Equal(first.Run.Id + 1, forced.Run.Id);
        Assert.Equal(first.Record.CellsSha256, forced.Record.CellsSha256);
        Assert.Equal(first.Record.Breaks, forced.Record.Breaks);
        var a = await store.QueryZonesAsync(first.Run.Id, null, 100_000);
        var b = await store.QueryZonesAsync(forced.Run.Id, null, 100_000);
        Assert.Equal(a.Select(z => z.Geometry.ToText()), b.Select(z => z.Geometry.ToText()));
        // The stored COGs hold the same bytes too (GDAL writes no timestamps).
        Assert.Equal(File.ReadAllBytes(first.Run.Rasters["grade"]), File.ReadAllBytes(forced.Run.Rasters["grade"]));
        Assert.Equal(File.ReadAllBytes(first.Run.Rasters["index"]), File.ReadAllBytes(forced.Run.Rasters["index"]));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(32)]
    public async Task Run_AfterNewTenThousandSurvey_IncrementalEqualsFullRun(int? blockSize)
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var service = new ZoningRunService(store);
        var model = DefaultModel(500);
        var request = new ZoningRunRequest { BlockSize = blockSize };
        var before = await service.RunAsync(model, request);

        // A new accepted 1:10000 survey in the Bole key area, newer than the existing one.
        var survey = new SurveyInfo("bole-10k-2025", "Bole key area 1:10000 update", 10000, SurveyType.FineSurvey, "test", new DateOnly(2025, 5, 1), true, new DateOnly(2025, 6, 1));
        var coverage = new GeometryFactory().ToGeometry(new Envelope(82.0, 82.12, 44.86, 44.95));
        await store.UpsertSurveyAsync(survey, coverage);
        var file = Path.Combine(dir.Path, "update.geojson");
        await File.WriteAllTextAsync(file, """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"yfxdj":4},"geometry":{"type":"Polygon","coordinates":[[[82.0,44.86],[82.06,44.86],[82.06,44.95],[82.0,44.95],[82.0,44.86]]]}},
             {"type":"Feature","properties":{"yfxdj":1},"geometry":{"type":"Polygon","coordinates":[[[82.06,44.86],[82.12,44.86],[82.12,44.95],[82.06,44.95],[82.06,44.86]]]}}
            ]}
            """);
        var ingest = await new SurveyIngestor(store).IngestAsync(new IngestRequest(file, LayerKind.HazardZones, survey.Id, "hazard-zones"));
        Assert.True(ingest.Accepted);

        // With a block size the incremental run streams too (32-cell blocks: the changed area cut by seams): the previous run's
        // factor classes read by windows from its COGs, each block's dirty cells recomputed (docs/SCALE.md).
        var incremental = await service.RunAsync(model, request);
        Assert.True(incremental.Record.Incremental.Incremental);
        Assert.Equal(blockSize is not null, incremental.Record.Timings.ContainsKey("factors"));
        Assert.Equal(["susceptibility"], incremental.Record.Incremental.FactorsRecomputed);
        Assert.True(incremental.Record.Incremental.CellsRecomputed < incremental.Record.Incremental.CellsTotal / 50);
        Assert.NotEqual(before.Record.CellsSha256, incremental.Record.CellsSha256);

        var full = await service.RunAsync(model, new ZoningRunRequest { Force = true, FullRecompute = true });
        Assert.False(full.Record.Incremental.Incremental);
        await SameRun.AssertAsync(store, full, incremental);
        if (blockSize is not null)
        {
            await SameRun.AssertAsync(store, await service.RunAsync(model, request with { Force = true, FullRecompute = true }), incremental);
        }

        var a = await store.QueryZonesAsync(incremental.Run.Id, null, 100_000);
        Assert.Contains(a, z => (z.Attributes["surveys"] as string ?? "").Contains("bole-10k-2025", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_UnknownAdminCode_ClearErrorAndNothingStored()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var model = DefaultModel();
        model = model.WithGrid(model.Grid with { Extent = new GridExtent { Admin = "110101" } });
        var ex = await Assert.ThrowsAsync<InvalidInputException>(() => new ZoningRunService(store).RunAsync(model));
        Assert.Equal("unknown-admin", ex.Code);
        Assert.Empty(await store.ListZoningRunsAsync());
    }

    [Fact]
    public async Task Run_GridBeyondWholeGridLimit_RefusedWithBlockSizeHint_StreamedLimitHigher()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        // The prefecture at 2 m is about 13.6 G cells: beyond the whole-grid limit, within the streamed one; at 1 m (55 G) beyond both.
        var whole = await Assert.ThrowsAsync<InvalidInputException>(() => new ZoningRunService(store).RunAsync(DefaultModel(2)));
        Assert.Equal("grid-too-large", whole.Code);
        Assert.Contains("600,000,000", whole.Message, StringComparison.Ordinal);
        Assert.Contains("give a block size", whole.Message, StringComparison.Ordinal);
        var streamed = await Assert.ThrowsAsync<InvalidInputException>(
            () => new ZoningRunService(store).RunAsync(DefaultModel(1), new ZoningRunRequest { BlockSize = 1024 }));
        Assert.Equal("grid-too-large", streamed.Code);
        Assert.Contains("20,000,000,000", streamed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("block size", streamed.Message, StringComparison.Ordinal);
        Assert.Equal(ZoningRunService.MaxStreamedCells, ZoningRunService.CellLimit(1024));
        Assert.Equal(ZoningRunService.MaxCells, ZoningRunService.CellLimit(null));
        Assert.Empty(await store.ListZoningRunsAsync());
    }

    [Fact]
    public async Task Run_WithTownshipLayer_TownshipTablesAddUpToTheirCounty_CountyTablesUnchanged()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var service = new ZoningRunService(store);
        var model = DefaultModel(250);
        var before = await service.RunAsync(model);

        // Bole (652701) split into two townships at the middle of its extent, as an admin layer of another survey.
        var admin = (await store.ListLayersAsync()).First(l => l.Kind == LayerKind.AdminUnits);
        var bole = (await store.QueryFeaturesAsync(admin.SurveyId, admin.Name, null, 100)).Single(f => f.Attributes["code"] as string == "652701").Geometry;
        var env = bole.EnvelopeInternal;
        var mid = Math.Round((env.MinX + env.MaxX) / 2, 4);
        var f = new GeometryFactory();
        var west = bole.Intersection(f.ToGeometry(new Envelope(env.MinX - 1, mid, env.MinY - 1, env.MaxY + 1)));
        var east = bole.Intersection(f.ToGeometry(new Envelope(mid, env.MaxX + 1, env.MinY - 1, env.MaxY + 1)));
        static string Ring(LineString r) => "[" + string.Join(",", r.Coordinates.Select(c => string.Create(CultureInfo.InvariantCulture, $"[{c.X:R},{c.Y:R}]"))) + "]";
        static string Poly(Polygon p) => "[" + string.Join(",", new[] { Ring(p.ExteriorRing) }.Concat(p.InteriorRings.Select(Ring))) + "]";
        static string GeoJson(Geometry g) => g is Polygon p
            ? $$"""{"type":"Polygon","coordinates":{{Poly(p)}}}"""
            : $$"""{"type":"MultiPolygon","coordinates":[{{string.Join(",", Enumerable.Range(0, g.NumGeometries).Select(i => Poly((Polygon)g.GetGeometryN(i))))}}]}""";
        string Feature(string code, string name, Geometry g) => $$"""{"type":"Feature","properties":{"code":"{{code}}","name":"{{name}}"},"geometry":{{GeoJson(g)}}}""";
        var file = Path.Combine(dir.Path, "townships.geojson");
        await File.WriteAllTextAsync(file, $$"""{"type":"FeatureCollection","features":[{{Feature("652701100", "西乡", west)}},{{Feature("652701200", "东乡", east)}}]}""");
        var survey = new SurveyInfo("bole-townships", "Bole townships", 50000, SurveyType.Susceptibility, "test", new DateOnly(2024, 1, 1), true, new DateOnly(2024, 1, 2));
        await store.UpsertSurveyAsync(survey, null);
        Assert.True((await new SurveyIngestor(store).IngestAsync(new IngestRequest(file, LayerKind.AdminUnits, survey.Id, "townships"))).Accepted);

        var after = await service.RunAsync(model);
        foreach (var product in after.Record.Products)
        {
            var previous = before.Record.Product(product.Product)!;
            // The county tables do not see the townships.
            Assert.Equal(previous.Census.Select(r => (r.AdminCode, r.Grade, r.AreaKm2)), product.Census.Select(r => (r.AdminCode, r.Grade, r.AreaKm2)));
            Assert.Equal(8, product.TownshipCensus.Count);
            Assert.Equal(["652701100", "652701200"], product.TownshipCensus.Select(r => r.AdminCode).Distinct());
            for (var g = 1; g <= 4; g++)
            {
                var county = product.Census.Single(r => r.AdminCode == "652701" && r.Grade == g);
                Assert.Equal(county.AreaKm2, product.TownshipCensus.Where(r => r.Grade == g).Sum(r => r.AreaKm2), 3);
                Assert.Equal(county.HazardPoints, product.TownshipCensus.Where(r => r.Grade == g).Sum(r => r.HazardPoints));
                var countyExposure = product.Exposure.Single(r => r.AdminCode == "652701" && r.Grade == g);
                var townships = product.TownshipExposure.Where(r => r.AdminCode.StartsWith("652701", StringComparison.Ordinal) && r.Grade == g).ToList();
                Assert.Equal(countyExposure.Buildings, townships.Sum(r => r.Buildings));
                Assert.Equal(countyExposure.People, townships.Sum(r => r.People), 1);
            }

            var csv = ZoningExport.CensusCsv(product, township: true).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(9, csv.Length);
            Assert.Contains(csv, l => l.Contains(",652701100,西乡,", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Run_CountyExtentAtFineCell_Works()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var model = DefaultModel(100);
        model = model.WithGrid(model.Grid with { Extent = new GridExtent { Bbox = [82.0, 44.86, 82.1, 44.92] } });
        var outcome = await new ZoningRunService(store).RunAsync(model);
        Assert.InRange(outcome.Record.Grid.Width, 75, 85);
        Assert.True(outcome.Run.ZoneCount > 0);
    }
}

/// <summary>
/// The zoning run with its minimum mapping unit and polygons done block by block (64-cell blocks: hundreds of
/// seams across the sample prefecture) equals the whole-grid run: every product's grade raster cell for cell,
/// zones with the same polygons and attributes, census and validation (docs/SCALE.md).
/// </summary>
[Collection(LoadedStoreCollection.Name)]
public sealed class BlockwiseZoningRunTests(LoadedStoreFixture fixture)
{
    [Fact]
    public async Task Run_SampleSet_SmallBlocks_EqualsWholeGridRun()
    {
        var model = LoadedStoreFixture.DefaultModel(250);
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var service = new ZoningRunService(store);
        var whole = await service.RunAsync(model, new ZoningRunRequest { Force = true, FullRecompute = true });
        var blocked = await service.RunAsync(model, new ZoningRunRequest { Force = true, FullRecompute = true, BlockSize = 64 });

        // The whole record (township census, exposure per county and township, factor scores and class counts, validation,
        // flood scenarios, cells hash) but the stage timings, the zones and every published raster cell for cell: the streamed run
        // (a block size with the service's block storage) times other stages ("factors" for mask and factors together) and writes
        // its COGs strip by strip from block files.
        Assert.Contains("factors", blocked.Record.Timings.Keys);
        Assert.DoesNotContain("factors", whole.Record.Timings.Keys);
        Assert.NotEmpty(whole.Record.Products[0].Exposure);
        await SameRun.AssertAsync(store, whole, blocked);
    }

    [Theory]
    [InlineData(1)] // the first COG: the first factor's classes, handed over after the factor pass
    [InlineData(6)] // one written while the later passes run, after five were written
    public async Task Run_Streamed_CogWriteFailsInTheBackground_RunFailsAndTheCurrentRunStays(int failingCog)
    {
        var model = LoadedStoreFixture.DefaultModel(1000);
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var first = await new ZoningRunService(store).RunAsync(model, new ZoningRunRequest { BlockSize = 32 });
        var staging = Path.Combine(dir.Path, "staging");
        var stagedBefore = Directory.EnumerateFileSystemEntries(staging).ToList();

        // A streamed run writes its COGs in the background while its next passes run; here one COG's folder is missing.
        var failing = UnwritableCogs.Wrap(store, Path.Combine(dir.Path, "no-such-folder"), failingCog);
        await Assert.ThrowsAsync<GeoRisk.Gdal.GdalException>(
            () => new ZoningRunService(failing).RunAsync(model, new ZoningRunRequest { Force = true, FullRecompute = true, BlockSize = 32 }));

        var runs = await store.ListZoningRunsAsync();
        Assert.Equal([first.Run.Id], runs.Select(r => r.Id));
        Assert.Equal(first.Run.Id, (await store.GetZoningRunAsync(null))!.Id);
        Assert.All(first.Run.Rasters.Values, path => Assert.True(File.Exists(path), path));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "no-such-folder")));
        // The COGs written before the failure, the one half-written and the run's block folder are gone.
        Assert.Equal(stagedBefore, Directory.EnumerateFileSystemEntries(staging).ToList());
    }

    /// <summary>The store, but the <c>failing</c>-th staged COG path (".tif") in a folder that does not exist, so GDAL cannot create it.</summary>
    public class UnwritableCogs : System.Reflection.DispatchProxy
    {
        private IGeoRiskStore _inner = null!;
        private string _missing = null!;
        private int _failing;
        private int _cogs;

        public static IGeoRiskStore Wrap(IGeoRiskStore inner, string missingFolder, int failing)
        {
            var proxy = Create<IGeoRiskStore, UnwritableCogs>();
            var self = (UnwritableCogs)(object)proxy;
            (self._inner, self._missing, self._failing) = (inner, missingFolder, failing);
            return proxy;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IGeoRiskStore.CreateStagingPath) && args![0] is ".tif" && Interlocked.Increment(ref _cogs) == _failing)
            {
                return Path.Combine(_missing, Guid.NewGuid().ToString("N") + ".tif");
            }

            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }
    }
}

/// <summary>Two runs' results compared as a reader sees them.</summary>
internal static class SameRun
{
    /// <summary>
    /// The same record but the stage timings and the recompute counts (an incremental run against a full one), the same zones
    /// with their polygons and attributes, and the same published rasters cell for cell.
    /// </summary>
    public static async Task AssertAsync(IGeoRiskStore store, ZoningRunOutcome expected, ZoningRunOutcome actual)
    {
        var (a, b) = (expected.Record, actual.Record);
        Assert.Equal(a.Products.Select(p => p.Product), b.Products.Select(p => p.Product));
        Assert.Equal(a.CellsSha256, b.CellsSha256);
        Assert.Equal(
            (a with { Timings = new Dictionary<string, double>(), Incremental = b.Incremental }).ToJson(),
            (b with { Timings = new Dictionary<string, double>() }).ToJson());
        Assert.Equal(expected.Run.ZoneCount, actual.Run.ZoneCount);
        foreach (var p in a.Products)
        {
            var za = await store.QueryZonesAsync(expected.Run.Id, null, 1_000_000, product: p.Product);
            var zb = await store.QueryZonesAsync(actual.Run.Id, null, 1_000_000, product: p.Product);
            Assert.Equal(za.Count, zb.Count);
            Assert.NotEmpty(za);
            for (var z = 0; z < za.Count; z++)
            {
                Assert.True(za[z].Geometry.EqualsExact(zb[z].Geometry), $"{p.Product} zone {z}");
                Assert.Equal(za[z].Attributes.Where(kv => kv.Key != "run").OrderBy(kv => kv.Key), zb[z].Attributes.Where(kv => kv.Key != "run").OrderBy(kv => kv.Key));
            }
        }

        Assert.Equal(expected.Run.Rasters.Keys.Order(), actual.Run.Rasters.Keys.Order());
        foreach (var (name, path) in expected.Run.Rasters)
        {
            using var ra = GeoRisk.Gdal.RasterDataset.Open(path);
            using var rb = GeoRisk.Gdal.RasterDataset.Open(actual.Run.Rasters[name]);
            Assert.Equal((ra.Width, ra.Height, ra.GetNoData(1), ra.GetDataType(1)), (rb.Width, rb.Height, rb.GetNoData(1), rb.GetDataType(1)));
            var (ca, cb) = (new float[ra.Width * ra.Height], new float[rb.Width * rb.Height]);
            ra.Read(1, 0, 0, ra.Width, ra.Height, ca.AsSpan());
            rb.Read(1, 0, 0, rb.Width, rb.Height, cb.AsSpan());
            Assert.True(ca.AsSpan().SequenceEqual(cb), name);
        }
    }
}
