using System.CommandLine;
using System.Globalization;
using GeoRisk.Api;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Samples;
using GeoRisk.Storage.GeoPackage;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace GeoRisk.Cli;

internal static class Commands
{
    public const string DefaultUrl = "http://127.0.0.1:5000";

    internal static Option<string> StoreOption() => new("--store")
    {
        Description = "Folder of the embedded store (default: $GEORISK_STORE, else ./georisk-data).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GEORISK_STORE") is { Length: > 0 } s ? s : "georisk-data",
    };

    private static Option<string> SurveysOption() => new("--surveys")
    {
        Description = "Folder of the sample survey set (with manifest.json).",
        DefaultValueFactory = _ => LocateSurveys(),
    };

    private static Option<string> UrlsOption() => new("--urls")
    {
        Description = "Address(es) to listen on.",
        DefaultValueFactory = _ => DefaultUrl,
    };

    public static Command Demo()
    {
        var store = StoreOption();
        var surveys = SurveysOption();
        var urls = UrlsOption();
        var noServe = new Option<bool>("--no-serve") { Description = "Load the sample set, then exit instead of serving." };
        var noCompute = new Option<bool>("--no-compute") { Description = "Do not compute the default zoning." };
        var cellSize = new Option<double?>("--cell-size") { Description = "Cell size of the default zoning in metres (the model's 30 m by default)." };
        var command = new Command("demo", "Load the Bortala sample survey set into the store, compute the default zoning and serve it.")
        {
            store, surveys, urls, noServe, noCompute, cellSize,
        };
        command.SetAction(async (parse, ct) =>
        {
            var storeDir = parse.GetValue(store)!;
            var surveysDir = parse.GetValue(surveys)!;
            if (!File.Exists(Path.Combine(surveysDir, "manifest.json")))
            {
                Console.Error.WriteLine($"error: no manifest.json in '{surveysDir}'; pass --surveys pointing at the repository's surveys/ folder.");
                return ExitCodes.NotFound;
            }

            GenerateMissingSamples(surveysDir);
            Console.WriteLine($"Loading the sample survey set from {Path.GetFullPath(surveysDir)} into {Path.GetFullPath(storeDir)}");
            await using (var gpkg = GeoRiskApp.CreateStore(new GeoRiskServiceOptions { StoreDirectory = storeDir }))
            {
                await gpkg.InitializeAsync(ct);
                await LoadSampleSetAsync(gpkg, surveysDir, ct);
                if (!parse.GetValue(noCompute) && await ComputeDefaultZoningAsync(gpkg, surveysDir, parse.GetValue(cellSize), ct) is { } failed)
                {
                    return failed;
                }
            }

            CreateDemoKey(storeDir);
            if (parse.GetValue(noServe))
            {
                return ExitCodes.Ok;
            }

            return await ServeAsync(storeDir, parse.GetValue(urls)!, ct);
        });
        return command;
    }

    /// <summary>Generates the sample files that are built rather than stored (the DEM) on the first run.</summary>
    private static void GenerateMissingSamples(string surveysDir)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        foreach (var generated in SampleSetLoader.GenerateMissing(surveysDir, m => Console.WriteLine("Generating the sample DEM (first run only): " + m)))
        {
            Console.WriteLine($"  {generated} generated in {sw.Elapsed.TotalSeconds:0.0} s");
        }
    }

    /// <summary>Loads every layer of the sample set, printing each file's phases and a table of the outcomes.</summary>
    private static async Task LoadSampleSetAsync(Core.Storage.IGeoRiskStore gpkg, string surveysDir, CancellationToken ct)
    {
        var loader = new SampleSetLoader(gpkg);
        var table = new TableOutput("layer", "kind", "outcome", "version", "features", "warnings");
        var lastPhase = "";
        await loader.LoadAsync(
            surveysDir,
            onLayer: l => table.AddRow(
                $"{l.SurveyId}/{l.Name}",
                l.Kind.ToToken(),
                l.Outcome,
                l.Version?.ToString(CultureInfo.InvariantCulture) ?? "-",
                l.Features.ToString(CultureInfo.InvariantCulture),
                l.Warnings.ToString(CultureInfo.InvariantCulture)),
            onProgress: (file, p) =>
            {
                var line = $"  {file}: {p.Phase}";
                if (line != lastPhase)
                {
                    lastPhase = line;
                    Console.WriteLine(line);
                }
            },
            cancellationToken: ct);
        table.Write();
    }

    /// <summary>Runs the default model on the loaded set; returns an exit code only when the model is invalid.</summary>
    private static async Task<int?> ComputeDefaultZoningAsync(Core.Storage.IGeoRiskStore gpkg, string surveysDir, double? cellSize, CancellationToken ct)
    {
        Core.Risk.RiskModel model;
        try
        {
            model = ZoningCommands.LoadModel(Path.Combine(surveysDir, "models", "bortala-default.json"), null, cellSize);
        }
        catch (Core.InvalidInputException ex)
        {
            Console.Error.WriteLine($"error ({ex.Code}): {ex.Message}");
            return ExitCodes.Usage;
        }

        Console.WriteLine($"Computing the default zoning ({model.Name}, {model.Grid.CellSize} m); later runs reuse it while the inputs are unchanged.");
        ZoningCommands.PrintRun(await ZoningCommands.RunWithProgressAsync(gpkg, model, new Services.ZoningRunRequest(), ct));
        return null;
    }

    /// <summary>A fresh demo store gets one geologist key so uploads work from the web page; printed once.</summary>
    private static void CreateDemoKey(string storeDir)
    {
        var keys = new Api.Security.ApiKeyStore(Path.GetFullPath(storeDir));
        if (keys.List().Count == 0)
        {
            var (record, key) = keys.Create("demo geologist", Api.Security.Role.Geologist);
            Console.WriteLine($"Created API key {record.Id} (geologist) for uploads and zoning runs — shown only now:");
            Console.WriteLine("  " + key);
            Console.WriteLine("  More: georisk keys add NAME --role planner|geologist|admin");
        }
    }

    public static Command Serve()
    {
        var store = StoreOption();
        var urls = UrlsOption();
        var command = new Command("serve", "Run the HTTP service on the store.") { store, urls };
        command.SetAction((parse, ct) => ServeAsync(parse.GetValue(store)!, parse.GetValue(urls)!, ct));
        return command;
    }

    public static Command Survey()
    {
        var store = StoreOption();
        var id = new Argument<string>("id") { Description = "Survey id: letters, digits, '-', '_', '.'." };
        var title = new Option<string>("--title") { Required = true, Description = "Title of the survey." };
        var scale = new Option<int>("--scale")
        {
            Description = "Scale denominator: 50000, 10000, … (0 for reference data).",
            DefaultValueFactory = _ => 50000,
        };
        var type = new Option<SurveyType>("--type")
        {
            Description = "Susceptibility, Hazard, Risk, FineSurvey or Reference.",
            DefaultValueFactory = _ => SurveyType.Susceptibility,
        };
        var org = new Option<string>("--organisation") { Description = "Who delivered it.", DefaultValueFactory = _ => "" };
        var completed = new Option<DateOnly?>("--completed-on") { Description = "Completion date (yyyy-MM-dd)." };
        var accepted = new Option<DateOnly?>("--accepted-on") { Description = "Acceptance date; omit for a draft, which never overrides accepted surveys." };
        var add = new Command("add", "Register or update a survey.") { id, title, scale, type, org, completed, accepted, store };
        add.SetAction(async (parse, ct) =>
        {
            var info = new SurveyInfo(parse.GetValue(id)!, parse.GetValue(title)!, parse.GetValue(scale), parse.GetValue(type), parse.GetValue(org)!,
                parse.GetValue(completed), Accepted: parse.GetValue(accepted) is not null, AcceptedOn: parse.GetValue(accepted));
            var problems = info.Validate();
            if (problems.Count > 0)
            {
                foreach (var p in problems)
                {
                    Console.Error.WriteLine("error: " + p);
                }

                return ExitCodes.Usage;
            }

            await using var gpkg = await OpenStoreAsync(parse.GetValue(store)!, ct);
            await gpkg.UpsertSurveyAsync(info, null, ct);
            Console.WriteLine($"Survey '{info.Id}' registered (1:{info.ScaleDenominator}, {(info.Accepted ? "accepted " + info.AcceptedOn : "draft")}).");
            return ExitCodes.Ok;
        });
        var list = new Command("list", "List surveys in order of precedence.") { store };
        list.SetAction(async (parse, ct) =>
        {
            await using var gpkg = await OpenStoreAsync(parse.GetValue(store)!, ct);
            var table = new TableOutput("precedence", "id", "scale", "type", "accepted", "title");
            var rank = 0;
            foreach (var s in SurveyPrecedence.Rank(await gpkg.ListSurveysAsync(ct)))
            {
                table.AddRow(
                    (++rank).ToString(CultureInfo.InvariantCulture),
                    s.Id,
                    s.ScaleDenominator == 0 ? "-" : $"1:{s.ScaleDenominator}",
                    s.Type.ToString(),
                    s.Accepted ? s.AcceptedOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "yes" : "draft", s.Title);
            }

            table.Write();
            return ExitCodes.Ok;
        });
        return new Command("survey", "Register and list surveys.") { add, list };
    }

    public static Command Ingest()
    {
        var store = StoreOption();
        var file = new Argument<FileInfo>("file") { Description = "Zipped Shapefile, GeoPackage, GeoJSON, KML or GeoTIFF." };
        var kind = new Option<string>("--kind") { Required = true, Description = "Layer kind: " + LayerKindExtensions.AllTokens };
        var survey = new Option<string>("--survey") { Required = true, Description = "Survey the layer belongs to (register it with 'georisk survey add')." };
        var layer = new Option<string?>("--layer") { Description = "Stored layer name (default: the kind)." };
        var crs = new Option<string?>("--crs") { Description = "Declared CRS, e.g. EPSG:4515; overrides the file's." };
        var sourceLayer = new Option<string?>("--source-layer") { Description = "Layer to read from a multi-layer file." };
        var map = new Option<string?>("--map") { Description = "Field mapping, e.g. grade=YFXDJ,hazard_type=ZHLX." };
        var resultJson = new Option<string?>("--result-json")
        {
            Description = "Also write the outcome (report, version) as JSON to this file (used by the service's parser worker).",
        };
        var uploader = new Option<string?>("--uploader") { Description = "Who uploaded it (default: the current user)." };
        var originalName = new Option<string?>("--original-name") { Description = "File name to record (default: the file's)." };
        var command = new Command("ingest", "Validate a survey file and publish it as a new layer version.")
        {
            file, kind, survey, layer, crs, sourceLayer, map, resultJson, uploader, originalName, store,
        };
        command.SetAction((parse, ct) => RunIngestAsync(
            new Api.Jobs.WorkerIngest(
                parse.GetValue(file)!.FullName,
                parse.GetValue(kind)!,
                parse.GetValue(survey)!,
                parse.GetValue(layer),
                parse.GetValue(crs),
                parse.GetValue(sourceLayer),
                parse.GetValue(map), parse.GetValue(uploader) ?? Environment.UserName, parse.GetValue(originalName) ?? parse.GetValue(file)!.Name)
            {
                ResultJson = parse.GetValue(resultJson),
                Store = parse.GetValue(store)!,
            }, ct));
        return command;
    }

    /// <summary>
    /// The service's parser worker: the job arrives as JSON on standard input, never as command-line text,
    /// so nothing an uploader chose (a file name, a CRS, a layer name) is ever parsed as an argument.
    /// </summary>
    public static Command IngestJob()
    {
        var command = new Command("ingest-job", "Run one upload job read as JSON from standard input (used by the service's parser worker).") { Hidden = true };
        command.SetAction(async (_, ct) =>
        {
            Api.Jobs.WorkerIngest? job;
            try
            {
                job = System.Text.Json.JsonSerializer.Deserialize<Api.Jobs.WorkerIngest>(await Console.In.ReadToEndAsync(ct), Api.Jobs.WorkerIngest.Json);
            }
            catch (System.Text.Json.JsonException ex)
            {
                Console.Error.WriteLine("error: the job is not valid JSON: " + ex.Message);
                return ExitCodes.Usage;
            }

            if (job is null || job.Store is null)
            {
                Console.Error.WriteLine("error: the job names no store.");
                return ExitCodes.Usage;
            }

            return await RunIngestAsync(job, ct);
        });
        return command;
    }

    private static async Task<int> RunIngestAsync(Api.Jobs.WorkerIngest job, CancellationToken ct)
    {
        if (!LayerKindExtensions.TryParse(job.Kind, out var layerKind))
        {
            Console.Error.WriteLine($"error: unknown kind '{job.Kind}'; use one of {LayerKindExtensions.AllTokens}.");
            return ExitCodes.Usage;
        }

        var input = new FileInfo(job.FilePath);
        if (!input.Exists)
        {
            Console.Error.WriteLine($"error: {job.OriginalName} does not exist.");
            return ExitCodes.NotFound;
        }

        IReadOnlyDictionary<string, string> fieldMap;
        try
        {
            fieldMap = FieldMapping.ParseExplicit(job.Map);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return ExitCodes.Usage;
        }

        await using var gpkg = await OpenStoreAsync(job.Store!, ct);
        if ((await gpkg.ListSurveysAsync(ct)).All(s => s.Id != job.SurveyId))
        {
            Console.Error.WriteLine($"error: survey '{job.SurveyId}' is not registered; run 'georisk survey add {job.SurveyId} --title …' first.");
            return ExitCodes.NotFound;
        }

        var request = new IngestRequest(input.FullName, layerKind, job.SurveyId, job.Layer, job.Crs, job.SourceLayer, fieldMap, job.Uploader, job.OriginalName);
        var result = await ConsoleProgress.RunAsync(
            input.Name, report => new SurveyIngestor(gpkg).IngestAsync(request, new Core.SyncProgress<IngestProgress>(report), ct));
        if (job.ResultJson is { } outcomePath)
        {
            var v0 = result.Version;
            await File.WriteAllTextAsync(outcomePath, System.Text.Json.JsonSerializer.Serialize(new
            {
                accepted = result.Accepted,
                rejectionCode = result.RejectionCode,
                report = result.Report,
                layer = v0 is null ? null : $"{v0.SurveyId}/{v0.LayerName}",
                version = v0?.Version,
                features = v0?.FeatureCount,
                sourceCrs = v0?.SourceCrs,
            }, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)), ct);
        }

        PrintReport(result.Report);
        if (!result.Accepted)
        {
            Console.Error.WriteLine($"rejected ({result.RejectionCode}): nothing was stored.");
            return ExitCodes.Rejected;
        }

        var v = result.Version!;
        Console.WriteLine(
            $"published {v.SurveyId}/{v.LayerName} version {v.Version}: {v.FeatureCount} {(layerKind.IsRaster() ? "cells" : "features")}, source CRS " +
            $"{v.SourceCrs}");
        return ExitCodes.Ok;
    }

    public static Command Layers()
    {
        var store = StoreOption();
        var command = new Command("layers", "List stored layers and their current versions.") { store };
        command.SetAction(async (parse, ct) =>
        {
            await using var gpkg = await OpenStoreAsync(parse.GetValue(store)!, ct);
            var table = new TableOutput("layer", "kind", "version", "features", "bounds (lon/lat)", "updated");
            foreach (var l in await gpkg.ListLayersAsync(ct))
            {
                var b = l.Bounds;
                table.AddRow(
                    l.Id,
                    l.Kind.ToToken(),
                    l.CurrentVersion.ToString(CultureInfo.InvariantCulture),
                    l.FeatureCount.ToString(CultureInfo.InvariantCulture),
                    b is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{b.MinX:0.###},{b.MinY:0.###} .. {b.MaxX:0.###},{b.MaxY:0.###}"),
                    l.UpdatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            }

            table.Write();
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Store()
    {
        var store = StoreOption();
        var check = new Command("check", "Check the store's consistency (after a crash, a full disk, a restore from backup).") { store };
        check.SetAction(async (parse, ct) =>
        {
            await using var gpkg = await OpenStoreAsync(parse.GetValue(store)!, ct);
            var problems = await gpkg.CheckConsistencyAsync(ct);
            foreach (var p in problems)
            {
                Console.Error.WriteLine("problem: " + p);
            }

            Console.WriteLine(problems.Count == 0 ? $"store {gpkg.Description.Location} is consistent" : $"{problems.Count} problems found");
            return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return new Command("store", "Maintain the store.") { check };
    }

    public static Command Samples()
    {
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => LocateSurveys() };
        var reference = new Option<string?>("--reference") { Description = "Folder of the real reference layers (default: OUT/reference)." };
        var arcSeconds = new Option<double>("--dem-arcsec") { Description = "DEM pixel size in arc-seconds.", DefaultValueFactory = _ => 1.0 };
        var noDem = new Option<bool>("--no-dem") { Description = "Do not generate the DEM." };
        var demOnly = new Option<bool>("--dem-only") { Description = "Only generate the DEM." };
        var region = new Option<string>("--region")
        {
            Description = "bortala (the committed sample set) or province (a SYNTHETIC Xinjiang-sized benchmark set, never committed; give --out).",
            DefaultValueFactory = _ => "bortala",
        };
        var zones = new Option<int>("--zones")
        {
            Description = "With --region province: 1:50000 zone polygons.",
            DefaultValueFactory = _ => new ProvinceOptions().Zones,
        };
        var cellSize = new Option<double>("--cell-size")
        {
            Description = "With --region province: the benchmark model's cell size in metres.",
            DefaultValueFactory = _ => 30,
        };
        var generate = new Command("generate", "Regenerate the Bortala sample survey set deterministically, or a synthetic province-size benchmark set.")
        {
            output, reference, arcSeconds, noDem, demOnly, region, zones, cellSize,
        };
        generate.SetAction(parse =>
        {
            if (parse.GetValue(region) == "province")
            {
                if (parse.GetResult(output) is not { Implicit: false })
                {
                    Console.Error.WriteLine("error: --region province needs --out (a folder outside the repository: the set is large and never committed)");
                    return ExitCodes.Usage;
                }

                var model = Path.Combine(LocateSurveys(), "models", "bortala-default.json");
                if (!File.Exists(model))
                {
                    Console.Error.WriteLine($"warning: {model} not found (run from the repository): the set gets no models/province-default.json");
                }

                new ProvinceGenerator(parse.GetValue(output)!, Console.WriteLine).Generate(new ProvinceOptions
                {
                    Zones = Math.Max(10, parse.GetValue(zones)),
                    DemArcSeconds = parse.GetResult(arcSeconds) is { Implicit: false } ? parse.GetValue(arcSeconds) : new ProvinceOptions().DemArcSeconds,
                    DefaultModel = File.Exists(model) ? model : null,
                    CellSize = parse.GetValue(cellSize),
                });
                return ExitCodes.Ok;
            }

            if (parse.GetValue(region) != "bortala")
            {
                Console.Error.WriteLine("error: --region is bortala or province");
                return ExitCodes.Usage;
            }

            var outDir = parse.GetValue(output)!;
            var refDir = parse.GetValue(reference) ?? Path.Combine(outDir, "reference");
            if (!File.Exists(Path.Combine(refDir, "ne10m_lakes.geojson")))
            {
                Console.Error.WriteLine($"error: reference layers not found in '{refDir}'.");
                return ExitCodes.NotFound;
            }

            new SampleSetGenerator(refDir, outDir, Console.WriteLine).Generate(new SampleOptions
            {
                DemArcSeconds = parse.GetValue(arcSeconds),
                IncludeDem = !parse.GetValue(noDem),
                IncludeVectors = !parse.GetValue(demOnly),
            });
            Console.WriteLine($"Sample set written to {Path.GetFullPath(outDir)}");
            return ExitCodes.Ok;
        });
        return new Command("samples", "The Bortala sample survey set.") { generate };
    }

    private static async Task<int> ServeAsync(string storeDir, string urls, CancellationToken ct)
    {
        var app = GeoRiskApp.Build(["--urls", urls], o =>
        {
            o.StoreDirectory = storeDir;
            if (File.Exists(ZoningCommands.DefaultModelPath()))
            {
                o.DefaultModelPath = ZoningCommands.DefaultModelPath();
            }
        });
        await app.StartAsync(ct);
        Console.WriteLine(
            $"GeoRisk {typeof(Commands).Assembly.GetName().Version?.ToString(3)} with GDAL {GdalRuntime.Version}, store {Path.GetFullPath(storeDir)}");
        foreach (var url in urls.Split(';'))
        {
            Console.WriteLine(
                $"Serving on {url}  —  web map {url.TrimEnd('/')}/ , health {url.TrimEnd('/')}/healthz , API {url.TrimEnd('/')}/openapi/v1.json");
        }

        Console.WriteLine("Press Ctrl+C to stop.");
        await app.WaitForShutdownAsync(ct);
        return ExitCodes.Ok;
    }

    internal static async Task<IGeoRiskStore> OpenStoreAsync(string dir, CancellationToken ct)
    {
        // GEORISK_POSTGRES switches every command to the PostGIS store, as it does the service.
        var store = GeoRiskApp.CreateStore(new GeoRiskServiceOptions { StoreDirectory = dir });
        await store.InitializeAsync(ct);
        return store;
    }

    private static void PrintReport(ValidationReport report)
    {
        Console.WriteLine(
            $"validation: {report.FeaturesRead} read, {report.FeaturesAccepted} accepted, {report.ErrorCount} errors, {report.WarningCount} warnings; source " +
            $"CRS {report.SourceCrs ?? "unknown"}");
        foreach (var f in report.Findings)
        {
            var where = f.FeatureId is { } id ? $" [feature {id}]" : "";
            var at = f.Lon is { } lon && f.Lat is { } lat ? string.Create(CultureInfo.InvariantCulture, $" at {lon:0.#####},{lat:0.#####}") : "";
            Console.WriteLine($"  {f.Severity.ToString().ToLowerInvariant()} {f.Code}{where}{at}: {f.Message}");
        }

        if (report.UnlistedFindings > 0)
        {
            Console.WriteLine($"  … and {report.UnlistedFindings} more findings");
        }
    }

    /// <summary>Finds surveys/ beside the working directory or above the executable (running from a build folder).</summary>
    internal static string LocateSurveys()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "surveys");
                if (File.Exists(Path.Combine(candidate, "manifest.json")) || Directory.Exists(Path.Combine(candidate, "reference")))
                {
                    return candidate;
                }
            }
        }

        return "surveys";
    }
}
