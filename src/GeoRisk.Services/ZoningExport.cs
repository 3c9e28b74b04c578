using System.Globalization;
using System.Text;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Gdal;

namespace GeoRisk.Services;

/// <summary>Exports of a stored zoning run: zoning polygons as GeoPackage/GeoJSON, the census as CSV.</summary>
public static class ZoningExport
{
    /// <summary>Writes the run's zones (EPSG:4490) with GDAL's GPKG or GeoJSON driver.</summary>
    public static async Task<int> WriteZonesAsync(IGeoRiskStore store, int runId, string path, string driver, CancellationToken cancellationToken = default)
    {
        var zones = await store.QueryZonesAsync(runId, null, int.MaxValue, 0, cancellationToken);
        using var crs = SpatialReference.FromEpsg(4490);
        using var ds = VectorDataset.Create(driver, path);
        var fields = ZoneSchema.Fields.Select(f => new VectorField(f.Name, f.Kind switch
        {
            FieldKind.Integer => VectorFieldType.Integer64,
            FieldKind.Real => VectorFieldType.Real,
            _ => VectorFieldType.String,
        })).ToList();
        var writer = ds.CreateLayer("zoning", crs, VectorGeometryType.Polygon, fields);
        writer.BeginTransaction();
        foreach (var z in zones)
        {
            writer.Add(z.Geometry, ZoneSchema.Fields.Select(f => z.Attributes.GetValueOrDefault(f.Name)).ToList());
        }

        writer.CommitTransaction();
        return zones.Count;
    }

    /// <summary>The census table as RFC 4180 CSV (UTF-8, invariant numbers, one row per admin unit and grade).</summary>
    public static string CensusCsv(ZoningRunRecord record)
    {
        var sb = new StringBuilder("admin_code,admin_name,admin_name_en,grade,grade_label,area_km2,share,hazard_points,threatened_people\n");
        foreach (var r in record.Census)
        {
            sb.Append(string.Join(',', Csv(r.AdminCode), Csv(r.AdminName), Csv(r.AdminNameEn ?? ""), r.Grade.ToString(CultureInfo.InvariantCulture), Csv(r.GradeLabel),
                r.AreaKm2.ToString("R", CultureInfo.InvariantCulture), r.Share.ToString("R", CultureInfo.InvariantCulture),
                r.HazardPoints.ToString(CultureInfo.InvariantCulture), r.ThreatenedPeople.ToString(CultureInfo.InvariantCulture))).Append('\n');
        }

        return sb.ToString();
    }

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
