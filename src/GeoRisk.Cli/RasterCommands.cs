using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GeoRisk.Core;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Raster;
using GeoRisk.Raster.Distance;
using GeoRisk.Raster.MapAlgebra;
using GeoRisk.Raster.Rasterize;
using GeoRisk.Raster.Terrain;
using GeoRisk.Storage.GeoPackage;

namespace GeoRisk.Cli;

/// <summary>`georisk raster …`: the engine over GeoTIFF files, with GDAL-like arguments (inputs before outputs).</summary>
internal static class RasterCommands
{
    private static Option<int> ThreadsOption() => new("--threads")
    {
        Description = "Threads to use (default: all cores).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    private static Option<string[]> CreationOptionsOption() => new("--co")
    {
        Description =
            "GeoTIFF creation option for the output, NAME=VALUE, repeatable, as gdal_translate -co (e.g. --co COMPRESS=DEFLATE --co PREDICTOR=3). Default: " +
            "tiled 256x256, uncompressed.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>An output GeoTIFF with the command's --co options over the defaults.</summary>
    private static GdalRasterSink Output(ParseResult parse, Option<string[]> co, string path, GridSpec grid) =>
        parse.GetValue(co) is { Length: > 0 } given ? new GdalRasterSink(
            path, grid, creationOptions: GdalRasterSink.CreationOptionsWith(given)) : new GdalRasterSink(path, grid);

    private static Option<bool> NoSimdOption() => new("--no-simd") { Description = "Use the scalar kernels (reference) instead of Vector256." };

    private static RasterOptions Options(
        ParseResult parse, Option<int> threads, Option<bool> noSimd, IProgress<double>? progress = null, CancellationToken ct = default) => new()
    {
        MaxDegreeOfParallelism = Math.Max(1, parse.GetValue(threads)),
        Vectorize = !parse.GetValue(noSimd),
        Progress = progress,
        CancellationToken = ct,
    };

    /// <summary>Runs a streamed operation under a progress bar (one line per phase when output is redirected).</summary>
    private static void WithProgress(string title, Action<IProgress<double>> work) =>
        ConsoleProgress.RunAsync(title, report =>
        {
            work(new SyncProgress<double>(p => report("computing", p)));
            return Task.FromResult(0);
        }).GetAwaiter().GetResult();

    public static Command Create() => new("raster", "Raster engine over GeoTIFF files: calc, rasterize, proximity, slope.")
    {
        Calc(),
        Rasterize(),
        Proximity(),
        Slope(),
        Classify(),
        SieveCommand(),
        PolygonizeCommand(),
        ClusterCommands.Zones(),
        Zonal(),
    };

    private static Command Zonal()
    {
        var zones = new Argument<string>("zones") { Description = "Zone polygons (e.g. county outlines), in the raster's CRS or transformable to it." };
        var values = new Argument<string>("values") { Description = "Raster summarised per zone (min, max, mean, sum)." };
        var classes = new Option<string?>("--classes") { Description = "Class raster on the same grid: cell count and area per class per zone." };
        var field = new Option<string?>("--field") { Description = "Zone attribute to label rows with (default: the feature id)." };
        var output = new Option<string?>("-o", "--output") { Description = "CSV file to write (default: standard output)." };
        var command = new Command("zonal", "Zonal statistics per polygon (cells whose centre is inside), as CSV.") { zones, values, classes, field, output };
        command.SetAction(parse =>
        {
            using var source = new GdalRasterSource(parse.GetValue(values)!);
            var grid = source.Grid;
            using var classSource = parse.GetValue(classes) is { } classPath ? new GdalRasterSource(classPath) : null;
            if (classSource is not null && !classSource.Grid.IsAlignedWith(grid))
            {
                Console.Error.WriteLine("error: --classes must be on the same grid as the values raster.");
                return ExitCodes.Usage;
            }

            using var vector = VectorDataset.OpenRead(parse.GetValue(zones)!, SurveyIngestor.VectorDrivers);
            using var transform = ToGridCrs(vector, 0, grid);
            var features = vector.ReadFeatures(0, transform).Where(f => f.Geometry is not null).ToList();
            var labelField = parse.GetValue(field);
            var stats = Raster.Classify.ZonalStatistics.Compute(features.Select(f => f.Geometry!).ToList(), grid.Transform, grid.Width, grid.Height,
                source.ReadAll(), classSource?.ReadAll());
            var classValues = stats.SelectMany(s => s.CellsPerClass.Keys).Distinct().Order().ToList();
            var cellArea = Math.Abs(grid.Transform.PixelWidth * grid.Transform.PixelHeight);
            using var writer = parse.GetValue(output) is { } path ? new StreamWriter(path) : new StreamWriter(Console.OpenStandardOutput());
            writer.WriteLine(string.Join(",", new[] { "zone", "cells", "area", "min", "max", "mean", "sum" }
                .Concat(classValues.SelectMany(c => new[] { $"class_{c}_cells", $"class_{c}_area" }))));
            for (var i = 0; i < features.Count; i++)
            {
                var label = labelField is not null && features[i].Attributes.TryGetValue(labelField, out var v) ? Convert.ToString(
                    v, CultureInfo.InvariantCulture) : features[i].Fid.ToString(CultureInfo.InvariantCulture);
                var s = stats[i];
                writer.WriteLine(string.Join(",", new[]
                {
                    Csv(label ?? ""), s.Cells.ToString(CultureInfo.InvariantCulture), (s.Cells * cellArea).ToString("R", CultureInfo.InvariantCulture),
                    s.Min.ToString("R", CultureInfo.InvariantCulture), s.Max.ToString("R", CultureInfo.InvariantCulture),
                    s.Mean.ToString("R", CultureInfo.InvariantCulture), s.Sum.ToString("R", CultureInfo.InvariantCulture),
                }.Concat(classValues.SelectMany(c =>
                {
                    var n = s.CellsPerClass.GetValueOrDefault(c);
                    return new[] { n.ToString(CultureInfo.InvariantCulture), (n * cellArea).ToString("R", CultureInfo.InvariantCulture) };
                }))));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The transformation from a vector layer's CRS to a raster grid's, or null when either declares none.</summary>
    private static CoordinateTransformation? ToGridCrs(VectorDataset vector, int layer, GridSpec grid)
    {
        using var layerCrs = vector.GetLayerCrs(layer);
        using var rasterCrs = string.IsNullOrEmpty(grid.CrsWkt) ? null : SpatialReference.Parse(grid.CrsWkt);
        // PROJ keeps its own copies of both CRSs, so they can be released here.
        return layerCrs is not null && rasterCrs is not null ? CoordinateTransformation.Create(layerCrs, rasterCrs) : null;
    }

    private static string Csv(string s) => s.Contains(',', StringComparison.Ordinal) ||
        s.Contains('"', StringComparison.Ordinal) ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    private static Command Classify()
    {
        var input = new Argument<string>("input") { Description = "Continuous raster (e.g. a risk index)." };
        var output = new Argument<string>("output") { Description = "Grade raster 1..N (Float32, nodata -9999)." };
        var method = new Option<string>("--method") { Description = "natural (Jenks), quantile, equal or fixed.", DefaultValueFactory = _ => "natural" };
        var classes = new Option<int>("--classes") { Description = "Number of grades.", DefaultValueFactory = _ => 4 };
        var breaks = new Option<string?>("--breaks") { Description = "Comma-separated breaks for --method fixed." };
        var co = CreationOptionsOption();
        var command = new Command("classify", "Classify a raster into N grades; prints the breaks used.") { input, output, method, classes, breaks, co };
        command.SetAction(parse =>
        {
            using var source = new GdalRasterSource(parse.GetValue(input)!);
            var data = source.ReadAll();
            var n = parse.GetValue(classes);
            var sample = Raster.Classify.Breaks.Sample(data.Data);
            double[] used;
            switch (parse.GetValue(method))
            {
                case "natural": used = Raster.Classify.Breaks.NaturalBreaks(sample, n); break;
                case "quantile": used = Raster.Classify.Breaks.Quantile(sample, n); break;
                case "equal": used = Raster.Classify.Breaks.EqualInterval(sample, n); break;
                case "fixed" when parse.GetValue(breaks) is { } text:
                    used = text.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                    break;
                default:
                    Console.Error.WriteLine("error: --method is natural, quantile, equal, or fixed with --breaks");
                    return ExitCodes.Usage;
            }

            using (var sink = Output(parse, co, parse.GetValue(output)!, source.Grid))
            {
                sink.WriteAll(Raster.Classify.Breaks.Classify(data, used));
            }

            Console.WriteLine("breaks: " + string.Join(", ", used.Select(b => b.ToString("G6", CultureInfo.InvariantCulture))));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command SieveCommand()
    {
        var input = new Argument<string>("input") { Description = "Class raster." };
        var output = new Argument<string>("output") { Description = "Sieved class raster." };
        var minCells = new Option<int>("--min-cells")
        {
            Required = true,
            Description = "Regions smaller than this many cells merge into their largest neighbour.",
        };
        var eight = new Option<bool>("--eight") { Description = "8-connectivity (default 4)." };
        var co = CreationOptionsOption();
        var command = new Command("sieve", "Remove regions below a minimum mapping unit, as gdal_sieve.") { input, output, minCells, eight, co };
        command.SetAction(parse =>
        {
            using var source = new GdalRasterSource(parse.GetValue(input)!);
            var sieved = Raster.Classify.Sieve.Apply(source.ReadAll(), parse.GetValue(minCells), parse.GetValue(eight));
            using var sink = Output(parse, co, parse.GetValue(output)!, source.Grid);
            sink.WriteAll(sieved);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command PolygonizeCommand()
    {
        var input = new Argument<string>("input") { Description = "Class raster." };
        var output = new Argument<string>("output") { Description = "GeoPackage to create (layer 'zones', field 'class')." };
        var eight = new Option<bool>("--eight") { Description = "8-connectivity (default 4)." };
        var simplify = new Option<double?>("--simplify")
        {
            Description = "Simplify as a coverage (no gaps or overlaps) with this tolerance in map units, e.g. one cell size.",
        };
        var threads = ThreadsOption();
        var command = new Command("polygonize", "Turn a class raster into valid polygons with holes.") { input, output, eight, simplify, threads };
        command.SetAction(parse =>
        {
            using var source = new GdalRasterSource(parse.GetValue(input)!);
            var sw = Stopwatch.StartNew();
            var polygons = Raster.Vectorize.Polygonizer.Polygonize(
                source, parse.GetValue(eight), options: new RasterOptions { MaxDegreeOfParallelism = Math.Max(1, parse.GetValue(threads)) });
            if (parse.GetValue(simplify) is { } tolerance)
            {
                polygons = Raster.Vectorize.CoverageSimplification.Simplify(polygons, tolerance);
            }

            // Written straight to SQLite: GDAL's GeoPackage writer, fed feature by feature, took about as
            // long as the polygonize itself (benchmarks/RESULTS.md).
            using var writer = GeoPackageFeatureWriter.Create(parse.GetValue(output)!, "zones", "POLYGON", GeoPackageCrsOf(source.Grid.CrsWkt), ["class"]);
            Span<double> value = stackalloc double[1];
            foreach (var p in polygons)
            {
                value[0] = p.Value;
                writer.Add(p.Polygon, value);
            }

            writer.Complete();

            Console.WriteLine($"{polygons.Count} polygons in {sw.Elapsed.TotalSeconds:0.00} s → {parse.GetValue(output)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The GeoPackage CRS row for a raster's CRS: its EPSG code when it has one.</summary>
    private static GeoPackageCrs GeoPackageCrsOf(string wkt)
    {
        if (string.IsNullOrEmpty(wkt))
        {
            return GeoPackageCrs.Undefined;
        }

        using var crs = SpatialReference.Parse(wkt);
        return crs.EpsgCode is { } code ? GeoPackageCrs.Epsg(code, crs.Name, crs.Wkt) : GeoPackageCrs.Custom(crs.Name, crs.Wkt);
    }

    private static Command Calc()
    {
        var output = new Option<string>("-o", "--output") { Required = true, Description = "Output GeoTIFF (Float32, nodata -9999)." };
        var expr = new Option<string>("--expr") { Required = true, Description = "Expression over band names, e.g. \"0.4*a+0.3*b+0.2*c+0.1*d\"." };
        var inputs = new Argument<string[]>("inputs") { Description = "NAME=FILE.tif for every band the expression uses.", Arity = ArgumentArity.OneOrMore };
        var threads = ThreadsOption();
        var noSimd = NoSimdOption();
        var co = CreationOptionsOption();
        var command = new Command("calc", "Evaluate a map-algebra expression cell by cell (streamed, bounded memory).")
        {
            output, expr, inputs, threads, noSimd, co,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (ParseExpression(parse.GetValue(expr)!) is not { } expression || InputFiles(parse.GetValue(inputs)!, expression) is not { } files)
            {
                return ExitCodes.Usage;
            }

            var sources = new List<GdalRasterSource>();
            try
            {
                foreach (var v in expression.Variables)
                {
                    sources.Add(new GdalRasterSource(files[v]));
                }

                var grid = sources.Count > 0 ? sources[0].Grid : throw new ArgumentException("The expression uses no band.");
                var misaligned = sources.FirstOrDefault(s => !s.Grid.IsAlignedWith(grid));
                if (misaligned is not null)
                {
                    Console.Error.WriteLine(
                        "error: the inputs are not on the same grid; resample them first (georisk aligns rasters in the risk model; gdalwarp -tr/-te here).");
                    return ExitCodes.Usage;
                }

                var sw = Stopwatch.StartNew();
                using (var sink = Output(parse, co, parse.GetValue(output)!, grid))
                {
                    await ConsoleProgress.RunAsync("calc", report =>
                    {
                        RasterCalculator.Run(
                            expression,
                            sources,
                            sink,
                            Options(parse, threads, noSimd, new Progress<double>(p => report(new IngestProgress("computing", p))), ct));
                        return Task.FromResult(0);
                    });
                }

                Console.WriteLine($"{grid.Width}x{grid.Height} cells in {sw.Elapsed.TotalSeconds:0.00} s → {parse.GetValue(output)}");
                return ExitCodes.Ok;
            }
            finally
            {
                foreach (var s in sources)
                {
                    s.Dispose();
                }
            }
        });
        return command;
    }

    /// <summary>The parsed expression, or null with the error and a caret under its column printed.</summary>
    private static Expression? ParseExpression(string text)
    {
        try
        {
            return Expression.Parse(text);
        }
        catch (ExpressionSyntaxException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            Console.Error.WriteLine("  " + text);
            Console.Error.WriteLine("  " + new string(' ', Math.Max(0, ex.Column - 1)) + "^");
            return null;
        }
    }

    /// <summary>The file of each band (NAME=FILE.tif), or null with the error printed when a pair is malformed or a band has none.</summary>
    private static Dictionary<string, string>? InputFiles(string[] pairs, Expression expression)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                Console.Error.WriteLine($"error: '{pair}' must be NAME=FILE.tif");
                return null;
            }

            files[pair[..eq]] = pair[(eq + 1)..];
        }

        var missing = expression.Variables.Where(v => !files.ContainsKey(v)).ToList();
        if (missing.Count > 0)
        {
            Console.Error.WriteLine($"error: no file given for {string.Join(", ", missing)} (pass {missing[0]}=FILE.tif)");
            return null;
        }

        return files;
    }

    private static Command Rasterize()
    {
        var input = new Argument<string>("vector") { Description = "Vector file (GeoPackage, Shapefile, GeoJSON, …)." };
        var output = new Argument<string>("output") { Description = "Output GeoTIFF (Float32, nodata -9999)." };
        var like = new Option<string>("--like") { Required = true, Description = "Raster whose grid (size, transform, CRS) the output takes." };
        var attr = new Option<string?>("--attr") { Description = "Numeric attribute to burn." };
        var burn = new Option<double?>("--burn") { Description = "Constant to burn (default 1 when --attr is absent)." };
        var layer = new Option<string?>("--layer") { Description = "Layer name in a multi-layer file." };
        var allTouched = new Option<bool>("--all-touched") { Description = "Burn every cell a geometry touches, not only those whose centre is inside." };
        var merge = new Option<MergeRule>("--merge") { Description = "Replace (later wins) or Maximum.", DefaultValueFactory = _ => MergeRule.Replace };
        var co = CreationOptionsOption();
        var threads = ThreadsOption();
        var command = new Command("rasterize", "Burn polygons, lines and points into a raster aligned with --like.")
        {
            input, output, like, attr, burn, layer, allTouched, merge, co, threads,
        };
        command.SetAction(parse =>
        {
            using var template = new GdalRasterSource(parse.GetValue(like)!);
            var grid = template.Grid;
            using var vector = VectorDataset.OpenRead(parse.GetValue(input)!, SurveyIngestor.VectorDrivers.Concat(["ESRI Shapefile"]).ToList());
            var layers = vector.Layers;
            var info = parse.GetValue(layer) is { } name ? layers.FirstOrDefault(l => l.Name == name) : layers.FirstOrDefault();
            if (info is null)
            {
                Console.Error.WriteLine($"error: no layer '{parse.GetValue(layer)}' (layers: {string.Join(", ", layers.Select(l => l.Name))})");
                return ExitCodes.Usage;
            }

            using var transform = ToGridCrs(vector, info.Index, grid);
            var attribute = parse.GetValue(attr);
            var constant = (float)(parse.GetValue(burn) ?? 1);
            var features = new List<(NetTopologySuite.Geometries.Geometry, float)>();
            foreach (var feature in vector.ReadFeatures(info.Index, transform))
            {
                if (feature.Geometry is null)
                {
                    continue;
                }

                var value = constant;
                if (attribute is not null)
                {
                    if (!feature.Attributes.TryGetValue(attribute, out var raw))
                    {
                        Console.Error.WriteLine($"error: no attribute '{attribute}' (fields: {string.Join(", ", feature.Attributes.Keys)})");
                        return ExitCodes.Usage;
                    }

                    value = raw is null ? float.NaN : Convert.ToSingle(raw, CultureInfo.InvariantCulture);
                }

                features.Add((feature.Geometry, value));
            }

            var count = features.Count;
            using (var sink = Output(parse, co, parse.GetValue(output)!, grid))
            {
                // Strip by strip: bounded memory, and each strip is written while the next is burnt.
                WithProgress(
                    "rasterize",
                    progress =>
                        Rasterizer.Burn(
                            features,
                            sink,
                            parse.GetValue(allTouched),
                            parse.GetValue(merge),
                            new RasterOptions { Progress = progress, MaxDegreeOfParallelism = Math.Max(1, parse.GetValue(threads)) }));
            }

            Console.WriteLine($"{count} features burnt into {grid.Width}x{grid.Height} cells → {parse.GetValue(output)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Proximity()
    {
        var input = new Argument<string>("source") { Description = "Raster whose non-zero (or --values) cells are the sources." };
        var output = new Argument<string>("output") { Description = "Distance GeoTIFF in map units (Float32, nodata -9999)." };
        var values = new Option<string?>("--values") { Description = "Comma-separated source values (default: any non-zero, non-nodata cell)." };
        var maxDist = new Option<double?>("--maxdist") { Description = "Cells farther than this (map units) get nodata." };
        var index = new Option<string?>("--nearest")
        {
            Description = "Also write, per cell, the source raster's value at the nearest source cell (e.g. the fault id).",
        };
        var threads = ThreadsOption();
        var co = CreationOptionsOption();
        var command = new Command("proximity", "Exact Euclidean distance to the nearest source cell (map units).")
        {
            input, output, values, maxDist, index, threads, co,
        };
        command.SetAction(parse =>
        {
            using var source = new GdalRasterSource(parse.GetValue(input)!);
            var grid = source.Grid;
            var wanted = parse.GetValue(values)?.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToHashSet();
            var sources = source.ReadSources(wanted);
            var maximum = parse.GetValue(maxDist) ?? double.PositiveInfinity;
            var options = new RasterOptions { MaxDegreeOfParallelism = parse.GetValue(threads) };
            var sw = Stopwatch.StartNew();
            if (parse.GetValue(index) is not { } indexPath)
            {
                using var sink = Output(parse, co, parse.GetValue(output)!, grid);
                WithProgress(
                    "proximity",
                    progress => DistanceTransform.Distance(
                        sources, sink, grid.Transform.PixelWidth, grid.Transform.PixelHeight, maximum, options with { Progress = progress }));
            }
            else
            {
                var result = DistanceTransform.Compute(sources, grid.Transform.PixelWidth, grid.Transform.PixelHeight, maximum, options);
                using (var sink = Output(parse, co, parse.GetValue(output)!, grid))
                {
                    sink.WriteAll(result.Distance);
                }

                var data = source.ReadAll();
                var nearest = new RasterBuffer<float>(grid.Width, grid.Height);
                for (var i = 0; i < nearest.Data.Length; i++)
                {
                    var k = result.NearestIndex.Data[i];
                    nearest.Data[i] = k < 0 ? float.NaN : data.Data[k];
                }

                using var indexSink = Output(parse, co, indexPath, grid);
                indexSink.WriteAll(nearest);
            }

            Console.WriteLine($"distance transform of {grid.Width}x{grid.Height} cells in {sw.Elapsed.TotalSeconds:0.00} s → {parse.GetValue(output)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Slope()
    {
        var input = new Argument<string>("dem") { Description = "DEM GeoTIFF (metres)." };
        var output = new Argument<string>("output") { Description = "Slope GeoTIFF (Float32, nodata -9999)." };
        var percent = new Option<bool>("--percent") { Description = "Percent rise instead of degrees." };
        var scale = new Option<double?>("--scale")
        {
            Description = "Ratio of vertical to horizontal units (gdaldem -s); for geographic DEMs the default derives metres from latitude.",
        };
        var aspect = new Option<string?>("--aspect") { Description = "Also write aspect (azimuth degrees, nodata where flat) to this file." };
        var threads = ThreadsOption();
        var co = CreationOptionsOption();
        var command = new Command("slope", "Slope (and aspect) with Horn's method, as gdaldem.") { input, output, percent, scale, aspect, threads, co };
        command.SetAction(parse =>
        {
            using var source = new GdalRasterSource(parse.GetValue(input)!);
            var grid = source.Grid;
            var (ew, ns) = (Math.Abs(grid.Transform.PixelWidth), Math.Abs(grid.Transform.PixelHeight));
            if (parse.GetValue(scale) is { } s)
            {
                (ew, ns) = (ew * s, ns * s);
            }
            else if (!string.IsNullOrEmpty(grid.CrsWkt))
            {
                using var crs = SpatialReference.Parse(grid.CrsWkt);
                if (crs.IsGeographic)
                {
                    var lat = (grid.MinY + grid.MaxY) / 2 * Math.PI / 180;
                    (ew, ns) = (ew * 111_320 * Math.Cos(lat), ns * 110_574);
                    Console.WriteLine($"geographic DEM: cells taken as {ew:0.##} m x {ns:0.##} m at the centre latitude");
                }
            }

            var options = new RasterOptions { MaxDegreeOfParallelism = parse.GetValue(threads) };
            var sw = Stopwatch.StartNew();
            using (var sink = Output(parse, co, parse.GetValue(output)!, grid))
            {
                // Streamed: the DEM is never held whole, and reading, computing and writing overlap.
                WithProgress(
                    "slope",
                    progress => SlopeAspect.Slope(
                        source, sink, ew, ns, parse.GetValue(percent) ? SlopeUnit.Percent : SlopeUnit.Degrees, options with { Progress = progress }));
            }

            if (parse.GetValue(aspect) is { } aspectPath)
            {
                using var sink = Output(parse, co, aspectPath, grid);
                sink.WriteAll(SlopeAspect.Aspect(source.ReadAll(), options));
            }

            Console.WriteLine($"slope of {grid.Width}x{grid.Height} cells in {sw.Elapsed.TotalSeconds:0.00} s → {parse.GetValue(output)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
