using GeoRisk.Core.Risk;
using GeoRisk.Services;

namespace GeoRisk.Services.Tests;

/// <summary>The raster tile kinds name each product's index and grade raster one way, both ways.</summary>
public sealed class RasterTileKindTests
{
    [Fact]
    public void KindFor_IsTheInverseOfKindOf_ForEveryZoningKind()
    {
        var zoningKinds = RasterTileService.Kinds.Where(k => k != "hillshade").ToList();
        Assert.Equal(6, zoningKinds.Count);
        foreach (var kind in zoningKinds)
        {
            var (product, grade) = RasterTileService.KindOf(kind);
            Assert.Equal(kind, RasterTileService.KindFor(product, grade));
        }

        // Every product has both rasters, each with its own kind.
        var all = Enum.GetValues<ZoningProduct>().SelectMany(p => new[] { RasterTileService.KindFor(p, true), RasterTileService.KindFor(p, false) }).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.All(all, k => Assert.Contains(k, zoningKinds));
    }
}
