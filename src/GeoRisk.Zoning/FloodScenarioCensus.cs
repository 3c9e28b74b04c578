using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Union;

namespace GeoRisk.Zoning;

/// <summary>One flood scenario's extent (every polygon of a return period in one layer), in grid coordinates.</summary>
public sealed record FloodScenarioInput(string Layer, int ReturnPeriodYr, IReadOnlyList<Geometry> Polygons);

/// <summary>What one flood scenario reaches: "100-year flood: N people, M buildings, K km of road".</summary>
public sealed record FloodScenarioRow(string Layer, int ReturnPeriodYr, double AreaKm2, double People, double PeopleDay, double PeopleNight, long Buildings,
    double FloorAreaM2, long BuildingOccupantsNight, IReadOnlyDictionary<string, long> BuildingsByStructure, IReadOnlyDictionary<string, double> RoadKmByClass,
    IReadOnlyDictionary<string, long> FacilitiesByType)
{
    /// <summary>The sentence a planner reads, in Chinese and English.</summary>
    public string Summary => $"{ReturnPeriodYr}-year flood: {People:N0} people, {Buildings:N0} buildings, {RoadKmByClass.Values.Sum():N1} km of road, " +
        $"{FacilitiesByType.Values.Sum():N0} key facilities";
}

/// <summary>
/// Exposure inside each flood scenario's extent, from the vector geometry itself (not the grid), in the spirit of InaSAFE's
/// impact tables: a building or facility counts when its representative point is inside; a census unit's people in
/// proportion to the share of its area inside (people assumed evenly spread over the unit); roads by the length inside.
/// </summary>
public static class FloodScenarioCensus
{
    public static IReadOnlyList<FloodScenarioRow> Compute(IReadOnlyList<FloodScenarioInput> scenarios, ExposureInputs exposure)
    {
        var rows = new List<FloodScenarioRow>();
        foreach (var s in scenarios.OrderBy(s => s.Layer, StringComparer.Ordinal).ThenBy(s => s.ReturnPeriodYr))
        {
            var extent = UnaryUnionOp.Union(s.Polygons);
            var prepared = PreparedGeometryFactory.Prepare(extent);
            var byStructure = new SortedDictionary<string, long>(StringComparer.Ordinal);
            long buildings = 0, occupants = 0;
            double floor = 0;
            foreach (var b in exposure.Buildings)
            {
                if (prepared.Covers(b.Geometry as Point ?? b.Geometry.InteriorPoint))
                {
                    buildings++;
                    floor += b.FloorAreaM2;
                    occupants += b.OccupantsNight;
                    byStructure[b.Structure] = byStructure.GetValueOrDefault(b.Structure) + 1;
                }
            }

            double people = 0, day = 0, night = 0;
            foreach (var u in exposure.Population)
            {
                var share = prepared.Covers(u.Area) ? 1 : !prepared.Intersects(u.Area) ? 0 : u.Area.Intersection(extent).Area / u.Area.Area;
                people += u.Population * share;
                day += u.Day * share;
                night += u.Night * share;
            }

            var roads = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (var r in exposure.Roads.Where(r => prepared.Intersects(r.Line)))
            {
                roads[r.Class] = roads.GetValueOrDefault(r.Class) + (r.Line.Intersection(extent).Length / 1000);
            }

            var facilities = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var f in exposure.Facilities.Where(f => prepared.Covers(f.Geometry as Point ?? f.Geometry.InteriorPoint)))
            {
                facilities[f.Type] = facilities.GetValueOrDefault(f.Type) + 1;
            }

            rows.Add(new FloodScenarioRow(s.Layer, s.ReturnPeriodYr, Math.Round(extent.Area / 1e6, 4), Math.Round(people, 3), Math.Round(day, 3), Math.Round(night, 3),
                buildings, Math.Round(floor, 2), occupants, byStructure, roads.ToDictionary(k => k.Key, k => Math.Round(k.Value, 4)), facilities));
        }

        return rows;
    }
}
