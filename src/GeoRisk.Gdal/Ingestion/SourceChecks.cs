using System.Buffers.Binary;

namespace GeoRisk.Gdal.Ingestion;

/// <summary>
/// Checks of a source file's own structure that GDAL reads past silently: a Shapefile whose .dbf holds fewer
/// (or more) records than its .shp has shapes is read as the shorter of the two, and a NUL inside a text
/// value ends the C string GDAL returns, so the rest of the value would be dropped without a word.
/// </summary>
internal static class SourceChecks
{
    /// <exception cref="UploadRejectedException">Record counts differ, or a text value holds a NUL before more text.</exception>
    public static void CheckShapefile(string shpPath)
    {
        var shx = Sibling(shpPath, ".shx");
        var dbf = Sibling(shpPath, ".dbf");
        if (shx is null || dbf is null)
        {
            return; // GDAL reports the missing part itself
        }

        var shapes = (new FileInfo(shx).Length - 100) / 8;
        using var stream = File.OpenRead(dbf);
        Span<byte> header = stackalloc byte[32];
        if (stream.ReadAtLeast(header, 32, throwOnEndOfStream: false) < 32)
        {
            throw new UploadRejectedException("shapefile-corrupt", "The Shapefile's .dbf is shorter than its header.");
        }

        var records = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (records != shapes)
        {
            throw new UploadRejectedException("shapefile-record-mismatch",
                $"The Shapefile has {shapes} shapes but its .dbf has {records} attribute records; one of the parts is truncated or from another " +
                "file. Export the layer again.");
        }

        CheckDbfText(stream, header, records);
    }

    /// <summary>A NUL followed by other text inside a character field (NUL padding at the end is harmless).</summary>
    private static void CheckDbfText(FileStream stream, ReadOnlySpan<byte> header, uint records)
    {
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        int recordLength = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
        if (headerLength < 33 || recordLength < 1)
        {
            return;
        }

        var descriptors = new byte[headerLength - 32];
        stream.ReadExactly(descriptors);
        var fields = new List<(string Name, int Offset, int Length)>();
        var offset = 1; // the deletion flag
        for (var d = 0; d + 32 <= descriptors.Length && descriptors[d] != 0x0D; d += 32)
        {
            var length = descriptors[d + 16];
            if (descriptors[d + 11] is (byte)'C')
            {
                fields.Add((System.Text.Encoding.ASCII.GetString(descriptors, d, 11).TrimEnd('\0', ' '), offset, length));
            }

            offset += length;
        }

        if (fields.Count == 0)
        {
            return;
        }

        var record = new byte[recordLength];
        for (var r = 0; r < records; r++)
        {
            if (stream.ReadAtLeast(record, recordLength, throwOnEndOfStream: false) < recordLength)
            {
                return;
            }

            foreach (var (name, start, length) in fields)
            {
                if (start + length > recordLength)
                {
                    continue;
                }

                var value = record.AsSpan(start, length);
                var nul = value.IndexOf((byte)0);
                if (nul >= 0 && value[nul..].IndexOfAnyExcept((byte)0, (byte)' ') >= 0)
                {
                    throw NulRejection($"field {name} of record {r + 1}");
                }
            }
        }
    }

    /// <summary>JSON can only carry a NUL in a string as the escape \u0000.</summary>
    public static void CheckGeoJson(string path)
    {
        using var reader = new StreamReader(path);
        var buffer = new char[1 << 16];
        var carry = "";
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            var text = carry + new string(buffer, 0, read);
            if (text.Contains("\\u0000", StringComparison.Ordinal))
            {
                throw NulRejection("a string value");
            }

            carry = text.Length > 6 ? text[^6..] : text;
        }
    }

    /// <summary>Text columns of the layer's table holding a NUL (SQLite keeps the length; GDAL cuts at the NUL).</summary>
    public static void CheckGeoPackage(VectorDataset dataset, VectorLayerInfo layer)
    {
        foreach (var field in layer.Fields.Where(f => f.Type == VectorFieldType.String))
        {
            var column = "\"" + field.Name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            var table = "\"" + layer.Name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            var hits = dataset.QueryStrings($"SELECT count(*) FROM {table} WHERE instr(CAST({column} AS BLOB), zeroblob(1)) > 0");
            if (hits.Count == 1 && hits[0] is { } n && n != "0")
            {
                throw NulRejection($"field {field.Name} ({n} values)");
            }
        }
    }

    private static UploadRejectedException NulRejection(string where) =>
        new("nul-in-attribute", $"A text value contains a NUL character ({where}); it would be cut short there. Remove the NUL characters and upload again.");

    private static string? Sibling(string path, string extension)
    {
        var lower = Path.ChangeExtension(path, extension);
        if (File.Exists(lower))
        {
            return lower;
        }

        var upper = Path.ChangeExtension(path, extension.ToUpperInvariant());
        return File.Exists(upper) ? upper : null;
    }
}
