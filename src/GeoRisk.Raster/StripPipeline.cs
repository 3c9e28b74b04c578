namespace GeoRisk.Raster;

/// <summary>The input rows a strip kernel may look at: its own strip plus the halo rows above and below.</summary>
public sealed class StripWindow
{
    private readonly float[][][] _ring; // [source][ring slot][rows × width]
    private readonly int _stripRows;

    internal StripWindow(float[][][] ring, int stripRows, GridSpec grid)
    {
        _ring = ring;
        _stripRows = stripRows;
        Grid = grid;
    }

    public GridSpec Grid { get; }

    /// <summary>Row <paramref name="y"/> of source <paramref name="source"/>; empty outside the grid.</summary>
    public ReadOnlySpan<float> Row(int source, int y)
    {
        if (y < 0 || y >= Grid.Height)
        {
            return [];
        }

        var width = Grid.Width;
        return _ring[source][(y / _stripRows) % _ring[source].Length].AsSpan((y % _stripRows) * width, width);
    }

    /// <summary>Rows [<paramref name="y0"/>, <paramref name="y1"/>) of one source, which must lie in one strip.</summary>
    public ReadOnlyMemory<float> Rows(int source, int y0, int y1)
    {
        if (y0 / _stripRows != (y1 - 1) / _stripRows)
        {
            throw new ArgumentOutOfRangeException(nameof(y1), "Rows must lie within one strip.");
        }

        var width = Grid.Width;
        return _ring[source][(y0 / _stripRows) % _ring[source].Length].AsMemory((y0 % _stripRows) * width, (y1 - y0) * width);
    }
}

/// <summary>Computes output rows [y0, y1) into <paramref name="output"/> (rows × width) from the window.</summary>
public delegate void StripKernel(StripWindow input, int y0, int y1, Span<float> output);

/// <summary>
/// Streams sources through a row kernel into a sink with bounded memory, three stages overlapping: strip
/// k + 2 is read and strip k − 1 written while strip k is computed on all threads. A halo of one row
/// (3×3 neighbourhoods) is served from the neighbouring strips kept in a ring of four, so every read is a
/// whole, block-aligned strip (the GDAL adapter's fast path).
/// </summary>
public static class StripPipeline
{
    public static void Run(IReadOnlyList<IRasterSource> sources, IRasterSink sink, RasterOptions options, StripKernel kernel, int halo = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(halo);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(halo, 1);
        var grid = sink.Grid;
        CheckAligned(sources, grid);
        int width = grid.Width, height = grid.Height;
        if (height == 0 || width == 0)
        {
            return;
        }

        var stripRows = options.StripRowsFor(width, height, sources.Count > 0 ? sources[0].PreferredStripRows : 256);
        var strips = (height + stripRows - 1) / stripRows;
        int RowsOf(int k) => Math.Min(stripRows, height - (k * stripRows));

        const int slots = 4; // k − 1 (halo), k, k + 1 (halo / next), k + 2 (being read)
        var ring = sources.Select(_ => Enumerable.Range(0, slots).Select(_ => GC.AllocateUninitializedArray<float>(stripRows * width)).ToArray()).ToArray();
        var window = new StripWindow(ring, stripRows, grid);
        var outputs = new[] { GC.AllocateUninitializedArray<float>(stripRows * width), GC.AllocateUninitializedArray<float>(stripRows * width) };

        void Read(int k)
        {
            for (var i = 0; i < sources.Count; i++)
            {
                sources[i].ReadRows(k * stripRows, RowsOf(k), ring[i][k % slots].AsSpan(0, RowsOf(k) * width));
            }
        }

        var reading = Task.CompletedTask;
        using var writer = new BackgroundStripWriter(sink);
        try
        {
            Read(0);
            if (strips > 1)
            {
                reading = Task.Run(() => Read(1));
            }

            for (var k = 0; k < strips; k++)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                reading.GetAwaiter().GetResult(); // strip k + 1 is in

                var next = k + 2;
                reading = next < strips ? Task.Run(() => Read(next)) : Task.CompletedTask;
                var y0 = k * stripRows;
                var rows = RowsOf(k);
                var output = outputs[k % 2]; // its previous write (k − 2) finished before k − 1's began
                ParallelRows.For(rows, width, options, (r0, r1) =>
                    kernel(window, y0 + r0, y0 + r1, output.AsSpan(r0 * width, (r1 - r0) * width)));
                writer.Write(y0, rows, output);
                options.Progress?.Report((double)(y0 + rows) / height);
            }

            writer.Complete();
        }
        finally
        {
            // Never leave a read running against a source the caller is about to dispose (the writer
            // waits for its own write when disposed).
            try
            {
                reading.Wait();
            }
            catch (AggregateException)
            {
                // already surfaced above, or superseded by the exception in flight
            }
        }
    }

    /// <exception cref="ArgumentException">A source is not on the output's grid.</exception>
    private static void CheckAligned(IReadOnlyList<IRasterSource> sources, GridSpec grid)
    {
        foreach (var s in sources)
        {
            if (!s.Grid.IsAlignedWith(grid))
            {
                throw new ArgumentException(
                    $"Input grid {s.Grid.Width}x{s.Grid.Height} is not aligned with the output {grid.Width}x{grid.Height}; resample it first.",
                    nameof(sources));
            }
        }
    }
}

/// <summary>
/// Hands finished strips to a sink on a background task, one write at a time, so the caller computes the
/// next strip meanwhile (double buffering: a buffer may be reused once the following strip has been
/// handed over). Disposing waits for the write in flight, so a sink is never disposed under it.
/// </summary>
public sealed class BackgroundStripWriter(IRasterSink sink) : IDisposable
{
    private Task _writing = Task.CompletedTask;

    /// <summary>Waits for the previous strip's write (rethrowing its failure), then starts writing rows [y, y + rows) from <paramref name="buffer"/>.</summary>
    public void Write(int y, int rows, float[] buffer)
    {
        _writing.GetAwaiter().GetResult();
        var width = sink.Grid.Width;
        _writing = Task.Run(() => sink.WriteRows(y, rows, buffer.AsSpan(0, rows * width)));
    }

    /// <summary>Waits for the last write and rethrows its failure.</summary>
    public void Complete() => _writing.GetAwaiter().GetResult();

    public void Dispose()
    {
        try
        {
            _writing.Wait();
        }
        catch (AggregateException)
        {
            // surfaced by Write or Complete, or superseded by the exception in flight
        }
    }
}
