namespace GeoRisk.Raster.Blocks;

/// <summary>The range and count of a grid's valid cells, summed block by block (first pass of a histogram).</summary>
public sealed class ValueRange
{
    public float Min { get; private set; } = float.MaxValue;

    public float Max { get; private set; } = float.MinValue;

    public long Count { get; private set; }

    public bool IsEmpty => Count == 0;

    public void Add(ReadOnlySpan<float> values)
    {
        var (min, max, count) = (Min, Max, Count);
        foreach (var v in values)
        {
            if (!float.IsNaN(v))
            {
                (min, max) = (Math.Min(min, v), Math.Max(max, v));
                count++;
            }
        }

        (Min, Max, Count) = (min, max, count);
    }

    public void Merge(ValueRange other)
    {
        if (other.Count == 0)
        {
            return;
        }

        (Min, Max, Count) = (Math.Min(Min, other.Min), Math.Max(Max, other.Max), Count + other.Count);
    }

    public static ValueRange From(float min, float max, long count) => new() { Min = min, Max = max, Count = count };
}

/// <summary>
/// An equal-width histogram of valid cells over a known range (the second pass), summed block by block: bin
/// counts add up, so the blocked histogram equals the whole grid's exactly. The ROC-AUC and the success-rate
/// curve of a zoning run read it (docs/DOMAIN.md §5).
/// </summary>
public sealed class ValueHistogram
{
    public const int DefaultBins = 65536;

    public ValueHistogram(float min, float max, int bins = DefaultBins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        Min = min;
        Max = max;
        Bins = bins;
        Scale = max > min ? (bins - 1) / (double)(max - min) : 0;
        Cells = new long[bins];
    }

    public float Min { get; }

    public float Max { get; }

    public int Bins { get; }

    public double Scale { get; }

    public long[] Cells { get; }

    public long Total { get; private set; }

    /// <summary>The bin of a value inside the range (float difference, then the double scale, as the zoning run always computed it).</summary>
    public int BinOf(float v) => (int)((v - Min) * Scale);

    public void Add(ReadOnlySpan<float> values)
    {
        long total = 0;
        foreach (var v in values)
        {
            if (!float.IsNaN(v))
            {
                Cells[BinOf(v)]++;
                total++;
            }
        }

        Total += total;
    }

    public void Merge(ValueHistogram other)
    {
        if (other.Bins != Bins || other.Min != Min || other.Max != Max)
        {
            throw new ArgumentException("Histograms over different ranges cannot be merged.", nameof(other));
        }

        for (var i = 0; i < Bins; i++)
        {
            Cells[i] += other.Cells[i];
        }

        Total += other.Total;
    }

    /// <summary>Rebuilds a histogram from its counts (carried between processes).</summary>
    public static ValueHistogram FromCounts(float min, float max, long[] cells)
    {
        var h = new ValueHistogram(min, max, cells.Length);
        cells.CopyTo(h.Cells, 0);
        h.Total = cells.Sum();
        return h;
    }
}

/// <summary>
/// Cell counts per pair of labels of two aligned grids (e.g. county × grade for the census), summed block by
/// block. Labels are small non-negative integers; NaN or labels out of range are not counted.
/// </summary>
public sealed class CrossTabulation
{
    public CrossTabulation(int rowLabels, int columnLabels)
    {
        RowLabels = rowLabels;
        ColumnLabels = columnLabels;
        Counts = new long[rowLabels * columnLabels];
    }

    public int RowLabels { get; }

    public int ColumnLabels { get; }

    /// <summary>Row-major counts: [row label · <see cref="ColumnLabels"/> + column label].</summary>
    public long[] Counts { get; }

    public long this[int row, int column] => Counts[(row * ColumnLabels) + column];

    public void Add(ReadOnlySpan<float> rows, ReadOnlySpan<float> columns)
    {
        if (rows.Length != columns.Length)
        {
            throw new ArgumentException("The two label windows differ in size.", nameof(columns));
        }

        for (var i = 0; i < rows.Length; i++)
        {
            float r = rows[i], c = columns[i];
            if (r >= 0 && r < RowLabels && c >= 0 && c < ColumnLabels)
            {
                Counts[((int)r * ColumnLabels) + (int)c]++;
            }
        }
    }

    public void Merge(CrossTabulation other)
    {
        if (other.RowLabels != RowLabels || other.ColumnLabels != ColumnLabels)
        {
            throw new ArgumentException("Tables of different shapes cannot be merged.", nameof(other));
        }

        for (var i = 0; i < Counts.Length; i++)
        {
            Counts[i] += other.Counts[i];
        }
    }
}
