namespace GeoRisk.Core.Risk;

/// <summary>
/// The information-value method (信息量法, docs/DOMAIN.md §3): for class i of a factor,
/// I_i = ln((N_i/N)/(S_i/S)) with N_i hazard cells in the class, N all hazard cells, S_i cells in the class
/// and S all cells. Positive values favour hazards. Classes without hazards get no finite value; they are
/// reported as null so the caller chooses (commonly the factor's minimum).
/// </summary>
public static class InformationValue
{
    /// <param name="cellsPerClass">S_i for each class.</param>
    /// <param name="hazardCellsPerClass">N_i for each class (same order).</param>
    public static IReadOnlyList<double?> Compute(IReadOnlyList<long> cellsPerClass, IReadOnlyList<long> hazardCellsPerClass)
    {
        if (cellsPerClass.Count != hazardCellsPerClass.Count)
        {
            throw new ArgumentException("Both lists need one count per class.", nameof(hazardCellsPerClass));
        }

        double s = cellsPerClass.Sum();
        double n = hazardCellsPerClass.Sum();
        if (s <= 0 || n <= 0)
        {
            throw new ArgumentException("There must be cells and hazard cells to fit information values.", nameof(cellsPerClass));
        }

        return cellsPerClass.Select((si, i) =>
        {
            var ni = hazardCellsPerClass[i];
            if (ni > si)
            {
                throw new ArgumentException($"Class {i + 1} has {ni} hazard cells but only {si} cells.", nameof(hazardCellsPerClass));
            }

            return si == 0 || ni == 0 ? (double?)null : Math.Log(ni / n / (si / s));
        }).ToList();
    }
}
