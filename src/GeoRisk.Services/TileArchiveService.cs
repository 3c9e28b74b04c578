using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GeoRisk.Tiles;

namespace GeoRisk.Services;

/// <summary>A tile of an archive tileset: gzip MVT bytes (null when the archive has no such tile) and a strong identity ETag.</summary>
public sealed record ArchiveTileResult(byte[]? Gzipped, string ETag);

/// <summary>
/// The PMTiles archives of one folder served as tilesets <c>archive:NAME</c> (file <c>NAME.pmtiles</c>), beside the
/// live tilesets <c>zoning</c>, <c>survey:layer</c> … (docs/CLIENTS.md). An archive is opened once and reopened when
/// the file changes; each request reads only its directories and tile by byte range.
/// </summary>
public sealed partial class TileArchiveService(string? directory)
{
    /// <summary>Tileset ids of archives start with this prefix.</summary>
    public const string Prefix = "archive:";

    /// <summary>Largest decompressed tile served as identity bytes.</summary>
    private const int MaxTileBytes = 64 << 20;

    private readonly Dictionary<string, (PmTilesReader Reader, string Version)> _open = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="tileset"/> names an archive (whether or not it exists).</summary>
    public static bool IsArchive(string tileset) => tileset.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The archive file name (<c>NAME.pmtiles</c>) of a valid archive name, else null: names only, never paths.</summary>
    public static string? FileNameOf(string name) => ArchiveName().IsMatch(name) ? name + ".pmtiles" : null;

    /// <summary>
    /// The archive tilesets of the folder, by id: the title is the archive's metadata name, or its file name when the
    /// metadata has none or cannot be read (a damaged archive is still listed; its tiles say what is wrong).
    /// </summary>
    public IReadOnlyList<(string Id, string Title, string Version)> List()
    {
        if (directory is not { Length: > 0 } || !Directory.Exists(directory))
        {
            return [];
        }

        var listed = new List<(string Id, string Title, string Version)>();
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*.pmtiles").OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            var name = file.Name[..^".pmtiles".Length];
            if (FileNameOf(name) is null)
            {
                continue; // not a name a tile URL can carry
            }

            var tileset = Prefix + name;
            try
            {
                var (reader, version) = Open(tileset);
                var title = _titles.TryGetValue(tileset, out var known) && known.Version == version ? known.Title
                    : Metadata(reader, tileset)["name"] is JsonValue v && v.TryGetValue<string>(out var n) ? n : name;
                _titles[tileset] = (version, title);
                listed.Add((tileset, title, version));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or KeyNotFoundException)
            {
                listed.Add((tileset, name, $"{file.Length:x}-{file.LastWriteTimeUtc.Ticks:x}"));
            }
        }

        return listed;
    }

    /// <summary>Titles of the listed archives by tileset, with the archive version they were read from: a listing reads no metadata twice.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Version, string Title)> _titles = new(StringComparer.Ordinal);

    /// <summary>One tile of an archive tileset.</summary>
    /// <exception cref="KeyNotFoundException">No such archive.</exception>
    /// <exception cref="InvalidDataException">The archive is damaged or hostile (the message says how).</exception>
    public ArchiveTileResult GetTile(string tileset, TileId tile)
    {
        var (reader, version) = Open(tileset);
        var found = reader.ReadTile(tile);
        if (found is not { } t)
        {
            return new ArchiveTileResult(null, $"\"{version}-none\"");
        }

        var gzipped = reader.Header.TilesGzipped ? t.Bytes : PmTilesFormat.Gzip(t.Bytes);
        return new ArchiveTileResult(gzipped, $"\"{version}-{t.Offset:x}\"");
    }

    /// <summary>The identity bytes of a gzip tile, decompressed within a bound.</summary>
    /// <exception cref="InvalidDataException">The tile is not valid gzip or expands beyond the bound.</exception>
    public static byte[] Gunzip(string tileset, byte[] gzipped) => PmTilesFormat.Gunzip(gzipped, MaxTileBytes, $"A tile of {tileset}");

    /// <summary>TileJSON 3.0 of an archive tileset: zooms and bounds from its header, layers and attribution from its metadata.</summary>
    /// <exception cref="KeyNotFoundException">No such archive.</exception>
    /// <exception cref="InvalidDataException">The archive or its metadata is damaged.</exception>
    public JsonObject TileJson(string tileset, string root)
    {
        var (reader, version) = Open(tileset);
        var metadata = Metadata(reader, tileset);
        var h = reader.Header;
        return new JsonObject
        {
            ["tilejson"] = "3.0.0",
            ["name"] = metadata["name"]?.DeepClone() ?? tileset,
            ["version"] = "1.0.0",
            ["scheme"] = "xyz",
            ["tiles"] = new JsonArray($"{root}/tiles/{Uri.EscapeDataString(tileset)}/{{z}}/{{x}}/{{y}}.mvt?v={version}"),
            ["minzoom"] = h.MinZoom,
            ["maxzoom"] = h.MaxZoom,
            ["bounds"] = new JsonArray(h.MinLon, h.MinLat, h.MaxLon, h.MaxLat),
            ["vector_layers"] = metadata["vector_layers"]?.DeepClone() ?? new JsonArray(),
            ["attribution"] = metadata["attribution"]?.DeepClone(),
        };
    }

    /// <summary>The archive's JSON metadata (an empty object when it is not an object).</summary>
    /// <exception cref="InvalidDataException">The metadata is damaged or not JSON.</exception>
    private static JsonObject Metadata(PmTilesReader reader, string tileset)
    {
        try
        {
            return JsonNode.Parse(reader.ReadMetadata()) as JsonObject ?? [];
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"Archive {tileset} has metadata that is not JSON ({e.Message}).", e);
        }
    }

    private (PmTilesReader Reader, string Version) Open(string tileset)
    {
        var name = tileset[Prefix.Length..];
        if (directory is not { Length: > 0 } || FileNameOf(name) is not { } fileName)
        {
            throw new KeyNotFoundException($"No tile archive tileset '{tileset}'.");
        }

        var file = new FileInfo(Path.Combine(Path.GetFullPath(directory), fileName));
        if (!file.Exists)
        {
            throw new KeyNotFoundException($"No tile archive tileset '{tileset}' ({fileName} is not in the archive folder).");
        }

        // The file's size and time are its version: a replaced archive is reopened, and its tiles get new ETags.
        var version = $"{file.Length:x}-{file.LastWriteTimeUtc.Ticks:x}";
        lock (_open)
        {
            if (_open.TryGetValue(name, out var open) && open.Version == version)
            {
                return open;
            }
        }

        // A replaced reader is not disposed here: a request may still be reading through it; its file handle is
        // released when the last such request drops it (SafeHandle finalisation).
        var reader = PmTilesReader.Open(file.FullName);
        lock (_open)
        {
            _open[name] = (reader, version);
        }

        return (reader, version);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex ArchiveName();
}
