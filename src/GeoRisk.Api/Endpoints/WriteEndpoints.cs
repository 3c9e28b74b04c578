using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using GeoRisk.Api.Jobs;
using GeoRisk.Api.Security;
using GeoRisk.Core;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Services;

namespace GeoRisk.Api.Endpoints;

public sealed record SurveyRequest(
    string Id, string Title, int Scale, string? Type, string? Organisation, DateOnly? CompletedOn, DateOnly? AcceptedOn, string? Standard);

/// <summary>Body of POST /api/v1/zoning-runs: everything optional; the default model runs by default.</summary>
public sealed record ZoningRunRequestBody(JsonElement? Model, double? CellSize, string? Extent, bool Force = false, bool Full = false);

/// <summary>Writes: registering surveys, uploading layers, starting zoning runs, and the jobs that carry them out.</summary>
internal static class WriteEndpoints
{
    public static readonly string[] UploadExtensions = [".zip", ".gpkg", ".geojson", ".json", ".kml", ".tif", ".tiff"];

    public static IEndpointRouteBuilder MapWriteEndpoints(this IEndpointRouteBuilder app, GeoRiskServiceOptions options)
    {
        var api = app.MapGroup("/api/v1").WithTags("Uploads and jobs");
        api.MapPost("/surveys", RegisterSurvey).WithName("RegisterSurvey").RequireAuthorization(Policies.Upload).RequireRateLimiting("writes");
        api.MapPost("/surveys/{surveyId}/layers", UploadLayer).WithName("UploadLayer").RequireAuthorization(Policies.Upload).RequireRateLimiting("writes")
            .DisableAntiforgery().WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(options.MaxUploadBytes))
            .Accepts<IFormFile>("multipart/form-data");
        api.MapPost("/zoning-runs", StartZoningRun).WithName("StartZoningRun").RequireAuthorization(Policies.Upload).RequireRateLimiting("writes");
        // Jobs belong to the key that started them: only it and admins see or cancel them.
        api.MapGet("/jobs", ListJobs).WithName("ListJobs").RequireAuthorization(Policies.Authenticated);
        api.MapGet("/jobs/{id}", GetJob).WithName("GetJob").RequireAuthorization(Policies.Authenticated);
        api.MapDelete("/jobs/{id}", CancelJob).WithName("CancelJob").RequireAuthorization(Policies.Upload);
        return app;
    }

    public const int MaxJobPage = 200;

    /// <summary>Key id of the caller, or null for an admin (who sees every job).</summary>
    private static string? JobScope(HttpContext http) => http.User.IsInRole("admin") ? null : http.User.FindFirstValue("key_id") ?? "";

    private static bool Visible(JobInfo job, HttpContext http) => JobScope(http) is not { } scope || job.OwnerKeyId == scope;

    private static IResult ListJobs(int? limit, int? offset, JobManager jobs, HttpContext http)
    {
        var take = limit ?? 50;
        if (take is < 1 or > MaxJobPage)
        {
            return Problems.Create(400, "bad-limit", $"limit must be an integer from 1 to {MaxJobPage}.");
        }

        if (offset is < 0)
        {
            return Problems.Create(400, "bad-offset", "offset must be a non-negative integer.");
        }

        var (page, total) = jobs.List(JobScope(http), take, offset ?? 0);
        http.Response.Headers["X-Total-Count"] = total.ToString(CultureInfo.InvariantCulture);
        if ((offset ?? 0) + page.Count < total)
        {
            http.Response.Headers.Link = $"</api/v1/jobs?limit={take}&offset={(offset ?? 0) + take}>; rel=\"next\"";
        }

        return TypedResults.Ok(page);
    }

    private static async Task<IResult> RegisterSurvey(SurveyRequest body, IGeoRiskStore store, HttpContext http, CancellationToken ct)
    {
        // Only names: "99" parses as an enum value too.
        if (body.Type is null || body.Type.Any(char.IsAsciiDigit) || !Enum.TryParse<SurveyType>(body.Type, ignoreCase: true, out var type) ||
            !Enum.IsDefined(type))
        {
            return Problems.Create(422, "invalid-survey", $"type '{body.Type}' must be one of {string.Join(", ", Enum.GetNames<SurveyType>())}.");
        }

        // Acceptance sets precedence, so a geologist submits a draft and an admin accepts it
        // (POST /api/v1/surveys/{id}/acceptance); a registered survey is never silently overwritten.
        if (body.AcceptedOn is not null)
        {
            return Problems.Create(
                403,
                "acceptance-by-admin",
                "A survey is registered as a draft; an admin accepts it and sets the acceptance date with POST /api/v1/surveys/{id}/acceptance.");
        }

        if ((await store.ListSurveysAsync(ct)).Any(s => s.Id == body.Id))
        {
            return Problems.Create(409, "survey-exists", $"Survey '{body.Id}' is already registered; registration does not change an existing survey.");
        }

        var survey = new SurveyInfo(
            body.Id, body.Title, body.Scale, type, body.Organisation ?? "", body.CompletedOn, Accepted: false, AcceptedOn: null, body.Standard);
        var problems = survey.Validate();
        if (string.IsNullOrWhiteSpace(body.Title))
        {
            problems = [.. problems, "title is required."];
        }

        if (problems.Count > 0)
        {
            return Problems.Create(422, "invalid-survey", string.Join(" ", problems));
        }

        await store.UpsertSurveyAsync(survey, null, ct);
        return TypedResults.Created($"/api/v1/surveys/{survey.Id}", survey);
    }

    /// <summary>What the multipart form of an upload says, once its fields are valid.</summary>
    private sealed record UploadForm(
        IFormFile File,
        string FileName,
        string Extension,
        LayerKind Kind,
        string? Layer,
        string? Crs,
        string? SourceLayer,
        IReadOnlyDictionary<string, string> Map,
        string? MapText);

    /// <summary>
    /// Checks the request and its form, stores the file under a name of our own and starts the ingest job
    /// (in the parser worker when isolation is on).
    /// </summary>
    private static async Task<IResult> UploadLayer(
        string surveyId,
        HttpRequest request,
        IGeoRiskStore store,
        JobManager jobs,
        ParserWorker worker,
        GeoRiskServiceOptions options,
        CancellationToken ct)
    {
        if (await CheckUploadRequestAsync(surveyId, request, store, options, ct) is { } refused)
        {
            return refused;
        }

        var (form, formError) = await ReadFormAsync(request, options, ct);
        if (formError is not null)
        {
            return formError;
        }

        var (upload, invalid) = ParseUploadForm(form!);
        if (invalid is not null)
        {
            return invalid;
        }

        // A layer keeps its kind: say so now rather than after parsing (the store would refuse the publish).
        var layerName = upload!.Layer ?? upload.Kind.ToToken();
        if ((await store.ListLayersAsync(ct)).FirstOrDefault(l => l.SurveyId == surveyId && l.Name == layerName) is { } existing
            && existing.Kind != upload.Kind)
        {
            return Problems.Create(
                409,
                "layer-kind-conflict",
                $"Layer '{surveyId}/{layerName}' holds {existing.Kind.ToToken()}; upload {upload.Kind.ToToken()} under another layer name.");
        }

        // The upload is stored under a name of our own; the client's name is only kept for the record.
        var id = JobManager.NewId();
        var dir = jobs.UploadDirectory(id);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "upload" + upload.Extension);
        await using (var output = File.Create(path))
        {
            await upload.File.CopyToAsync(output, ct);
        }

        var job = StartIngestJob(surveyId, upload, path, id, request.HttpContext.User, store, jobs, worker);
        return TypedResults.Accepted($"/api/v1/jobs/{job.Id}", job);
    }

    /// <summary>413 for a declared length over the limit, 415 for anything but multipart/form-data, 404 for an unknown survey.</summary>
    private static async Task<IResult?> CheckUploadRequestAsync(
        string surveyId, HttpRequest request, IGeoRiskStore store, GeoRiskServiceOptions options, CancellationToken ct)
    {
        if (request.ContentLength > options.MaxUploadBytes)
        {
            return TooLarge(options);
        }

        if (!request.HasFormContentType || !request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Create(
                StatusCodes.Status415UnsupportedMediaType,
                "unsupported-media-type",
                "Send the layer as multipart/form-data with a 'file' part and a 'kind' field.");
        }

        if ((await store.ListSurveysAsync(ct)).All(s => s.Id != surveyId))
        {
            return Problems.Create(404, "not-found", $"Survey '{surveyId}' is not registered; POST /api/v1/surveys first.");
        }

        return null;
    }

    private static IResult TooLarge(GeoRiskServiceOptions options) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "payload-too-large", $"Uploads are limited to {options.MaxUploadBytes:N0} bytes.");

    /// <summary>The form, or 413 when the body passes the length limit and 400 when the multipart body is malformed.</summary>
    private static async Task<(IFormCollection? Form, IResult? Error)> ReadFormAsync(HttpRequest request, GeoRiskServiceOptions options, CancellationToken ct)
    {
        try
        {
            return (await request.ReadFormAsync(ct), null);
        }
        catch (InvalidDataException ex) when (ex.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase))
        {
            // The multipart reader stops at the configured length limit.
            return (null, TooLarge(options));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(options));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            // A missing boundary, a malformed part header or a body that ends before its closing boundary.
            return (null, Problems.Create(
                400, "bad-multipart", "The multipart/form-data body is malformed or incomplete; send a 'file' part and a 'kind' field."));
        }
    }

    /// <summary>The upload's fields, or a validation problem naming each bad field, or 415 for a file type not accepted.</summary>
    private static (UploadForm? Upload, IResult? Error) ParseUploadForm(IFormCollection form)
    {
        var file = form.Files.GetFile("file");
        var errors = new Dictionary<string, string[]>();
        if (file is null || file.Length == 0)
        {
            errors["file"] = ["A non-empty 'file' part is required."];
        }

        if (!LayerKindExtensions.TryParse(form["kind"].ToString(), out var kind))
        {
            errors["kind"] = [$"kind must be one of {LayerKindExtensions.AllTokens}."];
        }

        var layer = form["layer"].ToString() is { Length: > 0 } l ? l : null;
        if (layer is not null && !Identifiers.IsValid(layer))
        {
            errors["layer"] = ["layer must be 1-64 letters, digits, '-', '_' or '.'."];
        }

        var mapText = form["map"].ToString() is { Length: > 0 } m ? m : null;
        IReadOnlyDictionary<string, string> map = new Dictionary<string, string>();
        try
        {
            map = FieldMapping.ParseExplicit(mapText);
        }
        catch (FormatException ex)
        {
            errors["map"] = [ex.Message];
        }

        var crs = form["crs"].ToString() is { Length: > 0 } c ? c : null;
        if (crs is not null &&
            (crs.Length > 4000 || crs.Contains("://", StringComparison.Ordinal) || crs.Contains("+nadgrids", StringComparison.OrdinalIgnoreCase)))
        {
            errors["crs"] = ["crs must be EPSG:<code> or WKT; URLs and grid files are not accepted."];
        }

        if (errors.Count > 0)
        {
            return (null, TypedResults.ValidationProblem(errors));
        }

        // Control characters (a newline would forge log lines) become '_' in the name kept for the record and logs.
        var fileName = new string(Path.GetFileName(file!.FileName.Replace('\\', '/')).Select(ch => char.IsControl(ch) ? '_' : ch).ToArray());
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        if (!UploadExtensions.Contains(extension) || fileName.Length > 200)
        {
            return (null, Problems.Create(
                StatusCodes.Status415UnsupportedMediaType,
                "unsupported-format",
                $"'{fileName}' is not an accepted format ({string.Join(", ", UploadExtensions)})."));
        }

        var sourceLayer = form["sourceLayer"].ToString() is { Length: > 0 } sl ? sl : null;
        return (new UploadForm(file, fileName, extension, kind, layer, crs, sourceLayer, map, mapText), null);
    }

    /// <summary>The ingest job of a stored upload: parsed in the worker process when isolation is on, else here.</summary>
    private static JobInfo StartIngestJob(
        string surveyId, UploadForm upload, string path, string id, ClaimsPrincipal user, IGeoRiskStore store, JobManager jobs, ParserWorker worker)
    {
        var owner = user.Identity?.Name ?? "anonymous";
        var (kind, layer, crs, fileName) = (upload.Kind, upload.Layer, upload.Crs, upload.FileName);
        var ingest = new IngestRequest(path, kind, surveyId, layer, crs, upload.SourceLayer, upload.Map, owner, fileName);
        var parameters = new { surveyId, kind = kind.ToToken(), layer, crs, file = fileName, bytes = upload.File.Length, isolated = worker.Enabled };
        return jobs.Start("ingest", owner, user.FindFirstValue("key_id"), parameters, async context =>
        {
            if (worker.Enabled)
            {
                var request = new WorkerIngest(path, kind.ToToken(), surveyId, layer, crs, ingest.SourceLayer, upload.MapText, owner, fileName);
                return await worker.IngestAsync(request, context);
            }

            var progress = new GeoRisk.Core.SyncProgress<IngestProgress>(p => context.Report(p.Phase, p.Fraction));
            var result = await new SurveyIngestor(store).IngestAsync(ingest, progress, context.CancellationToken);
            context.AttachReport(result.Report);
            if (!result.Accepted)
            {
                throw new JobFailedException(result.RejectionCode ?? "rejected", "The upload was rejected; nothing was stored. See the report.");
            }

            var v = result.Version!;
            return new { layer = $"{v.SurveyId}/{v.LayerName}", version = v.Version, features = v.FeatureCount, sourceCrs = v.SourceCrs };
        }, id);
    }

    private static async Task<IResult> StartZoningRun(
        HttpRequest request,
        IGeoRiskStore store,
        JobManager jobs,
        GeoRiskServiceOptions options,
        ClusterZoning cluster,
        CancellationToken ct)
    {
        var (read, badBody) = await ReadRunBodyAsync(request, ct);
        if (badBody is not null || read is not { } body)
        {
            return badBody!;
        }

        RiskModel model;
        try
        {
            model = await RunModelAsync(body, options, ct);
        }
        catch (InvalidInputException ex)
        {
            return Problems.Create(422, ex.Code, ex.Message);
        }

        var owner = request.HttpContext.User.Identity?.Name ?? "anonymous";
        var parameters = new { model = model.Name, modelHash = model.Hash, cellSize = model.Grid.CellSize, extent = body.Extent, body.Force, body.Full };
        var job = jobs.Start("zoning", owner, request.HttpContext.User.FindFirstValue("key_id"), parameters, async context =>
        {
            // With a cluster the block steps run there and the job shows them per worker; nothing else changes.
            var blocks = await cluster.RunnerAsync(context.CancellationToken);
            var progress = new GeoRisk.Core.SyncProgress<Zoning.ZoningProgress>(p => context.Report(p.Stage, p.Fraction, p.Blocks));
            var runRequest = new ZoningRunRequest
            {
                Force = body.Force,
                FullRecompute = body.Full,
                BlockSize = blocks is null ? null : options.ClusterBlockSize,
            };
            var outcome = await new ZoningRunService(store, blocks).RunAsync(model, runRequest, progress, context.CancellationToken);
            return new
            {
                runId = outcome.Run.Id,
                reused = outcome.Reused,
                zones = outcome.Run.ZoneCount,
                outcome.Record.Breaks,
                outcome.Record.Validation,
                outcome.Record.Incremental,
            };
        });
        return TypedResults.Accepted($"/api/v1/jobs/{job.Id}", job);
    }

    /// <summary>The body (all defaults when there is none), 415 for a body that is not JSON, 400 for malformed JSON.</summary>
    private static async Task<(ZoningRunRequestBody? Body, IResult? Error)> ReadRunBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && !request.HasJsonContentType()))
        {
            return (new ZoningRunRequestBody(null, null, null), null);
        }

        if (!request.HasJsonContentType())
        {
            return (null, Problems.Create(
                StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Send application/json (or no body for the default model)."));
        }

        try
        {
            var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { MaxDepth = 32 };
            return (await request.ReadFromJsonAsync<ZoningRunRequestBody>(options, ct) ?? new ZoningRunRequestBody(null, null, null), null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.Create(400, "bad-json", "The body is not valid JSON: " + ex.Message));
        }
    }

    /// <summary>The body's model (or the default one) with its cell size and extent overrides, validated and with weights resolved.</summary>
    /// <exception cref="InvalidInputException">The model is invalid.</exception>
    private static async Task<RiskModel> RunModelAsync(ZoningRunRequestBody body, GeoRiskServiceOptions options, CancellationToken ct)
    {
        if (body.Model is null && !File.Exists(options.DefaultModelPath))
        {
            // A deployment without its surveys folder: say so instead of failing with the server's path in a 500.
            throw new InvalidInputException(
                "no-default-model", "This service has no default zoning model (its model file is missing; the operator sets it with GEORISK_MODEL); send a model in the body.");
        }

        var text = body.Model is { } m ? m.GetRawText() : await File.ReadAllTextAsync(options.DefaultModelPath, ct);
        var model = RiskModel.Parse(text);
        var grid = model.Grid;
        if (body.CellSize is { } cs)
        {
            grid = grid with { CellSize = cs };
        }

        if (body.Extent is { } e)
        {
            grid = grid with
            {
                Extent = e.StartsWith("bbox:", StringComparison.Ordinal)
                    ? new GridExtent
                    {
                        Bbox = e[5..].Split(',')
                            .Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN)
                            .ToArray(),
                    }
                    : new GridExtent { Admin = e.StartsWith("admin:", StringComparison.Ordinal) ? e[6..] : e },
            };
        }

        model = model.WithGrid(grid);
        if (model.Validate() is { Count: > 0 } problems)
        {
            throw new InvalidInputException("invalid-model", string.Join(" ", problems));
        }

        model.ResolveWeights();
        return model;
    }

    // Another key's job answers as if it did not exist.
    private static IResult GetJob(string id, JobManager jobs, HttpContext http) =>
        jobs.Get(id) is { } job && Visible(job, http) ? TypedResults.Ok(job) : Problems.Create(404, "not-found", $"No job '{id}'.");

    private static IResult CancelJob(string id, JobManager jobs, HttpContext http) =>
        jobs.Get(id) is { } job && Visible(job, http) && jobs.Cancel(id) is { } cancelled
            ? TypedResults.Accepted($"/api/v1/jobs/{id}", cancelled)
            : Problems.Create(404, "not-found", $"No job '{id}'.");
}
