// The PostGIS peer of the tile-serving benchmark (benchmarks/peer-tile-servers.sh): the smallest honest ST_AsMVT
// server, as the pg_tileserv/martin pattern goes — every request is one query (ST_TileEnvelope, ST_AsMVTGeom with
// a 64-unit buffer and clipping, ST_AsMVT), over a pooled connection, gzip when the client accepts it, no tile
// cache. The table is the zoning's zones in Web Mercator with a GiST index (loaded by the script with ogr2ogr).
//   georisk-peer-mvt --urls http://127.0.0.1:PORT --connection "Host=…;Username=…;Database=…" --table zoning
using System.IO.Compression;
using Npgsql;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var connection = builder.Configuration["connection"] ?? throw new ArgumentException("--connection is required");
var table = builder.Configuration["table"] ?? "zoning";
if (!System.Text.RegularExpressions.Regex.IsMatch(table, "^[a-z_][a-z0-9_]*$"))
{
    throw new ArgumentException("--table must be a plain identifier");
}

var columns = builder.Configuration["columns"] ?? "zone_id, grade, term, product";
var dataSource = new NpgsqlDataSourceBuilder(connection + ";Maximum Pool Size=64;No Reset On Close=true").Build();
var sql = $"""
    WITH b AS (SELECT ST_TileEnvelope($1, $2, $3) AS env),
    t AS (SELECT ST_AsMVTGeom(z.geom, b.env, 4096, 64, true) AS geom, {columns} FROM {table} z, b WHERE z.geom && b.env)
    SELECT ST_AsMVT(t.*, '{table}', 4096, 'geom') FROM t WHERE geom IS NOT NULL
    """;
var app = builder.Build();
app.MapGet("/tiles/{name}/{z:int}/{x:int}/{y:int}.mvt", async (HttpContext http, int z, int x, int y) =>
{
    if (z is < 0 or > 22 || x < 0 || y < 0 || x >= 1 << z || y >= 1 << z)
    {
        return Results.NotFound();
    }

    await using var command = dataSource.CreateCommand(sql);
    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = z });
    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = x });
    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = y });
    var tile = await command.ExecuteScalarAsync(http.RequestAborted) as byte[] ?? [];
    if (tile.Length == 0)
    {
        return Results.NoContent();
    }

    if (!http.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.Ordinal))
    {
        return Results.Bytes(tile, "application/vnd.mapbox-vector-tile");
    }

    using var compressed = new MemoryStream();
    await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
    {
        await gzip.WriteAsync(tile, http.RequestAborted);
    }

    http.Response.Headers.ContentEncoding = "gzip";
    return Results.Bytes(compressed.ToArray(), "application/vnd.mapbox-vector-tile");
});
app.Run();
