namespace GeoRisk.Tiles.Tests;

/// <summary>The glyph range protobuf MapLibre reads: fields and zig-zag metrics survive a round trip; ranges are validated.</summary>
public sealed class GlyphPbfTests
{
    [Fact]
    public void Encode_Decode_RoundTrip()
    {
        var bitmap = Enumerable.Range(0, 10 * 12).Select(i => (byte)i).ToArray();
        var glyphs = new[]
        {
            new SdfGlyph(65, bitmap, 4, 6, -1, -8, 14),
            new SdfGlyph(32, [], 0, 0, 0, 0, 7), // a space: advance only, no bitmap
        };
        var (name, range, decoded) = GlyphPbf.Decode(GlyphPbf.Encode("Font Regular", 0, 255, glyphs));
        Assert.Equal("Font Regular", name);
        Assert.Equal("0-255", range);
        Assert.Equal(2, decoded.Count);
        Assert.Equal(glyphs[0] with { Bitmap = [] }, decoded[0] with { Bitmap = [] });
        Assert.Equal(bitmap, decoded[0].Bitmap);
        Assert.Equal(glyphs[1] with { Bitmap = [] }, decoded[1] with { Bitmap = [] });
        Assert.Empty(decoded[1].Bitmap);
    }

    [Theory]
    [InlineData("0-255", true)]
    [InlineData("26368-26623", true)]
    [InlineData("65280-65535", true)]
    [InlineData("65536-65791", false)]
    [InlineData("1-256", false)]
    [InlineData("0-511", false)]
    [InlineData("abc", false)]
    [InlineData("-256-0", false)]
    public void TryParseRange_OnlyWholeRangesOf256(string range, bool valid) => Assert.Equal(valid, GlyphPbf.TryParseRange(range, out _, out _));
}
