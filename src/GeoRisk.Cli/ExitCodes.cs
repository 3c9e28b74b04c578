namespace GeoRisk.Cli;

/// <summary>Exit codes scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    /// <summary>The upload was rejected by validation; nothing was stored.</summary>
    public const int Rejected = 3;
    public const int NotFound = 4;
}
