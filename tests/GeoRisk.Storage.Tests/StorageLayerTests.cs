using GeoRisk.Storage.GeoPackage;
using GeoRisk.Storage.PostGis;

namespace GeoRisk.Storage.Tests;

/// <summary>
/// The storage layer's shape (README.md, "Developers"): the shared catalog SQL knows no database provider, and both
/// stores are adapters of it, so a fix to the shared SQL reaches both.
/// </summary>
public sealed class StorageLayerTests
{
    [Fact]
    public void SharedLayer_ReferencesNoDatabaseProvider()
    {
        var references = typeof(SqlGeoRiskStore).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Contains("GeoRisk.Core", references);
        Assert.DoesNotContain(references, r => r.StartsWith("Npgsql", StringComparison.Ordinal)
            || r.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal) || r.StartsWith("SQLitePCL", StringComparison.Ordinal));
    }

    [Fact]
    public void BothStores_AreAdaptersOfTheSharedLayer()
    {
        Assert.Equal(typeof(SqlGeoRiskStore), typeof(GeoPackageStore).BaseType);
        Assert.Equal(typeof(SqlGeoRiskStore), typeof(PostGisStore).BaseType);
    }
}
