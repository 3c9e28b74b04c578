using GeoRisk.Core.Risk;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Union;

namespace GeoRisk.Zoning;

/// <summary>
/// One flood scenario's extent (every polygon of a return period in one layer), in grid coordinates, with each polygon's
/// water depth in metres where the layer gives one (null entries otherwise; the list may be empty when no depth is known).
/// </summary>
public sealed record FloodScenarioInput(string Layer, int ReturnPeriodYr, IReadOnlyList<Geometry> Polygons, IReadOnlyList<double?>? DepthsM = null);

/// <summary>What one flood scenario reaches: "100-year flood: N people, M buildings, K km of road".</summary>
public sealed record FloodScenarioRow(string Layer, int ReturnPeriodYr, double AreaKm2, double People, double PeopleDay, double PeopleNight, long Buildings,
    double FloorAreaM2, long BuildingOccupantsNight, IReadOnlyDictionary<string, long> BuildingsByStructure, IReadOnlyDictionary<string, double> RoadKmByClass,
    IReadOnlyDictionary<string, long> FacilitiesByType)
{
    /// <summary>
    /// Expected damaged floor area: Σ floor area × the flood damage ratio of the building's structure class at the depth of the
    /// polygon it stands in (docs/MODEL.md "vulnerability"); buildings where the depth is unknown are counted apart.
    /// </summary>
    public double ExpectedDamagedFloorAreaM2 { get; init; }

    /// <summary>Buildings inside the scenario where the layer gives no depth (no damage estimate for them).</summary>
    public long BuildingsDepthUnknown { get; init; }

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
    public static IReadOnlyList<FloodScenarioRow> Compute(
        IReadOnlyList<FloodScenarioInput> scenarios, ExposureInputs exposure, VulnerabilityModel? vulnerability = null)
    {
        var rows = new List<FloodScenarioRow>();
        foreach (var s in scenarios.OrderBy(s => s.Layer, StringComparer.Ordinal).ThenBy(s => s.ReturnPeriodYr))
        {
            var extent = UnaryUnionOp.Union(s.Polygons);
            var prepared = PreparedGeometryFactory.Prepare(extent);
            var byStructure = new SortedDictionary<string, long>(StringComparer.Ordinal);
            long buildings = 0, occupants = 0, depthUnknown = 0;
            double floor = 0, damaged = 0;
            var parts = s.Polygons.Select(
                (g, i) => (Prepared: PreparedGeometryFactory.Prepare(g), Depth: s.DepthsM is { } d && i < d.Count ? d[i] : null)).ToList();
            vulnerability ??= new VulnerabilityModel();
            foreach (var b in exposure.Buildings)
            {
                var at = b.Geometry as Point ?? b.Geometry.InteriorPoint;
                if (prepared.Covers(at))
                {
                    buildings++;
                    floor += b.FloorAreaM2;
                    occupants += b.OccupantsNight;
                    byStructure[b.Structure] = byStructure.GetValueOrDefault(b.Structure) + 1;
                    // The deepest polygon of the scenario under the building decides its damage.
                    var depth = parts.Where(
                        p => p.Depth is not null && p.Prepared.Geometry.EnvelopeInternal.Covers(at.Coordinate) && p.Prepared.Covers(at)).Max(p => p.Depth);
                    if (vulnerability.FloodOf(StructureType.Classify(b.Structure), FloodDepth.IndexOf(depth)) is { } ratio)
                    {
                        damaged += b.FloorAreaM2 * ratio;
                    }
                    else
                    {
                        depthUnknown++;
                    }
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
                buildings, Math.Round(floor, 2), occupants, byStructure, roads.ToDictionary(k => k.Key, k => Math.Round(k.Value, 4)), facilities)
            {
                ExpectedDamagedFloorAreaM2 = Math.Round(damaged, 2),
                BuildingsDepthUnknown = depthUnknown,
            });
        }

        return rows;
    }
}
