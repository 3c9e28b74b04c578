using GeoRisk.Core.Surveys;

namespace GeoRisk.Core.Tests;

public class SurveyPrecedenceTests
{
    private static SurveyInfo Survey(string id, int scale, bool accepted, string? acceptedOn) =>
        new(id, id, scale, SurveyType.Susceptibility, "org", null, accepted, acceptedOn is null ? null : DateOnly.Parse(acceptedOn, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void Rank_LargerScaleWins()
    {
        var ranked = SurveyPrecedence.Rank([Survey("p50", 50000, true, "2024-01-01"), Survey("k10", 10000, true, "2020-01-01")]);
        Assert.Equal(["k10", "p50"], ranked.Select(s => s.Id));
    }

    [Fact]
    public void Rank_EqualScale_LaterAcceptedWins()
    {
        var ranked = SurveyPrecedence.Rank([Survey("old", 10000, true, "2021-05-01"), Survey("new", 10000, true, "2024-05-01")]);
        Assert.Equal("new", ranked[0].Id);
    }

    [Fact]
    public void Rank_DraftNeverOverridesAccepted_EvenAtLargerScale()
    {
        var ranked = SurveyPrecedence.Rank([Survey("draft10k", 10000, false, null), Survey("accepted50k", 50000, true, "2019-01-01")]);
        Assert.Equal(["accepted50k", "draft10k"], ranked.Select(s => s.Id));
    }

    [Fact]
    public void Rank_ReferenceLayersWithoutScale_ComeAfterScaledSurveys()
    {
        var ranked = SurveyPrecedence.Rank([Survey("ref", 0, true, "2025-01-01"), Survey("p50", 50000, true, "2019-01-01")]);
        Assert.Equal("p50", ranked[0].Id);
    }

    [Fact]
    public void Compare_IsTotalAndAntisymmetric()
    {
        var surveys = new[]
        {
            Survey("a", 10000, true, "2024-01-01"), Survey("b", 10000, true, "2024-01-01"), Survey("c", 50000, false, null),
            Survey("d", 50000, true, "2022-01-01"), Survey("e", 0, true, "2022-01-01"),
        };
        foreach (var x in surveys)
        {
            foreach (var y in surveys)
            {
                Assert.Equal(Math.Sign(SurveyPrecedence.Instance.Compare(x, y)), -Math.Sign(SurveyPrecedence.Instance.Compare(y, x)));
                if (!ReferenceEquals(x, y))
                {
                    Assert.NotEqual(0, SurveyPrecedence.Instance.Compare(x, y));
                }
            }
        }
    }

    [Theory]
    [InlineData("bortala-50k", true)]
    [InlineData("a", true)]
    [InlineData("x'; DROP TABLE georisk_layers; --", false)]
    [InlineData("../etc", false)]
    [InlineData("", false)]
    [InlineData("-leading-dash", false)]
    public void Validate_SurveyId(string id, bool valid)
    {
        var survey = new SurveyInfo(id, "t", 50000, SurveyType.Hazard, "o", null, false, null);
        Assert.Equal(valid, survey.Validate().Count == 0);
    }
}
