using System.IO.Compression;

namespace GeoRisk.Tiles;

/// <summary>
/// What the PMTiles v3 writer and reader share (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md):
/// the header size, the tile id of z/x/y along the Hilbert curve, and gzip.
/// </summary>
public static class PmTilesFormat
{
    /// <summary>Bytes of the fixed header.</summary>
    public const int HeaderLength = 127;

    /// <summary>The root directory (with the header) lies within the archive's first 16 KiB.</summary>
    public const int FirstFetchLength = 16384;

    /// <summary>Compression codes of the header's internal and tile compression bytes.</summary>
    public const byte CompressionNone = 1, CompressionGzip = 2;

    /// <summary>Tile type code of Mapbox vector tiles.</summary>
    public const byte TileTypeMvt = 1;

    /// <summary>The PMTiles tile id: tiles of lower zooms first, then the Hilbert-curve index within the zoom.</summary>
    public static ulong TileIdOf(TileId tile)
    {
        ulong acc = 0;
        for (var z = 0; z < tile.Z; z++)
        {
            acc += 1UL << (2 * z);
        }

        long x = tile.X, y = tile.Y;
        ulong d = 0;
        for (var s = 1L << tile.Z >> 1; s > 0; s >>= 1)
        {
            var rx = (x & s) > 0 ? 1L : 0;
            var ry = (y & s) > 0 ? 1L : 0;
            d += (ulong)(s * s * ((3 * rx) ^ ry));
            if (ry == 0)
            {
                if (rx == 1)
                {
                    x = s - 1 - x;
                    y = s - 1 - y;
                }

                (x, y) = (y, x);
            }
        }

        return acc + d;
    }

    /// <summary>Gzip-compresses bytes (directories, metadata, uncompressed tiles served as gzip).</summary>
    public static byte[] Gzip(ReadOnlySpan<byte> bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    /// <summary>Gunzips at most <paramref name="limit"/> bytes: a small hostile input cannot expand without bound.</summary>
    /// <exception cref="InvalidDataException">Not gzip, truncated, or larger than the limit once decompressed.</exception>
    public static byte[] Gunzip(byte[] bytes, int limit, string what)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                if (output.Length + read > limit)
                {
                    throw new InvalidDataException($"{what} decompresses to more than {limit} bytes.");
                }

                output.Write(buffer, 0, read);
            }

            return output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException && !e.Message.StartsWith(what, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{what} is not valid gzip ({e.Message})", e);
        }
    }
}
