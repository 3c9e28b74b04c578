namespace GeoRisk.Core.Risk;

/// <summary>Grade labels and legend colours (docs/DOMAIN.md §4): 1 low 低 … 4 very high 极高; N grades supported.</summary>
public static class Grades
{
    private static readonly string[] s_en4 = ["low", "medium", "high", "very high"];
    private static readonly string[] s_zh4 = ["低", "中", "高", "极高"];

    // The customary zoning ramp: green, yellow, orange, red (extra grades interpolate the ramp).
    private static readonly string[] s_colours4 = ["#38a800", "#ffff00", "#ff9900", "#e60000"];

    public static string English(int grade, int grades = 4) => grades == 4 && grade is >= 1 and <= 4 ? s_en4[grade - 1] : $"grade {grade} of {grades}";

    public static string Chinese(int grade, int grades = 4) => grades == 4 && grade is >= 1 and <= 4 ? s_zh4[grade - 1] : $"{grade}级";

    public static string Colour(int grade, int grades = 4)
    {
        if (grades == 4 && grade is >= 1 and <= 4)
        {
            return s_colours4[grade - 1];
        }

        // Linear green → red through yellow for other grade counts.
        var t = grades <= 1 ? 1 : (grade - 1) / (double)(grades - 1);
        var (r, g) = t < 0.5 ? ((int)(0x38 + ((0xff - 0x38) * t * 2)), (int)(0xa8 + ((0xff - 0xa8) * t * 2))) : (0xff, (int)(0xff * (1 - ((t - 0.5) * 2))));
        return $"#{r:x2}{g:x2}00";
    }

    /// <summary>
    /// The census term of a grade of a product (docs/DOMAIN.md §4): 极高易发区 "very high susceptibility area",
    /// 高危险区, 中风险区 …; for other grade counts the grade number with the product's suffix.
    /// </summary>
    public static (string En, string Zh) CensusTerm(int grade, int grades, ZoningProduct product)
    {
        var (en, suffixZh) = product switch
        {
            ZoningProduct.Hazard => ("hazard", "危险区"),
            ZoningProduct.Risk => ("risk", "风险区"),
            _ => ("susceptibility", "易发区"),
        };
        return grades == 4 && grade is >= 1 and <= 4
            ? ($"{s_en4[grade - 1]} {en} area", s_zh4[grade - 1] + suffixZh)
            : ($"{en} grade {grade} of {grades}", $"{grade}级{suffixZh}");
    }

    /// <summary>The product's own name: 易发性区划 "susceptibility zoning", 危险性区划, 风险区划.</summary>
    public static (string En, string Zh) ProductName(ZoningProduct product) => product switch
    {
        ZoningProduct.Hazard => ("hazard zoning", "危险性区划"),
        ZoningProduct.Risk => ("risk zoning", "风险区划"),
        _ => ("susceptibility zoning", "易发性区划"),
    };

    /// <summary>The prevention class by id ("key", "secondary", "general"), or null.</summary>
    public static (string Id, string En, string Zh, string Colour)? PreventionOf(string? id) =>
        Prevention.FirstOrDefault(p => p.Id == id) is { Id: not null } found ? found : null;

    /// <summary>Prevention zoning classes (重点/次重点/一般防治区).</summary>
    public static readonly IReadOnlyList<(string Id, string En, string Zh, string Colour)> Prevention =
    [
        ("key", "key prevention area", "重点防治区", "#c00000"),
        ("secondary", "secondary prevention area", "次重点防治区", "#ff8c00"),
        ("general", "general prevention area", "一般防治区", "#4f81bd"),
    ];
}

/// <summary>The census products (docs/DOMAIN.md §1): what a zoning's grades mean.</summary>
public enum ZoningProduct
{
    /// <summary>易发性区划: how prone the terrain is, no trigger or time.</summary>
    Susceptibility,

    /// <summary>危险性区划: susceptibility with triggers and frequency.</summary>
    Hazard,

    /// <summary>风险区划: hazard × exposure × vulnerability.</summary>
    Risk,
}
