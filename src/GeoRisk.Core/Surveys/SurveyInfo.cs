namespace GeoRisk.Core.Surveys;

/// <summary>The kind of product a survey delivered (docs/DOMAIN.md §2).</summary>
public enum SurveyType
{
    Susceptibility,
    Hazard,
    Risk,
    FineSurvey,
    Reference,
}

/// <summary>
/// A survey: the unit of delivery and of precedence. Scale 1:10000 beats 1:50000 where both cover a place;
/// among equal scales the later accepted one wins; drafts never override accepted products.
/// </summary>
/// <param name="Id">Stable identifier chosen by the uploader ("bortala-50k-2024"); letters, digits, '-', '_' and '.'.</param>
/// <param name="ScaleDenominator">50000, 10000 or any other denominator; 0 for reference layers without a survey scale.</param>
public sealed record SurveyInfo(
    string Id,
    string Title,
    int ScaleDenominator,
    SurveyType Type,
    string Organisation,
    DateOnly? CompletedOn,
    bool Accepted,
    DateOnly? AcceptedOn,
    string? StandardReference = null)
{
    /// <summary>Checks the identifier and scale; returns the problems found.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Identifiers.IsValid(Id))
        {
            problems.Add($"Survey id '{Id}' must be 1-64 characters of letters, digits, '-', '_' or '.', starting with a letter or digit.");
        }

        if (ScaleDenominator < 0)
        {
            problems.Add($"Scale denominator {ScaleDenominator} must not be negative.");
        }

        if (Accepted && AcceptedOn is null)
        {
            problems.Add("An accepted survey needs its acceptance date.");
        }

        return problems;
    }
}
