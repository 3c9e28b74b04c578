using System.Buffers.Binary;
using GeoRisk.Core.Spatial;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using SQLitePCL;

namespace GeoRisk.Storage.GeoPackage;

/// <summary>The CRS of a GeoPackage feature table (a gpkg_spatial_ref_sys row).</summary>
/// <param name="Organization">"EPSG", or "NONE" for a CRS without an authority code.</param>
public sealed record GeoPackageCrs(int SrsId, string Name, string Organization, int Code, string Definition)
{
    /// <summary>GeoPackage's "undefined Cartesian SRS" (srs_id −1), for grids without a CRS.</summary>
    public static GeoPackageCrs Undefined { get; } = new(-1, "Undefined cartesian SRS", "NONE", -1, "undefined");

    public static GeoPackageCrs Epsg(int code, string name, string wkt) => new(code, name, "EPSG", code, wkt);

    /// <summary>A CRS known only by its definition, under a user-defined srs_id (above EPSG's range, as GDAL numbers them).</summary>
    public static GeoPackageCrs Custom(string name, string wkt) => new(100_000, name, "NONE", 100_000, wkt);
}

/// <summary>
/// Writes a new GeoPackage 1.3 file holding one feature table, as fast as SQLite takes rows: one
/// transaction, no journal (the file is new; a failed write deletes it), geometry blobs encoded straight
/// from packed coordinate arrays, the R-tree filled from the envelopes computed while encoding (GDAL's
/// writer builds it at close by parsing every geometry again), the standard R-tree triggers created
/// last. QGIS and GDAL open it like one written by ogr2ogr. Polygonize writes tens of thousands of
/// polygons with millions of vertices; GDAL's GeoPackage writer, called feature by feature, took longer
/// than the polygonize itself (benchmarks/RESULTS.md).
/// </summary>
public sealed class GeoPackageFeatureWriter : IDisposable
{
    private readonly string _path;
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _insert;
    private readonly sqlite3_stmt _index;
    private readonly string _table;
    private readonly string _geometryType;
    private readonly GeoPackageCrs _crs;
    private readonly int _fieldCount;
    private byte[] _blob = new byte[1 << 16];
    private Envelope _extent = new();
    private bool _completed;

    private GeoPackageFeatureWriter(
        string path, SqliteConnection connection, string table, string geometryType, GeoPackageCrs crs, IReadOnlyList<string> realFields)
    {
        _path = path;
        _connection = connection;
        _table = table;
        _geometryType = geometryType;
        _crs = crs;
        _fieldCount = realFields.Count;
        var db = connection.Handle!;
        var names = string.Concat(realFields.Select(f => $", \"{f}\""));
        var values = string.Concat(realFields.Select(_ => ", ?"));
        Check(raw.sqlite3_prepare_v2(db, $"INSERT INTO \"{table}\" (geom{names}) VALUES (?{values})", out _insert));
        Check(raw.sqlite3_prepare_v2(db, $"INSERT INTO \"rtree_{table}_geom\" VALUES (?, ?, ?, ?, ?)", out _index));
    }

    /// <summary>Creates (replacing any file at <paramref name="path"/>) a GeoPackage with an empty feature table.</summary>
    /// <param name="geometryType">GeoPackage geometry type name, e.g. POLYGON.</param>
    /// <param name="realFields">Names of the table's REAL attribute columns, in the order <see cref="Add"/> takes their values.</param>
    public static GeoPackageFeatureWriter Create(string path, string table, string geometryType, GeoPackageCrs crs, IReadOnlyList<string> realFields)
    {
        foreach (var suffix in new[] { "", "-journal", "-wal", "-shm" })
        {
            File.Delete(path + suffix);
        }

        var connection = new SqliteConnection(
            new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;");
            foreach (var statement in Internal.Schema.GeoPackageCore)
            {
                Execute(connection, statement);
            }

            using (var srs = connection.CreateCommand())
            {
                srs.CommandText = "INSERT OR REPLACE INTO gpkg_spatial_ref_sys VALUES (@name, @id, @org, @code, @def, NULL)";
                srs.Parameters.AddWithValue("@name", crs.Name);
                srs.Parameters.AddWithValue("@id", crs.SrsId);
                srs.Parameters.AddWithValue("@org", crs.Organization);
                srs.Parameters.AddWithValue("@code", crs.Code);
                srs.Parameters.AddWithValue("@def", crs.Definition);
                srs.ExecuteNonQuery();
            }

            var columns = string.Concat(realFields.Select(f => $", \"{f}\" REAL"));
            Execute(connection, $"CREATE TABLE \"{table}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {geometryType}{columns})");
            Execute(connection, $"CREATE VIRTUAL TABLE \"rtree_{table}_geom\" USING rtree(id, minx, maxx, miny, maxy)");
            Execute(connection, "BEGIN");
            return new GeoPackageFeatureWriter(path, connection, table, geometryType, crs, realFields);
        }
        catch (Exception ex)
        {
            connection.Dispose();
            File.Delete(path);
            if (ex is SqliteException)
            {
                throw new IOException($"Cannot create GeoPackage '{path}': {ex.Message}", ex);
            }

            throw;
        }
    }

    /// <summary>Adds one feature with its REAL attribute values (NaN is written as NULL).</summary>
    public void Add(Geometry geometry, ReadOnlySpan<double> values)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (values.Length != _fieldCount)
        {
            throw new ArgumentException($"Expected {_fieldCount} values, got {values.Length}.", nameof(values));
        }

        var (length, envelope) = Encode(geometry);
        Check(raw.sqlite3_bind_blob(_insert, 1, _blob.AsSpan(0, length)));
        for (var i = 0; i < values.Length; i++)
        {
            Check(double.IsNaN(values[i]) ? raw.sqlite3_bind_null(_insert, i + 2) : raw.sqlite3_bind_double(_insert, i + 2, values[i]));
        }

        Step(_insert);
        if (envelope is null)
        {
            return;
        }

        Check(raw.sqlite3_bind_int64(_index, 1, raw.sqlite3_last_insert_rowid(_connection.Handle!)));
        Check(raw.sqlite3_bind_double(_index, 2, envelope.MinX));
        Check(raw.sqlite3_bind_double(_index, 3, envelope.MaxX));
        Check(raw.sqlite3_bind_double(_index, 4, envelope.MinY));
        Check(raw.sqlite3_bind_double(_index, 5, envelope.MaxY));
        Step(_index);
        _extent.ExpandToInclude(envelope);
    }

    /// <summary>Registers the table (contents, geometry column, R-tree extension and triggers) and commits.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        using (var register = _connection.CreateCommand())
        {
            register.CommandText = """
                INSERT INTO gpkg_contents(table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
                VALUES (@t, 'features', @t, '', @minx, @miny, @maxx, @maxy, @srs);
                INSERT INTO gpkg_geometry_columns VALUES (@t, 'geom', @type, @srs, 0, 0);
                INSERT INTO gpkg_extensions VALUES (@t, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
                """;
            register.Parameters.AddWithValue("@t", _table);
            register.Parameters.AddWithValue("@type", _geometryType);
            register.Parameters.AddWithValue("@srs", _crs.SrsId);
            register.Parameters.AddWithValue("@minx", _extent.IsNull ? DBNull.Value : _extent.MinX);
            register.Parameters.AddWithValue("@miny", _extent.IsNull ? DBNull.Value : _extent.MinY);
            register.Parameters.AddWithValue("@maxx", _extent.IsNull ? DBNull.Value : _extent.MaxX);
            register.Parameters.AddWithValue("@maxy", _extent.IsNull ? DBNull.Value : _extent.MaxY);
            register.ExecuteNonQuery();
        }

        // The triggers that keep the R-tree in step with later edits (GeoPackage 1.3 §F.3); they call
        // ST_* functions that GDAL and QGIS register, so they come after the bulk insert.
        foreach (var trigger in Internal.Schema.RtreeTriggers(_table, "geom", "fid"))
        {
            Execute(_connection, trigger);
        }

        Execute(_connection, "COMMIT");
        _completed = true;
    }

    /// <summary>Closes the file; without <see cref="Complete"/> the file is deleted.</summary>
    public void Dispose()
    {
        _insert.Dispose();
        _index.Dispose();
        _connection.Dispose();
        if (!_completed)
        {
            File.Delete(_path);
        }
    }

    /// <summary>
    /// GeoPackage binary (GeoPackage 1.3 §2.1.3: "GP" header, version 0, flags little-endian with an XY
    /// envelope, srs_id, envelope, then ISO WKB) into the reused buffer. Returns its length and the envelope
    /// (null for an empty geometry).
    /// </summary>
    private (int Length, Envelope? Envelope) Encode(Geometry geometry)
    {
        var size = 8 + 32 + Wkb.Size(geometry);
        if (_blob.Length < size)
        {
            _blob = new byte[Math.Max(size, _blob.Length * 2)];
        }

        var empty = geometry.IsEmpty;
        var envelope = empty ? null : geometry.EnvelopeInternal;
        var span = _blob.AsSpan();
        (span[0], span[1], span[2]) = ((byte)'G', (byte)'P', 0);
        span[3] = (byte)(empty ? 0b0001_0001 : 0b0000_0011); // little-endian; envelope [minx, maxx, miny, maxy] unless empty
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], _crs.SrsId);
        var at = 8;
        if (envelope is not null)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(span[8..], envelope.MinX);
            BinaryPrimitives.WriteDoubleLittleEndian(span[16..], envelope.MaxX);
            BinaryPrimitives.WriteDoubleLittleEndian(span[24..], envelope.MinY);
            BinaryPrimitives.WriteDoubleLittleEndian(span[32..], envelope.MaxY);
            at = 40;
        }

        return (at + Wkb.Write(geometry, span[at..]), envelope);
    }

    private void Step(sqlite3_stmt statement)
    {
        var rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (rc != raw.SQLITE_DONE)
        {
            throw new IOException($"Cannot write {_path}: {raw.sqlite3_errmsg(_connection.Handle!).utf8_to_string()}");
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new IOException($"Cannot write {_path}: {raw.sqlite3_errmsg(_connection.Handle!).utf8_to_string()}");
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
