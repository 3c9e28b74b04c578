using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GeoRisk.Raster.MapAlgebra;

/// <summary>An element-wise binary operation with a scalar and a Vector256 form (the TensorPrimitives operator shape).</summary>
internal interface IBinaryKernel
{
    static abstract float Invoke(float a, float b);

    static abstract Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
}

/// <summary>
/// Kernels TensorPrimitives lacks: comparisons and logic with NaN (nodata) propagation, where/isnull and
/// reclassification. Each has a Vector256 loop and the scalar form for tails and for machines without AVX.
/// </summary>
[SkipLocalsInit]
internal static class Kernels
{
    /// <summary>When false the scalar forms run everywhere (tests compare both).</summary>
    internal static bool VectorsEnabled(bool requested) => requested && Vector256.IsHardwareAccelerated;

    public static void Binary<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination, bool vectorize) where TOp : IBinaryKernel
    {
        if (a.Length != b.Length || destination.Length < a.Length)
        {
            ThrowLengths();
        }

        var n = (nuint)a.Length;
        nuint i = 0;
        // Refs and nuint indices: the lengths were checked once above, so the JIT needs no bounds checks.
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        ref var rd = ref MemoryMarshal.GetReference(destination);
        if (VectorsEnabled(vectorize) && n >= (nuint)Vector256<float>.Count)
        {
            var last = n - (nuint)Vector256<float>.Count;
            for (; i <= last; i += (nuint)Vector256<float>.Count)
            {
                TOp.Invoke(Vector256.LoadUnsafe(ref ra, i), Vector256.LoadUnsafe(ref rb, i)).StoreUnsafe(ref rd, i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rd, i) = TOp.Invoke(Unsafe.Add(ref ra, i), Unsafe.Add(ref rb, i));
        }
    }

    public static void Where(
        ReadOnlySpan<float> condition, ReadOnlySpan<float> whenTrue, ReadOnlySpan<float> whenFalse, Span<float> destination, bool vectorize)
    {
        if (condition.Length != whenTrue.Length || condition.Length != whenFalse.Length || destination.Length < condition.Length)
        {
            ThrowLengths();
        }

        var n = (nuint)condition.Length;
        nuint i = 0;
        ref var rc = ref MemoryMarshal.GetReference(condition);
        ref var rt = ref MemoryMarshal.GetReference(whenTrue);
        ref var rf = ref MemoryMarshal.GetReference(whenFalse);
        ref var rd = ref MemoryMarshal.GetReference(destination);
        if (VectorsEnabled(vectorize) && n >= (nuint)Vector256<float>.Count)
        {
            var nan = Vector256.Create(float.NaN);
            var last = n - (nuint)Vector256<float>.Count;
            for (; i <= last; i += (nuint)Vector256<float>.Count)
            {
                var c = Vector256.LoadUnsafe(ref rc, i);
                var chosen = Vector256.ConditionalSelect(
                    Vector256.Equals(c, Vector256<float>.Zero), Vector256.LoadUnsafe(ref rf, i), Vector256.LoadUnsafe(ref rt, i));
                Vector256.ConditionalSelect(Vector256.Equals(c, c), chosen, nan).StoreUnsafe(ref rd, i);
            }
        }

        for (; i < n; i++)
        {
            var c = Unsafe.Add(ref rc, i);
            Unsafe.Add(ref rd, i) = float.IsNaN(c) ? float.NaN : c != 0 ? Unsafe.Add(ref rt, i) : Unsafe.Add(ref rf, i);
        }
    }

    public static void IsNull(ReadOnlySpan<float> x, Span<float> destination, bool vectorize)
    {
        var n = (nuint)x.Length;
        nuint i = 0;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rd = ref MemoryMarshal.GetReference(destination);
        if (VectorsEnabled(vectorize) && n >= (nuint)Vector256<float>.Count)
        {
            var one = Vector256.Create(1f);
            var last = n - (nuint)Vector256<float>.Count;
            for (; i <= last; i += (nuint)Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref rx, i);
                Vector256.ConditionalSelect(Vector256.Equals(v, v), Vector256<float>.Zero, one).StoreUnsafe(ref rd, i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rd, i) = float.IsNaN(Unsafe.Add(ref rx, i)) ? 1f : 0f;
        }
    }

    /// <summary>values[k] where breaks[k-1] ≤ x &lt; breaks[k] (values has one more entry than breaks); NaN stays NaN.</summary>
    public static void Reclass(ReadOnlySpan<float> x, ReadOnlySpan<float> breaks, ReadOnlySpan<float> values, Span<float> destination, bool vectorize)
    {
        var n = (nuint)x.Length;
        nuint i = 0;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rd = ref MemoryMarshal.GetReference(destination);
        if (VectorsEnabled(vectorize) && n >= (nuint)Vector256<float>.Count)
        {
            var nan = Vector256.Create(float.NaN);
            var first = Vector256.Create(values[0]);
            var last = n - (nuint)Vector256<float>.Count;
            for (; i <= last; i += (nuint)Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref rx, i);
                var r = first;
                for (var k = 0; k < breaks.Length; k++)
                {
                    r = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(v, Vector256.Create(breaks[k])), Vector256.Create(values[k + 1]), r);
                }

                Vector256.ConditionalSelect(Vector256.Equals(v, v), r, nan).StoreUnsafe(ref rd, i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rd, i) = ReclassScalar(Unsafe.Add(ref rx, i), breaks, values);
        }
    }

    public static float ReclassScalar(float v, ReadOnlySpan<float> breaks, ReadOnlySpan<float> values)
    {
        if (float.IsNaN(v))
        {
            return float.NaN;
        }

        var r = values[0];
        for (var k = 0; k < breaks.Length; k++)
        {
            if (v >= breaks[k])
            {
                r = values[k + 1];
            }
        }

        return r;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowLengths() => throw new ArgumentException("Input and output spans must have the same length.");
}

/// <summary>Comparison and logic operators: 1 for true, 0 for false, NaN when either side is nodata.</summary>
internal static class ComparisonOps
{
    private static Vector256<float> Result(Vector256<float> mask, Vector256<float> a, Vector256<float> b)
    {
        var value = Vector256.ConditionalSelect(mask, Vector256.Create(1f), Vector256<float>.Zero);
        var valid = Vector256.Equals(a, a) & Vector256.Equals(b, b);
        return Vector256.ConditionalSelect(valid, value, Vector256.Create(float.NaN));
    }

    private static float Result(bool value, float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : value ? 1f : 0f;

    public readonly struct Less : IBinaryKernel
    {
        public static float Invoke(float a, float b) => Result(a < b, a, b);

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Result(Vector256.LessThan(a, b), a, b);
    }

    public readonly struct LessOrEqual : IBinaryKernel
    {
        public static float Invoke(float a, float b) => Result(a <= b, a, b);

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Result(Vector256.LessThanOrEqual(a, b), a, b);
    }

    public readonly struct Greater : IBinaryKernel
    {
        public static float Invoke(float a, float b) => Result(a > b, a, b);

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Result(Vector256.GreaterThan(a, b), a, b);
    }

    public readonly struct GreaterOrEqual : IBinaryKernel
    {
        public static float Invoke(float a, float b) => Result(a >= b, a, b);

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Result(Vector256.GreaterThanOrEqual(a, b), a, b);
    }

    public readonly struct Equal : IBinaryKernel
    {
        public static float Invoke(float a, float b) => Result(a == b, a, b);

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Result(Vector256.Equals(a, b), a, b);
    }

    public readonly struct NotEqual : IBinaryKernel
    {
        public static float Invoke(float a, float b) => Result(a != b, a, b);

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Result(~Vector256.Equals(a, b), a, b);
    }

    public readonly struct And : IBinaryKernel
    {
        public static float Invoke(float a, float b) => Result(a != 0 && b != 0, a, b);

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
            Result(~Vector256.Equals(a, Vector256<float>.Zero) & ~Vector256.Equals(b, Vector256<float>.Zero), a, b);
    }

    public readonly struct Or : IBinaryKernel
    {
        public static float Invoke(float a, float b) => Result(a != 0 || b != 0, a, b);

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
            Result(~Vector256.Equals(a, Vector256<float>.Zero) | ~Vector256.Equals(b, Vector256<float>.Zero), a, b);
    }
}
