using System.Globalization;
using GeoRisk.Gdal;
using GeoRisk.Tests.Common;
using GeoRisk.Tiles;

namespace GeoRisk.Services.Tests;

/// <summary>Raster tiles carry what gdalwarp gives for the same Web Mercator tile of the run's COG (its default 1/8-pixel transformer).</summary>
[Collection(LoadedStoreCollection.Name)]
public sealed class RasterTileValuesTests(LoadedStoreFixture fixture)
{
    [Fact]
    public async Task GradeAndIndexTiles_EqualGdalwarpOfTheSameTile()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        await new ZoningRunService(store).RunAsync(LoadedStoreFixture.DefaultModel());
        using var tiles = new RasterTileService(store);
        // Tiles over Bole at three zooms: coarser than the 1000 m cells, about equal, and finer.
        foreach (var z in new[] { 7, 9, 11 })
        {
            var (x, y, _, _) = WebMercator.TileRange(new NetTopologySuite.Geometries.Envelope(82.0, 82.0, 44.9, 44.9), z);
            var tile = new TileId(z, x, y);
            foreach (var (kind, resampling, tolerance) in new[] { ("grade", "near", 0.0), ("index", "bilinear", 1e-4) })
            {
                var source = (await tiles.SourceAsync(kind, default))!.Value;
                var ours = tiles.Values(kind, source.Path, tile);
                var reference = await Gdalwarp(source.Path, tile, resampling, dir.File($"{kind}-{z}.tif"));
                var compared = 0;
                for (var i = 0; i < reference.Length; i++)
                {
                    Assert.Equal(float.IsNaN(reference[i]), float.IsNaN(ours.Data[i]));
                    if (!float.IsNaN(reference[i]))
                    {
                        Assert.Equal(reference[i], ours.Data[i], tolerance);
                        compared++;
                    }
                }

                Assert.True(compared > 1000, $"{kind} z{z}: {compared} cells with data");
            }
        }
    }

    private static async Task<float[]> Gdalwarp(string source, TileId tile, string resampling, string output)
    {
        var b = WebMercator.Bounds(tile);
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        await ExternalTool.OutputAsync("gdalwarp", "-q", "-t_srs", "EPSG:3857", "-te", F(b.MinX), F(b.MinY), F(b.MaxX), F(b.MaxY), "-ts", "256", "256",
            "-r", resampling, "-ot", "Float32", "-dstnodata", "nan", source, output);
        using var ds = RasterDataset.Open(output);
        var values = new float[256 * 256];
        ds.Read<float>(1, 0, 0, 256, 256, values);
        return values;
    }
}
