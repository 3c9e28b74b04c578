namespace GeoRisk.Raster.MapAlgebra;

/// <summary>Runs an expression over whole grids: in memory, or streamed strip by strip with bounded memory.</summary>
public static class RasterCalculator
{
    /// <summary>Evaluates over in-memory grids of equal size, rows in parallel.</summary>
    public static void Run(Expression expression, IReadOnlyList<RasterBuffer<float>> inputs, RasterBuffer<float> output, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        CheckInputs(expression, inputs.Count);
        foreach (var input in inputs)
        {
            if (input.Width != output.Width || input.Height != output.Height)
            {
                throw new ArgumentException($"Input is {input.Width}x{input.Height}, output {output.Width}x{output.Height}; grids must match.", nameof(inputs));
            }
        }

        var width = output.Width;
        ParallelRows.For(output.Height, width, options, (y0, y1) =>
        {
            var slices = inputs.Select(i => (ReadOnlyMemory<float>)i.Data.AsMemory(y0 * width, (y1 - y0) * width)).ToArray();
            expression.Evaluate(slices, output.Data.AsSpan(y0 * width, (y1 - y0) * width), options.Vectorize);
        });
    }

    /// <summary>
    /// Streams sources through the expression into the sink strip by strip. Memory is bounded by
    /// (sources + 1) × 2 strips; the next strip is read while the current one is computed and written.
    /// </summary>
    public static void Run(Expression expression, IReadOnlyList<IRasterSource> sources, IRasterSink sink, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        CheckInputs(expression, sources.Count);
        var grid = sink.Grid;
        foreach (var s in sources)
        {
            if (!s.Grid.IsAlignedWith(grid))
            {
                throw new ArgumentException($"Input grid {s.Grid.Width}x{s.Grid.Height} is not aligned with the output {grid.Width}x{grid.Height}; resample it first.", nameof(sources));
            }
        }

        var stripRows = options.StripRows > 0 ? options.StripRows : Math.Max(1, sources.Count > 0 ? sources[0].PreferredStripRows : 256);
        // At least ~4 Mi cells per strip so threads have work, but never more rows than the grid.
        stripRows = Math.Min(grid.Height, Math.Max(stripRows, (4 << 20) / Math.Max(1, grid.Width) / stripRows * stripRows));
        var width = grid.Width;
        float[][] Allocate() => sources.Select(_ => new float[stripRows * width]).ToArray();
        var current = Allocate();
        var next = Allocate();
        var output = new float[stripRows * width];

        void ReadStrip(float[][] buffers, int y)
        {
            var rows = Math.Min(stripRows, grid.Height - y);
            for (var i = 0; i < sources.Count; i++)
            {
                sources[i].ReadRows(y, rows, buffers[i].AsSpan(0, rows * width));
            }
        }

        ReadStrip(current, 0);
        for (var y = 0; y < grid.Height; y += stripRows)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            var rows = Math.Min(stripRows, grid.Height - y);
            var nextY = y + stripRows;
            var prefetch = nextY < grid.Height ? Task.Run(() => ReadStrip(next, nextY)) : Task.CompletedTask;
            var strip = current;
            ParallelRows.For(rows, width, options, (r0, r1) =>
            {
                var slices = strip.Select(b => (ReadOnlyMemory<float>)b.AsMemory(r0 * width, (r1 - r0) * width)).ToArray();
                expression.Evaluate(slices, output.AsSpan(r0 * width, (r1 - r0) * width), options.Vectorize);
            });
            sink.WriteRows(y, rows, output.AsSpan(0, rows * width));
            prefetch.GetAwaiter().GetResult();
            (current, next) = (next, current);
            options.Progress?.Report(Math.Min(1.0, (y + rows) / (double)grid.Height));
        }
    }

    private static void CheckInputs(Expression expression, int count)
    {
        if (count != expression.Variables.Count)
        {
            throw new ArgumentException($"The expression uses {expression.Variables.Count} bands ({string.Join(", ", expression.Variables)}); {count} were given.");
        }
    }
}
