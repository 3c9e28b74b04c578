using GeoRisk.Raster.MapAlgebra;

namespace GeoRisk.Raster.Tests;

public class ExpressionTests
{
    [Theory]
    [InlineData("0.4*a + 0.3*b", new[] { "a", "b" })]
    [InlineData("where(slope > 30, 4, reclass(dist, [500, 1000, 2000], [4, 3, 2, 1]))", new[] { "slope", "dist" })]
    [InlineData("min(a, b) + max(a, 2) - abs(-a)", new[] { "a", "b" })]
    public void Parse_CollectsVariablesInOrder(string text, string[] variables) => Assert.Equal(variables, Expression.Parse(text).Variables);

    [Theory]
    [InlineData("a + * b", 5)]
    [InlineData("(a + b", 7)]
    [InlineData("foo(a)", 1)]
    [InlineData("a + 1)", 6)]
    [InlineData("reclass(a, [1, 2], [1, 2])", 20)]
    [InlineData("sqrt(a, b)", 1)]
    [InlineData("a $ b", 3)]
    [InlineData("", 1)]
    public void Parse_SyntaxError_PointsAtColumn(string text, int column)
    {
        var ex = Assert.Throws<ExpressionSyntaxException>(() => Expression.Parse(text));
        Assert.Equal(column, ex.Column);
    }

    [Theory]
    [InlineData("2 + 3 * 4", 14)]
    [InlineData("(2 + 3) * 4", 20)]
    [InlineData("-2 ^ 2", -4)]
    [InlineData("2 ^ 3 ^ 2", 512)]
    [InlineData("10 - 4 - 3", 3)]
    [InlineData("1 < 2 && 3 >= 3", 1)]
    [InlineData("clamp(7, 0, 5)", 5)]
    [InlineData("reclass(750, [500, 1000, 2000], [4, 3, 2, 1])", 3)]
    [InlineData("where(0, 1, 2)", 2)]
    public void Evaluate_ConstantExpressions_HandComputed(string text, float expected)
    {
        var e = Expression.Parse(text);
        var output = new float[3];
        e.Evaluate([], output);
        Assert.All(output, v => Assert.Equal(expected, v));
        Assert.Equal(expected, e.EvaluateScalar([]));
    }

    [Fact]
    public void Evaluate_NodataPropagates()
    {
        var e = Expression.Parse("where(isnull(a), -1, a * 2 + b)");
        float[] a = [1, float.NaN, 3, 4];
        float[] b = [1, 1, float.NaN, 1];
        var output = new float[4];
        e.Evaluate([a, b], output);
        Assert.Equal([3f, -1f, float.NaN, 9f], output);
    }

    public static TheoryData<string> Expressions => new()
    {
        "0.4*a + 0.3*b + 0.2*c + 0.1*d",
        "a - b * c / (d + 1)",
        "sqrt(abs(a - b)) + exp(c / 100) - log(d + 1)",
        "pow(a / 100, 2) + (b / 100) ^ 0.5",
        "min(a, b) + max(c, 50) + clamp(d, 10, 60)",
        "(a < b) + (a <= b) + (a > c) + (a >= c) + (b == b) + (c != d)",
        "(a > 50 && b < 50) || isnull(c)",
        "where(a > b, c, d)",
        "reclass(a, [10, 25, 50, 75], [1, 2, 3, 4, 5])",
        "-a + 3 - (2 - b)",
    };

    /// <summary>Vector256 kernels, scalar kernels and the syntax-tree interpreter agree for every length 0..256.</summary>
    [Theory]
    [MemberData(nameof(Expressions))]
    public void Evaluate_SimdMatchesScalarReference_Lengths0To256(string text)
    {
        var e = Expression.Parse(text);
        var random = new Random(text.Length);
        for (var n = 0; n <= 256; n++)
        {
            var inputs = e.Variables.Select(_ => Enumerable.Range(0, n).Select(_ => random.NextDouble() < 0.05 ? float.NaN : (float)(random.NextDouble() * 100)).ToArray()).ToArray();
            var vector = new float[n];
            var scalar = new float[n];
            e.Evaluate(inputs.Select(i => (ReadOnlyMemory<float>)i).ToArray(), vector, vectorize: true);
            e.Evaluate(inputs.Select(i => (ReadOnlyMemory<float>)i).ToArray(), scalar, vectorize: false);
            for (var i = 0; i < n; i++)
            {
                var reference = e.EvaluateScalar(inputs.Select(x => x[i]).ToArray());
                AssertClose(reference, vector[i], text, n, i);
                AssertClose(reference, scalar[i], text, n, i);
            }
        }
    }

    /// <summary>Tolerance scaled to magnitude: TensorPrimitives' exp/log/pow differ from MathF by a few ulps.</summary>
    private static void AssertClose(float expected, float actual, string text, int n, int i)
    {
        if (float.IsNaN(expected))
        {
            Assert.True(float.IsNaN(actual), $"{text} n={n} i={i}: expected NaN, got {actual}");
            return;
        }

        var tolerance = 2e-6f * Math.Max(1f, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{text} n={n} i={i}: expected {expected}, got {actual}");
    }
}
