using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using NetTopologySuite.Geometries;

namespace GeoRisk.Zoning;

/// <summary>
/// A source feature in grid coordinates. <paramref name="SurveyRank"/> orders surveys by precedence
/// (higher wins where features overlap: 1:10000 over 1:50000); <paramref name="Key"/> and
/// <paramref name="Value"/> carry the attribute a lookup or breaks transform reads.
/// </summary>
public sealed record BurnFeature(Geometry Geometry, int SurveyRank, string? Key = null, double Value = double.NaN);

/// <summary>What a factor is computed from: vector features or a raster already resampled onto the grid.</summary>
public abstract record FactorInput;

public sealed record VectorFactorInput(IReadOnlyList<BurnFeature> Features) : FactorInput;

/// <summary>A raster on the analysis grid (NaN = nodata), e.g. the DEM warped to the grid.</summary>
public sealed record RasterFactorInput(RasterBuffer<float> Values) : FactorInput;

/// <summary>A raster on the analysis grid read by windows (NaN = nodata), e.g. the DEM warped to a file for a streamed run (docs/SCALE.md).</summary>
/// <param name="StorageName">The name the run's block storage opens it by (<see cref="IBlockStorage.Open"/>), so a cluster's workers read the
/// same file; null when it is not in the block storage (the factor pass then stays in this process).</param>
public sealed record WindowedRasterFactorInput(IRasterWindowSource Source, string? StorageName = null) : FactorInput;

/// <summary>A hazard point in grid coordinates; <paramref name="Id"/> decides (by hash) whether it is held out.</summary>
public sealed record HazardPointInput(string Id, double X, double Y, int ThreatenedPeople);

public sealed record AdminUnitInput(string Code, string Name, string? NameEn, Geometry Geometry);

/// <summary>A survey's coverage in grid coordinates, to say which surveys contributed to a zone.</summary>
public sealed record SurveyCoverageInput(string SurveyId, int ScaleDenominator, int Rank, Geometry Coverage);

/// <summary>Everything a zoning run reads, already on the analysis grid's CRS.</summary>
public sealed class ZoningInputs
{
    public required GridSpec Grid { get; init; }

    /// <summary>The analysis extent (cells whose centre is outside are nodata).</summary>
    public required Geometry Extent { get; init; }

    /// <summary>One input per factor id of the model.</summary>
    public required IReadOnlyDictionary<string, FactorInput> Factors { get; init; }

    public IReadOnlyList<HazardPointInput> HazardPoints { get; init; } = [];

    /// <summary>The census units: counties (6-digit GB/T 2260 codes), or whatever single level the admin layers hold.</summary>
    public IReadOnlyList<AdminUnitInput> AdminUnits { get; init; } = [];

    /// <summary>Townships (乡镇, 9-digit codes and longer) when an admin layer holds them: their own census tables.</summary>
    public IReadOnlyList<AdminUnitInput> Townships { get; init; } = [];

    public IReadOnlyList<SurveyCoverageInput> SurveyCoverages { get; init; } = [];

    /// <summary>Exposure for the risk product and the zones' exposed buildings (none: no risk product).</summary>
    public ExposureInputs Exposure { get; init; } = ExposureInputs.None;
}

/// <summary>
/// Reuse of a previous run's factor classes: factors listed in <see cref="DirtyAreas"/> are recomputed only
/// inside those areas (grid coordinates, before the factor's reach is added); factors not listed are taken
/// from the previous classes as they are. The previous classes are whole grids (<see cref="PreviousClasses"/>) or, for a
/// streamed run, rasters read by windows (<see cref="PreviousClassWindows"/>, e.g. the previous run's factor-class COGs).
/// </summary>
public sealed class IncrementalPlan
{
    /// <summary>The previous run's classes per factor id as whole grids (0 = no source, 1..k, 255 outside the extent).</summary>
    public IReadOnlyDictionary<string, RasterBuffer<byte>> PreviousClasses { get; init; } = new Dictionary<string, RasterBuffer<byte>>();

    /// <summary>The same classes read by windows (255 or NaN outside the extent), so a streamed run never holds them whole (docs/SCALE.md).</summary>
    public IReadOnlyDictionary<string, IRasterWindowSource> PreviousClassWindows { get; init; } = new Dictionary<string, IRasterWindowSource>();

    public required IReadOnlyDictionary<string, IReadOnlyList<Envelope>> DirtyAreas { get; init; }

    /// <summary>Whether the previous run's classes of this factor are at hand (the factor is then reused, patched where dirty).</summary>
    public bool Reuses(string factorId) => PreviousClasses.ContainsKey(factorId) || PreviousClassWindows.ContainsKey(factorId);

    /// <summary>Whether the previous classes of this factor cover <paramref name="grid"/> exactly.</summary>
    internal bool Fits(string factorId, GridSpec grid) =>
        PreviousClasses.TryGetValue(factorId, out var whole) ? whole.Width == grid.Width && whole.Height == grid.Height
        : PreviousClassWindows.TryGetValue(factorId, out var source) && source.Grid.Width == grid.Width && source.Grid.Height == grid.Height;

    /// <summary>The previous classes of a window of the grid, as bytes (255 outside the extent).</summary>
    internal RasterBuffer<byte> ReadPrevious(string factorId, CellWindow window)
    {
        if (PreviousClasses.TryGetValue(factorId, out var whole))
        {
            var crop = FactorClasses.Crop(whole, window);
            return ReferenceEquals(crop, whole) ? new RasterBuffer<byte>(whole.Width, whole.Height, (byte[])whole.Data.Clone()) : crop;
        }

        var values = new float[window.Cells];
        PreviousClassWindows[factorId].ReadWindow(window.X, window.Y, window.Width, window.Height, values);
        var classes = new RasterBuffer<byte>(window.Width, window.Height);
        for (var i = 0; i < values.Length; i++)
        {
            classes.Data[i] = float.IsNaN(values[i]) ? ZoningEngine.OutsideExtent : (byte)values[i];
        }

        return classes;
    }
}
