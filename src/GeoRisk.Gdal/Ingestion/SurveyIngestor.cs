using System.Security.Cryptography;
using System.Text;
using GeoRisk.Core.Crs;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using NetTopologySuite.Geometries;

namespace GeoRisk.Gdal.Ingestion;

/// <summary>One upload: a server-named file plus what the uploader declared about it.</summary>
/// <param name="FilePath">Path of the uploaded file on the server (never a name chosen by the client).</param>
/// <param name="LayerName">Name of the stored layer; defaults to the kind's token.</param>
/// <param name="Crs">Declared CRS ("EPSG:4515" or WKT) overriding what the file says.</param>
/// <param name="SourceLayer">Which layer of a multi-layer source to read; required when it is ambiguous.</param>
/// <param name="FieldMap">Explicit schema-field to source-field mapping.</param>
/// <param name="OriginalFileName">The name the uploader gave the file, for the record.</param>
public sealed record IngestRequest(
    string FilePath,
    LayerKind Kind,
    string SurveyId,
    string? LayerName = null,
    string? Crs = null,
    string? SourceLayer = null,
    IReadOnlyDictionary<string, string>? FieldMap = null,
    string Uploader = "cli",
    string? OriginalFileName = null);

public sealed record IngestResult(bool Accepted, ValidationReport Report, LayerVersionInfo? Version)
{
    public string? RejectionCode { get; init; }
}

/// <summary>Progress of an ingest: a phase name and the fraction done, 0..1.</summary>
public readonly record struct IngestProgress(string Phase, double Fraction);

/// <summary>Budgets for raster uploads.</summary>
public sealed record RasterBudgets(long MaxCells = 1L << 31, int MaxBands = 16, int MaxSide = 200_000);

/// <summary>
/// Reads an uploaded survey file through GDAL (only allowed drivers), checks its CRS, converts it to
/// CGCS2000 geographic, validates it against the layer schema and publishes it atomically. Errors reject
/// the upload and store nothing.
/// </summary>
public sealed class SurveyIngestor(
    IGeoRiskStore store, IngestBudgets? budgets = null, ArchiveBudgets? archiveBudgets = null, RasterBudgets? rasterBudgets = null)
{
    /// <summary>Vector drivers an upload may be read with: nothing that reaches other files, databases or the network.</summary>
    public static readonly IReadOnlyList<string> VectorDrivers = ["ESRI Shapefile", "GPKG", "GeoJSON", "KML", "LIBKML", "OpenFileGDB"];

    private static readonly Dictionary<string, string> s_extensionDrivers = new(StringComparer.OrdinalIgnoreCase)
    {
        [".shp"] = "ESRI Shapefile",
        [".gpkg"] = "GPKG",
        [".geojson"] = "GeoJSON",
        [".json"] = "GeoJSON",
        [".kml"] = "KML",
        [".gdb"] = "OpenFileGDB",
        [".tif"] = "GTiff",
        [".tiff"] = "GTiff",
    };

    static SurveyIngestor() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public async Task<IngestResult> IngestAsync(
        IngestRequest request, IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var report = new ValidationReport();
        var workDir = Path.Combine(Path.GetTempPath(), "georisk-ingest-" + Guid.NewGuid().ToString("N"));
        try
        {
            progress?.Report(new("checking file", 0));
            CheckLocalFile(request.FilePath);
            var sha256 = await HashAsync(request.FilePath, cancellationToken);
            var source = request.FilePath;
            if (string.Equals(Path.GetExtension(source), ".zip", StringComparison.OrdinalIgnoreCase))
            {
                SafeArchive.ExtractTo(source, workDir, archiveBudgets);
                source = FindDataset(workDir);
            }

            var driver = DriverFor(request.Kind, source);
            var layerName = request.LayerName ?? request.Kind.ToToken();
            await CheckLayerKindAsync(request, layerName, cancellationToken);
            var publication = new LayerPublication(
                request.SurveyId,
                layerName,
                request.Kind,
                request.Uploader,
                request.OriginalFileName ?? Path.GetFileName(request.FilePath),
                sha256,
                null,
                new FieldMapping(new Dictionary<string, string>()),
                report);
            return driver == "GTiff"
                ? await IngestRasterAsync(request, source, publication, progress, cancellationToken)
                : await IngestVectorAsync(request, source, driver, publication, progress, cancellationToken);
        }
        catch (UploadRejectedException ex)
        {
            report.Error(ex.Code, WithoutServerPaths(ex.Message, request.FilePath, workDir));
            return new IngestResult(Accepted: false, report, null) { RejectionCode = ex.Code };
        }
        catch (GdalException ex)
        {
            report.Error("unreadable-file", WithoutServerPaths(ex.Message, request.FilePath, workDir));
            return new IngestResult(Accepted: false, report, null) { RejectionCode = "unreadable-file" };
        }
        finally
        {
            if (Directory.Exists(workDir))
            {
                Directory.Delete(workDir, recursive: true);
            }
        }
    }

    /// <summary>
    /// Only plain local files: GDAL's virtual file systems (/vsicurl/, /vsizip/ chains…) and
    /// connection strings (PG:, MEM:::) would let a name reach the network, a database or memory.
    /// </summary>
    private static void CheckLocalFile(string filePath)
    {
        if (filePath.Contains("/vsi", StringComparison.OrdinalIgnoreCase) ||
            System.Text.RegularExpressions.Regex.IsMatch(filePath, "^[A-Za-z][A-Za-z0-9_]*:") || !File.Exists(filePath))
        {
            throw new UploadRejectedException("bad-path", $"'{Path.GetFileName(filePath)}' is not a local file GeoRisk can read.");
        }
    }

    /// <summary>The GDAL driver for the source's extension, which must suit the layer kind (GeoTIFF for rasters only).</summary>
    private static string DriverFor(LayerKind kind, string source)
    {
        if (!s_extensionDrivers.TryGetValue(Path.GetExtension(source), out var driver))
        {
            throw new UploadRejectedException(
                "unsupported-format",
                $"'{Path.GetFileName(source)}' is not a supported format "
                + "(zipped Shapefile, GeoPackage, GeoJSON, KML, File Geodatabase, GeoTIFF).");
        }

        if (kind.IsRaster() != (driver == "GTiff"))
        {
            throw new UploadRejectedException("kind-format-mismatch", kind.IsRaster()
                ? $"A {kind.ToToken()} layer must be a GeoTIFF."
                : $"A {kind.ToToken()} layer must be a vector file; '{Path.GetFileName(source)}' is a raster.");
        }

        return driver;
    }

    /// <summary>The store refuses to change a layer's kind; a clear rejection instead of a failed publish.</summary>
    private async Task CheckLayerKindAsync(IngestRequest request, string layerName, CancellationToken cancellationToken)
    {
        var layers = await store.ListLayersAsync(cancellationToken);
        if (layers.FirstOrDefault(l => l.SurveyId == request.SurveyId && l.Name == layerName) is { } existing && existing.Kind != request.Kind)
        {
            throw new UploadRejectedException(
                "layer-kind-conflict",
                $"Layer '{request.SurveyId}/{layerName}' holds {existing.Kind.ToToken()}; "
                + $"upload {request.Kind.ToToken()} under another layer name.");
        }
    }

    /// <summary>
    /// A GeoPackage is a database: views run queries and triggers run code when rows change. A survey delivery
    /// needs neither, so any view, and any trigger that is not one of the standard spatial-index, feature-count
    /// or tile-matrix triggers GDAL writes (checked by its whole definition, not its name), refuses the file
    /// before a layer is read.
    /// </summary>
    private static void RejectActiveContent(VectorDataset dataset)
    {
        var active = dataset.QueryStrings("SELECT 'view ' || name FROM sqlite_master WHERE type = 'view' ORDER BY 1")
            .Select(v => v ?? "")
            .ToList();
        active.AddRange(GeoPackageTriggers.NonStandard(dataset).Select(t => "trigger " + t));
        if (active.Count > 0)
        {
            throw new UploadRejectedException(
                "gpkg-active-content",
                $"The GeoPackage contains {string.Join(", ", active.Take(5))}{(active.Count > 5 ? ", …" : "")}; survey deliveries must "
                + "hold plain tables (remove views and triggers, e.g. by re-exporting with ogr2ogr).");
        }
    }

    /// <summary>
    /// Reads the source layer, checks its CRS against the raw extent, converts every feature to CGCS2000,
    /// validates it against the schema and, when nothing is in error, publishes the layer.
    /// </summary>
    private async Task<IngestResult> IngestVectorAsync(
        IngestRequest request,
        string source,
        string driver,
        LayerPublication publication,
        IProgress<IngestProgress>? progress,
        CancellationToken cancellationToken)
    {
        var report = publication.Report;
        var (decoder, openOptions) = ShapefileDecoding(driver, source, report);
        CheckSourceFile(driver, source);

        // Opening and reading the CRS run synchronously on this thread (no await until the CRS is known), so a
        // fetch GDAL attempted for this file (a GeoJSON "crs" link) shows in this thread's refusal count.
        var refusedBefore = GdalRuntime.RefusedNetworkRequestsOnThisThread;

        // LIBKML reads KML ExtendedData (the attributes field GPS software writes); plain KML only names.
        IReadOnlyList<string> drivers = driver == "KML" ? ["LIBKML", "KML"] : [driver];
        using var dataset = VectorDataset.OpenRead(source, drivers, openOptions);
        var layer = SelectLayer(dataset, driver, request.SourceLayer);

        // GCJ-02 has no PROJ definition: its coordinates are read as WGS 84 lon/lat and de-obfuscated below.
        var isGcj02 = request.Crs is not null && IsGcj02(request.Crs);
        using var declared = SourceCrs(dataset, layer, request.Crs, isGcj02, refusedBefore);
        var facts = Facts(declared);
        report.SourceCrs = isGcj02 ? "GCJ-02 (converted to WGS 84)" : facts.Epsg is { } code ? $"EPSG:{code} ({facts.Name})" : facts.Name;
        if (isGcj02)
        {
            report.Info("gcj02-converted", "Coordinates were declared GCJ-02 and converted to WGS 84 (then CGCS2000) by inverting the GCJ-02 offset.");
        }

        var schema = LayerSchema.For(request.Kind);
        var mapping = FieldMapping.Detect(schema, layer.Fields.Select(f => f.Name).ToList(), request.FieldMap);
        var coverage = await store.GetSurveyCoverageAsync(request.SurveyId, cancellationToken);
        var validator = new FeatureValidator(schema, mapping, report, coverage, budgets);

        // First pass in source coordinates: the raw extent tells us whether the CRS is plausible.
        var (raw, rawEnvelope) = ReadRaw(dataset, layer, decoder, progress, cancellationToken);
        CrsDiagnostics.CheckSource(rawEnvelope, facts, report);
        if (report.HasErrors)
        {
            return Rejected(report);
        }

        var (accepted, converted) = ConvertAndValidate(raw, declared, isGcj02, validator, report, progress, cancellationToken);
        CrsDiagnostics.CheckConverted(converted, facts, report);
        if (accepted.Count == 0 && !report.HasErrors)
        {
            report.Error("empty-layer", "The layer has no features.");
        }

        if (report.HasErrors)
        {
            return Rejected(report);
        }

        progress?.Report(new("publishing", 0.85));
        var version = await store.PublishVectorLayerAsync(
            publication with { SourceCrs = report.SourceCrs, Mapping = mapping }, accepted, cancellationToken);
        progress?.Report(new("done", 1));
        return new IngestResult(Accepted: true, report, version);
    }

    /// <summary>A rejection carrying the code of the report's first error.</summary>
    private static IngestResult Rejected(ValidationReport report) =>
        new(Accepted: false, report, null) { RejectionCode = report.Findings.First(f => f.Severity == Severity.Error).Code };

    /// <summary>
    /// A Shapefile without a .cpg: read the .dbf bytes as they are and decide per value: strict UTF-8 if it
    /// decodes, else GB18030 (a superset of GBK), which is what Chinese field teams' software writes.
    /// Other sources (and Shapefiles with a .cpg) are decoded by GDAL.
    /// </summary>
    private static (Func<ReadOnlySpan<byte>, string>? Decoder, List<string>? OpenOptions) ShapefileDecoding(
        string driver, string source, ValidationReport report)
    {
        if (driver != "ESRI Shapefile" || File.Exists(Path.ChangeExtension(source, ".cpg")) || File.Exists(Path.ChangeExtension(source, ".CPG")))
        {
            return (null, null);
        }

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var gb = Encoding.GetEncoding(54936);
        var usedGb = false;
        string Decode(ReadOnlySpan<byte> bytes)
        {
            try
            {
                return utf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                if (!usedGb)
                {
                    usedGb = true;
                    report.Info("encoding-detected", "The Shapefile has no .cpg; its attributes were decoded as GBK (GB18030).");
                }

                return gb.GetString(bytes);
            }
        }

        return (Decode, ["ENCODING="]);
    }

    private static void CheckSourceFile(string driver, string source)
    {
        if (driver == "ESRI Shapefile")
        {
            SourceChecks.CheckShapefile(source);
        }
        else if (driver == "GeoJSON")
        {
            SourceChecks.CheckGeoJson(source);
        }
    }

    /// <summary>The requested layer, or the only one; a GeoPackage is checked for active content and its layer's structure.</summary>
    private static VectorLayerInfo SelectLayer(VectorDataset dataset, string driver, string? sourceLayer)
    {
        if (driver == "GPKG")
        {
            RejectActiveContent(dataset);
        }

        var layers = dataset.Layers;
        var names = string.Join(", ", layers.Select(l => l.Name));
        var layer = sourceLayer is null
            ? layers.Count == 1
                ? layers[0]
                : throw new UploadRejectedException("ambiguous-layer", $"The file has {layers.Count} layers ({names}); choose one.")
            : layers.FirstOrDefault(l => l.Name == sourceLayer)
                ?? throw new UploadRejectedException("layer-not-found", $"The file has no layer '{sourceLayer}' (it has {names}).");

        if (driver == "GPKG")
        {
            SourceChecks.CheckGeoPackage(dataset, layer);
        }

        return layer;
    }

    /// <summary>
    /// The CRS the coordinates are in: WGS 84 for GCJ-02, else the declared one, else the layer's own. Rejected
    /// when GDAL tried to fetch it from the network (it then fell back to a default) or when there is none.
    /// </summary>
    private static SpatialReference SourceCrs(VectorDataset dataset, VectorLayerInfo layer, string? crs, bool isGcj02, long refusedBefore)
    {
        var declared = isGcj02 ? SpatialReference.FromEpsg(4326) : crs is not null ? ParseDeclaredCrs(crs) : dataset.GetLayerCrs(layer.Index);
        if (GdalRuntime.RefusedNetworkRequestsOnThisThread != refusedBefore)
        {
            // GDAL fell back to a default when the link was refused; the file's own CRS is unknown.
            declared?.Dispose();
            throw new UploadRejectedException(
                "network-reference",
                "The file refers to a resource on the network (e.g. a GeoJSON \"crs\" link); GeoRisk never fetches one. "
                + "Remove the link and declare the CRS, e.g. EPSG:4490.");
        }

        return declared ?? throw new UploadRejectedException(
            "missing-crs", "The file declares no coordinate reference system (no .prj or CRS); give one, e.g. EPSG:4490 or EPSG:4515.");
    }

    /// <summary>Every feature in source coordinates, and the envelope of those with a finite, non-empty geometry.</summary>
    private static (List<VectorFeature> Raw, Envelope Envelope) ReadRaw(
        VectorDataset dataset,
        VectorLayerInfo layer,
        Func<ReadOnlySpan<byte>, string>? decoder,
        IProgress<IngestProgress>? progress,
        CancellationToken cancellationToken)
    {
        var raw = new List<VectorFeature>();
        var rawEnvelope = new Envelope();
        foreach (var feature in dataset.ReadFeatures(layer.Index, null, decoder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (feature.Geometry is { IsEmpty: false } g && IsFinite(g))
            {
                rawEnvelope.ExpandToInclude(g.EnvelopeInternal);
            }

            raw.Add(feature);
            if (raw.Count % 1000 == 0)
            {
                progress?.Report(new("reading", layer.FeatureCount > 0 ? Math.Min(1, raw.Count / (double)layer.FeatureCount) * 0.4 : 0.2));
            }
        }

        return (raw, rawEnvelope);
    }

    private static bool IsFinite(Geometry geometry) => geometry.Coordinates.All(c => double.IsFinite(c.X) && double.IsFinite(c.Y));

    /// <summary>
    /// Converts each feature to CGCS2000 (de-obfuscating GCJ-02 first) and validates it; geometries that are empty or
    /// not finite go to the validator as they are, which reports them. Returns the accepted features and their envelope.
    /// </summary>
    private static (List<GeoFeature> Accepted, Envelope Converted) ConvertAndValidate(
        List<VectorFeature> raw,
        SpatialReference declared,
        bool isGcj02,
        FeatureValidator validator,
        ValidationReport report,
        IProgress<IngestProgress>? progress,
        CancellationToken cancellationToken)
    {
        using var storage = SpatialReference.FromEpsg(CgcsZones.Geographic);
        using var transform = CoordinateTransformation.Create(declared, storage);
        var accepted = new List<GeoFeature>(raw.Count);
        var converted = new Envelope();
        for (var i = 0; i < raw.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (fid, geometry, attributes) = raw[i];
            Geometry? inStorage = null;
            if (geometry is { IsEmpty: false } && IsFinite(geometry))
            {
                try
                {
                    inStorage = GeometryReprojector.Transform(isGcj02 ? GeometryReprojector.FromGcj02(geometry) : geometry, transform);
                }
                catch (GdalException ex)
                {
                    report.Error("crs-transform-failed", $"Cannot convert to CGCS2000: {ex.GdalMessage}", fid);
                    continue;
                }
            }
            else
            {
                inStorage = geometry;
            }

            var result = validator.Validate(fid, inStorage, attributes);
            if (result is not null)
            {
                accepted.Add(result);
                converted.ExpandToInclude(result.Geometry.EnvelopeInternal);
            }

            if (i % 1000 == 0)
            {
                progress?.Report(new("validating", 0.4 + (0.4 * i / raw.Count)));
            }
        }

        return (accepted, converted);
    }

    private async Task<IngestResult> IngestRasterAsync(
        IngestRequest request, string source, LayerPublication publication, IProgress<IngestProgress>? progress, CancellationToken cancellationToken)
    {
        var report = publication.Report;
        using var dataset = RasterDataset.Open(source);
        var (width, height) = CheckRasterSize(dataset, rasterBudgets ?? new RasterBudgets());
        var wkt = RasterCrsWkt(request.Crs, dataset);
        double[] gt;
        try
        {
            gt = dataset.GeoTransform;
        }
        catch (GdalException)
        {
            throw new UploadRejectedException("missing-geotransform", "The raster has no georeferencing (geotransform).");
        }

        using (var crs = SpatialReference.Parse(wkt))
        {
            var facts = Facts(crs);
            report.SourceCrs = facts.Epsg is { } code ? $"EPSG:{code} ({facts.Name})" : facts.Name;
            var env = new Envelope(gt[0], gt[0] + gt[1] * width, gt[3], gt[3] + gt[5] * height);
            CrsDiagnostics.CheckSource(env, facts, report);
        }

        if (report.HasErrors)
        {
            return Rejected(report);
        }

        progress?.Report(new("reading statistics", 0.1));
        var stats = dataset.ComputeStatistics(1);
        if (request.Kind == LayerKind.Dem && (stats.Min < -500 || stats.Max > 9000))
        {
            report.Warning(
                "dem-range",
                $"Elevations range {stats.Min:0.#}..{stats.Max:0.#} m, outside what a DEM of this region can hold; check units and nodata.");
        }

        report.FeaturesRead = report.FeaturesAccepted = (long)width * height;
        progress?.Report(new("writing COG", 0.3));
        var staged = store.CreateStagingPath(".tif");
        if (request.Crs is not null)
        {
            dataset.ProjectionWkt = wkt;
        }

        dataset.CopyToCog(staged);
        var description = new RasterDescription(width, height, gt, wkt, dataset.GetDataType(1).ToString(), dataset.GetNoData(1));
        progress?.Report(new("publishing", 0.9));
        var version = await store.PublishRasterLayerAsync(publication with { SourceCrs = report.SourceCrs }, description, staged, cancellationToken);
        progress?.Report(new("done", 1));
        return new IngestResult(Accepted: true, report, version);
    }

    /// <summary>The raster's size, within the budgets for cells, side length and bands.</summary>
    private static (int Width, int Height) CheckRasterSize(RasterDataset dataset, RasterBudgets limits)
    {
        var (width, height, bands) = (dataset.Width, dataset.Height, dataset.BandCount);
        if (width <= 0 || height <= 0 || width > limits.MaxSide || height > limits.MaxSide || (long)width * height > limits.MaxCells)
        {
            throw new UploadRejectedException(
                "raster-too-large",
                $"The raster declares {width}x{height} pixels; at most {limits.MaxCells:N0} cells and {limits.MaxSide:N0} per side are accepted.");
        }

        if (bands is < 1 || bands > limits.MaxBands)
        {
            throw new UploadRejectedException("raster-bands", $"The raster has {bands} bands; 1 to {limits.MaxBands} are accepted.");
        }

        return (width, height);
    }

    /// <summary>The declared CRS as WKT, else the raster's own; rejected when there is none.</summary>
    private static string RasterCrsWkt(string? declaredCrs, RasterDataset dataset)
    {
        string wkt;
        if (declaredCrs is not null)
        {
            using var declared = ParseDeclaredCrs(declaredCrs);
            wkt = declared.Wkt;
        }
        else
        {
            wkt = dataset.ProjectionWkt;
        }

        if (string.IsNullOrWhiteSpace(wkt))
        {
            throw new UploadRejectedException(
                "missing-crs", "The raster declares no coordinate reference system; give one, e.g. EPSG:4490 or EPSG:4515.");
        }

        return wkt;
    }

    /// <summary>GDAL names files by their full path; reports are readable by clients, so only names relative to the upload remain.</summary>
    internal static string WithoutServerPaths(string message, string filePath, string workDir)
    {
        foreach (var folder in new[] { workDir, Path.GetDirectoryName(Path.GetFullPath(filePath)) ?? "" }.Where(f => f.Length > 1))
        {
            message = message.Replace(folder + Path.DirectorySeparatorChar, "", StringComparison.Ordinal).Replace(folder, "", StringComparison.Ordinal);
        }

        return message;
    }

    private static bool IsGcj02(string crs) =>
        crs.Trim().Replace("-", "", StringComparison.Ordinal).Equals("GCJ02", StringComparison.OrdinalIgnoreCase);

    private static SpatialReference ParseDeclaredCrs(string crs)
    {
        try
        {
            return SpatialReference.Parse(crs);
        }
        catch (ArgumentException ex)
        {
            throw new UploadRejectedException("bad-crs", ex.Message);
        }
        catch (GdalException ex)
        {
            throw new UploadRejectedException("bad-crs", ex.Message);
        }
    }

    internal static CrsFacts Facts(SpatialReference srs) =>
        new(srs.Name, srs.IsGeographic, srs.IsProjected, srs.EpsgCode,
            srs.IsProjected ? srs.GetProjectionParameter("central_meridian") : null,
            srs.IsProjected ? srs.GetProjectionParameter("false_easting") : null);

    private static string FindDataset(string folder)
    {
        var candidates = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => s_extensionDrivers.ContainsKey(Path.GetExtension(f)) && !Path.GetFileName(f).StartsWith('.'))
            .Concat(Directory.EnumerateDirectories(folder, "*.gdb", SearchOption.AllDirectories))
            .ToList();
        return candidates.Count switch
        {
            0 => throw new UploadRejectedException(
                "unsupported-format", "The zip holds no Shapefile, GeoPackage, GeoJSON, KML, File Geodatabase or GeoTIFF."),
            1 => candidates[0],
            _ => throw new UploadRejectedException(
                "ambiguous-archive",
                $"The zip holds {candidates.Count} datasets ({string.Join(", ", candidates.Select(Path.GetFileName))}); upload one per layer."),
        };
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
