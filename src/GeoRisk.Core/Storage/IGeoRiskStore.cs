using GeoRisk.Core.Layers;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using NetTopologySuite.Geometries;

namespace GeoRisk.Core.Storage;

/// <summary>Which store serves the catalog and where it lives (a folder or a server, never a secret).</summary>
public sealed record StoreDescription(string Kind, string Location);

/// <summary>Everything recorded with a new layer version besides its content.</summary>
public sealed record LayerPublication(
    string SurveyId,
    string LayerName,
    LayerKind Kind,
    string Uploader,
    string SourceFile,
    string SourceSha256,
    string? SourceCrs,
    FieldMapping Mapping,
    ValidationReport Report);

/// <summary>A raster's grid as stored: size, geotransform and CRS of the COG.</summary>
public sealed record RasterDescription(int Width, int Height, double[] GeoTransform, string CrsWkt, string DataType, double? NoData)
{
    /// <summary>The raster's extent in its CRS, from the geotransform (north-up).</summary>
    public Envelope GetBounds() =>
        new(GeoTransform[0], GeoTransform[0] + (GeoTransform[1] * Width), GeoTransform[3], GeoTransform[3] + (GeoTransform[5] * Height));
}

public sealed record LayerInfo(
    string SurveyId,
    string Name,
    LayerKind Kind,
    int CurrentVersion,
    long FeatureCount,
    Envelope? Bounds,
    DateTimeOffset UpdatedAt)
{
    /// <summary>"survey/layer", unique in the store.</summary>
    public string Id => $"{SurveyId}/{Name}";
}

public sealed record LayerVersionInfo(
    string SurveyId,
    string LayerName,
    int Version,
    DateTimeOffset CreatedAt,
    string Uploader,
    string SourceFile,
    string SourceSha256,
    string? SourceCrs,
    long FeatureCount,
    Envelope? Bounds,
    string FieldMappingJson,
    string ReportJson,
    string? RasterFile);

/// <summary>
/// The catalog of surveys, layers and their immutable versions. Publishing a version is atomic: either the
/// new version is complete and current, or nothing changed. Implemented by the embedded GeoPackage store
/// and the PostGIS store.
/// </summary>
public interface IGeoRiskStore : IAsyncDisposable
{
    StoreDescription Description { get; }

    /// <summary>Creates or migrates the schema and removes leftovers of interrupted publishes.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    Task UpsertSurveyAsync(SurveyInfo survey, Geometry? coverage, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SurveyInfo>> ListSurveysAsync(CancellationToken cancellationToken = default);

    Task<Geometry?> GetSurveyCoverageAsync(string surveyId, CancellationToken cancellationToken = default);

    /// <summary>Publishes a new version of a vector layer, making it current.</summary>
    /// <exception cref="KeyNotFoundException">The survey does not exist.</exception>
    Task<LayerVersionInfo> PublishVectorLayerAsync(
        LayerPublication publication, IReadOnlyList<GeoFeature> features, CancellationToken cancellationToken = default);

    /// <summary>A path inside the store where an adapter may write a raster before publishing it.</summary>
    string CreateStagingPath(string extension);

    /// <summary>Publishes a staged COG as a new version of a raster layer; the staged file is moved into the store.</summary>
    /// <exception cref="KeyNotFoundException">The survey does not exist.</exception>
    Task<LayerVersionInfo> PublishRasterLayerAsync(
        LayerPublication publication, RasterDescription raster, string stagedFile, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<LayerInfo>> ListLayersAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<LayerVersionInfo>> ListVersionsAsync(string surveyId, string layerName, CancellationToken cancellationToken = default);

    /// <summary>Features of the current version intersecting <paramref name="bbox"/> (lon/lat), in id order.</summary>
    /// <exception cref="KeyNotFoundException">No such layer.</exception>
    Task<IReadOnlyList<GeoFeature>> QueryFeaturesAsync(
        string surveyId, string layerName, Envelope? bbox, int limit, long offset = 0, CancellationToken cancellationToken = default);

    /// <summary>The feature of the current version with this id (the source's feature id), found through an index; null when there is none.</summary>
    /// <exception cref="KeyNotFoundException">The layer does not exist.</exception>
    Task<GeoFeature?> GetFeatureAsync(string surveyId, string layerName, long id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Checks that the catalog is consistent: every current version complete (row counts, raster files
    /// present), nothing unreferenced left behind. Returns the problems found; empty means consistent.
    /// </summary>
    Task<IReadOnlyList<string>> CheckConsistencyAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes a zoning run atomically (its zones, record and COGs) and makes it the current run. Staged
    /// rasters are moved into the store.
    /// </summary>
    Task<ZoningRunInfo> PublishZoningRunAsync(ZoningRunPublication run, IReadOnlyList<GeoFeature> zones, CancellationToken cancellationToken = default);

    /// <summary>Every stored zoning run, oldest first.</summary>
    Task<IReadOnlyList<ZoningRunInfo>> ListZoningRunsAsync(CancellationToken cancellationToken = default);

    /// <summary>A run by id, or the current run when <paramref name="id"/> is null; null when there is none.</summary>
    Task<ZoningRunInfo?> GetZoningRunAsync(int? id = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// A value that changes whenever anything in the store may have changed (any process's write), cheap enough to
    /// ask on every request, so callers can keep what they derived from the catalog (surveys, layers, the current
    /// run) until it changes; null when the store cannot tell, and then nothing may be kept.
    /// </summary>
    string? ChangeStamp => null;

    /// <summary>
    /// Zones of one product of a run intersecting <paramref name="bbox"/> (lon/lat), in zone order. Zones stored before
    /// products existed are susceptibility zones.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    Task<IReadOnlyList<GeoFeature>> QueryZonesAsync(int runId, Envelope? bbox, int limit, long offset = 0, CancellationToken cancellationToken = default,
        Risk.ZoningProduct product = Risk.ZoningProduct.Susceptibility);

    /// <summary>The zone of run <paramref name="runId"/> with this zone id, found through an index; null when there is none.</summary>
    /// <exception cref="KeyNotFoundException">The run does not exist.</exception>
    Task<GeoFeature?> GetZoneAsync(int runId, long zoneId, CancellationToken cancellationToken = default);

    /// <summary>Absolute path of the current raster of a raster layer.</summary>
    /// <exception cref="KeyNotFoundException">No such raster layer.</exception>
    Task<string> GetRasterPathAsync(string surveyId, string layerName, CancellationToken cancellationToken = default);
}

/// <summary>A zoning run ready to publish: its record (model, inputs, breaks, metrics as JSON) and staged COGs by name.</summary>
public sealed record ZoningRunPublication(
    string RunKey, string ModelName, string ModelHash, string RecordJson, IReadOnlyDictionary<string, string> StagedRasters)
{
    /// <summary>Checks what every store checks before publishing: raster names are identifiers and every staged file exists.</summary>
    /// <exception cref="ArgumentException">A raster name is not an identifier.</exception>
    /// <exception cref="FileNotFoundException">A staged raster is missing.</exception>
    public void Check(Func<string, bool> fileExists)
    {
        foreach (var (name, staged) in StagedRasters)
        {
            if (!Identifiers.IsValid(name))
            {
                throw new ArgumentException($"Raster name '{name}' is not a valid identifier.", nameof(StagedRasters));
            }

            if (!fileExists(staged))
            {
                throw new FileNotFoundException($"Staged raster '{name}' not found.", staged);
            }
        }
    }
}

/// <summary>A stored zoning run. <paramref name="Rasters"/> maps names ("index", "grade", "factor-slope") to absolute COG paths.</summary>
public sealed record ZoningRunInfo(int Id, string RunKey, string ModelName, string ModelHash, DateTimeOffset CreatedAt, string RecordJson,
    IReadOnlyDictionary<string, string> Rasters, long ZoneCount, Envelope? Bounds);

/// <summary>Files that belong to a stored raster besides the raster itself.</summary>
public static class RasterSidecars
{
    /// <summary>GDAL's PAM sidecar, which holds a class raster's category names (written beside the COG).</summary>
    public const string Pam = ".aux.xml";

    /// <summary>The raster a file belongs to: itself, or the raster of its PAM sidecar.</summary>
    public static string OwnerOf(string file) => file.EndsWith(Pam, StringComparison.Ordinal) ? file[..^Pam.Length] : file;
}
