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
    /// Streams sources through the expression into the sink strip by strip, with bounded memory; reading,
    /// computing and writing overlap (<see cref="StripPipeline"/>).
    /// </summary>
    public static void Run(Expression expression, IReadOnlyList<IRasterSource> sources, IRasterSink sink, RasterOptions? options = null)
    {
        options ??= new RasterOptions();
        CheckInputs(expression, sources.Count);
        var indices = Enumerable.Range(0, sources.Count).ToArray();
        StripPipeline.Run(sources, sink, options, (window, y0, y1, output) =>
            expression.Evaluate(indices.Select(i => window.Rows(i, y0, y1)).ToArray(), output, options.Vectorize));
    }

    private static void CheckInputs(Expression expression, int count)
    {
        if (count != expression.Variables.Count)
        {
            throw new ArgumentException($"The expression uses {expression.Variables.Count} bands ({string.Join(", ", expression.Variables)}); {count} were given.");
        }
    }
}
