using GeoRisk.Gdal;
using GeoRisk.Raster.Distance;
using GeoRisk.Raster.MapAlgebra;
using GeoRisk.Raster.Rasterize;
using GeoRisk.Raster.Terrain;
using GeoRisk.Tests.Common;
using NetTopologySuite.Geometries;

namespace GeoRisk.Raster.Tests;

/// <summary>
/// The streamed forms (strip pipeline with a halo, strip-wise distance output) and the GDAL adapter's
/// block-direct reads and writes give exactly what the in-memory forms and GDAL's windowed I/O give.
/// </summary>
public sealed class StreamingTests : IDisposable
{
    private readonly TempDirectory _dir = new("georisk-streaming");

    public void Dispose() => _dir.Dispose();

    private static RasterBuffer<float> Random(int w, int h, int seed, double nodataFraction = 0) => GdalTools.RandomBuffer(w, h, seed, nodataFraction, scale: 500);

    [Theory]
    [InlineData(1)] // every strip one row: the halo always comes from neighbouring strips
    [InlineData(7)]
    [InlineData(64)] // one strip holds the whole grid
    public void StreamedSlope_EqualsInMemorySlope_BitForBit(int stripRows)
    {
        const int w = 131, h = 53;
        var dem = Random(w, h, 3, nodataFraction: 0.01);
        var grid = GdalTools.Grid(w, h);
        var expected = SlopeAspect.Slope(dem, 30, 30);
        var sink = new MemoryRaster(grid);
        SlopeAspect.Slope(new MemoryRaster(grid, dem), sink, 30, 30, SlopeUnit.Degrees, new RasterOptions { StripRows = stripRows, MinimumPixelsPerTask = 64 });
        Assert.Equal(expected.Data, sink.Buffer.Data);
    }

    [Fact]
    public void Slope_VectorKernel_EqualsScalarKernel_ForEveryRowLength0To256()
    {
        for (var w = 0; w <= 256; w++)
        {
            var dem = Random(w, 4, w, nodataFraction: 0.03);
            var vector = SlopeAspect.Slope(dem, 30, 25, SlopeUnit.Degrees, new RasterOptions { Vectorize = true });
            var scalar = SlopeAspect.Slope(dem, 30, 25, SlopeUnit.Degrees, new RasterOptions { Vectorize = false });
            Assert.Equal(scalar.Data, vector.Data);
            var percent = SlopeAspect.Slope(dem, 30, 25, SlopeUnit.Percent, new RasterOptions { Vectorize = true });
            Assert.Equal(SlopeAspect.Slope(dem, 30, 25, SlopeUnit.Percent, new RasterOptions { Vectorize = false }).Data, percent.Data);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(0)]
    public void StreamedCalc_EqualsInMemoryCalc(int stripRows)
    {
        const int w = 77, h = 41;
        var inputs = Enumerable.Range(0, 3).Select(i => Random(w, h, 10 + i, 0.02)).ToList();
        var expression = Expression.Parse("where(a > 250, b * 2, c) + min(a, c)");
        var expected = new RasterBuffer<float>(w, h);
        RasterCalculator.Run(expression, inputs, expected);
        var grid = GdalTools.Grid(w, h);
        var sink = new MemoryRaster(grid);
        RasterCalculator.Run(expression, inputs.Select(b => (IRasterSource)new MemoryRaster(grid, b)).ToList(), sink, new RasterOptions { StripRows = stripRows });
        Assert.Equal(expected.Data, sink.Buffer.Data);
    }

    /// <summary>A block sink over memory that counts the blocks it is given (proves the tile-by-tile path ran).</summary>
    private sealed class RecordingBlockSink(GridSpec grid, (int Width, int Height) block) : IBlockRasterSink
    {
        public RasterBuffer<float> Buffer { get; } = new(grid.Width, grid.Height);

        public int Blocks;

        public GridSpec Grid { get; } = grid;

        public (int Width, int Height)? BlockSize { get; } = block;

        public void WriteRows(int y, int rows, ReadOnlySpan<float> source) => throw new InvalidOperationException("rows written to a block sink");

        public int FailAfter { get; init; } = int.MaxValue;

        public void WriteBlock(int blockX, int blockY, ReadOnlySpan<float> data)
        {
            if (Interlocked.Increment(ref Blocks) > FailAfter)
            {
                throw new IOException("disk full");
            }

            var (bw, bh) = block;
            for (var r = 0; r < bh && (blockY * bh) + r < Grid.Height; r++)
            {
                var w = Math.Min(bw, Grid.Width - (blockX * bw));
                data.Slice(r * bw, w).CopyTo(Buffer.GetRow((blockY * bh) + r).Slice(blockX * bw, w));
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Calc_TileByTile_EqualsInMemoryCalc(int threads)
    {
        // 300×200 in 64×64 tiles: partial tiles on both edges; 2 % nodata in every input.
        const int w = 300, h = 200;
        var expression = Expression.Parse("0.4*a + 0.3*b + where(c > 250, c, 0) * 0.3");
        var inputs = Enumerable.Range(0, 3).Select(i => Random(w, h, 30 + i, 0.02)).ToList();
        var expected = new RasterBuffer<float>(w, h);
        RasterCalculator.Run(expression, inputs, expected);
        var grid = GdalTools.Grid(w, h);
        string[] tiled = ["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64"];
        var files = inputs.Select((b, i) =>
        {
            var path = _dir.File($"tile-in-{threads}-{i}.tif");
            using var sink = new GdalRasterSink(path, grid, creationOptions: tiled);
            sink.WriteAll(b);
            return path;
        }).ToList();
        var sources = files.Select(f => new GdalRasterSource(f)).ToList();
        try
        {
            var recording = new RecordingBlockSink(grid, (64, 64));
            RasterCalculator.Run(expression, sources, recording, new RasterOptions { MaxDegreeOfParallelism = threads });
            Assert.Equal(5 * 4, recording.Blocks);
            Assert.Equal(expected.Data, recording.Buffer.Data);

            var output = _dir.File($"tile-out-{threads}.tif");
            using (var sink = new GdalRasterSink(output, grid, creationOptions: tiled))
            {
                RasterCalculator.Run(expression, sources, sink, new RasterOptions { MaxDegreeOfParallelism = threads });
            }

            Assert.Equal(expected.Data, GdalTools.Read(output, out _).Data);

            // A failed tile write surfaces as itself (not wrapped by the parallel loop).
            var failing = new RecordingBlockSink(grid, (64, 64)) { FailAfter = 3 };
            Assert.Throws<IOException>(() => RasterCalculator.Run(expression, sources, failing, new RasterOptions { MaxDegreeOfParallelism = threads }));
        }
        finally
        {
            sources.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [InlineData(30.0, 30.0, double.PositiveInfinity)]
    [InlineData(30.0, 20.0, double.PositiveInfinity)]
    [InlineData(10.0, 10.0, 250.0)]
    public void DistanceForms_AgreeWithBruteForce(double pw, double ph, double maxDistance)
    {
        // Dense sources (many ties between equidistant sources on square cells) on a grid that is not a
        // multiple of the output strip.
        const int w = 113, h = 301;
        var random = new Random(5);
        var mask = new RasterBuffer<byte>(w, h);
        var sources = new List<(int X, int Y)>();
        for (var i = 0; i < 400; i++)
        {
            var (x, y) = (random.Next(w), random.Next(h));
            if (mask[x, y] == 0)
            {
                mask[x, y] = 1;
                sources.Add((x, y));
            }
        }

        // Seven bands on fewer threads: each thread's column cursors are reused for bands above and below
        // the one they were last positioned for (stepped on, or searched again).
        var full = DistanceTransform.Compute(mask, pw, ph, maxDistance, new RasterOptions { MaxDegreeOfParallelism = 7, MinimumPixelsPerTask = 100 });
        var distanceOnly = DistanceTransform.Distance(mask, pw, ph, maxDistance);
        var sink = new MemoryRaster(GdalTools.Grid(w, h));
        DistanceTransform.Distance(ColumnSources.FromMask(mask), sink, pw, ph, maxDistance, new RasterOptions { StripRows = 64, MinimumPixelsPerTask = 100 }); // 301 rows: five strips, the last partial
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var best = sources.Select(s => Math.Sqrt(Math.Pow((s.X - x) * pw, 2) + Math.Pow((s.Y - y) * ph, 2))).Min();
                var expected = best > maxDistance ? float.NaN : (float)best;
                Assert.Equal(expected, full.Distance[x, y]);
                var k = full.NearestIndex[x, y];
                if (float.IsNaN(expected))
                {
                    Assert.Equal(-1, k);
                }
                else
                {
                    Assert.Equal(expected, (float)Math.Sqrt(Math.Pow((k % w - x) * pw, 2) + Math.Pow((k / w - y) * ph, 2)));
                }
            }
        }

        Assert.Equal(full.Distance.Data, distanceOnly.Data);
        Assert.Equal(full.Distance.Data, sink.Buffer.Data);
    }

    [Theory]
    [InlineData(false, MergeRule.Replace)]
    [InlineData(true, MergeRule.Replace)]
    [InlineData(true, MergeRule.Maximum)]
    public void StripAndWindowBurn_EqualWholeGridBurn(bool allTouched, MergeRule rule)
    {
        // Polygons with holes, lines and points straddling strip boundaries, on a grid whose height is not
        // a multiple of the strip.
        const int w = 90, h = 77;
        var grid = GdalTools.Grid(w, h, pixel: 10);
        var t = grid.Transform;
        var random = new Random(13);
        var factory = new GeometryFactory();
        var features = new List<(Geometry Geometry, float Value)>();
        for (var i = 0; i < 60; i++)
        {
            double cx = t.OriginX + (random.NextDouble() * w * 10), cy = t.OriginY - (random.NextDouble() * h * 10), r = 20 + (random.NextDouble() * 150);
            Geometry g = (i % 3) switch
            {
                0 => factory.CreatePolygon(
                    factory.CreateLinearRing(Enumerable.Range(0, 8).Select(k => new Coordinate(cx + (r * Math.Cos(k * Math.PI / 4)), cy + (r * Math.Sin(k * Math.PI / 4)))).Append(new Coordinate(cx + r, cy)).ToArray()),
                    [factory.CreateLinearRing([new(cx - (r / 4), cy - (r / 4)), new(cx - (r / 4), cy + (r / 4)), new(cx + (r / 4), cy + (r / 4)), new(cx + (r / 4), cy - (r / 4)), new(cx - (r / 4), cy - (r / 4))])]),
                1 => factory.CreateLineString([new(cx, cy), new(cx + r, cy - (3 * r)), new(cx - r, cy - (5 * r))]),
                _ => factory.CreatePoint(new Coordinate(cx, cy)),
            };
            features.Add((g, i + 1));
        }

        var whole = new RasterBuffer<float>(w, h);
        whole.Fill(float.NaN);
        var rasterizer = new Rasterizer(whole, t, allTouched, rule);
        foreach (var (g, v) in features)
        {
            rasterizer.Burn(g, v);
        }

        var sink = new MemoryRaster(grid);
        Rasterizer.Burn(features, sink, allTouched, rule, new RasterOptions { StripRows = 16 });
        Assert.Equal(whole.Data, sink.Buffer.Data);
        Assert.True(whole.Data.Count(v => !float.IsNaN(v)) > w * h / 10, "the features burn a fair part of the grid");

        // Windows (the streamed zoning run's blocks): the whole grid's transform with the window's first row and column.
        const int bw = 13, bh = 11;
        for (var y0 = 0; y0 < h; y0 += bh)
        {
            for (var x0 = 0; x0 < w; x0 += bw)
            {
                var window = new RasterBuffer<float>(Math.Min(bw, w - x0), Math.Min(bh, h - y0));
                window.Fill(float.NaN);
                var burner = new Rasterizer(window, t, allTouched, rule) { FirstRow = y0, FirstColumn = x0 };
                foreach (var (g, v) in features)
                {
                    burner.Burn(g, v);
                }

                for (var r = 0; r < window.Height; r++)
                {
                    Assert.True(window.GetRow(r).SequenceEqual(whole.Data.AsSpan(((y0 + r) * w) + x0, window.Width)), $"window at {x0},{y0} row {r}");
                }
            }
        }
    }

    [Theory]
    [InlineData(RasterDataType.Byte)]
    [InlineData(RasterDataType.Float32)]
    public void GdalSource_ReadSources_InTwoHalves_EqualsTheMask(RasterDataType type)
    {
        // 1,100 rows: read as two halves through two handles. Values 1..3 with nodata 3 and some zeros.
        const int w = 40, h = 1100;
        var random = new Random(17);
        var values = new RasterBuffer<float>(w, h);
        for (var i = 0; i < values.Data.Length; i++)
        {
            values.Data[i] = random.NextDouble() < 0.97 ? 0 : random.Next(1, 4);
        }

        var path = _dir.File($"sources-{type}.tif");
        using (var sink = new GdalRasterSink(path, GdalTools.Grid(w, h), type, noData: 3))
        {
            sink.WriteAll(values);
        }

        using var source = new GdalRasterSource(path);
        foreach (var wanted in new[] { null, new HashSet<float> { 2 } })
        {
            var mask = new RasterBuffer<byte>(w, h);
            for (var i = 0; i < mask.Data.Length; i++)
            {
                var v = values.Data[i];
                mask.Data[i] = (byte)(v != 3 && (wanted is null ? v != 0 : wanted.Contains(v)) ? 1 : 0);
            }

            var sources = source.ReadSources(wanted);
            Assert.Equal(mask.Data.Count(b => b != 0), sources.Count);
            Assert.Equal(DistanceTransform.Compute(mask, 30, 30).Distance.Data, DistanceTransform.Compute(sources, 30, 30).Distance.Data);
        }
    }

    private sealed class FailingSink(GridSpec grid, int failAtRow) : IRasterSink
    {
        public GridSpec Grid { get; } = grid;

        public void WriteRows(int y, int rows, ReadOnlySpan<float> source)
        {
            if (y >= failAtRow)
            {
                throw new IOException("disk full");
            }
        }
    }

    [Fact]
    public void StreamedSlope_WhenTheSinkFails_SurfacesTheFailure()
    {
        // A failing write must not be lost on its background task: the pipeline stops with its exception.
        var grid = GdalTools.Grid(64, 100);
        var dem = new MemoryRaster(grid, Random(64, 100, 4));
        var ex = Assert.Throws<IOException>(() => SlopeAspect.Slope(dem, new FailingSink(grid, 40), 30, 30, SlopeUnit.Degrees, new RasterOptions { StripRows = 16 }));
        Assert.Equal("disk full", ex.Message);
        Assert.Throws<IOException>(() => Rasterizer.Burn([(new GeometryFactory().CreatePoint(new Coordinate(500_100, 4_979_900)), 1f)], new FailingSink(grid, 0)));
    }

    [Fact]
    public void Distance_WithoutAnySource_IsNaNEverywhere()
    {
        var mask = new RasterBuffer<byte>(40, 30);
        var result = DistanceTransform.Compute(mask, 30, 30);
        Assert.All(result.Distance.Data, d => Assert.True(float.IsNaN(d)));
        Assert.All(result.NearestIndex.Data, i => Assert.Equal(-1, i));
    }

    [Theory]
    [InlineData(256, 256)]
    [InlineData(300, 1)] // stripped file: one-row blocks
    public void GdalSource_BlockReads_EqualWindowedReads(int blockX, int blockY)
    {
        // 300×200 with 64×64 tiles leaves partial edge blocks on both axes.
        const int w = 300, h = 200;
        var data = Random(w, h, 21, nodataFraction: 0.05);
        var path = _dir.File($"src-{blockX}x{blockY}.tif");
        string[] options = blockY == 1 ? ["TILED=NO", "BLOCKYSIZE=1"] : ["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64"];
        using (var sink = new GdalRasterSink(path, GdalTools.Grid(w, h), creationOptions: options))
        {
            sink.WriteAll(data);
        }

        using var source = new GdalRasterSource(path);
        var aligned = new float[w * h]; // whole block rows: the block-direct path
        for (var y = 0; y < h; y += 64)
        {
            var rows = Math.Min(64, h - y);
            source.ReadRows(y, rows, aligned.AsSpan(y * w, rows * w));
        }

        var unaligned = new float[w * h]; // windows that straddle blocks: GDAL's windowed path
        for (var y = 0; y < h; y += 37)
        {
            var rows = Math.Min(37, h - y);
            source.ReadRows(y, rows, unaligned.AsSpan(y * w, rows * w));
        }

        Assert.Equal(data.Data, aligned);
        Assert.Equal(data.Data, unaligned);
    }

    [Theory]
    [InlineData(new[] { 200 })]
    [InlineData(new[] { 64, 64, 64, 8 })]
    [InlineData(new[] { 17, 30, 100, 53 })] // partial block rows kept pending until complete
    [InlineData(new[] { 1, 1, 198 })]
    public void GdalSink_SequentialWrites_InAnyChunking_WriteTheSameFile(int[] chunks)
    {
        const int w = 300, h = 200;
        var data = Random(w, h, 8, nodataFraction: 0.05);
        var path = _dir.File($"sink-{string.Join('-', chunks)}.tif");
        using (var sink = new GdalRasterSink(path, GdalTools.Grid(w, h), creationOptions: ["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64"]))
        {
            var y = 0;
            foreach (var rows in chunks)
            {
                sink.WriteRows(y, rows, data.Data.AsSpan(y * w, rows * w));
                y += rows;
            }
        }

        using var dataset = RasterDataset.Open(path);
        var raw = new float[w * h];
        dataset.Read(1, 0, 0, w, h, raw.AsSpan());
        Assert.Equal(data.Data.Select(v => float.IsNaN(v) ? -9999f : v), raw);
    }

    [Fact]
    public void GdalSink_OutOfOrderWrites_FallBackAndStillWriteEverything()
    {
        const int w = 150, h = 130;
        var data = Random(w, h, 9, nodataFraction: 0.05);
        var path = _dir.File("sink-out-of-order.tif");
        using (var sink = new GdalRasterSink(path, GdalTools.Grid(w, h), creationOptions: ["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64"]))
        {
            sink.WriteRows(0, 70, data.Data.AsSpan(0, 70 * w)); // one block row direct, 6 rows pending
            sink.WriteRows(100, 30, data.Data.AsSpan(100 * w, 30 * w)); // a jump: pending rows flushed, windowed from here
            sink.WriteRows(70, 30, data.Data.AsSpan(70 * w, 30 * w));
        }

        var read = GdalTools.Read(path, out var noData);
        Assert.Equal(-9999, noData);
        Assert.Equal(data.Data, read.Data);
    }
}
