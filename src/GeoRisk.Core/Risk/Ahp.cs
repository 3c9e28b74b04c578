namespace GeoRisk.Core.Risk;

/// <summary>Weights from an AHP pairwise comparison matrix, with Saaty's consistency check.</summary>
/// <param name="Weights">Normalised principal eigenvector (sums to 1).</param>
/// <param name="LambdaMax">Principal eigenvalue.</param>
/// <param name="ConsistencyIndex">CI = (λmax − n)/(n − 1).</param>
/// <param name="ConsistencyRatio">CR = CI/RI; null for n ≤ 2, where every matrix is consistent.</param>
public sealed record AhpResult(IReadOnlyList<double> Weights, double LambdaMax, double ConsistencyIndex, double? ConsistencyRatio)
{
    /// <summary>Saaty's threshold: a matrix with CR ≥ 0.10 is rejected.</summary>
    public const double MaxConsistencyRatio = 0.10;

    public bool IsConsistent => ConsistencyRatio is null || ConsistencyRatio < MaxConsistencyRatio;
}

/// <summary>
/// The Analytic Hierarchy Process (docs/DOMAIN.md §3): weights are the principal eigenvector of the reciprocal
/// pairwise matrix, found by power iteration (the matrix is positive, so Perron-Frobenius guarantees
/// convergence to it), and the consistency ratio uses Saaty's random indices.
/// </summary>
public static class Ahp
{
    /// <summary>Random consistency index RI for n = 1..11 (docs/DOMAIN.md §3).</summary>
    public static readonly IReadOnlyList<double> RandomIndex = [0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51];

    /// <exception cref="ArgumentException">The matrix is not square, not positive, or not reciprocal (a[j,i] = 1/a[i,j] within 1 %).</exception>
    public static AhpResult Compute(double[,] matrix)
    {
        CheckMatrix(matrix);
        var n = matrix.GetLength(0);
        var w = PrincipalEigenvector(matrix);
        var lambda = LambdaMax(matrix, w);
        var ci = n > 1 ? (lambda - n) / (n - 1) : 0;
        double? cr = n <= 2 ? null : ci / RandomIndex[n - 1];
        return new AhpResult(w, lambda, ci, cr);
    }

    /// <summary>Square, at most <see cref="RandomIndex"/> factors, positive and reciprocal.</summary>
    private static void CheckMatrix(double[,] matrix)
    {
        var n = matrix.GetLength(0);
        if (n == 0 || n != matrix.GetLength(1))
        {
            throw new ArgumentException(
                $"The pairwise matrix must be square; it is {matrix.GetLength(0)}x{matrix.GetLength(1)}.", nameof(matrix));
        }

        if (n > RandomIndex.Count)
        {
            throw new ArgumentException(
                $"At most {RandomIndex.Count} factors can be compared (random indices are tabulated up to n = {RandomIndex.Count}).", nameof(matrix));
        }

        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var a = matrix[i, j];
                if (!(a > 0) || double.IsInfinity(a))
                {
                    throw new ArgumentException(
                        $"Entry [{i + 1},{j + 1}] = {a} must be a positive number (Saaty scale 1/9..9).", nameof(matrix));
                }

                if (Math.Abs((a * matrix[j, i]) - 1) > 0.01)
                {
                    throw new ArgumentException(
                        $"The matrix is not reciprocal: [{i + 1},{j + 1}] = {a} but [{j + 1},{i + 1}] = {matrix[j, i]} (should be {1 / a:0.###}).",
                        nameof(matrix));
                }
            }
        }
    }

    /// <summary>Power iteration from the uniform vector, normalised to sum 1 each step, until it moves less than 1e-15.</summary>
    private static double[] PrincipalEigenvector(double[,] matrix)
    {
        var n = matrix.GetLength(0);
        var w = Enumerable.Repeat(1.0 / n, n).ToArray();
        var next = new double[n];
        for (var iteration = 0; iteration < 1000; iteration++)
        {
            for (var i = 0; i < n; i++)
            {
                next[i] = RowDot(matrix, i, w);
            }

            var total = next.Sum();
            var change = 0.0;
            for (var i = 0; i < n; i++)
            {
                next[i] /= total;
                change = Math.Max(change, Math.Abs(next[i] - w[i]));
            }

            (w, next) = (next, w);
            if (change < 1e-15)
            {
                break;
            }
        }

        return w;
    }

    /// <summary>λmax = mean over rows of (A·w)_i / w_i.</summary>
    private static double LambdaMax(double[,] matrix, double[] w)
    {
        var n = matrix.GetLength(0);
        double lambda = 0;
        for (var i = 0; i < n; i++)
        {
            lambda += RowDot(matrix, i, w) / w[i];
        }

        return lambda / n;
    }

    private static double RowDot(double[,] matrix, int row, double[] w)
    {
        double s = 0;
        for (var j = 0; j < w.Length; j++)
        {
            s += matrix[row, j] * w[j];
        }

        return s;
    }

    /// <summary>Builds the full reciprocal matrix from its upper triangle (row by row, a12, a13, …, a23, …).</summary>
    public static double[,] FromUpperTriangle(int n, IReadOnlyList<double> upper)
    {
        if (upper.Count != n * (n - 1) / 2)
        {
            throw new ArgumentException($"{n} factors need {n * (n - 1) / 2} upper-triangle judgements, not {upper.Count}.", nameof(upper));
        }

        var m = new double[n, n];
        var k = 0;
        for (var i = 0; i < n; i++)
        {
            m[i, i] = 1;
            for (var j = i + 1; j < n; j++)
            {
                m[i, j] = upper[k++];
                m[j, i] = 1 / m[i, j];
            }
        }

        return m;
    }
}
