using System.IO.Compression;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Tests.Common;

namespace GeoRisk.Gdal.Tests;

public class SafeArchiveTests
{
    private static string MakeZip(TempDirectory dir, params (string Name, byte[] Content)[] entries)
    {
        var path = dir.File($"{Guid.NewGuid():N}.zip");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content) in entries)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
            s.Write(content);
        }

        return path;
    }

    [Fact]
    public void ExtractTo_ZipSlip_Rejected()
    {
        using var dir = new TempDirectory();
        var zip = MakeZip(dir, ("../../evil.txt", [1, 2, 3]));
        var ex = Assert.Throws<UploadRejectedException>(() => SafeArchive.ExtractTo(zip, dir.File("out")));
        Assert.Equal("zip-slip", ex.Code);
        Assert.False(File.Exists(Path.Combine(dir.Path, "..", "evil.txt")));
    }

    [Fact]
    public void ExtractTo_NestedZip_Rejected()
    {
        using var dir = new TempDirectory();
        var zip = MakeZip(dir, ("inner.zip", [80, 75, 5, 6]));
        Assert.Equal("nested-archive", Assert.Throws<UploadRejectedException>(() => SafeArchive.ExtractTo(zip, dir.File("out"))).Code);
    }

    [Fact]
    public void ExtractTo_DecompressionBomb_RejectedWhileCopying()
    {
        using var dir = new TempDirectory();
        var zip = MakeZip(dir, ("zeros.dbf", new byte[8 << 20]));
        var ex = Assert.Throws<UploadRejectedException>(() => SafeArchive.ExtractTo(zip, dir.File("out"), new ArchiveBudgets(MaxTotalBytes: 4 << 20)));
        Assert.Equal("zip-bomb", ex.Code);
    }

    [Fact]
    public void ExtractTo_HighRatio_RejectedEvenUnderTotalBudget()
    {
        using var dir = new TempDirectory();
        var zip = MakeZip(dir, ("zeros.dbf", new byte[24 << 20]));
        var ex = Assert.Throws<UploadRejectedException>(() => SafeArchive.ExtractTo(zip, dir.File("out"), new ArchiveBudgets(MaxCompressionRatio: 100)));
        Assert.Equal("zip-bomb", ex.Code);
        Assert.Contains("100:1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExtractTo_CorruptZip_Rejected()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.zip");
        File.WriteAllBytes(path, [0x50, 0x4B, 0x03, 0x04, 0xFF, 0xFF, 0x00]);
        Assert.Equal("corrupt-archive", Assert.Throws<UploadRejectedException>(() => SafeArchive.ExtractTo(path, dir.File("out"))).Code);
    }

    [Fact]
    public void ExtractTo_OrdinaryShapefileZip_Extracted()
    {
        using var dir = new TempDirectory();
        var zip = MakeZip(dir, ("a.shp", [1]), ("a.dbf", [2]), ("sub/a.prj", [3]));
        SafeArchive.ExtractTo(zip, dir.File("out"));
        Assert.True(File.Exists(dir.File("out/sub/a.prj")));
    }
}
