using System.Globalization;
using System.Text;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Services.Tests;

/// <summary>Site answers on hand-made fault layers whose distances are checked against an independent geodesic formula.</summary>
public sealed class SiteRiskFaultTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("georisk-site-faults");
    private GeoPackageStore _store = null!;

    // Site S: a fold axis 50 m east, a reverse fault 14 km east.
    private const double SLon = 82.0, SLat = 44.5;
    // Site T: a Late Pleistocene fault 100 m west, a Holocene fault 300 m east, both located to ±10 m.
    private const double TLon = 82.5, TLat = 44.2;
    // Site U: an undated fault 300 m east with no accuracy or scale recorded (default ±500 m).
    private const double ULon = 83.0, ULat = 44.3;

    public async Task InitializeAsync()
    {
        _store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _dir.Path });
        await _store.InitializeAsync();
        await _store.UpsertSurveyAsync(new SurveyInfo("ref", "Reference", 0, SurveyType.Reference, "test", null, true, new DateOnly(2024, 1, 1)), null);
        var features = new[]
        {
            Meridian(SLon, SLat, 50, """{"slip_type":"Anticline","catalog_name":"HimaTibetMap"}"""),
            Meridian(SLon, SLat, 14_000, """{"slip_type":"Reverse","fid":"F-far","catalog_name":"HimaTibetMap","accuracy":250000}"""),
            Meridian(TLon, TLat, -100, """{"slip_type":"Dextral","fid":"P1","last_movement":"Late Pleistocene","location_accuracy_m":10}"""),
            Meridian(TLon, TLat, 300, """{"slip_type":"Dextral","fid":"H1","name":"Holocene test fault","last_movement":"Holocene","location_accuracy_m":10}"""),
            Meridian(ULon, ULat, 300, """{"slip_type":"Sinistral","fid":"U1"}"""),
        };
        var file = _dir.File("faults.geojson");
        await File.WriteAllTextAsync(file, $$"""{"type":"FeatureCollection","features":[{{string.Join(",", features)}}]}""");
        var result = await new SurveyIngestor(_store).IngestAsync(new IngestRequest(file, LayerKind.ActiveFaults, "ref", "faults"));
        Assert.True(result.Accepted, string.Join("; ", result.Report.Findings.Select(f => f.Message)));

        // A 1:10000 survey whose coverage is a lon/lat rectangle: its south edge is a parallel.
        var coverage = new GeometryFactory().ToGeometry(new Envelope(82.6, 82.9, 44.6, 44.8));
        await _store.UpsertSurveyAsync(new SurveyInfo("edge-10k", "Edge test 1:10000", 10000, SurveyType.FineSurvey, "test", null, true, new DateOnly(2024, 6, 1)), coverage);
        var zones = _dir.File("zones.geojson");
        await File.WriteAllTextAsync(zones, """
            {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"yfxdj":2},
             "geometry":{"type":"Polygon","coordinates":[[[82.6,44.6],[82.9,44.6],[82.9,44.8],[82.6,44.8],[82.6,44.6]]]}}]}
            """);
        Assert.True((await new SurveyIngestor(_store).IngestAsync(new IngestRequest(zones, LayerKind.HazardZones, "edge-10k", "hazard-zones"))).Accepted);
    }

    /// <summary>A north–south trace at a geodesic distance east (negative: west) of the site, as a GeoJSON feature.</summary>
    private static string Meridian(double lon, double lat, double metres, string properties)
    {
        var x = GeodesicReference.LongitudeAtDistance(lon, lat, metres);
        var coordinates = string.Create(CultureInfo.InvariantCulture, $"[[{x:R},{lat - 0.1:R}],[{x:R},{lat:R}],[{x:R},{lat + 0.1:R}]]");
        return "{\"type\":\"Feature\",\"properties\":" + properties + ",\"geometry\":{\"type\":\"LineString\",\"coordinates\":" + coordinates + "}}";
    }

    private Task<SiteRiskAnswer> Ask(double lon, double lat, BuildingCategory category, int degree) =>
        new SiteRiskService(_store).AssessAsync(new SiteQuery(new Point(lon, lat), category, DesignIntensity.Create(degree), "EPSG:4490"));

    [Fact]
    public async Task Faults_FoldAxis50mAway_NotAFault_FaultFourteenKmAwayDecides()
    {
        var a = await Ask(SLon, SLat, BuildingCategory.B, 8);
        var governing = a.Faults.Governing!;
        Assert.Equal("F-far", governing.Id);
        Assert.Equal(14_000, governing.DistanceM, 1.0);
        Assert.Equal("pass", a.Faults.Setback.Verdict);
        Assert.Equal(1, a.Faults.ExcludedStructures);
        Assert.Equal(50, a.Faults.NearestExcludedM!.Value, 1.0);
        // The trace's scale (GEM's accuracy, 1:250,000) gives its uncertainty: 0.5 mm at scale = 125 m.
        Assert.Equal(125, governing.PositionalUncertaintyM);
        Assert.Equal("HimaTibetMap", governing.Source);
        Assert.Equal("Reverse", governing.Sense);
        Assert.Equal("no", a.DangerousSection.Flag);

        // Ingestion stored what each line is, for tiles and GIS clients too.
        var stored = await _store.QueryFeaturesAsync("ref", "faults", null, 100);
        Assert.Equal(["fault", "fault", "fault", "fault", "fold"], stored.Select(f => (string)f.Attributes["structure"]!).Order());
    }

    [Fact]
    public async Task Faults_HoloceneFaultBehindCloserPleistoceneFault_Decides()
    {
        var c8 = await Ask(TLon, TLat, BuildingCategory.C, 8);
        Assert.Equal("P1", c8.Faults.Nearest!.Id);
        Assert.Equal(100, c8.Faults.Nearest.DistanceM, 1.0);
        Assert.Equal("late-pleistocene", c8.Faults.Nearest.Activity);
        Assert.Equal("H1", c8.Faults.Governing!.Id);
        Assert.Equal("holocene", c8.Faults.Governing.Activity);
        Assert.Equal(300, c8.Faults.Governing.DistanceM, 1.0);
        Assert.Equal("pass", c8.Faults.Setback.Verdict); // 300 − 10 m ≥ 100 m
        var b9 = await Ask(TLon, TLat, BuildingCategory.B, 9);
        Assert.Equal("fail", b9.Faults.Setback.Verdict); // 300 + 10 m < 400 m
        Assert.Equal(400, b9.Faults.Setback.RequiredM);
        Assert.Contains("不应建造乙类建筑", b9.Faults.Setback.BasisZh, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Faults_InsideUncertaintyBand_Indeterminate_AndSpecialStudyOnlyWithinRadius()
    {
        var b8 = await Ask(ULon, ULat, BuildingCategory.B, 8);
        Assert.Equal("U1", b8.Faults.Governing!.Id);
        Assert.Equal(FaultTrace.DefaultUncertaintyM, b8.Faults.Governing.PositionalUncertaintyM);
        Assert.Equal("unknown", b8.Faults.Governing.Activity);
        Assert.Equal("indeterminate", b8.Faults.Setback.Verdict);
        Assert.Contains(b8.Caveats, c => c.Contains("活动断层探测", StringComparison.Ordinal));
        Assert.Equal("possible", b8.DangerousSection.Flag); // the trace may pass under the site (300 m, ±500 m)

        Assert.Equal("special-study", (await Ask(ULon, ULat, BuildingCategory.A, 8)).Faults.Setback.Verdict);
        // 甲 far from every fault: no special study (the whole set is over 5 km away from here).
        var far = await Ask(83.3, 44.9, BuildingCategory.A, 9);
        Assert.True(far.Faults.Governing!.DistanceM > 5_500);
        Assert.Equal("pass", far.Faults.Setback.Verdict);
    }

    [Theory]
    [InlineData(-3.0, false, true)]   // 3 m south of the coverage: outside, within the 5 m uncertainty of 1:10000
    [InlineData(20.0, true, false)]   // 20 m north of the south edge: inside, clear of the edge
    [InlineData(2.0, true, true)]
    public async Task CoverageEdge_DistanceToTheSurveyPolygonWithin1m(double metresNorth, bool inside, bool near)
    {
        // Mid-point of the south edge (a parallel at 44.6°N), moved along the meridian: the geodesic distance to the parallel.
        var lat = 44.6 + (metresNorth / 111_120.0);
        var expected = GeodesicReference.DistanceToPolyline(82.75, lat, [(82.6, 44.6), (82.9, 44.6)]);
        var a = await Ask(82.75, lat, BuildingCategory.C, 8);
        var edge = a.CoverageEdges.SingleOrDefault(e => e.SurveyId == "edge-10k");
        if (near)
        {
            Assert.NotNull(edge);
            Assert.Equal(inside, edge.Inside);
            Assert.Equal(expected, edge.DistanceM, 1.0);
        }
        else
        {
            Assert.Null(edge);
            Assert.Equal("edge-10k", a.Survey!.SurveyId);
            Assert.Equal(expected, a.Survey.DistanceToBoundaryM, 1.0);
        }

        Assert.Equal(inside, a.Survey?.SurveyId == "edge-10k");
    }

    /// <summary>
    /// Site answers keep what they read between answers (SiteDataCache): a repeated answer asks the store for nothing but its
    /// change stamp, and a new layer version published through another store instance on the same folder (another process)
    /// is in the very next answer.
    /// </summary>
    [Fact]
    public async Task WarmAnswer_QueriesNothing_NewVersionFromAnotherInstance_InTheNextAnswer()
    {
        await using var reader = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _dir.Path });
        await reader.InitializeAsync();
        var counted = StoreProbe.Wrap(reader, hideChangeStamp: false, out var calls);
        Task<SiteRiskAnswer> AskReader() =>
            new SiteRiskService(counted).AssessAsync(new SiteQuery(new Point(ULon, ULat), BuildingCategory.B, DesignIntensity.Create(8), "EPSG:4490"));

        var cold = await AskReader();
        Assert.Equal(300, cold.Faults.Governing!.DistanceM, 1.0);
        Assert.Contains(calls, c => c.StartsWith("QueryFeaturesAsync", StringComparison.Ordinal));
        calls.Clear();
        var warm = await AskReader();
        Assert.Equal(["get_ChangeStamp"], calls.Distinct());
        Assert.Equal(JsonOf(cold), JsonOf(warm));

        // The writer moves U1 to 150 m: version 2 of the layer.
        var file = _dir.File("faults-v2.geojson");
        await File.WriteAllTextAsync(file, $$"""{"type":"FeatureCollection","features":[{{Meridian(ULon, ULat, 150, """{"slip_type":"Sinistral","fid":"U1"}""")}}]}""");
        Assert.True((await new SurveyIngestor(_store).IngestAsync(new IngestRequest(file, LayerKind.ActiveFaults, "ref", "faults"))).Accepted);
        var moved = await AskReader();
        Assert.Equal(150, moved.Faults.Governing!.DistanceM, 1.0);
    }

    /// <summary>A layer over the cache's vertex budget is queried from the store each time, with the same features.</summary>
    [Fact]
    public async Task OverTheVertexBudget_FeaturesFromTheStore_Same()
    {
        var layer = (await _store.ListLayersAsync()).Single(l => l.Name == "faults");
        var box = new Envelope(ULon - 0.5, ULon + 0.5, ULat - 0.5, ULat + 0.5);
        var fromStore = await _store.QueryFeaturesAsync("ref", "faults", box, 100);
        var small = new SiteDataCache(_store, vertexBudget: 5);
        var big = new SiteDataCache(_store);
        Assert.Equal(fromStore.Select(f => f.Id), (await small.FeaturesAsync(layer, box, default)).Select(f => f.Id));
        Assert.Equal(fromStore.Select(f => f.Id), (await big.FeaturesAsync(layer, box, default)).Select(f => f.Id));
        Assert.Equal(0, small.LoadedSets);
        Assert.Equal(1, big.LoadedSets);
    }

    private static string JsonOf(SiteRiskAnswer a) => System.Text.Json.JsonSerializer.Serialize(a);

    [Fact]
    public void GeodesicReference_KnownValues()
    {
        // One degree of the GRS80 equator, and the meridian arc from the equator to 45°N (hand-computed series).
        Assert.Equal(111_319.4908, GeodesicReference.Distance(0, 0, 1, 0), 3);
        Assert.Equal(4_984_944.378, GeodesicReference.Distance(81, 0, 81, 45), 3);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }
}

[Collection(LoadedStoreCollection.Name)]
public sealed class SiteRiskSampleTests(LoadedStoreFixture fixture)
{
    /// <summary>
    /// Points near the real fault traces of the sample set: the service's distance to the nearest fault agrees with an
    /// independent geodesic computation (Vincenty on GRS80, segments linear in lon/lat) within 1 m, and its nearest point lies
    /// on the trace at that distance. Fold axes are left out of both.
    /// </summary>
    [Fact]
    public async Task NearestFault_RealTraces_GeodesicWithin1m()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var faults = new List<IReadOnlyList<(double Lon, double Lat)>>();
        foreach (var layer in (await store.ListLayersAsync()).Where(l => l.Kind == LayerKind.ActiveFaults))
        {
            foreach (var f in await store.QueryFeaturesAsync(layer.SurveyId, layer.Name, null, 100_000))
            {
                if (FaultTrace.FromAttributes(f.Attributes, "").IsFault)
                {
                    faults.AddRange(((f.Geometry as MultiLineString)?.Geometries ?? [f.Geometry]).Select(g => g.Coordinates.Select(c => (c.X, c.Y)).ToList()));
                }
            }
        }

        Assert.True(faults.Count > 40);
        var service = new SiteRiskService(store);
        var checkedPoints = 0;
        foreach (var (trace, i) in faults.Where(t => t.Any(c => c.Lon is > 80 and < 83.8 && c.Lat is > 44.05 and < 45.35)).Take(8).Select((t, i) => (t, i)))
        {
            var vertex = trace[trace.Count / 2];
            // 40 m to 5 km away, in different directions.
            var (dx, dy) = (new[] { 0.0005, -0.004, 0.02, -0.06 }[i % 4], new[] { 0.0003, 0.003, -0.015, 0.01 }[i % 4]);
            var (lon, lat) = (vertex.Lon + dx, vertex.Lat + dy);
            var expected = faults.Min(f => GeodesicReference.DistanceToPolyline(lon, lat, f));
            var answer = await service.AssessAsync(new SiteQuery(new Point(lon, lat), BuildingCategory.C, DesignIntensity.Create(8), "EPSG:4490"));
            var nearest = answer.Faults.Nearest!;
            Assert.Equal(expected, nearest.DistanceM, 1.0);
            Assert.Equal(nearest.DistanceM, GeodesicReference.Distance(lon, lat, nearest.NearestPoint[0], nearest.NearestPoint[1]), 1.0);
            checkedPoints++;
        }

        Assert.Equal(8, checkedPoints);
    }

    /// <summary>
    /// The sample's GEM layer holds 23 anticlines. At 81.807141 E, 44.535654 N one passes through the site while the nearest
    /// fault is about 14.4 km away: the fault-distance factor is that of the fault (its last class, 5 km and more), and
    /// category 乙 at 8度 passes the setback.
    /// </summary>
    [Fact]
    public async Task FoldAxis_NeitherSetbackNorFaultFactor()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        await new ZoningRunService(store).RunAsync(LoadedStoreFixture.DefaultModel());

        var answer = await new SiteRiskService(store).AssessAsync(new SiteQuery(new Point(81.807141, 44.535654), BuildingCategory.B, DesignIntensity.Create(8), "EPSG:4490"));
        Assert.True(answer.Faults.NearestExcludedM < 100, $"a fold axis passes near the site ({answer.Faults.NearestExcludedM} m)");
        Assert.InRange(answer.Faults.Governing!.DistanceM, 14_000, 15_000);
        Assert.Equal("pass", answer.Faults.Setback.Verdict);
        var factor = answer.Zoning!.Factors.Single(f => f.Id == "fault-distance");
        Assert.Equal(5, factor.Class);
    }
}

[Collection(LoadedStoreCollection.Name)]
public sealed class ExposureCensusSampleTests(LoadedStoreFixture fixture)
{
    /// <summary>
    /// After the start-up warm-up the first answer reads nothing from the store but its change stamp, and says the same as an
    /// answer read from the store query by query (a store without a change stamp keeps no catalog).
    /// </summary>
    [Fact]
    public async Task AfterWarmUp_FirstAnswer_QueriesNothing_SameAnswer()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        await new ZoningRunService(store).RunAsync(LoadedStoreFixture.DefaultModel());
        var counted = StoreProbe.Wrap(store, hideChangeStamp: false, out var calls);
        await SiteRiskService.WarmUpAsync(counted);
        Assert.Contains("QueryZonesAsync", calls);
        calls.Clear();
        var query = new SiteQuery(new Point(82.07, 44.9), BuildingCategory.B, null, "EPSG:4490");
        var warm = await new SiteRiskService(counted).AssessAsync(query);
        Assert.Equal(["get_ChangeStamp"], calls.Distinct());
        Assert.NotNull(warm.Zoning?.Prevention);

        var noStamp = StoreProbe.Wrap(store, hideChangeStamp: true, out StoreProbe.CallLog _);
        var uncached = await new SiteRiskService(noStamp) { Cache = new SiteDataCache(noStamp, vertexBudget: 0) }.AssessAsync(query);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(uncached), System.Text.Json.JsonSerializer.Serialize(warm));
    }

    /// <summary>
    /// The sample's exposure through a real run: every person, building and road kilometre of the inputs appears in the census
    /// exactly once, and the flood scenarios grow with the return period (nested extents).
    /// </summary>
    [Fact]
    public async Task Run_SampleExposure_CensusAddsUpToTheInputs()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var outcome = await new ZoningRunService(store).RunAsync(LoadedStoreFixture.DefaultModel());
        var rows = outcome.Record.Exposure;

        var population = await store.QueryFeaturesAsync("bortala-exposure", "population", null, 1_000_000);
        var buildings = await store.QueryFeaturesAsync("bortala-exposure", "buildings", null, 1_000_000);
        var roads = await store.QueryFeaturesAsync("bortala-exposure", "roads", null, 1_000_000);
        Assert.Equal(population.Sum(f => Convert.ToDouble(f.Attributes["population"], CultureInfo.InvariantCulture)), rows.Sum(r => r.People), 0.5);
        Assert.Equal(buildings.Count, rows.Sum(r => r.Buildings));
        Assert.Equal(buildings.Sum(f => Convert.ToInt64(f.Attributes["occupants_night"], CultureInfo.InvariantCulture)), rows.Sum(r => r.BuildingOccupantsNight));
        // Road length: geodesic (Vincenty) against the census's grid-projection kilometres; the 6° zone's scale error stays under 0.1 %.
        var geodesicKm = roads.Sum(r => r.Geometry.Coordinates.Zip(r.Geometry.Coordinates.Skip(1)).Sum(p => GeodesicReference.Distance(p.First.X, p.First.Y, p.Second.X, p.Second.Y))) / 1000;
        Assert.Equal(geodesicKm, rows.Sum(r => r.RoadKmByClass.Values.Sum()), geodesicKm * 0.001);
        // Every county has a row per grade, and most exposure lies inside the zoning.
        Assert.Equal(16, rows.Count(r => r.AdminCode.Length == 6 && r.Grade > 0));
        Assert.True(rows.Where(r => r.Grade > 0).Sum(r => r.Buildings) > 0.95 * buildings.Count);
        Assert.All(rows.Where(r => r.Grade > 0), r => Assert.EndsWith("易发区", r.GradeTermZh, StringComparison.Ordinal));

        // The success-rate curve: 20 area shares, never falling, ending at every point.
        var curve = outcome.Record.Validation.SuccessRate;
        Assert.Equal(20, curve.Count);
        Assert.True(curve.Zip(curve.Skip(1)).All(p => p.Second.PointShare >= p.First.PointShare));
        Assert.Equal(1.0, curve[^1].PointShare, 3);

        var flood = outcome.Record.FloodScenarios;
        Assert.Equal([10, 50, 100], flood.Select(f => f.ReturnPeriodYr));
        Assert.True(flood[2].People >= flood[0].People && flood[2].Buildings >= flood[0].Buildings);
        Assert.StartsWith("100-year flood: ", flood[2].Summary, StringComparison.Ordinal);
    }
}

/// <summary>
/// An <see cref="IGeoRiskStore"/> that records the name of every member called on it, then calls the real store; with
/// hideChangeStamp it is a store that cannot tell when it changed (as PostGIS), so nothing derived from its catalog may be kept.
/// </summary>
public class StoreProbe : System.Reflection.DispatchProxy
{
    private IGeoRiskStore _inner = null!;
    private System.Collections.Concurrent.ConcurrentQueue<string> _calls = null!;
    private bool _hideChangeStamp;

    public static IGeoRiskStore Wrap(IGeoRiskStore inner, bool hideChangeStamp, out CallLog calls)
    {
        var proxy = Create<IGeoRiskStore, StoreProbe>();
        var self = (StoreProbe)(object)proxy;
        self._inner = inner;
        self._calls = new();
        self._hideChangeStamp = hideChangeStamp;
        calls = new CallLog(self._calls);
        return proxy;
    }

    protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
    {
        _calls.Enqueue(targetMethod!.Name);
        if (_hideChangeStamp && targetMethod.Name == "get_ChangeStamp")
        {
            return null;
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

    /// <summary>The member names called so far, in order.</summary>
    public sealed class CallLog(System.Collections.Concurrent.ConcurrentQueue<string> calls) : IEnumerable<string>
    {
        public void Clear() => calls.Clear();

        public IEnumerator<string> GetEnumerator() => calls.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
