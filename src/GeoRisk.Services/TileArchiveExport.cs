using System.Text.Json.Nodes;
using GeoRisk.Tiles;
using NetTopologySuite.Geometries;

namespace GeoRisk.Services;

/// <summary>
/// Exports a tileset's vector tiles over a zoom range as a PMTiles v3 archive (the same gzip bytes the service
/// serves, deduplicated), for a CDN or an offline laptop.
/// </summary>
public static class TileArchiveExport
{
    /// <summary>Writes the archive; reports (tiles done, tiles to do) as it goes. Returns (tiles stored, distinct contents).</summary>
    /// <exception cref="KeyNotFoundException">The tileset does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The zoom range is outside 0–<see cref="TileService.MaxZoom"/> or reversed.</exception>
    public static async Task<(int Tiles, int Contents)> WritePmTilesAsync(TileService tiles, string tileset, int minZoom, int maxZoom, Stream output,
        IProgress<(long Done, long Total)>? progress = null, CancellationToken cancellationToken = default)
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

        using var writer = new PmTilesWriter();
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
                        writer.Add(tile, result.Gzipped);
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
            ["vector_layers"] = layers,
        };
        writer.WriteTo(output, metadata.ToJsonString(), (bounds.MinX, bounds.MinY, bounds.MaxX, bounds.MaxY), minZoom, maxZoom);
        return (writer.TileCount, writer.ContentCount);
    }
}
