using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Zoning;
using NetTopologySuite.Geometries;

namespace GeoRisk.Benchmarks.Census;

/// <summary>One warm-up and three iterations: each iteration tallies a million footprints, so seconds per run.</summary>
public sealed class CensusConfig : ManualConfig
{
    public CensusConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}

/// <summary>
/// The exposure census and the risk product's E·V surface at prefecture size: a 7,500 × 6,000 grid (30 m over
/// 225 × 180 km, 45 M cells) with graded bands, four counties with long wavy borders, 1,000,000 building footprints
/// clustered around 40 towns, 20,000 population units, 400 roads and 5,000 facilities (docs/DOMAIN.md §11).
/// </summary>
[Config(typeof(CensusConfig))]
public class ExposureCensusBench
{
    private const int Width = 7_500;
    private const int Height = 6_000;
    private const double Cell = 30;
    private static readonly GeometryFactory s_f = new();
    private GridSpec _grid = null!;
    private RasterBuffer<byte> _grade = null!;
    private RasterBuffer<byte> _mask = null!;
    private List<AdminUnitInput> _units = null!;
    private ExposureInputs _exposure = null!;

    [Params(1_000_000)]
    public int Buildings { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _grid = new GridSpec(Width, Height, new GeoTransform(0, Cell, Height * Cell, -Cell), "");
        _grade = new RasterBuffer<byte>(Width, Height);
        _mask = new RasterBuffer<byte>(Width, Height);
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                // Wavy diagonal bands of grades 1..4, like a smoothed zoning.
                var v = (x + y + (300 * Math.Sin(x / 400.0)) + (200 * Math.Cos(y / 250.0))) / 900.0;
                _grade.Data[(y * Width) + x] = (byte)(1 + ((int)Math.Floor(v) % 4));
                _mask.Data[(y * Width) + x] = 1;
            }
        }

        var w = Width * Cell;
        var h = Height * Cell;
        _units = [];
        for (var i = 0; i < 4; i++)
        {
            // Counties split by wavy meridians (thousands of vertices each side).
            var x0 = w * i / 4;
            var x1 = w * (i + 1) / 4;
            var left = Enumerable.Range(0, 2_001).Select(k => new Coordinate(i == 0 ? 0 : x0 + (3_000 * Math.Sin(k / 37.0)), h * k / 2_000)).ToList();
            var right = Enumerable.Range(0, 2_001).Select(k => new Coordinate(i == 3 ? w : x1 + (3_000 * Math.Sin(k / 37.0)), h * k / 2_000)).Reverse().ToList();
            var ring = left.Concat(right).Append(left[0]).ToArray();
            _units.Add(new AdminUnitInput($"65270{i + 1}", $"county {i + 1}", null, s_f.CreatePolygon(ring)));
        }

        var random = new Random(17);
        var towns = Enumerable.Range(0, 40).Select(_ => (X: random.NextDouble() * w, Y: random.NextDouble() * h)).ToArray();
        string[] structures = ["钢混结构", "砖混结构", "砖木结构", "土木结构", "其他结构"];
        var buildings = new List<BuildingInput>(Buildings);
        for (var i = 0; i < Buildings; i++)
        {
            var town = towns[i % towns.Length];
            var r = 8_000 * Math.Sqrt(-Math.Log(1 - random.NextDouble())) / 2;
            var a = random.NextDouble() * 2 * Math.PI;
            var (cx, cy) = (Math.Clamp(town.X + (r * Math.Cos(a)), 20, w - 20), Math.Clamp(town.Y + (r * Math.Sin(a)), 20, h - 20));
            var size = 6 + (random.NextDouble() * 14);
            var footprint = s_f.CreatePolygon([new(cx, cy), new(cx + size, cy), new(cx + size, cy + size), new(cx, cy + size), new(cx, cy)]);
            buildings.Add(new BuildingInput(footprint, structures[random.Next(structures.Length)], size * size * (1 + random.Next(6)), random.Next(8), random.Next(10)));
        }

        var population = new List<PopulationUnitInput>();
        for (var gx = 0; gx < 160; gx++)
        {
            for (var gy = 0; gy < 125; gy++)
            {
                var (x0, y0) = (gx * w / 160, gy * h / 125);
                var box = s_f.ToGeometry(new Envelope(x0, x0 + (w / 160), y0, y0 + (h / 125)));
                var people = random.Next(50, 3_000);
                population.Add(new PopulationUnitInput(box, people, people * 0.8, people));
            }
        }

        var roads = Enumerable.Range(0, 400).Select(i =>
        {
            var (a, b) = (towns[i % 40], towns[(i * 7 + 3) % 40]);
            var line = s_f.CreateLineString(Enumerable.Range(0, 200).Select(k => new Coordinate(a.X + ((b.X - a.X) * k / 199), a.Y + ((b.Y - a.Y) * k / 199) + (500 * Math.Sin(k / 9.0)))).ToArray());
            return new RoadInput(line, i % 3 == 0 ? "国道" : "县道");
        }).ToList();
        var facilities = Enumerable.Range(0, 5_000).Select(i => new FacilityInput(s_f.CreatePoint(new Coordinate(random.NextDouble() * w, random.NextDouble() * h)), i % 2 == 0 ? "学校" : "医院", 100)).ToList();
        _exposure = new ExposureInputs(buildings, population, roads, facilities);
    }

    [Benchmark]
    public int CensusPerCountyAndGrade() => ExposureCensus.Compute(_grid, _grade, 4, _units, _exposure).Count;

    [Benchmark]
    public float ExposedValueSurface() => RiskSurface.ExposedValue(_grid, _mask, _exposure, new VulnerabilityModel(), new RiskWeights()).Data[12345];
}
