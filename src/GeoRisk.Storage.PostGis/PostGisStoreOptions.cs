namespace GeoRisk.Storage.PostGis;

/// <summary>Where the PostGIS store's database and shared raster folder are.</summary>
public sealed class PostGisStoreOptions
{
    /// <summary>Npgsql connection string (a secret: never logged or shown; the description names host and database only).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Shared folder for COG rasters (every instance must see the same one).</summary>
    public required string RasterDirectory { get; init; }
}
