using System.Globalization;
using System.Text.Json;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;

namespace GeoRisk.Api.Endpoints;

/// <summary>GET /api/v1/site-risk for a point, POST for a GeoJSON parcel (DOMAIN §9).</summary>
internal static class SiteRiskEndpoints
{
    /// <summary>Largest parcel accepted, in vertices; a parcel is a plot, not a county.</summary>
    public const int MaxParcelVertices = 100_000;

    public static IEndpointRouteBuilder MapSiteRiskEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/site-risk").WithTags("Site risk");
        api.MapGet("", GetSiteRisk).WithName("GetSiteRisk");
        api.MapPost("", PostSiteRisk).WithName("PostSiteRisk").Accepts<JsonElement>("application/geo+json", "application/json")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(16 * 1024 * 1024));
        return app;
    }

    private static async Task<Results<Ok<SiteRiskAnswer>, ValidationProblem>> GetSiteRisk(string? lon, string? lat, string? crs, string? category, string? intensity,
        IGeoRiskStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var x = ParseCoordinate(lon, "lon", errors);
        var y = ParseCoordinate(lat, "lat", errors);
        var (cat, level, crsText) = ParseCommon(crs, category, intensity, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var geometry = new GeometryFactory().CreatePoint(new Coordinate(x, y));
        var (lonLat, problem) = ToStorage(geometry, crsText);
        if (problem is not null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["crs"] = [problem] });
        }

        if (lonLat!.Coordinate is { } c && (c.X is < -180 or > 180 || c.Y is < -90 or > 90))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["lon"] = ["The point is outside -180..180, -90..90 (for projected coordinates pass crs=EPSG:n)."] });
        }

        return TypedResults.Ok(await new SiteRiskService(store).AssessAsync(new SiteQuery(lonLat, cat, level, crsText), ct));
    }

    private static async Task<Results<Ok<SiteRiskAnswer>, ValidationProblem, ProblemHttpResult>> PostSiteRisk(HttpRequest request, string? crs, string? category, string? intensity,
        IGeoRiskStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var (cat, level, crsText) = ParseCommon(crs, category, intensity, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        Geometry? geometry;
        try
        {
            var options = new JsonSerializerOptions { MaxDepth = 16 };
            options.Converters.Add(new NetTopologySuite.IO.Converters.GeoJsonConverterFactory());
            using var doc = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 16 }, ct);
            var type = doc.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
            geometry = type switch
            {
                "Feature" => doc.RootElement.Deserialize<IFeature>(options)?.Geometry,
                "FeatureCollection" => throw new JsonException("Send one parcel: a GeoJSON Feature or geometry, not a FeatureCollection."),
                _ => doc.RootElement.Deserialize<Geometry>(options),
            };
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            return Problem(StatusCodes.Status400BadRequest, "bad-geojson", "The body is not a GeoJSON Feature or geometry: " + ex.Message);
        }

        if (geometry is null || geometry.IsEmpty)
        {
            return Problem(StatusCodes.Status400BadRequest, "bad-geojson", "The body holds no geometry.");
        }

        if (geometry is not (Polygon or MultiPolygon or Point))
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "unsupported-geometry", $"A parcel is a Polygon or MultiPolygon (or a Point); got {geometry.GeometryType}.");
        }

        if (geometry.NumPoints > MaxParcelVertices)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "parcel-too-complex", $"The parcel has {geometry.NumPoints} vertices; at most {MaxParcelVertices} are accepted.");
        }

        if (geometry.Coordinates.Any(c => !double.IsFinite(c.X) || !double.IsFinite(c.Y)))
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "invalid-coordinates", "Coordinates must be finite numbers.");
        }

        if (!geometry.IsValid)
        {
            var reason = new NetTopologySuite.Operation.Valid.IsValidOp(geometry).ValidationError;
            return Problem(StatusCodes.Status422UnprocessableEntity, "invalid-geometry", $"The parcel is not a valid polygon: {reason?.Message} at {reason?.Coordinate}.");
        }

        var (lonLat, problem) = ToStorage(geometry, crsText);
        if (problem is not null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["crs"] = [problem] });
        }

        var env = lonLat!.EnvelopeInternal;
        if (env.MinX < -180 || env.MaxX > 180 || env.MinY < -90 || env.MaxY > 90)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "invalid-coordinates", "The parcel lies outside -180..180, -90..90 (for projected coordinates pass crs=EPSG:n).");
        }

        return TypedResults.Ok(await new SiteRiskService(store).AssessAsync(new SiteQuery(lonLat, cat, level, crsText), ct));
    }

    private static ProblemHttpResult Problem(int status, string code, string title) =>
        TypedResults.Problem(statusCode: status, title: title, type: $"https://georisk.example/problems/{code}", extensions: new Dictionary<string, object?> { ["code"] = code });

    private static double ParseCoordinate(string? text, string name, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            errors[name] = [$"{name} is required."];
            return double.NaN;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
        {
            errors[name] = [$"{name} '{text}' is not a finite number."];
            return double.NaN;
        }

        return v;
    }

    private static (BuildingCategory Category, int? Intensity, string Crs) ParseCommon(string? crs, string? category, string? intensity, Dictionary<string, string[]> errors)
    {
        var cat = BuildingCategory.C;
        if (category is not null && !FaultSetback.TryParseCategory(category, out cat))
        {
            errors["category"] = ["category must be A, B, C or D (甲, 乙, 丙, 丁)."];
        }

        int? level = null;
        if (intensity is not null)
        {
            if (int.TryParse(intensity, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i is >= 6 and <= 9)
            {
                level = i;
            }
            else
            {
                errors["intensity"] = ["intensity must be a design intensity 6, 7, 8 or 9."];
            }
        }

        var crsText = crs ?? "EPSG:4490";
        if (!crsText.StartsWith("EPSG:", StringComparison.OrdinalIgnoreCase) || !int.TryParse(crsText.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            errors["crs"] = ["crs must be EPSG:<code> (e.g. EPSG:4490, EPSG:4326, EPSG:3857, EPSG:4515)."];
        }

        return (cat, level, crsText.ToUpperInvariant());
    }

    /// <summary>Transforms to CGCS2000 lon/lat; returns a message instead when the CRS is unknown.</summary>
    private static (Geometry? Geometry, string? Problem) ToStorage(Geometry geometry, string crs)
    {
        if (crs == "EPSG:4490")
        {
            return (geometry, null);
        }

        try
        {
            using var source = SpatialReference.FromEpsg(int.Parse(crs.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture));
            using var target = SpatialReference.FromEpsg(4490);
            using var transform = CoordinateTransformation.Create(source, target);
            return (GeometryReprojector.Transform(geometry, transform), null);
        }
        catch (GdalException ex)
        {
            return (null, $"{crs}: {ex.Message}");
        }
    }
}
