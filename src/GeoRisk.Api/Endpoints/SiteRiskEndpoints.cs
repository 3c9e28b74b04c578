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

/// <summary>GET /api/v1/site-risk for a point, POST for a GeoJSON parcel (docs/DOMAIN.md §9).</summary>
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

    private static async Task<Results<Ok<SiteRiskAnswer>, ValidationProblem, ProblemHttpResult>> GetSiteRisk(
        string? lon,
        string? lat,
        string? crs,
        string? category,
        string? intensity, string? pga, IGeoRiskStore store, GeoRiskServiceOptions serviceOptions, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var x = ParseCoordinate(lon, "lon", errors);
        var y = ParseCoordinate(lat, "lat", errors);
        var (cat, level, crsText) = ParseCommon(crs, category, intensity, pga, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var geometry = new GeometryFactory().CreatePoint(new Coordinate(x, y));
        if (crsText == "EPSG:4490" && (x is < -180 or > 180 || y is < -90 or > 90))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["lon"] = ["The point is outside -180..180, -90..90 (for projected coordinates pass crs=EPSG:n)."] });
        }

        var (lonLat, problem, outside) = ToStorage(geometry, crsText);
        if (problem is not null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["crs"] = [problem] });
        }

        if (outside is not null)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "outside-crs-area", outside);
        }

        return TypedResults.Ok(await Service(store, serviceOptions).AssessAsync(new SiteQuery(lonLat!, cat, level, crsText), ct));
    }

    private static async Task<Results<Ok<SiteRiskAnswer>, ValidationProblem, ProblemHttpResult>> PostSiteRisk(
        HttpRequest request,
        string? crs,
        string? category,
        string? intensity,
        string? pga,
        IGeoRiskStore store,
        GeoRiskServiceOptions serviceOptions,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var (cat, level, crsText) = ParseCommon(crs, category, intensity, pga, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var (parcel, unreadable) = await ReadParcelAsync(request, ct);
        if (unreadable is not null || parcel is not { } geometry)
        {
            return unreadable!;
        }

        if (CheckParcel(geometry) is { } rejected)
        {
            return rejected;
        }

        var (lonLat, problem, outside) = ToStorage(geometry, crsText);
        if (problem is not null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["crs"] = [problem] });
        }

        if (crsText == "EPSG:4490" && geometry.EnvelopeInternal is var env && (env.MinX < -180 || env.MaxX > 180 || env.MinY < -90 || env.MaxY > 90))
        {
            return Problem(
                StatusCodes.Status422UnprocessableEntity,
                "invalid-coordinates",
                "The parcel lies outside -180..180, -90..90 (for projected coordinates pass crs=EPSG:n).");
        }

        if (outside is not null)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "outside-crs-area", outside);
        }

        return TypedResults.Ok(await Service(store, serviceOptions).AssessAsync(new SiteQuery(lonLat!, cat, level, crsText), ct));
    }

    /// <summary>The parcel of a GeoJSON Feature or geometry body, or a 400 when the body is not one or holds no geometry.</summary>
    private static async Task<(Geometry? Geometry, ProblemHttpResult? Error)> ReadParcelAsync(HttpRequest request, CancellationToken ct)
    {
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
            return (null, Problem(StatusCodes.Status400BadRequest, "bad-geojson", "The body is not a GeoJSON Feature or geometry: " + ex.Message));
        }

        if (geometry is null || geometry.IsEmpty)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "bad-geojson", "The body holds no geometry."));
        }

        return (geometry, null);
    }

    /// <summary>A 422 when the parcel is not a (multi)polygon or point, has too many vertices, non-finite coordinates or is invalid.</summary>
    private static ProblemHttpResult? CheckParcel(Geometry geometry)
    {
        if (geometry is not (Polygon or MultiPolygon or Point))
        {
            return Problem(
                StatusCodes.Status422UnprocessableEntity,
                "unsupported-geometry",
                $"A parcel is a Polygon or MultiPolygon (or a Point); got {geometry.GeometryType}.");
        }

        if (geometry.NumPoints > MaxParcelVertices)
        {
            return Problem(
                StatusCodes.Status422UnprocessableEntity,
                "parcel-too-complex",
                $"The parcel has {geometry.NumPoints} vertices; at most {MaxParcelVertices} are accepted.");
        }

        if (geometry.Coordinates.Any(c => !double.IsFinite(c.X) || !double.IsFinite(c.Y)))
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "invalid-coordinates", "Coordinates must be finite numbers.");
        }

        if (!geometry.IsValid)
        {
            var reason = new NetTopologySuite.Operation.Valid.IsValidOp(geometry).ValidationError;
            return Problem(
                StatusCodes.Status422UnprocessableEntity, "invalid-geometry", $"The parcel is not a valid polygon: {reason?.Message} at {reason?.Coordinate}.");
        }

        return null;
    }

    private static SiteRiskService Service(IGeoRiskStore store, GeoRiskServiceOptions options) => new(store, new SiteRiskOptions
    {
        DefaultFaultUncertaintyM = options.FaultTraceUncertaintyM,
        SpecialStudyRadiusM = options.SpecialStudyRadiusM,
    });

    private static ProblemHttpResult Problem(int status, string code, string title) =>
        TypedResults.Problem(
            statusCode: status,
            title: title,
            type: $"https://georisk.example/problems/{code}",
            extensions: new Dictionary<string, object?> { ["code"] = code });

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

    private static (BuildingCategory Category, DesignIntensity? Intensity, string Crs) ParseCommon(
        string? crs,
        string? category,
        string? intensity,
        string? pga,
        Dictionary<string, string[]> errors)
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

        double? acceleration = null;
        if (pga is not null)
        {
            if (double.TryParse(pga, NumberStyles.Float, CultureInfo.InvariantCulture, out var g) && DesignIntensity.IsDesignAcceleration(g))
            {
                acceleration = g;
                level ??= DesignIntensity.DegreeOf(g);
            }
            else
            {
                errors["pga"] = ["pga must be a design basic acceleration of GB 50011 Table 3.2.2: 0.05, 0.10, 0.15, 0.20, 0.30 or 0.40 (g)."];
            }
        }

        DesignIntensity? design = null;
        if (level is { } degree && !errors.ContainsKey("intensity") && !errors.ContainsKey("pga"))
        {
            try
            {
                design = DesignIntensity.Create(degree, acceleration);
            }
            catch (ArgumentException ex)
            {
                errors["pga"] = [ex.Message];
            }
        }

        var crsText = crs ?? "EPSG:4490";
        if (!crsText.StartsWith("EPSG:", StringComparison.OrdinalIgnoreCase) ||
            !int.TryParse(crsText.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            errors["crs"] = ["crs must be EPSG:<code> (e.g. EPSG:4490, EPSG:4326, EPSG:3857, EPSG:4515)."];
        }

        return (cat, design, crsText.ToUpperInvariant());
    }

    private static bool RoundTrips(Geometry projected, Geometry lonLat, SpatialReference source)
    {
        using var target = SpatialReference.FromEpsg(4490);
        using var back = CoordinateTransformation.Create(target, source);
        var original = projected.Coordinates;
        var xs = lonLat.Coordinates.Select(c => c.X).ToArray();
        var ys = lonLat.Coordinates.Select(c => c.Y).ToArray();
        try
        {
            back.Transform(xs, ys);
        }
        catch (GdalException)
        {
            return false;
        }

        // A millimetre per kilometre of coordinate, at least a centimetre: PROJ's inverse and forward agree far better.
        return original.Select(
            (c, i) =>
                Math.Abs(c.X - xs[i]) <= Math.Max(0.01, Math.Abs(c.X) * 1e-6) && Math.Abs(c.Y - ys[i]) <= Math.Max(0.01, Math.Abs(c.Y) * 1e-6)).All(ok => ok);
    }

    /// <summary>Longitude margin past a projected CRS's area of use (a zone's overlap with its neighbour).</summary>
    private const double ProjectedMarginDegrees = 0.5;

    /// <summary>
    /// Transforms to CGCS2000 lon/lat. Returns a message instead when the CRS is unknown (400), or when a coordinate lies
    /// outside the CRS's area of use or does not transform to a finite lon/lat (422): a Gauss–Krüger easting from the wrong
    /// zone or a northing of 800,000 km is a mistake to report, not a site to answer.
    /// </summary>
    private static (Geometry? Geometry, string? Problem, string? Outside) ToStorage(Geometry geometry, string crs)
    {
        try
        {
            var code = int.Parse(crs.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture);
            using var source = SpatialReference.FromEpsg(code);
            var area = SiteProjection.AreaOfUseOf(source);
            var lonLat = geometry;
            if (code != 4490)
            {
                using var target = SpatialReference.FromEpsg(4490);
                using var transform = CoordinateTransformation.Create(source, target);
                try
                {
                    lonLat = GeometryReprojector.Transform(geometry, transform);
                }
                catch (GdalException ex)
                {
                    return (null, null,
                        $"The coordinates cannot be transformed from {crs} {source.Name} (area of use: {area?.ToString() ?? "unknown"}): {ex.Message}");
                }
            }

            // A projected coordinate far outside the projection's domain can still come back as a plausible lon/lat (the
            // inverse series is evaluated anyway): only one that transforms back to itself is a real position.
            if (code != 4490 && source.IsProjected && !RoundTrips(geometry, lonLat, source))
            {
                return (null, null, $"The coordinates are not valid positions in {crs} {source.Name} (area of use: {area?.ToString() ?? "unknown"}): " +
                    "they do not transform back to themselves. Check the CRS, the x/y order and the numbers.");
            }

            var margin = source.IsProjected ? ProjectedMarginDegrees : 0;
            var bad = lonLat.Coordinates.FirstOrDefault(
                c => !double.IsFinite(c.X) || !double.IsFinite(c.Y) || (area is not null && !area.Contains(c.X, c.Y, margin)));
            if (bad is not null)
            {
                var at = double.IsFinite(bad.X) && double.IsFinite(bad.Y)
                    ? string.Create(CultureInfo.InvariantCulture, $"({bad.X:0.####}° E, {bad.Y:0.####}° N)")
                    : "(no finite longitude/latitude)";
                return (null, null, $"The coordinates lie outside the area of use of {crs} {source.Name}: {area?.ToString() ?? "unknown"}; " +
                    $"one transforms to {at}. Check the CRS (the zone of a Gauss–Krüger coordinate, x/y order) or the numbers.");
            }

            return (lonLat, null, null);
        }
        catch (GdalException ex)
        {
            return (null, $"{crs}: {ex.Message}", null);
        }
    }
}
