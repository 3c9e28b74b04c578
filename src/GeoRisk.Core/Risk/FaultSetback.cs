namespace GeoRisk.Core.Risk;

/// <summary>Building seismic fortification categories of GB 50223: 甲 A special, 乙 B key, 丙 C standard, 丁 D minor.</summary>
public enum BuildingCategory
{
    A,
    B,
    C,
    D,
}

public enum SetbackVerdict
{
    /// <summary>Farther than the required setback, or none is required.</summary>
    Pass,

    /// <summary>Inside the required setback.</summary>
    Fail,

    /// <summary>Category 甲 within reach of an active fault: a site-specific study decides.</summary>
    SpecialStudy,
}

/// <summary>The answer for one site and fault.</summary>
public sealed record SetbackAssessment(SetbackVerdict Verdict, double? RequiredMetres, string Basis);

/// <summary>
/// Fault avoidance distances of GB 50011-2010 (2016 ed.) §4.1.7 (DOMAIN §6), kept as a table so a bureau can
/// check it against the standard text. A fault may be ignored when the design intensity is below 8, when it
/// is not Holocene-active, or (intensity 8/9) when it is buried under more than 60/90 m of soil.
/// </summary>
public static class FaultSetback
{
    /// <summary>Setbacks in metres for categories 乙 and 丙 at intensities 8 and 9.</summary>
    public static readonly IReadOnlyDictionary<(int Intensity, BuildingCategory Category), double> Table = new Dictionary<(int, BuildingCategory), double>
    {
        [(8, BuildingCategory.B)] = 200,
        [(8, BuildingCategory.C)] = 100,
        [(9, BuildingCategory.B)] = 400,
        [(9, BuildingCategory.C)] = 200,
    };

    /// <summary>Parses A–D or 甲乙丙丁.</summary>
    public static bool TryParseCategory(string? text, out BuildingCategory category)
    {
        category = text switch
        {
            "A" or "a" or "甲" => BuildingCategory.A,
            "B" or "b" or "乙" => BuildingCategory.B,
            "C" or "c" or "丙" => BuildingCategory.C,
            "D" or "d" or "丁" => BuildingCategory.D,
            _ => (BuildingCategory)(-1),
        };
        return (int)category >= 0;
    }

    public static string Chinese(BuildingCategory c) => c switch
    {
        BuildingCategory.A => "甲",
        BuildingCategory.B => "乙",
        BuildingCategory.C => "丙",
        _ => "丁",
    };

    /// <param name="holoceneActive">True, false, or null when the fault's latest activity is not recorded (treated as active).</param>
    /// <param name="buriedUnderMetres">Soil cover over a buried bedrock fault, if known.</param>
    public static SetbackAssessment Assess(double distanceMetres, int intensity, BuildingCategory category, bool? holoceneActive, double? buriedUnderMetres = null)
    {
        if (intensity < 8)
        {
            return new(SetbackVerdict.Pass, null, $"Design intensity {intensity} is below 8: GB 50011 §4.1.7 allows the fault to be ignored.");
        }

        if (holoceneActive == false)
        {
            return new(SetbackVerdict.Pass, null, "The fault is not Holocene-active: GB 50011 §4.1.7 allows it to be ignored.");
        }

        if (buriedUnderMetres is { } cover && cover > (intensity >= 9 ? 90 : 60))
        {
            return new(SetbackVerdict.Pass, null, $"Buried under {cover:0} m of soil (more than {(intensity >= 9 ? 90 : 60)} m at intensity {intensity}): may be ignored.");
        }

        var level = Math.Min(intensity, 9);
        switch (category)
        {
            case BuildingCategory.A:
                return new(SetbackVerdict.SpecialStudy, null, $"Category 甲 (A) near an active fault at intensity {level}: GB 50011 §4.1.7 requires a special study.");
            case BuildingCategory.D:
                return new(SetbackVerdict.Pass, null, "GB 50011 §4.1.7 specifies no setback for category 丁 (D).");
            default:
                var required = Table[(level, category)];
                return distanceMetres < required
                    ? new(SetbackVerdict.Fail, required, $"{distanceMetres:0} m from the trace, inside the {required:0} m setback for category {Chinese(category)} ({category}) at intensity {level} (GB 50011 §4.1.7).")
                    : new(SetbackVerdict.Pass, required, $"{distanceMetres:0} m from the trace, beyond the {required:0} m setback for category {Chinese(category)} ({category}) at intensity {level} (GB 50011 §4.1.7).");
        }
    }

    /// <summary>Design intensity from basic PGA (GB 18306 bands, DOMAIN §7, marked "confirm"): null outside the table.</summary>
    public static int? IntensityFromPga(double pgaG) => pgaG switch
    {
        >= 0.04 and < 0.09 => 6,
        >= 0.09 and < 0.19 => 7,
        >= 0.19 and < 0.38 => 8,
        >= 0.38 and < 0.75 => 9,
        _ => null,
    };
}
