using System.Globalization;
using GeoRisk.Core.Layers;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Validation;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Raster;
using GeoRisk.Zoning;

namespace GeoRisk.Services;

/// <summary>
/// The zoning run's exposure step (docs/DOMAIN.md §11): reads the exposure layers and the flood scenarios onto the grid's CRS
/// and tallies what is exposed per admin unit and grade, and inside each flood scenario.
/// </summary>
internal static class ExposureStep
{
    /// <param name="bbox">Only features meeting this lon/lat box (null: all).</param>
    public static async Task<ExposureInputs> LoadAsync(
        IGeoRiskStore store,
        IEnumerable<LayerInfo> layers,
        CoordinateTransformation toGrid,
        CancellationToken ct,
        NetTopologySuite.Geometries.Envelope? bbox = null)
    {
        var buildings = new List<BuildingInput>();
        var population = new List<PopulationUnitInput>();
        var roads = new List<RoadInput>();
        var facilities = new List<FacilityInput>();
        foreach (var l in layers.Where(l => l.Kind.IsExposure()).OrderBy(l => l.Id, StringComparer.Ordinal))
        {
            foreach (var f in await store.QueryFeaturesAsync(l.SurveyId, l.Name, bbox, int.MaxValue, 0, ct))
            {
                var g = GeometryReprojector.Transform(f.Geometry, toGrid);
                switch (l.Kind)
                {
                    case LayerKind.Buildings:
                        var floors = Number(f, "floors") ?? 1;
                        var floorArea = Number(f, "floor_area_m2") ?? (g.Area > 0 ? g.Area * floors : 0);
                        buildings.Add(
                            new BuildingInput(
                                g,
                                Text(f, "structure") ?? "unknown",
                                floorArea,
                                (long)(Number(f, "occupants_day") ?? 0),
                                (long)(Number(f, "occupants_night") ?? 0)));
                        break;
                    case LayerKind.Population:
                        var total = Number(f, "population") ?? 0;
                        population.Add(new PopulationUnitInput(g, total, Number(f, "population_day") ?? total, Number(f, "population_night") ?? total));
                        break;
                    case LayerKind.Roads:
                        roads.Add(new RoadInput(g, Text(f, "road_class") ?? "unclassified"));
                        break;
                    case LayerKind.Facilities:
                        facilities.Add(new FacilityInput(g, Text(f, "facility_type") ?? "unknown", (long)(Number(f, "capacity") ?? 0)));
                        break;
                }
            }
        }

        return new ExposureInputs(buildings, population, roads, facilities);
    }

    /// <summary>Every return period of every flood layer, as that scenario's polygons on the grid's CRS.</summary>
    public static async Task<IReadOnlyList<FloodScenarioInput>> FloodScenariosAsync(
        IGeoRiskStore store, IEnumerable<LayerInfo> layers, CoordinateTransformation toGrid, CancellationToken ct)
    {
        var scenarios = new List<FloodScenarioInput>();
        foreach (var l in layers.Where(l => l.Kind == LayerKind.FloodZones))
        {
            var features = await store.QueryFeaturesAsync(l.SurveyId, l.Name, null, int.MaxValue, 0, ct);
            foreach (var group in features.GroupBy(f => (int)(Number(f, "return_period_yr") ?? 0)).Where(g => g.Key > 0))
            {
                scenarios.Add(new FloodScenarioInput(l.Id, group.Key, group.Select(f => GeometryReprojector.Transform(f.Geometry, toGrid)).ToList(),
                    group.Select(f => Number(f, "depth_m")).ToList()));
            }
        }

        return scenarios;
    }

    /// <summary>The exposure census on a product's grades: the whole grid, or the streamed run's grade blocks (docs/SCALE.md).</summary>
    public static IReadOnlyList<ExposureRow> Tally(
        GridSpec grid, ProductResult product, int grades, IReadOnlyList<AdminUnitInput> units, ExposureInputs exposure, RasterOptions options) =>
        exposure.IsEmpty ? []
        : product.GradeBlocks is { } blocks &&
            !product.HasGrade ? ExposureCensus.Compute(grid, blocks, options.BlockSize, grades, units, exposure, product.Product, options)
        : ExposureCensus.Compute(grid, product.Grade, grades, units, exposure, product.Product);

    private static string? Text(GeoFeature f, string name) =>
        f.Attributes.GetValueOrDefault(name) is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;

    private static double? Number(GeoFeature f, string name) =>
        f.Attributes.GetValueOrDefault(name) is { } v ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : null;
}
