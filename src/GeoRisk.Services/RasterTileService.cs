using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Gdal;
using GeoRisk.Raster;
using GeoRisk.Raster.Terrain;
using GeoRisk.Tiles;
using Microsoft.Extensions.Caching.Memory;

namespace GeoRisk.Services;

public sealed record RasterTileResult(byte[] Png, string ETag, bool Blank);

/// <summary>
/// PNG tiles (256 px, WebMercatorQuad) of the current zoning run's products — each product's index (a continuous ramp
/// through the grade colours: "index" for susceptibility, "hazard-index", and "risk" for the risk index) and grades
/// ("grade", "hazard-grade", "risk-grade", the legend colours) — and a hillshade of the DEM. Nodata is transparent.
/// GDAL's warper reads the COG overview closest to the zoom.
/// </summary>
public sealed class RasterTileService(IGeoRiskStore store) : IDisposable
{
    public static readonly IReadOnlyList<string> Kinds = ["index", "grade", "hazard-index", "hazard-grade", "risk", "risk-grade", "hillshade"];

    /// <summary>The product and whether it is the grade raster, for a zoning kind.</summary>
    public static (ZoningProduct Product, bool Grade) KindOf(string kind) => kind switch
    {
        "grade" => (ZoningProduct.Susceptibility, true),
        "hazard-index" => (ZoningProduct.Hazard, false),
        "hazard-grade" => (ZoningProduct.Hazard, true),
        "risk" => (ZoningProduct.Risk, false),
        "risk-grade" => (ZoningProduct.Risk, true),
        _ => (ZoningProduct.Susceptibility, false),
    };

    /// <summary>The zoning kind of a product's grade or index raster: the inverse of <see cref="KindOf"/>.</summary>
    public static string KindFor(ZoningProduct product, bool grade) => (product, grade) switch
    {
        (ZoningProduct.Susceptibility, true) => "grade",
        (ZoningProduct.Susceptibility, false) => "index",
        (ZoningProduct.Risk, false) => "risk",
        _ => ZoningRunRecord.ProductToken(product) + (grade ? "-grade" : "-index"),
    };

    /// <summary>The run's raster of a zoning kind.</summary>
    /// <exception cref="KeyNotFoundException">The run lacks that product (no risk without exposure; runs before schema 3 have only susceptibility).</exception>
    public static string RasterOf(ZoningRunInfo run, string kind)
    {
        var (product, grade) = KindOf(kind);
        var name = grade ? ZoningRunRecord.GradeRaster(product) : ZoningRunRecord.IndexRaster(product);
        return run.Rasters.TryGetValue(name, out var path)
            ? path
            : throw new KeyNotFoundException(
                $"Zoning run {run.Id} has no {ZoningRunRecord.ProductToken(product)} product (the risk product needs exposure layers).");
    }
    public const int Size = 256;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 128L * 1024 * 1024 });
    private readonly Lazy<string> _mercatorWkt = new(() =>
    {
        using var srs = SpatialReference.FromEpsg(3857);
        return srs.Wkt;
    });

    private readonly Lazy<byte[]> _blank = new(() => RasterImages.EncodePng(new byte[Size * Size * 4], Size, Size));

    // The sources per kind as of one store change stamp: a cached tile no longer pays a catalog query (as TileService's listing).
    private volatile SourceMemo? _sources;

    private sealed record SourceMemo(string Stamp, ConcurrentDictionary<string, (string Version, string Path, ZoningRunInfo? Run)?> ByKind);

    /// <summary>The version the tiles of a kind currently come from (run id or DEM version); null when there is no source.</summary>
    public async Task<(string Version, string Path, ZoningRunInfo? Run)?> SourceAsync(string kind, CancellationToken cancellationToken)
    {
        // Read before the catalog, so a write that lands while it is read leaves a stamp that differs next time.
        var stamp = store.ChangeStamp;
        if (stamp is null)
        {
            return await ReadSourceAsync(kind, cancellationToken);
        }

        var memo = _sources;
        if (memo is null || memo.Stamp != stamp)
        {
            _sources = memo = new SourceMemo(stamp, new(StringComparer.Ordinal));
        }

        if (memo.ByKind.TryGetValue(kind, out var known))
        {
            return known;
        }

        var source = await ReadSourceAsync(kind, cancellationToken);
        memo.ByKind[kind] = source;
        return source;
    }

    private async Task<(string Version, string Path, ZoningRunInfo? Run)?> ReadSourceAsync(string kind, CancellationToken cancellationToken)
    {
        if (kind == "hillshade")
        {
            var dem = (await store.ListLayersAsync(cancellationToken)).Where(l => l.Kind == LayerKind.Dem).OrderBy(
                l => l.Id, StringComparer.Ordinal).FirstOrDefault();
            return dem is null ? null : ($"{dem.Id}@v{dem.CurrentVersion}", await store.GetRasterPathAsync(dem.SurveyId, dem.Name, cancellationToken), null);
        }

        var run = await store.GetZoningRunAsync(null, cancellationToken);
        return run is null ? null : ($"run{run.Id}", RasterOf(run, kind), run);
    }

    /// <exception cref="KeyNotFoundException">No zoning run or DEM to draw from.</exception>
    public async Task<RasterTileResult> GetTileAsync(string kind, TileId tile, CancellationToken cancellationToken = default)
    {
        var source = await SourceAsync(kind, cancellationToken) ?? throw new KeyNotFoundException(
            kind == "hillshade" ? "No DEM is loaded." : "No zoning run has been computed yet.");
        var key = $"{kind}/{source.Version}/{tile}";
        if (_cache.TryGetValue(key, out RasterTileResult? cached) && cached is not null)
        {
            return cached;
        }

        var rgba = await Task.Run(() => Render(kind, source.Path, source.Run, tile), cancellationToken);
        RasterTileResult result;
        if (rgba is null)
        {
            result = new RasterTileResult(_blank.Value, "\"blank\"", Blank: true);
        }
        else
        {
            var png = RasterImages.EncodePng(rgba, Size, Size);
            result = new RasterTileResult(png, "\"" + Convert.ToHexStringLower(SHA256.HashData(png).AsSpan(0, 16)) + "\"", Blank: false);
        }

        _cache.Set(key, result, new MemoryCacheEntryOptions { Size = result.Png.Length + 256 });
        return result;
    }

    public void Dispose() => _cache.Dispose();

    /// <summary>RGBA pixels, or null when the tile holds no data.</summary>
    private byte[]? Render(string kind, string path, ZoningRunInfo? run, TileId tile)
    {
        var bounds = WebMercator.Bounds(tile);
        var px = bounds.Width / Size;
        var values = Values(kind, path, tile);
        var rgba = new byte[Size * Size * 4];
        var any = false;
        switch (kind)
        {
            case "hillshade":
                // Mercator metres are stretched by 1/cos(lat); the ground cell is smaller by cos(lat).
                var (_, lat) = WebMercator.ToLonLat(bounds.Centre.X, bounds.Centre.Y);
                var ground = px * Math.Cos(lat * Math.PI / 180);
                var shade = Hillshade.Compute(values, ground, ground);
                for (var y = 0; y < Size; y++)
                {
                    for (var x = 0; x < Size; x++)
                    {
                        var v = shade[x + 1, y + 1];
                        if (v == 0)
                        {
                            continue;
                        }

                        // Dark where shaded, transparent where lit: a backdrop under the zoning colours.
                        var o = ((y * Size) + x) * 4;
                        rgba[o] = rgba[o + 1] = rgba[o + 2] = 40;
                        rgba[o + 3] = (byte)Math.Clamp(200 - v, 0, 200);
                        any = true;
                    }
                }

                break;
            default:
                any = Colour(kind, values.Data, ZoningRunRecord.Parsed(run!), rgba);
                break;
        }

        return any ? rgba : null;
    }

    /// <summary>
    /// The source's values on the tile's Web Mercator pixels (with a one-pixel margin for the hillshade): nearest neighbour
    /// for grades, bilinear otherwise, as <c>gdalwarp -t_srs EPSG:3857 -te … -ts 256 256</c> gives them. The source stays open
    /// between tiles (its decoded blocks cached), and the transformation is interpolated to within 1/8 pixel as gdalwarp does
    /// by default: opening the COG and transforming all 65,536 pixels exactly cost most of a cold tile.
    /// </summary>
    internal RasterBuffer<float> Values(string kind, string path, TileId tile)
    {
        var bounds = WebMercator.Bounds(tile);
        var margin = kind == "hillshade" ? 1 : 0;
        var px = bounds.Width / Size;
        var n = Size + (2 * margin);
        var grid = new GridSpec(n, n, new GeoTransform(bounds.MinX - (margin * px), px, bounds.MaxY + (margin * px), -px), _mercatorWkt.Value);
        return RasterDatasetPool.Shared.Use(path, source =>
            RasterWarp.ToGrid(source, Path.GetFileName(path), grid, KindOf(kind).Grade ? "near" : "bilinear", errorThreshold: 0.125));
    }

    /// <summary>
    /// Colours a product's index (a continuous ramp through the grade colours, by that product's breaks) or grade values
    /// into RGBA; nodata stays transparent. Returns whether anything was drawn.
    /// </summary>
    public static bool Colour(string kind, ReadOnlySpan<float> values, ZoningRunRecord record, Span<byte> rgba)
    {
        var (product, isGrade) = KindOf(kind);
        var productRecord = record.Product(product) ?? throw new KeyNotFoundException($"The run has no {ZoningRunRecord.ProductToken(product)} product.");
        var grades = productRecord.Grades.Count;
        var colours = Enumerable.Range(1, grades).Select(g => Parse(Grades.Colour(g, grades))).ToArray();
        var breaks = productRecord.Breaks;
        var any = false;
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (float.IsNaN(v) || (isGrade && v is < 1 or > 255))
            {
                continue;
            }

            var c = isGrade ? colours[Math.Clamp((int)v, 1, grades) - 1] : Ramp(v, breaks, colours);
            var o = i * 4;
            (rgba[o], rgba[o + 1], rgba[o + 2], rgba[o + 3]) = (c.R, c.G, c.B, (byte)255);
            any = true;
        }

        return any;
    }

    /// <summary>A PNG of a run's index or grade raster, at most <paramref name="maxWidth"/> pixels wide, in the raster's own CRS.</summary>
    public static byte[] RenderPng(ZoningRunInfo run, string kind, int maxWidth = 2048)
    {
        var record = ZoningRunRecord.Parsed(run);
        var path = RasterOf(run, kind);
        var gt = record.Grid.GeoTransform;
        var scale = Math.Max(1.0, record.Grid.Width / (double)maxWidth);
        var width = (int)Math.Round(record.Grid.Width / scale);
        var height = (int)Math.Round(record.Grid.Height / scale);
        using var ds = RasterDataset.Open(path);
        var grid = new GridSpec(
            width, height, new GeoTransform(gt[0], gt[1] * record.Grid.Width / width, gt[3], gt[5] * record.Grid.Height / height), ds.ProjectionWkt);
        var values = RasterWarp.ToGrid(path, grid, KindOf(kind).Grade ? "near" : "average");
        var rgba = new byte[width * height * 4];
        Colour(kind, values.Data, record, rgba);
        return RasterImages.EncodePng(rgba, width, height);
    }

    /// <summary>Index → colour: each grade's colour at the middle of its class, linear in between.</summary>
    private static (byte R, byte G, byte B) Ramp(float v, IReadOnlyList<double> breaks, (byte R, byte G, byte B)[] colours)
    {
        var stops = new double[colours.Length];
        for (var g = 0; g < colours.Length; g++)
        {
            var lo = g == 0 ? breaks[0] - (breaks.Count > 1 ? breaks[1] - breaks[0] : 0.1) : breaks[g - 1];
            var hi = g == colours.Length - 1 ? breaks[^1] + (breaks.Count > 1 ? breaks[^1] - breaks[^2] : 0.1) : breaks[g];
            stops[g] = (lo + hi) / 2;
        }

        if (v <= stops[0])
        {
            return colours[0];
        }

        for (var g = 1; g < stops.Length; g++)
        {
            if (v <= stops[g])
            {
                var t = (v - stops[g - 1]) / (stops[g] - stops[g - 1]);
                var (a, b) = (colours[g - 1], colours[g]);
                return ((byte)(a.R + ((b.R - a.R) * t)), (byte)(a.G + ((b.G - a.G) * t)), (byte)(a.B + ((b.B - a.B) * t)));
            }
        }

        return colours[^1];
    }

    private static (byte R, byte G, byte B) Parse(string hex) =>
        (byte.Parse(hex.AsSpan(1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
         byte.Parse(hex.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
         byte.Parse(hex.AsSpan(5, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
}
