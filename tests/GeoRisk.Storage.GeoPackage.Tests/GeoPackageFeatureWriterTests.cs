using System.Diagnostics;
using GeoRisk.Gdal;
using GeoRisk.Tests.Common;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Implementation;

namespace GeoRisk.Storage.GeoPackage.Tests;

/// <summary>The fast single-table GeoPackage writer, read back by GDAL and checked in SQLite.</summary>
public sealed class GeoPackageFeatureWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new("georisk-gpkg-writer");

    public void Dispose() => _dir.Dispose();

    private static readonly GeometryFactory s_packed = new(PackedCoordinateSequenceFactory.DoubleFactory);
    private static readonly GeometryFactory s_plain = new();

    /// <summary>Polygons with and without holes, from packed (the polygonizer's) and plain coordinate sequences.</summary>
    private static List<(Polygon Polygon, double Value)> Polygons()
    {
        var result = new List<(Polygon, double)>();
        for (var i = 0; i < 40; i++)
        {
            var factory = i % 2 == 0 ? s_packed : s_plain;
            double x = 500_000 + (i * 300), y = 4_900_000 + (i % 7 * 250);
            var shell = factory.CreateLinearRing([new(x, y), new(x + 200, y), new(x + 200, y + 180), new(x, y + 180), new(x, y)]);
            var holes = i % 3 == 0 ? new[] { factory.CreateLinearRing([new(x + 50, y + 50), new(x + 50, y + 100), new(x + 120, y + 100), new(x + 120, y + 50), new(x + 50, y + 50)]) } : [];
            result.Add((factory.CreatePolygon(shell, holes), i % 5 == 4 ? double.NaN : i % 4 + 1));
        }

        return result;
    }

    [Fact]
    public void Written_GdalReadsTheSameFeaturesCrsAndExtent_RtreeHoldsEveryEnvelope()
    {
        var path = _dir.File("zones.gpkg");
        var polygons = Polygons();
        using (var writer = GeoPackageFeatureWriter.Create(path, "zones", "POLYGON", GeoPackageCrs.Epsg(4536, "CGCS2000 / 3-degree Gauss-Kruger CM 81E", SpatialReferenceWkt(4536)), ["class"]))
        {
            foreach (var (polygon, value) in polygons)
            {
                writer.Add(polygon, [value]);
            }

            writer.Complete();
        }

        using (var ds = VectorDataset.OpenRead(path, ["GPKG"]))
        {
            var layer = Assert.Single(ds.Layers);
            Assert.Equal("zones", layer.Name);
            Assert.Equal(4536, layer.CrsEpsg);
            Assert.Equal(polygons.Count, layer.FeatureCount);
            var features = ds.ReadFeatures(0).ToList();
            for (var i = 0; i < polygons.Count; i++)
            {
                Assert.True(features[i].Geometry!.EqualsExact(polygons[i].Polygon), $"feature {i}: {features[i].Geometry} vs {polygons[i].Polygon}");
                Assert.Equal(double.IsNaN(polygons[i].Value) ? null : polygons[i].Value, features[i].Attributes["class"]);
            }
        }

        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = """
            SELECT (SELECT count(*) FROM rtree_zones_geom),
                   (SELECT count(*) FROM zones z JOIN rtree_zones_geom r ON r.id = z.fid),
                   (SELECT min(minx) || ' ' || max(maxx) || ' ' || min(miny) || ' ' || max(maxy) FROM rtree_zones_geom),
                   (SELECT min_x || ' ' || max_x || ' ' || min_y || ' ' || max_y FROM gpkg_contents WHERE table_name = 'zones'),
                   (SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_zones_geom_%'),
                   (SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id IN (-1, 0, 4326, 4536))
            """;
        using var reader = check.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(polygons.Count, reader.GetInt64(0));
        Assert.Equal(polygons.Count, reader.GetInt64(1));
        Assert.Equal("500000.0 511900.0 4900000.0 4901680.0", reader.GetString(2)); // the R-tree stores floats rounded outwards; these are exact
        Assert.Equal("500000.0 511900.0 4900000.0 4901680.0", reader.GetString(3));
        Assert.Equal(6, reader.GetInt64(4));
        Assert.Equal(4, reader.GetInt64(5));
    }

    [Fact]
    public void EditedByGdalAfterwards_TriggersKeepTheRtreeInStep()
    {
        var path = _dir.File("edit.gpkg");
        using (var writer = GeoPackageFeatureWriter.Create(path, "zones", "POLYGON", GeoPackageCrs.Undefined, ["class"]))
        {
            foreach (var (polygon, value) in Polygons())
            {
                writer.Add(polygon, [value]);
            }

            writer.Complete();
        }

        // ogrinfo runs the statements in SQLite with GDAL's ST_* functions, as QGIS edits would.
        Ogr(path, "DELETE FROM zones WHERE fid <= 5");
        Ogr(path, "UPDATE zones SET geom = (SELECT geom FROM zones WHERE fid = 40) WHERE fid = 39");
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "SELECT (SELECT count(*) FROM rtree_zones_geom), (SELECT minx FROM rtree_zones_geom WHERE id = 39), (SELECT minx FROM rtree_zones_geom WHERE id = 40)";
        using var reader = check.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(35, reader.GetInt64(0));
        Assert.Equal(reader.GetDouble(2), reader.GetDouble(1));
    }

    [Fact]
    public void NotCompleted_FileDeleted_UnwritablePath_IOException()
    {
        var path = _dir.File("abandoned.gpkg");
        using (var writer = GeoPackageFeatureWriter.Create(path, "zones", "POLYGON", GeoPackageCrs.Undefined, ["class"]))
        {
            writer.Add(Polygons()[0].Polygon, [1]);
        }

        Assert.False(File.Exists(path));
        var ex = Assert.ThrowsAny<IOException>(() => GeoPackageFeatureWriter.Create(Path.Combine(_dir.Path, "no-such-folder", "x.gpkg"), "zones", "POLYGON", GeoPackageCrs.Undefined, []));
        Assert.Contains("no-such-folder", ex.Message, StringComparison.Ordinal);
    }

    private static string SpatialReferenceWkt(int epsg)
    {
        using var crs = SpatialReference.FromEpsg(epsg);
        return crs.Wkt;
    }

    private static void Ogr(string path, string sql)
    {
        using var p = Process.Start(new ProcessStartInfo("ogrinfo", ["-q", path, "-sql", sql]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && stderr.Result.Length == 0, $"ogrinfo -sql '{sql}': {stderr.Result}");
    }
}
