using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Geometries;

namespace GeoRisk.Tiles.Tests;

public class MvtEncoderTests
{
    private static readonly GeometryFactory s_factory = new();
    private static readonly TileId Tile = new(10, 745, 368); // over Bole

    /// <summary>A point of the tile in EPSG:3857 at tile-unit coordinates (u, v), y down.</summary>
    private static Coordinate At(double u, double v)
    {
        var b = WebMercator.Bounds(Tile);
        return new Coordinate(b.MinX + (u / 4096 * b.Width), b.MaxY - (v / 4096 * b.Height));
    }

    private static Polygon Square(double u0, double v0, double u1, double v1, bool clockwiseOnMap = false)
    {
        var ring = new[] { At(u0, v0), At(u1, v0), At(u1, v1), At(u0, v1), At(u0, v0) };
        return s_factory.CreatePolygon(clockwiseOnMap ? ring : ring.Reverse().ToArray());
    }

    private static TileFeature Feature(ulong id, Geometry g, params (string Key, object? Value)[] attributes) =>
        new(id, g, attributes.ToDictionary(a => a.Key, a => a.Value), g.Area + g.Length);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Polygon_WithHole_ExteriorPositiveHoleNegativeNoClosingPoint(bool clockwiseOnMap)
    {
        var outer = Square(100, 100, 1000, 1000, clockwiseOnMap);
        var hole = Square(400, 400, 600, 600, !clockwiseOnMap);
        var polygon = s_factory.CreatePolygon((LinearRing)outer.ExteriorRing, [(LinearRing)hole.ExteriorRing]);
        var tile = new MvtEncoder().Encode(Tile, [new TileLayerInput("zones", [Feature(7, polygon, ("grade", 3L))])]);
        var report = MvtValidator.Validate(tile.Bytes);
        Assert.Empty(report.Errors);
        Assert.Empty(report.Warnings);
        var f = Assert.Single(Assert.Single(MvtDecoder.Decode(tile.Bytes)).Features);
        Assert.Equal(7UL, f.Id);
        Assert.Equal(3, f.Type);
        Assert.Equal(2, f.Parts.Count);
        Assert.Equal(new HashSet<(long, long)> { (100, 100), (1000, 100), (1000, 1000), (100, 1000) }, f.Parts[0].ToHashSet());
        Assert.Equal(4, f.Parts[0].Count); // no repeated closing point
        Assert.True(MvtValidator.Area(f.Parts[0]) > 0);
        Assert.True(MvtValidator.Area(f.Parts[1]) < 0);
        Assert.Equal(3L, f.Attributes["grade"]);
    }

    [Fact]
    public void Polygon_LargerThanTile_ClippedToTheBuffer()
    {
        var big = Square(-5000, -5000, 9000, 9000);
        var tile = new MvtEncoder { Buffer = 64 }.Encode(Tile, [new TileLayerInput("l", [Feature(1, big)])]);
        var f = Assert.Single(Assert.Single(MvtDecoder.Decode(tile.Bytes)).Features);
        Assert.All(f.Parts[0], p =>
        {
            Assert.InRange(p.X, -64, 4160);
            Assert.InRange(p.Y, -64, 4160);
        });
        Assert.Empty(MvtValidator.Validate(tile.Bytes).Errors);
    }

    [Fact]
    public void Line_SubUnitSegments_NoZeroLengthSegments()
    {
        var line = s_factory.CreateLineString([At(10, 10), At(10.2, 10.1), At(10.3, 10.2), At(500, 10), At(500.1, 10)]);
        var tile = new MvtEncoder().Encode(Tile, [new TileLayerInput("faults", [Feature(1, line)])]);
        var report = MvtValidator.Validate(tile.Bytes);
        Assert.Empty(report.Errors);
        Assert.Empty(report.Warnings);
        var f = Assert.Single(Assert.Single(MvtDecoder.Decode(tile.Bytes)).Features);
        Assert.Equal([(10L, 10L), (500L, 10L)], f.Parts[0]);
    }

    [Fact]
    public void Sliver_FoldedByQuantization_StillValid()
    {
        // A bow-tie once snapped to the integer grid: the fixer splits it, the tile stays valid.
        var sliver = s_factory.CreatePolygon([At(100, 100), At(200, 100.4), At(300, 100), At(200, 99.6), At(100, 100)]);
        var zigzag = s_factory.CreatePolygon([At(0, 0), At(50, 0.3), At(100, 0), At(100, 0.6), At(50, 0.2), At(0, 0.6), At(0, 0)]);
        // A comb whose teeth pinch together at the grid: the repair adds crossing vertices at fractional positions.
        var comb = s_factory.CreatePolygon(Enumerable.Range(0, 40).SelectMany(i => new[] { At(300 + (i * 2.3), 300), At(301.15 + (i * 2.3), 300.4 + (i % 3 * 0.3)) })
            .Append(At(400, 310)).Append(At(300, 310)).Append(At(300, 300)).ToArray());
        var tile = new MvtEncoder().Encode(Tile, [new TileLayerInput("l", [Feature(1, sliver), Feature(2, zigzag), Feature(3, Square(10, 10, 20, 20)), Feature(4, comb)])]);
        Assert.Empty(MvtValidator.Validate(tile.Bytes).Errors);
        // Rebuilt as OGC geometries by the MVT ring rules, every feature is valid (what GDAL and GEOS check).
        foreach (var f in Assert.Single(MvtDecoder.Decode(tile.Bytes)).Features)
        {
            var geometry = AsGeometry(f);
            Assert.True(geometry.IsValid, $"feature {f.Id}: {new NetTopologySuite.Operation.Valid.IsValidOp(geometry).ValidationError}");
        }
    }

    /// <summary>A decoded polygon feature as a MultiPolygon: each positive-area ring starts a polygon, negative ones are its holes.</summary>
    private static Geometry AsGeometry(DecodedFeature f)
    {
        var polygons = new List<(LinearRing Shell, List<LinearRing> Holes)>();
        foreach (var part in f.Parts)
        {
            var ring = s_factory.CreateLinearRing(part.Append(part[0]).Select(p => new Coordinate(p.X, p.Y)).ToArray());
            if (MvtValidator.Area(part) > 0)
            {
                polygons.Add((ring, []));
            }
            else
            {
                polygons[^1].Holes.Add(ring);
            }
        }

        return s_factory.CreateMultiPolygon(polygons.Select(p => s_factory.CreatePolygon(p.Shell, p.Holes.ToArray())).ToArray());
    }

    [Fact]
    public void Attributes_KeysAndValuesUniqueAndTyped()
    {
        var features = Enumerable.Range(1, 5).Select(i => Feature((ulong)i, s_factory.CreatePoint(At(i * 100, 100)),
            ("grade", (long)(i % 2)), ("name", i < 3 ? "博乐" : "Jinghe"), ("area_km2", 1.5), ("accepted", true), ("empty", null))).ToList();
        var tile = new MvtEncoder().Encode(Tile, [new TileLayerInput("points", features)]);
        var layer = Assert.Single(MvtDecoder.Decode(tile.Bytes));
        Assert.Equal(layer.Keys.Count, layer.Keys.Distinct().Count());
        Assert.Equal(4, layer.Keys.Count);
        Assert.Equal(6, layer.Values.Count); // 0, 1, 博乐, Jinghe, 1.5, true
        Assert.Equal("博乐", layer.Features[0].Attributes["name"]);
        Assert.Equal(1.5, layer.Features[0].Attributes["area_km2"]);
        Assert.Equal(true, layer.Features[0].Attributes["accepted"]);
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL], layer.Features.Select(f => f.Id!.Value));
        Assert.Empty(MvtValidator.Validate(tile.Bytes).Warnings);
    }

    [Fact]
    public void TooManyFeatures_ThinnedAndReported()
    {
        var features = Enumerable.Range(1, 10).Select(i => Feature((ulong)i, Square(i * 10, 10, (i * 10) + i, 10 + i))).ToList();
        var tile = new MvtEncoder { MaxFeaturesPerLayer = 4 }.Encode(Tile, [new TileLayerInput("l", features)]);
        Assert.Equal(6, tile.Thinned["l"]);
        var kept = Assert.Single(MvtDecoder.Decode(tile.Bytes)).Features.Select(f => f.Id!.Value).ToList();
        Assert.Equal([7UL, 8UL, 9UL, 10UL], kept); // the largest survive
    }

    [Fact]
    public void EmptyTile_HasNoLayers()
    {
        var far = s_factory.CreatePoint(new Coordinate(0, 0));
        var tile = new MvtEncoder().Encode(Tile, [new TileLayerInput("l", [Feature(1, far)])]);
        Assert.True(tile.IsEmpty);
        Assert.Empty(MvtDecoder.Decode(tile.Bytes));
    }

    [Fact]
    public void TileMath_BoundsAndRange()
    {
        Assert.Equal(-WebMercator.HalfWorld, WebMercator.Bounds(new TileId(0, 0, 0)).MinX, 6);
        Assert.Equal(WebMercator.HalfWorld, WebMercator.Bounds(new TileId(0, 0, 0)).MaxY, 6);
        var (x, y) = WebMercator.FromLonLat(82.05, 44.9);
        var (lon, lat) = WebMercator.ToLonLat(x, y);
        Assert.Equal(82.05, lon, 10);
        Assert.Equal(44.9, lat, 10);
        var range = WebMercator.TileRange(new Envelope(82.0, 82.1, 44.85, 44.95), 10);
        Assert.InRange(Tile.X, range.MinX, range.MaxX);
        Assert.InRange(Tile.Y, range.MinY, range.MaxY);
        Assert.False(new TileId(3, 8, 0).IsValid);
        Assert.False(new TileId(-1, 0, 0).IsValid);
        Assert.False(new TileId(25, 0, 0).IsValid);
        Assert.True(new TileId(24, (1 << 24) - 1, 0).IsValid);
    }

    [Fact]
    public void GdalMvtDriver_ReadsOurTileAtTheRightPlace()
    {
        // Independent decoder: GDAL's MVT driver, georeferencing the tile itself from Z/X/Y.
        var polygon = Square(1000, 1000, 3000, 2000);
        var line = s_factory.CreateLineString([At(100, 3000), At(4000, 3500)]);
        var tile = new MvtEncoder().Encode(Tile, [new TileLayerInput("zones", [Feature(11, polygon, ("grade", 4L), ("label", "极高"))]), new TileLayerInput("faults", [Feature(12, line)])]);
        var dir = Directory.CreateTempSubdirectory("georisk-mvt");
        try
        {
            var path = Path.Combine(dir.FullName, "tile.mvt");
            File.WriteAllBytes(path, tile.Bytes);
            const string Script = """
                import json, sys
                from osgeo import gdal, ogr
                gdal.UseExceptions()
                ds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR, open_options=['Z=' + sys.argv[2], 'X=' + sys.argv[3], 'Y=' + sys.argv[4]])
                out = {}
                for i in range(ds.GetLayerCount()):
                    lyr = ds.GetLayer(i)
                    feats = []
                    for f in lyr:
                        g = f.GetGeometryRef()
                        feats.append({'fid': f.GetFID(), 'wkt': g.ExportToWkt(), 'area': g.GetArea(), 'props': {k: f.GetField(k) for k in f.keys()}})
                    out[lyr.GetName()] = feats
                print(json.dumps(out))
                """;
            var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", Script, path, Tile.Z.ToString(CultureInfo.InvariantCulture), Tile.X.ToString(CultureInfo.InvariantCulture), Tile.Y.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, stderr);
            using var doc = JsonDocument.Parse(stdout);
            var zone = doc.RootElement.GetProperty("zones")[0];
            Assert.Equal("极高", zone.GetProperty("props").GetProperty("label").GetString());
            Assert.Equal(4, zone.GetProperty("props").GetProperty("grade").GetInt32());
            // Same area within one tile unit along the boundary (the polygon is 2000 × 1000 units).
            var unit = WebMercator.Bounds(Tile).Width / 4096;
            Assert.Equal(polygon.Area, zone.GetProperty("area").GetDouble(), polygon.Area * 1e-9 + (6000 * unit * unit));
            Assert.Equal(1, doc.RootElement.GetProperty("faults").GetArrayLength());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
