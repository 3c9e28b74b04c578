namespace GeoRisk.Storage.GeoPackage;

/// <summary>Where the embedded store keeps its catalog (catalog.gpkg) and rasters.</summary>
public sealed class GeoPackageStoreOptions
{
    /// <summary>The store folder; created when missing.</summary>
    public string Directory { get; set; } = "georisk-data";
}
