using System.Globalization;
using GeoRisk.Core;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using Microsoft.AspNetCore.Http.HttpResults;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;

namespace GeoRisk.Api.Endpoints;

/// <summary>A stored version as clients see it: the report and mapping as JSON objects, no server paths.</summary>
public sealed record LayerVersionSummary(int Version, DateTimeOffset CreatedAt, string Uploader, string SourceFile, string SourceSha256, string? SourceCrs,
    long FeatureCount, double[]? Bbox, System.Text.Json.JsonElement FieldMapping, System.Text.Json.JsonElement Report);

public sealed record LayerSummary(
    string Id, string SurveyId, string Name, string Kind, int Version, long FeatureCount, double[]? Bbox, DateTimeOffset UpdatedAt);

/// <summary>Read access to surveys, layers, versions and features.</summary>
internal static class CatalogEndpoints
{
    public const int MaxLimit = 10_000;

    public static IEndpointRouteBuilder MapCatalogEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Catalog");
        api.MapGet("/surveys", ListSurveys).WithName("ListSurveys");
        api.MapGet("/layers", ListLayers).WithName("ListLayers");
        api.MapGet("/surveys/{surveyId}/layers/{layer}/versions", ListVersions).WithName("ListVersions");
        api.MapGet("/surveys/{surveyId}/layers/{layer}/features", GetFeatures).WithName("GetFeatures");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<SurveyInfo>>> ListSurveys(IGeoRiskStore store, CancellationToken ct) =>
        TypedResults.Ok(SurveyPrecedence.Rank(await store.ListSurveysAsync(ct)));

    private static async Task<Ok<List<LayerSummary>>> ListLayers(IGeoRiskStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.ListLayersAsync(ct))
            .Select(l => new LayerSummary(
                l.Id, l.SurveyId, l.Name, l.Kind.ToToken(), l.CurrentVersion, l.FeatureCount, Bbox(l.Bounds), l.UpdatedAt))
            .ToList());

    private static async Task<Results<Ok<List<LayerVersionSummary>>, NotFound>> ListVersions(
        string surveyId, string layer, IGeoRiskStore store, CancellationToken ct)
    {
        var versions = await store.ListVersionsAsync(surveyId, layer, ct);
        return versions.Count == 0
            ? TypedResults.NotFound()
            : TypedResults.Ok(versions
                .Select(v => new LayerVersionSummary(
                    v.Version,
                    v.CreatedAt,
                    v.Uploader,
                    v.SourceFile,
                    v.SourceSha256,
                    v.SourceCrs,
                    v.FeatureCount,
                    Bbox(v.Bounds),
                    System.Text.Json.JsonDocument.Parse(v.FieldMappingJson).RootElement,
                    System.Text.Json.JsonDocument.Parse(v.ReportJson).RootElement))
                .ToList());
    }

    private static double[]? Bbox(Envelope? b) => b is null ? null : [b.MinX, b.MinY, b.MaxX, b.MaxY];

    private static async Task<Results<Ok<FeatureCollection>, ValidationProblem>> GetFeatures(
        string surveyId, string layer, string? bbox, int? limit, long? offset, IGeoRiskStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Identifiers.IsValid(surveyId) || !Identifiers.IsValid(layer))
        {
            errors["layer"] = ["Survey and layer names are letters, digits, '-', '_' and '.'."];
        }

        var take = limit ?? 1000;
        if (take is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        }

        if (offset is < 0)
        {
            errors["offset"] = ["offset must not be negative."];
        }

        Envelope? envelope = null;
        if (bbox is not null && !TryParseBbox(bbox, out envelope, out var bboxError))
        {
            errors["bbox"] = [bboxError];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var features = await store.QueryFeaturesAsync(surveyId, layer, envelope, take, offset ?? 0, ct);
        var collection = new FeatureCollection();
        foreach (var f in features)
        {
            var attributes = new AttributesTable(f.Attributes.ToDictionary(a => a.Key, a => a.Value)) { { "source_fid", f.Id } };
            collection.Add(new Feature(f.Geometry, attributes));
        }

        return TypedResults.Ok(collection);
    }

    /// <summary>Parses "minLon,minLat,maxLon,maxLat" (CRS84), rejecting NaN, infinities and reversed corners.</summary>
    internal static bool TryParseBbox(string text, out Envelope? envelope, out string error)
    {
        envelope = null;
        error = "";
        var parts = text.Split(',');
        if (parts.Length != 4)
        {
            error = "bbox must be minLon,minLat,maxLon,maxLat.";
            return false;
        }

        var v = new double[4];
        for (var i = 0; i < 4; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !double.IsFinite(v[i]))
            {
                error = $"bbox value '{parts[i]}' is not a finite number.";
                return false;
            }
        }

        if (v[0] > v[2] || v[1] > v[3])
        {
            error = "bbox corners are reversed: give minLon,minLat,maxLon,maxLat.";
            return false;
        }

        if (v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90)
        {
            error = "bbox must lie within -180..180, -90..90.";
            return false;
        }

        envelope = new Envelope(v[0], v[2], v[1], v[3]);
        return true;
    }
}
