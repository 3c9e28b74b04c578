using System.Globalization;
using System.Text.Json;
using GeoRisk.Gdal;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Triangulate;

namespace GeoRisk.Samples;

/// <summary>What the province benchmark set holds; the defaults give a Xinjiang-sized set (docs/SCALE.md §benchmark data).</summary>
public sealed record ProvinceOptions
{
    /// <summary>County-level units (Xinjiang has about a hundred).</summary>
    public int Counties { get; init; } = 105;

    /// <summary>Polygons of the 1:50000 susceptibility zoning (Voronoi cells, each graded).</summary>
    public int Zones { get; init; } = 40_000;

    public int Faults { get; init; } = 600;

    public int Rivers { get; init; } = 80;

    public int HazardPoints { get; init; } = 30_000;

    /// <summary>DEM pixel size in arc-seconds: coarse (30″ ≈ 1 km); a zoning run warps it onto its grid.</summary>
    public double DemArcSeconds { get; init; } = 30;

    /// <summary>The default zoning model (surveys/models/bortala-default.json), rewritten for the province's grid; none when null.</summary>
    public string? DefaultModel { get; init; }

    /// <summary>Cell size of the province model's grid in metres.</summary>
    public double CellSize { get; init; } = 30;
}

/// <summary>
/// A synthetic, Xinjiang-sized survey set for benchmarks (about 1.66 million km² inside 73.5–96.4°E,
/// 34.3–49.2°N): county outlines, a 1:50000 susceptibility zoning with hazard points, active faults along
/// synthetic ranges, rivers with 10/50/100-year flood zones, a PGA zoning and a coarse DEM, with a manifest
/// and a zoning model, so runs of 10⁸–10⁹ cells can be made on demand. Deterministic: the same options give
/// the same files. Everything is invented; nothing here is an official boundary or survey. Never committed.
/// </summary>
public sealed class ProvinceGenerator(string outDir, Action<string>? log = null)
{
    /// <summary>The province's bounding box (Xinjiang's).</summary>
    public static readonly Envelope Extent = new(73.5, 96.4, 34.3, 49.2);

    private const ulong Seed = 0x6500_0000_2025_0001UL;
    private static readonly GeometryFactory s_factory = new(new PrecisionModel(), 4490);
    private readonly Action<string> _log = log ?? (_ => { });

    /// <summary>Latitude of a synthetic range's crest at a longitude: Altai (north), Tianshan (middle), Kunlun (south).</summary>
    internal static IReadOnlyList<Func<double, double>> Ranges { get; } =
    [
        lon => 47.8 + (0.6 * Math.Sin(lon * 0.35)),
        lon => 42.6 + (0.9 * Math.Sin((lon * 0.22) + 1)) + (0.3 * Math.Sin(lon * 1.3)),
        lon => 36.2 + (0.7 * Math.Sin((lon * 0.3) + 2)),
    ];

    public void Generate(ProvinceOptions options)
    {
        GdalRuntime.EnsureInitialized();
        GdalConfig.Set("OGR_CURRENT_DATE", "2024-01-01T00:00:00Z");
        Directory.CreateDirectory(outDir);
        var province = Outline();
        var prepared = PreparedGeometryFactory.Prepare(province);
        _log($"province outline: {ApproxAreaKm2(province):N0} km²");

        var counties = Counties(province, options.Counties);
        WriteLayer("admin/province_counties_synthetic.gpkg", "counties", VectorGeometryType.MultiPolygon,
            [new("code", VectorFieldType.String), new("name", VectorFieldType.String), new("name_en", VectorFieldType.String)],
            counties.Select(c => (AsMulti(c.Geometry), new object?[] { c.Code, c.Name, c.NameEn })));
        _log($"{counties.Count} counties");

        var faults = Faults(prepared, options.Faults);
        WriteLayer("faults/province_faults_synthetic.gpkg", "faults", VectorGeometryType.LineString,
            [
                new("fault_id", VectorFieldType.String), new("name", VectorFieldType.String), new("slip_type", VectorFieldType.String),
                new("last_movement", VectorFieldType.String), new("net_slip_rate", VectorFieldType.Real),
            ],
            faults.Select((f, i) => ((Geometry)f, new object?[]
            {
                $"PF{i + 1:D4}", $"Synthetic fault {i + 1}", i % 3 == 0 ? "Reverse" : i % 3 == 1 ? "Dextral" : "Sinistral-Reverse",
                i % 4 == 0 ? "pre-Holocene" : "Holocene", Math.Round(0.2 + (3.0 * Noise.Value(i, 1, Seed)), 2),
            })));
        _log($"{faults.Count} faults");

        var rivers = Rivers(prepared, options.Rivers);
        WriteLayer("hydro/province_rivers_synthetic.gpkg", "rivers", VectorGeometryType.LineString,
            [new("name", VectorFieldType.String)], rivers.Select((r, i) => ((Geometry)r, new object?[] { $"Synthetic river {i + 1}" })));
        WriteLayer("flood/province_flood_zones_synthetic.gpkg", "flood", VectorGeometryType.MultiPolygon,
            [new("return_period", VectorFieldType.Integer), new("depth_m", VectorFieldType.Real)],
            rivers.SelectMany(r => new[] { (10, 300.0, 0.8), (50, 700.0, 1.6), (100, 1200.0, 2.4) }
                .Select(z => (AsMulti(BufferMetres(r, z.Item2)), new object?[] { z.Item1, z.Item3 }))));
        _log($"{rivers.Count} rivers with flood zones");

        WriteLayer("seismic/province_pga_synthetic.gpkg", "pga", VectorGeometryType.MultiPolygon,
            [new("pga_g", VectorFieldType.Real)],
            faults.Select(f => (AsMulti(BufferMetres(f, 20_000)), new object?[] { 0.20 })).Prepend((AsMulti(province), new object?[] { 0.10 })));

        var zones = Zones(province, prepared, faults, options.Zones);
        var points = Points(zones, options.HazardPoints);
        var path = Prepare("geohazard-50k/province_geohazard_50k.gpkg");
        using (var ds = VectorDataset.Create("GPKG", path))
        using (var cgcs = SpatialReference.FromEpsg(4490))
        {
            var zw = ds.CreateLayer("yfx_fq", cgcs, VectorGeometryType.MultiPolygon,
                [new("ZQBH", VectorFieldType.String), new("YFXDJ", VectorFieldType.Integer)],
                ["DESCRIPTION=易发性分区 1:50000, SYNTHETIC province benchmark"]);
            zw.BeginTransaction();
            for (var i = 0; i < zones.Count; i++)
            {
                zw.Add(AsMulti(zones[i].Geometry), [$"P50-{i + 1:D6}", zones[i].Grade]);
                Report("zones", i, zones.Count);
            }

            zw.CommitTransaction();
            var pw = ds.CreateLayer("zhd", cgcs, VectorGeometryType.Point,
                [new("TYBH", VectorFieldType.String), new("ZHLX", VectorFieldType.String), new("WXRK", VectorFieldType.Integer)],
                ["DESCRIPTION=隐患点, SYNTHETIC province benchmark"]);
            pw.BeginTransaction();
            for (var i = 0; i < points.Count; i++)
            {
                pw.Add(points[i].Point, [$"PZ{i + 1:D6}", points[i].Type, points[i].People]);
            }

            pw.CommitTransaction();
        }

        _log($"{zones.Count} susceptibility zones, {points.Count} hazard points");
        WriteDem(options.DemArcSeconds);
        WriteManifestAndModel(options);
        _log($"province set written to {Path.GetFullPath(outDir)}");
    }

    /// <summary>The province outline: an irregular closed curve filling most of the box (about 1.66 million km²).</summary>
    public static Polygon Outline()
    {
        const int n = 1440;
        double cx = 85.0, cy = 41.8, ax = 9.25, ay = 6.02;
        var ring = new Coordinate[n + 1];
        for (var i = 0; i < n; i++)
        {
            var t = 2 * Math.PI * i / n;
            var r = 1 + (0.08 * Noise.Fractal(Math.Cos(t) * 3, Math.Sin(t) * 3, 4, Seed)) + (0.05 * Math.Sin(3 * t));
            ring[i] = new Coordinate(
                Math.Round(Math.Clamp(cx + (ax * r * Math.Cos(t)), Extent.MinX, Extent.MaxX), 5),
                Math.Round(Math.Clamp(cy + (ay * r * Math.Sin(t)), Extent.MinY, Extent.MaxY), 5));
        }

        ring[n] = ring[0];
        return s_factory.CreatePolygon(ring.Reverse().ToArray());
    }

    private static List<(string Code, string Name, string NameEn, Geometry Geometry)> Counties(Polygon province, int count)
    {
        var stream = new Noise.Stream(Seed + 1);
        var prepared = PreparedGeometryFactory.Prepare(province);
        var sites = new List<Coordinate>();
        while (sites.Count < count)
        {
            var c = new Coordinate(Math.Round(stream.Range(Extent.MinX, Extent.MaxX), 5), Math.Round(stream.Range(Extent.MinY, Extent.MaxY), 5));
            if (prepared.Contains(s_factory.CreatePoint(c)))
            {
                sites.Add(c);
            }
        }

        var builder = new VoronoiDiagramBuilder { ClipEnvelope = new Envelope(Extent.MinX - 1, Extent.MaxX + 1, Extent.MinY - 1, Extent.MaxY + 1) };
        builder.SetSites(sites);
        var cells = builder.GetDiagram(s_factory).Geometries.Cast<Polygon>().ToList();
        // Prefecture-level groups of about eight counties, numbered west to east: codes 65PPCC.
        var ordered = cells.Select(c => (Cell: c, Site: (Coordinate)c.UserData))
            .OrderBy(c => Math.Floor((c.Site.Y - Extent.MinY) / 2.5)).ThenBy(c => c.Site.X).ToList();
        return ordered.Select((c, i) => (string.Create(CultureInfo.InvariantCulture, $"65{(i / 8) + 1:D2}{(i % 8) + 1:D2}"), $"合成县{i + 1}",
                $"Synthetic county {i + 1}", c.Cell.Intersection(province)))
            .Where(c => !c.Item4.IsEmpty).ToList();
    }

    private static List<LineString> Faults(IPreparedGeometry province, int count)
    {
        var stream = new Noise.Stream(Seed + 2);
        var faults = new List<LineString>();
        while (faults.Count < count)
        {
            // Faults cluster along the ranges, striking roughly along them.
            var range = Ranges[stream.Int(0, Ranges.Count)];
            var lon0 = stream.Range(Extent.MinX, Extent.MaxX);
            var length = stream.Range(0.3, 2.5);
            var offset = stream.Range(-1.2, 1.2);
            var coords = new List<Coordinate>();
            for (var t = 0.0; t <= 1.0001; t += 0.02)
            {
                var lon = lon0 + (t * length);
                coords.Add(new Coordinate(Math.Round(lon, 5), Math.Round(range(lon) + offset + (0.08 * Noise.Fractal(lon * 4, offset * 7, 3, Seed + 3)), 5)));
            }

            var line = s_factory.CreateLineString([.. coords]);
            if (province.Contains(line))
            {
                faults.Add(line);
            }
        }

        return faults;
    }

    private static List<LineString> Rivers(IPreparedGeometry province, int count)
    {
        var stream = new Noise.Stream(Seed + 4);
        var rivers = new List<LineString>();
        while (rivers.Count < count)
        {
            // From a range's flank down into the basin: a steady course with meanders (never crossing itself).
            var range = Ranges[stream.Int(0, Ranges.Count)];
            var lon = stream.Range(Extent.MinX + 1, Extent.MaxX - 1);
            var lat = range(lon) + stream.Range(-0.8, 0.8);
            var heading = stream.Range(0, 2 * Math.PI);
            var phase = stream.Range(0, 10);
            var coords = new List<Coordinate>();
            for (var i = 0; i < 400; i++)
            {
                coords.Add(new Coordinate(Math.Round(lon, 5), Math.Round(lat, 5)));
                var course = heading + (0.7 * Math.Sin((i * 0.15) + phase));
                lon += 0.012 * Math.Cos(course);
                lat += 0.009 * Math.Sin(course);
            }

            var line = s_factory.CreateLineString([.. coords]);
            if (line.IsSimple && province.Contains(line))
            {
                rivers.Add(line);
            }
        }

        return rivers;
    }

    /// <summary>Voronoi cells of the province graded by a synthetic score: steeper near ranges and faults.</summary>
    private List<(int Grade, Geometry Geometry)> Zones(Polygon province, IPreparedGeometry prepared, IReadOnlyList<LineString> faults, int count)
    {
        var stream = new Noise.Stream(Seed + 6);
        var sites = new List<Coordinate>(count);
        for (var i = 0; i < count; i++)
        {
            sites.Add(new Coordinate(Math.Round(stream.Range(Extent.MinX, Extent.MaxX), 5), Math.Round(stream.Range(Extent.MinY, Extent.MaxY), 5)));
        }

        var builder = new VoronoiDiagramBuilder { ClipEnvelope = new Envelope(Extent.MinX - 0.5, Extent.MaxX + 0.5, Extent.MinY - 0.5, Extent.MaxY + 0.5) };
        builder.SetSites(sites);
        var cells = builder.GetDiagram(s_factory).Geometries.Cast<Polygon>().ToList();
        var tree = new NetTopologySuite.Index.Strtree.STRtree<LineString>();
        foreach (var f in faults)
        {
            tree.Insert(f.EnvelopeInternal, f);
        }

        var result = new List<(int, Geometry)>(cells.Count);
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            Report("zone cells", i, cells.Count);
            Geometry clipped = prepared.ContainsProperly(cell) ? cell : prepared.Intersects(cell) ? cell.Intersection(province) : s_factory.CreatePolygon();
            if (clipped.IsEmpty || clipped.Area < 1e-8)
            {
                continue;
            }

            var site = (Coordinate)cell.UserData;
            var relief = Ranges.Max(r => Math.Exp(-Math.Pow((site.Y - r(site.X)) / 0.9, 2)));
            var near = tree.Query(new Envelope(site.X - 0.3, site.X + 0.3, site.Y - 0.3, site.Y + 0.3)).Count;
            var score = (0.6 * relief) + (0.1 * Math.Min(4, near)) + (0.35 * Noise.Fractal(site.X * 2, site.Y * 2, 4, Seed + 7));
            result.Add((score < 0.25 ? 1 : score < 0.5 ? 2 : score < 0.75 ? 3 : 4, clipped));
        }

        return result;
    }

    private static List<(string Type, int People, Point Point)> Points(List<(int Grade, Geometry Geometry)> zones, int count)
    {
        var stream = new Noise.Stream(Seed + 8);
        string[] types = ["滑坡", "崩塌", "泥石流", "不稳定斜坡", "地面塌陷"];
        var weighted = zones.Where(z => z.Grade >= 2).ToList();
        var points = new List<(string, int, Point)>(count);
        while (points.Count < count && weighted.Count > 0)
        {
            var z = weighted[stream.Int(0, weighted.Count)];
            if (stream.Range(0, 4) > z.Grade)
            {
                continue; // more points in higher grades
            }

            var p = z.Geometry.InteriorPoint;
            var e = z.Geometry.EnvelopeInternal;
            var candidate = s_factory.CreatePoint(new Coordinate(Math.Round(stream.Range(e.MinX, e.MaxX), 6), Math.Round(stream.Range(e.MinY, e.MaxY), 6)));
            points.Add((types[stream.Int(0, types.Length)], stream.Int(0, 200), z.Geometry.Contains(candidate) ? candidate : p));
        }

        return points;
    }

    /// <summary>A coarse DEM over the box from the ranges and fractal noise (a run warps it onto its grid, bilinear).</summary>
    private void WriteDem(double arcSeconds)
    {
        var step = arcSeconds / 3600.0;
        var width = (int)Math.Ceiling(Extent.Width / step);
        var height = (int)Math.Ceiling(Extent.Height / step);
        var path = Prepare(DemFile(arcSeconds));
        _log($"DEM {width}x{height} at {arcSeconds}″");
        DemWriter.WriteDemStrips(path, new DemGrid(Extent.MinX, Extent.MaxY, step, width, height), Elevation,
            (done, total) => Report("DEM rows", done, total));
    }

    /// <summary>Basins near 1,000 m (the Tarim lower, near 900 m), ranges to 5,000 m and more, with fractal roughness.</summary>
    internal static double Elevation(double lon, double lat)
    {
        var basin = 1000 - (150 * Math.Exp(-Math.Pow((lat - 39.5) / 2.0, 2)));
        var ranges = (2600 * Math.Exp(-Math.Pow((lat - Ranges[0](lon)) / 0.7, 2)))
            + (3800 * Math.Exp(-Math.Pow((lat - Ranges[1](lon)) / 0.9, 2)))
            + (4800 * Math.Exp(-Math.Pow((lat - Ranges[2](lon)) / 1.2, 2)));
        var relief = Math.Clamp(ranges / 3000, 0.05, 1);
        return basin + ranges + (relief * ((500 * Noise.Fractal(lon * 3, lat * 3, 6, Seed + 9)) + (150 * Noise.Fractal(lon * 30, lat * 30, 3, Seed + 10))));
    }

    public static string DemFile(double arcSeconds) => $"dem/province_dem_{arcSeconds.ToString(CultureInfo.InvariantCulture)}s.tif";

    /// <summary>A manifest survey entry: every province survey is the benchmark's own, accepted on its completion day.</summary>
    private static object Survey(string id, string title, int scale, string type) =>
        new { id, title, scale, type, organisation = "GeoRisk benchmark", completedOn = "2024-01-01", accepted = true, acceptedOn = "2024-01-01" };

    private void WriteManifestAndModel(ProvinceOptions options)
    {
        var demArcSeconds = options.DemArcSeconds;
        var manifest = new
        {
            description = "SYNTHETIC Xinjiang-sized province benchmark set (georisk samples generate --region province). "
                + "Nothing here is an official boundary or survey.",
            surveys = new object[]
            {
                Survey("province-reference", "Province reference layers (SYNTHETIC)", 0, "Reference"),
                Survey("province-geohazard-50k", "Province 1:50000 geological hazard survey (SYNTHETIC)", 50000, "Susceptibility"),
                Survey("province-hazard", "Province flood and seismic zoning (SYNTHETIC)", 0, "Hazard"),
            },
            layers = new object[]
            {
                new { survey = "province-reference", name = "counties", kind = "admin-units", file = "admin/province_counties_synthetic.gpkg" },
                new { survey = "province-reference", name = "faults", kind = "active-faults", file = "faults/province_faults_synthetic.gpkg" },
                new { survey = "province-reference", name = "rivers", kind = "rivers", file = "hydro/province_rivers_synthetic.gpkg" },
                new { survey = "province-reference", name = "dem", kind = "dem", file = DemFile(demArcSeconds) },
                new
                {
                    survey = "province-geohazard-50k", name = "hazard-zones", kind = "hazard-zones", file = "geohazard-50k/province_geohazard_50k.gpkg",
                    sourceLayer = "yfx_fq",
                },
                new
                {
                    survey = "province-geohazard-50k", name = "hazard-points", kind = "hazard-points", file = "geohazard-50k/province_geohazard_50k.gpkg",
                    sourceLayer = "zhd",
                },
                new { survey = "province-hazard", name = "flood-zones", kind = "flood-zones", file = "flood/province_flood_zones_synthetic.gpkg" },
                new { survey = "province-hazard", name = "pga-zoning", kind = "pga-zoning", file = "seismic/province_pga_synthetic.gpkg" },
            },
        };
        var json = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        File.WriteAllText(Prepare("manifest.json"), JsonSerializer.Serialize(manifest, json) + "\n");
        if (options.DefaultModel is { } modelPath)
        {
            // The default model's factors on a province grid: Gauss-Krüger zone 15 (CM 87°E) spans the province
            // with a few per cent of scale error at its edges, acceptable for a benchmark; the box as extent.
            var text = File.ReadAllText(modelPath);
            var bbox = string.Create(CultureInfo.InvariantCulture, $"[{Extent.MinX}, {Extent.MinY}, {Extent.MaxX}, {Extent.MaxY}]");
            var grid = string.Create(CultureInfo.InvariantCulture,
                $"\"grid\": {{ \"crs\": \"EPSG:4493\", \"cellSize\": {options.CellSize}, \"extent\": {{ \"bbox\": {bbox} }} }},");
            var rewritten = System.Text.RegularExpressions.Regex.Replace(text, "\"grid\"\\s*:\\s*\\{.*\\}\\s*\\}\\s*,", grid);
            rewritten = rewritten.Replace("\"name\": \"bortala-geohazard-ahp\"", "\"name\": \"province-benchmark-ahp\"", StringComparison.Ordinal);
            if (rewritten == text || !rewritten.Contains("EPSG:4493", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{modelPath}: no one-line \"grid\" entry to rewrite for the province.");
            }

            const string header = "// SYNTHETIC province benchmark (georisk samples generate --region province): the default model on the province grid.\n";
            File.WriteAllText(Prepare("models/province-default.json"), header + rewritten);
        }
    }

    private void WriteLayer(string relative, string layer, VectorGeometryType type, IReadOnlyList<VectorField> fields,
        IEnumerable<(Geometry Geometry, object?[] Values)> features)
    {
        using var ds = VectorDataset.Create("GPKG", Prepare(relative));
        using var cgcs = SpatialReference.FromEpsg(4490);
        var w = ds.CreateLayer(layer, cgcs, type, fields);
        w.BeginTransaction();
        foreach (var (geometry, values) in features)
        {
            w.Add(geometry, values);
        }

        w.CommitTransaction();
    }

    private int _lastPercent = -1;

    private void Report(string what, int done, int total)
    {
        var percent = (int)(100L * done / Math.Max(1, total));
        if (percent % 10 == 0 && percent != _lastPercent)
        {
            _lastPercent = percent;
            _log($"  {what}: {percent} %");
        }
    }

    private string Prepare(string relative)
    {
        var path = Path.Combine(outDir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        return path;
    }

    private static Geometry AsMulti(Geometry g) => g switch
    {
        Polygon p => s_factory.CreateMultiPolygon([p]),
        MultiPolygon => g,
        GeometryCollection c => s_factory.CreateMultiPolygon(
            c.Geometries.OfType<Polygon>().Concat(c.Geometries.OfType<MultiPolygon>().SelectMany(m => m.Geometries.Cast<Polygon>())).ToArray()),
        _ => g,
    };

    /// <summary>A buffer in metres around a geometry in degrees (scaled by the cosine of its latitude).</summary>
    private static Geometry BufferMetres(Geometry g, double metres)
    {
        var lat = g.EnvelopeInternal.Centre.Y;
        var degrees = metres / 111_320.0 / Math.Cos(lat * Math.PI / 180);
        return g.Buffer(degrees, 4);
    }

    private static double ApproxAreaKm2(Geometry g)
    {
        var lat = g.EnvelopeInternal.Centre.Y;
        return g.Area * 111.32 * 111.32 * Math.Cos(lat * Math.PI / 180);
    }
}
