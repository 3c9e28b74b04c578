namespace GeoRisk.Core.Risk;

/// <summary>Grade labels and legend colours (DOMAIN §4): 1 low 低 … 4 very high 极高; N grades supported.</summary>
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

    /// <summary>Prevention zoning classes (重点/次重点/一般防治区).</summary>
    public static readonly IReadOnlyList<(string Id, string En, string Zh, string Colour)> Prevention =
    [
        ("key", "key prevention area", "重点防治区", "#c00000"),
        ("secondary", "secondary prevention area", "次重点防治区", "#ff8c00"),
        ("general", "general prevention area", "一般防治区", "#4f81bd"),
    ];
}
