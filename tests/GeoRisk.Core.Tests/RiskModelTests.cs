using GeoRisk.Core.Risk;

namespace GeoRisk.Core.Tests;

public class RiskModelTests
{
    /// <summary>A perfectly consistent matrix (a_ij = w_i/w_j) returns its weights exactly, λmax = n, CR = 0.</summary>
    [Fact]
    public void Ahp_ConsistentMatrix_ReturnsGeneratingWeights()
    {
        double[] w = [0.4, 0.3, 0.2, 0.1];
        var m = new double[4, 4];
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                m[i, j] = w[i] / w[j];
            }
        }

        var result = Ahp.Compute(m);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(w[i], result.Weights[i], 12);
        }

        Assert.Equal(4, result.LambdaMax, 10);
        Assert.Equal(0, result.ConsistencyRatio!.Value, 10);
        Assert.True(result.IsConsistent);
    }

    /// <summary>
    /// Hand-computed 3×3 case: A = [[1,3,5],[1/3,1,3],[1/5,1/3,1]]. Its characteristic polynomial gives
    /// λmax = 3.0385, so CI = 0.0193 and CR = 0.0193/0.58 = 0.0332; weights (0.6370, 0.2583, 0.1047).
    /// </summary>
    [Fact]
    public void Ahp_Textbook3x3_WeightsAndConsistency()
    {
        var result = Ahp.Compute(Ahp.FromUpperTriangle(3, [3, 5, 3]));
        Assert.Equal(0.6370, result.Weights[0], tolerance: 0.0005);
        Assert.Equal(0.2583, result.Weights[1], tolerance: 0.0005);
        Assert.Equal(0.1047, result.Weights[2], tolerance: 0.0005);
        Assert.Equal(3.0385, result.LambdaMax, tolerance: 0.0005);
        Assert.Equal(0.0332, result.ConsistencyRatio!.Value, tolerance: 0.0005);
        Assert.True(result.IsConsistent);
    }

    /// <summary>An intransitive matrix (A ≫ B ≫ C but C ≫ A) must be rejected: CR far above 0.10.</summary>
    [Fact]
    public void Ahp_IntransitiveMatrix_Inconsistent()
    {
        var result = Ahp.Compute(Ahp.FromUpperTriangle(3, [5, 1.0 / 5, 5]));
        Assert.False(result.IsConsistent);
        Assert.True(result.ConsistencyRatio > 0.10, $"CR {result.ConsistencyRatio}");
    }

    [Fact]
    public void Ahp_TwoFactors_AlwaysConsistent()
    {
        var result = Ahp.Compute(Ahp.FromUpperTriangle(2, [3]));
        Assert.Null(result.ConsistencyRatio);
        Assert.Equal(0.75, result.Weights[0], 12);
    }

    [Fact]
    public void Ahp_NonReciprocal_Rejected() =>
        Assert.Throws<ArgumentException>(() => Ahp.Compute(new double[,] { { 1, 3 }, { 3, 1 } }));

    /// <summary>Toy grid: 100 cells in 2 classes (60/40), 10 hazard cells (2/8): I = ln(0.2/0.6), ln(0.8/0.4).</summary>
    [Fact]
    public void InformationValue_ToyGrid_HandComputed()
    {
        var iv = InformationValue.Compute([60, 40], [2, 8]);
        Assert.Equal(Math.Log(0.2 / 0.6), iv[0]!.Value, 12);
        Assert.Equal(Math.Log(2), iv[1]!.Value, 12);
    }

    [Fact]
    public void InformationValue_ClassWithoutHazards_IsNull()
    {
        var iv = InformationValue.Compute([50, 50], [0, 5]);
        Assert.Null(iv[0]);
        Assert.Equal(Math.Log(2), iv[1]!.Value, 12);
    }
}
