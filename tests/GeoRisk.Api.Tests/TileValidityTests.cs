using GeoRisk.Services;
using GeoRisk.Tiles;
using Microsoft.Extensions.DependencyInjection;

namespace GeoRisk.Api.Tests;

/// <summary>
/// Every tile of every polygon tileset of the sample (the zoning, hazard zones, lakes, counties, coverage …) from z0
/// to z12 passes the MVT validator, OGC polygon validity (NetTopologySuite) included.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class TileValidityTests(ApiFixture api)
{
    public const int MaxZoom = 12;

    [Fact]
    public async Task PolygonTilesets_AllTilesZ0To12_ValidPolygons()
    {
        var tiles = api.Factory.Services.GetRequiredService<TileService>();
        var all = await tiles.ListAsync();
        var zoningBounds = all.Single(t => t.Id == TileService.Zoning).Bounds!;
        var problems = new List<string>();
        var checkedTiles = 0;
        var polygons = 0;
        foreach (var tileset in all.Where(t => t.GeometryType.Contains("Polygon", StringComparison.Ordinal)))
        {
            await CheckAsync(tileset.Id, tileset.Bounds ?? zoningBounds);
        }

        Assert.Contains(TileService.Zoning, all.Select(t => t.Id));
        Assert.True(checkedTiles > 1000, $"only {checkedTiles} tiles checked");
        Assert.True(problems.Count == 0, $"{problems.Count} problems in {checkedTiles} tiles ({polygons} features):\n" + string.Join("\n", problems.Take(30)));

        async Task CheckAsync(string tileset, NetTopologySuite.Geometries.Envelope bounds)
        {
            for (var z = 0; z <= MaxZoom; z++)
            {
                var range = WebMercator.TileRange(bounds, z);
                for (var x = range.MinX; x <= range.MaxX; x++)
                {
                    for (var y = range.MinY; y <= range.MaxY; y++)
                    {
                        var tile = new TileId(z, x, y);
                        var result = await tiles.GetTileAsync(tileset, tile);
                        if (result.IsEmpty)
                        {
                            continue;
                        }

                        var bytes = TileService.Gunzip(result.Gzipped);
                        checkedTiles++;
                        polygons += MvtDecoder.Decode(bytes).Sum(l => l.Features.Count);
                        problems.AddRange(MvtValidator.Validate(bytes).Errors.Select(e => $"{tileset}/{tile}: {e}"));
                    }
                }
            }
        }
    }
}
