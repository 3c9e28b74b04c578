using System.Runtime.InteropServices;

namespace GeoRisk.Raster;

/// <summary>
/// A contiguous row-major band in memory (ImageSharp's Buffer2D shape): width, height and one array, rows
/// reached with <see cref="GetRow"/>. Float bands use NaN for nodata inside the engine, so IEEE arithmetic
/// propagates it without masks.
/// </summary>
public sealed class RasterBuffer<T> where T : unmanaged
{
    /// <summary>A zero-filled band.</summary>
    public RasterBuffer(int width, int height)
        : this(width, height, new T[checked(Math.Max(0, width) * Math.Max(0, height))])
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
    }

    /// <summary>A band whose contents are undefined: only for outputs that a kernel writes completely (saves a memory pass).</summary>
    internal static RasterBuffer<T> Uninitialized(int width, int height) =>
        new(width, height, GC.AllocateUninitializedArray<T>(checked(width * height)));

    public RasterBuffer(int width, int height, T[] data)
    {
        if (data.Length != (long)width * height)
        {
            throw new ArgumentException($"Data has {data.Length} elements, not {width}x{height}.", nameof(data));
        }

        Width = width;
        Height = height;
        Data = data;
    }

    public int Width { get; }

    public int Height { get; }

    public T[] Data { get; }

    public Span<T> Span => Data;

    public Span<T> GetRow(int y) => Data.AsSpan(y * Width, Width);

    public ref T this[int x, int y] => ref Data[(y * Width) + x];

    public void Fill(T value) => Data.AsSpan().Fill(value);

    public Span<byte> AsBytes() => MemoryMarshal.AsBytes(Data.AsSpan());
}
