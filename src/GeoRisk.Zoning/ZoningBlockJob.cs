using GeoRisk.Core.Risk;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GeoRisk.Zoning;

/// <summary>
/// A streamed run's factor, combine, risk or census pass as a job another process can run block by block (a cluster's workers,
/// docs/SCALE.md "what moves over the network"): everything the pass reads besides the block storage — the model, grid, extent and
/// factor features for the factor pass; the stored factor rasters and score tables for the combine pass; the hazard range, population
/// units and building cells for the risk pass; the county and township outlines for a product's census — and the hazard-point cells,
/// in one self-contained binary form. <see cref="Execute"/> is <see cref="StreamedBlocks"/>'s code, as the in-process run calls it,
/// so the rasters and partials are the same wherever a block runs.
/// </summary>
public sealed class ZoningBlockJob
{
    public const string FactorsStep = "zoning.factors";
    public const string CombineStep = "zoning.combine";
    public const string RiskStep = "zoning.risk";
    public const string CensusStep = "zoning.census";

    private const int Version = 2;
    private readonly Lock _gate = new();
    private RunContext? _run;
    private List<FactorRecipe>? _recipes;
    private ExposureOnBlocks? _exposure;

    private ZoningBlockJob(string step, GridSpec grid, int blockSize, long[] candidates)
    {
        Step = step;
        Grid = grid;
        BlockSize = blockSize;
        Layout = new BlockLayout(grid.Width, grid.Height, blockSize, blockSize);
        Candidates = new PointCandidates(candidates, Layout);
    }

    /// <summary><see cref="FactorsStep"/>, <see cref="CombineStep"/>, <see cref="RiskStep"/> or <see cref="CensusStep"/>.</summary>
    public string Step { get; }

    public int BlockCount => Layout.Count;

    /// <summary>Whether a step name is a zoning pass (the rest are grade-job steps).</summary>
    public static bool IsStep(string step) => step is FactorsStep or CombineStep or RiskStep or CensusStep;

    internal GridSpec Grid { get; }

    internal int BlockSize { get; }

    internal BlockLayout Layout { get; }

    /// <summary>The hazard-point cells, ascending, sorted to their blocks.</summary>
    private PointCandidates Candidates { get; }

    private RiskModel? Model { get; init; }

    private Geometry? Extent { get; init; }

    /// <summary>Per factor in model order: its features, or the name its warped raster has in the run's block storage.</summary>
    private IReadOnlyList<(IReadOnlyList<BurnFeature>? Features, string? Raster)>? FactorInputs { get; init; }

    private CombineSpec? Combine { get; init; }

    private RiskSpec? Risk { get; init; }

    private CensusSpec? Census { get; init; }

    /// <summary>
    /// The factor pass of a full run, or null when a factor cannot be handed over: a reused factor of an incremental run (its previous
    /// classes are read in this process) or a raster held in memory rather than in the block storage.
    /// </summary>
    internal static ZoningBlockJob? Factors(RunContext run, IReadOnlyList<FactorRecipe> recipes, long[] candidates)
    {
        var inputs = new List<(IReadOnlyList<BurnFeature>?, string?)>();
        foreach (var recipe in recipes)
        {
            var input = run.Inputs.Factors[recipe.Factor.Id];
            if (recipe.Previous is not null)
            {
                return null;
            }

            switch (input)
            {
                case VectorFactorInput v:
                    inputs.Add((v.Features, null));
                    break;
                case WindowedRasterFactorInput { StorageName: { } name }:
                    inputs.Add((null, name));
                    break;
                default:
                    return null;
            }
        }

        return new ZoningBlockJob(FactorsStep, run.Grid, run.Options.BlockSize, candidates)
        {
            Model = run.Model,
            Extent = run.Inputs.Extent,
            FactorInputs = inputs,
        };
    }

    internal static ZoningBlockJob Combining(RunContext run, CombineSpec spec, long[] candidates) =>
        new(CombineStep, run.Grid, run.Options.BlockSize, candidates) { Combine = spec };

    internal static ZoningBlockJob Risking(RunContext run, RiskSpec spec, long[] candidates) =>
        new(RiskStep, run.Grid, run.Options.BlockSize, candidates) { Risk = spec };

    internal static ZoningBlockJob Counting(RunContext run, CensusSpec spec, long[] candidates) =>
        new(CensusStep, run.Grid, run.Options.BlockSize, candidates) { Census = spec };

    /// <summary>Computes one block: its rasters go to <paramref name="storage"/> (the run's block storage), its partials are returned.</summary>
    public byte[] Execute(int block, IBlockStorage storage)
    {
        var rect = Layout[block];
        var here = Candidates.In(rect);
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes))
        {
            switch (Step)
            {
                case CombineStep:
                    StreamedBlocks.Combine(Combine!, Grid, rect, here, storage).Write(w);
                    break;
                case RiskStep:
                    StreamedBlocks.Risk(Risk!, Exposure(), Grid, rect, here, storage).Write(w);
                    break;
                case CensusStep:
                    StreamedBlocks.Census(Census!, Grid, rect, here, storage).Write(w);
                    break;
                default:
                    var (run, recipes) = Context(storage);
                    StreamedBlocks.Factors(run, recipes, rect, here, storage).Write(w);
                    break;
            }
        }

        return bytes.ToArray();
    }

    internal static FactorBlock ReadFactors(byte[] bytes) => Read(bytes, FactorBlock.Read);

    internal static CombineBlock ReadCombine(byte[] bytes) => Read(bytes, CombineBlock.Read);

    internal static IndexBlock ReadIndex(byte[] bytes) => Read(bytes, IndexBlock.Read);

    internal static CensusBlock ReadCensus(byte[] bytes) => Read(bytes, CensusBlock.Read);

    private static T Read<T>(byte[] bytes, Func<BinaryReader, T> read)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        return read(r);
    }

    /// <summary>The risk pass's population units and buildings sorted to their blocks, once per job.</summary>
    private ExposureOnBlocks Exposure()
    {
        lock (_gate)
        {
            return _exposure ??= ExposureOnBlocks.Of(Grid, Layout, Risk!);
        }
    }

    /// <summary>The run as a worker sees it: the model, the grid, the extent and the factor inputs (rasters opened from the block storage).</summary>
    private (RunContext, List<FactorRecipe>) Context(IBlockStorage storage)
    {
        lock (_gate)
        {
            if (_run is null)
            {
                var factors = new Dictionary<string, FactorInput>(StringComparer.Ordinal);
                for (var j = 0; j < Model!.Factors.Count; j++)
                {
                    var (features, raster) = FactorInputs![j];
                    factors[Model.Factors[j].Id] = features is not null
                        ? new VectorFactorInput(features)
                        : new WindowedRasterFactorInput(storage.Open(raster!), raster);
                }

                var inputs = new ZoningInputs { Grid = Grid, Extent = Extent!, Factors = factors };
                var options = new RasterOptions { MaxDegreeOfParallelism = 1, BlockSize = BlockSize };
                _run = new RunContext(Model, inputs, options, null, ZoningPorts.InProcess);
                _recipes = FactorRecipe.Of(_run, null);
            }

            return (_run, _recipes!);
        }
    }

    public byte[] ToBytes()
    {
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes))
        {
            w.Write(Version);
            w.Write(Step);
            w.Write(Grid.Width);
            w.Write(Grid.Height);
            w.Write(Grid.Transform.OriginX);
            w.Write(Grid.Transform.PixelWidth);
            w.Write(Grid.Transform.OriginY);
            w.Write(Grid.Transform.PixelHeight);
            w.Write(Grid.CrsWkt);
            w.Write(BlockSize);
            StreamedBlocksIo.Write(w, Candidates.Cells);
            switch (Step)
            {
                case CombineStep:
                    Combine!.Write(w);
                    break;
                case RiskStep:
                    Risk!.Write(w);
                    break;
                case CensusStep:
                    Census!.Write(w);
                    break;
                default:
                    WriteFactorInputs(w);
                    break;
            }
        }

        return bytes.ToArray();
    }

    public static ZoningBlockJob FromBytes(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        if (r.ReadInt32() is var version && version != Version)
        {
            throw new InvalidDataException($"A zoning block job of version {version}; this build reads version {Version}.");
        }

        var step = r.ReadString();
        if (!IsStep(step))
        {
            throw new InvalidDataException($"'{step}' is not a zoning pass.");
        }

        var width = r.ReadInt32();
        var height = r.ReadInt32();
        var transform = new GeoTransform(r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
        var grid = new GridSpec(width, height, transform, r.ReadString());
        var blockSize = r.ReadInt32();
        var candidates = StreamedBlocksIo.ReadLongs(r);
        switch (step)
        {
            case CombineStep:
                return new ZoningBlockJob(step, grid, blockSize, candidates) { Combine = CombineSpec.Read(r) };
            case RiskStep:
                return new ZoningBlockJob(step, grid, blockSize, candidates) { Risk = RiskSpec.Read(r) };
            case CensusStep:
                return new ZoningBlockJob(step, grid, blockSize, candidates) { Census = CensusSpec.Read(r) };
        }

        var model = RiskModel.Parse(r.ReadString());
        var wkb = new WKBReader();
        var extent = StreamedBlocksIo.ReadGeometry(r, wkb);
        var inputs = new List<(IReadOnlyList<BurnFeature>?, string?)>();
        for (var j = 0; j < model.Factors.Count; j++)
        {
            if (r.ReadBoolean())
            {
                inputs.Add((null, StreamedBlocksIo.ReadName(r)));
                continue;
            }

            var features = new BurnFeature[StreamedBlocksIo.ReadCount(r, 21)];
            for (var i = 0; i < features.Length; i++)
            {
                var geometry = StreamedBlocksIo.ReadGeometry(r, wkb);
                var rank = r.ReadInt32();
                var key = r.ReadBoolean() ? r.ReadString() : null;
                features[i] = new BurnFeature(geometry, rank, key, r.ReadDouble());
            }

            inputs.Add((features, null));
        }

        return new ZoningBlockJob(step, grid, blockSize, candidates) { Model = model, Extent = extent, FactorInputs = inputs };
    }

    private void WriteFactorInputs(BinaryWriter w)
    {
        w.Write(Model!.ToJson());
        var wkb = new WKBWriter();
        StreamedBlocksIo.Write(w, wkb, Extent!);
        foreach (var (features, raster) in FactorInputs!)
        {
            w.Write(raster is not null);
            if (raster is not null)
            {
                w.Write(raster);
                continue;
            }

            w.Write(features!.Count);
            foreach (var f in features)
            {
                StreamedBlocksIo.Write(w, wkb, f.Geometry);
                w.Write(f.SurveyRank);
                w.Write(f.Key is not null);
                if (f.Key is not null)
                {
                    w.Write(f.Key);
                }

                w.Write(f.Value);
            }
        }
    }
}
