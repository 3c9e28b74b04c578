using System.Globalization;
using System.Text.Json;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;

namespace GeoRisk.Samples;

/// <summary>What happened to one manifest layer.</summary>
public sealed record LoadedLayer(string SurveyId, string Name, LayerKind Kind, string File, string Outcome, int? Version, long Features, int Warnings);

/// <summary>
/// Loads a survey set described by <c>manifest.json</c> (surveys, then layers) into a store through the
/// normal ingestion path. Layers whose current version came from an identical file are left alone, so
/// running it again is cheap and creates no new versions.
/// </summary>
public sealed class SampleSetLoader(IGeoRiskStore store)
{
    /// <summary>
    /// Generates the manifest's on-demand files (the DEM) when they are missing; returns what it generated.
    /// </summary>
    public static IReadOnlyList<string> GenerateMissing(string surveysDir, Action<string>? log = null)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(surveysDir, "manifest.json")));
        var generated = new List<string>();
        foreach (var l in manifest.RootElement.GetProperty("layers").EnumerateArray())
        {
            var file = l.GetProperty("file").GetString()!;
            if (l.TryGetProperty("demArcSeconds", out var arc) && !File.Exists(Path.Combine(surveysDir, file)))
            {
                new SampleSetGenerator(Path.Combine(surveysDir, "reference"), surveysDir, log)
                    .Generate(new SampleOptions { IncludeVectors = false, DemArcSeconds = arc.GetDouble() });
                generated.Add(file);
            }
        }

        return generated;
    }

    /// <exception cref="InvalidDataException">The manifest is malformed or a layer is rejected.</exception>
    public async Task<IReadOnlyList<LoadedLayer>> LoadAsync(
        string surveysDir,
        Action<LoadedLayer>? onLayer = null,
        Action<string, IngestProgress>? onProgress = null,
        CancellationToken cancellationToken = default)
    {
        var manifestPath = Path.Combine(surveysDir, "manifest.json");
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(manifestPath, cancellationToken));
        foreach (var s in manifest.RootElement.GetProperty("surveys").EnumerateArray())
        {
            var survey = new SurveyInfo(
                s.GetProperty("id").GetString()!, s.GetProperty("title").GetString()!, s.GetProperty("scale").GetInt32(),
                Enum.Parse<SurveyType>(s.GetProperty("type").GetString()!), s.GetProperty("organisation").GetString()!,
                Date(s, "completedOn"), Accepted: s.GetProperty("accepted").GetBoolean(), AcceptedOn: Date(s, "acceptedOn"),
                StandardReference: s.TryGetProperty("standard", out var std) ? std.GetString() : null);
            await store.UpsertSurveyAsync(survey, Coverage(s, surveysDir), cancellationToken);
        }

        var existing = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in await store.ListLayersAsync(cancellationToken))
        {
            var versions = await store.ListVersionsAsync(layer.SurveyId, layer.Name, cancellationToken);
            existing[layer.Id] = versions.Single(v => v.Version == layer.CurrentVersion).SourceSha256;
        }

        var ingestor = new SurveyIngestor(store);
        var results = new List<LoadedLayer>();
        foreach (var l in manifest.RootElement.GetProperty("layers").EnumerateArray())
        {
            var surveyId = l.GetProperty("survey").GetString()!;
            var name = l.GetProperty("name").GetString()!;
            var file = l.GetProperty("file").GetString()!;
            if (!LayerKindExtensions.TryParse(l.GetProperty("kind").GetString(), out var kind))
            {
                throw new InvalidDataException($"manifest.json: unknown kind '{l.GetProperty("kind").GetString()}' (known: {LayerKindExtensions.AllTokens}).");
            }

            var path = Path.Combine(surveysDir, file);
            if (!File.Exists(path))
            {
                var generated = l.TryGetProperty("generated", out var g) && g.GetBoolean();
                throw new InvalidDataException(generated
                    ? $"{file} is generated on demand and is missing; run: georisk samples generate --dem-only (or georisk demo)"
                    : $"{file} listed in manifest.json does not exist.");
            }

            var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
            LoadedLayer loaded;
            if (existing.TryGetValue($"{surveyId}/{name}", out var currentSha) && currentSha == sha)
            {
                loaded = new LoadedLayer(surveyId, name, kind, file, "unchanged", null, 0, 0);
            }
            else
            {
                var request = new IngestRequest(path, kind, surveyId, name,
                    Crs: l.TryGetProperty("crs", out var crs) ? crs.GetString() : null,
                    SourceLayer: l.TryGetProperty("sourceLayer", out var sl) ? sl.GetString() : null,
                    Uploader: "sample-loader", OriginalFileName: file);
                var progress = onProgress is null ? null : new Progress<IngestProgress>(p => onProgress(file, p));
                var result = await ingestor.IngestAsync(request, progress, cancellationToken);
                if (!result.Accepted)
                {
                    throw new InvalidDataException(
                        $"{file} was rejected: " + string.Join(
                            "; ", result.Report.Findings.Where(f => f.Severity == Core.Validation.Severity.Error).Select(f => f.Message)));
                }

                loaded = new LoadedLayer(
                    surveyId, name, kind, file, "loaded", result.Version!.Version, result.Version.FeatureCount, result.Report.WarningCount);
            }

            results.Add(loaded);
            onLayer?.Invoke(loaded);
        }

        return results;
    }

    private static DateOnly? Date(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? DateOnly.Parse(v.GetString()!, CultureInfo.InvariantCulture) : null;

    private static Geometry? Coverage(JsonElement survey, string surveysDir)
    {
        var factory = new GeometryFactory(new PrecisionModel(), 4490);
        if (survey.TryGetProperty("coverageBbox", out var bbox))
        {
            var b = bbox.EnumerateArray().Select(x => x.GetDouble()).ToArray();
            return factory.ToGeometry(new Envelope(b[0], b[2], b[1], b[3]));
        }

        if (survey.TryGetProperty("coverageFile", out var file))
        {
            using var ds = VectorDataset.OpenRead(Path.Combine(surveysDir, file.GetString()!), SurveyIngestor.VectorDrivers);
            return CascadedPolygonUnion.Union(ds.ReadFeatures(0).Select(f => f.Geometry!).ToList());
        }

        return null;
    }
}
