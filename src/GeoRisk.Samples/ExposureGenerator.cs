using GeoRisk.Gdal;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GeoRisk.Samples;

/// <summary>
/// Synthetic exposure (承灾体) for the Bortala sample set, clearly labelled as such: buildings, population census units,
/// roads and key facilities, concentrated around the four real county seats and along the synthetic river valley, with
/// the attribute names of the national census's exposure surveys (pinyin initials). Deterministic: a fixed seed and a
/// counter-based random stream. Nothing here is real data and nothing may be read as such.
/// </summary>
internal sealed class ExposureGenerator
{
    /// <summary>The county seats' published locations (a public fact), the share of buildings around each and the spread of the town.</summary>
    private static readonly (string Code, string NameZh, double Lon, double Lat, int Buildings, double SpreadM)[] s_seats =
    [
        ("652701", "博乐市", 82.07, 44.90, 2400, 1800),
        ("652702", "阿拉山口市", 82.57, 45.17, 280, 700),
        ("652722", "精河县", 82.89, 44.60, 1500, 1400),
        ("652723", "温泉县", 81.03, 44.97, 820, 1000),
    ];

    private static readonly string[] s_structures = ["钢混结构", "砖混结构", "砖木结构", "土木结构", "其他结构"];
    private static readonly double[] s_townStructureShares = [0.34, 0.46, 0.12, 0.05, 0.03];
    private static readonly double[] s_villageStructureShares = [0.05, 0.40, 0.28, 0.22, 0.05];

    private readonly GeometryFactory _factory;
    private readonly Noise.Stream _random;
    private readonly IReadOnlyList<(string Code, string NameZh, string NameEn, Geometry Geometry)> _counties;
    private readonly STRtree<(string Code, Geometry Geometry)> _countyIndex = new();

    public ExposureGenerator(GeometryFactory factory, ulong seed, IReadOnlyList<(string Code, string NameZh, string NameEn, Geometry Geometry)> counties)
    {
        _factory = factory;
        _random = new Noise.Stream(seed);
        _counties = counties;
        foreach (var c in counties)
        {
            _countyIndex.Insert(c.Geometry.EnvelopeInternal, (c.Code, c.Geometry));
        }
    }

    public sealed record Building(string Id, Polygon Footprint, string Structure, int Floors, double FloorAreaM2, string Use, int Day, int Night);

    public sealed record Facility(string Id, string Name, string Type, int Capacity, Point Point);

    public sealed record Road(string Id, string Name, string Class, LineString Line);

    public sealed record PopulationUnit(string Code, string Name, int Population, int Day, int Night, Geometry Area);

    /// <summary>Villages: points along the river valley and between the seats, each with a few dozen buildings.</summary>
    private List<(double Lon, double Lat)> Villages(LineString river)
    {
        var villages = new List<(double, double)>();
        var length = river.Length;
        for (var i = 1; i <= 18; i++)
        {
            var c = new NetTopologySuite.LinearReferencing.LengthIndexedLine(river).ExtractPoint(length * i / 19.0);
            villages.Add((Math.Round(c.X + _random.Range(-0.03, 0.03), 5), Math.Round(c.Y + _random.Range(-0.02, 0.02), 5)));
        }

        return villages;
    }

    public (List<Building> Buildings, List<Facility> Facilities, List<Road> Roads, List<PopulationUnit> Population) Generate(
        LineString river, Polygon prefecture)
    {
        var villages = Villages(river).Where(v => prefecture.Contains(_factory.CreatePoint(new Coordinate(v.Lon, v.Lat)))).ToList();
        var buildings = new List<Building>();
        foreach (var seat in s_seats)
        {
            for (var i = 0; i < seat.Buildings; i++)
            {
                buildings.Add(MakeBuilding($"{seat.Code}{buildings.Count + 1:D6}", seat.Lon, seat.Lat, seat.SpreadM, town: true));
            }
        }

        foreach (var (lon, lat) in villages)
        {
            var count = _random.Int(20, 60);
            for (var i = 0; i < count; i++)
            {
                buildings.Add(MakeBuilding($"{CountyOf(lon, lat)}{buildings.Count + 1:D6}", lon, lat, 350, town: false));
            }
        }

        buildings = buildings.Where(b => prefecture.Contains(b.Footprint.Centroid)).ToList();
        return (buildings, Facilities(villages), Roads(villages), Population(buildings, prefecture));
    }

    private Building MakeBuilding(string id, double lon, double lat, double spreadM, bool town)
    {
        // Box–Muller around the centre; metres to degrees at the site's latitude.
        var r = spreadM * Math.Sqrt(-2 * Math.Log(Math.Max(1e-12, _random.Next())));
        var a = 2 * Math.PI * _random.Next();
        var mPerDegLat = 111_132.0;
        var mPerDegLon = 111_320.0 * Math.Cos(lat * Math.PI / 180);
        var cx = lon + (r * Math.Cos(a) / mPerDegLon);
        var cy = lat + (r * Math.Sin(a) / mPerDegLat);
        var structure = Pick(s_structures, town ? s_townStructureShares : s_villageStructureShares);
        var floors = structure switch
        {
            "钢混结构" => town ? _random.Int(3, 19) : _random.Int(2, 5),
            "砖混结构" => _random.Int(1, town ? 7 : 3),
            _ => _random.Int(1, 3),
        };
        var side = town ? _random.Range(10, 32) : _random.Range(8, 18);
        var (hx, hy) = (side / 2 / mPerDegLon, side / 2 / mPerDegLat);
        var footprint = _factory.CreatePolygon(
        [
            Round(cx - hx, cy - hy), Round(cx + hx, cy - hy), Round(cx + hx, cy + hy), Round(cx - hx, cy + hy), Round(cx - hx, cy - hy),
        ]);
        var floorArea = Math.Round(side * side * floors, 1);
        var use = _random.Next() switch
        {
            < 0.72 => "住宅",
            < 0.84 => "商业",
            < 0.90 => "办公",
            < 0.96 => "工业",
            _ => "其他",
        };
        // Residents per 100 m² of floor (about 3) at night; workers and shoppers by day.
        var (day, night) = use switch
        {
            "住宅" => ((int)Math.Round(floorArea / 100 * 1.2), (int)Math.Round(floorArea / 100 * 3.0)),
            "商业" => ((int)Math.Round(floorArea / 100 * 6), (int)Math.Round(floorArea / 100 * 0.3)),
            "办公" => ((int)Math.Round(floorArea / 100 * 5), 0),
            "工业" => ((int)Math.Round(floorArea / 100 * 2), 0),
            _ => ((int)Math.Round(floorArea / 100 * 0.5), (int)Math.Round(floorArea / 100 * 0.5)),
        };
        return new Building(id, footprint, structure, floors, floorArea, use, day, night);
    }

    private List<Facility> Facilities(List<(double Lon, double Lat)> villages)
    {
        var result = new List<Facility>();
        void Add(string county, string name, string type, int capacity, double lon, double lat, double spreadDeg)
        {
            var p = _factory.CreatePoint(Round(lon + _random.Range(-spreadDeg, spreadDeg), lat + _random.Range(-spreadDeg * 0.7, spreadDeg * 0.7)));
            result.Add(new Facility($"{county}-SS{result.Count + 1:D4}", name, type, capacity, p));
        }

        foreach (var seat in s_seats)
        {
            var scale = seat.Buildings / 400;
            for (var i = 0; i < Math.Max(2, scale * 2); i++)
            {
                Add(seat.Code, $"{seat.NameZh}第{i + 1}学校 (示例)", "学校", _random.Int(300, 2400), seat.Lon, seat.Lat, 0.02);
            }

            for (var i = 0; i < Math.Max(1, scale); i++)
            {
                Add(seat.Code, $"{seat.NameZh}第{i + 1}医院 (示例)", "医院", _random.Int(80, 600), seat.Lon, seat.Lat, 0.015);
            }

            Add(seat.Code, $"{seat.NameZh}人民政府 (示例)", "政府机关", _random.Int(100, 400), seat.Lon, seat.Lat, 0.005);
            Add(seat.Code, $"{seat.NameZh}加油站 (示例)", "危化品企业", _random.Int(5, 30), seat.Lon, seat.Lat, 0.04);
        }

        foreach (var (lon, lat) in villages.Where((_, i) => i % 3 == 0))
        {
            Add(CountyOf(lon, lat), "村小学 (示例)", "学校", _random.Int(40, 300), lon, lat, 0.004);
        }

        // Reservoirs upstream of the valley villages.
        foreach (var (lon, lat) in villages.Where((_, i) => i % 6 == 1))
        {
            Add(CountyOf(lon, lat), "水库 (示例)", "水库", _random.Int(50, 3000) * 10_000, lon, lat + 0.05, 0.02);
        }

        return result;
    }

    private List<Road> Roads(List<(double Lon, double Lat)> villages)
    {
        var byCode = s_seats.ToDictionary(s => s.Code, s => (s.Lon, s.Lat));
        var roads = new List<Road>
        {
            MakeRoad("G-001", "示例国道 温泉—博乐—精河", "国道", [byCode["652723"], byCode["652701"], byCode["652722"]]),
            MakeRoad("S-001", "示例省道 博乐—阿拉山口", "省道", [byCode["652701"], byCode["652702"]]),
        };
        foreach (var (v, i) in villages.Select((v, i) => (v, i)))
        {
            var nearest = s_seats.OrderBy(s => Math.Pow(s.Lon - v.Lon, 2) + Math.Pow(s.Lat - v.Lat, 2)).First();
            roads.Add(MakeRoad($"X-{i + 1:D3}", $"示例县道 {i + 1}", i % 2 == 0 ? "县道" : "乡道", [(nearest.Lon, nearest.Lat), v]));
        }

        return roads;
    }

    /// <summary>A road through the given points, with a kink every few kilometres so it is not a ruler line.</summary>
    private Road MakeRoad(string id, string name, string cls, IReadOnlyList<(double Lon, double Lat)> through)
    {
        var coords = new List<Coordinate> { Round(through[0].Lon, through[0].Lat) };
        for (var i = 1; i < through.Count; i++)
        {
            var (a, b) = (through[i - 1], through[i]);
            var steps = Math.Max(2, (int)(Math.Sqrt(Math.Pow(b.Lon - a.Lon, 2) + Math.Pow(b.Lat - a.Lat, 2)) / 0.04));
            for (var k = 1; k < steps; k++)
            {
                var t = k / (double)steps;
                coords.Add(Round(a.Lon + ((b.Lon - a.Lon) * t) + _random.Range(-0.006, 0.006), a.Lat + ((b.Lat - a.Lat) * t) + _random.Range(-0.004, 0.004)));
            }

            coords.Add(Round(b.Lon, b.Lat));
        }

        return new Road(id, name, cls, _factory.CreateLineString([.. coords]));
    }

    /// <summary>
    /// Census units: a 0.05° grid cut by the county outlines (a unit never spans two counties), each holding the night
    /// population of the buildings whose centroid it contains plus a thin dispersed rural population.
    /// </summary>
    private List<PopulationUnit> Population(List<Building> buildings, Polygon prefecture)
    {
        const double Step = 0.05;
        var env = prefecture.EnvelopeInternal;
        var index = new STRtree<Building>();
        foreach (var b in buildings)
        {
            index.Insert(b.Footprint.Centroid.EnvelopeInternal, b);
        }

        var units = new List<PopulationUnit>();
        foreach (var county in _counties.OrderBy(c => c.Code, StringComparer.Ordinal))
        {
            var n = 0;
            for (var y = Math.Floor(env.MinY / Step) * Step; y < env.MaxY; y += Step)
            {
                for (var x = Math.Floor(env.MinX / Step) * Step; x < env.MaxX; x += Step)
                {
                    var cell = _factory.ToGeometry(new Envelope(Math.Round(x, 6), Math.Round(x + Step, 6), Math.Round(y, 6), Math.Round(y + Step, 6)));
                    if (!cell.Intersects(county.Geometry))
                    {
                        continue;
                    }

                    var piece = cell.Intersection(county.Geometry);
                    if (piece.Area <= 0 || piece is not (Polygon or MultiPolygon))
                    {
                        continue;
                    }

                    var inside = index.Query(piece.EnvelopeInternal).Where(
                        b => piece.Covers(b.Footprint.Centroid) && CountyOf(b.Footprint.Centroid.X, b.Footprint.Centroid.Y) == county.Code).ToList();
                    var rural = _random.Next() < 0.35 ? _random.Int(0, 40) : 0;
                    var night = inside.Sum(b => b.Night) + rural;
                    var day = inside.Sum(b => b.Day) + rural;
                    if (night == 0 && day == 0)
                    {
                        continue;
                    }

                    units.Add(new PopulationUnit($"{county.Code}-{++n:D4}", $"{county.NameZh} 统计单元 {n} (示例)", night, day, night, piece));
                }
            }
        }

        return units;
    }

    private string CountyOf(double lon, double lat)
    {
        var p = _factory.CreatePoint(new Coordinate(lon, lat));
        return _countyIndex.Query(p.EnvelopeInternal).Where(
            c => c.Geometry.Covers(p)).Select(c => c.Code).Order(StringComparer.Ordinal).FirstOrDefault() ?? "652700";
    }

    private string Pick(string[] values, double[] shares)
    {
        var u = _random.Next();
        for (var i = 0; i < values.Length; i++)
        {
            u -= shares[i];
            if (u <= 0)
            {
                return values[i];
            }
        }

        return values[^1];
    }

    private static Coordinate Round(double x, double y) => new(Math.Round(x, 7), Math.Round(y, 7));

    /// <summary>Writes the four layers into one GeoPackage with the census survey's field names.</summary>
    public static void Write(string path, (List<Building> Buildings, List<Facility> Facilities, List<Road> Roads, List<PopulationUnit> Population) exposure)
    {
        using var ds = VectorDataset.Create("GPKG", path);
        using var cgcs = SpatialReference.FromEpsg(4490);
        var bw = ds.CreateLayer("jzw", cgcs, VectorGeometryType.Polygon,
            [new("JZBH", VectorFieldType.String), new("JGLX", VectorFieldType.String), new("JZCS", VectorFieldType.Integer), new("JZMJ", VectorFieldType.Real),
             new("FWYT", VectorFieldType.String), new("RKBT", VectorFieldType.Integer), new("RKYE", VectorFieldType.Integer)],
            ["DESCRIPTION=房屋建筑 (buildings), SYNTHETIC sample exposure, not real"]);
        foreach (var b in exposure.Buildings)
        {
            bw.Add(b.Footprint, [b.Id, b.Structure, b.Floors, b.FloorAreaM2, b.Use, b.Day, b.Night]);
        }

        var pw = ds.CreateLayer("rk", cgcs, VectorGeometryType.MultiPolygon,
            [new("DWDM", VectorFieldType.String), new(
                "DWMC", VectorFieldType.String), new("ZRK", VectorFieldType.Integer), new("BRK", VectorFieldType.Integer), new("YRK", VectorFieldType.Integer)],
            ["DESCRIPTION=人口统计单元 (population census units), SYNTHETIC sample exposure, not real"]);
        foreach (var u in exposure.Population)
        {
            var multi = u.Area as MultiPolygon ?? new MultiPolygon([(Polygon)u.Area], u.Area.Factory);
            pw.Add(multi, [u.Code, u.Name, u.Population, u.Day, u.Night]);
        }

        var rw = ds.CreateLayer("dl", cgcs, VectorGeometryType.LineString,
            [new("LXBH", VectorFieldType.String), new("DLMC", VectorFieldType.String), new("JSDJ", VectorFieldType.String)],
            ["DESCRIPTION=道路 (roads), SYNTHETIC sample exposure, not real"]);
        foreach (var r in exposure.Roads)
        {
            rw.Add(r.Line, [r.Id, r.Name, r.Class]);
        }

        var fw = ds.CreateLayer("zdss", cgcs, VectorGeometryType.Point,
            [new("SSBH", VectorFieldType.String), new("SSMC", VectorFieldType.String), new("SSLX", VectorFieldType.String), new("GM", VectorFieldType.Integer)],
            ["DESCRIPTION=重点设施 (key facilities), SYNTHETIC sample exposure, not real"]);
        foreach (var f in exposure.Facilities)
        {
            fw.Add(f.Point, [f.Id, f.Name, f.Type, f.Capacity]);
        }
    }
}
