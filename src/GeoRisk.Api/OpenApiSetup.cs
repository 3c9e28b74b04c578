using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GeoRisk.Api.Endpoints;
using GeoRisk.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace GeoRisk.Api;

/// <summary>
/// The OpenAPI 3.0 document (/openapi/v1.json): what GDAL, QGIS and code generators read. OpenAPI 3.0 rather than
/// 3.1 because the OGC conformance class "oas30" and GDAL's OAPIF driver expect it, and swagger-cli validates only
/// 3.0. Adds what the endpoint metadata cannot say: the X-API-Key scheme, summaries, the ProblemDetails answers,
/// 202 for job-starting writes and the OGC API query parameters (GDAL reads <c>limit</c>'s maximum to size pages).
/// </summary>
internal static partial class OpenApiSetup
{
    public const string ApiKeyScheme = "ApiKey";

    private static readonly Dictionary<string, string> s_summaries = new(StringComparer.Ordinal)
    {
        ["Health"] = "Service health: GDAL version, store, layer count, current zoning run",
        ["ListSurveys"] = "Surveys in order of precedence",
        ["ListLayers"] = "Stored layers with their current versions",
        ["ListVersions"] = "Versions of one layer",
        ["GetFeatures"] = "Features of one layer (GeoJSON)",
        ["GetSiteRisk"] = "Site risk at a point",
        ["PostSiteRisk"] = "Site risk of a parcel (GeoJSON polygon)",
        ["ListTilesets"] = "Vector tilesets",
        ["GetVectorTile"] = "One Mapbox vector tile (gzip when accepted)",
        ["GetVectorTilePbf"] = "One Mapbox vector tile under the .pbf extension",
        ["GetRasterTile"] = "One PNG tile of the risk, grade or hillshade raster",
        ["GetTileJson"] = "TileJSON 3.0 of a tileset or comma-joined tilesets",
        ["GetStyle"] = "MapLibre style (also converted by QGIS)",
        ["RegisterSurvey"] = "Register a survey",
        ["UploadLayer"] = "Upload a survey layer; validated and published by a job",
        ["StartZoningRun"] = "Start a zoning run as a job",
        ["ListJobs"] = "Jobs",
        ["GetJob"] = "One job with its progress and result",
        ["CancelJob"] = "Cancel a job",
        ["ListZoningRuns"] = "Zoning runs",
        ["GetZoningRun"] = "One zoning run (or the current one)",
        ["GetCensus"] = "Census per county and grade (JSON or CSV)",
        ["GetZones"] = "Zones of a run (GeoJSON)",
        ["GetZoningMap"] = "Printable zoning map of a county (PNG)",
        ["GetZoningMapPdf"] = "Printable zoning map of a county (vector PDF, A3/A4)",
        ["GetGlyphs"] = "Glyph range (SDF protobuf) for the style's labels",
    };

    /// <summary>Writes that start a job answer 202 Accepted with the job's URL.</summary>
    private static readonly HashSet<string> s_accepted = new(StringComparer.Ordinal) { "UploadLayer", "StartZoningRun" };

    public static void Configure(OpenApiOptions options)
    {
        options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_0;
        // Component names must match ^[a-zA-Z0-9.\-_]+$; anonymous and array types otherwise yield "AnonymousTypeOfString[]".
        options.CreateSchemaReferenceId = type =>
            OpenApiOptions.CreateDefaultSchemaReferenceId(type) is { } id ? UnsafeName().Replace(id, "_") : null;
        options.AddDocumentTransformer(DescribeDocument);
        options.AddOperationTransformer(DescribeOperation);
    }

    /// <summary>Info, server, tag descriptions, OpenAPI 3.0-valid nullable references and the API key scheme.</summary>
    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "GeoRisk";
        document.Info.Version = "v1";
        document.Info.Description = "Hazard zoning, site risk, survey uploads, vector and raster tiles, OGC API Features and Tiles.";
        document.Info.License = new OpenApiLicense { Name = "Data: see the attribution of each tileset; code: project licence" };
        // The request's host (http://localhost/ behind a proxy) is no better than the relative default "/".
        document.Servers = [new OpenApiServer { Url = "/", Description = "This service" }];
        document.Tags ??= new HashSet<OpenApiTag>();
        foreach (var tag in document.Tags)
        {
            tag.Description ??= tag.Name switch
            {
                "Tiles" => "Vector (MVT) and raster (PNG) tiles, TileJSON and the MapLibre style",
                "OGC API" => "OGC API Features (Parts 1 and 2) and Tiles",
                "Zoning" => "Zoning runs, census and printable maps",
                "Operations" => "Health and metrics",
                _ => $"{tag.Name} endpoints",
            };
        }

        document.Components ??= new OpenApiComponents();
        foreach (var schema in document.Components.Schemas?.Values ?? [])
        {
            FixNullableReferences(schema, 0);
        }

        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "X-API-Key",
            Description = "An API key from `georisk keys add`; reads need none while anonymous reads are on.",
        };
        return Task.CompletedTask;
    }

    /// <summary>Summary, security requirement, the 202/ProblemDetails answers and, for OGC items, the query parameters.</summary>
    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var name = metadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName ?? "";
        if (string.IsNullOrEmpty(operation.Summary))
        {
            operation.Summary = s_summaries.TryGetValue(name, out var summary) ? summary : Humanize(name);
        }

        var policies = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).ToList();
        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var protectedWrite = policies.Any(p => p is Policies.Upload or Policies.Admin);
        var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] };
        // Reads: the key is optional while anonymous reads are on (an empty requirement means "none").
        operation.Security = anonymous
            ? [new OpenApiSecurityRequirement()]
            : protectedWrite ? [requirement] : [new OpenApiSecurityRequirement(), requirement];
        AddResponses(operation, name, anonymous, protectedWrite, HasPathParameters(context.Description.RelativePath));
        if (name == "OgcItems")
        {
            AddItemsParameters(operation);
        }

        return Task.CompletedTask;
    }

    /// <summary>202 for writes that start a job, 200 when nothing else is declared, and the ProblemDetails answers that apply.</summary>
    private static void AddResponses(OpenApiOperation operation, string name, bool anonymous, bool protectedWrite, bool hasPathParameters)
    {
        operation.Responses ??= new OpenApiResponses();
        if (s_accepted.Contains(name))
        {
            operation.Responses.Remove("200");
            operation.Responses["202"] = new OpenApiResponse { Description = "Accepted: the job's URL is in Location and the body." };
        }

        if (operation.Responses.Count == 0)
        {
            operation.Responses["200"] = new OpenApiResponse { Description = "OK" };
        }

        AddProblem(operation, "400", "Bad request (ProblemDetails with a stable code)");
        if (!anonymous)
        {
            AddProblem(operation, "401", "Unknown or revoked API key, or a key is required");
        }

        if (protectedWrite)
        {
            AddProblem(operation, "403", "The key's role may not do this");
        }

        if (hasPathParameters)
        {
            AddProblem(operation, "404", "Not found");
        }

        AddProblem(operation, "429", "Rate limited; retry after the Retry-After header");
    }

    private static void AddProblem(OpenApiOperation operation, string status, string description)
    {
        if (operation.Responses!.ContainsKey(status))
        {
            return;
        }

        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Stable machine-readable error code" },
                            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        },
                    },
                },
            },
        };
    }

    /// <summary>The OGC API Features (Parts 1 and 2) query parameters of /collections/{id}/items.</summary>
    private static void AddItemsParameters(OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        static OpenApiParameter Query(string name, string description, OpenApiSchema schema, bool? explode = null) => new()
        {
            Name = name,
            In = ParameterLocation.Query,
            Description = description,
            Required = false,
            Schema = schema,
            Style = explode is null ? null : ParameterStyle.Form,
            Explode = explode ?? false,
        };

        var crsList = new List<JsonNode> { OgcEndpoints.Crs84, OgcEndpoints.Cgcs2000 };
        operation.Parameters.Add(Query("limit", "Features per page (OGC API Features Part 1 §7.15.3).", new OpenApiSchema
        {
            Type = JsonSchemaType.Integer,
            Minimum = "1",
            Maximum = OgcEndpoints.MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Default = JsonValue.Create(OgcEndpoints.DefaultLimit),
        }, explode: false));
        operation.Parameters.Add(Query(
            "offset",
            "Features to skip (the next links carry it).",
            new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0", Default = JsonValue.Create(0) }));
        operation.Parameters.Add(Query("bbox", "minLon,minLat,maxLon,maxLat in bbox-crs (CRS84 by default).", new OpenApiSchema
        {
            Type = JsonSchemaType.Array,
            MinItems = 4,
            MaxItems = 4,
            Items = new OpenApiSchema { Type = JsonSchemaType.Number },
        }, explode: false));
        operation.Parameters.Add(Query(
            "bbox-crs",
            "CRS of bbox (OGC API Features Part 2).",
            new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Enum = crsList, Default = JsonValue.Create(OgcEndpoints.Crs84) }));
        operation.Parameters.Add(Query(
            "crs",
            "Output CRS (OGC API Features Part 2); EPSG:4490 is latitude first.",
            new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Format = "uri",
                Enum = crsList.Select(c => c.DeepClone()).ToList(),
                Default = JsonValue.Create(OgcEndpoints.Crs84),
            }));
        operation.Parameters.Add(Query(
            "datetime",
            "RFC 3339 instant or interval; GeoRisk features carry no time, so any valid value selects all.",
            new OpenApiSchema { Type = JsonSchemaType.String }));
    }

    /// <summary>
    /// ASP.NET Core writes a nullable reference as oneOf [{nullable: true, enum: [null]}, {$ref}], which OpenAPI 3.0
    /// validators reject (nullable needs a type); rewritten as {type, nullable: true, allOf: [{$ref}]}.
    /// </summary>
    private static void FixNullableReferences(IOpenApiSchema schema, int depth)
    {
        if (schema is not OpenApiSchema s || depth > 32)
        {
            return;
        }

        if (s.OneOf is { Count: 2 } oneOf
            && oneOf.FirstOrDefault(IsNullOnly) is { } nullBranch
            && oneOf.First(o => o != nullBranch) is OpenApiSchemaReference target)
        {
            var type = (target.Type ?? JsonSchemaType.Object) & ~JsonSchemaType.Null;
            s.OneOf = null;
            s.AllOf = [target];
            s.Type = (type == 0 ? JsonSchemaType.Object : type) | JsonSchemaType.Null;
        }

        foreach (var child in (s.Properties?.Values ?? []).Concat(s.AllOf ?? []).Concat(s.OneOf ?? []).Concat(s.AnyOf ?? []))
        {
            FixNullableReferences(child, depth + 1);
        }

        if (s.Items is not null)
        {
            FixNullableReferences(s.Items, depth + 1);
        }

        if (s.AdditionalProperties is not null)
        {
            FixNullableReferences(s.AdditionalProperties, depth + 1);
        }
    }

    private static bool HasPathParameters(string? relativePath) => relativePath?.Contains('{', StringComparison.Ordinal) == true;

    private static bool IsNullOnly(IOpenApiSchema schema) =>
        schema is OpenApiSchema o && (o.Type == JsonSchemaType.Null || (o.Type is null && o.Enum is { Count: 1 } e && e[0] is null));

    private static string Humanize(string name) => name.Length == 0
        ? "Operation"
        : string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : c.ToString()));

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex UnsafeName();
}
