namespace GeoRisk.Core.Risk;

/// <summary>
/// Flood depth classes of Chinese flood-risk maps (docs/DOMAIN.md §8): 0–0.5, 0.5–1, 1–2, 2–3 and over 3 m.
/// 0.5 m is the usual threshold of damage to buildings.
/// </summary>
public static class FloodDepth
{
    private static readonly (double Upper, string Id, string Zh)[] s_classes =
    [
        (0.5, "0-0.5 m", "0~0.5米"),
        (1, "0.5-1 m", "0.5~1米"),
        (2, "1-2 m", "1~2米"),
        (3, "2-3 m", "2~3米"),
        (double.PositiveInfinity, ">3 m", "3米以上"),
    ];

    /// <summary>The index (0..4) of a depth's class; -1 for a missing or negative depth.</summary>
    public static int IndexOf(double? depthM)
    {
        if (depthM is not { } d || !double.IsFinite(d) || d < 0)
        {
            return -1;
        }

        for (var i = 0; i < s_classes.Length; i++)
        {
            if (d <= s_classes[i].Upper)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The class of a depth in metres; null for a missing or negative depth.</summary>
    public static (string Id, string Zh)? ClassOf(double? depthM)
    {
        if (depthM is not { } d || !double.IsFinite(d) || d < 0)
        {
            return null;
        }

        foreach (var (upper, id, zh) in s_classes)
        {
            if (d <= upper)
            {
                return (id, zh);
            }
        }

        return null;
    }
}
