using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GeoRisk.Cluster;
using GeoRisk.Core;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Services;
using GeoRisk.Zoning;
using Microsoft.Extensions.DependencyInjection;

namespace GeoRisk.Cli;

/// <summary>georisk compute and georisk export.</summary>
internal static class ZoningCommands
{
    public static Command Compute()
    {
        var store = Commands.StoreOption();
        var model = new Option<string?>("--model") { Description = "Model file (JSON, see docs/MODEL.md); default surveys/models/bortala-default.json." };
        var extent = new Option<string?>("--extent") { Description = "Override the model's extent: admin:652701 or bbox:minLon,minLat,maxLon,maxLat." };
        var cellSize = new Option<double?>("--cell-size") { Description = "Override the model's cell size in metres (30 by default; 10 or 5 for key areas)." };
        var full = new Option<bool>("--full") { Description = "Recompute every cell even if only some layers changed." };
        var force = new Option<bool>("--force") { Description = "Run even if the current run already used this model and these inputs." };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: all cores)." };
        var blockSize = new Option<int?>("--block-size")
        {
            Description = "Stream the run block by block (bounded memory) with blocks this many cells wide; same result (docs/SCALE.md).",
        };
        var cluster = ClusterCommands.ClusterOption("Run the block passes (factors, combine, classify, minimum mapping unit, polygons) on the cluster at this address");
        var rasterDir = new Option<string?>("--raster-dir")
        {
            Description = "With --cluster: the shared raster folder (the workers' --raster-dir; default $GEORISK_RASTER_DIR).",
        };
        var command = new Command("compute", "Run the zoning model on the stored surveys and publish a new zoning run.")
        {
            model, extent, cellSize, full, force, threads, blockSize, cluster, rasterDir, store,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(blockSize) is < 1)
            {
                Console.Error.WriteLine("error: --block-size is a positive number of cells");
                return ExitCodes.Usage;
            }

            RiskModel m;
            try
            {
                m = LoadModel(parse.GetValue(model), parse.GetValue(extent), parse.GetValue(cellSize));
            }
            catch (Exception ex) when (ex is InvalidInputException or IOException or FormatException)
            {
                Console.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.Usage;
            }

            var request = new ZoningRunRequest
            {
                FullRecompute = parse.GetValue(full),
                Force = parse.GetValue(force),
                Threads = parse.GetValue(threads),
                BlockSize = parse.GetValue(blockSize),
            };
            var clusterAddress = ClusterCommands.ClusterAddress(parse.GetValue(cluster));
            var shared = parse.GetValue(rasterDir) ?? Environment.GetEnvironmentVariable("GEORISK_RASTER_DIR");
            if (clusterAddress is not null && string.IsNullOrEmpty(shared))
            {
                Console.Error.WriteLine("error: with --cluster the shared raster folder is needed (--raster-dir or $GEORISK_RASTER_DIR)");
                return ExitCodes.Usage;
            }

            await using var gpkg = await Commands.OpenStoreAsync(parse.GetValue(store)!, ct);
            // On the cluster the block passes run there (1024-cell blocks unless --block-size says otherwise); the run streams as in one process.
            using var host = clusterAddress is null ? null : await ClusterHosting.ConnectAsync(new ClusterClientOptions { Address = clusterAddress }, ct);
            var blocks = host is null ? null
                : new ClusterBlockGradeRunner(
                    host.Services.GetRequiredService<IClusterClient>(), shared!, parse.GetValue(threads) ?? Environment.ProcessorCount, TimeSpan.FromDays(1));
            try
            {
                var outcome = await RunWithProgressAsync(
                    gpkg, m, blocks is null ? request : request with { BlockSize = request.BlockSize ?? 1024 }, ct, blocks);
                PrintRun(outcome);
                return ExitCodes.Ok;
            }
            catch (InvalidInputException ex)
            {
                Console.Error.WriteLine($"error ({ex.Code}): {ex.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }

    /// <summary>The arguments and options of <c>georisk export</c>.</summary>
    private sealed record ExportOptions(
        Option<string> Store,
        Argument<string> What,
        Option<string> Format,
        Option<string> Product,
        Option<string> Level,
        Option<string?> Admin,
        Option<string> Paper,
        Option<string> Orientation,
        Option<string> Tileset,
        Option<int> MinZoom,
        Option<int> MaxZoom,
        Option<int?> Width,
        Option<string> Output,
        Option<int?> Run);

    /// <summary>
    /// What an export writes, once its arguments are valid: the kind (risk folded into index), the format, the file,
    /// the product and the census level.
    /// </summary>
    private sealed record ExportRequest(
        string What, string Format, string Path, PaperSize? Paper, ZoningProduct Product, string ProductName, string Level, string RasterKind)
    {
        public bool Township => Level == "township";
    }

    public static Command Export()
    {
        var o = new ExportOptions(
            Store: Commands.StoreOption(),
            What: new Argument<string>("what")
            {
                Description = "zoning, index, grade, risk (= index --product risk), map, census, exposure, flood-scenarios or tiles.",
            },
            Format: new Option<string>("--format")
            {
                Required = true,
                Description = "zoning: gpkg|geojson; index/grade/risk: cog|png; map: png|pdf; census, exposure, flood-scenarios: csv|json; "
                    + "tiles: pmtiles|mbtiles.",
            },
            Product: new Option<string>("--product")
            {
                Description = "zoning, index, grade, map, census, exposure: susceptibility (易发性, default), hazard (危险性) or risk (风险).",
                DefaultValueFactory = _ => "susceptibility",
            },
            Level: new Option<string>("--level")
            {
                Description = "census, exposure: county (default) or township (when a township layer was loaded).",
                DefaultValueFactory = _ => "county",
            },
            Admin: new Option<string?>("--admin") { Description = "map: the county's 6-digit code (GB/T 2260), e.g. 652723." },
            Paper: new Option<string>("--paper") { Description = "map pdf: A3 or A4.", DefaultValueFactory = _ => "A3" },
            Orientation: new Option<string>("--orientation") { Description = "map pdf: landscape or portrait.", DefaultValueFactory = _ => "landscape" },
            Tileset: new Option<string>("--tileset")
            {
                Description = "tiles: the tileset (zoning, coverage, survey:layer or a comma-joined list).",
                DefaultValueFactory = _ => "zoning",
            },
            MinZoom: new Option<int>("--min-zoom") { Description = "tiles: lowest zoom.", DefaultValueFactory = _ => 0 },
            MaxZoom: new Option<int>("--max-zoom") { Description = "tiles: highest zoom (at most 16).", DefaultValueFactory = _ => 14 },
            Width: new Option<int?>("--width") { Description = "PNG width in pixels (risk/grade: 2048; map: the map frame, 1400)." },
            Output: new Option<string>("-o", "--output") { Required = true, Description = "Output file." },
            Run: new Option<int?>("--run") { Description = "Zoning run id (default: the current run)." });
        var command = new Command(
            "export", "Export a zoning run's polygons, rasters, map or census table (of one product), or a tileset as a tile archive.")
        {
            o.What, o.Format, o.Product, o.Level, o.Output, o.Run, o.Width, o.Tileset, o.MinZoom, o.MaxZoom, o.Admin, o.Paper, o.Orientation, o.Store,
        };
        command.SetAction((parse, ct) => ExportAsync(parse, o, ct));
        return command;
    }

    private static async Task<int> ExportAsync(ParseResult parse, ExportOptions o, CancellationToken ct)
    {
        if (ReadExportRequest(parse, o) is not { } request)
        {
            return ExitCodes.Usage;
        }

        if (request.What == "tiles")
        {
            return await ExportTilesAsync(parse, o, request, ct);
        }

        await using var gpkg = await Commands.OpenStoreAsync(parse.GetValue(o.Store)!, ct);
        var info = await gpkg.GetZoningRunAsync(parse.GetValue(o.Run), ct);
        if (info is null)
        {
            Console.Error.WriteLine(
                parse.GetValue(o.Run) is { } id ? $"error: no zoning run {id}." : "error: no zoning run yet; run 'georisk compute' first.");
            return ExitCodes.NotFound;
        }

        if (File.Exists(request.Path))
        {
            File.Delete(request.Path);
        }

        var runRecord = ZoningRunRecord.FromJson(info.RecordJson);
        if (request.What is "zoning" or "index" or "grade" or "census" or "exposure" && runRecord.Product(request.Product) is null)
        {
            Console.Error.WriteLine(
                $"error: zoning run {info.Id} has no {request.ProductName} product (the risk product needs exposure layers; "
                + "runs before schema 3 have only susceptibility).");
            return ExitCodes.NotFound;
        }

        if (request.Township && request.What is "census" or "exposure" && runRecord.Product(request.Product)!.TownshipCensus.Count == 0)
        {
            Console.Error.WriteLine(
                $"error: zoning run {info.Id} has no township tables: no admin layer with township (9- or 12-digit) codes was loaded.");
            return ExitCodes.NotFound;
        }

        return await WriteExportAsync(parse, o, request, gpkg, info, runRecord, ct);
    }

    /// <summary>The export's request, or null (with the error printed) when the arguments do not make one.</summary>
    private static ExportRequest? ReadExportRequest(ParseResult parse, ExportOptions o)
    {
        var product = parse.GetValue(o.What)!.ToLowerInvariant();
        var fmt = parse.GetValue(o.Format)!.ToLowerInvariant();
        var valid = (product, fmt) is ("zoning", "gpkg" or "geojson") or ("index" or "risk" or "grade", "cog" or "png")
            or ("census" or "exposure" or "flood-scenarios", "csv" or "json")
            or ("tiles", "pmtiles" or "mbtiles") or ("map", "png" or "pdf");
        if (!valid)
        {
            Console.Error.WriteLine(
                $"error: cannot export {product} as {fmt}; use zoning gpkg|geojson, index|grade|risk cog|png, map png|pdf, "
                + "census|exposure|flood-scenarios csv|json, tiles pmtiles|mbtiles.");
            return null;
        }

        var paperSize = parse.GetValue(o.Paper)!.ToUpperInvariant() switch { "A3" => PaperSize.A3, "A4" => PaperSize.A4, _ => (PaperSize?)null };
        if (product == "map" && (paperSize is null || parse.GetValue(o.Orientation) is not ("landscape" or "portrait")))
        {
            Console.Error.WriteLine("error: --paper must be A3 or A4 and --orientation landscape or portrait.");
            return null;
        }

        if (product == "map" && (parse.GetValue(o.Admin) is not { Length: 6 } code || !code.All(char.IsAsciiDigit)))
        {
            Console.Error.WriteLine("error: map needs --admin with a 6-digit GB/T 2260 code, e.g. --admin 652723.");
            return null;
        }

        if (!ZoningRunRecord.TryParseProduct(parse.GetValue(o.Product), out var zoningProduct))
        {
            Console.Error.WriteLine("error: --product must be susceptibility, hazard or risk.");
            return null;
        }

        if (product == "risk")
        {
            (product, zoningProduct) = ("index", ZoningProduct.Risk);
        }

        var level = parse.GetValue(o.Level);
        if (level is not "county" and not "township")
        {
            Console.Error.WriteLine("error: --level must be county or township.");
            return null;
        }

        var rasterKind = RasterTileService.KindFor(zoningProduct, grade: product == "grade");
        return new ExportRequest(
            product, fmt, parse.GetValue(o.Output)!, paperSize, zoningProduct, ZoningRunRecord.ProductToken(zoningProduct), level, rasterKind);
    }

    /// <summary>A tileset as a PMTiles or MBTiles archive, written beside the target and moved into place when complete.</summary>
    private static async Task<int> ExportTilesAsync(ParseResult parse, ExportOptions o, ExportRequest request, CancellationToken ct)
    {
        var (min, max) = (parse.GetValue(o.MinZoom), parse.GetValue(o.MaxZoom));
        if (min < 0 || max > TileService.MaxZoom || min > max)
        {
            Console.Error.WriteLine($"error: zooms must satisfy 0 <= --min-zoom <= --max-zoom <= {TileService.MaxZoom}.");
            return ExitCodes.Usage;
        }

        var (fmt, path) = (request.Format, request.Path);
        await using var tileStore = await Commands.OpenStoreAsync(parse.GetValue(o.Store)!, ct);
        using var tiles = new TileService(tileStore, cacheTiles: false);
        var name = parse.GetValue(o.Tileset)!;
        var temp = path + ".partial";
        File.Delete(temp);
        (int Tiles, int Contents) written;
        var last = -1L;
        var progress = new Progress<(long Done, long Total)>(p =>
        {
            // One line per percent on stderr: the archive is the product, the progress a side channel.
            var percent = p.Done * 100 / Math.Max(1, p.Total);
            if (percent != Interlocked.Exchange(ref last, percent))
            {
                Console.Error.Write($"\r{p.Done:N0}/{p.Total:N0} tiles ({percent} %)");
            }
        });
        try
        {
            if (fmt == "mbtiles")
            {
                written = await TileArchiveExport.WriteMbTilesAsync(tiles, name, min, max, temp, progress, ct);
            }
            else
            {
                await using var file = File.Create(temp);
                written = await TileArchiveExport.WritePmTilesAsync(tiles, name, min, max, file, progress, ct);
            }
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        Console.Error.WriteLine();
        File.Move(temp, path, overwrite: true);
        Console.WriteLine(
            $"{written.Tiles:N0} tiles ({written.Contents:N0} distinct) of {name} z{min}-{max} written to {path} "
            + $"({(fmt == "mbtiles" ? "MBTiles 1.3" : "PMTiles v3")}, {new FileInfo(path).Length:N0} bytes)");
        return ExitCodes.Ok;
    }

    /// <summary>Writes one product of a run: zones, map, index/grade raster (COG or PNG), or a census, exposure or flood table.</summary>
    private static async Task<int> WriteExportAsync(
        ParseResult parse, ExportOptions o, ExportRequest request, IGeoRiskStore gpkg, ZoningRunInfo info, ZoningRunRecord runRecord, CancellationToken ct)
    {
        var (product, fmt, path, productName, township) = (request.What, request.Format, request.Path, request.ProductName, request.Township);
        switch (product)
        {
            case "zoning":
                var n = await ZoningExport.WriteZonesAsync(gpkg, info.Id, path, fmt == "gpkg" ? "GPKG" : "GeoJSON", ct, request.Product);
                Console.WriteLine($"{n} {productName} zones of run {info.Id} written to {path}");
                break;
            case "map":
                return await ExportMapAsync(parse, o, request, gpkg, info, ct);
            case "index" or "grade" when fmt == "png":
                var w = parse.GetValue(o.Width) ?? 2048;
                if (w is < 16 or > 16384)
                {
                    Console.Error.WriteLine("error: --width must be 16-16384.");
                    return ExitCodes.Usage;
                }

                await File.WriteAllBytesAsync(path, RasterTileService.RenderPng(info, request.RasterKind, w), ct);
                Console.WriteLine($"{productName} {product} map of run {info.Id} written to {path} (PNG, legend colours, transparent nodata)");
                break;
            case "grade":
                var gradeProduct = ZoningMapProduct.Of(info).First(p => p.Product == request.Product);
                ZoningExport.WriteGradeCog(gradeProduct, path);
                Console.WriteLine(
                    $"{productName} grade raster of run {info.Id} written to {path} "
                    + $"(COG with the grade colour table; category names in {Path.GetFileName(path)}.aux.xml)");
                break;
            case "index":
                File.Copy(RasterTileService.RasterOf(info, request.RasterKind), path);
                Console.WriteLine($"{productName} index raster of run {info.Id} written to {path} (COG)");
                break;
            case "exposure":
                var exposureOf = runRecord.Product(request.Product)!;
                await File.WriteAllTextAsync(
                    path,
                    fmt == "csv"
                        ? ZoningExport.ExposureCsv(exposureOf, township)
                        : JsonSerializer.Serialize(exposureOf.ExposureAt(township), ZoningRunRecord.Json),
                    ct);
                Console.WriteLine(
                    $"exposure census by {request.Level} and {productName} grade of run {info.Id} "
                    + $"({exposureOf.ExposureAt(township).Count} rows) written to {path}");
                break;
            case "flood-scenarios":
                var withFlood = ZoningRunRecord.FromJson(info.RecordJson);
                await File.WriteAllTextAsync(
                    path,
                    fmt == "csv" ? ZoningExport.FloodScenariosCsv(withFlood) : JsonSerializer.Serialize(withFlood.FloodScenarios, ZoningRunRecord.Json),
                    ct);
                foreach (var r in withFlood.FloodScenarios)
                {
                    Console.WriteLine($"  {r.Layer}: {r.Summary}");
                }

                Console.WriteLine($"flood scenarios of run {info.Id} ({withFlood.FloodScenarios.Count} rows) written to {path}");
                break;
            default:
                var censusOf = runRecord.Product(request.Product)!;
                await File.WriteAllTextAsync(
                    path,
                    fmt == "csv" ? ZoningExport.CensusCsv(censusOf, township) : JsonSerializer.Serialize(censusOf.CensusAt(township), ZoningRunRecord.Json),
                    ct);
                Console.WriteLine($"{productName} census by {request.Level} of run {info.Id} ({censusOf.CensusAt(township).Count} rows) written to {path}");
                break;
        }

        return ExitCodes.Ok;
    }

    /// <summary>The printable map of one county as PNG or PDF.</summary>
    private static async Task<int> ExportMapAsync(
        ParseResult parse, ExportOptions o, ExportRequest request, IGeoRiskStore gpkg, ZoningRunInfo info, CancellationToken ct)
    {
        if (ZoningMapProduct.Of(info).FirstOrDefault(p => p.Product == request.Product) is null)
        {
            Console.Error.WriteLine(
                $"error: zoning run {info.Id} has no {request.ProductName} zoning; "
                + $"it has: {string.Join(", ", ZoningMapProduct.Of(info).Select(p => p.Token))}.");
            return ExitCodes.NotFound;
        }

        if (parse.GetValue(o.Width) is < 400 or > 4000)
        {
            Console.Error.WriteLine("error: --width must be 400-4000 for a map.");
            return ExitCodes.Usage;
        }

        ZoningMapData mapData;
        try
        {
            mapData = await ZoningMapData.LoadAsync(gpkg, info, request.Product, parse.GetValue(o.Admin)!, ct);
        }
        catch (KeyNotFoundException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.NotFound;
        }

        var (fmt, path, paperSize) = (request.Format, request.Path, request.Paper);
        await File.WriteAllBytesAsync(path, fmt == "pdf"
            ? ZoningMapRenderer.RenderPdf(mapData, paperSize!.Value, parse.GetValue(o.Orientation) == "landscape")
            : ZoningMapRenderer.RenderPng(mapData, parse.GetValue(o.Width) ?? 1400), ct);
        Console.WriteLine(
            $"{mapData.Product.Name.En} map of {mapData.AdminName} ({mapData.AdminCode}), run {info.Id}, written to {path} "
            + $"({(fmt == "pdf" ? $"PDF {paperSize} {parse.GetValue(o.Orientation)}" : "PNG")})");
        return ExitCodes.Ok;
    }

    /// <summary>Loads the model and applies command-line overrides.</summary>
    /// <exception cref="InvalidInputException">The model or an override is invalid.</exception>
    internal static RiskModel LoadModel(string? file, string? extent, double? cellSize)
    {
        file ??= DefaultModelPath();
        if (!File.Exists(file))
        {
            throw new InvalidInputException("model-not-found", $"model file '{file}' does not exist.");
        }

        var model = RiskModel.Parse(File.ReadAllText(file));
        var grid = model.Grid;
        if (cellSize is { } cs)
        {
            grid = grid with { CellSize = cs };
        }

        if (extent is not null)
        {
            grid = grid with { Extent = ParseExtent(extent) };
        }

        model = model.WithGrid(grid);
        var problems = model.Validate();
        return problems.Count == 0 ? model : throw new InvalidInputException("invalid-model", string.Join(" ", problems));
    }

    internal static string DefaultModelPath() => GeoRisk.Api.GeoRiskServiceOptions.LocateDefaultModel();

    internal static async Task<ZoningRunOutcome> RunWithProgressAsync(IGeoRiskStore store, RiskModel model, ZoningRunRequest request, CancellationToken ct,
        IBlockGradeRunner? blocks = null) =>
        await ConsoleProgress.RunAsync($"zoning {model.Name}", (Func<Action<string, double>, Task<ZoningRunOutcome>>)(report =>
            new ZoningRunService(store, blocks).RunAsync(model, request,
                new SyncProgress<ZoningProgress>(p => report(p.Blocks is { } b ? $"{p.Stage} ({b.Describe()})" : p.Stage, p.Fraction)), ct)));

    internal static void PrintRun(ZoningRunOutcome outcome)
    {
        var r = outcome.Record;
        var run = outcome.Run;
        Console.WriteLine(outcome.Reused
            ? $"zoning run {run.Id} is current for this model and these inputs; nothing to compute (use --force to recompute)."
            : $"zoning run {run.Id} published: {run.ZoneCount} zones on a {r.Grid.Width}×{r.Grid.Height} grid of {r.Grid.CellSize} m ({r.Grid.Crs})");
        if (r.ConsistencyRatio is { } cr)
        {
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture, $"AHP: CR = {cr:0.0000}, weights {string.Join(", ", r.Factors.Select(f => $"{f.Id} {f.Weight:0.###}"))}"));
        }

        // One table per census product (docs/DOMAIN.md §1), each grade named with the product's census term.
        foreach (var p in r.Products.Count > 0 ? r.Products : [r.Product(ZoningProduct.Susceptibility)!])
        {
            Console.WriteLine(
                $"{p.TitleZh} {p.Title}: {p.Zones} zones; breaks " + string.Join(
                    " | ", p.Breaks.Select(b => b.ToString("0.####", CultureInfo.InvariantCulture))));
            var table = new TableOutput("grade", "area km²", "hazard points", "points/km²");
            foreach (var g in p.Grades)
            {
                var (term, termZh) = Grades.CensusTerm(g.Grade, p.Grades.Count, p.Product);
                table.AddRow(
                    $"{g.Grade} {term} {termZh}",
                    g.AreaKm2.ToString("0.##", CultureInfo.InvariantCulture),
                    g.HazardPoints.ToString(CultureInfo.InvariantCulture),
                    g.PointsPerKm2.ToString("0.####", CultureInfo.InvariantCulture));
            }

            table.Write();
            if (p.Validation is { } v)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"validation: ROC-AUC held-out {v.AucHeldOut?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-"} ({v.HeldOutPoints} points), all " +
                    $"{v.AucAll?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-"}; density rises with grade: {(v.DensityRises ? "yes" : "NO")}"));
            }
        }

        var inc = r.Incremental;
        Console.WriteLine(inc.Incremental
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"incremental: recomputed {string.Join(", ", inc.FactorsRecomputed)} on {inc.CellsRecomputed:N0} of {inc.CellsTotal:N0} factor cells")
            : "full run");
        // Every published index and grade cell: two runs of the same inputs, here or on a cluster, print the same.
        Console.WriteLine($"cells SHA-256: {r.CellsSha256}");
        Console.WriteLine("timings (s): " + string.Join(", ", r.Timings.Select(t => $"{t.Key} {t.Value.ToString("0.##", CultureInfo.InvariantCulture)}")));
    }

    private static GridExtent ParseExtent(string text)
    {
        if (text.StartsWith("admin:", StringComparison.OrdinalIgnoreCase))
        {
            return new GridExtent { Admin = text[6..] };
        }

        if (text.StartsWith("bbox:", StringComparison.OrdinalIgnoreCase))
        {
            var parts = text[5..].Split(',');
            var values = parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN).ToArray();
            return new GridExtent { Bbox = values };
        }

        throw new InvalidInputException("invalid-extent", $"--extent '{text}' must be admin:CODE or bbox:minLon,minLat,maxLon,maxLat.");
    }
}
