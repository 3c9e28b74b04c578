namespace GeoRisk.Gdal;

/// <summary>A failure reported by GDAL/OGR/OSR, carrying GDAL's own error class, number and message.</summary>
public sealed class GdalException : Exception
{
    public GdalException(string message) : base(message) { }

    public GdalException(string message, Exception inner) : base(message, inner) { }

    public GdalException(string context, int errorClass, int errorNumber, string gdalMessage)
        : base(string.IsNullOrWhiteSpace(gdalMessage) ? context : $"{context}: {gdalMessage}")
    {
        ErrorClass = errorClass;
        ErrorNumber = errorNumber;
        GdalMessage = gdalMessage;
    }

    public GdalException() { }

    /// <summary>CPLErr of the failure (3 = CE_Failure, 4 = CE_Fatal), or 0 when GDAL recorded none.</summary>
    public int ErrorClass { get; }

    /// <summary>CPLErrorNum (e.g. 4 = CPLE_OpenFailed).</summary>
    public int ErrorNumber { get; }

    /// <summary>GDAL's last error message, verbatim.</summary>
    public string GdalMessage { get; } = "";
}
