using GeoRisk.Core.Crs;
using GeoRisk.Core.Validation;
using NetTopologySuite.Geometries;

namespace GeoRisk.Core.Tests;

public class CrsTests
{
    [Theory]
    [InlineData(79.9, 4536, 4515)] // zone 27, CM 81E
    [InlineData(82.49, 4536, 4515)]
    [InlineData(82.51, 4537, 4516)] // zone 28, CM 84E
    [InlineData(83.8, 4537, 4516)]
    public void ThreeDegreeEpsg_BortalaStraddles825(double lon, int plain, int prefixed)
    {
        Assert.Equal(plain, CgcsZones.ThreeDegreeEpsg(lon));
        Assert.Equal(prefixed, CgcsZones.ThreeDegreeEpsg(lon, withZonePrefix: true));
    }

    [Fact]
    public void SixDegreeEpsg_Zone14()
    {
        Assert.Equal(4503, CgcsZones.SixDegreeEpsg(81.5));
        Assert.Equal(4492, CgcsZones.SixDegreeEpsg(81.5, withZonePrefix: true));
    }

    private static readonly CrsFacts Geographic = new("CGCS2000", true, false, 4490);
    private static readonly CrsFacts GkZone27Prefixed = new("CGCS2000 / 3-degree Gauss-Kruger zone 27", false, true, 4515, 81, 27_500_000);
    private static readonly CrsFacts GkCm81 = new("CGCS2000 / 3-degree Gauss-Kruger CM 81E", false, true, 4536, 81, 500_000);

    private static string? FirstError(Envelope raw, CrsFacts crs)
    {
        var report = new ValidationReport();
        CrsDiagnostics.CheckSource(raw, crs, report);
        return report.Findings.FirstOrDefault(f => f.Severity == Severity.Error)?.Code;
    }

    [Fact]
    public void CheckSource_PlausibleData_NoError()
    {
        Assert.Null(FirstError(new Envelope(81.9, 82.3, 44.8, 45.0), Geographic));
        Assert.Null(FirstError(new Envelope(27_575_000, 27_599_000, 4_965_000, 4_988_000), GkZone27Prefixed));
        Assert.Null(FirstError(new Envelope(575_000, 599_000, 4_965_000, 4_988_000), GkCm81));
    }

    [Fact]
    public void CheckSource_LatLonSwapped() => Assert.Equal("crs-axis-swapped", FirstError(new Envelope(44.8, 45.0, 81.9, 82.3), Geographic));

    [Fact]
    public void CheckSource_MetresDeclaredAsDegrees() => Assert.Equal("crs-metres-declared-as-degrees", FirstError(new Envelope(575_000, 599_000, 4_965_000, 4_988_000), Geographic));

    [Fact]
    public void CheckSource_DegreesDeclaredAsMetres() => Assert.Equal("crs-degrees-declared-as-metres", FirstError(new Envelope(81.9, 82.3, 44.8, 45.0), GkCm81));

    [Fact]
    public void CheckSource_ZonePrefixMissing() => Assert.Equal("crs-zone-prefix-missing", FirstError(new Envelope(575_000, 599_000, 4_965_000, 4_988_000), GkZone27Prefixed));

    [Fact]
    public void CheckSource_ZonePrefixUnexpected() => Assert.Equal("crs-zone-prefix-unexpected", FirstError(new Envelope(27_575_000, 27_599_000, 4_965_000, 4_988_000), GkCm81));

    [Fact]
    public void CheckSource_WrongZone() => Assert.Equal("crs-wrong-zone", FirstError(new Envelope(28_375_000, 28_399_000, 4_965_000, 4_988_000), GkZone27Prefixed));
}
