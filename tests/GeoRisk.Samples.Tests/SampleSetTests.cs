using System.Globalization;
using System.Text.Json;
using GeoRisk.Core.Layers;
using GeoRisk.Gdal;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;

namespace GeoRisk.Samples.Tests;

public sealed class SampleSetTests(SampleSetFixture samples) : IClassFixture<SampleSetFixture>
{
    private static List<string> VectorFiles()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Surveys, "manifest.json")));
        return manifest.RootElement.GetProperty("layers").EnumerateArray()
            .Where(l => !l.TryGetProperty("generated", out _) && !l.GetProperty("file").GetString()!.StartsWith("reference/", StringComparison.Ordinal))
            .Select(l => l.GetProperty("file").GetString()!).Distinct().ToList();
    }

    private static List<VectorFeature> ReadAll(string path)
    {
        var gdalPath = path.EndsWith(".zip", StringComparison.Ordinal) ? "/vsizip/" + path : path;
        using var ds = VectorDataset.OpenRead(gdalPath, ["GPKG", "GeoJSON", "ESRI Shapefile"], path.EndsWith(".zip", StringComparison.Ordinal) ? ["ENCODING="] : null);
        return ds.Layers.SelectMany(l => ds.ReadFeatures(l.Index)).ToList();
    }

    [Fact]
    public void Generator_IsDeterministic_RegeneratedVectorsEqualCommittedOnes()
    {
        var files = VectorFiles();
        Assert.True(files.Count >= 7, string.Join(", ", files));
        foreach (var file in files)
        {
            var committed = ReadAll(Path.Combine(RepoPaths.Surveys, file));
            var regenerated = ReadAll(samples.File(file));
            Assert.True(committed.Count == regenerated.Count, $"{file}: {committed.Count} committed vs {regenerated.Count} regenerated features");
            for (var i = 0; i < committed.Count; i++)
            {
                Assert.True(committed[i].Geometry!.EqualsExact(regenerated[i].Geometry!), $"{file} feature {i}: geometry differs");
                Assert.Equal(committed[i].Attributes, regenerated[i].Attributes);
            }
        }
    }

    [Fact]
    public void Manifest_CommittedEqualsGenerated_ExceptDemResolution()
    {
        var committed = File.ReadAllText(Path.Combine(RepoPaths.Surveys, "manifest.json"));
        var generated = File.ReadAllText(samples.File("manifest.json"))
            .Replace(SampleSetGenerator.DemFileName(SampleSetFixture.TestDemArcSeconds), SampleSetGenerator.DemFileName(1), StringComparison.Ordinal)
            .Replace($"\"demArcSeconds\": {SampleSetFixture.TestDemArcSeconds}", "\"demArcSeconds\": 1", StringComparison.Ordinal);
        Assert.Equal(committed, generated);
    }

    [Fact]
    public void Counties_TileThePrefectureWithoutGapsOrOverlaps()
    {
        var counties = ReadAll(samples.File("admin/counties_synthetic.geojson"));
        Assert.Equal(["652701", "652702", "652722", "652723"], counties.Select(c => (string)c.Attributes["code"]!).Order());
        var geometries = counties.Select(c => c.Geometry!).ToList();
        var union = CascadedPolygonUnion.Union(geometries);
        var outline = SampleSetGenerator.PrefectureOutline();

        Assert.Equal(outline.Area, union.Area, 9);
        Assert.Equal(outline.Area, geometries.Sum(g => g.Area), 9);
        Assert.True(union.SymmetricDifference(outline).Area < 1e-9);
        // The outline touches the published extent on every side.
        Assert.Equal(SampleSetGenerator.PrefectureExtent, union.EnvelopeInternal);
    }

    [Fact]
    public void KeyAreaSurvey_GradesDifferFromPrefectureSurveyInsideItsExtent()
    {
        var zones50 = ReadAll(samples.File("geohazard-50k/bortala_geohazard_50k.gpkg")).Where(f => f.Attributes.ContainsKey("YFXDJ")).ToList();
        var zones10 = ReadAll(samples.File("geohazard-10k/bole_yfx_fq_10k.zip"));
        using var gk = SpatialReference.FromEpsg(4515);
        using var geo = SpatialReference.FromEpsg(4490);
        using var toGk = CoordinateTransformation.Create(geo, gk);
        var area = SampleSetGenerator.BoleKeyArea;
        int compared = 0, differing = 0;
        for (var x = area.MinX + 0.005; x < area.MaxX; x += 0.01)
        {
            for (var y = area.MinY + 0.005; y < area.MaxY; y += 0.01)
            {
                var p = new Point(x, y);
                double[] gx = [x], gy = [y];
                toGk.Transform(gx, gy);
                var pg = new Point(gx[0], gy[0]);
                var g50 = zones50.FirstOrDefault(z => z.Geometry!.Contains(p))?.Attributes["YFXDJ"];
                var g10 = zones10.FirstOrDefault(z => z.Geometry!.Contains(pg))?.Attributes["YFXDJ"];
                if (g50 is null || g10 is null)
                {
                    continue;
                }

                compared++;
                differing += Equals(g50, g10) ? 0 : 1;
            }
        }

        Assert.True(compared > 400, $"only {compared} points compared");
        Assert.InRange(differing / (double)compared, 0.15, 0.85);
    }

    [Theory]
    [InlineData(82.95, 44.9, 189, 189)] // Ebinur Lake surface
    [InlineData(82.07, 44.90, 300, 1000)] // Bole city in the valley
    [InlineData(81.0, 45.27, 2800, 5000)] // Alatau ridge
    [InlineData(83.0, 44.12, 2800, 5000)] // Borohoro ridge above Jinghe
    public void Terrain_MatchesRegionalRelief(double lon, double lat, double min, double max)
    {
        var lake = ReadAll(Path.Combine(RepoPaths.Reference, "ne10m_lakes.geojson")).Single(f => Equals(f.Attributes["name"], "Ebinur Hu")).Geometry!;
        Assert.InRange(new BortalaTerrain(lake).Elevation(lon, lat), min, max);
    }

    [Fact]
    public async Task Loader_IngestsEverySampleFile_AndIsIdempotent()
    {
        using var dir = new TempDirectory("georisk-store");
        await using var store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = dir.Path });
        await store.InitializeAsync();
        var loader = new SampleSetLoader(store);

        var first = await loader.LoadAsync(samples.Path);
        Assert.Equal(17, first.Count);
        Assert.All(first, l => Assert.Equal("loaded", l.Outcome));
        var byId = first.ToDictionary(l => $"{l.SurveyId}/{l.Name}");
        Assert.Equal(4, byId["bortala-reference/counties"].Features);
        Assert.Equal(3, byId["bortala-flood-2023/flood-zones"].Features);
        Assert.Equal(320, byId["bortala-geohazard-50k/hazard-points"].Features);
        Assert.Equal(60, byId["bole-geohazard-10k/hazard-points"].Features);
        Assert.Equal(LayerKind.Dem, byId["bortala-reference/dem"].Kind);

        // Exposure: every building, census unit, road and facility of the file is stored, and the people add up.
        using (var exposure = VectorDataset.OpenRead(samples.File("exposure/bortala_exposure_synthetic.gpkg"), ["GPKG"]))
        {
            foreach (var (layer, name) in new[] { ("jzw", "buildings"), ("rk", "population"), ("dl", "roads"), ("zdss", "facilities") })
            {
                var index = exposure.Layers.ToList().FindIndex(l => l.Name == layer);
                Assert.Equal(exposure.ReadFeatures(index).Count(), byId[$"bortala-exposure/{name}"].Features);
            }

            var people = exposure.ReadFeatures(exposure.Layers.ToList().FindIndex(l => l.Name == "rk")).Sum(f => Convert.ToInt64(f.Attributes["ZRK"], CultureInfo.InvariantCulture));
            var stored = (await store.QueryFeaturesAsync("bortala-exposure", "population", null, 100_000)).Sum(f => Convert.ToInt64(f.Attributes["population"], CultureInfo.InvariantCulture));
            Assert.Equal(people, stored);
            var building = (await store.QueryFeaturesAsync("bortala-exposure", "buildings", null, 1)).Single();
            Assert.Contains(building.Attributes["structure"] as string, new[] { "钢混结构", "砖混结构", "砖木结构", "土木结构", "其他结构" });
            Assert.NotNull(building.Attributes["floors"]);
            Assert.NotNull(building.Attributes["occupants_night"]);
        }

        var versions = await store.ListVersionsAsync("bole-geohazard-10k", "hazard-zones");
        Assert.Contains("encoding-detected", versions.Single().ReportJson, StringComparison.Ordinal);
        Assert.StartsWith("EPSG:4515", versions.Single().SourceCrs, StringComparison.Ordinal);

        var second = await loader.LoadAsync(samples.Path);
        Assert.All(second, l => Assert.Equal("unchanged", l.Outcome));
        Assert.All(await store.ListLayersAsync(), l => Assert.Equal(1, l.CurrentVersion));
    }
}
