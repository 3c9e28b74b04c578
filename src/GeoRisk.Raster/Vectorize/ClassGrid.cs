using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GeoRisk.Raster.Vectorize;

/// <summary>
/// A class raster as small integer indices into a palette of its distinct values, with a one-cell border
/// of index 0 (nodata and outside the grid are one "no class" value): bytes for up to 255 classes, which
/// is 4× less memory to fault in and walk than the float band, and lets the tracer look at the four cells
/// around a lattice corner without bounds checks.
/// </summary>
internal sealed class ClassGrid<T> where T : unmanaged, IBinaryInteger<T>
{
    private ClassGrid(T[] cells, int width, int height, float[] palette)
    {
        Cells = cells;
        Width = width;
        Height = height;
        Palette = palette;
    }

    /// <summary>(Width + 2) × (Height + 2) indices, row-major; cell (x, y) is at (y + 1)·Stride + x + 1.</summary>
    public T[] Cells { get; }

    public int Width { get; }

    public int Height { get; }

    public int Stride => Width + 2;

    /// <summary>The value of each index; index 0 is nodata.</summary>
    public float[] Palette { get; }

    /// <summary>
    /// Reads the source strip by strip into indices. Returns null when the source has more distinct values
    /// than <typeparamref name="T"/> can index (the caller retries with a wider type).
    /// </summary>
    public static ClassGrid<T>? Read(IRasterSource source, CancellationToken cancellationToken)
    {
        int w = source.Grid.Width, h = source.Grid.Height;
        var stride = w + 2;
        if ((long)stride * (h + 2) > Array.MaxLength)
        {
            throw new NotSupportedException($"A {w}x{h} grid is too large to polygonize in memory.");
        }

        var limit = typeof(T) == typeof(byte) ? byte.MaxValue : typeof(T) == typeof(ushort) ? ushort.MaxValue : int.MaxValue;
        var cells = GC.AllocateUninitializedArray<T>(stride * (h + 2));
        cells.AsSpan(0, stride).Clear();
        cells.AsSpan((h + 1) * stride).Clear();
        var palette = new List<float> { float.NaN };
        var index = new Dictionary<float, int>();
        var rows = Math.Max(1, Math.Min(h, (1 << 20) / Math.Max(1, w)));
        var strip = GC.AllocateUninitializedArray<float>(rows * w);
        for (var y0 = 0; y0 < h; y0 += rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(rows, h - y0);
            source.ReadRows(y0, n, strip.AsSpan(0, n * w));
            for (var r = 0; r < n; r++)
            {
                var row = cells.AsSpan(((y0 + r + 1) * stride) + 1, w);
                cells[(y0 + r + 1) * stride] = T.Zero;
                cells[((y0 + r + 1) * stride) + w + 1] = T.Zero;
                if (!Map(strip.AsSpan(r * w, w), row, palette, index, limit))
                {
                    return null;
                }
            }
        }

        return new ClassGrid<T>(cells, w, h, [.. palette]);
    }

    /// <summary>Maps one row of values to indices: each run of bitwise-equal values is found eight cells at a time and filled at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Map(ReadOnlySpan<float> values, Span<T> output, List<float> palette, Dictionary<float, int> index, int limit)
    {
        var last = float.NaN;
        var lastIndex = T.Zero;
        var n = values.Length;
        for (var x = 0; x < n;)
        {
            var bits = BitConverter.SingleToUInt32Bits(last);
            var end = x;
            if (Vector256.IsHardwareAccelerated)
            {
                var run = Vector256.Create(bits);
                while (end + 8 <= n && Vector256.EqualsAll(Vector256.Create(values.Slice(end, 8)).AsUInt32(), run))
                {
                    end += 8;
                }
            }

            while (end < n && BitConverter.SingleToUInt32Bits(values[end]) == bits)
            {
                end++;
            }

            output[x..end].Fill(lastIndex);
            if (end == n)
            {
                break;
            }

            if (!Cell(values[end], ref last, ref lastIndex, palette, index, limit))
            {
                return false;
            }

            output[end] = lastIndex;
            x = end + 1;
        }

        return true;
    }

    /// <summary>The index of one cell's value, reusing the last one when equal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Cell(float v, ref float last, ref T lastIndex, List<float> palette, Dictionary<float, int> index, int limit)
    {
        // Equals: NaN matches NaN, 0 matches −0, as the tracer compares classes.
        if (v.Equals(last))
        {
            return true;
        }

        last = v;
        if (float.IsNaN(v))
        {
            lastIndex = T.Zero;
            return true;
        }

        if (!index.TryGetValue(v, out var i))
        {
            if (palette.Count > limit)
            {
                return false;
            }

            i = palette.Count;
            palette.Add(v);
            index[v] = i;
        }

        lastIndex = T.CreateTruncating(i);
        return true;
    }
}
