using System.Globalization;

namespace GeoRisk.Core.Risk;

/// <summary>What a line in an active-fault layer is: compilations mix faults with fold axes (docs/DOMAIN.md §6.3).</summary>
public enum StructureKind
{
    /// <summary>A fault trace: counts for setbacks and for the fault-distance factor.</summary>
    Fault,

    /// <summary>A fold axis (anticline, syncline, monocline): never a setback, never the fault factor.</summary>
    Fold,

    /// <summary>Another mapped structure (lineament, scarp of unknown origin): not a fault.</summary>
    Other,
}

/// <summary>Latest activity of a fault, in the classes that decide GB 50011 §4.1.7 (docs/DOMAIN.md §6.2).</summary>
public enum FaultActivity
{
    /// <summary>Active in the Holocene (last ~11.7 ka), including historic ruptures: cannot be ignored.</summary>
    Holocene,

    /// <summary>Latest activity in the Late Pleistocene (~11.7–128 ka): active for GB 17741, not for GB 50011.</summary>
    LatePleistocene,

    /// <summary>Older: Early/Middle Pleistocene or pre-Quaternary.</summary>
    Older,

    /// <summary>Not recorded: treated as possibly Holocene-active (conservative) and said so.</summary>
    Unknown,
}

/// <summary>
/// A fault trace as the site answer and the zoning run see it: identity, kinematics, activity and the positional
/// uncertainty of its line. Built from a stored feature's schema attributes (the active-faults layer kind).
/// </summary>
public sealed record FaultTrace(
    string Id,
    string? Name,
    string? Source,
    StructureKind Structure,
    string? Sense,
    double? SlipRateMmA,
    FaultActivity Activity,
    string? ActivityText,
    double PositionalUncertaintyM,
    string UncertaintyBasis,
    double? BuriedUnderM = null)
{
    /// <summary>
    /// Positional uncertainty of a trace whose source states neither accuracy nor scale: a small-scale compilation
    /// (GEM, HimaTibetMap) drawn at about 1:1,000,000, 0.5 mm at that scale (docs/DOMAIN.md §6.4).
    /// </summary>
    public const double DefaultUncertaintyM = 500;

    /// <summary>The draughting rule of docs/DOMAIN.md §5: a line is good to about 0.5 mm at its map scale.</summary>
    public const double MillimetresAtScale = 0.5;

    /// <summary>Builds the trace from a feature's attributes (names as in the active-faults schema).</summary>
    /// <param name="fallbackId">Used when the source has no fault id (layer id and feature id).</param>
    /// <param name="surveyScaleDenominator">The survey's scale (0 when it has none): the trace's scale when the feature states none.</param>
    /// <param name="defaultUncertaintyM">The bureau's uncertainty for traces with no stated accuracy or scale.</param>
    public static FaultTrace FromAttributes(IReadOnlyDictionary<string, object?> attributes, string fallbackId, int surveyScaleDenominator = 0,
        double defaultUncertaintyM = DefaultUncertaintyM)
    {
        var sense = Text(attributes, "sense") ?? SenseFromRates(attributes);
        var activityText = Text(attributes, "latest_activity");
        var (uncertainty, basis) = Uncertainty(attributes, surveyScaleDenominator, defaultUncertaintyM);
        return new FaultTrace(
            Text(attributes, "fault_id") ?? fallbackId,
            Text(attributes, "name"),
            Text(attributes, "source"),
            ClassifyStructure(Text(attributes, "structure"), sense),
            sense,
            FirstNumber(attributes.GetValueOrDefault("slip_rate_mm_a")),
            ClassifyActivity(activityText),
            activityText,
            uncertainty,
            basis,
            FirstNumber(attributes.GetValueOrDefault("buried_depth_m")));
    }

    /// <summary>
    /// HimaTibetMap v2 records no sense of slip but modelled rates: dextral_rate (negative: sinistral) and extension_rate
    /// (negative: contraction, i.e. reverse). The larger component names the sense, the other joins it when at least half as large.
    /// </summary>
    private static string? SenseFromRates(IReadOnlyDictionary<string, object?> attributes)
    {
        if (FirstNumber(attributes.GetValueOrDefault("dextral_rate")) is not { } strike
            || FirstNumber(attributes.GetValueOrDefault("extension_rate")) is not { } opening)
        {
            return null;
        }

        var strikeSense = strike >= 0 ? "dextral" : "sinistral";
        var dipSense = opening >= 0 ? "normal" : "reverse";
        var (major, minor, ratio) = Math.Abs(strike) >= Math.Abs(opening)
            ? (strikeSense, dipSense, Math.Abs(opening) / Math.Max(Math.Abs(strike), 1e-9))
            : (dipSense, strikeSense, Math.Abs(strike) / Math.Abs(opening));
        return (ratio >= 0.5 ? $"{major}-{minor}" : major) + " (from modelled slip rates)";
    }

    /// <summary>Whether the line is a fault (folds and other structures are not).</summary>
    public bool IsFault => Structure == StructureKind.Fault;

    /// <summary>Whether GB 50011 §4.1.7 can require a setback from it: a fault that is Holocene-active or of unknown age.</summary>
    public bool CanGovernSetback => IsFault && Activity is FaultActivity.Holocene or FaultActivity.Unknown;

    /// <summary>
    /// The structure from an explicit field, else from the sense of slip: compilations record folds in the same
    /// column as kinematics (GEM's <c>slip_type</c> = "Anticline").
    /// </summary>
    public static StructureKind ClassifyStructure(string? structure, string? sense)
    {
        foreach (var text in new[] { structure, sense })
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var t = text.Trim().ToLowerInvariant();
            if (t.Contains("anticline", StringComparison.Ordinal) || t.Contains("syncline", StringComparison.Ordinal) ||
                t.Contains("monocline", StringComparison.Ordinal) ||
                t.Contains("fold", StringComparison.Ordinal) || t.Contains("背斜", StringComparison.Ordinal) ||
                t.Contains("向斜", StringComparison.Ordinal) ||
                t.Contains("褶皱", StringComparison.Ordinal) || t.Contains("褶曲", StringComparison.Ordinal))
            {
                return StructureKind.Fold;
            }

            if (t.Contains("lineament", StringComparison.Ordinal) || t.Contains("线性构造", StringComparison.Ordinal) ||
                t.Contains("影像线", StringComparison.Ordinal))
            {
                return StructureKind.Other;
            }

            if (text == structure &&
                !(t.Contains(
                "fault", StringComparison.Ordinal) || t.Contains("断层", StringComparison.Ordinal) || t.Contains("断裂", StringComparison.Ordinal)))
            {
                // An explicit structure field that names something else (e.g. "scarp", "dyke") is not a fault.
                return StructureKind.Other;
            }

            return StructureKind.Fault;
        }

        return StructureKind.Fault;
    }

    /// <summary>
    /// The activity class from the recorded latest activity: geological period names in English or Chinese,
    /// Q4/Q3 symbols, an age in ka or years BP, or a calendar year of the last earthquake (GEM's <c>last_movement</c>).
    /// </summary>
    public static FaultActivity ClassifyActivity(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return FaultActivity.Unknown;
        }

        var t = text.Trim().ToLowerInvariant();
        if (t.Contains("holocene", StringComparison.Ordinal) || t.Contains("全新世", StringComparison.Ordinal) ||
            t.Contains("historic", StringComparison.Ordinal) ||
            t.Contains("历史", StringComparison.Ordinal) || t.Contains("q4", StringComparison.Ordinal))
        {
            return FaultActivity.Holocene;
        }

        if (t.Contains("late pleistocene", StringComparison.Ordinal) || t.Contains("late-pleistocene", StringComparison.Ordinal) ||
            t.Contains("晚更新世", StringComparison.Ordinal) ||
            t.StartsWith("q3", StringComparison.Ordinal))
        {
            return FaultActivity.LatePleistocene;
        }

        if (t.Contains("pleistocene", StringComparison.Ordinal) || t.Contains("更新世", StringComparison.Ordinal) ||
            t.Contains("pre-quaternary", StringComparison.Ordinal) ||
            t.Contains("前第四纪", StringComparison.Ordinal) || t.Contains("tertiary", StringComparison.Ordinal) ||
            t.Contains("neogene", StringComparison.Ordinal) ||
            t.Contains("第三纪", StringComparison.Ordinal) || t is "q1" or "q2" or "q1-2")
        {
            return FaultActivity.Older;
        }

        if (AgeInYearsBeforePresent(t) is { } years)
        {
            // The Holocene began 11,700 years ago; the Late Pleistocene 129,000 years ago (ICS chart).
            return years <= 11_700 ? FaultActivity.Holocene : years <= 129_000 ? FaultActivity.LatePleistocene : FaultActivity.Older;
        }

        // "Quaternary" alone and anything unrecognised could still be Holocene.
        return FaultActivity.Unknown;
    }

    /// <summary>"6.6 ka", "&lt;10 ka", "8000 BP", "12000 yr", or a calendar year such as "1812" (years before 2000 then).</summary>
    private static double? AgeInYearsBeforePresent(string t)
    {
        var digits = new string(t.Where(c => char.IsAsciiDigit(c) || c == '.').ToArray());
        if (digits.Length == 0 || !double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        if (t.Contains("ma", StringComparison.Ordinal) && !t.Contains("ka", StringComparison.Ordinal))
        {
            return value * 1e6;
        }

        if (t.Contains("ka", StringComparison.Ordinal) || t.Contains("千年", StringComparison.Ordinal) || t.Contains("kyr", StringComparison.Ordinal))
        {
            return value * 1000;
        }

        if (t.Contains("bp", StringComparison.Ordinal) || t.Contains("yr", StringComparison.Ordinal) || t.Contains("年前", StringComparison.Ordinal))
        {
            return value;
        }

        // A bare four-digit number is the year of the last earthquake (GEM: "Date of last earthquake").
        return digits.Length == 4 && value is >= 1 and <= 2100 ? Math.Max(0, 2000 - value) : null;
    }

    private static (double Metres, string Basis) Uncertainty(IReadOnlyDictionary<string, object?> attributes, int surveyScale, double defaultM)
    {
        if (FirstNumber(attributes.GetValueOrDefault("location_accuracy_m")) is > 0 and var stated)
        {
            return (stated, "stated by the source");
        }

        if (ScaleDenominator(attributes.GetValueOrDefault("source_scale")) is > 0 and var scale)
        {
            return (scale * MillimetresAtScale / 1000, $"0.5 mm at the source scale 1:{scale:0}");
        }

        return surveyScale > 0
            ? (surveyScale * MillimetresAtScale / 1000, $"0.5 mm at the survey scale 1:{surveyScale}")
            : (defaultM, "no accuracy or scale recorded: the default for small-scale compilation traces");
    }

    /// <summary>A scale written as 250000, "1:250000", "1:25万" or "1/250,000".</summary>
    internal static double? ScaleDenominator(object? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value is IConvertible and not string)
        {
            return Convert.ToDouble(value, CultureInfo.InvariantCulture);
        }

        var s = Convert.ToString(value, CultureInfo.InvariantCulture)!.Replace(",", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        var colon = s.LastIndexOfAny([':', '/', '：']);
        var part = colon >= 0 ? s[(colon + 1)..] : s;
        var multiplier = 1.0;
        if (part.EndsWith('万'))
        {
            multiplier = 10_000;
            part = part[..^1];
        }

        return double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d * multiplier : null;
    }

    /// <summary>A number, or the most-likely value of a GEM tuple string "(most-likely,min,max)".</summary>
    internal static double? FirstNumber(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case IConvertible and not string:
                var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                return double.IsFinite(d) ? d : null;
        }

        var s = Convert.ToString(value, CultureInfo.InvariantCulture)!.Trim().TrimStart('(').TrimEnd(')');
        var first = s.Split(',')[0].Trim();
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed) ? parsed : null;
    }

    private static string? Text(IReadOnlyDictionary<string, object?> attributes, string name) =>
        attributes.GetValueOrDefault(name) is { } v && Convert.ToString(v, CultureInfo.InvariantCulture) is { Length: > 0 } s && !string.IsNullOrWhiteSpace(s)
            ? s.Trim()
            : null;
}
