using System.Globalization;
using System.Text;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Gdal;
using GeoRisk.Raster;

namespace GeoRisk.Services;

/// <summary>Exports of a stored zoning run: zoning polygons as GeoPackage/GeoJSON, the census as CSV.</summary>
public static class ZoningExport
{
    /// <summary>
    /// The classes of a product's grade raster: value 1..N in the legend colours, named with the census term
    /// ("4 极高易发区 very high susceptibility area"), so GDAL and QGIS show the grades without a style.
    /// </summary>
    public static RasterCategories GradeCategories(int grades, ZoningProduct product = ZoningProduct.Susceptibility) =>
        RasterCategories.FromHex(Enumerable.Range(1, grades).Select(g =>
        {
            var (en, zh) = Grades.CensusTerm(g, grades, product);
            return (g, Grades.Colour(g, grades), string.Create(CultureInfo.InvariantCulture, $"{g} {zh} {en}"));
        }));

    /// <summary>
    /// Writes a product's grade raster as a COG with its colour table and category names (the names in the
    /// <c>.aux.xml</c> sidecar beside it), whether or not the stored raster has them.
    /// </summary>
    public static void WriteGradeCog(ZoningMapProduct product, string path)
    {
        RasterBuffer<byte> cells;
        GridSpec grid;
        using (var ds = RasterDataset.Open(product.GradeRaster))
        {
            grid = new GridSpec(ds.Width, ds.Height, GeoTransform.FromGdal(ds.GeoTransform), ds.ProjectionWkt);
            cells = new RasterBuffer<byte>(ds.Width, ds.Height);
            ds.Read<byte>(1, 0, 0, ds.Width, ds.Height, cells.Data);
        }

        CogWriter.Write(path, grid, cells, 0, categorical: true, GradeCategories(product.GradeCount, product.Product));
    }

    /// <summary>Writes one product's zones of the run (EPSG:4490) with GDAL's GPKG or GeoJSON driver.</summary>
    public static async Task<int> WriteZonesAsync(IGeoRiskStore store, int runId, string path, string driver, CancellationToken cancellationToken = default,
        ZoningProduct product = ZoningProduct.Susceptibility)
    {
        var zones = await store.QueryZonesAsync(runId, null, int.MaxValue, 0, cancellationToken, product);
        using var crs = SpatialReference.FromEpsg(4490);
        using var ds = VectorDataset.Create(driver, path);
        var fields = ZoneSchema.Fields.Select(f => new VectorField(f.Name, f.Kind switch
        {
            FieldKind.Integer => VectorFieldType.Integer64,
            FieldKind.Real => VectorFieldType.Real,
            _ => VectorFieldType.String,
        })).ToList();
        var writer = ds.CreateLayer(
            product == ZoningProduct.Susceptibility ? "zoning" : "zoning_" + ZoningRunRecord.ProductToken(product), crs, VectorGeometryType.Polygon, fields);
        writer.BeginTransaction();
        foreach (var z in zones)
        {
            writer.Add(z.Geometry, ZoneSchema.Fields.Select(f => z.Attributes.GetValueOrDefault(f.Name)).ToList());
        }

        writer.CommitTransaction();
        return zones.Count;
    }

    /// <summary>
    /// A product's census table as RFC 4180 CSV (UTF-8, invariant numbers, one row per admin unit and grade) with the product's
    /// name and each grade's census term (高易发区, 中风险区 …).
    /// </summary>
    public static string CensusCsv(ProductRecord product, bool township = false)
    {
        var sb = new StringBuilder(
            "product,product_zh,admin_code,admin_name,admin_name_en,grade,grade_label,grade_term,grade_term_zh,"
            + "area_km2,share,hazard_points,threatened_people\n");
        var grades = product.Grades.Count;
        foreach (var r in product.CensusAt(township))
        {
            var (term, termZh) = Grades.CensusTerm(r.Grade, grades, product.Product);
            sb.Append(string.Join(
                ',',
                Csv(product.Title),
                Csv(product.TitleZh),
                Csv(r.AdminCode),
                Csv(r.AdminName),
                Csv(r.AdminNameEn ?? ""),
                r.Grade.ToString(CultureInfo.InvariantCulture),
                Csv(r.GradeLabel),
                Csv(term),
                Csv(termZh),
                r.AreaKm2.ToString("R", CultureInfo.InvariantCulture), r.Share.ToString("R", CultureInfo.InvariantCulture),
                r.HazardPoints.ToString(CultureInfo.InvariantCulture), r.ThreatenedPeople.ToString(CultureInfo.InvariantCulture))).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// The exposure census as CSV: one row per admin unit and grade, one column per structure type, road class and facility
    /// type found in the run (so a spreadsheet sums them directly).
    /// </summary>
    public static string ExposureCsv(ProductRecord product, bool township = false)
    {
        var rows = product.ExposureAt(township);
        var structures = rows.SelectMany(r => r.BuildingsByStructure.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var roads = rows.SelectMany(r => r.RoadKmByClass.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var facilities = rows.SelectMany(r => r.FacilitiesByType.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder(
            "admin_code,admin_name,grade,grade_term,grade_term_zh,people,people_day,people_night,buildings,floor_area_m2,"
            + "building_occupants_day,building_occupants_night");
        foreach (var c in structures.Select(x => "buildings_" + x).Concat(roads.Select(x => "road_km_" + x)).Concat(facilities.Select(x => "facilities_" + x)))
        {
            sb.Append(',').Append(Csv(c));
        }

        sb.Append('\n');
        foreach (var r in rows)
        {
            sb.Append(string.Join(
                ',',
                Csv(r.AdminCode),
                Csv(r.AdminName),
                N(r.Grade),
                Csv(r.GradeTerm),
                Csv(r.GradeTermZh),
                N(r.People),
                N(r.PeopleDay),
                N(r.PeopleNight),
                N(r.Buildings),
                N(r.FloorAreaM2),
                N(r.BuildingOccupantsDay),
                N(r.BuildingOccupantsNight)));
            foreach (var v in structures.Select(x => N(r.BuildingsByStructure.GetValueOrDefault(x)))
                .Concat(roads.Select(x => N(r.RoadKmByClass.GetValueOrDefault(x)))).Concat(facilities.Select(x => N(r.FacilitiesByType.GetValueOrDefault(x)))))
            {
                sb.Append(',').Append(v);
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The flood scenario table as CSV: one row per scenario with the planner's sentence.</summary>
    public static string FloodScenariosCsv(ZoningRunRecord record)
    {
        var sb = new StringBuilder(
            "layer,return_period_yr,area_km2,people,people_day,people_night,buildings,floor_area_m2,building_occupants_night,road_km,facilities,"
            + "expected_damaged_floor_area_m2,buildings_depth_unknown,summary\n");
        foreach (var r in record.FloodScenarios)
        {
            sb.Append(string.Join(
                ',',
                Csv(r.Layer),
                N(r.ReturnPeriodYr),
                N(r.AreaKm2),
                N(r.People),
                N(r.PeopleDay),
                N(r.PeopleNight),
                N(r.Buildings),
                N(r.FloorAreaM2),
                N(r.BuildingOccupantsNight),
                N(Math.Round(r.RoadKmByClass.Values.Sum(), 4)),
                N(r.FacilitiesByType.Values.Sum()),
                N(r.ExpectedDamagedFloorAreaM2),
                N(r.BuildingsDepthUnknown),
                Csv(r.Summary))).Append('\n');
        }

        return sb.ToString();
    }

    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
