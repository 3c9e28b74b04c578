using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using GeoRisk.Cluster;
using GeoRisk.Gdal;
using GeoRisk.Raster.Blocks;
using GeoRisk.Raster.Vectorize;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GeoRisk.Cli;

/// <summary><c>georisk worker</c> (a cluster silo) and <c>georisk raster zones</c> (block-wise classify, sieve, polygonize, here or on the cluster);
/// docs/SCALE.md.</summary>
internal static class ClusterCommands
{
    public static Command Worker()
    {
        var postgres = new Option<string?>("--postgres")
        {
            Description = "PostgreSQL connection string for membership and run state (default $GEORISK_POSTGRES); "
                + "without it a single-machine cluster on localhost.",
        };
        var rasterDir = new Option<string>("--raster-dir")
        {
            Required = true,
            Description = "The shared raster folder (the PostGIS store's raster directory), the same on every worker.",
        };
        var threads = new Option<int>("--threads")
        {
            Description = "Blocks computed at once on this worker.",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var siloPort = new Option<int>("--silo-port") { Description = "Port for silo-to-silo traffic.", DefaultValueFactory = _ => 11111 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Port clients connect to.", DefaultValueFactory = _ => 30000 };
        var advertise = new Option<string>("--advertise")
        {
            Description = "IP address other workers reach this one at, or 'auto' for this host name's first IPv4 address (containers).",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var name = new Option<string?>("--name") { Description = "Worker name shown in progress (default: host and port)." };
        var detection = new Option<double?>("--failure-detection")
        {
            Description = "Seconds without answers after which a worker is declared dead (default: Orleans' ~30 s).",
        };
        var primary = new Option<int?>("--primary-port")
        {
            Description = "Without --postgres: the silo port of the first worker, which the others join on this machine (default: this worker's own).",
        };
        var parent = new Option<int?>("--parent-pid") { Hidden = true, Description = "Exit when this process is gone (workers started by tests)." };
        var command = new Command("worker", "Run a cluster worker (an Orleans silo) that computes blocks of runs.")
        {
            postgres, rasterDir, threads, siloPort, gatewayPort, advertise, name, detection, primary, parent,
        };
        command.SetAction(async (parse, ct) =>
        {
            var address = await AdvertisedAddressAsync(parse.GetValue(advertise)!, ct);
            if (address is null)
            {
                Console.Error.WriteLine("error: --advertise is an IP address or 'auto' (and 'auto' found none for this host)");
                return ExitCodes.Usage;
            }

            var folder = parse.GetValue(rasterDir)!;
            if (!Directory.Exists(folder))
            {
                Console.Error.WriteLine($"error: raster folder '{folder}' does not exist");
                return ExitCodes.NotFound;
            }

            var options = new WorkerOptions
            {
                Postgres = parse.GetValue(postgres) ?? PostgresFromEnvironment(),
                RasterDirectory = folder,
                Threads = Math.Max(1, parse.GetValue(threads)),
                SiloPort = parse.GetValue(siloPort),
                GatewayPort = parse.GetValue(gatewayPort),
                AdvertisedAddress = address,
                SiloName = parse.GetValue(name) ?? $"{Environment.MachineName}:{parse.GetValue(siloPort)}",
                FailureDetection = parse.GetValue(detection) is { } s ? TimeSpan.FromSeconds(s) : null,
                PrimarySiloPort = parse.GetValue(primary),
            };
            using var host = await ClusterHosting.StartWorkerAsync(options, ct);
            Console.WriteLine(
                $"worker {options.SiloName} ready: {options.Threads} threads, silo port {options.SiloPort}, gateway port {options.GatewayPort}, " +
                (options.Postgres is null ? "localhost cluster" : "PostgreSQL membership"));
            ExitWithParent(parse.GetValue(parent));
            await host.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string? PostgresFromEnvironment() =>
        Environment.GetEnvironmentVariable("GEORISK_POSTGRES") is { Length: > 0 } pg ? pg : null;

    /// <summary>The address given, or for "auto" this host name's first IPv4 address; null when there is none.</summary>
    private static async Task<IPAddress?> AdvertisedAddressAsync(string advertised, CancellationToken ct)
    {
        if (advertised == "auto")
        {
            return (await Dns.GetHostAddressesAsync(Environment.MachineName, ct))
                .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        }

        return IPAddress.TryParse(advertised, out var address) ? address : null;
    }

    /// <summary>Ends this worker once the process that started it, if one is named, is gone (workers started by tests).</summary>
    private static void ExitWithParent(int? parentPid)
    {
        if (parentPid is null)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            while (Directory.Exists($"/proc/{parentPid}"))
            {
                await Task.Delay(1000);
            }

            Environment.Exit(ExitCodes.Failure);
        });
    }

    /// <summary>The arguments and options of <c>georisk raster zones</c>.</summary>
    private sealed record ZonesOptions(
        Argument<string> Input,
        Argument<string> Grade,
        Argument<string> Zones,
        Option<int> Classes,
        Option<string> Method,
        Option<int> Sample,
        Option<int> MinCells,
        Option<bool> Eight,
        Option<int> BlockSize,
        Option<int> Threads,
        Option<string?> Cluster,
        Option<string?> RasterDir,
        Option<double> Timeout);

    public static Command Zones()
    {
        var o = new ZonesOptions(
            Input: new Argument<string>("index") { Description = "Index raster (e.g. a risk index)." },
            Grade: new Argument<string>("grade") { Description = "Grade raster to write (COG, 1..N, after the minimum mapping unit)." },
            Zones: new Argument<string>("zones") { Description = "GeoPackage of zones to write (layer 'zones', field 'class')." },
            Classes: new Option<int>("--classes") { Description = "Number of grades.", DefaultValueFactory = _ => 4 },
            Method: new Option<string>("--method")
            {
                Description = "natural, quantile or equal (breaks from a hashed sample of --sample cells).",
                DefaultValueFactory = _ => "natural",
            },
            Sample: new Option<int>("--sample") { Description = "Cells sampled for the breaks.", DefaultValueFactory = _ => 5000 },
            MinCells: new Option<int>("--min-cells")
            {
                Description = "Minimum mapping unit in cells (regions smaller merge into their largest neighbour).",
                DefaultValueFactory = _ => 16,
            },
            Eight: new Option<bool>("--eight") { Description = "8-connectivity (default 4)." },
            BlockSize: new Option<int>("--block-size") { Description = "Block side in cells.", DefaultValueFactory = _ => 1024 },
            Threads: new Option<int>("--threads")
            {
                Description = "Blocks at once (here) or in flight (cluster).",
                DefaultValueFactory = _ => Environment.ProcessorCount,
            },
            Cluster: ClusterOption("Run on the cluster at this address"),
            RasterDir: new Option<string?>("--raster-dir")
            {
                Description = "With --cluster: the shared raster folder the index lies in (the workers' --raster-dir).",
            },
            Timeout: new Option<double>("--timeout") { Description = "With --cluster: give up after this many minutes.", DefaultValueFactory = _ => 24 * 60 });
        var command = new Command(
            "zones",
            "Classify, apply the minimum mapping unit and polygonize an index raster block by block, in bounded memory, here or on the cluster.")
        {
            o.Input, o.Grade, o.Zones, o.Classes, o.Method, o.Sample, o.MinCells, o.Eight, o.BlockSize, o.Threads, o.Cluster, o.RasterDir, o.Timeout,
        };
        command.SetAction((parse, ct) => ZonesAsync(parse, o, ct));
        return command;
    }

    private static async Task<int> ZonesAsync(ParseResult parse, ZonesOptions o, CancellationToken ct)
    {
        var breakMethod = parse.GetValue(o.Method) switch
        {
            "natural" => BreakMethod.NaturalBreaks,
            "quantile" => BreakMethod.Quantile,
            "equal" => BreakMethod.EqualInterval,
            _ => (BreakMethod?)null,
        };
        if (breakMethod is null || parse.GetValue(o.Classes) is < 2 or > 250 || parse.GetValue(o.BlockSize) < 16 || parse.GetValue(o.Sample) < 10)
        {
            Console.Error.WriteLine("error: --method is natural, quantile or equal; --classes 2..250; --block-size at least 16; --sample at least 10");
            return ExitCodes.Usage;
        }

        var index = Path.GetFullPath(parse.GetValue(o.Input)!);
        if (!File.Exists(index))
        {
            Console.Error.WriteLine($"error: '{parse.GetValue(o.Input)}' does not exist");
            return ExitCodes.NotFound;
        }

        var job = new GradeJob
        {
            Index = index,
            Classes = parse.GetValue(o.Classes),
            Method = breakMethod.Value,
            SampleSize = parse.GetValue(o.Sample),
            MinimumCells = parse.GetValue(o.MinCells),
            EightConnected = parse.GetValue(o.Eight),
            BlockSize = parse.GetValue(o.BlockSize),
        };
        var watch = Stopwatch.StartNew();
        var clusterAddress = ClusterAddress(parse.GetValue(o.Cluster));
        GridSpecOf(index, out var grid);
        List<ClassPolygon> polygons;
        if (clusterAddress is null)
        {
            polygons = await ZonesHereAsync(parse, o, job, watch, ct);
        }
        else
        {
            if (parse.GetValue(o.RasterDir) is not { } shared || !index.StartsWith(Path.GetFullPath(shared).TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                Console.Error.WriteLine("error: with --cluster the index must lie in the shared raster folder given by --raster-dir");
                return ExitCodes.Usage;
            }

            polygons = await ZonesOnClusterAsync(parse, o, job, clusterAddress, shared, ct);
        }

        WriteZones(parse.GetValue(o.Zones)!, grid, polygons);
        Console.WriteLine($"{polygons.Count} zones in {watch.Elapsed.TotalSeconds:0.0} s → {parse.GetValue(o.Zones)}");
        return ExitCodes.Ok;
    }

    /// <summary>The block pipeline in this process, its blocks in a work folder beside the grade raster (removed afterwards).</summary>
    private static async Task<List<ClassPolygon>> ZonesHereAsync(ParseResult parse, ZonesOptions o, GradeJob job, Stopwatch watch, CancellationToken ct)
    {
        var work = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(parse.GetValue(o.Grade)!))!, $".georisk-blocks-{Guid.NewGuid():N}");
        try
        {
            using var storage = new BlockFileStorage(work);
            var result = await GradePipeline.RunAsync(
                job,
                new InProcessBlockExecutor(job, storage, parse.GetValue(o.Threads)),
                storage,
                new Core.SyncProgress<string>(step => Console.WriteLine($"  {step} ({watch.Elapsed.TotalSeconds:0.0} s)")),
                ct);
            storage.ExportCog(job.Grade, Path.GetFullPath(parse.GetValue(o.Grade)!), categorical: true);
            PrintSummary(result.Breaks, result.CellsPerGrade, result.Zones.Count);
            return result.Zones;
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>The run on the cluster, with the index named relative to the shared folder; progress printed when it changes.</summary>
    private static async Task<List<ClassPolygon>> ZonesOnClusterAsync(
        ParseResult parse, ZonesOptions o, GradeJob job, string clusterAddress, string shared, CancellationToken ct)
    {
        job = job with { Index = Path.GetRelativePath(Path.GetFullPath(shared), job.Index) };
        using var host = await ClusterHosting.ConnectAsync(new ClusterClientOptions { Address = clusterAddress }, ct);
        var grains = host.Services.GetRequiredService<IClusterClient>();
        var runId = ClusterRuns.RunIdOf(job, "zones");
        var lastLine = "";
        var finished = false;
        try
        {
            var progress = await ClusterRuns.RunAsync(
                grains,
                runId,
                new RunSpec { Job = job.ToBytes(), Parallelism = Math.Max(1, parse.GetValue(o.Threads)) },
                TimeSpan.FromMinutes(parse.GetValue(o.Timeout)),
                new Core.SyncProgress<RunProgress>(p =>
                {
                    var line = $"  {p.Step}: {p.BlocksDone}/{p.BlocksTotal} block steps; per worker " +
                        string.Join(", ", p.BlocksPerSilo.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}")) +
                        (p.BlocksRetried > 0 ? $"; {p.BlocksRetried} retried" : "") + (p.Resumes > 0 ? $"; resumed {p.Resumes}×" : "");
                    if (line != lastLine)
                    {
                        Console.WriteLine(line);
                        lastLine = line;
                    }
                }),
                ct);
            var folder = Path.Combine(Path.GetFullPath(shared), progress.Folder);
            File.Copy(Path.Combine(folder, "grade.tif"), Path.GetFullPath(parse.GetValue(o.Grade)!), overwrite: true);
            var polygons = ClusterRuns.ReadZones(Path.Combine(folder, "zones.bin"));
            Console.WriteLine(File.ReadAllText(Path.Combine(folder, "summary.json")));
            finished = true;
            return polygons;
        }
        finally
        {
            // The run's block files and outputs are scratch once copied out (they were left in the shared folder before, ~130 MB for
            // a 10 m prefecture run); a finished run's coordinator state goes too.
            ClusterRuns.CleanUp(grains, shared, runId, finished);
        }
    }

    /// <summary>The <c>--cluster</c> option of the commands that can run their block steps on the cluster.</summary>
    internal static Option<string?> ClusterOption(string what) =>
        new("--cluster") { Description = what + " (PostgreSQL connection string or localhost[:port]; default $GEORISK_CLUSTER)." };

    /// <summary>The cluster to use: <c>--cluster</c>, else <c>GEORISK_CLUSTER</c>, else none (in this process).</summary>
    internal static string? ClusterAddress(string? option) =>
        option ?? (Environment.GetEnvironmentVariable("GEORISK_CLUSTER") is { Length: > 0 } c ? c : null);

    private static void GridSpecOf(string path, out Raster.GridSpec grid)
    {
        using var source = new GdalRasterSource(path);
        grid = source.Grid;
    }

    private static void PrintSummary(double[] breaks, long[] cellsPerGrade, int zones)
    {
        Console.WriteLine("breaks: " + string.Join(", ", breaks.Select(b => b.ToString("R", CultureInfo.InvariantCulture))));
        Console.WriteLine("cells per grade: " + string.Join(", ", cellsPerGrade.Skip(1).Select((n, i) => $"{i + 1}: {n}")));
    }

    private static void WriteZones(string path, Raster.GridSpec grid, List<ClassPolygon> polygons)
    {
        using var ds = VectorDataset.Create("GPKG", path);
        using var crs = string.IsNullOrEmpty(grid.CrsWkt) ? null : SpatialReference.Parse(grid.CrsWkt);
        var writer = ds.CreateLayer("zones", crs, VectorGeometryType.Polygon, [new("class", VectorFieldType.Real)]);
        writer.BeginTransaction();
        foreach (var p in polygons)
        {
            writer.Add(p.Polygon, [(double)p.Value]);
        }

        writer.CommitTransaction();
    }
}
