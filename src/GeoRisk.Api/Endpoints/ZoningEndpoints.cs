using System.Text.Json;
using GeoRisk.Core.Storage;
using GeoRisk.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;

namespace GeoRisk.Api.Endpoints;

public sealed record ZoningRunSummary(
    int Id,
    string Model,
    string ModelHash,
    DateTimeOffset CreatedAt,
    long ZoneCount,
    double[]? Bbox,
    IReadOnlyList<double> Breaks,
    double? AucHeldOut, double? AucAll, bool DensityRises, bool Incremental, GridRecord Grid);

/// <summary>Zoning runs: history, records, zones and census tables.</summary>
internal static class ZoningEndpoints
{
    public static IEndpointRouteBuilder MapZoningEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/zoning-runs").WithTags("Zoning");
        api.MapGet("", ListRuns).WithName("ListZoningRuns");
        api.MapGet("/{run}", GetRun).WithName("GetZoningRun");
        api.MapGet("/{run}/census", GetCensus).WithName("GetCensus");
        api.MapGet("/{run}/exposure", GetExposure).WithName("GetExposureCensus");
        api.MapGet("/{run}/flood-scenarios", GetFloodScenarios).WithName("GetFloodScenarios");
        api.MapGet("/{run}/zones", GetZones).WithName("GetZones");
        // Bounded by the render queue instead of the request timeout (see MapRenderQueue).
        app.MapGet("/api/v1/maps/zoning.png", GetZoningMap).WithName("GetZoningMap").WithTags("Zoning").DisableRequestTimeout();
        app.MapGet("/api/v1/maps/zoning.pdf", GetZoningMapPdf).WithName("GetZoningMapPdf").WithTags("Zoning").DisableRequestTimeout();
        return app;
    }

    internal static ZoningRunSummary Summary(ZoningRunInfo run)
    {
        var r = ZoningRunRecord.Parsed(run);
        var b = run.Bounds;
        return new ZoningRunSummary(
            run.Id,
            run.ModelName,
            run.ModelHash,
            run.CreatedAt,
            run.ZoneCount,
            b is null ? null : [b.MinX, b.MinY, b.MaxX, b.MaxY],
            r.Breaks,
            r.Validation.AucHeldOut, r.Validation.AucAll, r.Validation.DensityRises, r.Incremental.Incremental, r.Grid);
    }

    private static async Task<Ok<List<ZoningRunSummary>>> ListRuns(IGeoRiskStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.ListZoningRunsAsync(ct)).Select(Summary).Reverse().ToList());

    /// <summary>"current" or a run id.</summary>
    internal static async Task<ZoningRunInfo> ResolveAsync(IGeoRiskStore store, string run, CancellationToken ct)
    {
        int? id = null;
        if (run != "current")
        {
            if (!int.TryParse(run, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            {
                throw new BadHttpRequestException($"Run '{run}' is neither 'current' nor a run id.", StatusCodes.Status400BadRequest);
            }

            id = parsed;
        }

        return await store.GetZoningRunAsync(id, ct) ?? throw new KeyNotFoundException(
            id is null ? "No zoning run has been computed yet." : $"No zoning run {id}.");
    }

    private static async Task<IResult> GetRun(string run, IGeoRiskStore store, CancellationToken ct)
    {
        var info = await ResolveAsync(store, run, ct);
        // The stored record is served as is, with the run's id and time.
        using var record = JsonDocument.Parse(info.RecordJson);
        return TypedResults.Ok(
            new { id = info.Id, createdAt = info.CreatedAt, zoneCount = info.ZoneCount, rasters = info.Rasters.Keys, record = record.RootElement.Clone() });
    }

    /// <summary>Area, hazard points and threatened people per admin unit and grade of one product (default susceptibility).</summary>
    private static Task<IResult> GetCensus(
        string run, string? format, string? product, string? level, IGeoRiskStore store, HttpContext http, CancellationToken ct) =>
        Table(run, format, product, level, "census", (_, p, t) => ZoningExport.CensusCsv(p, t), (_, p, t) => p.CensusAt(t), store, http, ct);

    /// <summary>What is exposed per admin unit and grade of one product (people, buildings by structure, road km by class, facilities by type).</summary>
    private static Task<IResult> GetExposure(
        string run, string? format, string? product, string? level, IGeoRiskStore store, HttpContext http, CancellationToken ct) =>
        Table(run, format, product, level, "exposure", (_, p, t) => ZoningExport.ExposureCsv(p, t), (_, p, t) => p.ExposureAt(t), store, http, ct);

    /// <summary>What each flood scenario reaches.</summary>
    private static Task<IResult> GetFloodScenarios(string run, string? format, IGeoRiskStore store, HttpContext http, CancellationToken ct) =>
        Table(run, format, null, null, "flood-scenarios", (r, _, _) => ZoningExport.FloodScenariosCsv(r), (r, _, _) => r.FloodScenarios, store, http, ct);

    /// <param name="level">"county" (default) or "township" (乡镇: the tables exist when a township layer was loaded).</param>
    private static async Task<IResult> Table<T>(
        string run,
        string? format,
        string? productText,
        string? level,
        string name,
        Func<ZoningRunRecord, ProductRecord, bool, string> csv,
        Func<ZoningRunRecord, ProductRecord, bool, T> json, IGeoRiskStore store, HttpContext http, CancellationToken ct)
    {
        if (format is not null and not "csv" and not "json")
        {
            return TypedResults.Problem(
                statusCode: 400, title: "format must be csv or json.", extensions: new Dictionary<string, object?> { ["code"] = "bad-format" });
        }

        if (level is not null and not "county" and not "township")
        {
            return Problems.Create(400, "bad-level", "level must be county or township.");
        }

        var township = level == "township";
        if (!ZoningRunRecord.TryParseProduct(productText, out var product))
        {
            return Problems.Create(400, "bad-product", "product must be susceptibility, hazard or risk (易发性, 危险性, 风险).");
        }

        var info = await ResolveAsync(store, run, ct);
        var record = ZoningRunRecord.Parsed(info);
        var productRecord = record.Product(product)
            ?? throw new KeyNotFoundException(
                $"Zoning run {info.Id} has no {ZoningRunRecord.ProductToken(product)} product (the risk product needs exposure layers; runs before schema 3 " +
                "have only susceptibility).");
        if (township && productRecord.TownshipCensus.Count == 0)
        {
            throw new KeyNotFoundException($"Zoning run {info.Id} has no township tables: no admin layer with township (9- or 12-digit) codes was loaded.");
        }

        var suffix = (product == Core.Risk.ZoningProduct.Susceptibility ? "" : "-" + ZoningRunRecord.ProductToken(product)) + (township ? "-township" : "");
        if (format == "csv" || (format is null && http.Request.Headers.Accept.ToString().Contains("text/csv", StringComparison.Ordinal)))
        {
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}{suffix}-run{info.Id}.csv\"";
            return TypedResults.Text(csv(record, productRecord, township), "text/csv; charset=utf-8");
        }

        return TypedResults.Ok(json(record, productRecord, township));
    }

    /// <summary>A printable zoning map of one county as PNG (legend, labels, faults, hazard points, prevention zoning, coordinate frame).</summary>
    private static Task<IResult> GetZoningMap(
        string? admin, string? run, int? width, string? product, IGeoRiskStore store, MapRenderQueue maps, HttpContext http, CancellationToken ct)
    {
        if (width is < 400 or > 4000)
        {
            return Task.FromResult(Problems.Create(400, "bad-width", "width must be 400-4000 pixels."));
        }

        var w = width ?? 1400;
        return MapAsync(admin, run, product, $"png/{w}", "image/png", "png", data => ZoningMapRenderer.RenderPng(data, w), store, maps, http, ct);
    }

    /// <summary>The same map as a one-page vector PDF, A3 or A4, landscape or portrait.</summary>
    private static Task<IResult> GetZoningMapPdf(
        string? admin,
        string? run,
        string? product,
        string? paper,
        string? orientation,
        IGeoRiskStore store,
        MapRenderQueue maps,
        HttpContext http,
        CancellationToken ct)
    {
        PaperSize size;
        switch (paper?.ToUpperInvariant())
        {
            case null or "A3":
                size = PaperSize.A3;
                break;
            case "A4":
                size = PaperSize.A4;
                break;
            default:
                return Task.FromResult(Problems.Create(400, "bad-paper", $"paper must be A3 or A4; got '{paper}'."));
        }

        if (orientation is not (null or "landscape" or "portrait"))
        {
            return Task.FromResult(Problems.Create(400, "bad-orientation", $"orientation must be landscape or portrait; got '{orientation}'."));
        }

        var landscape = orientation != "portrait";
        return MapAsync(
            admin,
            run,
            product,
            $"pdf/{size}/{(landscape ? "l" : "p")}",
            "application/pdf",
            "pdf",
            data => ZoningMapRenderer.RenderPdf(data, size, landscape),
            store,
            maps,
            http,
            ct);
    }

    private static async Task<IResult> MapAsync(
        string? admin,
        string? run,
        string? product,
        string variant,
        string mediaType,
        string extension,
        Func<ZoningMapData, byte[]> render,
        IGeoRiskStore store, MapRenderQueue maps, HttpContext http, CancellationToken ct)
    {
        if (admin is null || admin.Length != 6 || !admin.All(char.IsAsciiDigit))
        {
            return Problems.Create(400, "bad-admin", "admin must be a 6-digit GB/T 2260 code, e.g. admin=652723.");
        }

        if (!ZoningMapProduct.TryParse(product, out var chosen))
        {
            return Problems.Create(400, "bad-product", $"product must be susceptibility, hazard or risk; got '{product}'.");
        }

        var info = await ResolveAsync(store, run ?? "current", ct);
        if (!ZoningMapProduct.Of(info).Any(p => p.Product == chosen))
        {
            return Problems.Create(404, "product-not-in-run",
                $"Zoning run {info.Id} has no {chosen.ToString().ToLowerInvariant()} zoning; it has: " +
                $"{string.Join(", ", ZoningMapProduct.Of(info).Select(p => p.Token))}.");
        }

        byte[] bytes;
        try
        {
            // The data are loaded only when the map is not cached and a render slot is free.
            bytes = await maps.GetAsync($"{info.Id}/{admin}/{chosen}/{variant}", async token =>
            {
                var data = await ZoningMapData.LoadAsync(store, info, chosen, admin, token);
                return await Task.Run(() => render(data), token);
            }, ct);
        }
        catch (RenderQueueFullException ex)
        {
            http.Response.Headers.RetryAfter = "5";
            return Problems.Create(503, "render-queue-full", ex.Message);
        }

        http.Response.Headers.CacheControl = "public, max-age=60";
        var suffix = chosen == GeoRisk.Core.Risk.ZoningProduct.Susceptibility ? "" : "-" + chosen.ToString().ToLowerInvariant();
        http.Response.Headers.ContentDisposition = $"inline; filename=\"zoning{suffix}-{admin}-run{info.Id}.{extension}\"";
        return TypedResults.Bytes(bytes, mediaType);
    }

    private static async Task<Results<Ok<FeatureCollection>, ValidationProblem>> GetZones(
        string run, string? bbox, int? limit, long? offset, string? product, IGeoRiskStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!ZoningRunRecord.TryParseProduct(product, out var wanted))
        {
            errors["product"] = ["product must be susceptibility, hazard or risk."];
        }

        var take = limit ?? 1000;
        if (take is < 1 or > CatalogEndpoints.MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {CatalogEndpoints.MaxLimit}."];
        }

        if (offset is < 0)
        {
            errors["offset"] = ["offset must not be negative."];
        }

        Envelope? envelope = null;
        if (bbox is not null && !CatalogEndpoints.TryParseBbox(bbox, out envelope, out var bboxError))
        {
            errors["bbox"] = [bboxError];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var info = await ResolveAsync(store, run, ct);
        var collection = new FeatureCollection();
        foreach (var z in await store.QueryZonesAsync(info.Id, envelope, take, offset ?? 0, ct, wanted))
        {
            collection.Add(new Feature(z.Geometry, new AttributesTable(z.Attributes.ToDictionary(a => a.Key, a => a.Value))));
        }

        return TypedResults.Ok(collection);
    }
}
