using GeoRisk.Core.Risk;

namespace GeoRisk.Core.Tests;

public sealed class FaultSetbackTests
{
    private static SetbackAssessment Assess(double distance, double uncertainty, int degree, BuildingCategory category,
        FaultActivity activity = FaultActivity.Holocene, double? buried = null, double? acceleration = null) =>
        FaultSetback.Assess(new SetbackQuestion(distance, uncertainty, DesignIntensity.Create(degree, acceleration), category, activity, buried));

    /// <summary>
    /// Every category × intensity 6–9 against GB 50011-2010 (2016 ed.) Table 4.1.7 with an exactly located trace:
    /// below 8 the fault may be ignored; 甲 special study; 乙 200/400 m; 丙 100/200 m; 丁 no distance.
    /// Each case just inside and just outside the tabulated distance.
    /// </summary>
    public static TheoryData<int, BuildingCategory, double, string> TableCases()
    {
        var data = new TheoryData<int, BuildingCategory, double, string>();
        foreach (var category in Enum.GetValues<BuildingCategory>())
        {
            foreach (var degree in new[] { 6, 7 })
            {
                data.Add(degree, category, 0, "pass");
            }
        }

        foreach (var (degree, b, c) in new[] { (8, 200.0, 100.0), (9, 400.0, 200.0) })
        {
            data.Add(degree, BuildingCategory.A, 0, "special-study");
            data.Add(degree, BuildingCategory.A, 4_999, "special-study");
            data.Add(degree, BuildingCategory.A, 5_001, "pass");
            data.Add(degree, BuildingCategory.B, b - 1, "fail");
            data.Add(degree, BuildingCategory.B, b, "pass");
            data.Add(degree, BuildingCategory.C, c - 1, "fail");
            data.Add(degree, BuildingCategory.C, c, "pass");
            data.Add(degree, BuildingCategory.D, 1, "pass");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TableCases))]
    public void Assess_ExactTrace_FollowsTable417(int degree, BuildingCategory category, double distance, string verdict)
    {
        var result = Assess(distance, 0, degree, category);
        Assert.Equal(verdict, result.VerdictId);
        if (degree >= 8 && category is BuildingCategory.B or BuildingCategory.C)
        {
            Assert.Equal(FaultSetback.Table[(degree, category)], result.RequiredM);
        }
    }

    [Fact]
    public void Assess_WithinUncertaintyBand_Indeterminate()
    {
        // 乙 at 8度: 200 m. Trace at 300 m located to ±500 m: 0–800 m straddles 200 m.
        var result = Assess(300, 500, 8, BuildingCategory.B);
        Assert.Equal(SetbackVerdict.Indeterminate, result.Verdict);
        Assert.Contains("活动断层探测", result.BasisZh, StringComparison.Ordinal);
        // The band decides both ways: 250 ± 40 m is clear of 200 m, 150 ± 40 m clearly inside.
        Assert.Equal(SetbackVerdict.Pass, Assess(250, 40, 8, BuildingCategory.B).Verdict);
        Assert.Equal(SetbackVerdict.Fail, Assess(150, 40, 8, BuildingCategory.B).Verdict);
        Assert.Equal(SetbackVerdict.Indeterminate, Assess(230, 40, 8, BuildingCategory.B).Verdict);
        // 丁 has no distance, but a trace that may pass under the site leaves the building's position undecided.
        Assert.Equal(SetbackVerdict.Indeterminate, Assess(100, 500, 9, BuildingCategory.D).Verdict);
        Assert.Equal(SetbackVerdict.Pass, Assess(600, 500, 9, BuildingCategory.D).Verdict);
    }

    [Fact]
    public void Assess_Wording_FollowsClause417PerCategory()
    {
        // 乙 inside: avoid, no building. 丙 inside: scattered buildings lower than three storeys, one degree higher, not across the trace.
        var b = Assess(10, 0, 8, BuildingCategory.B, acceleration: 0.30);
        Assert.Contains("不应建造乙类建筑", b.BasisZh, StringComparison.Ordinal);
        Assert.Contains("8度(0.30g)", b.BasisZh, StringComparison.Ordinal);
        Assert.Contains("VIII (0.30 g)", b.Basis, StringComparison.Ordinal);
        Assert.Contains("GB 50011-2010 (2016 ed.)", b.Basis, StringComparison.Ordinal);
        Assert.Contains("Table 4.1.7", b.Clause, StringComparison.Ordinal);
        var c = Assess(10, 0, 8, BuildingCategory.C);
        Assert.Contains("低于三层的丙类建筑", c.BasisZh, StringComparison.Ordinal);
        Assert.Contains("提高一度", c.BasisZh, StringComparison.Ordinal);
        Assert.Contains("不得跨越断层线", c.BasisZh, StringComparison.Ordinal);
        Assert.DoesNotContain("special study", b.Basis, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Assess_IgnorableFaults_PassWithTheSubItem()
    {
        Assert.Equal("§4.1.7 item 1(1)", Assess(0, 0, 7, BuildingCategory.B).Clause);
        var older = Assess(0, 0, 9, BuildingCategory.B, FaultActivity.LatePleistocene);
        Assert.Equal((SetbackVerdict.Pass, "§4.1.7 item 1(2)"), (older.Verdict, older.Clause));
        Assert.Equal(SetbackVerdict.Pass, Assess(0, 0, 9, BuildingCategory.B, FaultActivity.Older).Verdict);
        // Undated faults are not ignored.
        Assert.Equal(SetbackVerdict.Fail, Assess(0, 0, 9, BuildingCategory.B, FaultActivity.Unknown).Verdict);
        // Buried: more than 60 m at 8度, more than 90 m at 9度.
        Assert.Equal(SetbackVerdict.Pass, Assess(0, 0, 8, BuildingCategory.B, buried: 61).Verdict);
        Assert.Equal(SetbackVerdict.Fail, Assess(0, 0, 9, BuildingCategory.B, buried: 61).Verdict);
        Assert.Equal(SetbackVerdict.Pass, Assess(0, 0, 9, BuildingCategory.B, buried: 91).Verdict);
    }

    [Theory]
    [InlineData(0.05, 6, "6度(0.05g)")]
    [InlineData(0.08, 6, "6度(0.05g)")]
    [InlineData(0.10, 7, "7度(0.10g)")]
    [InlineData(0.15, 7, "7度(0.15g)")]
    [InlineData(0.20, 8, "8度(0.20g)")]
    [InlineData(0.30, 8, "8度(0.30g)")]
    [InlineData(0.40, 9, "9度(0.40g)")]
    public void DesignIntensity_FromPga_DegreeAndAcceleration(double pga, int degree, string label)
    {
        var intensity = DesignIntensity.FromPga(pga)!;
        Assert.Equal((degree, label), (intensity.Degree, intensity.Label));
    }

    [Fact]
    public void DesignIntensity_AccelerationOfAnotherDegree_Refused()
    {
        Assert.Throws<ArgumentException>(() => DesignIntensity.Create(8, 0.15));
        Assert.Throws<ArgumentException>(() => DesignIntensity.Create(10));
        Assert.Null(DesignIntensity.FromPga(0.01));
        Assert.Equal("8度", DesignIntensity.Create(8).Label);
    }
}

public sealed class FaultTraceTests
{
    [Theory]
    [InlineData(null, "Anticline", StructureKind.Fold)]
    [InlineData(null, "Syncline", StructureKind.Fold)]
    [InlineData(null, "背斜", StructureKind.Fold)]
    [InlineData(null, "Reverse", StructureKind.Fault)]
    [InlineData(null, "Dextral", StructureKind.Fault)]
    [InlineData(null, null, StructureKind.Fault)]
    [InlineData("fold", "Reverse", StructureKind.Fold)]
    [InlineData("fault", null, StructureKind.Fault)]
    [InlineData("断裂", null, StructureKind.Fault)]
    [InlineData("lineament", null, StructureKind.Other)]
    [InlineData("scarp", null, StructureKind.Other)]
    public void ClassifyStructure_FromFieldOrSense(string? structure, string? sense, StructureKind expected) =>
        Assert.Equal(expected, FaultTrace.ClassifyStructure(structure, sense));

    [Theory]
    [InlineData("Holocene", FaultActivity.Holocene)]
    [InlineData("全新世", FaultActivity.Holocene)]
    [InlineData("Q4", FaultActivity.Holocene)]
    [InlineData("Q3-Q4", FaultActivity.Holocene)]
    [InlineData("6.6 ka", FaultActivity.Holocene)]
    [InlineData("1812", FaultActivity.Holocene)]
    [InlineData("Late Pleistocene", FaultActivity.LatePleistocene)]
    [InlineData("晚更新世", FaultActivity.LatePleistocene)]
    [InlineData("Q3", FaultActivity.LatePleistocene)]
    [InlineData("50 ka", FaultActivity.LatePleistocene)]
    [InlineData("Middle Pleistocene", FaultActivity.Older)]
    [InlineData("前第四纪", FaultActivity.Older)]
    [InlineData("2 Ma", FaultActivity.Older)]
    [InlineData("Quaternary", FaultActivity.Unknown)]
    [InlineData("", FaultActivity.Unknown)]
    [InlineData(null, FaultActivity.Unknown)]
    public void ClassifyActivity_PeriodsSymbolsAndAges(string? text, FaultActivity expected) =>
        Assert.Equal(expected, FaultTrace.ClassifyActivity(text));

    [Fact]
    public void FromAttributes_UncertaintyFromAccuracyScaleSurveyOrDefault()
    {
        var stated = FaultTrace.FromAttributes(new Dictionary<string, object?> { ["location_accuracy_m"] = 30.0, ["source_scale"] = 250000.0 }, "x");
        Assert.Equal(30, stated.PositionalUncertaintyM);
        var scaled = FaultTrace.FromAttributes(new Dictionary<string, object?> { ["source_scale"] = 250000.0 }, "x");
        Assert.Equal(125, scaled.PositionalUncertaintyM); // 0.5 mm at 1:250,000
        Assert.Equal(25, FaultTrace.FromAttributes(new Dictionary<string, object?>(), "x", surveyScaleDenominator: 50000).PositionalUncertaintyM);
        Assert.Equal(FaultTrace.DefaultUncertaintyM, FaultTrace.FromAttributes(new Dictionary<string, object?>(), "x").PositionalUncertaintyM);
        Assert.Equal(5000, FaultTrace.ScaleDenominator("1:5000"));
        Assert.Equal(250000, FaultTrace.ScaleDenominator("1:25万"));
    }

    [Fact]
    public void FromAttributes_IdentityAndGemTupleRate()
    {
        var t = FaultTrace.FromAttributes(new Dictionary<string, object?>
        {
            ["fault_id"] = "F7", ["name"] = "Jinghe fault", ["source"] = "HimaTibetMap", ["sense"] = "Dextral", ["slip_rate_mm_a"] = "(3.2,2.1,4.6)",
            ["latest_activity"] = "Holocene",
        }, "fallback");
        Assert.Equal(("F7", "Jinghe fault", "HimaTibetMap", 3.2, FaultActivity.Holocene), (t.Id, t.Name, t.Source, t.SlipRateMmA!.Value, t.Activity));
        Assert.True(t.CanGovernSetback);
        Assert.Equal("fallback", FaultTrace.FromAttributes(new Dictionary<string, object?>(), "fallback").Id);
        Assert.False(FaultTrace.FromAttributes(new Dictionary<string, object?> { ["sense"] = "Anticline" }, "a").CanGovernSetback);
    }

    [Fact]
    public void FromAttributes_HimaTibetMapRates_GiveTheSense()
    {
        Assert.Equal("sinistral (from modelled slip rates)",
            FaultTrace.FromAttributes(new Dictionary<string, object?> { ["dextral_rate"] = -3.0, ["extension_rate"] = -0.3 }, "x").Sense);
        Assert.Equal("reverse-dextral (from modelled slip rates)",
            FaultTrace.FromAttributes(new Dictionary<string, object?> { ["dextral_rate"] = 1.0, ["extension_rate"] = -1.5 }, "x").Sense);
        Assert.Equal("Dextral", FaultTrace.FromAttributes(new Dictionary<string, object?> { ["sense"] = "Dextral", ["dextral_rate"] = -1.0, ["extension_rate"] = 0.0 }, "x").Sense);
    }
}
