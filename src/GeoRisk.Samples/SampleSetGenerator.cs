using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using GeoRisk.Gdal;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Polygonize;
using NetTopologySuite.Operation.Union;
using NetTopologySuite.Triangulate;
using HazardPoint = (string Id, string Type, double Volume, int People, double PropertyWan, string Stability, string Inspected, int Grade,
    NetTopologySuite.Geometries.Point Point);

namespace GeoRisk.Samples;

/// <summary>Options of the sample set; the defaults produce the committed set plus a 1″ (~30 m) DEM.</summary>
public sealed record SampleOptions
{
    /// <summary>DEM pixel size in arc-seconds (1″ ≈ 31 m × 22 m at 45°N).</summary>
    public double DemArcSeconds { get; init; } = 1;

    /// <summary>Skip the DEM (it is large and generated on demand).</summary>
    public bool IncludeDem { get; init; } = true;

    /// <summary>Skip the vector files (when only the DEM is wanted).</summary>
    public bool IncludeVectors { get; init; } = true;
}

/// <summary>
/// Generates the Bortala sample survey set deterministically from the real reference layers in
/// <c>surveys/reference/</c>: synthetic county outlines, a 1:50000 geological-hazard survey (GeoPackage),
/// a 1:10000 key-area survey around Bole (zipped Shapefiles, GBK .dbf, Gauss-Krüger zone 27), flood zones
/// (GeoJSON), a synthetic river, a PGA zoning layer and a DEM (GeoTIFF), plus <c>manifest.json</c>.
/// </summary>
public sealed class SampleSetGenerator
{
    /// <summary>Published prefecture extent (shared/data/README.md).</summary>
    public static readonly Envelope PrefectureExtent = new(79.887, 83.799, 44.006, 45.384);

    /// <summary>The 1:10000 key area around Bole city and its northern foothills.</summary>
    public static readonly Envelope BoleKeyArea = new(81.95, 82.25, 44.82, 45.02);

    private const ulong Seed = 0x2017_0809_6600_0001UL;
    private static readonly GeometryFactory s_factory = new(new PrecisionModel(), 4490);
    private static readonly DateTime s_zipTime = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly string _referenceDir;
    private readonly string _outDir;
    private readonly Action<string> _log;

    public SampleSetGenerator(string referenceDir, string outDir, Action<string>? log = null)
    {
        _referenceDir = referenceDir;
        _outDir = outDir;
        _log = log ?? (_ => { });
    }

    public void Generate(SampleOptions options)
    {
        GdalRuntime.EnsureInitialized();
        // GeoPackage timestamps come from this option, which keeps regenerated files identical.
        GdalConfig.Set("OGR_CURRENT_DATE", "2024-01-01T00:00:00Z");
        Directory.CreateDirectory(_outDir);
        var lake = ReadGeometries(Path.Combine(_referenceDir, "ne10m_lakes.geojson"), f => Equals(f.Attributes.GetValueOrDefault("name"), "Ebinur Hu"))
            .Single();
        var terrain = new BortalaTerrain(lake);
        if (options.IncludeVectors)
        {
            var faults = ReadGeometries(Path.Combine(_referenceDir, "faults_himatibetmap2_slip_rates.geojson"), _ => true)
                .Concat(ReadGeometries(Path.Combine(_referenceDir, "faults_gem_gaf.geojson"),
                    f => !Equals(f.Attributes.GetValueOrDefault("slip_type"), "Anticline")))
                .ToList();
            var prefecture = PrefectureOutline();
            var counties = Counties(prefecture);
            WriteCounties(counties);
            var scorer = new SusceptibilityScorer(terrain, faults);
            var river = RiverCenterline(lake);
            var process = new HazardProcess(terrain, faults, river);
            var zones50 = SusceptibilityZones(prefecture, PrefectureExtent, 900, scorer, Seed + 1, fineDetail: false);
            var points50 = HazardPoints(zones50, counties, 320, Seed + 2, "50k", process);
            Write50k(zones50, points50);
            var keyArea = s_factory.ToGeometry(BoleKeyArea).Intersection(prefecture);
            var zones10 = SusceptibilityZones(keyArea, BoleKeyArea, 420, scorer, Seed + 3, fineDetail: true);
            var points10 = HazardPoints(zones10, counties, 60, Seed + 4, "10k", process);
            Write10k(zones10, points10);
            WriteRiverAndFloods(river, prefecture);
            var exposure = new ExposureGenerator(s_factory, Seed + 7, counties).Generate(river, prefecture);
            ExposureGenerator.Write(Prepare(ExposureFile), exposure);
            _log($"exposure: {exposure.Buildings.Count} buildings, {exposure.Population.Count} population units, {exposure.Roads.Count} roads, "
                + $"{exposure.Facilities.Count} facilities (synthetic)");
            WritePga(faults, prefecture);
            WriteManifest(options.DemArcSeconds);
        }

        if (options.IncludeDem)
        {
            WriteDem(terrain, options.DemArcSeconds);
        }
    }

    // ---- outlines ----------------------------------------------------------------------------------------

    /// <summary>The prefecture outline: the published extent with an irregular synthetic border touching each side.</summary>
    public static Polygon PrefectureOutline()
    {
        var e = PrefectureExtent;
        var ring = new List<Coordinate>();
        const int perSide = 120;
        double Inset(double t, int side) => 0.06 * Math.Pow(Math.Sin(Math.PI * t * (2 + side)), 2) * (0.6 + (0.4 * Noise.Value(t * 9, side, Seed)));
        for (var i = 0; i < perSide; i++)
        {
            var t = i / (double)perSide;
            ring.Add(new Coordinate(e.MinX + (t * e.Width), e.MinY + Inset(t, 0))); // south, west to east
        }

        for (var i = 0; i < perSide; i++)
        {
            var t = i / (double)perSide;
            ring.Add(new Coordinate(e.MaxX - Inset(t, 1), e.MinY + (t * e.Height))); // east, south to north
        }

        for (var i = 0; i < perSide; i++)
        {
            var t = i / (double)perSide;
            ring.Add(new Coordinate(e.MaxX - (t * e.Width), e.MaxY - Inset(t, 2))); // north, east to west
        }

        for (var i = 0; i < perSide; i++)
        {
            var t = i / (double)perSide;
            ring.Add(new Coordinate(e.MinX + Inset(t, 3), e.MaxY - (t * e.Height))); // west, north to south
        }

        ring.Add(ring[0].Copy());
        return s_factory.CreatePolygon([.. ring.Select(Round)]);
    }

    private static double WenquanBole(double lat) => 81.25 + (0.05 * Math.Sin(lat * 23));

    private static double BoleJinghe(double lat) => lat >= 44.75
        ? 82.50 + (0.03 * Math.Sin(lat * 31))
        : lat >= 44.45 ? 81.88 + ((lat - 44.45) / 0.30 * (82.50 + (0.03 * Math.Sin(44.75 * 31)) - 81.88)) : 81.88 + (0.03 * Math.Sin(lat * 19));

    private static double AlashankouSouth(double lon) => 45.05 + (0.02 * Math.Sin(lon * 17));

    /// <summary>Four synthetic counties that tile the outline exactly (faces of one noded line network).</summary>
    internal static IReadOnlyList<(string Code, string NameZh, string NameEn, Geometry Geometry)> Counties(Polygon prefecture)
    {
        var lines = new List<Geometry>
        {
            prefecture.ExteriorRing,
            Polyline(Enumerable.Range(0, 161).Select(i => 43.9 + (i * 0.01)).Select(lat => new Coordinate(WenquanBole(lat), lat))),
            Polyline(Enumerable.Range(0, 161).Select(i => 43.9 + (i * 0.01)).Select(lat => new Coordinate(BoleJinghe(lat), lat))),
            Polyline(Enumerable.Range(0, 61).Select(i => 82.10 + (i * 0.01)).Select(lon => new Coordinate(lon, AlashankouSouth(lon)))),
            Polyline(Enumerable.Range(0, 51).Select(i => AlashankouSouth(82.10) + (i * 0.01)).Select(lat => new Coordinate(82.10, lat))),
        };
        // Node the full lines with the outline in one union so every crossing is a shared vertex; parts
        // outside the outline are dangles and the face filter below drops them.
        var noded = s_factory.BuildGeometry(lines).Union();
        var polygonizer = new Polygonizer();
        polygonizer.Add(noded);
        var faces = polygonizer.GetPolygons().Cast<Polygon>().Where(p => prefecture.Contains(p.InteriorPoint)).ToList();
        string CountyOf(Point p) =>
            p.X < WenquanBole(p.Y) ? "652723" :
            p.X > BoleJinghe(p.Y) ? "652722" :
            p.Y > AlashankouSouth(p.X) && p.X > 82.10 ? "652702" : "652701";
        var names = new Dictionary<string, (string Zh, string En)>
        {
            ["652701"] = ("博乐市", "Bole"),
            ["652702"] = ("阿拉山口市", "Alashankou"),
            ["652722"] = ("精河县", "Jinghe"),
            ["652723"] = ("温泉县", "Wenquan"),
        };
        return faces.GroupBy(f => CountyOf(f.InteriorPoint))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, names[g.Key].Zh, names[g.Key].En, CascadedPolygonUnion.Union(g.Cast<Geometry>().ToList())))
            .ToList();
    }

    private void WriteCounties(IReadOnlyList<(string Code, string NameZh, string NameEn, Geometry Geometry)> counties)
    {
        using var ds = CreateVector("GeoJSON", "admin/counties_synthetic.geojson", ["RFC7946=YES", "WRITE_NAME=NO", "COORDINATE_PRECISION=6"]);
        using var wgs = SpatialReference.FromEpsg(4326);
        var w = ds.CreateLayer("counties", wgs, VectorGeometryType.MultiPolygon,
            [
                new("code", VectorFieldType.String), new("name", VectorFieldType.String), new("name_en", VectorFieldType.String),
                new("synthetic", VectorFieldType.String),
            ]);
        foreach (var c in counties)
        {
            w.Add(AsMulti(c.Geometry), [c.Code, c.NameZh, c.NameEn, "yes: outline invented for the sample set, not an official boundary"]);
        }
    }

    // ---- susceptibility surveys -------------------------------------------------------------------------

    /// <summary>Voronoi cells graded by the susceptibility score at their centre, dissolved per grade.</summary>
    private static List<(int Grade, Geometry Geometry)> SusceptibilityZones(Geometry clip, Envelope extent, int seeds, SusceptibilityScorer scorer, ulong seed,
        bool fineDetail)
    {
        var stream = new Noise.Stream(seed);
        var sites = new List<Coordinate>(seeds);
        for (var i = 0; i < seeds; i++)
        {
            sites.Add(new Coordinate(Math.Round(stream.Range(extent.MinX, extent.MaxX), 6), Math.Round(stream.Range(extent.MinY, extent.MaxY), 6)));
        }

        var builder = new VoronoiDiagramBuilder();
        builder.SetSites(sites);
        var env = new Envelope(extent);
        env.ExpandBy(0.2);
        builder.ClipEnvelope = env;
        var cells = builder.GetDiagram(s_factory).Geometries.Cast<Polygon>().ToList();
        var scored = cells.Select(c =>
        {
            var site = (Coordinate)c.UserData;
            var score = scorer.Score(site.X, site.Y);
            // The key-area survey maps local detail the 1:50000 survey cannot resolve.
            if (fineDetail)
            {
                score += 0.9 * Noise.Fractal(site.X * 60, site.Y * 60, 3, seed);
            }

            return (Cell: c, Score: score);
        }).ToList();
        var ordered = scored.Select(s => s.Score).Order().ToList();
        double Quantile(double q) => ordered[(int)Math.Clamp(q * (ordered.Count - 1), 0, ordered.Count - 1)];
        var breaks = new[] { Quantile(0.40), Quantile(0.70), Quantile(0.90) };
        return scored.GroupBy(s => s.Score <= breaks[0] ? 1 : s.Score <= breaks[1] ? 2 : s.Score <= breaks[2] ? 3 : 4)
            .OrderBy(g => g.Key)
            .SelectMany(g => Explode(CascadedPolygonUnion.Union(g.Select(s => (Geometry)s.Cell).ToList()).Intersection(clip))
                .Select(p => (Grade: g.Key, Geometry: (Geometry)p)))
            .Where(z => z.Geometry.Area > 1e-7)
            .ToList();
    }

    private static string GradeName(int grade) => grade switch
    {
        1 => "低易发区",
        2 => "中易发区",
        3 => "高易发区",
        _ => "极高易发区",
    };

    private static readonly string[] s_stability = ["稳定", "基本稳定", "不稳定"];

    /// <summary>
    /// Hazard points placed by a terrain process (<see cref="HazardProcess"/>: slope, nearness to the river and to faults,
    /// rejection sampling) that never reads the survey grades, so validating the zoning with them is not circular. The zone
    /// grade at each point is recorded as the surveyed attribute, as a field team would.
    /// </summary>
    private static List<HazardPoint> HazardPoints(
        List<(int Grade, Geometry Geometry)> zones, IReadOnlyList<(string Code, string NameZh, string NameEn, Geometry Geometry)> counties, int count,
        ulong seed, string survey, HazardProcess process)
    {
        var stream = new Noise.Stream(seed);
        var env = new Envelope();
        foreach (var z in zones)
        {
            env.ExpandToInclude(z.Geometry.EnvelopeInternal);
        }

        var index = new NetTopologySuite.Index.Strtree.STRtree<(int Grade, Geometry Geometry)>();
        foreach (var z in zones)
        {
            index.Insert(z.Geometry.EnvelopeInternal, z);
        }

        var result = new List<(string, string, double, int, double, string, string, int, Point)>();
        var perCounty = new Dictionary<string, int>();
        var attempts = 0;
        while (result.Count < count && attempts++ < count * 2000)
        {
            var p = s_factory.CreatePoint(new Coordinate(Math.Round(stream.Range(env.MinX, env.MaxX), 6), Math.Round(stream.Range(env.MinY, env.MaxY), 6)));
            var zone = index.Query(p.EnvelopeInternal).FirstOrDefault(z => z.Geometry.Contains(p));
            if (zone.Geometry is null)
            {
                continue;
            }

            var (likelihood, type) = process.At(p.X, p.Y);
            if (stream.Next() > likelihood)
            {
                continue;
            }

            var county = counties.FirstOrDefault(c => c.Geometry.Contains(p)).Code ?? "652700";
            perCounty[county] = perCounty.GetValueOrDefault(county) + 1;
            var volume = Math.Round(Math.Exp(stream.Range(Math.Log(200), Math.Log(type == "泥石流" ? 2_000_000 : 300_000))), 0);
            var people = (int)Math.Floor(Math.Pow(stream.Next(), 2.5) * 200);
            var property = Math.Round(people * stream.Range(2, 12), 1);
            var stability = s_stability[stream.Int(0, 3)];
            var inspected = new DateOnly(2023, 3, 1).AddDays(stream.Int(0, 540)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var id = $"{county}{(survey == "10k" ? "1" : "0")}{perCounty[county]:D5}";
            result.Add((id, type, volume, people, property, stability, inspected, zone.Grade, p));
        }

        return result;
    }

    private void Write50k(List<(int Grade, Geometry Geometry)> zones, List<HazardPoint> points)
    {
        var path = Prepare("geohazard-50k/bortala_geohazard_50k.gpkg");
        using var ds = VectorDataset.Create("GPKG", path);
        using var cgcs = SpatialReference.FromEpsg(4490);
        var zw = ds.CreateLayer("yfx_fq", cgcs, VectorGeometryType.MultiPolygon,
            [
                new("ZQBH", VectorFieldType.String), new("YFXDJ", VectorFieldType.Integer), new("DJMC", VectorFieldType.String),
                new("MJ_KM2", VectorFieldType.Real),
            ],
            ["DESCRIPTION=易发性分区 (susceptibility zoning), 1:50000, SYNTHETIC sample"]);
        var n = 0;
        foreach (var (grade, geometry) in zones)
        {
            zw.Add(AsMulti(geometry), [$"YF50-{++n:D4}", grade, GradeName(grade), Math.Round(ApproxAreaKm2(geometry), 3)]);
        }

        var pw = ds.CreateLayer("zhd", cgcs, VectorGeometryType.Point,
            [new("TYBH", VectorFieldType.String), new("ZHLX", VectorFieldType.String), new("TJ_M3", VectorFieldType.Real), new("WXRK", VectorFieldType.Integer),
             new("WXCC", VectorFieldType.Real), new("WDX", VectorFieldType.String), new("XCRQ", VectorFieldType.Date)],
            ["DESCRIPTION=地质灾害隐患点 (hidden-hazard points), 1:50000, SYNTHETIC sample"]);
        foreach (var p in points)
        {
            pw.Add(p.Point, [p.Id, p.Type, p.Volume, p.People, p.PropertyWan, p.Stability, p.Inspected]);
        }
    }

    private void Write10k(List<(int Grade, Geometry Geometry)> zones, List<HazardPoint> points)
    {
        // CGCS2000 / 3-degree Gauss-Kruger zone 27 (CM 81E) with the zone prefix in the eastings, as
        // county survey teams deliver it.
        using var gk = SpatialReference.FromEpsg(4515);
        using var cgcs = SpatialReference.FromEpsg(4490);
        using var toGk = CoordinateTransformation.Create(cgcs, gk);
        var folder = Path.Combine(Path.GetTempPath(), "georisk-samples-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using (var ds = VectorDataset.Create("ESRI Shapefile", Path.Combine(folder, "bole_yfx_fq_10k.shp")))
            {
                var w = ds.CreateLayer("bole_yfx_fq_10k", gk, VectorGeometryType.Polygon,
                    [
                        new("ZQBH", VectorFieldType.String, 12), new("YFXDJ", VectorFieldType.Integer, 2), new("DJMC", VectorFieldType.String, 20),
                        new("MJ_KM2", VectorFieldType.Real),
                    ],
                    ["ENCODING=CP936"]);
                var n = 0;
                foreach (var (grade, geometry) in zones)
                {
                    w.Add(ToGk(geometry, toGk), [$"YF10-{++n:D4}", grade, GradeName(grade), Math.Round(ApproxAreaKm2(geometry), 4)]);
                }
            }

            using (var ds = VectorDataset.Create("ESRI Shapefile", Path.Combine(folder, "bole_zhd_10k.shp")))
            {
                var w = ds.CreateLayer("bole_zhd_10k", gk, VectorGeometryType.Point,
                    [
                        new("TYBH", VectorFieldType.String, 16), new("ZHLX", VectorFieldType.String, 20), new("TJ_M3", VectorFieldType.Real),
                        new("WXRK", VectorFieldType.Integer, 6), new("WXCC", VectorFieldType.Real), new("WDX", VectorFieldType.String, 12),
                        new("XCRQ", VectorFieldType.String, 10),
                    ],
                    ["ENCODING=CP936"]);
                foreach (var p in points)
                {
                    w.Add(ToGk(p.Point, toGk), [p.Id, p.Type, p.Volume, p.People, p.PropertyWan, p.Stability, p.Inspected]);
                }
            }

            // Field software rarely writes a .cpg; GeoRisk must detect GBK without one.
            foreach (var cpg in Directory.GetFiles(folder, "*.cpg"))
            {
                File.Delete(cpg);
            }

            Zip(folder, "bole_yfx_fq_10k", Prepare("geohazard-10k/bole_yfx_fq_10k.zip"));
            Zip(folder, "bole_zhd_10k", Prepare("geohazard-10k/bole_zhd_10k.zip"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // ---- hydrology ---------------------------------------------------------------------------------------

    /// <summary>A synthetic Bortala River following the valley axis from Wenquan to Ebinur Lake's west shore.</summary>
    internal static LineString RiverCenterline(Geometry lake)
    {
        var coords = new List<Coordinate>();
        for (var lon = 80.40; lon <= 83.2; lon += 0.02)
        {
            var c = new Coordinate(Math.Round(lon, 4), Math.Round(BortalaTerrain.ValleyAxisLatitude(lon), 5));
            coords.Add(c);
            if (lake.Contains(s_factory.CreatePoint(c)))
            {
                break;
            }
        }

        return s_factory.CreateLineString([.. coords]);
    }

    private void WriteRiverAndFloods(LineString river, Geometry prefecture)
    {
        using var wgs = SpatialReference.FromEpsg(4326);
        using (var ds = CreateVector("GeoJSON", "hydro/bortala_river_synthetic.geojson", ["RFC7946=YES", "WRITE_NAME=NO", "COORDINATE_PRECISION=6"]))
        {
            var w = ds.CreateLayer("river", wgs, VectorGeometryType.LineString,
                [new("name", VectorFieldType.String), new("synthetic", VectorFieldType.String)]);
            w.Add(river, ["博尔塔拉河 Bortala River (synthetic centreline)", "yes"]);
        }

        using (var ds = CreateVector("GeoJSON", "flood/bortala_flood_zones.geojson", ["RFC7946=YES", "WRITE_NAME=NO", "COORDINATE_PRECISION=6"]))
        {
            var w = ds.CreateLayer("flood", wgs, VectorGeometryType.MultiPolygon,
                [
                    new("return_period", VectorFieldType.Integer), new("depth_m", VectorFieldType.Real), new("velocity_m_s", VectorFieldType.Real),
                    new("scenario", VectorFieldType.String),
                ]);
            // Half-widths in metres, widening downstream where the valley opens.
            foreach (var (rp, width, depth, velocity) in new[] { (10, 250.0, 0.8, 1.2), (50, 600.0, 1.6, 1.8), (100, 1000.0, 2.4, 2.3) })
            {
                var zone = BufferMetres(river, width).Intersection(prefecture);
                w.Add(AsMulti(zone), [rp, depth, velocity, $"{rp}-year flood extent (synthetic)"]);
            }
        }
    }

    /// <summary>Synthetic PGA zoning: 0.20 g near active faults, 0.15 g within 40 km, 0.10 g elsewhere.</summary>
    private void WritePga(IReadOnlyList<Geometry> faults, Geometry prefecture)
    {
        var near = faults.Where(f => f.EnvelopeInternal.Intersects(prefecture.EnvelopeInternal)).Select(f => BufferMetres(f, 15_000)).ToList();
        var mid = faults.Where(f => f.EnvelopeInternal.Intersects(prefecture.EnvelopeInternal)).Select(f => BufferMetres(f, 40_000)).ToList();
        var high = CascadedPolygonUnion.Union(near).Intersection(prefecture);
        var medium = CascadedPolygonUnion.Union(mid).Intersection(prefecture).Difference(high);
        var low = prefecture.Difference(high).Difference(medium);
        using var ds = CreateVector("GeoJSON", "seismic/pga_zoning_synthetic.geojson", ["RFC7946=YES", "WRITE_NAME=NO", "COORDINATE_PRECISION=6"]);
        using var wgs = SpatialReference.FromEpsg(4326);
        var w = ds.CreateLayer("pga", wgs, VectorGeometryType.MultiPolygon, [new("pga_g", VectorFieldType.Real), new("note", VectorFieldType.String)]);
        foreach (var (pga, zone) in new[] { (0.20, high), (0.15, medium), (0.10, low) })
        {
            if (!zone.IsEmpty)
            {
                w.Add(AsMulti(zone), [pga, "SYNTHETIC: not GB 18306-2015 values; load the official Appendix C table for real work"]);
            }
        }
    }

    // ---- DEM ---------------------------------------------------------------------------------------------

    private void WriteDem(BortalaTerrain terrain, double arcSeconds)
    {
        var step = arcSeconds / 3600.0;
        var minX = Math.Floor(PrefectureExtent.MinX / step) * step;
        var maxY = Math.Ceiling(PrefectureExtent.MaxY / step) * step;
        var width = (int)Math.Ceiling((PrefectureExtent.MaxX - minX) / step);
        var height = (int)Math.Ceiling((maxY - PrefectureExtent.MinY) / step);
        var path = Prepare(DemFileName(arcSeconds));
        _log($"DEM {width}x{height} at {arcSeconds}″ → {path}");
        DemWriter.WriteDemStrips(path, new DemGrid(minX, maxY, step, width, height), terrain.Elevation);
    }

    // ---- manifest ----------------------------------------------------------------------------------------

    /// <summary>The synthetic exposure GeoPackage inside the set.</summary>
    public const string ExposureFile = "exposure/bortala_exposure_synthetic.gpkg";

    /// <summary>The DEM's path inside the set for a pixel size.</summary>
    public static string DemFileName(double arcSeconds) => $"dem/bortala_dem_{arcSeconds.ToString(CultureInfo.InvariantCulture)}s.tif";

    private void WriteManifest(double demArcSeconds)
    {
        var manifest = new
        {
            description = "Bortala sample survey set for GeoRisk. See README.md for what is real and what is synthetic.",
            surveys = new object[]
            {
                new
                {
                    id = "bortala-reference", title = "Reference layers (public data and synthetic outlines)", scale = 0, type = "Reference",
                    organisation = "GeoRisk sample set", completedOn = "2024-01-01", accepted = true, acceptedOn = "2024-01-01",
                },
                new
                {
                    id = "bortala-geohazard-50k", title = "博尔塔拉州1:5万地质灾害风险调查 (SYNTHETIC)", scale = 50000, type = "Susceptibility",
                    organisation = "Synthetic sample: prefecture geological survey team", completedOn = "2023-06-30", accepted = true,
                    acceptedOn = "2023-09-15", standard = "1:50000 geological hazard risk survey (sample)",
                    coverageFile = "admin/counties_synthetic.geojson",
                },
                new
                {
                    id = "bole-geohazard-10k", title = "博乐市重点区1:1万地质灾害精细调查 (SYNTHETIC)", scale = 10000, type = "FineSurvey",
                    organisation = "Synthetic sample: Bole key-area survey team", completedOn = "2024-08-31", accepted = true,
                    acceptedOn = "2024-10-20", standard = "DZ/T 0448-2023 fine survey (sample)",
                    coverageBbox = new[] { BoleKeyArea.MinX, BoleKeyArea.MinY, BoleKeyArea.MaxX, BoleKeyArea.MaxY },
                },
                new
                {
                    id = "bortala-flood-2023", title = "Bortala River flood scenarios 10/50/100-yr (SYNTHETIC)", scale = 0, type = "Hazard",
                    organisation = "Synthetic sample", completedOn = "2023-12-01", accepted = true, acceptedOn = "2023-12-20",
                },
                new
                {
                    id = "bortala-seismic", title = "Seismic ground-motion zoning (SYNTHETIC, not GB 18306)", scale = 0, type = "Hazard",
                    organisation = "Synthetic sample", completedOn = "2024-01-01", accepted = true, acceptedOn = "2024-01-01",
                },
                new
                {
                    id = "bortala-exposure", title = "承灾体调查 exposure: buildings, population, roads, key facilities (SYNTHETIC)", scale = 0,
                    type = "Reference", organisation = "Synthetic sample", completedOn = "2024-06-30", accepted = true, acceptedOn = "2024-07-15",
                },
            },
            layers = new object[]
            {
                new { survey = "bortala-reference", name = "counties", kind = "admin-units", file = "admin/counties_synthetic.geojson" },
                new
                {
                    survey = "bortala-reference", name = "faults-himatibetmap2", kind = "active-faults",
                    file = "reference/faults_himatibetmap2_slip_rates.geojson",
                },
                new { survey = "bortala-reference", name = "faults-gem", kind = "active-faults", file = "reference/faults_gem_gaf.geojson" },
                new { survey = "bortala-reference", name = "lakes", kind = "lakes", file = "reference/ne10m_lakes.geojson" },
                new { survey = "bortala-reference", name = "rivers-ne", kind = "rivers", file = "reference/ne10m_rivers_lake_centerlines.geojson" },
                new { survey = "bortala-reference", name = "bortala-river", kind = "rivers", file = "hydro/bortala_river_synthetic.geojson" },
                new { survey = "bortala-reference", name = "dem", kind = "dem", file = DemFileName(demArcSeconds), generated = true, demArcSeconds },
                new
                {
                    survey = "bortala-geohazard-50k", name = "hazard-zones", kind = "hazard-zones", file = "geohazard-50k/bortala_geohazard_50k.gpkg",
                    sourceLayer = "yfx_fq",
                },
                new
                {
                    survey = "bortala-geohazard-50k", name = "hazard-points", kind = "hazard-points",
                    file = "geohazard-50k/bortala_geohazard_50k.gpkg", sourceLayer = "zhd",
                },
                new { survey = "bole-geohazard-10k", name = "hazard-zones", kind = "hazard-zones", file = "geohazard-10k/bole_yfx_fq_10k.zip" },
                new { survey = "bole-geohazard-10k", name = "hazard-points", kind = "hazard-points", file = "geohazard-10k/bole_zhd_10k.zip" },
                new { survey = "bortala-flood-2023", name = "flood-zones", kind = "flood-zones", file = "flood/bortala_flood_zones.geojson" },
                new { survey = "bortala-seismic", name = "pga-zoning", kind = "pga-zoning", file = "seismic/pga_zoning_synthetic.geojson" },
                new { survey = "bortala-exposure", name = "buildings", kind = "buildings", file = ExposureFile, sourceLayer = "jzw" },
                new { survey = "bortala-exposure", name = "population", kind = "population", file = ExposureFile, sourceLayer = "rk" },
                new { survey = "bortala-exposure", name = "roads", kind = "roads", file = ExposureFile, sourceLayer = "dl" },
                new { survey = "bortala-exposure", name = "facilities", kind = "facilities", file = ExposureFile, sourceLayer = "zdss" },
            },
        };
        var json = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        File.WriteAllText(Prepare("manifest.json"), JsonSerializer.Serialize(manifest, json) + "\n");
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private string Prepare(string relative)
    {
        var path = Path.Combine(_outDir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        return path;
    }

    private VectorDataset CreateVector(string driver, string relative, IEnumerable<string>? options = null) =>
        VectorDataset.Create(driver, Prepare(relative), options);

    private static IEnumerable<Geometry> ReadGeometries(string path, Func<VectorFeature, bool> filter)
    {
        using var ds = VectorDataset.OpenRead(path, ["GeoJSON"]);
        return ds.ReadFeatures(0).Where(filter).Select(f => f.Geometry!).ToList();
    }

    private static IEnumerable<Polygon> Explode(Geometry g) => g switch
    {
        Polygon p => [p],
        GeometryCollection c => c.Geometries.SelectMany(Explode),
        _ => [],
    };

    private static Geometry AsMulti(Geometry g) => g switch
    {
        Polygon p => s_factory.CreateMultiPolygon([p]),
        MultiPolygon => g,
        GeometryCollection c => s_factory.CreateMultiPolygon(Explode(c).ToArray()),
        _ => g,
    };

    private static Coordinate Round(Coordinate c) => new(Math.Round(c.X, 6), Math.Round(c.Y, 6));

    private static LineString Polyline(IEnumerable<Coordinate> coords) => s_factory.CreateLineString(coords.Select(Round).ToArray());

    /// <summary>To Gauss-Krüger metres, rounded to millimetres as survey software writes them.</summary>
    private static Geometry ToGk(Geometry g, CoordinateTransformation t) => Gdal.Ingestion.GeometryReprojector.Transform(g, t, roundDecimals: 3);

    /// <summary>Buffers in metres using a local equirectangular scaling (good to well under 1 % at this size).</summary>
    private static Geometry BufferMetres(Geometry g, double metres)
    {
        var k = Math.Cos(44.7 * Math.PI / 180);
        var scaled = g.Copy();
        scaled.Apply(new ScaleFilter(k, 1));
        var buffered = scaled.Buffer(metres / 110_570.0, 8);
        buffered.Apply(new ScaleFilter(1 / k, 1));
        buffered.GeometryChanged();
        return buffered;
    }

    private static double ApproxAreaKm2(Geometry g)
    {
        var lat = g.Centroid.Y;
        return g.Area * 111.32 * Math.Cos(lat * Math.PI / 180) * 110.57;
    }

    private static void Zip(string folder, string baseName, string zipPath)
    {
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create);
        foreach (var file in Directory.GetFiles(folder, baseName + ".*").Order(StringComparer.Ordinal))
        {
            var entry = zip.CreateEntry(Path.GetFileName(file), CompressionLevel.Optimal);
            entry.LastWriteTime = s_zipTime;
            using var output = entry.Open();
            using var input = File.OpenRead(file);
            input.CopyTo(output);
        }
    }

    private sealed class ScaleFilter(double kx, double ky) : IEntireCoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq)
        {
            for (var i = 0; i < seq.Count; i++)
            {
                seq.SetX(i, seq.GetX(i) * kx);
                seq.SetY(i, seq.GetY(i) * ky);
            }
        }
    }
}

/// <summary>A susceptibility score from slope, relief and distance to active faults, used to grade synthetic zones.</summary>
/// <summary>
/// Where the synthetic hazards happen, independent of the survey grades (and of <see cref="SusceptibilityScorer"/>'s formula):
/// slides and falls on slopes steeper than ~20° (logistic in slope), debris flows in channels near the river at moderate
/// slopes, a few along faults (shattered rock), ground collapse on flat ground. Returns an acceptance likelihood (0–1) and
/// the hazard type.
/// </summary>
internal sealed class HazardProcess(BortalaTerrain terrain, IReadOnlyList<Geometry> faults, LineString river)
{
    private readonly NetTopologySuite.Index.Strtree.STRtree<Geometry> _faults = SusceptibilityScorer.Build(faults);

    public (double Likelihood, string Type) At(double lon, double lat)
    {
        var slope = terrain.SlopeDegrees(lon, lat);
        var p = new Point(lon, lat);
        var riverKm = river.Distance(p) * 95; // degrees to km, rough at 45°N
        var search = new Envelope(lon - 0.2, lon + 0.2, lat - 0.2, lat + 0.2);
        var faultKm = _faults.Query(search).Select(f => f.Distance(p)).DefaultIfEmpty(0.2).Min() * 95;
        var slides = 0.9 / (1 + Math.Exp(-(slope - 22) / 4));
        var debris = slope is > 6 and < 30 ? 0.35 * Math.Exp(-riverKm / 2.5) : 0;
        var shattered = 0.15 * Math.Exp(-faultKm / 3);
        var collapse = slope < 3 ? 0.01 : 0;
        var likelihood = Math.Min(1, slides + debris + shattered + collapse);
        var type = debris > slides && debris > shattered ? "泥石流"
            : slope > 38 ? "崩塌"
            : slope < 3 ? "地面塌陷"
            : slope < 14 ? "不稳定斜坡"
            : "滑坡";
        return (likelihood, type);
    }
}

internal sealed class SusceptibilityScorer(BortalaTerrain terrain, IReadOnlyList<Geometry> faults)
{
    private readonly NetTopologySuite.Index.Strtree.STRtree<Geometry> _faults = Build(faults);

    public double Score(double lon, double lat)
    {
        var slope = terrain.SlopeDegrees(lon, lat);
        var elevation = terrain.Elevation(lon, lat);
        var p = new Point(lon, lat);
        var search = new Envelope(lon - 0.3, lon + 0.3, lat - 0.3, lat + 0.3);
        var nearest = _faults.Query(search).Select(f => f.Distance(p)).DefaultIfEmpty(0.3).Min();
        var faultKm = nearest * 95; // degrees to km, rough at 45°N
        return (slope / 12.0) + Math.Clamp((elevation - 800) / 1800, 0, 1.2) + (1.2 * Math.Exp(-faultKm / 6));
    }

    internal static NetTopologySuite.Index.Strtree.STRtree<Geometry> Build(IReadOnlyList<Geometry> faults)
    {
        var tree = new NetTopologySuite.Index.Strtree.STRtree<Geometry>();
        foreach (var f in faults)
        {
            tree.Insert(f.EnvelopeInternal, f);
        }

        tree.Build();
        return tree;
    }
}
