// MVT: GeoRisk's encoder (in process, over the PostGIS store) vs PostGIS ST_AsMVT (in the database),
// on the same zoning polygons and the same tiles. Usage:
//   dotnet run -c Release --project benchmarks/GeoRisk.TileBench -- STORE_DIR [maxZoom]
//   dotnet run -c Release --project benchmarks/GeoRisk.TileBench -- cold [polygons] [verticesPerPolygon]   (ColdTiles.cs)
// STORE_DIR is an embedded store with a zoning run (e.g. from `georisk demo --no-serve`); its zones are
// copied into a throw-away database created on the PostgreSQL + PostGIS server of GEORISK_POSTGRES (a connection
// string whose user may CREATE DATABASE; docker/compose.yaml starts one). Timings are sequential, one tile at a time.
using System.Diagnostics;
using System.Globalization;
using GeoRisk.Core.Storage;
using GeoRisk.Services;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Storage.PostGis;
using GeoRisk.Tiles;
using Npgsql;

if (args is ["cold", ..])
{
    ColdTiles.Run(args);
    return;
}

var storeDir = args.Length > 0 ? args[0] : "/tmp/georisk-bench-store";
var maxZoom = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 11;
await using var source = new GeoPackageStore(new GeoPackageStoreOptions { Directory = storeDir });
await source.InitializeAsync();
var run = await source.GetZoningRunAsync() ?? throw new InvalidOperationException($"No zoning run in {storeDir}.");
var zones = await source.QueryZonesAsync(run.Id, null, int.MaxValue);

var cs = await ThrowAwayDatabaseAsync();
var rasters = Directory.CreateTempSubdirectory("georisk-tilebench").FullName;
await using var pg = new PostGisStore(new PostGisStoreOptions { ConnectionString = cs, RasterDirectory = rasters });
await pg.InitializeAsync();
var staged = pg.CreateStagingPath(".tif");
await File.WriteAllBytesAsync(staged, [0]);
var pgRun = await pg.PublishZoningRunAsync(new ZoningRunPublication(run.RunKey, run.ModelName, run.ModelHash, run.RecordJson, new Dictionary<string, string> { ["grade"] = staged }), zones);
await using (var analyze = new NpgsqlConnection(cs))
{
    await analyze.OpenAsync();
    await new NpgsqlCommand("ANALYZE georisk_zones", analyze).ExecuteNonQueryAsync();
}

var bounds = run.Bounds!;
var tiles = new List<TileId>();
for (var z = 6; z <= maxZoom; z++)
{
    var r = WebMercator.TileRange(bounds, z);
    for (var x = r.MinX; x <= r.MaxX; x++)
    {
        for (var y = r.MinY; y <= r.MaxY; y++)
        {
            tiles.Add(new TileId(z, x, y));
        }
    }
}

Console.WriteLine($"{zones.Count} zones ({zones.Sum(z => z.Geometry.NumPoints):N0} vertices), {tiles.Count} tiles z6-{maxZoom}, run {run.Id}; PostgreSQL {await Version(cs)}");

// GeoRisk: the service's own path (per-zoom coverage simplification, clip, encode, gzip), cache off.
using var service = new TileService(pg, cacheTiles: false);
var sw = Stopwatch.StartNew();
await service.GetTileAsync(TileService.Zoning, tiles[0]); // loads and indexes the zones once
var load = sw.Elapsed;
var ours = new Dictionary<TileId, byte[]>();
foreach (var z in tiles.Select(t => t.Z).Distinct())
{
    await service.GetTileAsync(TileService.Zoning, tiles.First(t => t.Z == z)); // per-zoom simplification, once
}

sw.Restart();
foreach (var t in tiles)
{
    var r = await service.GetTileAsync(TileService.Zoning, t);
    ours[t] = r.IsEmpty ? [] : TileService.Gunzip(r.Gzipped);
}

var oursTime = sw.Elapsed;

// PostGIS: ST_AsMVTGeom + ST_AsMVT per tile, ids and attributes from the same rows.
const string Sql = """
    WITH b AS (SELECT ST_TileEnvelope(@z, @x, @y) AS env),
    g AS (
      SELECT zone_id, (attributes->>'grade')::int AS grade, attributes->>'prevention' AS prevention,
             ST_AsMVTGeom(ST_Transform(geom, 3857), b.env, 4096, 64, true) AS geom
      FROM georisk_zones, b
      WHERE run_id = @run AND geom && ST_Transform(ST_Expand(b.env, (ST_XMax(b.env) - ST_XMin(b.env)) * 64 / 4096), 4490))
    SELECT ST_AsMVT(g.*, 'zoning', 4096, 'geom', 'zone_id') FROM g WHERE geom IS NOT NULL
    """;
var theirs = new Dictionary<TileId, byte[]>();
await using (var connection = new NpgsqlConnection(cs))
{
    await connection.OpenAsync();
    await using var cmd = new NpgsqlCommand(Sql, connection);
    var pz = cmd.Parameters.Add("z", NpgsqlTypes.NpgsqlDbType.Integer);
    var px = cmd.Parameters.Add("x", NpgsqlTypes.NpgsqlDbType.Integer);
    var py = cmd.Parameters.Add("y", NpgsqlTypes.NpgsqlDbType.Integer);
    cmd.Parameters.AddWithValue("run", pgRun.Id);
    await cmd.PrepareAsync();
    sw.Restart();
    foreach (var t in tiles)
    {
        (pz.Value, px.Value, py.Value) = (t.Z, t.X, t.Y);
        theirs[t] = (byte[])(await cmd.ExecuteScalarAsync())!;
    }
}

var theirsTime = sw.Elapsed;

// Same features per tile? Both clip with a 64-unit buffer; simplification differs (ours by coverage).
int same = 0, differ = 0, oursInvalid = 0, theirsInvalid = 0;
foreach (var t in tiles)
{
    var a = Ids(ours[t]);
    var b = Ids(theirs[t]);
    if (a.SetEquals(b))
    {
        same++;
    }
    else
    {
        differ++;
    }

    oursInvalid += ours[t].Length > 0 && !MvtValidator.Validate(ours[t]).IsValid ? 1 : 0;
    theirsInvalid += theirs[t].Length > 0 && !MvtValidator.Validate(theirs[t]).IsValid ? 1 : 0;
}

Console.WriteLine($"GeoRisk encoder : {oursTime.TotalMilliseconds / tiles.Count:0.00} ms/tile ({oursTime.TotalSeconds:0.00} s; zones loaded once in {load.TotalSeconds:0.00} s), {ours.Values.Sum(b => b.Length) / 1024:N0} KiB");
Console.WriteLine($"PostGIS ST_AsMVT: {theirsTime.TotalMilliseconds / tiles.Count:0.00} ms/tile ({theirsTime.TotalSeconds:0.00} s), {theirs.Values.Sum(b => b.Length) / 1024:N0} KiB");
Console.WriteLine($"same feature ids in {same} tiles, different in {differ}; invalid tiles: ours {oursInvalid}, ST_AsMVT {theirsInvalid}");
Directory.Delete(rasters, recursive: true);

static HashSet<ulong> Ids(byte[] tile) => tile.Length == 0 ? [] : MvtDecoder.Decode(tile).SelectMany(l => l.Features).Select(f => f.Id ?? ulong.MaxValue).ToHashSet();

static async Task<string> Version(string cs)
{
    await using var c = new NpgsqlConnection(cs);
    await c.OpenAsync();
    return (string)(await new NpgsqlCommand("SELECT current_setting('server_version') || ', PostGIS ' || postgis_lib_version()", c).ExecuteScalarAsync())!;
}

// A fresh database on the server named by GEORISK_POSTGRES, so the benchmark never writes into a real store.
static async Task<string> ThrowAwayDatabaseAsync()
{
    var server = Environment.GetEnvironmentVariable("GEORISK_POSTGRES") is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException("Set GEORISK_POSTGRES to a PostgreSQL + PostGIS connection string (docker/compose.yaml starts one).");
    var name = "georisk_tilebench_" + Guid.NewGuid().ToString("N")[..12];
    await using (var connection = new NpgsqlConnection(server))
    {
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection); // the name is ours: hex only
        await create.ExecuteNonQueryAsync();
    }

    return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
}
