namespace GeoRisk.Core.Surveys;

/// <summary>
/// Orders surveys by authority where their coverages overlap (docs/DOMAIN.md §5): accepted before drafts, then the
/// larger scale (smaller denominator), then the later acceptance (or completion) date, then the id so the
/// order is total and deterministic.
/// </summary>
public sealed class SurveyPrecedence : IComparer<SurveyInfo>
{
    public static SurveyPrecedence Instance { get; } = new();

    /// <summary>Negative when <paramref name="x"/> takes precedence over <paramref name="y"/>.</summary>
    public int Compare(SurveyInfo? x, SurveyInfo? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return 1;
        }

        if (y is null)
        {
            return -1;
        }

        if (x.Accepted != y.Accepted)
        {
            return x.Accepted ? -1 : 1;
        }

        var xScale = x.ScaleDenominator <= 0 ? int.MaxValue : x.ScaleDenominator;
        var yScale = y.ScaleDenominator <= 0 ? int.MaxValue : y.ScaleDenominator;
        if (xScale != yScale)
        {
            return xScale.CompareTo(yScale);
        }

        var xDate = x.AcceptedOn ?? x.CompletedOn ?? DateOnly.MinValue;
        var yDate = y.AcceptedOn ?? y.CompletedOn ?? DateOnly.MinValue;
        if (xDate != yDate)
        {
            return yDate.CompareTo(xDate);
        }

        return string.CompareOrdinal(x.Id, y.Id);
    }

    /// <summary>The surveys in order of precedence, the most authoritative first.</summary>
    public static IReadOnlyList<SurveyInfo> Rank(IEnumerable<SurveyInfo> surveys) => surveys.Order(Instance).ToList();
}
