using GeoRisk.Core.Layers;

namespace GeoRisk.Core.Tests;

public class FieldMappingTests
{
    [Theory]
    [InlineData(3L, 3)]
    [InlineData(2.0, 2)]
    [InlineData("4", 4)]
    [InlineData("极高易发区", 4)]
    [InlineData("高易发区", 3)]
    [InlineData("中易发区", 2)]
    [InlineData("低易发区", 1)]
    [InlineData("Very High", 4)]
    [InlineData("high", 3)]
    [InlineData("moderate", 2)]
    [InlineData("low", 1)]
    public void ParseGrade_NumbersAndClassNames(object value, int expected) => Assert.Equal(expected, FieldMapping.ParseGrade(value));

    [Theory]
    [InlineData("unknown")]
    [InlineData(2.5)]
    public void ParseGrade_Unrecognised_IsNull(object value) => Assert.Null(FieldMapping.ParseGrade(value));

    [Fact]
    public void Detect_ChineseAndPinyinFieldNames()
    {
        var mapping = FieldMapping.Detect(LayerSchema.For(LayerKind.HazardPoints), ["TYBH", "ZHLX", "TJ_M3", "威胁人口", "WDX"]);

        Assert.Equal("TYBH", mapping.SchemaToSource["point_id"]);
        Assert.Equal("ZHLX", mapping.SchemaToSource["hazard_type"]);
        Assert.Equal("TJ_M3", mapping.SchemaToSource["volume_m3"]);
        Assert.Equal("威胁人口", mapping.SchemaToSource["threatened_people"]);
        Assert.Equal("WDX", mapping.SchemaToSource["stability"]);
    }

    [Fact]
    public void Detect_ExplicitMappingWins()
    {
        var mapping = FieldMapping.Detect(LayerSchema.For(LayerKind.HazardZones), ["YFXDJ", "MY_GRADE"], new Dictionary<string, string> { ["grade"] = "MY_GRADE" });
        Assert.Equal("MY_GRADE", mapping.SchemaToSource["grade"]);
    }

    [Fact]
    public void ParseExplicit_RejectsMalformedEntries()
    {
        Assert.Equal("YFXDJ", FieldMapping.ParseExplicit("grade=YFXDJ, hazard_type = ZHLX")["grade"]);
        Assert.Throws<FormatException>(() => FieldMapping.ParseExplicit("grade"));
    }
}
