using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using GeoRisk.Core;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using GeoRisk.Tiles;
using Microsoft.Extensions.Caching.Memory;
using NetTopologySuite.Coverage;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Simplify;

namespace GeoRisk.Services;

/// <summary>A tileset clients can request: a stored layer, the current zoning, or survey coverages.</summary>
/// <param name="Fields">Attribute name → TileJSON type description ("Number", "String").</param>
/// <param name="FeatureCount">Features in the tileset when the store knows without counting (null for coverages).</param>
public sealed record TilesetInfo(string Id, string Title, string Kind, string GeometryType, Envelope? Bounds, int MinZoom, int MaxZoom, string Version,
    IReadOnlyDictionary<string, string> Fields, long? FeatureCount = null);

/// <summary>An encoded tile: gzip-compressed MVT bytes, a strong ETag from the content, and what was thinned.</summary>
public sealed record VectorTileResult(byte[] Gzipped, string ETag, int Features, IReadOnlyDictionary<string, int> Thinned, bool FromCache)
{
    public bool IsEmpty => Features == 0;
}

/// <summary>
/// Serves every stored vector layer, the current zoning run and the survey coverages as vector tiles.
/// Features are loaded once per layer version (re-projected to Web Mercator and indexed); per zoom they
/// are simplified by a tile unit — zoning polygons as a coverage, so neighbouring zones keep shared edges
/// — and encoded tiles are cached by content version. A new layer version or zoning run changes the
/// tileset version, so only its tiles are rebuilt, on the next request.
/// </summary>
public sealed class TileService(IGeoRiskStore store, bool cacheTiles = true) : IDisposable
{
    /// <summary>The susceptibility zoning (易发性区划), the run's first product; hazard and risk have their own tilesets.</summary>
    public const string Zoning = "zoning";
    public const string Coverage = "coverage";
    public const int MinZoom = 0;
    public const int MaxZoom = 16;

    private readonly ConcurrentDictionary<string, Lazy<Task<VectorTileIndex>>> _sources = new(StringComparer.Ordinal);
    private readonly MemoryCache _tiles = new(new MemoryCacheOptions { SizeLimit = 256L * 1024 * 1024 });
    private readonly MvtEncoder _encoder = new();
    private long _thinnedTiles;
    private long _cacheHits;
    private long _cacheMisses;

    /// <summary>Tiles that had to drop features since start (also reported per response).</summary>
    public long ThinnedTiles => Interlocked.Read(ref _thinnedTiles);

    public (long Hits, long Misses) CacheCounters => (Interlocked.Read(ref _cacheHits), Interlocked.Read(ref _cacheMisses));

    /// <summary>The zoning tilesets: one per census product (docs/DOMAIN.md §1), each with its own zones.</summary>
    public static readonly IReadOnlyList<(string Id, ZoningProduct Product)> ZoningTilesets =
        [(Zoning, ZoningProduct.Susceptibility), ("zoning-hazard", ZoningProduct.Hazard), ("zoning-risk", ZoningProduct.Risk)];

    /// <summary>The product of a zoning tileset id; false for any other tileset.</summary>
    public static bool TryZoningProduct(string tileset, out ZoningProduct product)
    {
        foreach (var (id, p) in ZoningTilesets)
        {
            if (id == tileset)
            {
                product = p;
                return true;
            }
        }

        product = default;
        return false;
    }

    /// <summary>The zoning tileset id of a product.</summary>
    public static string ZoningTileset(ZoningProduct product) => ZoningTilesets.First(t => t.Product == product).Id;

    private static readonly ConcurrentDictionary<int, IReadOnlyDictionary<ZoningProduct, long>> s_zoneCounts = new();

    /// <summary>Zones per product of a run (runs are immutable, so read once per run).</summary>
    public static IReadOnlyDictionary<ZoningProduct, long> ZoneCounts(ZoningRunInfo run) => s_zoneCounts.GetOrAdd(run.Id, _ =>
    {
        var record = ZoningRunRecord.Parsed(run);
        return record.Products.Count == 0
            ? new Dictionary<ZoningProduct, long> { [ZoningProduct.Susceptibility] = run.ZoneCount }
            : record.Products.ToDictionary(p => p.Product, p => (long)p.Zones);
    });

    /// <summary>Tileset id of a stored layer: "survey:layer" (':' cannot occur in identifiers).</summary>
    public static string TilesetId(LayerInfo layer) => $"{layer.SurveyId}:{layer.Name}";

    /// <summary>
    /// The last listing with the store's change stamp when it was read: a cached tile's request no longer pays
    /// three catalog queries to learn the versions in its cache key (they cost far more than serving the tile).
    /// </summary>
    private volatile Listing? _listing;

    private sealed record Listing(string Stamp, IReadOnlyList<TilesetInfo> Tilesets, Dictionary<string, TilesetInfo> ById);

    public async Task<IReadOnlyList<TilesetInfo>> ListAsync(CancellationToken cancellationToken = default) => (await CurrentAsync(cancellationToken)).Tilesets;

    private async Task<Listing> CurrentAsync(CancellationToken cancellationToken)
    {
        // Read before the catalog, so a write that lands while it is read leaves a stamp that differs next time.
        var stamp = store.ChangeStamp;
        if (stamp is not null && _listing is { } known && known.Stamp == stamp)
        {
            return known;
        }

        var list = await ReadListAsync(cancellationToken);
        var listing = new Listing(stamp ?? "", list, list.ToDictionary(t => t.Id, StringComparer.Ordinal));
        if (stamp is not null)
        {
            _listing = listing;
        }

        return listing;
    }

    private async Task<IReadOnlyList<TilesetInfo>> ReadListAsync(CancellationToken cancellationToken)
    {
        var result = new List<TilesetInfo>();
        if (await store.GetZoningRunAsync(null, cancellationToken) is { } run)
        {
            var counts = ZoneCounts(run);
            foreach (var (id, product) in ZoningTilesets.Where(t => counts.ContainsKey(t.Product)))
            {
                var (en, zh) = Grades.ProductName(product);
                result.Add(new TilesetInfo(
                    id,
                    $"{zh} {en}, zoning run {run.Id} ({run.ModelName})",
                    "zoning",
                    "Polygon",
                    run.Bounds,
                    MinZoom,
                    MaxZoom,
                    $"run{run.Id}",
                    ZoneSchema.Fields.ToDictionary(f => f.Name, f => TypeName(f.Kind)),
                    counts[product]));
            }
        }

        var surveys = await store.ListSurveysAsync(cancellationToken);
        result.Add(new TilesetInfo(Coverage, "Survey coverage by scale", "survey-coverage", "Polygon", null, MinZoom, MaxZoom, CoverageVersion(surveys),
            new Dictionary<string, string> { ["survey_id"] = "String", ["title"] = "String", ["scale_denominator"] = "Number", ["accepted"] = "String" }));
        foreach (var layer in await store.ListLayersAsync(cancellationToken))
        {
            if (layer.Kind.IsRaster())
            {
                continue;
            }

            var schema = LayerSchema.For(layer.Kind);
            var fields = schema.Fields.ToDictionary(f => f.Name, f => TypeName(f.Kind));
            fields["source_fid"] = "Number";
            result.Add(
                new TilesetInfo(
                    TilesetId(layer),
                    layer.Id,
                    layer.Kind.ToToken(),
                    schema.Geometry.ToString(),
                    layer.Bounds,
                    MinZoom,
                    MaxZoom,
                    $"v{layer.CurrentVersion}",
                    fields,
                    layer.FeatureCount));
        }

        return result;
    }

    /// <summary>
    /// The attributes the tiles of a tileset really carry, name → TileJSON type ("Number", "String", "Boolean"), in
    /// order of first appearance: read from the loaded features, so TileJSON's vector_layers cannot drift from the
    /// tiles (attributes that are null everywhere are never encoded, so never advertised).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The tileset does not exist.</exception>
    public async Task<IReadOnlyDictionary<string, string>> FieldsAsync(string tileset, CancellationToken cancellationToken = default)
    {
        var info = (await ListAsync(cancellationToken)).FirstOrDefault(t => t.Id == tileset) ?? throw new KeyNotFoundException($"No tileset '{tileset}'.");
        return (await SourceAsync(info, cancellationToken)).Fields;
    }

    /// <summary>The MVT bytes of a tile, uncompressed (benchmarks and tools).</summary>
    public static byte[] Gunzip(byte[] gzipped)
    {
        using var input = new GZipStream(new MemoryStream(gzipped), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Encodes one tile of one or several comma-joined tilesets.</summary>
    /// <exception cref="KeyNotFoundException">A tileset does not exist.</exception>
    public async Task<VectorTileResult> GetTileAsync(string tilesets, TileId tile, CancellationToken cancellationToken = default)
    {
        var names = tilesets.Split(',');
        if (names.Length > 16 || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            throw new InvalidInputException("bad-tileset", "Give at most 16 distinct tilesets, comma-separated.");
        }

        var available = (await CurrentAsync(cancellationToken)).ById;
        var selected = names.Select(n => available.TryGetValue(n, out var t) ? t : throw new KeyNotFoundException($"No tileset '{n}'.")).ToList();
        var key = string.Join(",", selected.Select(t => $"{t.Id}@{t.Version}")) + "/" + tile;
        if (cacheTiles && _tiles.TryGetValue(key, out VectorTileResult? cached) && cached is not null)
        {
            Interlocked.Increment(ref _cacheHits);
            return cached with { FromCache = true };
        }

        Interlocked.Increment(ref _cacheMisses);
        var layers = new List<TileLayerInput>();
        foreach (var t in selected)
        {
            var source = await SourceAsync(t, cancellationToken);
            layers.Add(new TileLayerInput(t.Id, source.FeaturesFor(tile)));
        }

        var encoded = _encoder.Encode(tile, layers);
        if (encoded.Thinned.Count > 0)
        {
            Interlocked.Increment(ref _thinnedTiles);
        }

        var gzipped = Gzip(encoded.Bytes);
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(encoded.Bytes).AsSpan(0, 16)) + "\"";
        var result = new VectorTileResult(gzipped, etag, encoded.FeatureCount, encoded.Thinned, FromCache: false);
        if (cacheTiles)
        {
            _tiles.Set(key, result, new MemoryCacheEntryOptions { Size = gzipped.Length + 256 });
        }

        return result;
    }

    /// <summary>
    /// Loads every tileset and prepares the zoning's per-zoom simplifications and the other layers' base
    /// simplification (<see cref="VectorTileIndex.Prepare"/>) ahead of the first requests,
    /// so a burst of clients after a start or a new run does not wait on that work. Called in the
    /// background at start-up and whenever a new zoning run appears.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        foreach (var tileset in await ListAsync(cancellationToken))
        {
            var source = await SourceAsync(tileset, cancellationToken);
            if (tileset.Kind == "zoning")
            {
                for (var z = MinZoom; z < VectorTileIndex.SimplifyBelowZoom; z++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var zoom = z;
                    await Task.Run(() => source.Prepare(zoom), cancellationToken);
                }
            }
            else
            {
                await Task.Run(() => source.Prepare(VectorTileIndex.BaseZoom), cancellationToken);
            }
        }
    }

    public void Dispose() => _tiles.Dispose();

    /// <summary>
    /// One feature per survey with a coverage, in order of precedence (the feature id is the rank), in EPSG:4490
    /// lon/lat: the "coverage" tileset and OGC API collection.
    /// </summary>
    public async Task<IReadOnlyList<GeoFeature>> CoverageFeaturesAsync(CancellationToken cancellationToken = default)
    {
        var list = new List<GeoFeature>();
        var id = 0;
        foreach (var s in Core.Surveys.SurveyPrecedence.Rank(await store.ListSurveysAsync(cancellationToken)))
        {
            id++;
            if (await store.GetSurveyCoverageAsync(s.Id, cancellationToken) is { } g)
            {
                list.Add(new GeoFeature(id, g, new Dictionary<string, object?>
                {
                    ["survey_id"] = s.Id,
                    ["title"] = s.Title,
                    ["scale_denominator"] = (long)s.ScaleDenominator,
                    ["accepted"] = s.Accepted ? s.AcceptedOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "yes" : "draft",
                }));
            }
        }

        return list;
    }

    private static string TypeName(FieldKind kind) => kind is FieldKind.Integer or FieldKind.Real or FieldKind.Grade ? "Number" : "String";

    private static string CoverageVersion(IReadOnlyList<Core.Surveys.SurveyInfo> surveys) =>
        Convert.ToHexStringLower(
            SHA256.HashData(
                System.Text.Encoding.UTF8.GetBytes(
                    string.Join(
                        "|",
                        surveys.Select(
                            s => string.Create(CultureInfo.InvariantCulture, $"{s.Id},{s.ScaleDenominator},{s.Accepted},{s.AcceptedOn}")))))).Substring(0, 16);

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    private Task<VectorTileIndex> SourceAsync(TilesetInfo tileset, CancellationToken cancellationToken)
    {
        var key = $"{tileset.Id}@{tileset.Version}";
        var created = false;
        var lazy = _sources.GetOrAdd(key, _ =>
        {
            created = true;
            return new Lazy<Task<VectorTileIndex>>(() => LoadAsync(tileset));
        });
        if (created && tileset.Id == Zoning && _sources.Keys.Any(k => k.StartsWith(Zoning + "@", StringComparison.Ordinal) && k != key))
        {
            // A new run replaced the current one: prepare its zooms in the background.
            _ = Task.Run(() => WarmUpAsync());
        }

        // Older versions of the same tileset are no longer reachable; let them go.
        foreach (var stale in _sources.Keys.Where(k => k.StartsWith(tileset.Id + "@", StringComparison.Ordinal) && k != key))
        {
            _sources.TryRemove(stale, out _);
        }

        return lazy.Value.WaitAsync(cancellationToken);
    }

    private async Task<VectorTileIndex> LoadAsync(TilesetInfo tileset)
    {
        IReadOnlyList<GeoFeature> features;
        var coverage = false;
        if (TryZoningProduct(tileset.Id, out var product))
        {
            var run = await store.GetZoningRunAsync(
                int.Parse(tileset.Version.AsSpan(3), CultureInfo.InvariantCulture)) ?? throw new KeyNotFoundException("The zoning run is gone.");
            features = await store.QueryZonesAsync(run.Id, null, int.MaxValue, product: product);
            coverage = true;
        }
        else if (tileset.Id == Coverage)
        {
            features = await CoverageFeaturesAsync();
        }
        else
        {
            var parts = tileset.Id.Split(':');
            features = await store.QueryFeaturesAsync(parts[0], parts[1], null, int.MaxValue);
        }

        return await Task.Run(() => new VectorTileIndex(features, coverage, !coverage && tileset.Id != Coverage));
    }
}
