using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GeoRisk.Core.Layers;

namespace GeoRisk.Core.Risk;

/// <summary>
/// A hazard-zoning model (docs/MODEL.md): the analysis grid, the factors and their transforms, how they
/// are combined, and how the index is graded. Loaded from JSON with <see cref="Parse"/>, which checks
/// everything a run relies on and explains what is wrong.
/// </summary>
public sealed record RiskModel
{
    public required string Name { get; init; }

    public string? Description { get; init; }

    public required AnalysisGrid Grid { get; init; }

    public required IReadOnlyList<FactorDefinition> Factors { get; init; }

    public required Combination Combination { get; init; }

    public Classification Classification { get; init; } = new();

    public ModelValidation Validation { get; init; } = new();

    public PreventionRules Prevention { get; init; } = new();

    /// <summary>Damage ratios of the exposure per structure class and hazard type (the risk product and scenario tables).</summary>
    public VulnerabilityModel Vulnerability { get; init; } = new();

    /// <summary>How people and floor area weigh in the risk product.</summary>
    public RiskWeights Risk { get; init; } = new();

    /// <summary>Layer kind whose features give the census units (default admin-units).</summary>
    public string AdminLayerKind { get; init; } = "admin-units";

    /// <summary>Layer kind of the hazard points used for fitting, validation and the census.</summary>
    public string HazardPointKind { get; init; } = "hazard-points";

    private static readonly JsonSerializerOptions s_read = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private static readonly JsonSerializerOptions s_canonical = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <exception cref="InvalidInputException">The JSON is malformed or the model is inconsistent (code <c>invalid-model</c>).</exception>
    public static RiskModel Parse(string json)
    {
        RiskModel? model;
        try
        {
            model = JsonSerializer.Deserialize<RiskModel>(json, s_read);
        }
        catch (JsonException ex)
        {
            throw new InvalidInputException("invalid-model", $"The model file is not valid: {ex.Message}");
        }

        if (model is null)
        {
            throw new InvalidInputException("invalid-model", "The model file is empty.");
        }

        var problems = model.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidInputException("invalid-model", "The model is inconsistent: " + string.Join(" ", problems));
        }

        return model;
    }

    /// <summary>The model as canonical JSON (defaults filled in), which is what <see cref="Hash"/> covers.</summary>
    public string ToJson(bool indented = false) =>
        JsonSerializer.Serialize(this, new JsonSerializerOptions(s_canonical) { WriteIndented = indented });

    /// <summary>SHA-256 of the canonical JSON: two files that differ only in layout or comments share a hash.</summary>
    [JsonIgnore]
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())));

    /// <summary>The model with another grid (a county instead of the prefecture, 10 m instead of 30 m).</summary>
    public RiskModel WithGrid(AnalysisGrid grid) => this with { Grid = grid };

    /// <summary>Factor weights from the combination (AHP eigenvector or explicit); null for information value.</summary>
    /// <exception cref="InvalidInputException">The AHP matrix is inconsistent (CR ≥ 0.10).</exception>
    public (IReadOnlyList<double>? Weights, AhpResult? Ahp) ResolveWeights()
    {
        switch (Combination.Method)
        {
            case CombinationMethod.Weights:
                var w = Factors.Select(f => Combination.Weights![f.Id]).ToArray();
                var sum = w.Sum();
                return (w.Select(x => x / sum).ToArray(), null);
            case CombinationMethod.Ahp:
                var n = Factors.Count;
                var m = new double[n, n];
                for (var i = 0; i < n; i++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        m[i, j] = Combination.Pairwise![i][j];
                    }
                }

                AhpResult ahp;
                try
                {
                    ahp = Ahp.Compute(m);
                }
                catch (ArgumentException ex)
                {
                    throw new InvalidInputException("invalid-model", "The AHP matrix is not usable: " + ex.Message);
                }

                if (!ahp.IsConsistent)
                {
                    throw new InvalidInputException("inconsistent-ahp", string.Create(CultureInfo.InvariantCulture,
                        $"The AHP pairwise matrix is inconsistent: CR = {ahp.ConsistencyRatio:0.000} (λmax = {ahp.LambdaMax:0.000}, CI = " +
                        $"{ahp.ConsistencyIndex:0.000}, RI = {Ahp.RandomIndex[n - 1]:0.00}) and must be below 0.10. Revisit the judgements that contradict " +
                        $"each other (if A is 3× B and B is 3× C, A should be near 9× C)."));
                }

                return (ahp.Weights, ahp);
            default:
                return (null, null);
        }
    }

    /// <summary>Every problem with the model, as sentences; empty when it can run.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add("'name' is required.");
        }

        problems.AddRange(Grid.Validate());
        if (Factors is null || Factors.Count == 0)
        {
            problems.Add("At least one factor is required.");
            return problems;
        }

        foreach (var dup in Factors.GroupBy(f => f.Id).Where(g => g.Count() > 1))
        {
            problems.Add($"Factor id '{dup.Key}' is used twice.");
        }

        foreach (var f in Factors)
        {
            problems.AddRange(f.Validate());
        }

        problems.AddRange(Combination.Validate(Factors));
        problems.AddRange(Classification.Validate());
        problems.AddRange(Vulnerability.Validate());
        problems.AddRange(Risk.Validate());
        if (Factors.All(f => f.Role == FactorRole.Trigger))
        {
            problems.Add("At least one factor must have the role 'susceptibility' (the triggers alone make no susceptibility).");
        }
        if (Validation.HoldOutFraction is < 0 or >= 1)
        {
            problems.Add("validation.holdOutFraction must be in [0, 1).");
        }

        if (!LayerKindExtensions.TryParse(AdminLayerKind, out _) || !LayerKindExtensions.TryParse(HazardPointKind, out _))
        {
            problems.Add($"adminLayerKind and hazardPointKind must be layer kinds ({LayerKindExtensions.AllTokens}).");
        }

        return problems;
    }
}

/// <summary>The analysis grid: a projected CRS in metres, a cell size and an extent.</summary>
public sealed record AnalysisGrid
{
    /// <summary>"EPSG:n" of a projected CRS in metres (EPSG:4503, 6° Gauss-Krüger CM 81°E, covers the prefecture).</summary>
    public string Crs { get; init; } = "EPSG:4503";

    public double CellSize { get; init; } = 30;

    public required GridExtent Extent { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Crs.StartsWith("EPSG:", StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(Crs.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            problems.Add($"grid.crs '{Crs}' must be 'EPSG:<code>' of a projected CRS in metres.");
        }

        if (!(CellSize >= 1 && CellSize <= 10_000))
        {
            problems.Add($"grid.cellSize {CellSize} must be between 1 and 10000 metres.");
        }

        if (Extent is null)
        {
            problems.Add("grid.extent is required: {\"admin\": \"652700\"} or {\"bbox\": [minLon, minLat, maxLon, maxLat]}.");
        }
        else
        {
            problems.AddRange(Extent.Validate());
        }

        return problems;
    }
}

/// <summary>Either admin unit codes (the union of their polygons) or a lon/lat bounding box.</summary>
public sealed record GridExtent
{
    /// <summary>A GB/T 2260 code; a prefecture code (ending in 00) means all its units.</summary>
    public string? Admin { get; init; }

    /// <summary>minLon, minLat, maxLon, maxLat (CGCS2000).</summary>
    public IReadOnlyList<double>? Bbox { get; init; }

    public IReadOnlyList<string> Validate()
    {
        if ((Admin is null) == (Bbox is null))
        {
            return ["grid.extent needs exactly one of 'admin' (a code such as 652701) or 'bbox' ([minLon, minLat, maxLon, maxLat])."];
        }

        if (Bbox is { } b && (b.Count != 4 || b.Any(v => !double.IsFinite(v)) || b[0] >= b[2] || b[1] >= b[3]
            || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90))
        {
            return ["grid.extent.bbox must be [minLon, minLat, maxLon, maxLat] with min < max, in degrees."];
        }

        if (Admin is { } a && (a.Length != 6 || !a.All(char.IsAsciiDigit)))
        {
            return [$"grid.extent.admin '{a}' must be a 6-digit GB/T 2260 code."];
        }

        return [];
    }
}

public enum TransformType
{
    /// <summary>Attribute value → class through a table (categorical: survey grades, return periods).</summary>
    Lookup,

    /// <summary>Attribute or raster value → class by ascending breaks (continuous: PGA, elevation).</summary>
    Breaks,

    /// <summary>Distance in metres to the source features → class by ascending breaks.</summary>
    Distance,

    /// <summary>Slope in degrees (Horn) of the source DEM → class by ascending breaks.</summary>
    Slope,
}

/// <summary>Which layers feed a factor: every layer of a kind (all surveys, by precedence) or listed ones.</summary>
public sealed record FactorSource
{
    public required string Kind { get; init; }

    /// <summary>Optional "survey/layer" ids; default every layer of the kind.</summary>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>Attribute read by lookup and breaks transforms on vector layers.</summary>
    public string? Field { get; init; }

    [JsonIgnore]
    public LayerKind LayerKind => LayerKindExtensions.TryParse(Kind, out var k) ? k : throw new InvalidOperationException($"Unknown kind {Kind}.");
}

/// <summary>
/// A factor's transform to classes 1..k, each with a score. Cells no source feature covers get class 0
/// with <see cref="OutsideScore"/> (a place outside every flood extent, or outside every surveyed zone).
/// </summary>
public sealed record FactorTransform
{
    public required TransformType Type { get; init; }

    /// <summary>Ascending class limits for breaks, distance and slope: k-1 values for k classes.</summary>
    public IReadOnlyList<double>? Breaks { get; init; }

    /// <summary>For lookup: attribute value (as text) → class score. Classes follow the table's order.</summary>
    public IReadOnlyDictionary<string, double>? Table { get; init; }

    /// <summary>Class scores (0..1 by convention) for breaks, distance and slope: one per class.</summary>
    public IReadOnlyList<double>? Scores { get; init; }

    public double OutsideScore { get; init; }

    /// <summary>Number of classes (excluding the outside class 0).</summary>
    [JsonIgnore]
    public int ClassCount => Type == TransformType.Lookup ? Table?.Count ?? 0 : (Breaks?.Count ?? 0) + 1;

    /// <summary>Score of class c (0 = outside).</summary>
    public double ScoreOf(int cls) => cls == 0 ? OutsideScore : Type == TransformType.Lookup ? Table!.Values.ElementAt(cls - 1) : Scores![cls - 1];

    /// <summary>Class 1..k of a value by the breaks (v &lt; breaks[0] → 1; NaN → 0).</summary>
    public int ClassOfValue(double v)
    {
        if (double.IsNaN(v))
        {
            return 0;
        }

        var b = Breaks!;
        var c = 1;
        while (c <= b.Count && v >= b[c - 1])
        {
            c++;
        }

        return c;
    }

    /// <summary>Class of a lookup key (0 when the value is not in the table).</summary>
    public int ClassOfKey(string? key)
    {
        if (key is null)
        {
            return 0;
        }

        var i = 1;
        foreach (var k in Table!.Keys)
        {
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }

            i++;
        }

        return 0;
    }
}

public sealed record FactorDefinition
{
    /// <summary>Short identifier ("fault-distance") used in weights, outputs and site-risk answers.</summary>
    public required string Id { get; init; }

    public string? Title { get; init; }

    public string? TitleZh { get; init; }

    public required FactorSource Source { get; init; }

    public required FactorTransform Transform { get; init; }

    /// <summary>Susceptibility (default) or trigger: triggers enter the hazard product only (docs/DOMAIN.md §1).</summary>
    public FactorRole Role { get; init; } = FactorRole.Susceptibility;

    /// <summary>How far a change in the source can move this factor's values, in metres (the incremental-recompute margin).</summary>
    [JsonIgnore]
    public double Reach => Transform.Type == TransformType.Distance ? Transform.Breaks![^1] : 0;

    public IReadOnlyList<string> Validate()
    {
        var p = new List<string>();
        var where = $"Factor '{Id}':";
        if (!Identifiers.IsValid(Id))
        {
            p.Add($"{where} the id must be letters, digits, '-', '_' or '.'.");
        }

        if (Source is null || !LayerKindExtensions.TryParse(Source.Kind, out var kind))
        {
            p.Add($"{where} source.kind must be one of {LayerKindExtensions.AllTokens}.");
            return p;
        }

        var t = Transform;
        switch (t.Type)
        {
            case TransformType.Lookup:
                if (t.Table is null || t.Table.Count == 0 || t.Table.Count > 250)
                {
                    p.Add($"{where} a lookup needs a 'table' of 1-250 entries (value → score).");
                }

                if (Source.Field is null || kind.IsRaster())
                {
                    p.Add($"{where} a lookup reads an attribute: give source.field on a vector layer kind.");
                }

                break;
            case TransformType.Breaks or TransformType.Distance or TransformType.Slope:
                if (t.Breaks is null || t.Breaks.Count == 0 || t.Breaks.Count > 250 || t.Breaks.Any(b => !double.IsFinite(b))
                    || t.Breaks.Zip(t.Breaks.Skip(1)).Any(x => x.First >= x.Second))
                {
                    p.Add($"{where} 'breaks' must be 1-250 strictly ascending finite numbers.");
                }
                else if (t.Scores is null || t.Scores.Count != t.Breaks.Count + 1)
                {
                    p.Add(
                        $"{where} {t.Breaks.Count} breaks make {t.Breaks.Count + 1} classes, so 'scores' needs {t.Breaks.Count + 1} values (it " +
                        $"has {t.Scores?.Count ?? 0}).");
                }

                if (t.Type == TransformType.Distance && (kind.IsRaster() || t.Breaks is { Count: > 0 } && t.Breaks[0] <= 0))
                {
                    p.Add($"{where} distance is measured to vector features, with positive breaks in metres.");
                }

                if (t.Type == TransformType.Slope && kind != LayerKind.Dem)
                {
                    p.Add($"{where} slope needs a dem source.");
                }

                if (t.Type == TransformType.Breaks && !kind.IsRaster() && Source.Field is null)
                {
                    p.Add($"{where} breaks on a vector layer need source.field.");
                }

                break;
        }

        var scores = t.Type == TransformType.Lookup ? t.Table?.Values ?? [] : t.Scores ?? [];
        if (scores.Append(t.OutsideScore).Any(s => !double.IsFinite(s)))
        {
            p.Add($"{where} scores must be finite numbers.");
        }

        return p;
    }
}

public enum CombinationMethod
{
    /// <summary>AHP pairwise matrix → principal eigenvector weights; CR ≥ 0.10 rejected.</summary>
    Ahp,

    /// <summary>Explicit weights per factor id (normalised to sum 1).</summary>
    Weights,

    /// <summary>Information value fitted on hazard points: index = Σ IV of each cell's class.</summary>
    InformationValue,
}

public sealed record Combination
{
    public required CombinationMethod Method { get; init; }

    /// <summary>For AHP: n×n Saaty matrix in the order of the factors.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? Pairwise { get; init; }

    /// <summary>For explicit weights: factor id → weight.</summary>
    public IReadOnlyDictionary<string, double>? Weights { get; init; }

    public IReadOnlyList<string> Validate(IReadOnlyList<FactorDefinition> factors)
    {
        var n = factors.Count;
        switch (Method)
        {
            case CombinationMethod.Ahp:
                if (Pairwise is null || Pairwise.Count != n || Pairwise.Any(r => r is null || r.Count != n))
                {
                    return [$"combination.pairwise must be a {n}×{n} matrix (one row and column per factor, in the factors' order)."];
                }

                if (Pairwise.SelectMany(r => r).Any(v => !(v > 0) || !double.IsFinite(v)))
                {
                    return ["combination.pairwise entries must be positive (Saaty's 1/9 … 9)."];
                }

                return [];
            case CombinationMethod.Weights:
                if (Weights is null || factors.Any(f => !Weights.ContainsKey(f.Id)) || Weights.Count != n)
                {
                    return [$"combination.weights needs exactly one weight per factor ({string.Join(", ", factors.Select(f => f.Id))})."];
                }

                if (Weights.Values.Any(w => w < 0 || !double.IsFinite(w)) || Weights.Values.Sum() <= 0)
                {
                    return ["combination.weights must be non-negative with a positive sum."];
                }

                return [];
            default:
                return [];
        }
    }
}

public enum ClassificationMethod
{
    NaturalBreaks,
    Quantile,
    EqualInterval,
    Fixed,
}

public sealed record Classification
{
    /// <summary>Number of grades (default 4: low, medium, high, very high).</summary>
    public int Grades { get; init; } = 4;

    public ClassificationMethod Method { get; init; } = ClassificationMethod.NaturalBreaks;

    /// <summary>For fixed breaks: Grades-1 ascending index values.</summary>
    public IReadOnlyList<double>? Breaks { get; init; }

    /// <summary>Size of the deterministic sample natural breaks and quantiles are computed on.</summary>
    public int SampleSize { get; init; } = 5_000;

    /// <summary>Minimum mapping unit in cells: smaller patches are merged into their largest neighbour (gdal_sieve rule).</summary>
    public int MinMappingUnitCells { get; init; } = 16;

    public bool EightConnected { get; init; }

    /// <summary>Topology-preserving simplification tolerance in cells (0 = none).</summary>
    public double SimplifyCells { get; init; } = 0.5;

    public IReadOnlyList<string> Validate()
    {
        var p = new List<string>();
        if (Grades is < 2 or > 10)
        {
            p.Add("classification.grades must be 2-10.");
        }

        if (Method == ClassificationMethod.Fixed && (Breaks is null || Breaks.Count != Grades - 1 || Breaks.Zip(Breaks.Skip(1)).Any(x => x.First >= x.Second)))
        {
            p.Add($"classification.breaks must hold {Grades - 1} ascending values for fixed breaks.");
        }

        if (SampleSize is < 100 or > 1_000_000)
        {
            p.Add("classification.sampleSize must be 100-1000000.");
        }

        if (MinMappingUnitCells is < 0 or > 1_000_000 || SimplifyCells is < 0 or > 100)
        {
            p.Add("classification.minMappingUnitCells must be 0-1000000 and simplifyCells 0-100.");
        }

        return p;
    }
}

public sealed record ModelValidation
{
    /// <summary>Share of hazard points held out of fitting and used for ROC-AUC (chosen by a hash of the point id).</summary>
    public double HoldOutFraction { get; init; } = 0.3;
}

/// <summary>
/// Prevention zoning (重点/次重点/一般防治区) from each zone's grade and exposure (people threatened by the
/// hazard points inside it). A zone is key when its grade ≥ KeyGrade, or its grade ≥ KeyGrade-1 and it
/// threatens at least ExposedPeople people; secondary likewise one grade lower; general otherwise.
/// </summary>
public sealed record PreventionRules
{
    public int KeyGrade { get; init; } = 4;

    public int ExposedPeople { get; init; } = 10;
}
