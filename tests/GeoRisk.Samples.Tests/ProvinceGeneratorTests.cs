using System.Security.Cryptography;
using GeoRisk.Gdal;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Samples.Tests;

/// <summary>The synthetic province benchmark set: deterministic, Xinjiang-sized, counties tiling the outline, every manifest file present.</summary>
public sealed class ProvinceGeneratorTests
{
    private static readonly ProvinceOptions s_small = new() { Counties = 20, Zones = 400, Faults = 30, Rivers = 6, HazardPoints = 300, DemArcSeconds = 300 };

    [Fact]
    public void Outline_IsXinjiangSized_InsideTheBox()
    {
        var outline = ProvinceGenerator.Outline();
        Assert.True(outline.IsValid);
        var km2 = outline.Area * 111.32 * 111.32 * Math.Cos(outline.EnvelopeInternal.Centre.Y * Math.PI / 180);
        Assert.InRange(km2, 1.55e6, 1.75e6); // Xinjiang: about 1.66 million km²
        Assert.True(ProvinceGenerator.Extent.Contains(outline.EnvelopeInternal));
    }

    [Fact]
    public void Generate_Twice_SameFiles_ManifestFilesPresent_CountiesTileTheOutline()
    {
        using var a = new TempDirectory("georisk-province-a");
        using var b = new TempDirectory("georisk-province-b");
        new ProvinceGenerator(a.Path).Generate(s_small);
        new ProvinceGenerator(b.Path).Generate(s_small);

        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(a.Path, "manifest.json")));
        foreach (var layer in manifest.RootElement.GetProperty("layers").EnumerateArray())
        {
            var file = layer.GetProperty("file").GetString()!;
            Assert.True(File.Exists(Path.Combine(a.Path, file)), file);
            Assert.Equal(Hash(Path.Combine(a.Path, file)), Hash(Path.Combine(b.Path, file)));
        }

        using var counties = VectorDataset.OpenRead(Path.Combine(a.Path, "admin/province_counties_synthetic.gpkg"), ["GPKG"]);
        var geometries = counties.ReadFeatures(0).Select(f => f.Geometry!).ToList();
        Assert.Equal(20, geometries.Count);
        var outline = ProvinceGenerator.Outline();
        Assert.Equal(outline.Area, geometries.Sum(g => g.Area), 4); // no gaps, no overlaps
        using var dem = RasterDataset.Open(Path.Combine(a.Path, ProvinceGenerator.DemFile(300)));
        Assert.Equal((int)Math.Ceiling(ProvinceGenerator.Extent.Width * 12), dem.Width);
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
