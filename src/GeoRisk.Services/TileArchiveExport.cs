using System.Text.Json.Nodes;
using GeoRisk.Tiles;
using NetTopologySuite.Geometries;

namespace GeoRisk.Services;

/// <summary>
/// Exports a tileset's vector tiles over a zoom range as a PMTiles v3 archive or an MBTiles 1.3 file (the same gzip
/// bytes the service serves, deduplicated), for a CDN or an offline laptop.
/// </summary>
public static class TileArchiveExport
{
    /// <summary>Writes a PMTiles v3 archive; reports (tiles done, tiles to do) as it goes. Returns (tiles stored, distinct contents).</summary>
    /// <exception cref="KeyNotFoundException">The tileset does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The zoom range is outside 0–<see cref="TileService.MaxZoom"/> or reversed.</exception>
    public static async Task<(int Tiles, int Contents)> WritePmTilesAsync(TileService tiles, string tileset, int minZoom, int maxZoom, Stream output,
        IProgress<(long Done, long Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        using var writer = new PmTilesWriter();
        var (metadata, bounds) = await CollectAsync(tiles, tileset, minZoom, maxZoom, writer.Add, progress, cancellationToken);
        writer.WriteTo(output, metadata.ToJsonString(), (bounds.MinX, bounds.MinY, bounds.MaxX, bounds.MaxY), minZoom, maxZoom);
        return (writer.TileCount, writer.ContentCount);
    }

    /// <summary>
    /// Writes an MBTiles 1.3 file (which must not exist) of the same tiles, with the spec's metadata rows and the
    /// <c>json</c> row holding <c>vector_layers</c>. Returns (tiles stored, distinct contents).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The tileset does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The zoom range is outside 0–<see cref="TileService.MaxZoom"/> or reversed.</exception>
    public static async Task<(int Tiles, int Contents)> WriteMbTilesAsync(TileService tiles, string tileset, int minZoom, int maxZoom, string path,
        IProgress<(long Done, long Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        using var writer = new MbTilesWriter(path);
        var (metadata, bounds) = await CollectAsync(tiles, tileset, minZoom, maxZoom, writer.Add, progress, cancellationToken);
        var (b, c) = MbTilesWriter.BoundsAndCenter(bounds.MinX, bounds.MinY, bounds.MaxX, bounds.MaxY, Math.Clamp(8, minZoom, maxZoom));
        writer.Finish(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["name"] = metadata["name"]!.GetValue<string>(),
            ["format"] = "pbf",
            ["bounds"] = b,
            ["center"] = c,
            ["minzoom"] = minZoom.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["maxzoom"] = maxZoom.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["attribution"] = metadata["attribution"]!.GetValue<string>(),
            ["description"] = $"GeoRisk tileset {tileset} (versions {metadata["version"]!.GetValue<string>()})",
            ["type"] = "overlay",
            ["version"] = "1",
            ["json"] = new JsonObject { ["vector_layers"] = metadata["vector_layers"]!.DeepClone() }.ToJsonString(),
        });
        return (writer.TileCount, writer.ContentCount);
    }

    /// <summary>Every non-empty tile of the range in the served (gzip) bytes, handed to <paramref name="add"/>; returns the archive metadata and
    /// bounds.</summary>
    private static async Task<(JsonObject Metadata, Envelope Bounds)> CollectAsync(TileService tiles, string tileset, int minZoom, int maxZoom, AddTile add,
        IProgress<(long Done, long Total)>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minZoom);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxZoom, TileService.MaxZoom);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minZoom, maxZoom);
        var list = await tiles.ListAsync(cancellationToken);
        var selected = tileset.Split(',').Select(n => list.FirstOrDefault(t => t.Id == n) ?? throw new KeyNotFoundException($"No tileset '{n}'.")).ToList();
        var bounds = new Envelope();
        foreach (var t in selected.Where(t => t.Bounds is not null))
        {
            bounds.ExpandToInclude(t.Bounds);
        }

        if (bounds.IsNull)
        {
            bounds = new Envelope(-180, 180, -85.0511, 85.0511);
        }

        long total = 0;
        for (var z = minZoom; z <= maxZoom; z++)
        {
            var r = WebMercator.TileRange(bounds, z);
            total += (long)(r.MaxX - r.MinX + 1) * (r.MaxY - r.MinY + 1);
        }

        long done = 0;
        for (var z = minZoom; z <= maxZoom; z++)
        {
            var r = WebMercator.TileRange(bounds, z);
            for (var x = r.MinX; x <= r.MaxX; x++)
            {
                for (var y = r.MinY; y <= r.MaxY; y++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var tile = new TileId(z, x, y);
                    var result = await tiles.GetTileAsync(tileset, tile, cancellationToken);
                    if (!result.IsEmpty)
                    {
                        add(tile, result.Gzipped);
                    }

                    if (++done % 256 == 0 || done == total)
                    {
                        progress?.Report((done, total));
                    }
                }
            }
        }

        var layers = new JsonArray();
        foreach (var t in selected)
        {
            var fields = new JsonObject();
            foreach (var (name, type) in await tiles.FieldsAsync(t.Id, cancellationToken))
            {
                fields[name] = type;
            }

            layers.Add(new JsonObject { ["id"] = t.Id, ["description"] = t.Title, ["minzoom"] = minZoom, ["maxzoom"] = maxZoom, ["fields"] = fields });
        }

        var metadata = new JsonObject
        {
            ["name"] = string.Join(",", selected.Select(t => t.Title)),
            ["format"] = "pbf",
            ["type"] = "overlay",
            ["version"] = string.Join(",", selected.Select(t => t.Version)),
            ["attribution"] = Attribution,
            ["vector_layers"] = layers,
        };
        return (metadata, bounds);
    }

    private delegate void AddTile(TileId tile, ReadOnlySpan<byte> gzipped);

    /// <summary>Sources of the real data in the sample set (surveys/README.md); the rest is synthetic.</summary>
    public const string Attribution =
        "Faults: GEM Global Active Faults Database, GEM Foundation (CC BY 4.0); HimaTibetMap v2, R. Styron (CC BY 4.0). Hydrography: Natural Earth (public " +
        "domain). Survey layers: synthetic samples.";
}
