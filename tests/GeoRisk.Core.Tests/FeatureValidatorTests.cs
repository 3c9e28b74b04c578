using GeoRisk.Core.Layers;
using GeoRisk.Core.Validation;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Core.Tests;

public class FeatureValidatorTests
{
    private static readonly WKTReader s_wkt = new();

    private static (FeatureValidator Validator, ValidationReport Report) Zones(Geometry? extent = null)
    {
        var schema = LayerSchema.For(LayerKind.HazardZones);
        var report = new ValidationReport();
        var mapping = FieldMapping.Detect(schema, ["YFXDJ", "DJMC"]);
        return (new FeatureValidator(schema, mapping, report, extent), report);
    }

    private static Dictionary<string, object?> Attrs(object? grade) => new() { ["YFXDJ"] = grade, ["DJMC"] = "高易发区" };

    [Fact]
    public void Validate_ValidPolygon_Accepted()
    {
        var (v, report) = Zones();
        var f = v.Validate(1, s_wkt.Read("POLYGON((82 44.9, 82.1 44.9, 82.1 45, 82 45, 82 44.9))"), Attrs(3L));

        Assert.NotNull(f);
        Assert.Equal(3L, f.Attributes["grade"]);
        Assert.Equal("高易发区", f.Attributes["grade_name"]);
        Assert.False(report.HasErrors);
        Assert.Equal(0, report.WarningCount);
    }

    [Fact]
    public void Validate_SelfIntersectingPolygon_RepairedWithWarning()
    {
        var (v, report) = Zones();
        var bowtie = s_wkt.Read("POLYGON((82 44.9, 82.1 45, 82.1 44.9, 82 45, 82 44.9))");
        var f = v.Validate(7, bowtie, Attrs(2L));

        Assert.NotNull(f);
        Assert.True(f.Geometry.IsValid);
        Assert.Equal(0.005, f.Geometry.Area, 9); // two triangles of 0.1 x 0.05 / 2 meeting at the crossing
        var w = Assert.Single(report.Findings);
        Assert.Equal(("repaired-geometry", Severity.Warning, 7L), (w.Code, w.Severity, w.FeatureId!.Value));
    }

    [Fact]
    public void Validate_NaNCoordinate_Error()
    {
        var (v, report) = Zones();
        var g = new GeometryFactory().CreatePolygon([new(82, 44.9), new(double.NaN, 44.9), new(82.1, 45), new(82, 44.9)]);
        Assert.Null(v.Validate(2, g, Attrs(1L)));
        Assert.Equal("non-finite-coordinate", report.Findings.Single().Code);
    }

    [Fact]
    public void Validate_GradeOutOfRange_Error()
    {
        var (v, report) = Zones();
        Assert.Null(v.Validate(3, s_wkt.Read("POLYGON((82 44.9, 82.1 44.9, 82.1 45, 82 44.9))"), Attrs(7L)));
        Assert.Equal("bad-attribute", report.Findings.Single().Code);
    }

    [Fact]
    public void Validate_PointInPolygonLayer_Error()
    {
        var (v, report) = Zones();
        Assert.Null(v.Validate(4, s_wkt.Read("POINT(82 44.9)"), Attrs(1L)));
        Assert.Equal("wrong-geometry-type", report.Findings.Single().Code);
    }

    [Fact]
    public void Validate_Duplicate_DroppedWithWarning()
    {
        var (v, report) = Zones();
        var g = s_wkt.Read("POLYGON((82 44.9, 82.1 44.9, 82.1 45, 82 44.9))");
        Assert.NotNull(v.Validate(1, g, Attrs(1L)));
        Assert.Null(v.Validate(2, g.Copy(), Attrs(1L)));
        Assert.Equal("duplicate-feature", report.Findings.Single().Code);
        Assert.Equal(1, report.FeaturesAccepted);
    }

    [Fact]
    public void Validate_OutsideDeclaredExtent_Warning()
    {
        var (v, report) = Zones(s_wkt.Read("POLYGON((80 44, 81 44, 81 45, 80 45, 80 44))"));
        Assert.NotNull(v.Validate(1, s_wkt.Read("POLYGON((82 44.9, 82.1 44.9, 82.1 45, 82 44.9))"), Attrs(1L)));
        Assert.Equal("outside-extent", report.Findings.Single().Code);
    }

    [Fact]
    public void Constructor_RequiredFieldMissing_Error()
    {
        var schema = LayerSchema.For(LayerKind.HazardZones);
        var report = new ValidationReport();
        _ = new FeatureValidator(schema, FieldMapping.Detect(schema, ["NAME"]), report);
        Assert.Equal("missing-field", report.Findings.Single().Code);
        Assert.Contains("yfxdj", report.Findings.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_VertexBudget_Error()
    {
        var schema = LayerSchema.For(LayerKind.HazardZones);
        var report = new ValidationReport();
        var v = new FeatureValidator(schema, FieldMapping.Detect(schema, ["YFXDJ"]), report, budgets: new IngestBudgets(MaxVerticesPerFeature: 4));
        Assert.Null(v.Validate(1, s_wkt.Read("POLYGON((82 44.9, 82.1 44.9, 82.1 45, 82 45, 82 44.9))"), Attrs(1L)));
        Assert.Equal("too-many-vertices", report.Findings.Single().Code);
    }
}
