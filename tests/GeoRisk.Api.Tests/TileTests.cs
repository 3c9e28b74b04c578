using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using GeoRisk.Tiles;
using NetTopologySuite.Geometries;

namespace GeoRisk.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class TileTests(ApiFixture api)
{
    private readonly HttpClient _client = api.Factory.CreateClient();

    /// <summary>The z8 tile over the Bole key area.</summary>
    private static TileId Bole(int z)
    {
        var r = WebMercator.TileRange(new Envelope(82.05, 82.05, 44.9, 44.9), z);
        return new TileId(z, r.MinX, r.MinY);
    }

    private async Task<HttpResponseMessage> Get(string url, string? ifNoneMatch = null, bool gzip = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
        if (gzip)
        {
            request.Headers.AcceptEncoding.ParseAdd("gzip");
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.IfNoneMatch.ParseAdd(ifNoneMatch);
        }

        return await _client.SendAsync(request);
    }

    private static async Task<byte[]> Body(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.Content.Headers.ContentEncoding.Contains("gzip"))
        {
            using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            await gz.CopyToAsync(ms);
            return ms.ToArray();
        }

        return bytes;
    }

    [Fact]
    public async Task Tilesets_ListedWithTileJsonLinks()
    {
        using var doc = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/tiles", UriKind.Relative)));
        var ids = doc.RootElement.EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();
        Assert.Contains("zoning", ids);
        Assert.Contains("coverage", ids);
        Assert.Contains("bole-geohazard-10k:hazard-zones", ids);
        Assert.Contains("bortala-reference:faults-gem", ids);
        Assert.DoesNotContain("bortala-reference:dem", ids);
    }

    [Fact]
    public async Task TileJson_Zoning_VectorLayersBoundsAndAbsoluteTiles()
    {
        using var doc = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/tiles/zoning.json", UriKind.Relative)));
        var tj = doc.RootElement;
        Assert.Equal("3.0.0", tj.GetProperty("tilejson").GetString());
        Assert.Equal($"http://localhost/tiles/zoning/{{z}}/{{x}}/{{y}}.mvt?v=run{api.Run.Id}", tj.GetProperty("tiles")[0].GetString());
        Assert.Equal(0, tj.GetProperty("minzoom").GetInt32());
        Assert.Equal(16, tj.GetProperty("maxzoom").GetInt32());
        var b = tj.GetProperty("bounds").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.InRange(b[0], 79.8, 80.0);
        Assert.InRange(b[2], 83.8, 84.0);
        var layer = tj.GetProperty("vector_layers")[0];
        Assert.Equal("zoning", layer.GetProperty("id").GetString());
        Assert.Equal("Number", layer.GetProperty("fields").GetProperty("grade").GetString());
        Assert.Equal("String", layer.GetProperty("fields").GetProperty("prevention").GetString());

        using var raster = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/tiles/grade.json", UriKind.Relative)));
        Assert.EndsWith($"/tiles/grade/{{z}}/{{x}}/{{y}}.png?v=run{api.Run.Id}", raster.RootElement.GetProperty("tiles")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VectorTile_Zoning_ValidMvtWithStableIdsEtagAnd304()
    {
        var tile = Bole(8);
        var url = $"/tiles/zoning/{tile}.mvt";
        using var response = await Get(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.mapbox-vector-tile", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("gzip", response.Content.Headers.ContentEncoding);
        var bytes = await Body(response);
        var report = MvtValidator.Validate(bytes);
        Assert.Empty(report.Errors);
        Assert.Empty(report.Warnings);
        var layer = Assert.Single(MvtDecoder.Decode(bytes));
        Assert.Equal("zoning", layer.Name);
        Assert.Equal(4096u, layer.Extent);
        Assert.NotEmpty(layer.Features);
        // Ids are the zone ids: the same zone has the same id at every zoom and in every tile.
        Assert.All(layer.Features, f => Assert.Equal((long)f.Id!.Value, f.Attributes["zone_id"]));
        var deeper = MvtDecoder.Decode(await Body(await Get($"/tiles/zoning/{Bole(10)}.mvt")))[0];
        var zoneIdsAt8 = layer.Features.Select(f => f.Id).ToHashSet();
        Assert.NotEmpty(deeper.Features);
        Assert.All(deeper.Features, f => Assert.Contains(f.Id, zoneIdsAt8));

        Assert.Equal(layer.Features.Count, GdalFeatureCount(bytes, tile, "zoning"));

        var etag = response.Headers.ETag!.Tag;
        using var again = await Get(url, etag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Contains("max-age", again.Headers.CacheControl!.ToString(), StringComparison.Ordinal);

        using var plain = await Get(url, gzip: false);
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        Assert.Equal(bytes, await plain.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task VectorTile_CommaJoinedLayers_OneLayerEach_ReadByGdal()
    {
        var tile = Bole(9);
        using var response = await Get($"/tiles/bortala-reference:counties,bole-geohazard-10k:hazard-zones,bortala-reference:faults-gem/{tile}.mvt");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await Body(response);
        var layers = MvtDecoder.Decode(bytes);
        Assert.Equal(["bortala-reference:counties", "bole-geohazard-10k:hazard-zones"], layers.Select(l => l.Name).Take(2));
        Assert.Empty(MvtValidator.Validate(bytes).Errors);

        // Independent decoder: GDAL's MVT driver reads every layer and every feature.
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, bytes);
            var script = "import sys\nfrom osgeo import gdal\ngdal.UseExceptions()\nds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR, open_options=['Z=' + sys.argv[2], 'X=' + sys.argv[3], 'Y=' + sys.argv[4]])\n" +
                "for i in range(ds.GetLayerCount()):\n    l = ds.GetLayer(i)\n    print(l.GetName(), l.GetFeatureCount())\n";
            var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", script, path, tile.Z.ToString(CultureInfo.InvariantCulture), tile.X.ToString(CultureInfo.InvariantCulture), tile.Y.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
            };
            using var p = Process.Start(psi)!;
            var lines = (await p.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            await p.WaitForExitAsync();
            Assert.Equal(layers.Count, lines.Length);
            foreach (var l in layers)
            {
                Assert.Contains($"{l.Name} {l.Features.Count}", lines);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("/tiles/zoning/8/0/0.mvt", 204, null)]
    [InlineData("/tiles/zoning/3/8/0.mvt", 404, "tile-out-of-range")]
    [InlineData("/tiles/zoning/25/0/0.mvt", 404, "tile-out-of-range")]
    [InlineData("/tiles/zoning/99999999999/0/0.mvt", 400, "bad-tile")]
    [InlineData("/tiles/zoning/3/-1/0.mvt", 400, "bad-tile")]
    [InlineData("/tiles/zoning/a/b/c.mvt", 400, "bad-tile")]
    [InlineData("/tiles/nope:layer/3/1/1.mvt", 404, "not-found")]
    [InlineData("/tiles/volcanoes/3/1/1.png", 404, "not-found")]
    [InlineData("/tiles/nope.json", 404, "not-found")]
    public async Task Tiles_BadCoordinatesAndNames_ProblemDetails(string url, int expected, string? code)
    {
        using var response = await Get(url);
        Assert.Equal(expected, (int)response.StatusCode);
        if (code is not null)
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(code, doc.RootElement.GetProperty("code").GetString());
        }
    }

    [Theory]
    [InlineData("grade")]
    [InlineData("index")]
    [InlineData("hazard-grade")]
    [InlineData("risk")]
    [InlineData("risk-grade")]
    [InlineData("hillshade")]
    public async Task RasterTile_PngWithColoursAndTransparentNodata(string kind)
    {
        var tile = Bole(8);
        using var response = await Get($"/tiles/{kind}/{tile}.png");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var png = await response.Content.ReadAsByteArrayAsync();
        var (opaque, colours) = PngStats(png);
        Assert.True(opaque > 1000, $"{opaque} drawn pixels");
        if (kind.EndsWith("grade", StringComparison.Ordinal))
        {
            var legend = new HashSet<string> { "38a800", "ffff00", "ff9900", "e60000" };
            Assert.All(colours, c => Assert.Contains(c, legend));
        }

        // Outside the data: a transparent tile.
        using var blank = await Get($"/tiles/{kind}/8/0/0.png");
        Assert.Equal(HttpStatusCode.OK, blank.StatusCode);
        Assert.Equal(0, PngStats(await blank.Content.ReadAsByteArrayAsync()).Opaque);
    }

    [Fact]
    public async Task Style_MapLibreV8WithLegendColoursAndSources()
    {
        using var doc = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/styles/georisk.json", UriKind.Relative)));
        var style = doc.RootElement;
        Assert.Equal(8, style.GetProperty("version").GetInt32());
        Assert.Equal("http://localhost/tiles/zoning.json", style.GetProperty("sources").GetProperty("zoning").GetProperty("url").GetString());
        Assert.Equal("raster", style.GetProperty("sources").GetProperty("hillshade").GetProperty("type").GetString());
        var layers = style.GetProperty("layers").EnumerateArray().ToList();
        var fill = layers.Single(l => l.GetProperty("id").GetString() == "zoning-fill");
        var text = fill.GetProperty("paint").GetProperty("fill-color").ToString();
        foreach (var colour in new[] { "#38a800", "#ffff00", "#ff9900", "#e60000" })
        {
            Assert.Contains(colour, text, StringComparison.Ordinal);
        }

        Assert.Contains(layers, l => l.TryGetProperty("source", out var s) && s.GetString() == "bortala-reference:faults-gem");
        // Every source-layer a style layer names exists in its source.
        foreach (var l in layers.Where(l => l.TryGetProperty("source-layer", out _)))
        {
            Assert.True(style.GetProperty("sources").TryGetProperty(l.GetProperty("source").GetString()!, out _));
        }
    }

    [Fact]
    public async Task Metrics_PrometheusTextWithTileLabels()
    {
        await Get($"/tiles/zoning/{Bole(7)}.mvt");
        var text = await _client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("georisk_http_request_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("tileset=\"zoning\"", text, StringComparison.Ordinal);
        Assert.Contains("zoom=\"7\"", text, StringComparison.Ordinal);
        Assert.Contains("georisk_tile_cache_total", text, StringComparison.Ordinal);
        Assert.Contains("georisk_tiles_thinned_total", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue #16 defect 3: every tileset name in a tile URL became a Prometheus label, so random names grew
    /// /metrics (and the process) without bound. Unknown names now share one label.
    /// </summary>
    [Fact]
    public async Task Metrics_UnknownTilesetNames_CountedUnderOneLabel()
    {
        var names = Enumerable.Range(0, 40).Select(i => $"probe{Guid.NewGuid():N}").ToList();
        foreach (var name in names)
        {
            using var r = await Get($"/tiles/{name}/7/1/1.mvt");
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        }

        using (var multi = await Get($"/tiles/zoning,{names[0]}/7/1/1.mvt"))
        {
            Assert.Equal(HttpStatusCode.NotFound, multi.StatusCode);
        }

        using (var zoom = await Get("/tiles/zoning/x7/1/1.mvt"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, zoom.StatusCode);
        }

        var text = await _client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.DoesNotContain("probe", text, StringComparison.Ordinal);
        Assert.DoesNotContain("zoom=\"x7\"", text, StringComparison.Ordinal);
        Assert.Contains("tileset=\"unknown\"", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// Valid features GDAL's MVT driver (an independent decoder) reads from one layer of a tile; CLIP=NO keeps
    /// the features that lie only in the tile's buffer, which GDAL otherwise clips away.
    /// </summary>
    private static int GdalFeatureCount(byte[] tile, TileId id, string layer)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, tile);
            const string Script = "import sys\nfrom osgeo import gdal\ngdal.UseExceptions()\nds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR, open_options=['Z=' + sys.argv[2], 'X=' + sys.argv[3], 'Y=' + sys.argv[4], 'CLIP=NO'])\n" +
                "l = ds.GetLayerByName(sys.argv[5])\nprint(sum(1 for f in l if f.GetGeometryRef() is not None and f.GetGeometryRef().IsValid()))\n";
            var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", Script, path, id.Z.ToString(CultureInfo.InvariantCulture), id.X.ToString(CultureInfo.InvariantCulture), id.Y.ToString(CultureInfo.InvariantCulture), layer])
            {
                RedirectStandardOutput = true,
            };
            using var p = Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return int.Parse(text.Trim(), CultureInfo.InvariantCulture);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Drawn pixels and distinct RGB colours of a PNG, read with GDAL's Python bindings.</summary>
    private static (int Opaque, HashSet<string> Colours) PngStats(byte[] png)
    {
        var path = Path.GetTempFileName() + ".png";
        try
        {
            File.WriteAllBytes(path, png);
            const string Script = "import sys\nfrom osgeo import gdal\nds = gdal.Open(sys.argv[1])\nr, g, b, a = [ds.GetRasterBand(i + 1).ReadRaster() for i in range(4)]\n" +
                "cols = set()\nn = 0\nfor i in range(len(a)):\n    if a[i] > 0:\n        n += 1\n        cols.add('%02x%02x%02x' % (r[i], g[i], b[i]))\nprint(n)\nprint(' '.join(sorted(cols)[:50]))\n";
            var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", Script, path]) { RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            var lines = p.StandardOutput.ReadToEnd().Split('\n');
            p.WaitForExit();
            return (int.Parse(lines[0], CultureInfo.InvariantCulture), lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
