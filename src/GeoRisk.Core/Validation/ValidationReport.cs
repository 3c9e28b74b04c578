using System.Text.Json.Serialization;

namespace GeoRisk.Core.Validation;

[JsonConverter(typeof(JsonStringEnumConverter<Severity>))]
public enum Severity
{
    Info,
    Warning,
    Error,
}

/// <summary>One finding about an upload; <see cref="FeatureId"/> is the feature's id in the source file.</summary>
public sealed record ValidationFinding(Severity Severity, string Code, string Message, long? FeatureId = null, double? Lon = null, double? Lat = null);

/// <summary>What validation found in an upload. Errors reject it; warnings are kept with the stored version.</summary>
public sealed class ValidationReport
{
    /// <summary>Findings beyond this many are counted but not listed, so a broken file cannot bloat the report.</summary>
    public const int MaxListedFindings = 1000;

    private readonly List<ValidationFinding> _findings = [];

    public IReadOnlyList<ValidationFinding> Findings => _findings;

    public int ErrorCount { get; private set; }

    public int WarningCount { get; private set; }

    public int UnlistedFindings { get; private set; }

    public long FeaturesRead { get; set; }

    public long FeaturesAccepted { get; set; }

    public string? SourceCrs { get; set; }

    public bool HasErrors => ErrorCount > 0;

    public void Add(ValidationFinding finding)
    {
        if (finding.Severity == Severity.Error)
        {
            ErrorCount++;
        }
        else if (finding.Severity == Severity.Warning)
        {
            WarningCount++;
        }

        if (_findings.Count < MaxListedFindings)
        {
            _findings.Add(finding);
        }
        else
        {
            UnlistedFindings++;
        }
    }

    public void Error(string code, string message, long? fid = null, double? lon = null, double? lat = null) =>
        Add(new(Severity.Error, code, message, fid, lon, lat));

    public void Warning(string code, string message, long? fid = null, double? lon = null, double? lat = null) =>
        Add(new(Severity.Warning, code, message, fid, lon, lat));

    public void Info(string code, string message) => Add(new(Severity.Info, code, message));
}
