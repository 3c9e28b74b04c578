using System.Globalization;

namespace GeoRisk.Core.Risk;

/// <summary>Building seismic fortification categories of GB 50223-2008: 甲 A special, 乙 B key, 丙 C standard, 丁 D minor.</summary>
public enum BuildingCategory
{
    A,
    B,
    C,
    D,
}

public enum SetbackVerdict
{
    /// <summary>Beyond the required distance (with the trace's uncertainty), or the fault may be ignored.</summary>
    Pass,

    /// <summary>Inside the required distance even where the trace's uncertainty is in the site's favour.</summary>
    Fail,

    /// <summary>The distance lies within the setback ± the trace's positional uncertainty: a surveyed trace (活动断层探测) decides.</summary>
    Indeterminate,

    /// <summary>Category 甲 within the study radius of a fault that cannot be ignored: the setback is set by a special study.</summary>
    SpecialStudy,
}

/// <summary>
/// Design intensity with its design basic acceleration, GB 50011-2010 (2016 ed.) Table 3.2.2: 6度 0.05g,
/// 7度 0.10g/0.15g, 8度 0.20g/0.30g, 9度 0.40g (docs/DOMAIN.md §7). The acceleration is null when only the degree is known.
/// </summary>
public sealed record DesignIntensity(int Degree, double? AccelerationG)
{
    private static readonly double[] s_accelerations = [0.05, 0.10, 0.15, 0.20, 0.30, 0.40];

    /// <summary>"8度(0.20g)", or "8度" without an acceleration.</summary>
    public string Label => AccelerationG is { } a ? $"{Degree}度({a.ToString("0.00", CultureInfo.InvariantCulture)}g)" : $"{Degree}度";

    /// <summary>"VIII (0.20 g)", or "VIII" without an acceleration.</summary>
    public string LabelEn => (Degree switch { 6 => "VI", 7 => "VII", 8 => "VIII", 9 => "IX", _ => Degree.ToString(CultureInfo.InvariantCulture) }) +
        (AccelerationG is { } a ? $" ({a.ToString("0.00", CultureInfo.InvariantCulture)} g)" : "");

    /// <summary>The degree a design basic acceleration belongs to (Table 3.2.2), or null when it is not one of its six values.</summary>
    public static int? DegreeOf(double accelerationG) => Math.Round(accelerationG, 2) switch
    {
        0.05 => 6,
        0.10 or 0.15 => 7,
        0.20 or 0.30 => 8,
        0.40 => 9,
        _ => null,
    };

    /// <summary>A degree 6–9 with an optional acceleration that must belong to it.</summary>
    /// <exception cref="ArgumentException">The pair is not in Table 3.2.2.</exception>
    public static DesignIntensity Create(int degree, double? accelerationG = null)
    {
        if (degree is < 6 or > 9)
        {
            throw new ArgumentException($"Design intensity {degree} is not 6, 7, 8 or 9.", nameof(degree));
        }

        if (accelerationG is { } a && DegreeOf(a) != degree)
        {
            throw new ArgumentException($"A design basic acceleration of {a:0.00}g does not belong to intensity {degree} " +
                "(GB 50011 Table 3.2.2: 6度 0.05g, 7度 0.10g/0.15g, 8度 0.20g/0.30g, 9度 0.40g).", nameof(accelerationG));
        }

        // 6度 and 9度 have one acceleration each; 7度 and 8度 two, so theirs stays unknown unless given.
        return new DesignIntensity(degree, accelerationG is { } v ? Math.Round(v, 2) : degree switch { 6 => 0.05, 9 => 0.40, _ => null });
    }

    /// <summary>
    /// The basic PGA class of a site-class-II peak acceleration and its intensity: a value in [0.04, 0.09) is the
    /// 0.05g class, [0.09, 0.14) 0.10g, [0.14, 0.19) 0.15g, [0.19, 0.28) 0.20g, [0.28, 0.38) 0.30g, [0.38, 0.75)
    /// 0.40g (GB 18306-2015's classes, docs/DOMAIN.md §7); null outside them.
    /// </summary>
    public static DesignIntensity? FromPga(double pgaG)
    {
        double? cls = pgaG switch
        {
            >= 0.04 and < 0.09 => 0.05,
            >= 0.09 and < 0.14 => 0.10,
            >= 0.14 and < 0.19 => 0.15,
            >= 0.19 and < 0.28 => 0.20,
            >= 0.28 and < 0.38 => 0.30,
            >= 0.38 and < 0.75 => 0.40,
            _ => null,
        };
        return cls is { } c ? new DesignIntensity(DegreeOf(c)!.Value, c) : null;
    }

    public static bool IsDesignAcceleration(double g) => s_accelerations.Contains(Math.Round(g, 2));
}

/// <summary>What the setback check needs to know about one site and one fault.</summary>
/// <param name="DistanceM">Horizontal distance from the site to the mapped trace.</param>
/// <param name="UncertaintyM">Positional uncertainty of the trace (± metres).</param>
/// <param name="BuriedUnderM">Soil cover over a buried bedrock fault, if known.</param>
/// <param name="SpecialStudyRadiusM">Within this distance of a fault that cannot be ignored, category 甲 needs a special study.</param>
public sealed record SetbackQuestion(double DistanceM, double UncertaintyM, DesignIntensity Intensity, BuildingCategory Category, FaultActivity Activity,
    double? BuriedUnderM = null, double SpecialStudyRadiusM = FaultSetback.DefaultSpecialStudyRadiusM);

/// <summary>The answer: verdict, the distance required (null where the table gives none), the clause and its wording.</summary>
public sealed record SetbackAssessment(SetbackVerdict Verdict, double? RequiredM, string Clause, string Basis, string BasisZh)
{
    /// <summary>"pass", "fail", "indeterminate" or "special-study".</summary>
    public string VerdictId => FaultSetback.VerdictId(Verdict);
}

/// <summary>
/// Avoidance of seismogenic faults, GB 50011-2010 (2016 ed.) §4.1.7 with Table 4.1.7 (docs/DOMAIN.md §6): the fault
/// may be ignored below intensity 8, when it is not Holocene-active, or when it is buried under more than 60 m (8度) or
/// 90 m (9度) of soil; otherwise the main fault zone is avoided by at least the tabulated distance. The verdict takes the
/// mapped trace's positional uncertainty into account: near the threshold only a surveyed trace can decide.
/// </summary>
public static class FaultSetback
{
    public const string Standard = "GB 50011-2010 (2016 ed.)";

    /// <summary>
    /// Category 甲's special-study radius: the standard names no distance, so the bureau sets one. 5 km, the site-area
    /// extent of a seismic safety evaluation's fault survey (docs/DOMAIN.md §6.5).
    /// </summary>
    public const double DefaultSpecialStudyRadiusM = 5000;

    /// <summary>Table 4.1.7, minimum avoidance distances in metres for categories 乙 and 丙 (甲: special study; 丁: none given).</summary>
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

    public static string VerdictId(SetbackVerdict v) => v switch
    {
        SetbackVerdict.Pass => "pass",
        SetbackVerdict.Fail => "fail",
        SetbackVerdict.Indeterminate => "indeterminate",
        _ => "special-study",
    };

    public static string VerdictZh(SetbackVerdict v) => v switch
    {
        SetbackVerdict.Pass => "满足避让要求",
        SetbackVerdict.Fail => "位于避让范围内",
        SetbackVerdict.Indeterminate => "不能判定，需活动断层探测",
        _ => "需专门研究",
    };

    /// <summary>Whether §4.1.7 item 1 lets the fault be ignored, with the sub-item that does.</summary>
    public static (bool Ignored, string Clause, string Basis, string BasisZh) Ignorable(DesignIntensity intensity, FaultActivity activity, double? buriedUnderM)
    {
        if (intensity.Degree < 8)
        {
            return (true, "§4.1.7 item 1(1)",
                $"Design intensity {intensity.LabelEn} is below 8: the effect of fault displacement on buildings may be ignored " +
                $"({Standard} §4.1.7 item 1(1)).",
                $"抗震设防烈度{intensity.Label}小于8度，" +
                $"可忽略发震断裂错动对地面建筑的影响（{Standard}第4.1.7条第1款第1项）。");
        }

        if (activity is FaultActivity.LatePleistocene or FaultActivity.Older)
        {
            return (true, "§4.1.7 item 1(2)",
                $"The fault is not Holocene-active: its displacement may be ignored ({Standard} §4.1.7 item 1(2)).",
                $"非全新世活动断裂，可忽略发震断裂错动对地面建筑的影响（{Standard}第4.1.7条第1款第2项）。");
        }

        var limit = intensity.Degree >= 9 ? 90 : 60;
        if (buriedUnderM is { } cover && cover > limit)
        {
            return (true, "§4.1.7 item 1(3)",
                $"A buried fault under {cover:0} m of soil, more than {limit} m at intensity {intensity.LabelEn}: its displacement may be ignored " +
                $"({Standard} §4.1.7 item 1(3)).",
                $"隐伏断裂的土层覆盖厚度{cover:0}m，大于{intensity.Degree}度时的{limit}m，" +
                $"可忽略发震断裂错动的影响（{Standard}第4.1.7条第1款第3项）。");
        }

        return (false, "", "", "");
    }

    public static SetbackAssessment Assess(SetbackQuestion q)
    {
        var (ignored, ignoreClause, ignoreBasis, ignoreBasisZh) = Ignorable(q.Intensity, q.Activity, q.BuriedUnderM);
        if (ignored)
        {
            return new(SetbackVerdict.Pass, null, ignoreClause, ignoreBasis, ignoreBasisZh);
        }

        var where = $"{q.DistanceM:0} m from the mapped trace (positioned to ±{q.UncertaintyM:0} m)";
        var whereZh = $"距断层迹线{q.DistanceM:0}m（迹线位置不确定度±{q.UncertaintyM:0}m）";
        return q.Category switch
        {
            BuildingCategory.A => AssessCategoryA(q, where, whereZh),
            BuildingCategory.D => AssessCategoryD(q, where, whereZh),
            _ => AssessByTable(q, where, whereZh),
        };
    }

    /// <summary>Category 甲: within the bureau's radius the avoidance distance is set by a special study.</summary>
    private static SetbackAssessment AssessCategoryA(SetbackQuestion q, string where, string whereZh)
    {
        if (q.DistanceM - q.UncertaintyM > q.SpecialStudyRadiusM)
        {
            return new(SetbackVerdict.Pass, null, "§4.1.7 item 2, Table 4.1.7",
                $"{where}: beyond the {q.SpecialStudyRadiusM / 1000:0.#} km within which a category 甲 building's avoidance distance "
                + $"is set by a special study (Table 4.1.7; radius set by the bureau).",
                $"{whereZh}，在甲类建筑需专门研究确定避让距离的{q.SpecialStudyRadiusM / 1000:0.#}km范围之外"
                + $"（表4.1.7；范围由主管部门设定）。");
        }

        return new(SetbackVerdict.SpecialStudy, null, "§4.1.7 item 2, Table 4.1.7",
            $"{where}, within {q.SpecialStudyRadiusM / 1000:0.#} km: for a category 甲 building the avoidance distance is set by a special study " +
            $"({Standard} §4.1.7 item 2, Table 4.1.7).",
            $"{whereZh}，在{q.SpecialStudyRadiusM / 1000:0.#}km范围内：甲类建筑的避让距离应按专门研究确定"
            + $"（{Standard}第4.1.7条第2款、表4.1.7）。");
    }

    /// <summary>Category 丁: no minimum distance, but never on the trace itself.</summary>
    private static SetbackAssessment AssessCategoryD(SetbackQuestion q, string where, string whereZh)
    {
        if (q.DistanceM <= q.UncertaintyM)
        {
            return new(SetbackVerdict.Indeterminate, null, "§4.1.7 item 2",
                $"{where}: the trace may pass under the site. Table 4.1.7 sets no minimum distance for category 丁, but the main fault zone "
                + "is to be avoided and a building must not straddle the fault line; a surveyed trace (active-fault detection) is needed.",
                $"{whereZh}，迹线可能通过场地。表4.1.7对丁类建筑未规定最小避让距离，但应避开主断裂带，"
                + "且建筑不得跨越断层线；需进行活动断层探测确定迹线位置。");
        }

        return new(SetbackVerdict.Pass, null, "§4.1.7 item 2, Table 4.1.7",
            $"{where}: Table 4.1.7 sets no minimum distance for category 丁; scattered buildings lower than three storeys take seismic measures "
            + "one degree higher and must not straddle the fault line (§4.1.7 item 2).",
            $"{whereZh}：表4.1.7对丁类建筑未规定最小避让距离；分散的、低于三层的建筑应按提高一度采取抗震措施，"
            + "且不得跨越断层线（第4.1.7条第2款）。");
    }

    /// <summary>Categories 乙 and 丙: Table 4.1.7's minimum distance, compared with the trace's uncertainty band.</summary>
    private static SetbackAssessment AssessByTable(SetbackQuestion q, string where, string whereZh)
    {
        var (d, u) = (q.DistanceM, q.UncertaintyM);
        var required = Table[(Math.Min(q.Intensity.Degree, 9), q.Category)];
        var cat = Chinese(q.Category);
        var table = $"the {required:0} m minimum avoidance distance for category {cat} at {q.Intensity.LabelEn} ({Standard} §4.1.7 item 2, Table 4.1.7)";
        var tableZh = $"{q.Intensity.Label}时{cat}类建筑的最小避让距离{required:0}m（{Standard}第4.1.7条第2款、表4.1.7）";
        if (d - u >= required)
        {
            return new(SetbackVerdict.Pass, required, "§4.1.7 item 2, Table 4.1.7", $"{where}: beyond {table}.", $"{whereZh}，大于{tableZh}。");
        }

        if (d + u < required)
        {
            return q.Category == BuildingCategory.B
                ? new(SetbackVerdict.Fail, required, "§4.1.7 item 2, Table 4.1.7",
                    $"{where}: inside {table}. The site must avoid the fault zone: a category 乙 building may not be built here.",
                    $"{whereZh}，位于{tableZh}以内：应避开主断裂带，不应建造乙类建筑。")
                : new(SetbackVerdict.Fail, required, "§4.1.7 item 2, Table 4.1.7",
                    $"{where}: inside {table}. The site is to avoid the fault zone; where scattered category 丙 buildings lower than three storeys are " +
                    "really needed, they take seismic measures one degree higher, a more integral foundation and superstructure, "
                    + "and must not straddle the fault line.",
                    $"{whereZh}，位于{tableZh}以内：应避开主断裂带；确有需要建造分散的、低于三层的丙类建筑时，"
                    + "应按提高一度采取抗震措施，并提高基础和上部结构的整体性，且不得跨越断层线。");
        }

        return new(SetbackVerdict.Indeterminate, required, "§4.1.7 item 2, Table 4.1.7",
            $"{where}: the uncertainty band {Math.Max(0, d - u):0}–{d + u:0} m straddles {table}. Only a surveyed trace (active-fault detection) "
            + "can decide.",
            $"{whereZh}，{Math.Max(0, d - u):0}–{d + u:0}m的范围跨越{tableZh}：需进行活动断层探测，确定迹线位置后判定。");
    }
}
