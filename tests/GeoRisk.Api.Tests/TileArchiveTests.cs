using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using GeoRisk.Services;
using GeoRisk.Tests.Common;
using GeoRisk.Tiles;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GeoRisk.Api.Tests;

/// <summary>PMTiles v3 and MBTiles 1.3 exports read back with third-party readers: every tile byte for byte what the service serves.</summary>
[Collection(ApiCollection.Name)]
public sealed class TileArchiveTests(ApiFixture api)
{
    private const int MaxZoom = 9;
    private readonly HttpClient _client = api.Factory.CreateClient();

    [Fact]
    public async Task PmTiles_ReadBackWithPmtilesPackage_MatchesServedTilesByteForByte()
    {
        var tiles = api.Factory.Services.GetRequiredService<TileService>();
        var archive = Path.Combine(Path.GetTempPath(), $"georisk-{Guid.NewGuid():N}.pmtiles");
        try
        {
            var reports = new List<(long Done, long Total)>();
            (int Tiles, int Contents) written;
            await using (var file = File.Create(archive))
            {
                written = await TileArchiveExport.WritePmTilesAsync(tiles, TileService.Zoning, 0, MaxZoom, file, new SyncProgress(reports.Add));
            }

            Assert.NotEmpty(reports);
            Assert.Equal(reports[^1].Total, reports[^1].Done);
            Assert.True(written.Contents <= written.Tiles);

            // Every tile of the range: the archive's tiles (the pmtiles reader gunzips them) equal the served identity
            // bytes; empty (204) tiles are absent. The archive stores the very gzip bytes the service sends.
            var bounds = (await tiles.ListAsync()).Single(t => t.Id == TileService.Zoning).Bounds!;
            var expected = new Dictionary<string, string?>();
            for (var z = 0; z <= MaxZoom; z++)
            {
                var r = WebMercator.TileRange(bounds, z);
                for (var x = r.MinX; x <= r.MaxX; x++)
                {
                    for (var y = r.MinY; y <= r.MaxY; y++)
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tiles/zoning/{z}/{x}/{y}.mvt", UriKind.Relative));
                        using var response = await _client.SendAsync(request);
                        expected[$"{z}/{x}/{y}"] = response.StatusCode == HttpStatusCode.NoContent
                            ? null
                            : Convert.ToHexStringLower(SHA256.HashData(await response.Content.ReadAsByteArrayAsync()));
                    }
                }
            }

            Assert.Equal(expected.Count(e => e.Value is not null), written.Tiles);
            using var read = JsonDocument.Parse(await Node(archive, expected.Keys));
            var header = read.RootElement.GetProperty("header");
            Assert.Equal(3, header.GetProperty("specVersion").GetInt32());
            Assert.Equal(MaxZoom, header.GetProperty("maxZoom").GetInt32());
            Assert.Equal(written.Tiles, header.GetProperty("numAddressedTiles").GetInt32());
            Assert.Equal("zoning", read.RootElement.GetProperty("metadata").GetProperty("vector_layers")[0].GetProperty("id").GetString());
            var hashes = read.RootElement.GetProperty("hashes");
            foreach (var (tile, hash) in expected)
            {
                var got = hashes.GetProperty(tile);
                Assert.True(hash == (got.ValueKind == JsonValueKind.Null ? null : got.GetString()), $"tile {tile}: served {hash ?? "204"}, archive {got}");
            }
        }
        finally
        {
            File.Delete(archive);
        }
    }

    [Fact]
    public async Task MbTiles_ReadBackWithSqliteAndGdal_MatchesServedTilesByteForByte()
    {
        var tiles = api.Factory.Services.GetRequiredService<TileService>();
        var path = Path.Combine(Path.GetTempPath(), $"georisk-{Guid.NewGuid():N}.mbtiles");
        try
        {
            var reports = new List<(long Done, long Total)>();
            var written = await TileArchiveExport.WriteMbTilesAsync(tiles, TileService.Zoning, 0, MaxZoom, path, new SyncProgress(reports.Add));
            Assert.Equal(reports[^1].Total, reports[^1].Done);

            var bounds = (await tiles.ListAsync()).Single(t => t.Id == TileService.Zoning).Bounds!;
            var expected = new Dictionary<string, string?>();
            for (var z = 0; z <= MaxZoom; z++)
            {
                var r = WebMercator.TileRange(bounds, z);
                for (var x = r.MinX; x <= r.MaxX; x++)
                {
                    for (var y = r.MinY; y <= r.MaxY; y++)
                    {
                        using var response = await _client.GetAsync(new Uri($"/tiles/zoning/{z}/{x}/{y}.mvt", UriKind.Relative));
                        expected[$"{z}/{x}/{y}"] = response.StatusCode == HttpStatusCode.NoContent
                            ? null
                            : Convert.ToHexStringLower(SHA256.HashData(await response.Content.ReadAsByteArrayAsync()));
                    }
                }
            }

            Assert.Equal(expected.Count(e => e.Value is not null), written.Tiles);

            // Python's sqlite3 reads the spec's tables as any MBTiles reader does (tiles by TMS row, gzip pbf), and GDAL's
            // MBTiles driver opens the file as vector tiles, its schema from the metadata json's vector_layers.
            const string Script = """
                import gzip, hashlib, json, sqlite3, sys
                from osgeo import gdal
                db = sqlite3.connect(sys.argv[1])
                meta = dict(db.execute('SELECT name, value FROM metadata'))
                hashes = {}
                gzipped = True
                for t in sys.argv[2:]:
                    z, x, y = map(int, t.split('/'))
                    row = db.execute('SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?', (z, x, (1 << z) - 1 - y)).fetchone()
                    if row is not None:
                        gzipped = gzipped and row[0][:2] == b'\x1f\x8b'
                    hashes[t] = None if row is None else hashlib.sha256(gzip.decompress(row[0])).hexdigest()
                count = db.execute('SELECT count(*) FROM tiles').fetchone()[0]
                ds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR, open_options=['ZOOM_LEVEL=8'])
                layer = ds.GetLayerByName('zoning')
                fields = [layer.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(layer.GetLayerDefn().GetFieldCount())]
                print(json.dumps({'metadata': meta, 'hashes': hashes, 'count': count, 'gzipped': gzipped, 'driver': ds.GetDriver().ShortName,
                                  'features': layer.GetFeatureCount(), 'fields': fields}))
                """;
            var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-c", Script, path }.Concat(expected.Keys))
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await p.WaitForExitAsync(cts.Token);
            Assert.True(p.ExitCode == 0, await stderr);
            using var read = JsonDocument.Parse(await stdout);
            var root = read.RootElement;
            Assert.Equal(written.Tiles, root.GetProperty("count").GetInt32());
            Assert.True(root.GetProperty("gzipped").GetBoolean());
            var meta = root.GetProperty("metadata");
            Assert.Equal("pbf", meta.GetProperty("format").GetString());
            Assert.Equal("0", meta.GetProperty("minzoom").GetString());
            Assert.Equal(MaxZoom.ToString(System.Globalization.CultureInfo.InvariantCulture), meta.GetProperty("maxzoom").GetString());
            Assert.Equal(4, meta.GetProperty("bounds").GetString()!.Split(',').Length);
            using (var json = JsonDocument.Parse(meta.GetProperty("json").GetString()!))
            {
                Assert.Equal("zoning", json.RootElement.GetProperty("vector_layers")[0].GetProperty("id").GetString());
            }

            var hashes = root.GetProperty("hashes");
            foreach (var (tile, hash) in expected)
            {
                var got = hashes.GetProperty(tile);
                Assert.True(hash == (got.ValueKind == JsonValueKind.Null ? null : got.GetString()), $"tile {tile}: served {hash ?? "204"}, MBTiles {got}");
            }

            Assert.Equal("MBTiles", root.GetProperty("driver").GetString());
            Assert.True(root.GetProperty("features").GetInt32() > 0);
            Assert.Contains("grade", root.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ServedArchive_RangeRequests_206WithTheBytes()
    {
        var folder = Directory.CreateTempSubdirectory("georisk-archives");
        try
        {
            var path = Path.Combine(folder.FullName, "zoning.pmtiles");
            await using (var file = File.Create(path))
            {
                await TileArchiveExport.WritePmTilesAsync(api.Factory.Services.GetRequiredService<TileService>(), TileService.Zoning, 0, 4, file);
            }

            using var factory = api.Factory.WithWebHostBuilder(b => b.UseSetting("GeoRisk:ArchiveDirectory", folder.FullName));
            using var client = factory.CreateClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/archives/zoning.pmtiles", UriKind.Relative));
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 126);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal("application/vnd.pmtiles", response.Content.Headers.ContentType?.MediaType);
            var header = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(127, header.Length);
            Assert.Equal("PMTiles"u8.ToArray(), header.Take(7).ToArray());
            Assert.Equal((await File.ReadAllBytesAsync(path)).Take(127), header);

            foreach (var bad in new[] { "../catalog.gpkg", "missing.pmtiles", "zoning.mbtiles" })
            {
                using var refused = await client.GetAsync(new Uri("/archives/" + Uri.EscapeDataString(bad), UriKind.Relative));
                Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ArchiveTileset_EveryTileEqualsTheLiveTile_WithETagsTileJsonAnd204()
    {
        var folder = Directory.CreateTempSubdirectory("georisk-archives");
        try
        {
            var tiles = api.Factory.Services.GetRequiredService<TileService>();
            await using (var file = File.Create(Path.Combine(folder.FullName, "zoning.pmtiles")))
            {
                await TileArchiveExport.WritePmTilesAsync(tiles, TileService.Zoning, 0, MaxZoom, file);
            }

            using var factory = api.Factory.WithWebHostBuilder(b => b.UseSetting("GeoRisk:ArchiveDirectory", folder.FullName));
            using var client = factory.CreateClient();
            async Task<(HttpStatusCode Status, byte[] Body, string? ETag)> Get(string url, bool gzip, string? ifNoneMatch = null)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
                if (gzip)
                {
                    request.Headers.AcceptEncoding.ParseAdd("gzip");
                }

                if (ifNoneMatch is not null)
                {
                    request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
                }

                using var response = await client.SendAsync(request);
                return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response.Headers.ETag?.ToString());
            }

            // Every tile of the range, in both representations: the same status and the same bytes as the live tileset.
            var bounds = (await tiles.ListAsync()).Single(t => t.Id == TileService.Zoning).Bounds!;
            var compared = 0;
            for (var z = 0; z <= MaxZoom; z++)
            {
                var r = WebMercator.TileRange(bounds, z);
                for (var x = Math.Max(0, r.MinX - 1); x <= r.MaxX; x++)
                {
                    for (var y = r.MinY; y <= r.MaxY; y++)
                    {
                        foreach (var gzip in new[] { false, true })
                        {
                            var live = await Get($"/tiles/zoning/{z}/{x}/{y}.mvt", gzip);
                            var archived = await Get($"/tiles/archive:zoning/{z}/{x}/{y}.mvt", gzip);
                            Assert.True(live.Status == archived.Status, $"{z}/{x}/{y} gzip={gzip}: live {live.Status}, archive {archived.Status}");
                            Assert.True(live.Body.AsSpan().SequenceEqual(archived.Body), $"{z}/{x}/{y} gzip={gzip}: bytes differ");
                            compared += archived.Status == HttpStatusCode.OK ? 1 : 0;
                        }
                    }
                }
            }

            Assert.True(compared > 20, $"only {compared} tiles with content compared");

            // Conditional requests as for live tiles: a strong ETag per representation, 304 for it, its W/ form and *.
            var (_, _, etag) = await Get("/tiles/archive:zoning/8/186/92.mvt", gzip: true);
            Assert.NotNull(etag);
            Assert.EndsWith("-gz\"", etag, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotModified, (await Get("/tiles/archive:zoning/8/186/92.mvt", true, etag)).Status);
            Assert.Equal(HttpStatusCode.NotModified, (await Get("/tiles/archive:zoning/8/186/92.mvt", true, "W/" + etag)).Status);
            Assert.Equal(HttpStatusCode.OK, (await Get("/tiles/archive:zoning/8/186/92.mvt", false, etag)).Status);

            // Beyond the archive's zooms: no tile (204); an unknown archive: 404 ProblemDetails.
            Assert.Equal(HttpStatusCode.NoContent, (await Get("/tiles/archive:zoning/12/2990/1480.mvt", true)).Status);
            using var unknown = await client.GetAsync(new Uri("/tiles/archive:nope/0/0/0.mvt", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

            using var tileJson = JsonDocument.Parse(await client.GetStringAsync(new Uri("/tiles/archive:zoning.json", UriKind.Relative)));
            var root = tileJson.RootElement;
            Assert.Equal("3.0.0", root.GetProperty("tilejson").GetString());
            Assert.Equal(0, root.GetProperty("minzoom").GetInt32());
            Assert.Equal(MaxZoom, root.GetProperty("maxzoom").GetInt32());
            Assert.Equal("zoning", root.GetProperty("vector_layers")[0].GetProperty("id").GetString());
            Assert.Contains("/tiles/archive%3Azoning/{z}/{x}/{y}.mvt", root.GetProperty("tiles")[0].GetString(), StringComparison.Ordinal);

            // Listed beside the live tilesets, with the TileJSON just read.
            using var list = JsonDocument.Parse(await client.GetStringAsync(new Uri("/tiles", UriKind.Relative)));
            var listed = list.RootElement.EnumerateArray().Single(t => t.GetProperty("id").GetString() == "archive:zoning");
            Assert.Equal("archive", listed.GetProperty("kind").GetString());
            Assert.EndsWith("/tiles/archive%3Azoning.json", listed.GetProperty("tilejson").GetString(), StringComparison.Ordinal);
            Assert.Contains(list.RootElement.EnumerateArray(), t => t.GetProperty("id").GetString() == TileService.Zoning);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ArchiveTileset_HostileArchives_500ProblemDetailsNamingTheDefect_ServiceCarriesOn()
    {
        var folder = Directory.CreateTempSubdirectory("georisk-archives");
        try
        {
            byte[] good;
            using (var stream = new MemoryStream())
            {
                await TileArchiveExport.WritePmTilesAsync(api.Factory.Services.GetRequiredService<TileService>(), TileService.Zoning, 0, 3, stream);
                good = stream.ToArray();
            }

            var absurd = good.ToArray();
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(absurd.AsSpan(16), 1UL << 50); // root directory length
            var files = new Dictionary<string, (byte[] Bytes, string Reason)>
            {
                ["magic"] = ("GIF89a, not an archive at all, long enough to hold a header ................................................................................................"u8.ToArray(), "magic"),
                ["truncated"] = (good[..200], "past its end"),
                ["absurd"] = (absurd, "past its end"),
            };
            foreach (var (name, (bytes, _)) in files)
            {
                await File.WriteAllBytesAsync(Path.Combine(folder.FullName, name + ".pmtiles"), bytes);
            }

            using var factory = api.Factory.WithWebHostBuilder(b => b.UseSetting("GeoRisk:ArchiveDirectory", folder.FullName));
            using var client = factory.CreateClient();
            foreach (var (name, (_, reason)) in files)
            {
                foreach (var url in new[] { $"/tiles/archive:{name}/0/0/0.mvt", $"/tiles/archive:{name}.json" })
                {
                    using var response = await client.GetAsync(new Uri(url, UriKind.Relative));
                    Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    Assert.Equal("invalid-tile-archive", problem.RootElement.GetProperty("code").GetString());
                    var title = problem.RootElement.GetProperty("title").GetString()!;
                    Assert.Contains(name + ".pmtiles", title, StringComparison.Ordinal);
                    Assert.Contains(reason, title, StringComparison.Ordinal);
                }
            }

            using var healthy = await client.GetAsync(new Uri("/tiles/zoning/0/0/0.mvt", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void TileId_HilbertOrderOfTheSpec()
    {
        // Values from the PMTiles v3 specification's examples.
        Assert.Equal(0UL, PmTilesWriter.TileIdOf(new TileId(0, 0, 0)));
        Assert.Equal(1UL, PmTilesWriter.TileIdOf(new TileId(1, 0, 0)));
        Assert.Equal(2UL, PmTilesWriter.TileIdOf(new TileId(1, 0, 1)));
        Assert.Equal(3UL, PmTilesWriter.TileIdOf(new TileId(1, 1, 1)));
        Assert.Equal(4UL, PmTilesWriter.TileIdOf(new TileId(1, 1, 0)));
        Assert.Equal(5UL, PmTilesWriter.TileIdOf(new TileId(2, 0, 0)));
    }

    private static async Task<string> Node(string archive, IEnumerable<string> tiles)
    {
        var script = Path.Combine(RepoPaths.Root, "tests", "tools", "pmtiles-read.mjs");
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Root, "tests", "tools", "node_modules", "pmtiles")), "run `npm ci --prefix tests/tools` (./build.sh test does)");
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(script)! };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(archive);
        foreach (var t in tiles)
        {
            psi.ArgumentList.Add(t);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, await stderr);
        return await stdout;
    }

    /// <summary>Progress reported on the writer's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<(long, long)> report) : IProgress<(long, long)>
    {
        public void Report((long, long) value) => report(value);
    }
}
