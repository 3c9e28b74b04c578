using GeoRisk.Raster.Classify;
using GeoRisk.Raster.Vectorize;
using NetTopologySuite.Geometries;

namespace GeoRisk.Raster.Blocks;

/// <summary>Where the rasters of a block-wise job live: read as windows (across blocks), written block by block.</summary>
public interface IBlockStorage
{
    /// <summary>A raster by name (the job's input, or one a step wrote), readable from several threads.</summary>
    IRasterWindowSource Open(string raster);

    /// <summary>Writes one block of a raster the job produces. Writing a block again replaces it whole (a block recomputed after a lost worker).</summary>
    void Write(string raster, GridSpec grid, BlockRect block, float[] cells);

    /// <summary>
    /// The folder holding the rasters as files other processes can open (a cluster's workers read and write blocks there); null
    /// when they live in this process only.
    /// </summary>
    string? Folder { get; }
}

/// <summary>
/// Runs one step of a block-wise job over every block and returns each block's result (bytes, so the
/// same steps run in this process or on cluster workers). Implementations: <see cref="InProcessBlockExecutor"/>
/// and the Orleans coordinator (GeoRisk.Cluster).
/// </summary>
public interface IBlockExecutor
{
    Task<IReadOnlyList<byte[]>> RunAsync(string step, Func<int, byte[]> argumentsOf, CancellationToken cancellationToken);
}

public enum BreakMethod
{
    NaturalBreaks,
    Quantile,
    EqualInterval,
    Fixed,
}

/// <summary>
/// The global tail of a zoning run over an index raster (docs/SCALE.md): class breaks from a merged sample,
/// grades, the minimum mapping unit, zoning polygons, the index histogram and cells per grade, all block by
/// block.
/// </summary>
public sealed record GradeJob
{
    /// <summary>The index raster (a name the storage opens).</summary>
    public required string Index { get; init; }

    public int Classes { get; init; } = 4;

    public BreakMethod Method { get; init; } = BreakMethod.NaturalBreaks;

    public IReadOnlyList<double> FixedBreaks { get; init; } = [];

    public int SampleSize { get; init; } = 5_000;

    public int MinimumCells { get; init; } = 16;

    public bool EightConnected { get; init; }

    /// <summary>Block side in cells (a multiple of 256 keeps block writes on COG tiles).</summary>
    public int BlockSize { get; init; } = 1024;

    /// <summary>Name of the grade raster before the minimum mapping unit.</summary>
    public string Graded { get; init; } = "graded";

    /// <summary>Name of the grade raster the job produces.</summary>
    public string Grade { get; init; } = "grade";

    public byte[] ToBytes() => GradePipeline.Bytes(w =>
    {
        w.Write(Index);
        w.Write(Classes);
        w.Write((int)Method);
        BlockBorder.WriteArray(w, FixedBreaks, (bw, v) => bw.Write(v));
        w.Write(SampleSize);
        w.Write(MinimumCells);
        w.Write(EightConnected);
        w.Write(BlockSize);
        w.Write(Graded);
        w.Write(Grade);
    });

    public static GradeJob FromBytes(byte[] bytes) => GradePipeline.Parse(bytes, r => new GradeJob
    {
        Index = r.ReadString(),
        Classes = r.ReadInt32(),
        Method = (BreakMethod)r.ReadInt32(),
        FixedBreaks = BlockBorder.ReadArray(r, br => br.ReadDouble()),
        SampleSize = r.ReadInt32(),
        MinimumCells = r.ReadInt32(),
        EightConnected = r.ReadBoolean(),
        BlockSize = r.ReadInt32(),
        Graded = r.ReadString(),
        Grade = r.ReadString(),
    });
}

/// <summary>What a grade job gives: breaks, cells per grade (index 0 unused), the index histogram, the zoning polygons in whole-grid order.</summary>
public sealed record GradeResult(double[] Breaks, long[] CellsPerGrade, ValueHistogram? Histogram, List<ClassPolygon> Zones, int EdgeComponents);

/// <summary>
/// The steps of a <see cref="GradeJob"/> and their order. Every block step is a pure function of the job,
/// the block, its arguments and the storage, so a block lost with its worker is simply computed again,
/// anywhere, with the same result; the global merges between steps are small (samples, edge components,
/// ring pieces) and run where the job is coordinated.
/// </summary>
public static class GradePipeline
{
    public const string SampleStep = "sample";
    public const string ClassifyStep = "classify";
    public const string SieveNeighboursStep = "sieve-neighbours";
    public const string SieveStep = "sieve";
    public const string PolygonizeStep = "polygonize";

    /// <summary>The steps in order, for progress reports.</summary>
    public static IReadOnlyList<string> Steps { get; } = [SampleStep, ClassifyStep, SieveNeighboursStep, SieveStep, PolygonizeStep];

    public static BlockLayout Layout(GradeJob job, GridSpec grid) => new(grid.Width, grid.Height, job.BlockSize, job.BlockSize);

    /// <summary>Computes one block of one step (on whichever worker got it).</summary>
    public static byte[] ExecuteBlock(GradeJob job, string step, int blockIndex, byte[] arguments, IBlockStorage storage)
    {
        var index = storage.Open(job.Index);
        var grid = index.Grid;
        var block = Layout(job, grid)[blockIndex];
        return step switch
        {
            SampleStep => SampleBlock(job, index, grid, block),
            ClassifyStep => ClassifyBlock(job, index, grid, block, arguments, storage),
            SieveNeighboursStep => SieveNeighboursBlock(job, grid, block, arguments, storage),
            SieveStep => SieveBlock(job, grid, block, arguments, storage),
            PolygonizeStep => PolygonizeBlock(job, grid, block, arguments, storage),
            _ => throw new ArgumentException($"Unknown block step '{step}'.", nameof(step)),
        };
    }

    private static byte[] SampleBlock(GradeJob job, IRasterWindowSource index, GridSpec grid, BlockRect block)
    {
        var cells = HaloWindow.Read(index, block, 0).Data;
        var sample = new CellSample(job.SampleSize);
        sample.AddWindow(cells, block.X, block.Y, block.Width, grid.Width);
        var range = new ValueRange();
        range.Add(cells);
        var (ids, values) = sample.ToArrays();
        return Bytes(w =>
        {
            BlockBorder.WriteArray(w, ids, (bw, v) => bw.Write(v));
            BlockBorder.WriteArray(w, values, (bw, v) => bw.Write(v));
            w.Write(range.Min);
            w.Write(range.Max);
            w.Write(range.Count);
        });
    }

    private static byte[] ClassifyBlock(GradeJob job, IRasterWindowSource index, GridSpec grid, BlockRect block, byte[] arguments, IBlockStorage storage)
    {
        var (breaks, min, max) = Parse(arguments, r => (BlockBorder.ReadArray(r, br => br.ReadDouble()), r.ReadSingle(), r.ReadSingle()));
        var values = HaloWindow.Read(index, block, 0).Core();
        var graded = Breaks.Classify(values, breaks, new RasterOptions { MaxDegreeOfParallelism = 1 });
        storage.Write(job.Graded, grid, block, graded.Data);
        var histogram = new ValueHistogram(min, max);
        histogram.Add(values.Data);
        var border = BlockBorder.Of(block, graded, job.EightConnected);
        return Bytes(w =>
        {
            border.Write(w);
            WriteSparse(w, histogram.Cells);
        });
    }

    private static byte[] SieveNeighboursBlock(GradeJob job, GridSpec grid, BlockRect block, byte[] arguments, IBlockStorage storage)
    {
        var n = Parse(arguments, BlockNeighbourhood.Read);
        var window = HaloWindow.Read(storage.Open(job.Graded), block, 1);
        return Bytes(BlockSieve.Neighbours(window, n, job.MinimumCells, job.EightConnected, grid.Width).Write);
    }

    private static byte[] SieveBlock(GradeJob job, GridSpec grid, BlockRect block, byte[] arguments, IBlockStorage storage)
    {
        var (n, reach) = Parse(
            arguments, r => (BlockNeighbourhood.Read(r), BlockBorder.ReadArray(r, br => (Id: br.ReadInt32(), Value: br.ReadSingle()))));
        var window = HaloWindow.Read(storage.Open(job.Graded), block, 1);
        var sieved = job.MinimumCells > 1
            ? BlockSieve.Apply(window, n, reach.ToDictionary(e => e.Id, e => e.Value), job.MinimumCells, job.EightConnected, grid.Width)
            : window.Core();
        storage.Write(job.Grade, grid, block, sieved.Data);
        var perGrade = new long[job.Classes + 1];
        foreach (var g in sieved.Data)
        {
            if (!float.IsNaN(g))
            {
                perGrade[(int)g]++;
            }
        }

        var border = BlockBorder.Of(block, sieved, job.EightConnected);
        return Bytes(w =>
        {
            border.Write(w);
            BlockBorder.WriteArray(w, perGrade, (bw, v) => bw.Write(v));
        });
    }

    private static byte[] PolygonizeBlock(GradeJob job, GridSpec grid, BlockRect block, byte[] arguments, IBlockStorage storage)
    {
        var n = Parse(arguments, BlockNeighbourhood.Read);
        var window = HaloWindow.Read(storage.Open(job.Grade), block, 1);
        return Bytes(BlockPolygonizer.Trace(window, n, grid, job.EightConnected).Write);
    }

    /// <summary>Runs the job: block steps through the executor, merges here.</summary>
    public static async Task<GradeResult> RunAsync(
        GradeJob job, IBlockExecutor executor, IBlockStorage storage, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var grid = storage.Open(job.Index).Grid;
        var layout = Layout(job, grid);
        if (job.Classes < 2 || job.Classes > 250)
        {
            throw new ArgumentOutOfRangeException(nameof(job), "A grade job has 2 to 250 classes.");
        }

        progress?.Report(SampleStep);
        var (sample, range) = await SampleAsync(job, executor, cancellationToken);
        if (range.IsEmpty)
        {
            throw new InvalidOperationException("The index raster has no valid cells.");
        }

        var breaks = BreaksOf(job, sample.Values());
        progress?.Report(ClassifyStep);
        var (histogram, borders) = await ClassifyAsync(breaks, range, executor, cancellationToken);
        var stitch = new ComponentStitch(layout, borders, job.EightConnected);
        IReadOnlyDictionary<int, float> reach = new Dictionary<int, float>();
        if (job.MinimumCells > 1)
        {
            progress?.Report(SieveNeighboursStep);
            var partials = (await executor.RunAsync(SieveNeighboursStep, b => Bytes(stitch.Neighbourhood(b).Write), cancellationToken))
                .Select(bytes => Parse(bytes, SievePartials.Read)).ToList();
            reach = BlockSieve.Resolve(stitch, partials, job.MinimumCells);
        }

        progress?.Report(SieveStep);
        var (cellsPerGrade, sievedBorders) = await SieveAsync(job, stitch, reach, executor, cancellationToken);
        progress?.Report(PolygonizeStep);
        var zonesStitch = new ComponentStitch(layout, sievedBorders, job.EightConnected);
        var factory = new GeometryFactory();
        var blocks = (await executor.RunAsync(PolygonizeStep, b => Bytes(zonesStitch.Neighbourhood(b).Write), cancellationToken))
            .Select(bytes => Parse(bytes, r => BlockPolygons.Read(r, factory))).ToList();
        var zones = BlockPolygonizer.Finish(blocks, grid, job.EightConnected, factory);
        return new GradeResult(breaks, cellsPerGrade, histogram, zones, stitch.EdgeComponents + zonesStitch.EdgeComponents);
    }

    /// <summary>The sample step: every block's sample merged into one, and the index range.</summary>
    private static async Task<(CellSample Sample, ValueRange Range)> SampleAsync(GradeJob job, IBlockExecutor executor, CancellationToken cancellationToken)
    {
        var sample = new CellSample(job.SampleSize);
        var range = new ValueRange();
        foreach (var bytes in await executor.RunAsync(SampleStep, _ => [], cancellationToken))
        {
            Parse(bytes, r =>
            {
                var ids = BlockBorder.ReadArray(r, br => br.ReadInt64());
                var values = BlockBorder.ReadArray(r, br => br.ReadSingle());
                sample.Merge(CellSample.FromArrays(job.SampleSize, ids, values));
                range.Merge(ValueRange.From(r.ReadSingle(), r.ReadSingle(), r.ReadInt64()));
                return 0;
            });
        }

        return (sample, range);
    }

    /// <summary>The classify step: the index histogram and each block's border of grades.</summary>
    private static async Task<(ValueHistogram Histogram, List<BlockBorder> Borders)> ClassifyAsync(
        double[] breaks, ValueRange range, IBlockExecutor executor, CancellationToken cancellationToken)
    {
        var classifyArgs = Bytes(w =>
        {
            BlockBorder.WriteArray(w, breaks, (bw, v) => bw.Write(v));
            w.Write(range.Min);
            w.Write(range.Max);
        });
        var histogram = new ValueHistogram(range.Min, range.Max);
        var borders = new List<BlockBorder>();
        foreach (var bytes in await executor.RunAsync(ClassifyStep, _ => classifyArgs, cancellationToken))
        {
            Parse(bytes, r =>
            {
                borders.Add(BlockBorder.Read(r));
                ReadSparse(r, histogram.Cells);
                return 0;
            });
        }

        return (ValueHistogram.FromCounts(histogram.Min, histogram.Max, histogram.Cells), borders);
    }

    /// <summary>The sieve step: cells per grade and each block's border of sieved grades.</summary>
    private static async Task<(long[] CellsPerGrade, List<BlockBorder> Borders)> SieveAsync(
        GradeJob job, ComponentStitch stitch, IReadOnlyDictionary<int, float> reach, IBlockExecutor executor, CancellationToken cancellationToken)
    {
        var cellsPerGrade = new long[job.Classes + 1];
        var sievedBorders = new List<BlockBorder>();
        var sieveResults = await executor.RunAsync(SieveStep, b =>
        {
            var n = stitch.Neighbourhood(b);
            var part = BlockSieve.ReachFor(n, reach);
            return Bytes(w =>
            {
                n.Write(w);
                BlockBorder.WriteArray(w, part.OrderBy(kv => kv.Key).ToList(), (bw, kv) =>
                {
                    bw.Write(kv.Key);
                    bw.Write(kv.Value);
                });
            });
        }, cancellationToken);
        foreach (var bytes in sieveResults)
        {
            Parse(bytes, r =>
            {
                sievedBorders.Add(BlockBorder.Read(r));
                var counts = BlockBorder.ReadArray(r, br => br.ReadInt64());
                for (var g = 0; g < counts.Length; g++)
                {
                    cellsPerGrade[g] += counts[g];
                }

                return 0;
            });
        }

        return (cellsPerGrade, sievedBorders);
    }

    /// <summary>The breaks of a job from its merged sample.</summary>
    public static double[] BreaksOf(GradeJob job, float[] sample) => job.Method switch
    {
        BreakMethod.Fixed => job.FixedBreaks.Count == job.Classes - 1
            ? [.. job.FixedBreaks]
            : throw new ArgumentException($"{job.Classes} classes need {job.Classes - 1} fixed breaks."),
        BreakMethod.Quantile => Breaks.Quantile(sample, job.Classes),
        BreakMethod.EqualInterval => Breaks.EqualInterval(sample, job.Classes),
        _ => Breaks.NaturalBreaks(sample, job.Classes),
    };

    /// <summary>
    /// The same job computed on whole grids in memory with the engine's whole-grid steps (the reference the
    /// block-wise run must equal, cell for cell and polygon for polygon).
    /// </summary>
    public static (GradeResult Result, RasterBuffer<float> Grade) RunWholeGrid(GradeJob job, RasterBuffer<float> index, GridSpec grid)
    {
        var breaks = BreaksOf(job, CellSample.Of(index, job.SampleSize).Values());
        var graded = Breaks.Classify(index, breaks);
        if (job.MinimumCells > 1)
        {
            graded = Sieve.Apply(graded, job.MinimumCells, job.EightConnected);
        }

        var range = new ValueRange();
        range.Add(index.Data);
        var histogram = new ValueHistogram(range.Min, range.Max);
        histogram.Add(index.Data);
        var perGrade = new long[job.Classes + 1];
        foreach (var g in graded.Data)
        {
            if (!float.IsNaN(g))
            {
                perGrade[(int)g]++;
            }
        }

        return (new GradeResult(breaks, perGrade, histogram, Polygonizer.Polygonize(graded, grid.Transform, job.EightConnected), 0), graded);
    }

    internal static byte[] Bytes(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            write(w);
        }

        return stream.ToArray();
    }

    internal static T Parse<T>(byte[] bytes, Func<BinaryReader, T> read)
    {
        using var r = new BinaryReader(new MemoryStream(bytes, writable: false));
        return read(r);
    }

    private static void WriteSparse(BinaryWriter w, long[] counts)
    {
        var nonZero = Enumerable.Range(0, counts.Length).Where(i => counts[i] != 0).ToList();
        w.Write(counts.Length);
        BlockBorder.WriteArray(w, nonZero, (bw, i) =>
        {
            bw.Write(i);
            bw.Write(counts[i]);
        });
    }

    private static void ReadSparse(BinaryReader r, long[] into)
    {
        var length = r.ReadInt32();
        if (length != into.Length)
        {
            throw new InvalidDataException("A histogram of another size.");
        }

        foreach (var (i, c) in BlockBorder.ReadArray(r, br => (br.ReadInt32(), br.ReadInt64())))
        {
            into[i] += c;
        }
    }
}

/// <summary>Block steps on this machine's threads (bounded memory: only the blocks in flight are in memory).</summary>
public sealed class InProcessBlockExecutor(GradeJob job, IBlockStorage storage, int threads) : IBlockExecutor
{
    public Task<IReadOnlyList<byte[]>> RunAsync(string step, Func<int, byte[]> argumentsOf, CancellationToken cancellationToken)
    {
        var layout = GradePipeline.Layout(job, storage.Open(job.Index).Grid);
        var results = new byte[layout.Count][];
        Parallel.For(0, layout.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken },
            b => results[b] = GradePipeline.ExecuteBlock(job, step, b, argumentsOf(b), storage));
        return Task.FromResult<IReadOnlyList<byte[]>>(results);
    }
}

/// <summary>Rasters of a block-wise job in memory (tests, small grids).</summary>
public sealed class MemoryBlockStorage : IBlockStorage
{
    private readonly Dictionary<string, MemoryRaster> _rasters = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Add(string name, MemoryRaster raster)
    {
        lock (_gate)
        {
            _rasters[name] = raster;
        }
    }

    public IRasterWindowSource Open(string raster)
    {
        lock (_gate)
        {
            return _rasters.TryGetValue(raster, out var r) ? r : throw new FileNotFoundException($"No raster '{raster}'.");
        }
    }

    public MemoryRaster Get(string raster) => (MemoryRaster)Open(raster);

    public string? Folder => null;

    public void Write(string raster, GridSpec grid, BlockRect block, float[] cells)
    {
        MemoryRaster target;
        lock (_gate)
        {
            if (!_rasters.TryGetValue(raster, out target!))
            {
                target = new MemoryRaster(grid);
                target.Buffer.Fill(float.NaN);
                _rasters[raster] = target;
            }
        }

        target.WriteWindow(block.X, block.Y, block.Width, block.Height, cells);
    }
}
