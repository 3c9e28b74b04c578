using System.Globalization;
using System.Security.Cryptography;
using GeoRisk.Tiles;
using Microsoft.Data.Sqlite;

namespace GeoRisk.Services;

/// <summary>
/// Writes an MBTiles 1.3 file (https://github.com/mapbox/mbtiles-spec/blob/master/1.3/spec.md) of gzip-compressed MVT
/// tiles: a SQLite database whose <c>metadata</c> table holds name, format (pbf), bounds, center, min/max zoom,
/// attribution, description, type, version and the <c>json</c> row with <c>vector_layers</c>, and whose <c>tiles</c>
/// is a view over deduplicated contents (<c>images</c>) and the tile index (<c>map</c>, TMS rows: y counted from the
/// south), which the specification allows in place of a table.
/// </summary>
public sealed class MbTilesWriter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly SqliteCommand _insertImage;
    private readonly SqliteCommand _insertMap;
    private readonly Dictionary<string, long> _contents = new(StringComparer.Ordinal);
    private bool _finished;

    /// <summary>Creates the file (which must not exist) with the schema, in one transaction until <see cref="Finish"/>.</summary>
    public MbTilesWriter(string path)
    {
        if (File.Exists(path))
        {
            throw new IOException($"{path} exists.");
        }

        _connection = new SqliteConnection(
            new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        _connection.Open();
        using (var pragma = _connection.CreateCommand())
        {
            // Written once and then only read: no journal needed while writing (a failed export is deleted whole).
            pragma.CommandText = "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 4096;";
            pragma.ExecuteNonQuery();
        }

        _transaction = _connection.BeginTransaction();
        Execute("""
            CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
            CREATE UNIQUE INDEX metadata_name ON metadata (name);
            CREATE TABLE images (tile_id INTEGER NOT NULL PRIMARY KEY, tile_data BLOB NOT NULL);
            CREATE TABLE map (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_id INTEGER NOT NULL);
            CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
            CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, map.tile_row AS tile_row, images.tile_data AS tile_data
                FROM map JOIN images ON images.tile_id = map.tile_id;
            """);
        _insertImage = Command("INSERT INTO images (tile_id, tile_data) VALUES ($id, $data)", "$id", "$data");
        _insertMap = Command("INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES ($z, $x, $y, $id)", "$z", "$x", "$y", "$id");
    }

    /// <summary>Tiles added so far.</summary>
    public int TileCount { get; private set; }

    /// <summary>Distinct tile contents stored so far.</summary>
    public int ContentCount => _contents.Count;

    /// <summary>The TMS row of an XYZ tile (MBTiles counts rows from the south).</summary>
    public static long TmsRow(TileId tile) => (1L << tile.Z) - 1 - tile.Y;

    /// <summary>Adds one tile's gzip-compressed MVT bytes (empty tiles are not added).</summary>
    /// <exception cref="SqliteException">The tile was added before.</exception>
    public void Add(TileId tile, ReadOnlySpan<byte> gzipped)
    {
        // Contents are told apart by their SHA-256 and stored once under a small integer id (the map rows stay small).
        var hash = Convert.ToHexStringLower(SHA256.HashData(gzipped));
        if (!_contents.TryGetValue(hash, out var id))
        {
            id = _contents.Count + 1;
            _contents[hash] = id;
            _insertImage.Parameters["$id"].Value = id;
            _insertImage.Parameters["$data"].Value = gzipped.ToArray();
            _insertImage.ExecuteNonQuery();
        }

        _insertMap.Parameters["$z"].Value = tile.Z;
        _insertMap.Parameters["$x"].Value = tile.X;
        _insertMap.Parameters["$y"].Value = TmsRow(tile);
        _insertMap.Parameters["$id"].Value = id;
        _insertMap.ExecuteNonQuery();
        TileCount++;
    }

    /// <summary>Writes the metadata rows and commits.</summary>
    /// <param name="metadata">name → value; the spec's rows (name, format, bounds, center, minzoom, maxzoom, json …).</param>
    public void Finish(IReadOnlyDictionary<string, string> metadata)
    {
        using var insert = Command("INSERT INTO metadata (name, value) VALUES ($name, $value)", "$name", "$value");
        foreach (var (name, value) in metadata)
        {
            insert.Parameters["$name"].Value = name;
            insert.Parameters["$value"].Value = value;
            insert.ExecuteNonQuery();
        }

        _transaction.Commit();
        _finished = true;
        Execute("ANALYZE;");
    }

    /// <summary>The spec's bounds and center rows from lon/lat bounds.</summary>
    public static (string Bounds, string Center) BoundsAndCenter(double minLon, double minLat, double maxLon, double maxLat, int zoom) =>
        (string.Create(CultureInfo.InvariantCulture, $"{minLon:0.######},{minLat:0.######},{maxLon:0.######},{maxLat:0.######}"),
         string.Create(CultureInfo.InvariantCulture, $"{(minLon + maxLon) / 2:0.######},{(minLat + maxLat) / 2:0.######},{zoom}"));

    public void Dispose()
    {
        _insertImage.Dispose();
        _insertMap.Dispose();
        if (!_finished)
        {
            _transaction.Rollback();
        }

        _transaction.Dispose();
        _connection.Dispose();
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = _finished ? null : _transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        foreach (var p in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = p });
        }

        command.Prepare();
        return command;
    }
}
