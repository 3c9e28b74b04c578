using System.Net;
using System.Text.Json;

namespace GeoRisk.Api.Tests;

/// <summary>
/// The published style keeps to what both MapLibre and QGIS 3.22's style converter read the same way (the manual
/// converter run by headless QGIS is tests/GeoRisk.Web.Tests/QgisClientTests.cs where python3-qgis is installed).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class StyleTests(ApiFixture api)
{
    private readonly HttpClient _client = api.Factory.CreateClient();

    private async Task<JsonElement> Style(string query = "")
    {
        using var doc = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/styles/georisk.json" + query, UriKind.Relative)));
        return doc.RootElement.Clone();
    }

    private static IEnumerable<JsonElement> Expressions(JsonElement e, string op) => e.ValueKind switch
    {
        JsonValueKind.Array => (e.GetArrayLength() > 0 && e[0].ValueKind == JsonValueKind.String && e[0].GetString() == op ? new[] { e } : [])
            .Concat(e.EnumerateArray().SelectMany(c => Expressions(c, op))),
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Expressions(p.Value, op)),
        _ => [],
    };

    [Fact]
    public async Task DefaultStyle_QgisSafe_ArrayLabelsNoHiddenLayersNoBackground()
    {
        var style = await Style();
        var layers = style.GetProperty("layers").EnumerateArray().ToList();
        Assert.DoesNotContain(layers, l => l.GetProperty("type").GetString() == "background");
        Assert.DoesNotContain(layers, l => l.TryGetProperty("layout", out var layout) && layout.TryGetProperty("visibility", out var v) && v.GetString() == "none");
        Assert.Contains(layers, l => l.GetProperty("id").GetString() == "zoning-fill");
        Assert.Equal("hillshade", layers[0].GetProperty("id").GetString());

        var matches = Expressions(style.GetProperty("layers"), "match").ToList();
        Assert.NotEmpty(matches);
        foreach (var m in matches)
        {
            // ["match", input, label1, out1, label2, out2, …, fallback]: every label an array.
            for (var i = 2; i < m.GetArrayLength() - 1; i += 2)
            {
                Assert.Equal(JsonValueKind.Array, m[i].ValueKind);
            }
        }

        // Every source is used by a layer, and every layer's source exists.
        var sources = style.GetProperty("sources").EnumerateObject().Select(p => p.Name).ToHashSet();
        var used = layers.Where(l => l.TryGetProperty("source", out _)).Select(l => l.GetProperty("source").GetString()!).ToHashSet();
        Assert.True(sources.SetEquals(used), $"sources [{string.Join(",", sources)}], used [{string.Join(",", used)}]");
    }

    [Fact]
    public async Task AllLayers_ForTheWebMapSwitcher_HiddenOnesMarked()
    {
        var style = await Style("?layers=all");
        var grade = style.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("id").GetString() == "grade-raster");
        Assert.Equal("none", grade.GetProperty("layout").GetProperty("visibility").GetString());
        Assert.True(style.GetProperty("sources").TryGetProperty("grade", out _));

        using var bad = await _client.GetAsync(new Uri("/styles/georisk.json?layers=some", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Labels_UseTheServedGlyphsAndFieldsTheTilesCarry()
    {
        var style = await Style();
        var glyphs = style.GetProperty("glyphs").GetString()!;
        Assert.Contains("/fonts/{fontstack}/{range}.pbf", glyphs, StringComparison.Ordinal);
        var labels = style.GetProperty("layers").EnumerateArray().Where(l => l.GetProperty("type").GetString() == "symbol").ToList();
        Assert.Contains(labels, l => l.GetProperty("id").GetString() == "zoning-label");
        Assert.Contains(labels, l => l.GetProperty("source").GetString()!.EndsWith("counties", StringComparison.Ordinal));
        // Fault traces are labelled by name only where their tiles carry names; the sample's GEM and HimaTibetMap traces have none.
        Assert.DoesNotContain(labels, l => l.GetProperty("source").GetString()!.Contains("faults", StringComparison.Ordinal));
        var fonts = new HashSet<string>();
        foreach (var label in labels)
        {
            // What QGIS's converter reads as MapLibre does: a plain ["get", field] and a font named family + style.
            var layout = label.GetProperty("layout");
            var field = layout.GetProperty("text-field");
            Assert.Equal(2, field.GetArrayLength());
            Assert.Equal("get", field[0].GetString());
            fonts.Add(string.Join(",", layout.GetProperty("text-font").EnumerateArray().Select(f => f.GetString())));

            // The field is one the tiles carry (the source's TileJSON lists it).
            var source = label.GetProperty("source").GetString()!;
            using var tileJson = JsonDocument.Parse(await _client.GetStringAsync(new Uri($"/tiles/{Uri.EscapeDataString(source)}.json", UriKind.Relative)));
            var fields = tileJson.RootElement.GetProperty("vector_layers")[0].GetProperty("fields");
            Assert.True(fields.TryGetProperty(field[1].GetString()!, out _), $"{label.GetProperty("id").GetString()}: the tiles of {source} have no field {field[1].GetString()}");
        }

        // Layer ids are unique (MapLibre refuses a style with duplicates; every product's zoning tileset is of kind "zoning").
        var ids = style.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("id").GetString()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());

        var font = Assert.Single(fonts);
        Assert.Equal("WenQuanYi Micro Hei Regular", font);

        // The glyph ranges a client fetches: Latin and the CJK range holding 极 (U+6781), SDF bitmaps of (w+6)×(h+6) bytes.
        foreach (var (range, code) in new[] { ("0-255", (int)'A'), ("26368-26623", 0x6781) })
        {
            using var response = await _client.GetAsync(new Uri($"/fonts/{Uri.EscapeDataString(font)}/{range}.pbf", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
            var (name, decodedRange, decoded) = GeoRisk.Tiles.GlyphPbf.Decode(await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(font, name);
            Assert.Equal(range, decodedRange);
            var glyph = Assert.Single(decoded, g => g.Id == code);
            Assert.True(glyph.Width > 5 && glyph.Height > 5 && glyph.Advance > 5, $"{glyph.Width}x{glyph.Height} advance {glyph.Advance}");
            Assert.Equal((glyph.Width + 6) * (glyph.Height + 6), glyph.Bitmap.Length);
            Assert.Contains(glyph.Bitmap, v => v >= 192); // inside the outline
            Assert.Contains(glyph.Bitmap, v => v < 64); // well outside
            Assert.True(decoded.Count > 50, $"{decoded.Count} glyphs in {range}");
        }

        using var bad = await _client.GetAsync(new Uri("/fonts/x/1-300.pbf", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, bad.StatusCode);
    }
}
