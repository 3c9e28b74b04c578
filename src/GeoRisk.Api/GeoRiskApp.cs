using System.Security.Claims;
using System.Text.Json;
using System.Threading.RateLimiting;
using GeoRisk.Api.Endpoints;
using GeoRisk.Api.Jobs;
using GeoRisk.Api.Security;
using GeoRisk.Core.Storage;
using GeoRisk.Storage.GeoPackage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Timeouts;
using NetTopologySuite.IO.Converters;
using Prometheus;

namespace GeoRisk.Api;

/// <summary>Settings of one service instance (section "GeoRisk" of appsettings or GeoRisk__* environment variables).</summary>
public sealed class GeoRiskServiceOptions
{
    /// <summary>Folder of the embedded store (GEORISK_STORE, else ./georisk-data).</summary>
    public string StoreDirectory { get; set; } =
        Environment.GetEnvironmentVariable("GEORISK_STORE") is { Length: > 0 } s ? s : "georisk-data";

    /// <summary>
    /// PostgreSQL + PostGIS connection string (GEORISK_POSTGRES or GeoRisk:PostgresConnectionString); when set,
    /// the service uses the PostGIS store instead of the embedded one.
    /// </summary>
    public string? PostgresConnectionString { get; set; } =
        Environment.GetEnvironmentVariable("GEORISK_POSTGRES") is { Length: > 0 } pg ? pg : null;

    /// <summary>Shared raster folder of the PostGIS store (default STORE/rasters); the cluster workers' <c>--raster-dir</c>.</summary>
    public string? RasterDirectory { get; set; }

    /// <summary>
    /// The Orleans cluster zoning runs hand their block steps to (GEORISK_CLUSTER: a PostgreSQL connection string or
    /// localhost[:gateway port]); unset, runs stay in this process (docs/SCALE.md).
    /// </summary>
    public string? Cluster { get; set; } = Environment.GetEnvironmentVariable("GEORISK_CLUSTER") is { Length: > 0 } cl ? cl : null;

    /// <summary>Block side in cells of a run on the cluster.</summary>
    public int ClusterBlockSize { get; set; } = 1024;

    /// <summary>Blocks of a run in flight on the cluster at once.</summary>
    public int ClusterParallelism { get; set; } = 16;

    /// <summary>Let requests without an API key read tiles, layers and site risk (on by default for the demo).</summary>
    public bool AnonymousRead { get; set; } = true;

    /// <summary>Largest upload accepted (413 beyond it).</summary>
    public long MaxUploadBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Requests per minute per client (API key, else IP address) for reads and for writes (429 beyond).</summary>
    public int ReadsPerMinute { get; set; } = 60_000;

    public int WritesPerMinute { get; set; } = 60;

    /// <summary>Parse uploads in a `georisk ingest` child process (on by default when the service runs as `georisk serve`).</summary>
    public bool IsolateParsers { get; set; } = true;

    /// <summary>The georisk.dll the parser worker runs (default: the running `georisk` executable).</summary>
    public string? WorkerCommand { get; set; }

    /// <summary>Managed-heap limit of a parser worker.</summary>
    public int WorkerMemoryMB { get; set; } = 4096;

    /// <summary>Time limit of a parser worker.</summary>
    public int WorkerTimeoutSeconds { get; set; } = 1800;

    /// <summary>Time a client has to send its request headers (a slow client is disconnected).</summary>
    public int HeadersTimeoutSeconds { get; set; } = 15;

    /// <summary>Time limit of a read request (uploads and runs continue as jobs).</summary>
    public int RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// The service's public address (e.g. https://georisk.example.org) for the absolute links in TileJSON, styles
    /// and OGC documents; set it behind a reverse proxy. Unset, links use the address the request arrived on
    /// (the listening socket), never the client's Host header.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Failed API-key authentications per client (IP address) and minute before 429.</summary>
    public int FailedAuthPerMinute { get; set; } = 20;

    /// <summary>Printable maps rendered at once; further requests wait in a queue of <see cref="MapQueueLength"/>, then get 503.</summary>
    public int MapRenderConcurrency { get; set; } = 2;

    public int MapQueueLength { get; set; } = 8;

    /// <summary>
    /// Folder of tile archives (<c>georisk export tiles --format pmtiles</c>) served at /archives/{name}.pmtiles with
    /// HTTP range requests, so MapLibre's pmtiles protocol or QGIS read them as tilesets; unset serves none.
    /// </summary>
    public string? ArchiveDirectory { get; set; }

    /// <summary>The model POST /api/v1/zoning-runs runs when the body names none.</summary>
    public string DefaultModelPath { get; set; } =
        Environment.GetEnvironmentVariable("GEORISK_MODEL") is { Length: > 0 } m ? m : LocateDefaultModel();

    /// <summary>Positional uncertainty (± m) of fault traces that state neither accuracy nor scale (docs/DOMAIN.md §6.4).</summary>
    public double FaultTraceUncertaintyM { get; set; } = GeoRisk.Core.Risk.FaultTrace.DefaultUncertaintyM;

    /// <summary>
    /// Origins whose pages may read GeoRisk from a browser (CORS): "*" (default, the anonymous read endpoints are public
    /// data) or a comma-separated list such as "https://maps.example.org,https://gis.example.org"; empty turns CORS off.
    /// Writes still need an API key whatever the origin: CORS only lets a page send the request, never authenticates it.
    /// </summary>
    public string CorsOrigins { get; set; } = "*";

    /// <summary>Distance from a Holocene-active or undated fault within which category 甲 needs a special study (docs/DOMAIN.md §6.5).</summary>
    public double SpecialStudyRadiusM { get; set; } = GeoRisk.Core.Risk.FaultSetback.DefaultSpecialStudyRadiusM;

    /// <summary>The first surveys/models/bortala-default.json upwards from the working folder, else from the program's (where
    /// GeoRisk.Cli's build ships a copy).</summary>
    public static string LocateDefaultModel()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "surveys", "models", "bortala-default.json");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return Path.Combine("surveys", "models", "bortala-default.json");
    }
}

/// <summary>Builds the GeoRisk web application; used by Program, the CLI (georisk serve/demo) and tests.</summary>
public static class GeoRiskApp
{
    /// <summary>The embedded GeoPackage store, or PostGIS when a connection string is configured.</summary>
    public static IGeoRiskStore CreateStore(GeoRiskServiceOptions options) =>
        options.PostgresConnectionString is { Length: > 0 } cs
            ? new GeoRisk.Storage.PostGis.PostGisStore(new GeoRisk.Storage.PostGis.PostGisStoreOptions
            {
                ConnectionString = cs,
                RasterDirectory = options.RasterDirectory ?? Path.Combine(options.StoreDirectory, "rasters"),
            })
            : new GeoPackageStore(new GeoPackageStoreOptions
            {
                Directory = options.StoreDirectory,
                // The parser worker shares the service's store: only the service recovers leftovers at start.
                CleanUpOnInitialize = Environment.GetEnvironmentVariable("GEORISK_STORE_CLEANUP") != "0",
            });

    public static WebApplication Build(string[] args, Action<GeoRiskServiceOptions>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        var options = ReadOptions(builder.Configuration, configure);
        ConfigureKestrel(builder, options);
        // Request-level logs from the framework are noise for a bureau's operator; warnings still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        AddServices(builder.Services, options);
        AddAccessControl(builder.Services, options);

        var app = builder.Build();
        UseMiddleware(app);
        MapEndpoints(app, options);
        return app;
    }

    /// <exception cref="InvalidOperationException">The public base URL is not an absolute http(s) URL without a query.</exception>
    private static GeoRiskServiceOptions ReadOptions(IConfiguration configuration, Action<GeoRiskServiceOptions>? configure)
    {
        var options = new GeoRiskServiceOptions();
        configuration.GetSection("GeoRisk").Bind(options);
        configure?.Invoke(options);
        if (options.PublicBaseUrl is { Length: > 0 } publicBase &&
            (!Uri.TryCreate(publicBase, UriKind.Absolute, out var publicUri) || publicUri.Scheme is not ("http" or "https") || publicUri.Query.Length > 0))
        {
            throw new InvalidOperationException($"GeoRisk:PublicBaseUrl '{publicBase}' must be an absolute http(s) URL without a query.");
        }

        return options;
    }

    /// <summary>Explicit limits: slow or oversized clients are cut off instead of holding the service.</summary>
    private static void ConfigureKestrel(WebApplicationBuilder builder, GeoRiskServiceOptions options)
    {
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 1024 * 1024; // per endpoint larger for uploads
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(options.HeadersTimeoutSeconds);
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(60);
            k.Limits.MaxConcurrentConnections = 2000;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(
                bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(10));
        });
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(f => f.MultipartBodyLengthLimit = options.MaxUploadBytes);
    }

    /// <summary>The store, tile, job and map services, problem details, JSON settings, OpenAPI and response compression.</summary>
    private static void AddServices(IServiceCollection services, GeoRiskServiceOptions options)
    {
        services.AddSingleton(options);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Customize);
        services.AddExceptionHandler<GeoRiskExceptionHandler>();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new GeoJsonConverterFactory());
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals;
        });
        services.AddSingleton<IGeoRiskStore>(_ => CreateStore(options));
        services.AddHostedService<StoreInitializer>();
        services.AddHostedService<TileWarmUp>();
        services.AddHostedService<MemoryReclaimer>();
        services.AddSingleton(sp => new GeoRisk.Services.TileService(sp.GetRequiredService<IGeoRiskStore>()));
        services.AddSingleton<GeoRisk.Services.RasterTileService>();
        services.AddSingleton<GeoRisk.Services.GlyphService>();
        services.AddSingleton(new GeoRisk.Services.TileArchiveService(options.ArchiveDirectory));
        services.AddSingleton(new ApiKeyStore(Path.GetFullPath(options.StoreDirectory)));
        services.AddSingleton<JobManager>();
        services.AddSingleton<ClusterZoning>();
        services.AddSingleton<ParserWorker>();
        services.AddSingleton(new MapRenderQueue(options.MapRenderConcurrency, options.MapQueueLength));
        services.AddSingleton(new FailedAuthLimiter(options.FailedAuthPerMinute));
        services.AddOpenApi(OpenApiSetup.Configure);
        services.AddResponseCompression(c =>
        {
            // JSON documents (GeoJSON pages, TileJSON, style, OpenAPI) shrink 5-10x; tiles are gzipped by their endpoint
            // (which sets Content-Encoding itself, so this middleware leaves them alone), PNGs are compressed already.
            c.MimeTypes = ["application/json", "application/geo+json", "text/csv", "text/plain", "text/javascript", "text/css", "text/html"];
            c.Providers.Add<Microsoft.AspNetCore.ResponseCompression.GzipCompressionProvider>();
        });
        services.Configure<Microsoft.AspNetCore.ResponseCompression.GzipCompressionProviderOptions>(
            g => g.Level = System.IO.Compression.CompressionLevel.Fastest);
    }

    /// <summary>CORS, API-key authentication, the role policies, rate limits and request timeouts.</summary>
    private static void AddAccessControl(IServiceCollection services, GeoRiskServiceOptions options)
    {
        services.AddCors(c => c.AddPolicy(CrossOrigin.Policy, p => CrossOrigin.Configure(p, options.CorsOrigins)));
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Read, p => p.RequireAssertion(c => options.AnonymousRead || c.User.Identity?.IsAuthenticated == true))
            .AddPolicy(Policies.Upload, p => p.RequireAuthenticatedUser().RequireRole("geologist"))
            .AddPolicy(Policies.Admin, p => p.RequireAuthenticatedUser().RequireRole("admin"))
            .AddPolicy(Policies.Authenticated, p => p.RequireAuthenticatedUser())
            .SetFallbackPolicy(
                new AuthorizationPolicyBuilder().RequireAssertion(c => options.AnonymousRead || c.User.Identity?.IsAuthenticated == true).Build());
        services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            r.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                await Results.Problem(
                    statusCode: 429,
                    title: "Too many requests; retry later.",
                    type: "https://georisk.example/problems/rate-limited",
                    extensions: new Dictionary<string, object?> { ["code"] = "rate-limited" }).ExecuteAsync(context.HttpContext);
            };
            string Client(HttpContext c) => c.User.FindFirstValue("key_id") ?? c.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            r.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(c => RateLimitPartition.GetFixedWindowLimiter(Client(c),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.ReadsPerMinute, Window = TimeSpan.FromMinutes(1) }));
            r.AddPolicy("writes", c => RateLimitPartition.GetFixedWindowLimiter(Client(c),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.WritesPerMinute, Window = TimeSpan.FromMinutes(1) }));
        });
        services.AddRequestTimeouts(t => t.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds),
            TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
        });
    }

    /// <summary>The request pipeline, in order: headers, errors, CORS, compression, landing page, web map, routing, keys, limits.</summary>
    private static void UseMiddleware(WebApplication app)
    {
        app.Use(SecurityHeaders);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // First, so preflights are answered before authentication and static files, and every response (errors included) carries the headers.
        app.UseCors(CrossOrigin.Policy);
        // Tiles set their own Content-Encoding (vector) or are compressed already (PNG): the compression middleware,
        // which wraps every response body it sees, is left out of their path.
        app.UseWhen(c => !IsTileBody(c.Request.Path), b => b.UseResponseCompression());
        app.Use(LandingDocument);
        var web = new Microsoft.Extensions.FileProviders.ManifestEmbeddedFileProvider(typeof(GeoRiskApp).Assembly, "wwwroot");
        var types = new Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = web });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = web,
            ContentTypeProvider = types,
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "public, max-age=300",
        });
        app.UseRouting();
        app.UseRequestMetrics();
        var failedAuth = app.Services.GetRequiredService<FailedAuthLimiter>();
        app.Use((context, next) => StopRepeatedFailures(context, next, failedAuth));
        app.UseAuthentication();
        app.Use((context, next) => RefuseUnknownKeys(context, next, failedAuth));
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseRequestTimeouts();
    }

    private static void MapEndpoints(WebApplication app, GeoRiskServiceOptions options)
    {
        app.MapHealthEndpoints();
        app.MapCatalogEndpoints();
        app.MapZoningEndpoints();
        app.MapSiteRiskEndpoints();
        app.MapTileEndpoints();
        app.MapArchiveEndpoints(options);
        app.MapWriteEndpoints(options);
        app.MapAdminEndpoints();
        app.MapOgcEndpoints();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapMetrics("/metrics").AllowAnonymous();
    }

    /// <summary>
    /// The web map needs its own scripts, MapLibre's workers (started from blob: URLs), inline style
    /// attributes of the legend and data:/blob: images; nothing may frame it or sniff a type.
    /// </summary>
    private static async Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy =
            "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; style-src 'self' 'unsafe-inline'; " +
            "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        await next(context);
    }

    /// <summary>The root is both the web map (browsers) and the OGC API landing page (QGIS and other clients ask for JSON).</summary>
    private static async Task LandingDocument(HttpContext context, RequestDelegate next)
    {
        var accept = context.Request.Headers.Accept.ToString();
        if (context.Request.Path == "/" && HttpMethods.IsGet(context.Request.Method)
            && accept.Contains("json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            await Results.Json(OgcEndpoints.LandingDocument(TileEndpoints.BaseUrl(context))).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    /// <summary>A client that keeps presenting wrong keys is stopped before its next key is even looked at.</summary>
    private static async Task StopRepeatedFailures(HttpContext context, RequestDelegate next, FailedAuthLimiter failedAuth)
    {
        if (ApiKeyAuthenticationHandler.PresentsKey(context.Request) && failedAuth.IsBlocked(FailedAuthLimiter.Client(context)))
        {
            context.Response.Headers.RetryAfter = "60";
            await Results.Problem(
                statusCode: 429,
                title: "Too many failed authentications; retry later.",
                type: "https://georisk.example/problems/rate-limited",
                extensions: new Dictionary<string, object?> { ["code"] = "rate-limited" }).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    /// <summary>An unknown or revoked key is refused everywhere, even where anonymous reads are allowed.</summary>
    private static async Task RefuseUnknownKeys(HttpContext context, RequestDelegate next, FailedAuthLimiter failedAuth)
    {
        if (context.Items.ContainsKey(ApiKeyAuthenticationHandler.FailedItem))
        {
            failedAuth.Fail(FailedAuthLimiter.Client(context));
            context.Response.Headers.WWWAuthenticate = "ApiKey realm=\"georisk\", header=\"X-API-Key\"";
            await Results.Problem(
                statusCode: 401,
                title: "Unknown or revoked API key.",
                type: "https://georisk.example/problems/unauthorized",
                extensions: new Dictionary<string, object?> { ["code"] = "unauthorized" }).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private static bool IsTileBody(PathString path) =>
        path.StartsWithSegments("/tiles", StringComparison.Ordinal) && path.Value is { } p &&
        (p.EndsWith(".mvt", StringComparison.Ordinal) || p.EndsWith(".pbf", StringComparison.Ordinal) || p.EndsWith(".png", StringComparison.Ordinal));
}

/// <summary>Prepares site answers' data and tiles in the background once the service has started (requests are served meanwhile).</summary>
internal sealed class TileWarmUp(GeoRisk.Services.TileService tiles, IGeoRiskStore store, ILogger<TileWarmUp> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await GeoRisk.Services.SiteRiskService.WarmUpAsync(store, stoppingToken);
            await tiles.WarmUpAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Warm-up failed; site data and tiles will be read on first request.");
        }
    }
}

/// <summary>Creates or migrates the store before the first request is served.</summary>
internal sealed class StoreInitializer(IGeoRiskStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
