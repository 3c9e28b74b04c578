using GeoRisk.Core.Layers;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Gdal;
using GeoRisk.Gdal.Ingestion;
using GeoRisk.Raster;
using GeoRisk.Raster.Rasterize;
using NetTopologySuite.Geometries;

namespace GeoRisk.Services;

/// <summary>Reads a zoning run's rasters at a site: grade, index, each factor's class and contribution, and a parcel's area per grade.</summary>
internal static class SiteZoningReader
{
    /// <summary>The product whose factors a site answer explains: susceptibility (docs/DOMAIN.md §1).</summary>
    internal const ZoningProduct Product = ZoningProduct.Susceptibility;

    /// <summary>The products the run has: all three since schema 3, susceptibility alone before.</summary>
    internal static IEnumerable<ProductRecord> ProductsOf(ZoningRunRecord record) =>
        record.Products.Count > 0 ? record.Products : [record.Product(ZoningProduct.Susceptibility)!];

    public static ZoningAnswer? Read(ZoningRunInfo run, ZoningRunRecord record, Geometry site, Point point, List<string> caveats)
    {
        var grid = new GridSpec(record.Grid.Width, record.Grid.Height, GeoTransform.FromGdal(record.Grid.GeoTransform.ToArray()), "");
        using var lease = GridProjectionPool.Rent(record.Grid.Crs);
        var toGrid = lease.ToGrid;
        var pt = (Point)GeometryReprojector.Transform(point, toGrid);
        var (c, r) = grid.Transform.ToPixel(pt.X, pt.Y);
        int col = (int)Math.Floor(c), row = (int)Math.Floor(r);
        if (col < 0 || row < 0 || col >= grid.Width || row >= grid.Height)
        {
            caveats.Add($"The site lies outside zoning run {run.Id}'s grid.");
            return null;
        }

        // The run's COGs stay open between queries (GDAL keeps their decoded tiles): opening them per query
        // decompressed whole tiles for every cell read, half of a query's CPU.
        var rasters = RasterDatasetPool.Shared;
        var grade = rasters.ReadCell<byte>(run.Rasters["grade"], col, row);
        var index = rasters.ReadCell<float>(run.Rasters["index"], col, row);
        if (grade == 0)
        {
            caveats.Add($"The site lies outside zoning run {run.Id}'s extent.");
            return null;
        }

        var method = record.Model.GetProperty("combination").GetProperty("method").GetString() ?? "";
        // Roles from the model as run (runs before schema 3 had none: every factor counted as susceptibility).
        var roles = record.Model.GetProperty("factors").EnumerateArray()
            .ToDictionary(
                f => f.GetProperty("id").GetString()!,
                f => f.TryGetProperty("role", out var r) ? r.GetString() ?? "susceptibility" : "susceptibility",
                StringComparer.Ordinal);
        var trigger = record.Products.Count > 0 ? "trigger" : null;
        var susceptibleWeight = record.Factors.Where(f => roles.GetValueOrDefault(f.Id) != trigger).Sum(f => f.Weight ?? 1);
        var share = record.Factors.All(f => f.Weight is not null) && susceptibleWeight > 0 ? susceptibleWeight : 1;
        var factors = new List<FactorContribution>();
        foreach (var f in record.Factors)
        {
            var cls = rasters.ReadCell<byte>(run.Rasters["factor-" + f.Id], col, row);
            var score = cls < f.ClassScores.Count ? f.ClassScores[cls] : double.NaN;
            var role = roles.GetValueOrDefault(f.Id, "susceptibility");
            var toHazard = score * (f.Weight ?? 1);
            factors.Add(new FactorContribution(f.Id, f.Title, f.TitleZh, cls, cls < f.ClassLabels.Count ? f.ClassLabels[cls] : "", score, f.Weight,
                role == trigger ? 0 : Math.Round(toHazard / share, 6), role, Math.Round(toHazard, 6)));
        }

        var grades = record.Grades.Count;
        var products = new List<ProductAnswer>();
        foreach (var p in ProductsOf(record))
        {
            var productGrade = p.Product == Product ? grade : rasters.ReadCell<byte>(run.Rasters[ZoningRunRecord.GradeRaster(p.Product)], col, row);
            var productIndex = p.Product == Product ? index : rasters.ReadCell<float>(run.Rasters[ZoningRunRecord.IndexRaster(p.Product)], col, row);
            var (areas, worst) = site is Point ? (null, null) : AreaPerGrade(run, record, grid, site, productGrade, p.Product, toGrid, caveats);
            var (term, termZhOf) = Grades.CensusTerm(productGrade, grades, p.Product);
            products.Add(new ProductAnswer(ZoningRunRecord.ProductToken(p.Product), p.Title, p.TitleZh, productGrade, Grades.English(productGrade, grades), Grades.Chinese(productGrade, grades),
                term, termZhOf, Grades.Colour(productGrade, grades), Math.Round(productIndex, 6), p.Breaks, areas, worst));
        }

        var first = products[0];
        var exposedValue = run.Rasters.TryGetValue("exposed-value", out var evPath) ? (double?)Math.Round(rasters.ReadCell<float>(evPath, col, row), 4) : null;
        return new ZoningAnswer(run.Id, run.ModelName, run.ModelHash, run.CreatedAt, first.Title, first.TitleZh, method, grade, first.Label, first.LabelZh,
            first.Term, first.TermZh, first.Colour, Math.Round(index, 6), record.Breaks, factors, null, first.AreaPerGrade, first.WorstGrade)
        {
            Products = products,
            ExposedValue = exposedValue,
        };
    }

    /// <summary>
    /// The exposure inside a parcel per grade, by the exposure census's rules with the parcel as the only unit: buildings whose
    /// representative point is inside; each census unit's people in proportion to the share of its area inside, spread over
    /// the cells of that share.
    /// </summary>
    /// <returns>Per product of the run; null when no exposure layer is loaded or the parcel is off the grid.</returns>
    public static async Task<IReadOnlyDictionary<ZoningProduct, IReadOnlyList<GradeExposure>>?> ParcelExposureAsync(
        IGeoRiskStore store,
        IReadOnlyList<LayerInfo> layers,
        ZoningRunInfo run, ZoningRunRecord record, Geometry parcel, CancellationToken ct)
    {
        if (!layers.Any(l => l.Kind.IsExposure()))
        {
            return null;
        }

        var grid = new GridSpec(record.Grid.Width, record.Grid.Height, GeoTransform.FromGdal(record.Grid.GeoTransform.ToArray()), "");
        using var lease = GridProjectionPool.Rent(record.Grid.Crs);
        var toGrid = lease.ToGrid;
        var area = GeometryReprojector.Transform(parcel, toGrid);
        var window = Zoning.CellWindow.Of(area.EnvelopeInternal, grid);
        if (window.IsEmpty)
        {
            return null;
        }

        var inputs = await ExposureStep.LoadAsync(store, layers, toGrid, ct, parcel.EnvelopeInternal);
        var prepared = NetTopologySuite.Geometries.Prepared.PreparedGeometryFactory.Prepare(area);
        var clipped = new Zoning.ExposureInputs(
            inputs.Buildings.Where(b => prepared.Covers(b.Geometry as Point ?? b.Geometry.InteriorPoint)).ToList(),
            inputs.Population.Where(u => prepared.Intersects(u.Area)).Select(u =>
            {
                var piece = u.Area.Intersection(area);
                var share = u.Area.Area > 0 ? piece.Area / u.Area.Area : 0;
                return new Zoning.PopulationUnitInput(piece, u.Population * share, u.Day * share, u.Night * share);
            }).Where(u => u.Population > 0).ToList(),
            [],
            []);
        var windowGrid = new GridSpec(window.Width, window.Height, window.TransformIn(grid), "");
        var result = new Dictionary<ZoningProduct, IReadOnlyList<GradeExposure>>();
        foreach (var product in ProductsOf(record))
        {
            var grades = new RasterBuffer<byte>(window.Width, window.Height,
                RasterDatasetPool.Shared.ReadWindow<byte>(
                    run.Rasters[ZoningRunRecord.GradeRaster(product.Product)], window.X, window.Y, window.Width, window.Height).ToArray());
            var rows = Zoning.ExposureCensus.Compute(
                windowGrid, grades, record.Grades.Count, [new Zoning.AdminUnitInput("parcel", "parcel", null, area)], clipped, product.Product);
            result[product.Product] = rows.Where(r => r.AdminCode == "parcel" || r.Buildings > 0 || r.People > 0)
                .GroupBy(r => r.Grade).OrderBy(g => g.Key)
                .Select(g => new GradeExposure(g.Key, g.First().GradeTerm, g.First().GradeTermZh, g.Sum(r => r.Buildings), Math.Round(g.Sum(r => r.FloorAreaM2), 1),
                    g.Sum(r => r.BuildingOccupantsNight), Math.Round(g.Sum(r => r.People), 2)))
                .ToList();
        }

        return result;
    }

    private static (List<GradeArea>?, int?) AreaPerGrade(
        ZoningRunInfo run,
        ZoningRunRecord record,
        GridSpec grid,
        Geometry site,
        int grade,
        ZoningProduct product,
        CoordinateTransformation toGrid, List<string> caveats)
    {
        var grades = record.Grades.Count;
        var polygon = GeometryReprojector.Transform(site, toGrid);
        var window = Zoning.CellWindow.Of(polygon.EnvelopeInternal, grid);
        if (window.IsEmpty)
        {
            return (null, null);
        }

        var mask = new RasterBuffer<float>(window.Width, window.Height);
        new Rasterizer(mask, window.TransformIn(grid), allTouched: false).Burn(polygon, 1);
        var cells = RasterDatasetPool.Shared.ReadWindow<byte>(
            run.Rasters[ZoningRunRecord.GradeRaster(product)], window.X, window.Y, window.Width, window.Height);
        var counts = new long[grades + 1];
        for (var i = 0; i < cells.Length; i++)
        {
            if (mask.Data[i] != 0 && cells[i] is > 0 and var g && g <= grades)
            {
                counts[g]++;
            }
        }

        var total = counts.Sum();
        if (total == 0)
        {
            // A parcel smaller than a cell covers no cell centre: it takes the grade of the cell under its interior point.
            counts[grade]++;
            total = 1;
            if (product == Product)
            {
                caveats.Add($"The parcel is smaller than a {record.Grid.CellSize} m cell; its grade is that of the cell under it.");
            }
        }

        var cellArea = Math.Abs(grid.Transform.PixelWidth * grid.Transform.PixelHeight);
        var areas = Enumerable.Range(1, grades).Select(g =>
        {
            var (en, zh) = Grades.CensusTerm(g, grades, product);
            return new GradeArea(g, Grades.English(g, grades), en, zh, Math.Round(counts[g] * cellArea, 1), Math.Round(counts[g] / (double)total, 6));
        }).ToList();
        return (areas, Enumerable.Range(1, grades).Where(g => counts[g] > 0).Max());
    }
}
