using System.Net;
using System.Text.Json;

namespace GeoRisk.Api.Tests;

/// <summary>
/// The published style keeps to what both MapLibre and QGIS 3.22's style converter read the same way (the manual
/// QGIS check is in docs/CLIENTS.md; python3-qgis is not installed in CI).
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
}
