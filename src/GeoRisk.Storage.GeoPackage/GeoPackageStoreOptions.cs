namespace GeoRisk.Storage.GeoPackage;

/// <summary>Where the embedded store keeps its catalog (catalog.gpkg) and rasters.</summary>
public sealed class GeoPackageStoreOptions
{
    /// <summary>The store folder; created when missing.</summary>
    public string Directory { get; set; } = "georisk-data";

    /// <summary>
    /// Remove staged files and unreferenced rasters at start-up (crash recovery). Off for a second process on
    /// the same store while the first runs, such as the service's parser worker, which must not delete the
    /// service's in-flight files.
    /// </summary>
    public bool CleanUpOnInitialize { get; init; } = true;
}
