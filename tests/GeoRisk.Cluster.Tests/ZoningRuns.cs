using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Samples;
using GeoRisk.Services;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;
using GeoRisk.Zoning;

namespace GeoRisk.Cluster.Tests;

/// <summary>
/// What the cluster zoning-run tests share (in-process silos and <c>georisk worker</c> processes): the sample set in a store, the
/// default model at a cell size, the block steps a run reports, and the comparison of two runs.
/// </summary>
internal static class ZoningRuns
{
    /// <summary>A GeoPackage store in <paramref name="directory"/> with the sample set loaded.</summary>
    public static async Task<GeoPackageStore> LoadedStoreAsync(string directory, string sampleSet)
    {
        var store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = directory });
        await store.InitializeAsync();
        await new SampleSetLoader(store).LoadAsync(sampleSet);
        return store;
    }

    /// <summary>The default model on a grid of <paramref name="cellSize"/> metres.</summary>
    public static RiskModel Model(double cellSize)
    {
        var model = RiskModel.Parse(File.ReadAllText(Path.Combine(RepoPaths.Surveys, "models", "bortala-default.json")));
        return model.WithGrid(model.Grid with { CellSize = cellSize });
    }

    /// <summary>Collects the block steps the run reports.</summary>
    public static Core.SyncProgress<ZoningProgress> Recording(List<BlockStepProgress> blockSteps) => new(p =>
    {
        if (p.Blocks is { } b)
        {
            lock (blockSteps)
            {
                blockSteps.Add(b);
            }
        }
    });

    /// <summary>
    /// The same record but the stage timings (and the recompute counts: an incremental run against a full one), the same zones and
    /// the same published rasters cell for cell.
    /// </summary>
    public static async Task AssertSameRunAsync(IGeoRiskStore store, ZoningRunOutcome expected, ZoningRunOutcome actual)
    {
        var (a, b) = (expected.Record, actual.Record);
        Assert.Equal(
            (a with { Timings = new Dictionary<string, double>(), Incremental = b.Incremental }).ToJson(),
            (b with { Timings = new Dictionary<string, double>() }).ToJson());
        Assert.Equal(expected.Run.ZoneCount, actual.Run.ZoneCount);
        foreach (var p in a.Products)
        {
            await AssertSameZonesAsync(store, expected.Run.Id, actual.Run.Id, p.Product);
        }

        Assert.Equal(expected.Run.Rasters.Keys.Order(), actual.Run.Rasters.Keys.Order());
        foreach (var (name, path) in expected.Run.Rasters)
        {
            using var ra = Gdal.RasterDataset.Open(path);
            using var rb = Gdal.RasterDataset.Open(actual.Run.Rasters[name]);
            Assert.Equal((ra.Width, ra.Height, ra.GetNoData(1), ra.GetDataType(1)), (rb.Width, rb.Height, rb.GetNoData(1), rb.GetDataType(1)));
            var (ca, cb) = (new float[ra.Width * ra.Height], new float[rb.Width * rb.Height]);
            ra.Read(1, 0, 0, ra.Width, ra.Height, ca.AsSpan());
            rb.Read(1, 0, 0, rb.Width, rb.Height, cb.AsSpan());
            Assert.True(ca.AsSpan().SequenceEqual(cb), name);
        }
    }

    /// <summary>The same polygons, in the same order, with the same attributes but the run id.</summary>
    public static async Task AssertSameZonesAsync(IGeoRiskStore store, int runA, int runB, ZoningProduct product)
    {
        var za = await store.QueryZonesAsync(runA, null, 1_000_000, product: product);
        var zb = await store.QueryZonesAsync(runB, null, 1_000_000, product: product);
        Assert.Equal(za.Count, zb.Count);
        Assert.NotEmpty(za);
        for (var z = 0; z < za.Count; z++)
        {
            Assert.True(za[z].Geometry.EqualsExact(zb[z].Geometry), $"{product} zone {z}");
            Assert.Equal(za[z].Attributes.Where(kv => kv.Key != "run").OrderBy(kv => kv.Key), zb[z].Attributes.Where(kv => kv.Key != "run").OrderBy(kv => kv.Key));
        }
    }

    /// <summary>
    /// The cluster zoning runs left nothing in the shared raster folder: no block folder of a streamed run
    /// (<c>zoning-blocks</c>), no folder of a grade job or pass they ran (<c>cluster-runs/streamed-*</c>, <c>zoning-*</c>, <c>pass-*</c>).
    /// </summary>
    public static void AssertNoScratchLeft(string rasterDirectory)
    {
        var blocks = Path.Combine(rasterDirectory, "zoning-blocks");
        Assert.False(Directory.Exists(blocks) && Directory.EnumerateFileSystemEntries(blocks).Any(), "the runs' block rasters were left in the raster folder");
        var runs = Path.Combine(rasterDirectory, "cluster-runs");
        var left = Directory.Exists(runs)
            ? Directory.EnumerateDirectories(runs).Select(Path.GetFileName).Where(n => n!.StartsWith("streamed-", StringComparison.Ordinal) || n.StartsWith("zoning-", StringComparison.Ordinal) || n.StartsWith("pass-", StringComparison.Ordinal)).ToList()
            : [];
        Assert.True(left.Count == 0, $"the grade jobs' folders were left in the raster folder: {string.Join(", ", left)}");
    }

    /// <summary>
    /// Nothing half-published: the store lists exactly <paramref name="published"/> as its runs, its consistency check finds no
    /// problem (every run's zones and rasters complete, no file nothing references) and its staging area is empty.
    /// </summary>
    public static async Task AssertNothingHalfPublishedAsync(IGeoRiskStore store, string storeDirectory, params ZoningRunOutcome[] published)
    {
        Assert.Equal(published.Select(p => p.Run.Id).Order(), (await store.ListZoningRunsAsync()).Select(r => r.Id).Order());
        Assert.Empty(await store.CheckConsistencyAsync());
        var staging = Path.Combine(storeDirectory, "staging");
        Assert.False(Directory.Exists(staging) && Directory.EnumerateFileSystemEntries(staging).Any(), "files were left in the store's staging area");
    }
}
